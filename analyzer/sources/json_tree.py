"""JSON documents: one object, a ``List``, or several values one after another.

``json.JSONDecoder.raw_decode`` (C) finds where each top-level value ends and gives the
precise syntax error; the tree of a valid value is then built by a small tokenizer that
knows which line every value is on (``json`` itself does not say). After a syntax error
the reader resumes at the next line that starts a new value, so later documents are
still read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from analyzer.sources.limits import DocumentError, Limits
from analyzer.sources.tree import MapNode, Node, ScalarNode, SeqNode

_TOKEN = re.compile(r'\s+|"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+')
_NEXT_VALUE = re.compile(r"^[{\[]", re.MULTILINE)
_SPACE = re.compile(r"\s*")


@dataclass(frozen=True)
class JsonDocument:
    index: int
    line: int  # 1-based line where the value starts
    root: Node | None = None
    error: DocumentError | None = None


def read_json(text: str, limits: Limits) -> Iterator[JsonDocument]:
    """Every top-level value of ``text`` as a tree, or the error that stopped it."""
    decoder = json.JSONDecoder()
    pos = _SPACE.match(text).end()  # type: ignore[union-attr]  # \s* always matches
    line = 1 + text.count("\n", 0, pos)
    index = 0
    while pos < len(text):
        resume: int | None
        try:
            _, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield JsonDocument(
                index, line, error=DocumentError(exc.lineno, f"invalid JSON: {exc.msg}")
            )
            found = _NEXT_VALUE.search(text, exc.pos + 1)
            resume = found.start() if found else None
        except RecursionError:
            yield JsonDocument(
                index, line, error=DocumentError(line, "nested too deeply to read; skipped")
            )
            resume = _value_end(text, pos)
        else:
            try:
                root = _build(text, pos, end, line, limits)
            except DocumentError as exc:
                yield JsonDocument(index, line, error=exc)
            else:
                yield JsonDocument(index, line, root=root)
            resume = end
        index += 1
        if resume is None:
            return
        next_pos = _SPACE.match(text, resume).end()  # type: ignore[union-attr]
        line += text.count("\n", pos, next_pos)
        pos = next_pos


def _build(text: str, start: int, end: int, line: int, limits: Limits) -> Node | None:
    """The tree of the valid JSON value ``text[start:end]``."""
    stack: list[tuple[MapNode | SeqNode, list[Node]]] = []
    root: Node | None = None
    max_depth = limits.max_depth
    node: Node
    for match in _TOKEN.finditer(text, start, end):
        token = match.group()
        first = token[0]
        if first == '"':
            value = json.loads(token) if "\\" in token else token[1:-1]
            node = ScalarNode(value, line, plain=False)
        elif first == "{" or first == "[":
            if len(stack) >= max_depth:
                raise DocumentError(line, f"nested deeper than {max_depth} levels; skipped")
            opened: MapNode | SeqNode = MapNode(line) if first == "{" else SeqNode(line)
            stack.append((opened, opened.items if isinstance(opened, SeqNode) else []))
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
        if stack:
            parent, flat = stack[-1]
            flat.append(node)
            parent.size += node.size
        else:
            root = node
    return root


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
