"""``csv``: one row per use, for spreadsheets and ``pandas.read_csv``.

Each use of a valid image carries its image's route; invalid and unresolved uses come last
with status ``invalid`` and empty route columns. ``repository`` is the image's canonical name
(``name`` in the JSON ``images``); ``name`` is the Kubernetes object's name, as in the JSON
``uses``. Booleans are ``true``/``false``; missing values are empty cells.

Every cell passes through ``cell``: control characters and lone surrogates are written
escaped (``\x1b``), and a cell a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) gets a leading ``'``, as OWASP advises.
"""

from __future__ import annotations

import csv
from typing import TextIO

from analyzer.formats.textgrid import printable
from analyzer.model import ImageUse
from analyzer.report import ImageResult, Report

COLUMNS: tuple[str, ...] = (
    "image",
    "repository",
    "registry",
    "status",
    "ignored",
    "resolve_host",
    "content_host",
    "class",
    "raw",
    "file",
    "line",
    "document",
    "kind",
    "namespace",
    "name",
    "container",
    "field",
    "source",
    "reason",
)


def render(report: Report, out: TextIO, *, color: bool = False) -> None:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for result in report.images:
        for use in result.uses:
            writer.writerow(_cells(_image_row(result, use)))
    for use in report.invalid:
        writer.writerow(_cells(_invalid_row(use)))


#: what makes a spreadsheet read a cell as a formula (CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(text: str) -> str:
    """``text`` as a safe CSV cell: no terminal codes, no formula."""
    shown = printable(text)
    return "'" + shown if shown.startswith(FORMULA_STARTS) else shown


def _cells(row: dict[str, str]) -> dict[str, str]:
    return {key: cell(value) for key, value in row.items()}


def _use_cells(use: ImageUse) -> dict[str, str]:
    return {
        "class": use.use_class,
        "raw": use.raw,
        "file": use.file,
        "line": str(use.line),
        "document": str(use.document),
        "kind": use.kind or "",
        "namespace": use.namespace or "",
        "name": use.name or "",
        "container": use.container or "",
        "field": use.field,
        "source": use.source or "",
    }


def _image_row(result: ImageResult, use: ImageUse) -> dict[str, str]:
    return {
        "image": result.image,
        "repository": result.name,
        "registry": result.registry,
        "status": result.status,
        "ignored": "true" if result.ignored else "false",
        "resolve_host": result.route.resolve_host or "",
        "content_host": result.route.content_host or "",
        **_use_cells(use),
        "reason": use.reason or result.route.reason or "",
    }


def _invalid_row(use: ImageUse) -> dict[str, str]:
    return {
        "image": use.pull_ref or "",
        "repository": use.image.name if use.image is not None else "",
        "registry": use.image.domain if use.image is not None else "",
        "status": "invalid",
        "ignored": "false",
        "resolve_host": "",
        "content_host": "",
        **_use_cells(use),
        "reason": use.reason or "",
    }
