"""Read files and stdin document by document, and hand each document to ``extract``.

YAML is streamed: the file is cut into documents as it is read, so memory holds one
document at a time. CustomResourceDefinitions are recognised from their text and never
parsed (their schemas are most of the bytes of real installs and hold no image). JSON is
read whole (a JSON file is usually one object or ``List``), up to the document limit.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TextIO

from analyzer.model import ImageUse, SourceError, SourceWarning
from analyzer.sources.extract import Origin, extract
from analyzer.sources.files import ManifestFile, SkippedFile, expand
from analyzer.sources.json_tree import read_json
from analyzer.sources.kinds import Rule
from analyzer.sources.limits import MIB, DocumentError, Limits
from analyzer.sources.render import RenderFolder, RenderOptions
from analyzer.sources.yaml_split import BLOCK_SIZE, ByteSource, RawDocument, split_documents
from analyzer.sources.yaml_tree import build_yaml

STDIN_NAME = "<stdin>"
_SNIFF_BYTES = 8192
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_HELM_SOURCE = re.compile(rb"#\s*Source:\s*(.+?)\s*")
_CRD_KIND = re.compile(
    rb"^kind:[ \t]*([\"']?)CustomResourceDefinition\1[ \t]*(?:#.*)?\r?$", re.MULTILINE
)
_CRD_GROUP = re.compile(rb"^apiVersion:[ \t]*[\"']?apiextensions\.k8s\.io/", re.MULTILINE)
Item = ImageUse | SourceError | SourceWarning


class SourceScan:
    """An iterator over the uses and errors of ``paths``; counts files as it goes."""

    def __init__(
        self,
        paths: Sequence[str],
        *,
        stdin: TextIO | None = None,
        on_file: Callable[[str], None] | None = None,
        limits: Limits | None = None,
        rules: Sequence[Rule] = (),
        render: RenderOptions | None = None,
    ) -> None:
        self.paths = list(paths)
        self.stdin = stdin
        self.on_file = on_file
        self.limits = limits or Limits()
        self.rules = tuple(rules)  # user rules from the settings file
        self.render = render or RenderOptions()
        self.files_read = 0
        self.files_skipped = 0
        self._items = self._scan()

    def __iter__(self) -> Iterator[Item]:
        return self

    def __next__(self) -> Item:
        return next(self._items)

    def _scan(self) -> Iterator[Item]:
        for path in self.paths:
            if path == "-":
                yield from self._read_stdin()
                continue
            for found in expand(path):
                if isinstance(found, SkippedFile):
                    self.files_skipped += 1
                elif isinstance(found, ManifestFile):
                    yield from self._read_file(found.path)
                elif isinstance(found, RenderFolder):
                    yield from self._read_rendered(found)
                else:
                    yield found

    def _read_stdin(self) -> Iterator[Item]:
        if self.on_file is not None:
            self.on_file(STDIN_NAME)
        if self.stdin is None:
            yield SourceError(STDIN_NAME, None, "no standard input to read")
            return
        binary = getattr(self.stdin, "buffer", None)
        stream: ByteSource
        if binary is not None:
            stream = binary
        else:
            try:
                stream = io.BytesIO(self.stdin.read().encode("utf-8", "surrogateescape"))
            except (OSError, UnicodeError) as exc:
                yield SourceError(STDIN_NAME, None, f"cannot read: {exc}")
                return
        first = stream.read(1)
        if not first:  # a pipe whose producer failed must not pass the gate as "no images"
            yield SourceError(
                STDIN_NAME,
                None,
                "standard input is empty: nothing to scan (did the command before the pipe fail?)",
            )
            return
        yield from self._read_stream(STDIN_NAME, _Rejoined(first, stream), json_name=False)

    def _read_rendered(self, folder: RenderFolder) -> Iterator[Item]:
        from analyzer.sources.render import render, with_source

        if self.on_file is not None:
            self.on_file(folder.path)
        rendered = render(folder, self.render)
        if isinstance(rendered, SourceError):
            yield rendered
            return
        for item in self._read_stream(folder.path, io.BytesIO(rendered.output), json_name=False):
            yield with_source(item, rendered) if isinstance(item, ImageUse) else item

    def _read_file(self, path: str) -> Iterator[Item]:
        if self.on_file is not None:
            self.on_file(path)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below, also when abandoned
        except OSError as exc:
            yield SourceError(path, None, f"cannot read: {exc.strerror or exc}")
            return
        try:
            yield from self._read_stream(path, handle, json_name=path.lower().endswith(".json"))
        except OSError as exc:
            yield SourceError(path, None, f"cannot read: {exc.strerror or exc}")
        finally:
            handle.close()

    def _read_stream(self, name: str, stream: ByteSource, *, json_name: bool) -> Iterator[Item]:
        head = stream.read(BLOCK_SIZE)
        if head.startswith(_WIDE_BOMS):
            yield from self._read_wide(name, head, stream, json_name=json_name)
            return
        nul = head.find(b"\x00", 0, _SNIFF_BYTES)
        if nul != -1:
            line = 1 + head.count(b"\n", 0, nul)
            yield SourceError(name, line, "binary data, not a YAML or JSON text (NUL byte)")
            return
        body = _Rejoined(head, stream)
        if not (json_name or _looks_like_json(head)):
            self.files_read += 1
            yield from self._read_yaml(name, body)
            return
        data = body.read_all(self.limits.max_document_bytes)
        if data is None:
            yield SourceError(name, 1, f"larger than {_mib(self.limits)} MiB; skipped")
            return
        yield from self._read_whole(name, data, json_name=json_name)

    def _read_wide(
        self, name: str, head: bytes, stream: ByteSource, *, json_name: bool
    ) -> Iterator[Item]:
        """UTF-16 and UTF-32 files (with a byte order mark): decoded whole, then read."""
        data = _Rejoined(head, stream).read_all(self.limits.max_document_bytes)
        if data is None:
            yield SourceError(name, 1, f"larger than {_mib(self.limits)} MiB; skipped")
            return
        encoding = "utf-32" if data.startswith(_WIDE_BOMS[:2]) else "utf-16"
        try:
            decoded = data.decode(encoding)
        except UnicodeDecodeError as exc:
            yield SourceError(name, None, f"not {encoding.upper()} text ({exc.reason}); skipped")
            return
        yield from self._read_whole(name, decoded.encode("utf-8"), json_name=json_name)

    def _read_whole(self, name: str, data: bytes, *, json_name: bool) -> Iterator[Item]:
        """A file held in memory. JSON if it is named ``.json``; a file that only starts
        like JSON is read both ways when JSON fails, and the reading with fewer errors
        wins (``{"a": 1}`` then ``---``, or a YAML flow mapping, are YAML)."""
        try:
            text = data.decode("utf-8-sig") if json_name or _looks_like_json(data) else None
        except UnicodeDecodeError as exc:
            if json_name:  # a JSON file is decoded whole: nothing of it can be read
                line = 1 + data.count(b"\n", 0, exc.start)
                yield SourceError(name, line, f"not UTF-8 text ({exc.reason}); skipped")
                return
            text = None  # YAML says which documents are not UTF-8
        self.files_read += 1
        if text is None:
            yield from self._read_yaml(name, _Rejoined(data, io.BytesIO()))
            return
        as_json = list(self._read_json(name, text))
        if json_name or not _errors(as_json):
            yield from as_json
            return
        as_yaml = list(self._read_yaml(name, _Rejoined(data, io.BytesIO())))
        yield from as_yaml if _errors(as_yaml) < _errors(as_json) else as_json

    def _read_json(self, name: str, text: str) -> Iterator[Item]:
        for document in read_json(text, self.limits):
            if document.error is not None:
                yield SourceError(name, document.error.line, document.error.message)
            else:
                yield from extract(
                    document.root, Origin(name, document.index), self.limits, self.rules
                )

    def _read_yaml(self, name: str, stream: ByteSource) -> Iterator[Item]:
        limits = self.limits
        for raw in split_documents(stream, limits.max_document_bytes):
            if raw.oversize:
                yield SourceError(
                    name,
                    raw.line,
                    f"document {raw.index} is larger than {_mib(limits)} MiB; skipped",
                )
                continue
            if _is_crd(raw.data):
                continue
            try:
                roots = build_yaml(raw.data, raw.line, limits)
            except DocumentError as exc:
                message = exc.message
                if message.startswith("invalid YAML") and b"{{" in raw.data:
                    message += " (a template that was not rendered?)"
                yield SourceError(name, exc.line, message)
                continue
            origin = Origin(name, raw.index, helm_source(raw))
            for root in roots:
                yield from extract(root, origin, limits, self.rules)


def _looks_like_json(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def _errors(items: list[Item]) -> int:
    return sum(isinstance(item, SourceError) for item in items)


def _mib(limits: Limits) -> str:
    return f"{limits.max_document_bytes / MIB:g}"


def _is_crd(data: bytes) -> bool:
    """A CustomResourceDefinition, told from its top-level ``kind`` and ``apiVersion``."""
    return (
        b"CustomResourceDefinition" in data
        and _CRD_KIND.search(data) is not None
        and _CRD_GROUP.search(data) is not None
    )


def helm_source(raw: RawDocument) -> str | None:
    """The ``# Source: chart/templates/x.yaml`` comment ``helm template`` puts on top."""
    for line in raw.data[:4096].split(b"\n"):
        stripped = line.strip()
        if not stripped or stripped.startswith(b"---"):
            continue
        if not stripped.startswith(b"#"):
            return None
        found = _HELM_SOURCE.fullmatch(stripped)
        if found is not None:
            return found.group(1).decode("utf-8", "replace")
    return None


class _Rejoined:
    """``head`` (already read) followed by the rest of ``stream``."""

    def __init__(self, head: bytes, stream: ByteSource) -> None:
        self._head = head
        self._stream = stream

    def read(self, size: int = -1, /) -> bytes:
        if self._head:
            if size < 0 or size >= len(self._head):
                head, self._head = self._head, b""
                if size < 0:
                    return head + self._stream.read()
                return head
            head, self._head = self._head[:size], self._head[size:]
            return head
        return self._stream.read(size)

    def read_all(self, limit: int) -> bytes | None:
        """Everything, or None when it is larger than ``limit``."""
        parts: list[bytes] = []
        total = 0
        while True:
            block = self.read(BLOCK_SIZE)
            if not block:
                return b"".join(parts)
            total += len(block)
            if total > limit:
                return None
            parts.append(block)
