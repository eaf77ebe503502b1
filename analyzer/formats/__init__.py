"""The output formats of ``coverage scan``: one module per format, all registered here.

Every format module has the same one function::

    def render(report: Report, out: TextIO, *, color: bool = False) -> None

which writes the whole document to ``out`` (formats other than ``table`` ignore ``color``).
Modules are imported only when their format is asked for, so the CLI never pays for the XML
or CSV machinery it does not use. To add a format: write ``analyzer/formats/<name>.py`` with
that ``render`` and add ``<name>`` to ``FORMAT_NAMES``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from analyzer.report import Report

FORMAT_NAMES: tuple[str, ...] = ("table", "json", "csv", "markdown", "junit", "sarif", "github")

#: the formats that show ``ImageResult.advice``: a scan written in another one does not
#: compute it (``ScanOptions.advice``)
ADVICE_FORMATS: frozenset[str] = frozenset({"table", "json", "markdown"})


class Renderer(Protocol):
    """The ``render`` function every format module defines."""

    def __call__(self, report: Report, out: TextIO, *, color: bool = False) -> None: ...


def renderer(fmt: str) -> Renderer:
    """The ``render`` function of format ``fmt``; ``ValueError`` naming the formats if unknown."""
    if fmt not in FORMAT_NAMES:
        raise ValueError(f"unknown format {fmt!r}: choose one of {', '.join(FORMAT_NAMES)}")
    module = importlib.import_module(f"{__name__}.{fmt}")
    render_function: Renderer = module.render
    return render_function


def render(report: Report, fmt: str, out: TextIO, *, color: bool = False) -> None:
    """Write ``report`` to ``out`` in format ``fmt`` (one of ``FORMAT_NAMES``)."""
    renderer(fmt)(report, out, color=color)
