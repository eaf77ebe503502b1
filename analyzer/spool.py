"""Uses held compactly: the first few of each list in memory, the rest in a temporary file.

300 MiB of small Pods name one image about 2.4 million times; held as ``ImageUse`` objects
those uses would take some 650 MB. A ``UseList`` keeps the first ``KEEP`` uses of a list in
memory (what the table, Markdown and ``explain`` show) and writes the others, one JSON line
each, to the scan's ``Spool``: one anonymous temporary file (``tempfile.TemporaryFile``: no
name on Linux, removed when it is closed or the process ends), written in order and read
back in order. A ``UseList`` is a read-only ``Sequence[ImageUse]``: ``len`` is its count and
iterating reads the spooled part back, so the report's formats and the Python API see every
use while memory holds 8 bytes (a file offset) for each one past the first ``KEEP``.

``UseGroups`` is what the engine feeds the stream of uses into: one ``UseList`` per pulled
image, and one for the invalid and unresolved uses.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import threading
from array import array
from collections.abc import Iterable, Iterator, Sequence
from operator import attrgetter
from typing import IO, Any, overload

from analyzer.json_stream import scalars_encoder
from analyzer.model import ImageUse
from analyzer.reference import ImageRef

#: uses of one list held in memory: the table and Markdown show 3 (4 when that is all)
KEEP = 4
#: how much of the spool one read takes (uses of one image are mostly close together)
CHUNK = 1 << 16

#: every field of ``ImageUse`` but ``image`` (written as an index into the spool's refs)
_FIELDS = tuple(name for name in ImageUse.__dataclass_fields__ if name != "image")
_VALUES = attrgetter(*_FIELDS)
_encode = scalars_encoder(",", ":")  # ASCII: lone surrogates and line ends are escaped
assert tuple(ImageUse.__dataclass_fields__)[:2] == ("raw", "image")


class Spool:
    """The temporary file of one scan's uses past each list's first ``KEEP``; created on the
    first such use, so that small scans never touch the disk."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._end = 0
        self._unflushed = False
        self._moved = False  # a read (without os.pread) moved the file's position
        self._lock = threading.Lock()
        self._refs: list[ImageRef] = []  # each distinct parsed reference once
        self._ref_index: dict[ImageRef, int] = {}

    def __del__(self) -> None:
        # not ``weakref.finalize``: a class compiled by mypyc cannot be weakly referenced
        if self._file is not None:
            self._file.close()

    def write(self, use: ImageUse) -> int:
        """Append ``use``; its offset in the file."""
        ref = None
        if use.image is not None:
            ref = self._ref_index.get(use.image)
            if ref is None:
                ref = self._ref_index[use.image] = len(self._refs)
                self._refs.append(use.image)
        line = _encode([ref, *_VALUES(use)]).encode("ascii") + b"\n"
        if self._file is None:
            self._file = _temporary_file()  # closed by ``__del__``, with the last list
        if self._moved:
            self._file.seek(self._end)
            self._moved = False
        self._file.write(line)
        self._unflushed = True
        offset = self._end
        self._end += len(line)
        return offset

    def read(self, offsets: Iterable[int]) -> Iterator[ImageUse]:
        """The uses written at ``offsets``, in that order (each read is a chunk of the file:
        several uses for one read when they are close)."""
        chunk, start = b"", 0
        for offset in offsets:
            at = offset - start
            end = chunk.find(b"\n", at) if 0 <= at < len(chunk) else -1
            if end < 0:
                chunk, start, at = self._chunk(offset), offset, 0
                end = chunk.index(b"\n")
            yield self._use(chunk[at:end])

    def _chunk(self, offset: int) -> bytes:
        """The file from ``offset`` on, at least one whole line of it."""
        assert self._file is not None, "a use was read from an empty spool"
        if self._unflushed:
            with self._lock:
                self._file.flush()
                self._unflushed = False
        size = CHUNK
        while True:
            chunk = self._read(offset, size)
            if b"\n" in chunk or offset + len(chunk) >= self._end:
                return chunk
            size *= 2

    def _read(self, offset: int, size: int) -> bytes:
        """``size`` bytes at ``offset``: ``os.pread`` leaves the file's position alone, so
        that readers in several threads do not disturb each other."""
        assert self._file is not None
        if _PREAD is not None and not isinstance(self._file, io.BytesIO):
            data: bytes = _PREAD(self._file.fileno(), size, offset)
            return data
        with self._lock:
            self._moved = True
            self._file.seek(offset)
            return self._file.read(size)

    def _use(self, line: bytes) -> ImageUse:
        ref, raw, *rest = json.loads(line)
        return ImageUse(raw, None if ref is None else self._refs[ref], *rest)


