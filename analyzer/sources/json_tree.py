"""JSON documents: one object, a ``List``, or several values one after another.

``json.JSONDecoder.raw_decode`` (C) finds where each top-level value ends and gives the
precise syntax error; the tree of a valid value is then built from one regular-expression
match per value, which knows which line every value is on (``json`` itself does not say).
Compiled by mypyc when the package is built so (it hands a List's items over with an
explicit ``Handover.hand``, not a ``list`` subclass's ``append``). After a syntax error
the reader resumes at a line that starts a new value (see ``_resync``), so later
documents are still read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Final

from analyzer.frozen import Frozen
from analyzer.sources.handoff import Handover, held_budget
from analyzer.sources.limits import DocumentError, Limits
from analyzer.sources.tree import (
    MapNode,
    Node,
    ScalarNode,
    SeqNode,
    TakeItem,
    awaits_items,
    share,
    shared_get,
)

_TOKEN = re.compile(r'\s+|"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+')
#: one step of ``build_json``: blanks and separators, then a string (with, when it is a
#: key, the scalar or opening bracket after it on the same line), a literal, or a
#: bracket; which group matched last says which
_STEP = re.compile(
    r'[\s,:]*(?:"([^"\\]*(?:\\.[^"\\]*)*)"'  # 1: a string, a key when 2, 3 or 4 follow
    r'(?:[ \t]*:[ \t]*(?:"([^"\\]*(?:\\.[^"\\]*)*)"|([^\s{}\[\],:"]+)|([{\[])))?'
    r'|([^\s{}\[\],:"]+)|([{\[])|([}\]]))'  # 5: a literal, 6: opening, 7: closing
)
_STRING: Final = 1
_KEY_STRING: Final = 2
_KEY_LITERAL: Final = 3
_KEY_OPEN: Final = 4
_LITERAL: Final = 5
_OPEN: Final = 6
_CLOSE: Final = 7
_NEXT_VALUE = re.compile(r"^[{\[]", re.MULTILINE)
_SPACE = re.compile(r"\s*")


@dataclass(frozen=True)
class JsonDocument(Frozen):
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
    ``line``; ``take_item`` as in ``read_json``.

    One match of ``_STEP`` per value, or per key and the value after it on its line,
    blanks and separators included; the text was checked by the decoder, so what the
    pattern does not check (where commas and colons are) is right. A string holds no
    line break (the decoder refuses control characters in strings): the breaks of a
    match are in its leading blanks.
    """
    start, end = span
    # each open mapping or sequence: the node, and its keys and values or items so far
    # (None for the root ``items`` sequence, whose items are handed over instead)
    stack: list[tuple[MapNode | SeqNode, list[Node] | None]] = []
    root: Node | None = None
    max_depth = limits.max_depth
    handover: Handover | None = None
    held = 0
    budget = limits.max_nodes  # see held_budget
    node: Node
    for match in _STEP.finditer(text, start, end):
        kind = match.lastindex
        line += text.count("\n", match.start(), match.end())
        if kind in (_KEY_STRING, _KEY_LITERAL):  # never the root nor an item
            parent, flat = stack[-1]
            key = ScalarNode(_string(text, match, _STRING), line, plain=False)
            if kind == _KEY_STRING:
                value = ScalarNode(_string(text, match, _KEY_STRING), line, plain=False)
            else:
                token = match.group(_KEY_LITERAL)
                value = ScalarNode(token, line, plain=True, is_null=token == "null")
            if flat is not None:
                held += 2  # checked once for both: nothing is handed over in between
                if held > budget:
                    budget = held_budget(held, handover, line, limits)
                flat.append(key)
                flat.append(value)
                parent.size += 2
                continue
            # the root ``items`` is a mapping: its keys and values are handed over
            held += 1
            if held > budget:
                budget = held_budget(held, handover, line, limits)
            _hand(key, parent, handover)
            node = value
            held += 1
        elif kind in (_KEY_OPEN, _OPEN):
            if kind == _KEY_OPEN:  # the key first, as a value of its own
                key = ScalarNode(_string(text, match, _STRING), line, plain=False)
                held += 1
                if held > budget:
                    budget = held_budget(held, handover, line, limits)
                parent, flat = stack[-1]
                if flat is not None:
                    flat.append(key)
                    parent.size += 1
                else:
                    _hand(key, parent, handover)
            if len(stack) >= max_depth:
                raise DocumentError(line, f"nested deeper than {max_depth} levels; skipped")
            opened: MapNode | SeqNode
            items: list[Node] | None
            if match.group(kind) == "{":
                opened = MapNode(line)
                items = []
            else:
                opened = SeqNode(line)
                items = opened.items
            if take_item is not None and len(stack) == 1:
                top, keys = stack[0]
                if isinstance(top, MapNode) and keys is not None and awaits_items(keys):
                    items = None
                    handover = Handover(take_item)
            stack.append((opened, items))
            held += 1
            if held > budget:
                budget = held_budget(held, handover, line, limits)
            continue
        elif kind == _CLOSE:
            closed, flat = stack.pop()
            if isinstance(closed, MapNode) and flat:
                closed.pairs = list(zip(flat[0::2], flat[1::2], strict=False))
            node = closed
        elif kind == _STRING:
            node = ScalarNode(_string(text, match, _STRING), line, plain=False)
            held += 1
        else:
            token = match.group(_LITERAL)
            node = ScalarNode(token, line, plain=True, is_null=token == "null")
            held += 1
        if held > budget:
            budget = held_budget(held, handover, line, limits)
        if stack:
            parent, flat = stack[-1]
            if flat is not None:
                flat.append(node)
                parent.size += node.size
            else:
                _hand(node, parent, handover)
        else:
            root = node
    return root


def _hand(node: Node, parent: MapNode | SeqNode, handover: Handover | None) -> None:
    """Hand ``node``, an item of the root ``items``, over (``parent`` counts it still)."""
    assert handover is not None  # set with the stack entry that has no list
    handover.hand(node)
    parent.size += node.size


def _string(text: str, match: re.Match[str], group: int) -> str:
    """The value of the string matched by ``group`` (its text without the quotes)."""
    value = match.group(group)
    if "\\" in value:
        value = scanstring(text, match.start(group))[0]
    return shared_get(value) or share(value)


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
