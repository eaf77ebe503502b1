"""Build the tree of one YAML document from libyaml's events, within ``Limits``.

Working from the event stream rather than ``yaml.compose`` keeps every guarantee in one
place: no recursion (libyaml's own composer recurses in C and crashes on very deep
input), a depth limit checked as the document is read (so a 10,000-level document is
refused after 1,000 levels, not parsed in full), aliases bound to the node of their anchor
(never copied), self-referencing aliases and alias expansion counted as they appear.
Only safe events are read: no tag is ever turned into an object.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from analyzer.sources.limits import DocumentError, Limits
from analyzer.sources.tree import NULL_WORDS, MapNode, Node, ScalarNode, SeqNode

#: libyaml when PyYAML was built with it (``yaml.__with_libyaml__``), else pure Python
LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = (
    yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader
)
_NULL_TAG = "tag:yaml.org,2002:null"


class _Open:
    """A mapping or sequence whose end event has not arrived yet."""

    __slots__ = ("anchor", "flat", "node")

    def __init__(self, node: MapNode | SeqNode, anchor: str | None) -> None:
        self.node = node
        self.anchor = anchor
        self.flat: list[Node] = node.items if isinstance(node, SeqNode) else []


def build_yaml(data: bytes, first_line: int, limits: Limits) -> list[Node | None]:
    """The root node of each document in ``data`` (None for an empty document).

    ``first_line`` is the file line of ``data``'s first byte; node lines are file lines.
    Raises ``DocumentError`` for invalid YAML or a document over ``limits``.
    """
    try:
        return _build(data, first_line, limits)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark is not None else first_line
        if "maximum nesting depth" in (exc.problem or ""):
            # libyaml 0.2.5+ (PyYAML 6.0.2+ wheels) stops at its own depth limit before ours.
            message = f"nested deeper than {limits.max_depth} levels; skipped"
            raise DocumentError(line, message) from None
        raise DocumentError(line, _yaml_message(exc, first_line)) from None
    except yaml.reader.ReaderError as exc:
        line = first_line + data.count(b"\n", 0, max(exc.position, 0))
        raise DocumentError(line, _reader_message(exc)) from None
    except yaml.YAMLError as exc:
        raise DocumentError(first_line, f"invalid YAML: {_one_line(str(exc))}") from None
    except RecursionError:
        raise DocumentError(first_line, "merge keys (<<) nested too deeply") from None


def _build(data: bytes, first_line: int, limits: Limits) -> list[Node | None]:
    roots: list[Node | None] = []
    root: Node | None = None
    stack: list[_Open] = []
    anchors: dict[str, Node] = {}
    open_anchors: dict[str, int] = {}
    alias_nodes = 0
    max_depth = limits.max_depth
    node: Node
    events: Iterator[Any] = yaml.parse(data, Loader=LOADER)
    for event in events:
        kind = event.__class__
        if kind is ScalarEvent:
            value: str = event.value
            plain = not event.style
            tag = event.tag
            node = ScalarNode(
                value,
                event.start_mark.line + first_line,
                plain=plain,
                is_null=(tag == _NULL_TAG) or (plain and tag is None and value in NULL_WORDS),
            )
            if event.anchor is not None:
                anchors[event.anchor] = node
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            line = event.start_mark.line + first_line
            if len(stack) >= max_depth:
                raise DocumentError(line, f"nested deeper than {max_depth} levels; skipped")
            anchor = event.anchor
            opened: MapNode | SeqNode = (
                MapNode(line) if kind is MappingStartEvent else SeqNode(line)
            )
            stack.append(_Open(opened, anchor))
            if anchor is not None:
                anchors[anchor] = opened
                open_anchors[anchor] = open_anchors.get(anchor, 0) + 1
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            frame = stack.pop()
            node = frame.node
            if isinstance(node, MapNode):
                flat = frame.flat
                node.pairs = list(zip(flat[0::2], flat[1::2], strict=False))
            if frame.anchor is not None:
                _close_anchor(open_anchors, frame.anchor)
        elif kind is AliasEvent:
            line = event.start_mark.line + first_line
            name = event.anchor
            target = anchors.get(name)
            if target is None:
                raise DocumentError(line, f"alias *{name} names no anchor defined before it")
            if name in open_anchors:
                raise DocumentError(
                    line, f"alias *{name} refers to a node that contains it (self-reference)"
                )
            alias_nodes += target.size
            if alias_nodes > limits.max_alias_nodes:
                raise DocumentError(
                    line,
                    f"aliases expand to more than {limits.max_alias_nodes:,} nodes "
                    "(a YAML bomb?); skipped",
                )
            node = target
        elif kind is DocumentStartEvent:
            anchors = {}
            root = None
            continue
        elif kind is DocumentEndEvent:
            roots.append(root)
            continue
        else:
            continue
        if stack:
            top = stack[-1]
            top.flat.append(node)
            top.node.size += node.size
        else:
            root = node
    return roots


def _close_anchor(open_anchors: dict[str, int], anchor: str) -> None:
    left = open_anchors[anchor] - 1
    if left:
        open_anchors[anchor] = left
    else:
        del open_anchors[anchor]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _yaml_message(exc: yaml.MarkedYAMLError, first_line: int) -> str:
    problem = _one_line(exc.problem or "")
    context = _one_line(exc.context or "")
    if (
        context
        and exc.context_mark is not None
        and exc.problem_mark is not None
        and exc.context_mark.line != exc.problem_mark.line
    ):
        context = f"{context} on line {first_line + exc.context_mark.line}"
    if context and problem:
        return f"invalid YAML: {problem} ({context})"
    return f"invalid YAML: {problem or context or 'syntax error'}"


def _reader_message(exc: yaml.reader.ReaderError) -> str:
    reason = _one_line(str(exc.reason))
    if "UTF-8" in reason or "UTF-16" in reason:
        return f"not UTF-8 text ({reason}); document skipped"
    return f"unacceptable character #x{exc.character:04x} ({reason}); document skipped"