_PREAD = getattr(os, "pread", None)  # POSIX


def _temporary_file() -> IO[bytes]:
    """An anonymous temporary file, open as long as the report is (closed, and gone, when
    it is collected); in memory when none can be made (no writable temporary folder), so
    that the scan still answers, only without the bound on memory."""
    try:
        return tempfile.TemporaryFile(prefix="image-coverage-uses-")
    except OSError:
        return io.BytesIO()


class UseList(Sequence[ImageUse]):
    """The uses of one image (or the invalid ones) in input order: the first ``KEEP`` in
    memory, the others in the spool. Built by ``append``, then only read."""

    __slots__ = ("_kept", "_offsets", "_seen", "_spool", "spellings")

    def __init__(self, spool: Spool, *, spellings: bool = False) -> None:
        self._kept: list[ImageUse] = []
        self._offsets = array("q")
        self._spool = spool
        # with ``spellings``: each distinct (raw, image) of the valid uses, in order of
        # first use, what a report needs of every use to route it (short names are told by
        # the raw text); a set beside it once there are many (one image written in many ways)
        self.spellings: list[tuple[str, ImageRef]] | None = [] if spellings else None
        self._seen: set[tuple[str, ImageRef]] | None = None

    def append(self, use: ImageUse) -> None:
        if use.image is not None and self.spellings is not None:
            self._spelled((use.raw, use.image), self.spellings)
        if len(self._kept) < KEEP:
            self._kept.append(use)
        else:
            self._offsets.append(self._spool.write(use))

    def _spelled(
        self, spelling: tuple[str, ImageRef], spellings: list[tuple[str, ImageRef]]
    ) -> None:
        if spellings and spellings[-1] == spelling:
            return
        if self._seen is not None:
            if spelling in self._seen:
                return
            self._seen.add(spelling)
        elif spelling in spellings:
            return
        elif len(spellings) >= 8:
            self._seen = {*spellings, spelling}
        spellings.append(spelling)

    def __len__(self) -> int:
        return len(self._kept) + len(self._offsets)

    def __iter__(self) -> Iterator[ImageUse]:
        yield from self._kept
        if self._offsets:
            yield from self._spool.read(self._offsets)

    @overload
    def __getitem__(self, index: int) -> ImageUse: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[ImageUse, ...]: ...

    def __getitem__(self, index: int | slice) -> ImageUse | tuple[ImageUse, ...]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1 and stop <= len(self._kept):
                return tuple(self._kept[start:stop])
            wanted = range(start, stop, step)
            return tuple(self[i] for i in wanted)
        count = len(self)
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError("use index out of range")
        if index < len(self._kept):
            return self._kept[index]
        return next(self._spool.read([self._offsets[index - len(self._kept)]]))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"UseList({len(self)} uses)"

    def __reduce__(self) -> tuple[Any, ...]:  # pickled and copied as the tuple it reads as
        return (tuple, (tuple(self),))


class UseGroups:
    """Uses grouped as the report shows them: by pulled image, and the invalid or unresolved
    ones apart; uses whose field is out of ``classes`` are dropped, valid or not."""

    def __init__(self, classes: Iterable[str]) -> None:
        self.classes = frozenset(classes)
        self.spool = Spool()
        self.images: dict[str, UseList] = {}
        self.invalid = UseList(self.spool)

    def add(self, use: ImageUse) -> None:
        if use.scope not in self.classes:
            return
        if use.image is None:
            self.invalid.append(use)
            return
        key = use.image.pull_ref
        uses = self.images.get(key)
        if uses is None:
            uses = self.images[key] = UseList(self.spool, spellings=True)
        uses.append(use)

    def extend(self, uses: Iterable[ImageUse]) -> None:
        for use in uses:
            self.add(use)

    def sorted_images(self) -> Sequence[UseList]:
        return [self.images[key] for key in sorted(self.images)]
