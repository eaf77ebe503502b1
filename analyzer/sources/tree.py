"""The document tree the extractor walks: scalars, mappings and sequences with their lines.

YAML and JSON documents are both turned into these three node types, so extraction is
written once. Aliases are not copied: an alias is the very node its anchor names, so a
value used in two places is one object reached by two paths (and counted once per path).
``size`` is how many nodes a walk of the node visits, aliases expanded; the builders use
it to refuse billion-laughs documents before anything walks them.
"""

from __future__ import annotations

from collections.abc import Iterator

#: plain YAML scalars that mean null (YAML 1.1 core schema, as PyYAML resolves them)
NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})
MERGE_KEY = "<<"


class ScalarNode:
    """A scalar as written, with its 1-based line (relative to the document's text)."""

    __slots__ = ("is_null", "line", "plain", "value")
    size = 1

    def __init__(self, value: str, line: int, *, plain: bool, is_null: bool = False) -> None:
        self.value = value
        self.line = line
        self.plain = plain  # written without quotes (a plain YAML scalar or a JSON literal)
        self.is_null = is_null


class MapNode:
    """A mapping: its (key, value) pairs in document order."""

    __slots__ = ("line", "pairs", "size")

    def __init__(self, line: int) -> None:
        self.line = line
        self.pairs: list[tuple[Node, Node]] = []
        self.size = 1


class SeqNode:
    """A sequence."""

    __slots__ = ("items", "line", "size")

    def __init__(self, line: int) -> None:
        self.line = line
        self.items: list[Node] = []
        self.size = 1


Node = ScalarNode | MapNode | SeqNode


def key_text(node: Node) -> str | None:
    """The text of a mapping key, or None for keys that are not scalars."""
    return node.value if isinstance(node, ScalarNode) else None


def get(mapping: MapNode, key: str) -> Node | None:
    """The value of ``key`` (last one wins, as in PyYAML), looking into ``<<`` merges."""
    found: Node | None = None
    merges: list[Node] = []
    for k, v in mapping.pairs:
        if not isinstance(k, ScalarNode):
            continue
        if k.value == key:
            found = v
        elif k.value == MERGE_KEY and k.plain:
            merges.append(v)
    if found is not None or not merges:
        return found
    for source in _merge_sources(merges):
        value = get(source, key)
        if value is not None:
            return value
    return None


def entries(mapping: MapNode) -> Iterator[tuple[str, Node]]:
    """Every (key, value) of a mapping with scalar keys, ``<<`` merges applied."""
    seen: dict[str, Node] = {}
    merges: list[Node] = []
    for k, v in mapping.pairs:
        if not isinstance(k, ScalarNode):
            continue
        if k.value == MERGE_KEY and k.plain:
            merges.append(v)
        else:
            seen[k.value] = v
    for source in _merge_sources(merges):
        for key, value in entries(source):
            seen.setdefault(key, value)
    return iter(seen.items())


def _merge_sources(merges: list[Node]) -> Iterator[MapNode]:
    for merge in merges:
        if isinstance(merge, MapNode):
            yield merge
        elif isinstance(merge, SeqNode):
            yield from (item for item in merge.items if isinstance(item, MapNode))


def text(node: Node | None) -> str | None:
    """The string value of a non-null scalar, else None."""
    if isinstance(node, ScalarNode) and not node.is_null:
        return node.value
    return None


def items(node: Node | None) -> list[Node]:
    """The items of a sequence (an empty list for anything else)."""
    return node.items if isinstance(node, SeqNode) else []
