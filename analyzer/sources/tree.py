"""The document tree the extractor walks: scalars, mappings and sequences with their lines.

YAML and JSON documents are both turned into these three node types, so extraction is
written once. Aliases are not copied: an alias is the very node its anchor names, so a
value used in two places is one object reached by two paths (and counted once per path).
``size`` is how many nodes a walk of the node visits, aliases expanded; the builders use
it to refuse billion-laughs documents before anything walks them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

#: short strings kept once per run (``share``), and the most that are kept
_SHARED: dict[str, str] = {}
_SHARED_MAX = 1 << 16
_SHARED_LENGTH = 96


def share(value: str) -> str:
    """One object for each repeated short string: kinds, names, images and fields recur
    in every document, and each image use keeps several of them. The table is bounded
    (emptied when full), so a stream of distinct values cannot grow it."""
    if len(value) > _SHARED_LENGTH:
        return value
    found = _SHARED.get(value)
    if found is not None:
        return found
    if len(_SHARED) >= _SHARED_MAX:
        _SHARED.clear()
    _SHARED[value] = value
    return value


#: the table's lookup, for hot loops: ``shared_get(value) or share(value)``
shared_get = _SHARED.get

#: plain YAML scalars that mean null (YAML 1.1 core schema, as PyYAML resolves them)
NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})
MERGE_KEY = "<<"


class ScalarNode:
    """A scalar as written, with its 1-based line (relative to the document's text)."""

    __slots__ = ("is_null", "line", "plain", "value")
    size = 1

    def __init__(self, value: str, line: int, plain: bool, is_null: bool = False) -> None:
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


#: called with (index, item) for each item of a root mapping's ``items`` sequence
TakeItem = Callable[[int, Node], None]


def awaits_items(flat: list[Node]) -> bool:
    """A mapping's keys and values so far end with the key ``items``, without its value."""
    if len(flat) % 2 == 0:
        return False
    key = flat[-1]
    return isinstance(key, ScalarNode) and key.value == "items"


def get(mapping: MapNode, key: str) -> Node | None:
    """The value of ``key`` (last one wins, as in PyYAML), looking into ``<<`` merges.

    Merges are searched depth first in order, as PyYAML flattens them, with a stack and
    not by recursion: a chain of 1,000 merges is no deeper for Python than one.
    """
    found: Node | None = None  # ``_own``, inlined: the hottest loop of extraction
    merged = False
    for k, v in mapping.pairs:
        if type(k) is ScalarNode:  # no isinstance call
            value = k.value
            if value == key:
                found = v
            elif value == MERGE_KEY and k.plain:
                merged = True
    if found is not None or not merged:
        return found
    for source in _merge_order(mapping):
        found, _ = _own(source, key)
        if found is not None:
            return found
    return None


def _own(mapping: MapNode, key: str) -> tuple[Node | None, bool]:
    """The mapping's own value of ``key``, and whether it has ``<<`` merges."""
    found: Node | None = None
    merged = False
    for k, v in mapping.pairs:
        if type(k) is ScalarNode:  # the hottest loop of extraction: no isinstance call
            value = k.value
            if value == key:
                found = v
            elif value == MERGE_KEY and k.plain:
                merged = True
    return found, merged


def entries(mapping: MapNode) -> Iterator[tuple[str, Node]]:
    """Every (key, value) of a mapping with scalar keys, ``<<`` merges applied."""
    seen, merged = _explicit(mapping)
    if merged:
        for source in _merge_order(mapping):
            for key, value in _explicit(source)[0].items():
                seen.setdefault(key, value)
    return iter(seen.items())


def _explicit(mapping: MapNode) -> tuple[dict[str, Node], bool]:
    """The mapping's own scalar keys (last wins), and whether it has ``<<`` merges."""
    explicit: dict[str, Node] = {}
    merged = False
    for k, v in mapping.pairs:
        if isinstance(k, ScalarNode):
            if k.value == MERGE_KEY and k.plain:
                merged = True
            else:
                explicit[k.value] = v
    return explicit, merged


def _merge_order(mapping: MapNode) -> Iterator[MapNode]:
    """The mappings merged into ``mapping``, depth first, each once."""
    stack = [mapping]
    visited: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if node is not mapping:
            yield node
        merges = [v for k, v in node.pairs if _is_merge_key(k)]
        stack.extend(reversed(list(_merge_sources(merges))))


def _is_merge_key(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.value == MERGE_KEY and node.plain


def _merge_sources(merges: list[Node]) -> Iterator[MapNode]:
    for merge in merges:
        if isinstance(merge, MapNode):
            yield merge
        elif isinstance(merge, SeqNode):
            for item in merge.items:  # no generator expression: mypyc lists those
                if isinstance(item, MapNode):
                    yield item


def text(node: Node | None) -> str | None:
    """The string value of a non-null scalar, else None."""
    if isinstance(node, ScalarNode) and not node.is_null:
        return node.value
    return None


def items(node: Node | None) -> list[Node]:
    """The items of a sequence (an empty list for anything else)."""
    return node.items if isinstance(node, SeqNode) else []
