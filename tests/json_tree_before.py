"""The JSON reader as it was before the one-match-per-value builder (main at 55c49dc,
``analyzer/sources/json_tree.py``), kept unchanged as the oracle of
``tests/test_sources_json_exact.py``: the new builder must give the very same trees,
lines, handed-over items and errors. Not used by the tool.

Its tree of a valid value is built by a tokenizer of one regular-expression match per
token (blanks, commas and colons included) that counts the lines of every blank.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from analyzer.sources.handoff import Handoff, held_budget
from analyzer.sources.limits import DocumentError, Limits
from analyzer.sources.tree import (
    MapNode,
    Node,
    ScalarNode,
    SeqNode,
    TakeItem,
    awaits_items,
    share,
)

_TOKEN = re.compile(r'\s+|"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+')
_NEXT_VALUE = re.compile(r"^[{\[]", re.MULTILINE)
_SPACE = re.compile(r"\s*")


@dataclass(frozen=True)
class JsonDocument:
    index: int
    line: int  # 1-based line where the value starts
    root: Node | None = None
    error: DocumentError | None = None
    span: tuple[int, int] = (0, 0)  # where the value is in the text


def read_json(
    text: str, limits: Limits, take_for: Callable[[int], TakeItem] | None = None
) -> Iterator[JsonDocument]:
    """Every top-level value of ``text`` as a tree, or the error that stopped it.

    With ``take_for``, the items of each value's root ``items`` array are handed to
    ``take_for(index)`` as each one ends, and not kept (as ``build_yaml`` does).
    """
    # the decoder only checks the syntax and finds the end: it keeps no object it reads
    decoder = json.JSONDecoder(object_pairs_hook=_nothing)
    pos = _SPACE.match(text).end()  # type: ignore[union-attr]  # \s* always matches
    line = 1 + text.count("\n", 0, pos)
    index = 0
    while pos < len(text):
        resume: int | None
        try:
            _, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            resume = _resync(text, pos)
            yield JsonDocument(index, line, error=_syntax_error(text, exc, line, pos, resume))
        except RecursionError:
            yield JsonDocument(
                index, line, error=DocumentError(line, "nested too deeply to read; skipped")
            )
            resume = _value_end(text, pos)
        else:
            take_item = take_for(index) if take_for is not None else None
            try:
                root = build_json(text, (pos, end), line, limits, take_item)
            except DocumentError as exc:
                yield JsonDocument(index, line, error=exc)
            else:
                yield JsonDocument(index, line, root=root, span=(pos, end))
            resume = end
        index += 1
        if resume is None:
            return
        next_pos = _SPACE.match(text, resume).end()  # type: ignore[union-attr]
        line += text.count("\n", pos, next_pos)
        pos = next_pos


def _nothing(pairs: list[tuple[str, object]]) -> None:
    return None


def build_json(
    text: str,
    span: tuple[int, int],
    line: int,
    limits: Limits,
    take_item: TakeItem | None = None,
) -> Node | None:
    """The tree of the valid JSON value ``text[start:end]`` (``span``), starting on
    ``line``; ``take_item`` as in ``read_json``."""
    start, end = span
    stack: list[tuple[MapNode | SeqNode, list[Node]]] = []
    root: Node | None = None
    max_depth = limits.max_depth
    handoff: Handoff | None = None
    held = 0
    budget = limits.max_nodes  # see held_budget
    node: Node
    for match in _TOKEN.finditer(text, start, end):
        token = match.group()
        first = token[0]
        if first == '"':
            value = share(json.loads(token) if "\\" in token else token[1:-1])
            node = ScalarNode(value, line, plain=False)
            held += 1
        elif first == "{" or first == "[":
            if len(stack) >= max_depth:
                raise DocumentError(line, f"nested deeper than {max_depth} levels; skipped")
            opened: MapNode | SeqNode = MapNode(line) if first == "{" else SeqNode(line)
            items: list[Node] = opened.items if isinstance(opened, SeqNode) else []
            if (
                take_item is not None
                and len(stack) == 1
                and isinstance(stack[0][0], MapNode)
                and awaits_items(stack[0][1])
            ):
                items = handoff = Handoff(take_item)
            stack.append((opened, items))
            held += 1
            if held > budget:
                budget = held_budget(held, handoff, line, limits)
            continue
        elif first == "}" or first == "]":
            closed, flat = stack.pop()
            if isinstance(closed, MapNode):
                closed.pairs = list(zip(flat[0::2], flat[1::2], strict=False))
            node = closed
        elif first == "," or first == ":":
            continue
        elif first.isspace():
            line += token.count("\n")
            continue
        else:
            node = ScalarNode(token, line, plain=True, is_null=token == "null")
            held += 1
        if held > budget:
            budget = held_budget(held, handoff, line, limits)
        if stack:
            parent, flat = stack[-1]
            flat.append(node)
            parent.size += node.size
        else:
            root = node
    return root


def _syntax_error(
    text: str, exc: json.JSONDecodeError, line: int, pos: int, resume: int | None
) -> DocumentError:
    """Where the decoder stopped; for a value cut short, which the decoder only notices
    inside the next value, the last line before that next value."""
    if resume is None or exc.pos < resume:
        return DocumentError(exc.lineno, f"invalid JSON: {exc.msg}")
    next_line = line + text.count("\n", pos, resume)
    return DocumentError(
        next_line - 1,
        f"invalid JSON: {exc.msg} on line {exc.lineno}: this value is cut short "
        f"(the next one starts on line {next_line})",
    )


def _resync(text: str, start: int) -> int | None:
    """Where to go on after the value at ``start`` failed: the next line that starts a
    value. Not after the point of failure: a value cut short fails where the next one
    begins (``{"a": 1,`` then ``{...}``), or later when the next one fits where the value
    was cut (``{"a":`` then ``{...}``, read as its member)."""
    found = _NEXT_VALUE.search(text, start + 1)
    return found.start() if found else None


def _value_end(text: str, pos: int) -> int | None:
    """Where the (too deep to decode) value at ``pos`` ends, counting brackets."""
    depth = 0
    for match in _TOKEN.finditer(text, pos):
        first = match.group()[0]
        if first == "{" or first == "[":
            depth += 1
        elif first == "}" or first == "]":
            depth -= 1
            if depth <= 0:
                return match.end()
    return None
