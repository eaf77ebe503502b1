"""Build the tree of one YAML document from libyaml's events, within ``Limits``.

Working from the event stream rather than ``yaml.compose`` keeps every guarantee in one
place: no recursion (libyaml's own composer recurses in C and crashes on very deep
input), a depth limit checked as the document is read (so a 10,000-level document is
refused after 1,000 levels, not parsed in full), aliases bound to the node of their anchor
(never copied), self-referencing aliases and alias expansion counted as they appear.
Only safe events are read: no tag is ever turned into an object, and a document that
carries a ``!!python/`` tag is refused with an error naming the tag.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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
    StreamEndEvent,
)

from analyzer.sources.limits import DocumentError, Limits

try:
    from yaml._yaml import CParser

    HAVE_LIBYAML = True
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    HAVE_LIBYAML = False
from analyzer.sources.handoff import Handoff, held_budget
from analyzer.sources.tree import (
    NULL_WORDS,
    MapNode,
    Node,
    ScalarNode,
    SeqNode,
    TakeItem,
    awaits_items,
    share,
)

_NULL_TAG = "tag:yaml.org,2002:null"
#: PyYAML's unsafe loaders build Python objects (and run code) for these tags
_PYTHON_TAG = "tag:yaml.org,2002:python/"
_LONE_CR = re.compile(rb"\r(?!\n)")
_ODD_BREAKS = (b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")
#: a tag: "!" and the rest of its token (a tag ends at whitespace)
_TAG_RUN = re.compile(rb"![^\s]*")
_BREAK = re.compile(rb"\r\n|\r|\n|\xc2\x85|\xe2\x80[\xa8\xa9]")


class _Open:
    """A mapping or sequence whose end event has not arrived yet."""

    __slots__ = ("anchor", "flat", "node", "start")

    def __init__(self, node: MapNode | SeqNode, anchor: str | None, start: int) -> None:
        self.node = node
        self.anchor = anchor
        self.start = start  # nodes counted before this one: its size is known at its end
        self.flat: list[Node] = node.items if isinstance(node, SeqNode) else []


def check_syntax(data: bytes) -> int:
    """Parse ``data`` in C without building anything; raises ``yaml.YAMLError``.

    Only with libyaml (``HAVE_LIBYAML``): syntax, encoding and libyaml's depth limit.
    Returns the number of events, which is never less than the nodes a full parse holds
    when ``data`` has no alias (each node starts with an event of its own).
    """
    events: int = CParser(data).raw_parse()
    return events


def _is_items_value(frame: _Open) -> bool:
    """The next node is the value of the key ``items`` of this (root) mapping."""
    return isinstance(frame.node, MapNode) and awaits_items(frame.flat)


def _event_source(data: bytes) -> Callable[[], Any]:
    """The next event of ``data``, one call at a time (libyaml's parser when present)."""
    if HAVE_LIBYAML:
        return CParser(data).get_event
    return iter(yaml.parse(data, Loader=yaml.SafeLoader)).__next__


def build_yaml(
    data: bytes, first_line: int, limits: Limits, take_item: TakeItem | None = None
) -> list[Node | None]:
    """The root node of each document in ``data`` (None for an empty document).

    ``first_line`` is the file line of ``data``'s first byte; node lines are file lines.
    With ``take_item``, the items of the root mapping's ``items`` sequence (a ``List``,
    such as ``kubectl get -o yaml`` prints) are handed to it as each one ends, and are
    not kept: the sequence stays empty, and memory holds one item at a time.
    Raises ``DocumentError`` for invalid YAML or a document over ``limits``.
    """
    fix = editor_lines(data)
    try:
        return _build(data, first_line, limits, fix, take_item)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + _fixed(mark.line, fix) if mark is not None else first_line
        if "maximum nesting depth" in (exc.problem or ""):
            # libyaml 0.2.5+ (PyYAML 6.0.2+ wheels) stops at its own depth limit before ours.
            message = f"nested deeper than {limits.max_depth} levels; skipped"
            raise DocumentError(line, message) from None
        raise DocumentError(line, _yaml_message(exc, first_line, fix)) from None
    except yaml.reader.ReaderError as exc:
        line = first_line + data.count(b"\n", 0, max(exc.position, 0))
        raise DocumentError(line, _reader_message(exc)) from None
    except yaml.YAMLError as exc:
        raise DocumentError(first_line, f"invalid YAML: {_one_line(str(exc))}") from None
    except RecursionError:
        raise DocumentError(first_line, "merge keys (<<) nested too deeply") from None
    except UnicodeDecodeError:
        # PyYAML decodes a tag's %-escapes as UTF-8 when it makes the event, and lets the
        # error of a bad one through (!<%ED%A0%80>)
        # a tag spelled with %-escapes (verbatim ``!<...%..>`` or a shorthand ``!h!x%..``)
        escaped = tag_holding(data, (b"%",))
        line = first_line + (data.count(b"\n", 0, escaped) if escaped is not None else 0)
        message = "invalid YAML: a tag's %-escapes are not UTF-8"
        raise DocumentError(line, message) from None


def tag_holding(data: bytes, needles: tuple[bytes, ...]) -> int | None:
    """Where the first tag holding one of ``needles`` after its "!" starts (what searching
    ``![^\\s]*(?:needle|...)`` finds), in one pass: that search backtracks over the rest of
    the token from every "!" (quadratic: 80 KB of "!a" in a value took 35 s)."""
    for run in _TAG_RUN.finditer(data):  # a later "!" of a run holds less than its first
        tail = run.group()[1:]
        if any(needle in tail for needle in needles):
            return run.start()
    return None


def editor_lines(data: bytes) -> list[int] | None:
    """How libyaml's line numbers become the lines editors, ``grep -n`` and GitHub show.

    libyaml (and PyYAML's reader) also end a line at a lone CR, NEL, U+2028 and U+2029,
    so ``\\r\\r\\n`` counts twice; editors count LF only. None when both agree (the
    usual case), else the 0-based editor line of each 0-based libyaml line.
    """
    if not odd_line_breaks(data):
        return None
    fix = [0]
    line = 0
    for found in _BREAK.finditer(data):
        line += found.group().endswith(b"\n")
        fix.append(line)
    return fix


def odd_line_breaks(data: bytes) -> bool:
    """Whether libyaml counts lines in ``data`` otherwise than editors do."""
    if b"\r" in data and _LONE_CR.search(data) is not None:
        return True
    return any(odd in data for odd in _ODD_BREAKS)


def _fixed(line: int, fix: list[int] | None) -> int:
    return line if fix is None else fix[min(line, len(fix) - 1)]


def _build(
    data: bytes,
    first_line: int,
    limits: Limits,
    fix: list[int] | None,
    take_item: TakeItem | None,
) -> list[Node | None]:
    """One pass over the events, nothing recursive and little per event: ``total`` counts
    the nodes a walk would visit (aliases expanded), so each collection's size is known
    when it closes, and the alias budget is checked as each alias arrives."""
    roots: list[Node | None] = []
    root: Node | None = None
    stack: list[_Open] = []
    flat: list[Node] | None = None  # where the next node goes: the innermost collection
    anchors: dict[str, Node] = {}
    open_anchors: dict[str, int] = {}
    total = 0
    alias_nodes = 0
    max_depth = limits.max_depth
    handoff: Handoff | None = None
    held = 0  # nodes built for this document (``total`` also counts alias expansions)
    budget = limits.max_nodes  # checked against ``held``; see held_budget
    node: Node
    next_event = _event_source(data)
    while True:
        event = next_event()
        kind = event.__class__
        if kind is ScalarEvent:
            value: str = share(event.value)
            tag = event.tag
            line = event.start_mark.line
            if fix is not None:
                line = _fixed(line, fix)  # (the stream's end may be a line past the last)
            plain = not event.style
            if tag is None:
                node = ScalarNode(value, line + first_line, plain, plain and value in NULL_WORDS)
            elif tag.startswith(_PYTHON_TAG):
                raise _python_tag(tag, line + first_line)
            else:
                node = ScalarNode(value, line + first_line, plain, tag == _NULL_TAG)
            total += 1
            held += 1
            if held > budget:
                budget = held_budget(held, handoff, line + first_line, limits)
            if event.anchor is not None:
                anchors[event.anchor] = node
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            line = _fixed(event.start_mark.line, fix) + first_line
            if len(stack) >= max_depth:
                raise DocumentError(line, f"nested deeper than {max_depth} levels; skipped")
            if event.tag is not None and event.tag.startswith(_PYTHON_TAG):
                raise _python_tag(event.tag, line)
            anchor = event.anchor
            opened: MapNode | SeqNode = (
                MapNode(line) if kind is MappingStartEvent else SeqNode(line)
            )
            frame = _Open(opened, anchor, total)
            if take_item is not None and len(stack) == 1 and _is_items_value(stack[0]):
                frame.flat = handoff = Handoff(take_item)
            total += 1
            held += 1
            if held > budget:
                budget = held_budget(held, handoff, line, limits)
            stack.append(frame)
            flat = frame.flat
            if anchor is not None:
                anchors[anchor] = opened
                open_anchors[anchor] = open_anchors.get(anchor, 0) + 1
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            frame = stack.pop()
            node = frame.node
            node.size = total - frame.start
            if isinstance(node, MapNode):
                items = frame.flat
                node.pairs = list(zip(items[0::2], items[1::2], strict=False))
            if frame.anchor is not None:
                _close_anchor(open_anchors, frame.anchor)
            flat = stack[-1].flat if stack else None
        elif kind is AliasEvent:
            line = _fixed(event.start_mark.line, fix) + first_line
            name = event.anchor
            target = anchors.get(name)
            if target is None:
                raise DocumentError(line, f"alias *{name} names no anchor defined before it")
            if name in open_anchors:
                raise DocumentError(
                    line, f"alias *{name} refers to a node that contains it (self-reference)"
                )
            alias_nodes += target.size
            total += target.size
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
            handoff = None
            held = 0
            budget = limits.max_nodes
            continue
        elif kind is DocumentEndEvent:
            roots.append(root)
            continue
        elif kind is StreamEndEvent:
            return roots
        else:
            continue
        if flat is not None:
            flat.append(node)
        else:
            root = node


def _python_tag(tag: str, line: int) -> DocumentError:
    shown = "!!" + tag.removeprefix("tag:yaml.org,2002:")
    return DocumentError(
        line,
        f"tag {shown!r} asks a YAML loader to build a Python object (or run code): "
        "not a manifest; document skipped",
    )


def _close_anchor(open_anchors: dict[str, int], anchor: str) -> None:
    left = open_anchors[anchor] - 1
    if left:
        open_anchors[anchor] = left
    else:
        del open_anchors[anchor]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _yaml_message(exc: yaml.MarkedYAMLError, first_line: int, fix: list[int] | None) -> str:
    problem = _one_line(exc.problem or "")
    context = _one_line(exc.context or "")
    if (
        context
        and exc.context_mark is not None
        and exc.problem_mark is not None
        and exc.context_mark.line != exc.problem_mark.line
    ):
        context = f"{context} on line {first_line + _fixed(exc.context_mark.line, fix)}"
    if context and problem:
        return f"invalid YAML: {problem} ({context})"
    return f"invalid YAML: {problem or context or 'syntax error'}"


def _reader_message(exc: yaml.reader.ReaderError) -> str:
    reason = _one_line(str(exc.reason))
    if "UTF-8" in reason or "UTF-16" in reason:
        return f"not UTF-8 text ({reason}); document skipped"
    return f"unacceptable character #x{exc.character:04x} ({reason}); document skipped"
