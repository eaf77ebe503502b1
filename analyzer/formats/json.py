"""``json``: the stable document of ``Report.to_dict()`` (``schema_version`` 1).

Its JSON Schema ships with the package: ``analyzer/data/report.schema.json``. Written as it
is made (``analyzer.json_stream``): the uses are read back one at a time. Each image is
written straight from its ``ImageResult`` (``_image_pieces``): the text of walking
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

#: the keys of ``ImageResult.to_dict()``, in order, that ``_image_pieces`` writes
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


def _encoded(images: Iterable[ImageResult]) -> Iterator[Encoded]:
    """Each image as ``_image_pieces`` writes it, made as the array is written (a generator
    function: mypyc, which compiles this module when built so, makes a list of a generator
    expression passed on)."""
    for result in images:
        yield Encoded(functools.partial(_image_pieces, result))


def _image_pieces(result: ImageResult, indented: Indented, level: int) -> Iterator[str]:
    """The text of ``result.to_dict()`` at ``level``, as ``indented`` walks it: the scalars
    from ``_head``, the attempts from ``_ATTEMPT``, then each use (the C encoder)."""
    route, ref = result.route, result.ref
    unit = indented.unit
    inner = ",\n" + unit * (level + 1)
    encode = encode_basestring_ascii
    resolve, content, hosts_file = route.resolve_host, route.content_host, route.hosts_file
    reason, stands_for = route.reason, route.stands_for
    head = _head(unit, level) % (  # ImageResult's properties, without their calls
        encode(ref.pull_ref),
        encode(ref.name),
        encode(route.registry or ref.domain),
        encode(route.status),
        "true" if result.ignored else "false",
        "null" if resolve is None else encode(resolve),
        "null" if content is None else encode(content),
        "null" if hosts_file is None else encode(hosts_file),
        "null" if reason is None else encode(reason),
        "null" if stands_for is None else encode(stands_for),
    )
    warnings = list(route.warnings)
    probes = [p.to_dict() for p in result.probes]
    advice = result.advice.to_dict() if result.advice is not None else None
    # no probes and no advice, the usual case, without a walk
    probes_text = "".join(indented.pieces(probes, level + 1)) if probes else "[]"
    advice_text = "null" if advice is None else "".join(indented.pieces(advice, level + 1))
    yield "".join(
        (
            head,
            inner,
            '"warnings": ',
            indented.flat_item(warnings, level + 1) if warnings else "[]",
            inner,
            '"attempts": ',
            _attempts(route.attempts, unit, level + 1) if route.attempts else "[]",
            inner,
            '"probes": ',
            probes_text,
            inner,
            '"advice": ',
            advice_text,
            inner,
            '"uses": ',
        )
    )
    # each use is a non-empty object of scalars: ``Indented.flat_item`` at level + 2
    flat = indented.flat_encoder(level + 2)
    opening = "\n" + unit * (level + 2) + "{\n" + unit * (level + 3)
    closing = "\n" + unit * (level + 2) + "}"
    separator = "["
    for use in result.uses:
        yield separator + opening + flat(use.to_dict())[1:-1] + closing
        separator = ","
    if separator == "[":
        yield "[]\n" + unit * level + "}"
    else:
        yield "\n" + unit * (level + 1) + "]\n" + unit * level + "}"


@functools.cache
def _head(unit: str, level: int) -> str:
    """The scalar fields of an image (``IMAGE_KEYS`` up to ``stands_for``) opening its object
    at ``level``, as the C encoder writes them, to be %-filled with their encoded values."""
    inner = "\n" + unit * (level + 1)
    return "{" + inner + ("," + inner).join(f'"{key}": %s' for key in IMAGE_KEYS[:10])


#: ``Attempt.to_dict()`` as ``Indented.flat_dicts`` writes it (%-filled: the separators, then
#: each value encoded); its fields are strings, and ``detail`` may be None
_ATTEMPT = '{%s"phase": %s,%s"host": %s,%s"outcome": %s,%s"detail": %s%s}'


def _attempts(attempts: Sequence[Attempt], unit: str, level: int) -> str:
    """The non-empty array of ``attempts`` at ``level``: each one from ``_ATTEMPT`` (the
    same bytes as the C encoder's, with no dict built)."""
    outer = "\n" + unit * (level + 1)
    inner = "\n" + unit * (level + 2)
    encode = encode_basestring_ascii
    texts = [
        _ATTEMPT
        % (
            inner,
            encode(a.phase),
            inner,
            encode(a.host),
            inner,
            encode(a.outcome),
            inner,
            "null" if a.detail is None else encode(a.detail),
            outer,
        )
        for a in attempts
    ]
    return "[" + outer + ("," + outer).join(texts) + "\n" + unit * level + "]"
