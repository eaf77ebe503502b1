"""Cut a YAML byte stream into its documents without parsing them.

A line that starts with ``---`` (followed by a space, a tab or the end of the line) starts
a document: the YAML spec forbids such a line inside any scalar, so cutting there agrees
with what libyaml does, and each document can then be parsed (or skipped) on its own.
Only the current document is held in memory; one larger than ``max_bytes`` is dropped
while the stream is read on to the next ``---``.

Document numbering follows ``yaml.load_all``: text before the first ``---`` is a document
only when it holds something other than comments; every ``---`` starts one, even empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from analyzer.frozen import Frozen

BLOCK_SIZE = 1 << 20
_MARKER = b"---"
_MARKER_ENDS = frozenset(b" \t\r\n")
_CONTENT_LINE = re.compile(rb"^[ \t]*[^\s#%]", re.MULTILINE)
_DIRECTIVE_LINE = re.compile(rb"^%", re.MULTILINE)


class ByteSource(Protocol):
    """Anything with ``read(size) -> bytes``: a binary file, stdin's buffer, BytesIO."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class RawDocument(Frozen):
    """The bytes of one document and where it starts."""

    index: int  # 0-based, as yaml.load_all counts
    line: int  # 1-based line of its first byte in the file
    data: bytes  # empty when ``oversize``
    oversize: bool = False
    size: int = 0  # bytes seen (also counted when oversize)


class _Builder:
    """Accumulates the current document; yields finished ones."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.index = 0
        self.line = 1  # line of the next byte to be added
        self.parts: list[bytes] = []
        self.size = 0
        self.oversize = False
        self.start_line = 1
        self.explicit = False  # started by a --- line

    def add(self, piece: bytes) -> None:
        if not piece:
            return
        self.line += piece.count(b"\n")
        self.size += len(piece)
        if self.oversize:
            return
        if self.size > self.max_bytes:
            self.oversize = True
            self.parts = []
        else:
            self.parts.append(piece)

    def mark_oversize(self, dropped: int, newlines: int) -> None:
        self.size += dropped
        self.line += newlines
        self.oversize = True
        self.parts = []

    def finish(self, *, at_marker: bool) -> Iterator[RawDocument]:
        """Close the current document (a new one starts at ``self.line`` if ``at_marker``)."""
        data = b"".join(self.parts)
        if not self.explicit and not self.oversize and not _CONTENT_LINE.search(data):
            if at_marker and _DIRECTIVE_LINE.search(data):
                # %YAML / %TAG directives belong to the document this --- starts: keep them
                self.explicit = True
            else:
                self._reset(at_marker)  # comments before the first ---: not a document
            return
        yield RawDocument(self.index, self.start_line, data, self.oversize, self.size)
        self.index += 1
        self._reset(at_marker)

    def _reset(self, at_marker: bool) -> None:
        self.parts = []
        self.size = 0
        self.oversize = False
        self.start_line = self.line
        self.explicit = at_marker


def _is_marker(data: bytes, at: int) -> bool:
    end = at + 3
    return data[at:end] == _MARKER and (end == len(data) or data[end] in _MARKER_ENDS)


def split_documents(stream: ByteSource, max_bytes: int) -> Iterator[RawDocument]:
    """Yield the documents of ``stream`` (a leading UTF-8 BOM is dropped)."""
    builder = _Builder(max_bytes)
    carry = b""
    at_line_start = True
    first = True
    while True:
        block = stream.read(BLOCK_SIZE)
        if not block:
            break
        if first:
            first = False
            if block.startswith(b"\xef\xbb\xbf"):
                block = block[3:]
        data = carry + block if carry else block
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            carry = data
            if len(carry) > max_bytes:  # one enormous line: nothing in it can be a marker
                if at_line_start and _is_marker(carry, 0):
                    yield from builder.finish(at_marker=True)
                builder.mark_oversize(len(carry), 0)
                carry = b""
                at_line_start = False
            continue
        carry = data[cut:]
        yield from _cut(builder, data[:cut] if cut < len(data) else data, at_line_start)
        at_line_start = True
    if carry:
        yield from _cut(builder, carry, at_line_start)
    yield from builder.finish(at_marker=False)


def _cut(builder: _Builder, data: bytes, at_line_start: bool) -> Iterator[RawDocument]:
    pos = 0
    if at_line_start and _is_marker(data, 0):
        yield from builder.finish(at_marker=True)
    found = data.find(b"\n---")
    while found != -1:
        start = found + 1
        if _is_marker(data, start):
            builder.add(data[pos:start])
            pos = start
            yield from builder.finish(at_marker=True)
        found = data.find(b"\n---", start)
    builder.add(data[pos:])
