"""The YAML subset most manifests are written in, read line by line: the fast path.

A Python-level pass over libyaml's events costs more than the whole ``yaml.load_all``;
most manifests, though, are block mappings and sequences of one-line scalars, whose tree
follows from each line's indentation. ``read_lines`` builds the very tree ``build_yaml``
builds (same nodes, values, styles, lines and sizes) for documents made only of:

- blank and comment lines, and one leading ``---`` line;
- ``key: value``, ``key:`` and ``- `` lines indented with spaces, keys plain (letters,
  digits, ``_./-``), values one-line plain scalars, one-line single-quoted scalars,
  double-quoted scalars without ``\\``, and one-line flow mappings and sequences of such
  scalars (``{app: web, tier: "1"}``, ``[a, b]``, ``{}``);
- literal block scalars that are a key's value, ``key: |`` or ``key: |-`` alone on the
  key's line (no ``- `` before the key, no indentation indicator, no keep chomping, no
  comment), whose first line with text is deeper than the key (``_literal`` reads them
  as libyaml's scanner does: the ConfigMap files and scripts of real manifests).

Anything else answers None and the caller parses the document in full: tabs, CR and
other line breaks libyaml counts, control characters, a byte order mark, anchors,
aliases, tags, other block scalars (folded, ``|+``, ``|2``, after a ``-``, or led by a
line of spaces deeper than its first line of text), multi-line scalars (a deeper line
after a complete value), directives, ``...``, complex keys, merge keys, a root that is
not a mapping, a root ``items`` key (a ``List``, read item by item by the full parse),
indentation that does not match an open block, and documents beyond the depth or node
limits. A document that only looks simple but is not valid YAML is never read here:
every way the lines can disagree with the grammar or the open blocks gives None, so the
full parse reports it. ``tests/test_sources_yaml_lines.py`` checks the trees against ``build_yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import chain

from analyzer.sources.limits import Limits
from analyzer.sources.tree import (
    NULL_WORDS,
    MapNode,
    Node,
    ScalarNode,
    SeqNode,
    TakeItem,
    share,
    shared_get,
)
from analyzer.sources.wanted import Want, WantFor

#: a plain key, short enough for libyaml (a simple key must end within 1,024 characters)
_KEY = r"[A-Za-z0-9_][A-Za-z0-9_./-]{0,999}"
#: a one-line plain scalar in block context: no ": ", no " #", no leading indicator; words
#: are runs of characters in which colons are always followed by something
_REST = r"[^ \n:]*(?::+[^ \n:]+)*"
_PLAIN = (
    r"(?:[^ \n\-?:,\[\]{}#&*!|>'\"%@`]|[-?](?=[^ \n])|:+[^ \n:])"
    + _REST
    + r"(?: +(?:[^ \n:#]|:+[^ \n:])"
    + _REST
    + r")*"
)
_SINGLE = r"'(?:[^'\n]|'')*'"
_DOUBLE = r"\"[^\"\\\n]*\""
#: scalars inside a one-line flow collection
_FCHAR = r"[A-Za-z0-9_./@+=~-]"
_FWORD = rf"(?:[A-Za-z0-9_./]|-(?={_FCHAR}))(?:{_FCHAR}|:(?={_FCHAR}))*"
_FVAL = rf"(?:{_SINGLE}|{_DOUBLE}|{_FWORD}(?: +{_FWORD})*)"
_FPAIR = rf"{_KEY}: +{_FVAL}"
_FLOW_MAP = rf"\{{ *(?:{_FPAIR} *(?:, *{_FPAIR} *)*)?\}}"
_FLOW_SEQ = rf"\[ *(?:{_FVAL} *(?:, *{_FVAL} *)*)?\]"
_VALUE = rf"(?:{_PLAIN}|{_SINGLE}|{_DOUBLE}|{_FLOW_MAP}|{_FLOW_SEQ})"
#: indentation, the "- " of sequence entries, a key, a value, then a comment
_LINE = re.compile(
    rf"^( *)((?:-(?: +|$))*)(?:({_KEY}):(?: +|$))?({_VALUE})? *(?:(?<![^ \n])#.*)?$",
    re.MULTILINE,
)
_PAIRS = re.compile(rf"({_KEY}): +({_FVAL})")
_ITEMS = re.compile(_FVAL)
_MARKER = re.compile(r"--- *(?:(?<= )#.*)?")
#: characters libyaml rejects, or counts as line breaks where editors do not, a BOM, tabs:
#: every character but ``\n -~\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd`` and
#: those past ``\uffff`` (spelled as the few it holds: compiling the complement of the
#: large ranges took 6 ms of every start)
_UNUSUAL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
#: the end of a line that could start a literal block scalar, and such a line in full
_LITERAL_TAIL = re.compile(r": +\|-? *$", re.MULTILINE)
_LITERAL_HEADER = re.compile(rf"( *)({_KEY}): +\|(-?) *")
Row = tuple[str, str, str, str]
#: a blank line's parts
_BLANK: Row = ("", "", "", "")
#: the text whose lines are split at once (a larger document is split piece by piece)
_PIECE = 1 << 20
_EMPTY_FLOW = re.compile(r"\[ *\]|\{ *\}")
#: how a value that is not a plain scalar starts
_NOT_PLAIN = "'\"{[|"


class _Bail(Exception):
    """The document is outside the subset: parse it in full."""


def read_lines(
    data: bytes,
    first_line: int,
    limits: Limits,
    take_item: TakeItem | None = None,
    want_for: WantFor | None = None,
) -> MapNode | None:
    """The root mapping of one document in the subset (node lines are file lines, the
    document's first byte on ``first_line``), or None: parse it in full.

    With ``take_item``, the items of the root mapping's ``items`` sequence are handed to
    it as each ends, and not kept, as ``build_yaml`` does (items already handed to it are
    void when the answer is None); without it, a root ``items`` key answers None.

    With ``want_for`` (``analyzer.sources.wanted``), once the root's ``apiVersion`` and
    ``kind`` are read (and each item of a root ``items``, once its own are), the keys
    that follow are built only as far as its answer says:
    the others are read and checked all the same (the answer is None exactly when it
    would be without ``want_for``; sizes count them) but get no node. A second root
    ``kind`` or ``apiVersion`` after a pruning answer gives None (it could change it)."""
    try:
        if len(data) <= _PIECE:
            rows: Iterable[Row] = _rows(data.decode("utf-8"), first=True, literals=True)
        else:
            rows = chain.from_iterable(_pieces(data))
        return _build(rows, first_line, _Tree(limits, take_item, want_for))
    except (_Bail, UnicodeDecodeError):
        return None


def _rows(text: str, first: bool, literals: bool = False) -> list[Row]:
    """The parts of every line of ``text`` (a ``---`` line first in the document is
    blank); ``_Bail`` for a character or a line outside the grammar. With ``literals``
    (``text`` is the whole document), a literal block scalar of the subset is one row,
    its value ``|`` and the text, and its lines are blank."""
    if _UNUSUAL.search(text) is not None:
        raise _Bail
    start = 0
    if first and text.startswith("---"):
        end = text.find("\n")
        if _MARKER.fullmatch(text, 0, len(text) if end == -1 else end) is None:
            raise _Bail
        if end == -1:
            return [_BLANK]
        start = end + 1
    found: list[tuple[int, Row]] = []
    if literals and "|" in text:
        text, found = _literals(text, start)
    rows = _LINE.findall(text, start)
    if len(rows) != text.count("\n", start) + 1:
        raise _Bail
    for index, row in found:
        rows[index] = row
    if start:
        rows.insert(0, _BLANK)
    return rows


def _literals(text: str, start: int) -> tuple[str, list[tuple[int, Row]]]:
    """``text`` with the lines of each literal block scalar of the subset blank, and the
    row (counted from ``start``) of each: its key and ``|`` before its value. A line that
    only looks like one (inside another, or not read by ``_literal``) is left as it is:
    the line grammar then refuses it, as before."""
    found: list[tuple[int, Row]] = []
    pieces: list[str] = []
    done = 0  # text[:done] is in pieces
    pos = start
    while True:
        tail = _LITERAL_TAIL.search(text, pos)
        if tail is None:
            break
        line_start = text.rfind("\n", 0, tail.start()) + 1
        pos = tail.end()
        header = _LITERAL_HEADER.fullmatch(text, line_start, pos)
        if header is None or line_start < start:
            continue
        read = _literal(text, pos, len(header.group(1)), header.group(3) == "-")
        if read is None:
            continue
        end, value = read
        index = text.count("\n", start, line_start)
        found.append((index, (header.group(1), "", header.group(2), "|" + value)))
        pieces.append(text[done:line_start])
        pieces.append("\n" * text.count("\n", line_start, end))
        done = pos = end
    if not found:
        return text, found
    pieces.append(text[done:])
    return "".join(pieces), found


def _literal(text: str, at: int, col: int, strip: bool) -> tuple[int, str] | None:
    """The literal block scalar whose header line ends at ``at``, its key at ``col``: where
    it ends (the start of the first line after it) and its value, as libyaml's
    ``yaml_parser_scan_block_scalar`` reads it (clip, or strip with ``strip``); None when
    it has no line with text, or its first one is not deeper than the key or than a line
    of spaces before it (left to the full parse). Its indentation is that of its first
    line with text; the lines of spaces before it are line breaks; then lines indented at
    least as deep are its content, lines of spaces no deeper are line breaks, and the
    first less indented line with text ends it."""
    size = len(text)
    if at >= size:
        return None
    pos = at + 1
    blank = 0  # lines of spaces before the first with text
    deepest = 0  # the most spaces on them
    while True:
        end = text.find("\n", pos)
        if end == -1:
            end = size
        first = text[pos:end]
        indent = len(first) - len(first.lstrip(" "))
        if indent < len(first):
            break
        if end == size:
            return None
        blank += 1
        deepest = max(deepest, indent)
        pos = end + 1
    if indent <= col or indent < deepest:
        return None
    parts = ["\n" * blank + first[indent:]]
    leading = "\n" if end < size else ""  # the line break after the last content line
    breaks = 0  # empty lines since it
    pos = end + 1 if end < size else size
    while pos < size:
        end = text.find("\n", pos)
        if end == -1:
            end = size
        line = text[pos:end]
        spaces = len(line) - len(line.lstrip(" "))
        if spaces == len(line) and spaces <= indent:
            if end == size:  # spaces at the very end: no line break to count
                break
            breaks += 1
            pos = end + 1
            continue
        if spaces < indent:
            break
        parts.append(leading + "\n" * breaks + line[indent:])
        leading = "\n" if end < size else ""
        breaks = 0
        pos = end + 1 if end < size else size
    if not strip:
        parts.append(leading)
    return pos, "".join(parts)


def _pieces(data: bytes) -> Iterator[list[Row]]:
    """The rows of a large document a piece of whole lines at a time: the decoded text
    and the parts of all its lines are never held at once (a ``List`` is read in bounded
    memory). A line break is never inside a UTF-8 sequence, so pieces decode alone."""
    start = 0
    while True:
        end = data.find(b"\n", start + _PIECE)
        piece = data[start:] if end == -1 else data[start:end]
        yield _rows(piece.decode("utf-8"), first=start == 0)
        if end == -1:
            return
        start = end + 1


def _scalar(value: str, line: int) -> ScalarNode:
    first = value[0]
    if first == "|":  # a literal block scalar (``_literals``)
        return ScalarNode(share(value[1:]), line, False)
    if first == "'":
        return ScalarNode(share(value[1:-1].replace("''", "'")), line, False)
    if first == '"':
        return ScalarNode(share(value[1:-1]), line, False)
    return ScalarNode(shared_get(value) or share(value), line, True, value in NULL_WORDS)


def _value(value: str, line: int, want: Want | None = None) -> Node:
    """A scalar or a one-line flow collection (its nodes all on ``line``); of a flow
    mapping, only the pairs ``want`` asks for (all when None; the size counts all)."""
    first = value[0]
    if first == "{":
        mapping = MapNode(line)
        found = _PAIRS.findall(value)
        mapping.pairs = [
            (
                ScalarNode(shared_get(k) or share(k), line, True, k in NULL_WORDS),
                _scalar(v, line)
                if v[0] in _NOT_PLAIN
                else ScalarNode(shared_get(v) or share(v), line, True, v in NULL_WORDS),
            )
            for k, v in found
            if want is None or k in want
        ]
        mapping.size = 1 + 2 * len(found)
        return mapping
    if first == "[":
        sequence = SeqNode(line)
        sequence.items = [_scalar(v, line) for v in _ITEMS.findall(value, 1)]
        sequence.size = 1 + len(sequence.items)
        return sequence
    return _scalar(value, line)


#: the key of a mapping that waits for none
_NO_KEY = ScalarNode("", 0, True, True)
#: the want of a value no one reads: read and counted, no node made
_SKIP: Want = {}
#: what the frames of collections no one reads hold in place of their node (never read)
_UNREAD_MAP = MapNode(0)
_UNREAD_SEQ = SeqNode(0)
#: the root keys that say what is wanted
_DECIDING = frozenset({"apiVersion", "kind"})


def _flow_size(value: str) -> int:
    """How many nodes ``_value`` makes of a one-line flow collection."""
    if value[0] == "{":
        return 1 + 2 * len(_PAIRS.findall(value))
    return 1 + len(_ITEMS.findall(value, 1))


class _Frame:
    """An open block mapping or sequence; ``waiting`` for the value of ``key`` (a
    mapping) or for the item after a ``-`` (a sequence), announced on ``wait_line``."""

    __slots__ = (
        "col",
        "handoff",
        "is_map",
        "key",
        "key_want",
        "node",
        "pending",
        "start",
        "wait_line",
        "waiting",
        "want",
    )

    def __init__(
        self, node: MapNode | SeqNode, is_map: bool, col: int, start: int, want: Want | None
    ) -> None:
        self.node = node
        # what is read of this collection: its keys' values (a mapping) or its items
        # (a sequence); ``_SKIP``: nothing, no node is attached
        self.want = want
        self.key_want: Want | None = None  # of the value the mapping waits for
        self.handoff = False  # the root ``items`` sequence: items are handed over
        self.pending: Node | None = None  # its item still open
        self.is_map = is_map
        self.col = col
        self.start = start
        self.waiting = False
        self.key = _NO_KEY
        self.wait_line = 0


class _Decision:
    """What is wanted of one object (the root, or an item of a root ``items``): decided
    once its ``apiVersion`` and ``kind`` are both read."""

    __slots__ = ("api_version", "decided", "kind")

    def __init__(self, decided: bool) -> None:
        self.decided = decided  # the want is known (None: everything)
        self.api_version: ScalarNode | None = None  # while undecided
        self.kind: ScalarNode | None = None

    def take(self, frame: _Frame, key: str, value: Node | None, want_for: WantFor) -> None:
        """The object's ``apiVersion`` or ``kind`` with its value (None: a block value):
        once both are read, ``frame``'s want is decided; a second one after a pruning
        want could change the kind, so the document is left to the full parse."""
        if self.decided:
            if frame.want is not None:
                raise _Bail
            return
        if not isinstance(value, ScalarNode) or value.is_null:
            self.decided = True  # not a string: no pruning
            return
        if key == "kind":
            self.kind = value
        else:
            self.api_version = value
        if self.kind is not None and self.api_version is not None:
            self.decided = True
            frame.want = want_for(self.api_version.value, self.kind.value)


class _Tree:
    """The blocks open at the current line; nodes counted as ``build_yaml`` counts them."""

    def __init__(
        self, limits: Limits, take_item: TakeItem | None, want_for: WantFor | None
    ) -> None:
        self.want_for = want_for
        self.root_decision = _Decision(want_for is None)
        self.item_frame: _Frame | None = None  # the List item open at depth 3, if any
        self.item_decision = self.root_decision
        self.stack: list[_Frame] = []
        self.root: MapNode | None = None
        self.count = 0
        self.max_depth = limits.max_depth
        self.max_nodes = limits.max_nodes
        self.take_item = take_item
        self.items_key: ScalarNode | None = None  # the root's ``items`` key
        self.taken = 0
        self.handed = 0  # nodes in the items handed over (no longer held)

    def held_too_many(self) -> bool:
        return self.count - self.handed > self.max_nodes

    def hand(self, node: Node) -> None:
        assert self.take_item is not None
        self.take_item(self.taken, node)
        self.taken += 1
        self.handed += node.size

    def close_deeper(self, col: int) -> None:
        stack = self.stack
        while stack and stack[-1].col > col:
            self.pop()

    def pop(self) -> None:
        frame = self.stack.pop()
        if frame.waiting:
            self.fill(frame, ScalarNode("", frame.wait_line, True, True))
            self.count += 1
        frame.node.size = self.count - frame.start
        if self.stack and self.stack[-1].pending is frame.node:
            self.stack[-1].pending = None
            self.hand(frame.node)

    def fill(self, frame: _Frame, node: Node, complete: bool = True) -> None:
        """``node`` is the value (or item) ``frame`` waits for; an item of the root
        ``items`` is handed over once ``complete`` (a block collection when it closes)."""
        if frame.handoff:
            if complete:
                self.hand(node)
            else:
                frame.pending = node
        elif frame.is_map:
            if frame.key_want is not _SKIP:
                frame.node.pairs.append((frame.key, node))  # type: ignore[union-attr]
        elif frame.want is not _SKIP:
            frame.node.items.append(node)  # type: ignore[union-attr]
        frame.waiting = False

    def open(self, is_map: bool, col: int, line: int) -> _Frame:
        """A block mapping (or sequence) starting at ``col`` on ``line``: the root, or what
        the top waits for. No node is made for one no one reads."""
        stack = self.stack
        if len(stack) >= self.max_depth - 1:  # a flow collection may sit one deeper
            raise _Bail
        handoff = False
        want: Want | None = None
        if stack:
            top = stack[-1]
            top.waiting = False
            if top.is_map:
                want = top.key_want
                if want is _SKIP:
                    node: MapNode | SeqNode = _UNREAD_MAP if is_map else _UNREAD_SEQ
                elif top.key is self.items_key and len(stack) == 1:
                    if is_map:
                        raise _Bail  # ``items`` that is a mapping: left to the full parse
                    handoff = True
                    node = SeqNode(line)
                    top.node.pairs.append((top.key, node))  # type: ignore[union-attr]
                else:
                    node = MapNode(line) if is_map else SeqNode(line)
                    top.node.pairs.append((top.key, node))  # type: ignore[union-attr]
            else:
                want = top.want
                if want is _SKIP:
                    node = _UNREAD_MAP if is_map else _UNREAD_SEQ
                else:
                    node = MapNode(line) if is_map else SeqNode(line)
                    if top.handoff:
                        top.pending = node
                    else:
                        top.node.items.append(node)  # type: ignore[union-attr]
        elif self.root is None and is_map:
            node = self.root = MapNode(line)
        else:
            raise _Bail  # a second root, or a root that is not a mapping
        frame = _Frame(node, is_map, col, self.count, want)
        frame.handoff = handoff
        if is_map and stack and stack[-1].handoff:  # an item of a List: its own decision
            self.item_frame = frame
            self.item_decision = _Decision(self.want_for is None)
        self.count += 1
        stack.append(frame)
        return frame

    def dash(self, col: int, line: int) -> None:
        """A ``-`` at ``col``: the next item of a sequence, or a new sequence."""
        top = self.stack[-1] if self.stack else None
        if top is None:
            raise _Bail
        if not top.is_map and top.col == col:
            if top.waiting:  # the previous "-" had nothing after it
                self.fill(top, ScalarNode("", top.wait_line, True, True))
                self.count += 1
        elif top.waiting and (col > top.col or (col == top.col and top.is_map)):
            top = self.open(False, col, line)
        else:
            raise _Bail
        top.waiting = True
        top.wait_line = line

    def key_frame(self, col: int, line: int, nested: bool) -> _Frame:
        """The mapping a ``key:`` at ``col`` belongs to (opened if new); ``nested`` when a
        ``-`` on the same line precedes it."""
        stack = self.stack
        if not nested:
            self.close_deeper(col)
            if stack and stack[-1].col == col and not stack[-1].is_map:
                # an indentless sequence ends where its mapping's next key starts
                if len(stack) < 2 or not stack[-2].is_map or stack[-2].col != col:
                    raise _Bail
                self.pop()
        top = stack[-1] if stack else None
        if top is not None and top.col == col and top.is_map:
            if top.waiting:
                self.pop_value(top)
            return top
        if top is None or (top.waiting and col > top.col):
            return self.open(True, col, line)
        raise _Bail

    def pop_value(self, frame: _Frame) -> None:
        """The key ``frame`` waited for has no value: null, on the key's line."""
        self.fill(frame, ScalarNode("", frame.wait_line, True, True))
        self.count += 1


def _build(rows: Iterable[Row], first_line: int, tree: _Tree) -> MapNode:
    stack = tree.stack
    top: _Frame | None = None
    line = first_line - 1
    for indent, dashes, key, value in rows:
        line += 1
        if dashes:
            col = len(indent)
            tree.close_deeper(col)
            for part in dashes.split("-")[1:]:
                tree.dash(col, line)
                col += 1 + len(part)
            if key:
                frame = tree.key_frame(col, line, True)
            elif value:
                frame = stack[-1]
                if frame.want is _SKIP:  # an item no one reads
                    tree.count += _flow_size(value) if value[0] in "{[" else 1
                    frame.waiting = False
                else:
                    node = _value(value, line, frame.want)
                    tree.fill(frame, node)
                    tree.count += node.size
                top = stack[-1]
                if tree.count > tree.max_nodes and tree.held_too_many():
                    raise _Bail  # (a List item still open holds them: not handed yet)
                continue
            else:
                top = stack[-1]
                if tree.count > tree.max_nodes and tree.held_too_many():
                    raise _Bail
                continue
        elif key:
            col = len(indent)
            if top is not None and top.col > col:
                tree.close_deeper(col)
                top = stack[-1] if stack else None
            if top is not None and top.col == col and top.is_map:
                if top.waiting:
                    tree.pop_value(top)
                frame = top
            elif top is not None and top.waiting and col > top.col:
                frame = tree.open(True, col, line)
            else:
                frame = tree.key_frame(col, line, False)
        elif value:
            raise _Bail  # a scalar on a line of its own: a root scalar or a continuation
        else:
            continue  # blank or comment
        # a key of ``frame``, with its value or waiting for it
        want = frame.want
        if want is not None:
            key_want = want.get(key, _SKIP)  # (``_SKIP`` is empty: all of it skipped)
            if key_want is _SKIP:  # read and counted, no node
                if not value:
                    frame.key = _NO_KEY
                    frame.key_want = _SKIP
                    frame.waiting = True
                    frame.wait_line = line
                    tree.count += 1
                elif value[0] in "{[":
                    tree.count += 1 + _flow_size(value)
                else:
                    tree.count += 2
                top = frame
                if tree.count > tree.max_nodes and tree.held_too_many():
                    raise _Bail
                continue
            frame.key_want = key_want
        k = ScalarNode(shared_get(key) or share(key), line, True, key in NULL_WORDS)
        made: Node | None = None  # the value, when on this line
        if not value:
            frame.key = k
            frame.waiting = True
            frame.wait_line = line
            tree.count += 1
        elif value[0] in _NOT_PLAIN:
            made = _value(value, line, frame.key_want if want is not None else None)
            frame.node.pairs.append((k, made))  # type: ignore[union-attr]
            tree.count += 1 + made.size
        else:
            made = ScalarNode(shared_get(value) or share(value), line, True, value in NULL_WORDS)
            frame.node.pairs.append((k, made))  # type: ignore[union-attr]
            tree.count += 2
        if len(stack) == 1:
            if key == "items":  # a List's items, handed over one by one
                if tree.take_item is None or tree.items_key is not None:
                    raise _Bail  # no one to hand them to; a second ``items``
                if value and value[0] in "[{" and _EMPTY_FLOW.fullmatch(value) is None:
                    raise _Bail  # flow items: left to the full parse
                tree.items_key = k
            elif key in _DECIDING and not (tree.root_decision.decided and want is None):
                assert tree.want_for is not None
                tree.root_decision.take(frame, key, made, tree.want_for)
        elif (
            frame is tree.item_frame
            and key in _DECIDING
            and not (tree.item_decision.decided and want is None)
        ):
            assert tree.want_for is not None
            tree.item_decision.take(frame, key, made, tree.want_for)
        top = frame
        if tree.count > tree.max_nodes and tree.held_too_many():
            raise _Bail
    while stack:
        tree.pop()
    if tree.root is None or tree.held_too_many():
        raise _Bail
    return tree.root
