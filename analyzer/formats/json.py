"""``json``: the stable document of ``Report.to_dict()`` (``schema_version`` 1).

Its JSON Schema ships with the package: ``analyzer/data/report.schema.json``. Written as it
is made (``analyzer.json_stream``): the uses are read back one at a time. The images are
written straight from their ``ImageResult`` objects (``_Images.array``): the text of walking
each ``ImageResult.to_dict()``, without building the dicts and testing the type of each
value: the constant text around the values (keys, indentation) is made once per report
(``_Layout``), each image is one f-string of it and its values, each use too (a test
compares the two on every shape of image; a report whose images have other keys than these,
or are of a subclass, is walked as before, and so is a use of a subclass or of a value of
another type than its field's).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from json.encoder import encode_basestring_ascii
from typing import TextIO

from analyzer.json_stream import Encoded, Indented, write_json
from analyzer.model import Attempt, ImageUse
from analyzer.report import ImageResult, Report

#: the keys of ``ImageResult.to_dict()``, in order, that ``_Images`` writes
IMAGE_KEYS = (
    "image",
    "name",
    "registry",
    "status",
    "ignored",
    "resolve_host",
    "content_host",
    "hosts_file",
    "reason",
    "stands_for",
    "warnings",
    "attempts",
    "probes",
    "advice",
    "uses",
)


def render(report: Report, out: TextIO, *, color: bool = False) -> None:
    document = report.to_dict(lazy=True)
    images = report.images
    if (
        images
        and all(type(r) is ImageResult for r in images)
        and tuple(images[0].to_dict(lazy=True)) == IMAGE_KEYS
    ):
        document["images"] = Encoded(functools.partial(_Images().array, images))
    write_json(document, out)
    out.write("\n")


#: values kept encoded at most (then forgotten: a long report's unique sentences)
_KEPT = 4096


class _Layout:
    """The constant text of an image at one level of the document: each key with the
    indentation and comma before it, the openings and closings of its attempts and uses
    (written as ``Indented`` would write them), and the attempts seen (``_AttemptText``)."""

    def __init__(self, unit: str, level: int) -> None:
        self.unit = unit
        self.level = level
        i1 = "\n" + unit * (level + 1)  # the image's keys
        i2 = "\n" + unit * (level + 2)  # an attempt or a use (array items)
        i3 = "\n" + unit * (level + 3)  # their keys
        key = {name: f',{i1}"{name}": ' for name in IMAGE_KEYS}
        self.image = "{" + i1 + '"image": '
        self.name = key["name"]
        self.registry = key["registry"]
        self.status = key["status"]
        self.ignored = key["ignored"]
        self.resolve_host = key["resolve_host"]
        self.content_host = key["content_host"]
        self.hosts_file = key["hosts_file"]
        self.reason = key["reason"]
        self.stands_for = key["stands_for"]
        self.warnings = key["warnings"]
        self.attempts = key["attempts"]
        self.probes = key["probes"]
        self.advice = key["advice"]
        self.uses = key["uses"]
        # the attempts: ``Indented.flat_dicts`` of their dicts
        self.attempt_phase = "{" + i3 + '"phase": '
        self.attempt_host = "," + i3 + '"host": '
        self.attempt_outcome = "," + i3 + '"outcome": '
        self.attempt_detail = "," + i3 + '"detail": '
        self.attempt_end = i2 + "}"
        self.attempts_first = "[" + i2
        self.attempts_next = "," + i2
        self.attempts_close = i1 + "]"
        # the uses: each ``Indented.flat_item`` of ``ImageUse.to_dict()`` (``USE_KEYS``)
        self.use_indent = i2
        self.use_raw = i2 + "{" + i3 + '"raw": '
        use_key = {name: f',{i3}"{name}": ' for name in USE_KEYS}
        self.use_image = use_key["image"]
        self.use_class = use_key["class"]
        self.use_file = use_key["file"]
        self.use_line = use_key["line"]
        self.use_document = use_key["document"]
        self.use_kind = use_key["kind"]
        self.use_api_version = use_key["api_version"]
        self.use_namespace = use_key["namespace"]
        self.use_name = use_key["name"]
        self.use_container = use_key["container"]
        self.use_field = use_key["field"]
        self.use_source = use_key["source"]
        self.use_reason = use_key["reason"]
        self.use_found_in = use_key["found_in"]
        self.use_end = i2 + "}"
        self.uses_close = i1 + "]\n" + unit * level + "}"
        self.no_uses = "[]\n" + unit * level + "}"
        self.attempt_texts: dict[tuple[str, str, str], _AttemptText] = {}


class _AttemptText:
    """The text of an attempt of one phase, host and outcome up to its ``detail``, and the
    whole text with the last detail written (the same for every image of a registry whose
    attempt quotes no URL: written once)."""

    def __init__(self, head: str) -> None:
        self.head = head
        self.detail: str | None = None
        self.text = ""  # none yet


class _Images:
    """Writes the images of one report. The values images and uses share (registry, status,
    hosts, the sentence most routes of a registry repeat; a use's file, kind, namespace,
    field...) are encoded once and kept (bounded); each image's own names each time, once
    for the image and its uses that spell it so."""

    def __init__(self, kept: int = _KEPT) -> None:
        self.kept = kept
        self._encoded: dict[str, str] = {}
        self._layout: _Layout | None = None

    def _shared(self, value: str) -> str:
        """``encode_basestring_ascii(value)``, kept for the next image."""
        found = self._encoded.get(value)
        if found is None:
            if len(self._encoded) >= self.kept:
                self._encoded.clear()
            found = self._encoded[value] = encode_basestring_ascii(value)
        return found

    def layout(self, unit: str, level: int) -> _Layout:
        """The constant text at ``level`` (made again, its attempts forgotten, when the
        writer is used at another)."""
        layout = self._layout
        if layout is None or layout.unit != unit or layout.level != level:
            layout = self._layout = _Layout(unit, level)
        return layout

    def array(self, images: Sequence[ImageResult], indented: Indented, level: int) -> Iterator[str]:
        """The array of ``images`` at ``level``, as ``indented`` walks it: a piece per image
        (a piece per ``_USES_A_PIECE`` uses past that), with no dict built."""
        layout = self.layout(indented.unit, level + 1)
        inner = "\n" + indented.unit * (level + 1)
        separator = "[" + inner
        for result in images:
            pull_ref = result.ref.pull_ref
            image = encode_basestring_ascii(pull_ref)
            pieces = [self._head(result, layout, indented, separator, image)]
            separator = "," + inner
            use_separator = "["
            for use in result.uses:
                text = (
                    self._use(use, layout, use_separator, pull_ref, image)
                    if type(use) is ImageUse
                    else None
                )
                if text is None:  # another class, or a value of another type: walked
                    walked = "".join(indented.pieces(use.to_dict(), level + 3))
                    text = f"{use_separator}{layout.use_indent}{walked}"
                pieces.append(text)
                use_separator = ","
                if len(pieces) >= _USES_A_PIECE:
                    yield "".join(pieces)
                    pieces.clear()
            pieces.append(layout.no_uses if use_separator == "[" else layout.uses_close)
            yield "".join(pieces)
        yield "[]" if separator[0] == "[" else "\n" + indented.unit * level + "]"

    def _head(
        self,
        result: ImageResult,
        layout: _Layout,
        indented: Indented,
        separator: str,
        image: str,
    ) -> str:
        """``separator``, then the text of ``result.to_dict()`` up to its uses (``image``:
        its ``pull_ref`` encoded)."""
        route, ref = result.route, result.ref
        level = layout.level
        resolve, content, hosts_file = route.resolve_host, route.content_host, route.hosts_file
        reason, stands_for = route.reason, route.stands_for
        warnings, attempts = route.warnings, route.attempts
        # no warnings, probes or advice, the usual case, without a walk
        warnings_text = indented.flat_item(list(warnings), level + 1) if warnings else "[]"
        probes = result.probes
        probes_text = (
            "".join(indented.pieces([p.to_dict() for p in probes], level + 1)) if probes else "[]"
        )
        advice = result.advice
        advice_text = (
            "null" if advice is None else "".join(indented.pieces(advice.to_dict(), level + 1))
        )
        return (  # ImageResult's properties, without their calls
            f"{separator}{layout.image}{image}"
            f"{layout.name}{encode_basestring_ascii(ref.name)}"
            f"{layout.registry}{self._shared(route.registry or ref.domain)}"
            f"{layout.status}{self._shared(route.status)}"
            f"{layout.ignored}{'true' if result.ignored else 'false'}"
            f"{layout.resolve_host}{'null' if resolve is None else self._shared(resolve)}"
            f"{layout.content_host}{'null' if content is None else self._shared(content)}"
            f"{layout.hosts_file}{'null' if hosts_file is None else self._shared(hosts_file)}"
            f"{layout.reason}{'null' if reason is None else self._shared(reason)}"
            f"{layout.stands_for}"
            f"{'null' if stands_for is None else encode_basestring_ascii(stands_for)}"
            f"{layout.warnings}{warnings_text}"
            f"{layout.attempts}{self._attempts(attempts, layout) if attempts else '[]'}"
            f"{layout.probes}{probes_text}{layout.advice}{advice_text}{layout.uses}"
        )

    def _attempts(self, attempts: Sequence[Attempt], layout: _Layout) -> str:
        """The non-empty array of ``attempts``: the same bytes as ``Indented.flat_dicts``
        of their dicts, with no dict built."""
        texts = layout.attempt_texts
        encode = encode_basestring_ascii
        separator = layout.attempts_first
        parts: list[str] = []
        for attempt in attempts:
            key = (attempt.phase, attempt.host, attempt.outcome)
            entry = texts.get(key)
            if entry is None:
                if len(texts) >= self.kept:
                    texts.clear()
                entry = texts[key] = _AttemptText(
                    f"{layout.attempt_phase}{encode(attempt.phase)}"
                    f"{layout.attempt_host}{encode(attempt.host)}"
                    f"{layout.attempt_outcome}{encode(attempt.outcome)}{layout.attempt_detail}"
                )
            detail = attempt.detail
            if not entry.text or detail != entry.detail:
                written = "null" if detail is None else encode(detail)
                entry.text = f"{entry.head}{written}{layout.attempt_end}"
                entry.detail = detail
            parts.append(separator)
            parts.append(entry.text)
            separator = layout.attempts_next
        parts.append(layout.attempts_close)
        return "".join(parts)

    def _use(
        self, use: ImageUse, layout: _Layout, separator: str, pull_ref: str, image: str
    ) -> str | None:
        """``separator``, then ``use.to_dict()`` as ``Indented.flat_item`` writes it
        (``image``: ``pull_ref`` encoded, what most uses spell); None when a value is of
        another type than its field's (the C encoder then writes the dict)."""
        line, document = use.line, use.document
        if type(line) is not int or type(document) is not int:
            return None
        raw, pulled = use.raw, use.pull_ref
        raw_text = image if type(raw) is str and raw == pull_ref else self._text(raw)
        pulled_text = image if type(pulled) is str and pulled == pull_ref else self._text(pulled)
        use_class = self._kept(use.use_class)
        file = self._kept(use.file)
        kind = self._kept(use.kind)
        api_version = self._kept(use.api_version)
        namespace = self._kept(use.namespace)
        name = self._text(use.name)
        container = self._kept(use.container)
        field = self._kept(use.field)
        source = self._kept(use.source)
        reason = self._text(use.reason)
        found_in = self._kept(use.scope)
        if not (
            raw_text
            and pulled_text
            and use_class
            and file
            and kind
            and api_version
            and namespace
            and name
            and container
            and field
            and source
            and reason
            and found_in
        ):
            return None
        return (
            f"{separator}{layout.use_raw}{raw_text}{layout.use_image}{pulled_text}"
            f"{layout.use_class}{use_class}{layout.use_file}{file}"
            f"{layout.use_line}{line}{layout.use_document}{document}"
            f"{layout.use_kind}{kind}{layout.use_api_version}{api_version}"
            f"{layout.use_namespace}{namespace}{layout.use_name}{name}"
            f"{layout.use_container}{container}{layout.use_field}{field}"
            f"{layout.use_source}{source}{layout.use_reason}{reason}"
            f"{layout.use_found_in}{found_in}{layout.use_end}"
        )

    def _kept(self, value: object) -> str:
        """A value uses repeat (``None`` or a string), encoded and kept; ``""`` for a value
        of another type."""
        if value is None:
            return "null"
        if type(value) is not str:
            return ""
        return self._shared(value)

    def _text(self, value: object) -> str:
        """A use's own value (``None`` or a string), encoded; ``""`` for another type."""
        if value is None:
            return "null"
        if type(value) is not str:
            return ""
        return encode_basestring_ascii(value)


#: the keys of ``ImageUse.to_dict()``, in order, that ``_Images._use`` writes
USE_KEYS = (
    "raw",
    "image",
    "class",
    "file",
    "line",
    "document",
    "kind",
    "api_version",
    "namespace",
    "name",
    "container",
    "field",
    "source",
    "reason",
    "found_in",
)

#: the uses of an image joined into one piece at most (the rest of a long list follows in
#: pieces of as many: memory stays bounded whatever the number of uses)
_USES_A_PIECE = 64
