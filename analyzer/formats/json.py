"""``json``: the stable document of ``Report.to_dict()`` (``schema_version`` 1).

Its JSON Schema ships with the package: ``analyzer/data/report.schema.json``. Written as it
is made (``analyzer.json_stream``): the uses are read back one at a time. Each image is
written straight from its ``ImageResult`` (``_image_pieces``): the text of walking
``ImageResult.to_dict()``, without building the dict and testing the type of each value (a
test compares the two on every shape of image; a report whose images have other keys than
these is walked as before).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import TextIO

from analyzer.json_stream import Encoded, Indented, Lazy, write_json
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
    if images and tuple(images[0].to_dict(lazy=True)) == IMAGE_KEYS:
        document["images"] = Lazy(Encoded(functools.partial(_image_pieces, r)) for r in images)
    write_json(document, out)
    out.write("\n")


def _image_pieces(result: ImageResult, indented: Indented, level: int) -> Iterator[str]:
    """The text of ``result.to_dict()`` at ``level``, as ``indented`` walks it: the scalars
    in one call of the C encoder, the attempts in another, then each use."""
    route = result.route
    unit = indented.unit
    inner = ",\n" + unit * (level + 1)
    head = indented.flat_encoder(level)(
        {
            "image": result.image,
            "name": result.name,
            "registry": result.registry,
            "status": result.status,
            "ignored": result.ignored,
            "resolve_host": route.resolve_host,
            "content_host": route.content_host,
            "hosts_file": route.hosts_file,
            "reason": route.reason,
            "stands_for": route.stands_for,
        }
    )
    warnings = list(route.warnings)
    attempts = [a.to_dict() for a in route.attempts]
    probes = [p.to_dict() for p in result.probes]
    advice = result.advice.to_dict() if result.advice is not None else None
    yield "".join(
        (
            "{\n",
            unit * (level + 1),
            head[1:-1],
            inner,
            '"warnings": ',
            indented.flat_item(warnings, level + 1) if warnings else "[]",
            inner,
            '"attempts": ',
            indented.flat_dicts(attempts, level + 1) if attempts else "[]",
            inner,
            '"probes": ',
            "".join(indented.pieces(probes, level + 1)),
            inner,
            '"advice": ',
            "".join(indented.pieces(advice, level + 1)),
            inner,
            '"uses": ',
        )
    )
    # each use is a non-empty object of scalars: ``Indented.flat_item`` at level + 2
    encode = indented.flat_encoder(level + 2)
    opening = "\n" + unit * (level + 2) + "{\n" + unit * (level + 3)
    closing = "\n" + unit * (level + 2) + "}"
    separator = "["
    for use in result.uses:
        yield separator + opening + encode(use.to_dict())[1:-1] + closing
        separator = ","
    if separator == "[":
        yield "[]\n" + unit * level + "}"
    else:
        yield "\n" + unit * (level + 1) + "]\n" + unit * level + "}"
