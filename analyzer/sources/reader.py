"""Read files and stdin document by document, and hand each document to ``extract``.

YAML is streamed: the file is cut into documents as it is read, so memory holds one
document at a time. CustomResourceDefinitions, and core kinds that hold no image (RBAC,
Services...), are recognised from their text and never parsed (``crd``: CRD schemas are
most of the bytes of real installs and hold no image).
JSON is read whole (a JSON file is usually one object or ``List``), up to the document
limit. A file that holds something but no Kubernetes object at all (a values file, plain
data) is an error: such a file must not pass a gate as "no images".
"""

from __future__ import annotations

import codecs
import io
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

from analyzer.model import ImageUse, SourceError, SourceWarning
from analyzer.sources.crd import skip_without_image, tree_is_crd
from analyzer.sources.extract import Origin, extract
from analyzer.sources.files import ManifestFile, SkippedFile, expand
from analyzer.sources.json_tree import build_json, read_json
from analyzer.sources.kinds import Rule
from analyzer.sources.limits import MIB, DocumentError, Limits
from analyzer.sources.listed import ListedItems
from analyzer.sources.render import RenderFolder, RenderOptions
from analyzer.sources.tree import MapNode, Node, ScalarNode, TakeItem, get, text
from analyzer.sources.wanted import want_for
from analyzer.sources.yaml_lines import read_lines
from analyzer.sources.yaml_split import BLOCK_SIZE, ByteSource, RawDocument, split_documents
from analyzer.sources.yaml_tree import build_yaml

STDIN_NAME = "<stdin>"
_SNIFF_BYTES = 8192
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: matched on a stripped line: a trailing ``\s*`` after a lazy ``(.+?)`` backtracked over
#: every run of blanks inside the line (quadratic: 0.2 s for one line of 4 KiB)
_HELM_SOURCE = re.compile(rb"#\s*Source:\s*(.+)")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
Item = ImageUse | SourceError | SourceWarning
NO_OBJECT = (
    "a Kubernetes object (no document has a kind): not a manifest "
    "(a Helm values file or other data?)"
)

NOTHING = "so no image was checked (did the command that wrote it fail?)"


@dataclass
class _Tally:
    """What one path (or one way of reading a file) gave: the no-object check needs it."""

    errors: int = 0
    objects: int = 0
    files: int = 0
    first_content: tuple[str, int] | None = None  # file and line of the first content

    def content(self, name: str, line: int) -> None:
        if self.first_content is None:
            self.first_content = (name, line)


