"""``json``: the stable document of ``Report.to_dict()`` (``schema_version`` 1).

Its JSON Schema ships with the package: ``analyzer/data/report.schema.json``. Written as it
is made (``analyzer.json_stream``): the uses are read back one at a time. Each image is
written straight from its ``ImageResult`` (``_Images.pieces``): the text of walking
``ImageResult.to_dict()``, without building the dict and testing the type of each value (a
test compares the two on every shape of image; a report whose images have other keys than
these, or are of a subclass, is walked as before).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from json.encoder import encode_basestring_ascii
from typing import TextIO

from analyzer.json_lazy import Lazy
from analyzer.json_stream import Encoded, Indented, write_json
from analyzer.model import Attempt
from analyzer.report import ImageResult, Report

#: the keys of ``ImageResult.to_dict()``, in order, that ``_Images.pieces`` writes
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
        document["images"] = Lazy(_encoded(images))
    write_json(document, out)
    out.write("\n")


def _encoded(images: Iterable[ImageResult], writer: _Images | None = None) -> Iterator[Encoded]:
    """Each image as ``_Images.pieces`` writes it, made as the array is written (a generator
    function: mypyc, which compiles this module when built so, makes a list of a generator
    expression passed on)."""
    writer = writer or _Images()
    for result in images:
        yield Encoded(functools.partial(writer.pieces, result))


#: values kept encoded at most (then forgotten: a long report's unique sentences)
_KEPT = 4096


class _Images:
    """Writes the images of one report. The values images share (their registry, status,
    hosts, the sentence most routes of a registry repeat, each attempt's phase, host and
    outcome) are encoded once and kept (bounded); the image's own names and URLs each time."""

    def __init__(self, kept: int = _KEPT) -> None:
        self.kept = kept
        self._encoded: dict[str, str] = {}
        self._attempt_heads: dict[tuple[str, str, str, int], str] = {}

    def _shared(self, value: str) -> str:
        """``encode_basestring_ascii(value)``, kept for the next image."""
        found = self._encoded.get(value)
        if found is None:
            if len(self._encoded) >= self.kept:
                self._encoded.clear()
            found = self._encoded[value] = encode_basestring_ascii(value)
        return found

    def _attempt_head(self, attempt: Attempt, inner: str, level: int) -> str:
        """An attempt's object up to the value of its ``detail`` (``_ATTEMPT_HEAD``)."""
        key = (attempt.phase, attempt.host, attempt.outcome, level)
        found = self._attempt_heads.get(key)
        if found is None:
            if len(self._attempt_heads) >= self.kept:
                self._attempt_heads.clear()
            encode = encode_basestring_ascii
            found = self._attempt_heads[key] = _ATTEMPT_HEAD % (
                inner,
                encode(attempt.phase),
                inner,
                encode(attempt.host),
                inner,
                encode(attempt.outcome),
                inner,
            )
        return found

    def _attempts(self, attempts: Sequence[Attempt], unit: str, level: int) -> str:
        """The non-empty array of ``attempts`` at ``level``: the same bytes as the C
        encoder's, with no dict built."""
        outer = "\n" + unit * (level + 1)
        inner = "\n" + unit * (level + 2)
        end = outer + "}"
        texts = [
            self._attempt_head(a, inner, level)
            + ("null" if a.detail is None else encode_basestring_ascii(a.detail))
            + end
            for a in attempts
        ]
        return "[" + outer + ("," + outer).join(texts) + "\n" + unit * level + "]"

    def pieces(self, result: ImageResult, indented: Indented, level: int) -> Iterator[str]:
        """The text of ``result.to_dict()`` at ``level``, as ``indented`` walks it: the
        scalars from ``_head``, the attempts from ``_attempts``, then each use (the C
        encoder)."""
        route, ref = result.route, result.ref
        unit = indented.unit
        inner = ",\n" + unit * (level + 1)
        encode = encode_basestring_ascii
        resolve, content, hosts_file = route.resolve_host, route.content_host, route.hosts_file
        reason, stands_for = route.reason, route.stands_for
        head = _head(unit, level) % (  # ImageResult's properties, without their calls
            encode(ref.pull_ref),
            encode(ref.name),
            self._shared(route.registry or ref.domain),  # direct calls when compiled
            self._shared(route.status),
            "true" if result.ignored else "false",
            "null" if resolve is None else self._shared(resolve),
            "null" if content is None else self._shared(content),
            "null" if hosts_file is None else self._shared(hosts_file),
            "null" if reason is None else self._shared(reason),
            "null" if stands_for is None else encode(stands_for),
        )
        warnings = route.warnings
        # no probes and no advice, the usual case, without a walk
        probes_text = (
            "".join(indented.pieces([p.to_dict() for p in result.probes], level + 1))
            if result.probes
            else "[]"
        )
        advice = result.advice
        advice_text = (
            "null" if advice is None else "".join(indented.pieces(advice.to_dict(), level + 1))
        )
        pieces = [
            head,
            inner,
            '"warnings": ',
            indented.flat_item(list(warnings), level + 1) if warnings else "[]",
            inner,
            '"attempts": ',
            self._attempts(route.attempts, unit, level + 1) if route.attempts else "[]",
            inner,
            '"probes": ',
            probes_text,
            inner,
            '"advice": ',
            advice_text,
            inner,
            '"uses": ',
        ]
        # each use is a non-empty object of scalars: ``Indented.flat_item`` at level + 2;
        # an image is one piece unless it has many uses (then a piece per _USES_A_PIECE)
        flat = indented.flat_encoder(level + 2)
        opening = "\n" + unit * (level + 2) + "{\n" + unit * (level + 3)
        closing = "\n" + unit * (level + 2) + "}"
        separator = "["
        for use in result.uses:
            pieces.append(separator + opening + flat(use.to_dict())[1:-1] + closing)
            separator = ","
            if len(pieces) >= _USES_A_PIECE:
                yield "".join(pieces)
                pieces.clear()
        if separator == "[":
            pieces.append("[]\n" + unit * level + "}")
        else:
            pieces.append("\n" + unit * (level + 1) + "]\n" + unit * level + "}")
        yield "".join(pieces)


#: the uses of an image joined into one piece at most (the rest of a long list follows in
#: pieces of as many: memory stays bounded whatever the number of uses)
_USES_A_PIECE = 64


@functools.cache
def _head(unit: str, level: int) -> str:
    """The scalar fields of an image (``IMAGE_KEYS`` up to ``stands_for``) opening its object
    at ``level``, as the C encoder writes them, to be %-filled with their encoded values."""
    inner = "\n" + unit * (level + 1)
    return "{" + inner + ("," + inner).join(f'"{key}": %s' for key in IMAGE_KEYS[:10])


#: ``Attempt.to_dict()`` as ``Indented.flat_dicts`` writes it, up to the value of its
#: ``detail`` (%-filled: the separators, then each value encoded); its fields are strings
_ATTEMPT_HEAD = '{%s"phase": %s,%s"host": %s,%s"outcome": %s,%s"detail": '