def _no_object(path: str, tally: _Tally) -> SourceError:
    """A path (file, folder or stdin) that held no Kubernetes object: never "0 images, PASS"."""
    if tally.first_content is None:  # empty, blank, comments or bare `---` only
        if tally.files > 1:
            message = f"all of its {tally.files} files are empty or only comments, {NOTHING}"
            return SourceError(path, None, message)
        message = f"holds nothing: it is empty or only comments, {NOTHING}"
        return SourceError(STDIN_NAME if path == "-" else path, None, message)
    name, line = tally.first_content
    if name == path or tally.files <= 1:
        return SourceError(name, line, f"holds no {NO_OBJECT.removeprefix('a ')}")
    return SourceError(path, None, f"none of its {tally.files} files holds {NO_OBJECT}")


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
        skip_non_manifests: bool = False,
    ) -> None:
        self.paths = list(paths)
        #: a path that reads cleanly and holds no Kubernetes object is skipped, not an error
        #: (pre-commit names every changed YAML file: workflows, values files...)
        self.skip_non_manifests = skip_non_manifests
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
            tally = _Tally()
            read_before = self.files_read
            for item in self._read_path(path, tally):
                if isinstance(item, SourceError):
                    tally.errors += 1
                yield item
            if not tally.errors and not tally.objects and (tally.files or path == "-"):
                if self.skip_non_manifests and path != "-" and os.path.isfile(path):
                    # a named file, read cleanly, with no object: skipped as a folder's is
                    self.files_skipped += 1
                    self.files_read = read_before
                    continue
                yield _no_object(path, tally)

    def _read_path(self, path: str, tally: _Tally) -> Iterator[Item]:
        if path == "-":
            yield from self._read_stdin(tally)
            return
        for found in expand(path):
            if isinstance(found, SkippedFile):
                self.files_skipped += 1
            elif isinstance(found, ManifestFile):
                tally.files += 1
                yield from self._read_file(found.path, tally)
            elif isinstance(found, RenderFolder):
                tally.files += 1
                yield from self._read_rendered(found, tally)
            else:
                yield found

    def _read_stdin(self, tally: _Tally) -> Iterator[Item]:
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
        yield from self._read_stream(
            STDIN_NAME, _Rejoined(first, stream), json_name=False, tally=tally
        )

    def _read_rendered(self, folder: RenderFolder, tally: _Tally) -> Iterator[Item]:
        from analyzer.sources.render import render, with_source

        if self.on_file is not None:
            self.on_file(folder.path)
        rendered = render(folder, self.render)
        if isinstance(rendered, SourceError):
            yield rendered
            return
        stream = io.BytesIO(rendered.output)
        for item in self._read_stream(folder.path, stream, json_name=False, tally=tally):
            yield with_source(item, rendered) if isinstance(item, ImageUse) else item

    def _read_file(self, path: str, tally: _Tally) -> Iterator[Item]:
        if self.on_file is not None:
            self.on_file(path)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below, also when abandoned
        except OSError as exc:
            yield SourceError(path, None, f"cannot read: {exc.strerror or exc}")
            return
        try:
            yield from self._read_stream(
                path, handle, json_name=path.lower().endswith(".json"), tally=tally
            )
        except OSError as exc:
            yield SourceError(path, None, f"cannot read: {exc.strerror or exc}")
        finally:
            handle.close()

    def _read_stream(
        self, name: str, stream: ByteSource, *, json_name: bool, tally: _Tally
    ) -> Iterator[Item]:
        head = stream.read(BLOCK_SIZE)
        if head.startswith(_WIDE_BOMS):
            yield from self._read_wide(name, head, stream, json_name=json_name, tally=tally)
            return
        if _is_binary(head[:_SNIFF_BYTES]):
            nul = head.find(b"\x00")
            line = 1 + head.count(b"\n", 0, nul)
            yield SourceError(name, line, "binary data, not a YAML or JSON text (NUL byte)")
            return
        body = _Rejoined(head, stream)
        if not (json_name or _looks_like_json(head)):
            self.files_read += 1
            yield from self._read_yaml(name, body, tally)
            return
        data = body.read_all(self.limits.max_document_bytes)
        if data is None:
            yield SourceError(name, 1, f"larger than {_mib(self.limits)} MiB; skipped")
            return
        yield from self._read_whole(name, data, json_name=json_name, tally=tally)

    def _read_wide(
        self, name: str, head: bytes, stream: ByteSource, *, json_name: bool, tally: _Tally
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
        yield from self._read_whole(name, decoded.encode("utf-8"), json_name=json_name, tally=tally)

    def _read_whole(
        self, name: str, data: bytes, *, json_name: bool, tally: _Tally
    ) -> Iterator[Item]:
        """A file held in memory. JSON if it is named ``.json``; a file that only starts
        like JSON is read both ways when JSON fails, and the reading that finds more
        objects wins, then the one with fewer errors (``{"a": 1}`` then ``---``, or a YAML
        flow mapping, are YAML; a JSON stream with a value cut short stays JSON)."""
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
            yield from self._read_yaml(name, _Rejoined(data, io.BytesIO()), tally)
            return
        json_tally = _Tally()
        as_json = list(self._read_json(name, text, json_tally))
        chosen, chosen_tally = as_json, json_tally
        if not json_name and _errors(as_json):
            yaml_tally = _Tally()
            as_yaml = list(self._read_yaml(name, _Rejoined(data, io.BytesIO()), yaml_tally))
            if (-yaml_tally.objects, _errors(as_yaml)) < (-json_tally.objects, _errors(as_json)):
                chosen, chosen_tally = as_yaml, yaml_tally
        tally.objects += chosen_tally.objects
        if chosen_tally.first_content is not None:
            tally.content(*chosen_tally.first_content)
        yield from chosen

    def _read_json(self, name: str, text: str, tally: _Tally) -> Iterator[Item]:
        limits = self.limits
        listing: dict[int, ListedItems] = {}

        def take_for(index: int) -> TakeItem:
            listing[index] = ListedItems(Origin(name, index), limits, self.rules)
            return listing[index].take

        for document in read_json(text, limits, take_for):
            listed = listing.pop(document.index, None)
            if document.error is not None:
                yield SourceError(name, document.error.line, document.error.message)
                continue
            root = document.root
            uses = listed.uses([root]) if listed is not None and listed.taken else None
            if listed is not None and listed.taken and uses is None:  # the full parse
                root = build_json(text, document.span, document.line, limits)
            if not _counts(root, name, document.line, tally) or tree_is_crd(root):
                continue
            origin = Origin(name, document.index)
            yield from (
                uses
                if uses is not None
                else _extract(root, origin, document.line, limits, self.rules)
            )

    def _read_yaml(self, name: str, stream: ByteSource, tally: _Tally) -> Iterator[Item]:
        limits = self.limits
        want = None if self.rules else want_for
        for raw in split_documents(stream, limits.max_document_bytes):
            if raw.oversize:
                yield SourceError(
                    name,
                    raw.line,
                    f"document {raw.index} is larger than {_mib(limits)} MiB; skipped",
                )
                continue
            nul = raw.data.find(b"\x00")
            if nul != -1:
                line = raw.line + raw.data.count(b"\n", 0, nul)
                yield SourceError(name, line, "binary data (NUL byte); document skipped")
                continue
            if skip_without_image(raw.data, limits, self.rules):
                tally.content(name, raw.line)
                tally.objects += 1
                continue
            origin = Origin(name, raw.index, helm_source(raw))
            listed = ListedItems(origin, limits, self.rules)
            # fast (building only what extraction reads, unless user rules read more), or None
            simple = read_lines(raw.data, raw.line, limits, listed.take, want)
            roots: list[Node | None] = [simple]
            uses: Sequence[Item] | None = (
                listed.uses(roots) if simple is not None and listed.taken else None
            )
            if simple is None or (listed.taken and uses is None):  # the full parse
                try:
                    roots, uses = self._parse_yaml(raw, origin)
                except DocumentError as exc:
                    message = exc.message
                    if message.startswith("invalid YAML") and b"{{" in raw.data:
                        message += " (a template that was not rendered?)"
                    yield SourceError(name, exc.line, message)
                    continue
            for root in roots:
                if not _counts(root, name, raw.line, tally) or tree_is_crd(root):
                    continue
                yield from (
                    uses
                    if uses is not None
                    else _extract(root, origin, raw.line, limits, self.rules)
                )

    def _parse_yaml(
        self, raw: RawDocument, origin: Origin
    ) -> tuple[list[Node | None], Sequence[Item] | None]:
        """The full parse of a document: its roots, and the uses of a ``List``'s items
        (read one by one as the parser ends each), or None when the roots are to be read."""
        listed = ListedItems(origin, self.limits, self.rules)
        roots = build_yaml(raw.data, raw.line, self.limits, listed.take)
        uses = listed.uses(roots) if listed.taken else None
        if listed.taken and uses is None:  # not a List after all: read it whole
            roots = build_yaml(raw.data, raw.line, self.limits)
        return roots, uses


def _extract(
    root: Node | None, origin: Origin, line: int, limits: Limits, rules: Sequence[Rule]
) -> Sequence[Item]:
    """``extract``, with a last guard: input depth must never crash the run."""
    try:
        return extract(root, origin, limits, rules)
    except RecursionError:
        return [SourceError(origin.file, line, "nested too deeply to read; document skipped")]


def _counts(root: Node | None, name: str, line: int, tally: _Tally) -> bool:
    """Tally a document: False for an empty one (nothing to extract)."""
    if root is None or (isinstance(root, ScalarNode) and root.is_null):
        return False
    tally.content(name, line)
    if isinstance(root, MapNode) and text(get(root, "kind")):
        tally.objects += 1
    return True


def _is_binary(head: bytes) -> bool:
    """A NUL in text that is not UTF-8, or among many control bytes: not a text file.

    A NUL in an otherwise good text file is an error of its document only (wherever it is).
    """
    if b"\x00" not in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut at the end of the block
            return True
    return len(_CONTROL.findall(head)) * 8 > len(head)


def _looks_like_json(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def _errors(items: list[Item]) -> int:
    return sum(isinstance(item, SourceError) for item in items)


def _mib(limits: Limits) -> str:
    return f"{limits.max_document_bytes / MIB:g}"


def helm_source(raw: RawDocument) -> str | None:
    """The ``# Source: chart/templates/x.yaml`` comment ``helm template`` puts on top."""
    data = raw.data
    end = min(len(data), 4096)
    start = 0
    while start < end:  # the lines of data[:4096], one at a time (without splitting it)
        cut = data.find(b"\n", start, end)
        if cut == -1:
            cut = end
        stripped = data[start:cut].strip()
        start = cut + 1
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
