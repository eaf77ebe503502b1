"""``table``: the report for a person at a terminal.

The configuration used, the summary, a section per status (most urgent first) with the image,
the host that serves it and where it is used, the invalid uses, which images each mirror
covers, errors, warnings, and the verdict. ANSI colour (status words only) when ``color``.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Sequence
from typing import TextIO

from analyzer.formats.common import (
    STATUS_MEANING,
    STATUS_ORDER,
    all_warnings,
    host_label,
    one_line,
    plural,
    served_by,
    summary_line,
    uses_shown,
    verdict,
)
from analyzer.formats.textgrid import Cell, Column, abbreviate, clip, grid, printable, wrap
from analyzer.model import ImageUse
from analyzer.report import ImageResult, MirrorCoverage, Report

LINE_WIDTH = 120  # when not on a terminal (CI logs, files)
MIN_WIDTH, MAX_WIDTH = 100, 200
USES_SHOWN = 3  # per image; the rest are counted ("+N more")
IMAGE_WIDTH = 46
HOST_WIDTH = 28
INDENT = 2  # the grid's defaults
GAP = 2
#: statuses whose rows say why (the route's reason) under the image
EXPLAINED = frozenset({"blocked", "fallback"})

_SGR = {
    "blocked": "1;31",
    "fallback": "31",
    "invalid": "31",
    "partial": "33",
    "direct": "33",
    "mirrored": "32",
    "PASS": "1;32",
    "FAIL": "1;31",
}


def render(report: Report, out: TextIO, *, color: bool = False) -> None:
    for line in lines(report, color=color, width=line_width(out)):
        line = printable(line, keep_colour=color, line=True)
        out.write(line + "\n")


def line_width(out: TextIO) -> int:
    """The terminal's width (100 to 200 columns) when ``out`` is one, else 120."""
    isatty = getattr(out, "isatty", None)
    if isatty is None or not isatty():
        return LINE_WIDTH
    columns = shutil.get_terminal_size((LINE_WIDTH, 24)).columns
    return min(max(columns, MIN_WIDTH), MAX_WIDTH)


def lines(report: Report, *, color: bool = False, width: int = LINE_WIDTH) -> list[str]:
    """The whole table, line by line, without line ends."""
    text = [f"Configuration: {one_line(report.config_description)}"]
    if report.files_read or report.files_skipped:
        text.append(
            f"Manifests: {plural(report.files_read, 'file')} read, {report.files_skipped} skipped"
        )
    text.append(summary_line(report))
    for status in STATUS_ORDER:
        results = report.by_status(status)
        if results:
            text += ["", *_status_section(status, results, color, width)]
    if report.invalid:
        text += ["", *_invalid_section(report.invalid, color, width)]
    text += _advice_section(report, width)
    text += ["", *_mirror_section(report.mirrors, width)]
    if any(r.probes for r in report.images):
        text += ["", *_probe_section(report.images, color, width)]
    errors = [*report.source_errors, *report.config_errors]
    if errors:
        text += ["", f"Errors ({len(errors)}): input that could not be read"]
        text += [f"  {one_line(str(e))}" for e in errors]
    if report.findings:
        text += ["", *_findings_section(report)]
    warnings = all_warnings(report)
    if warnings:
        text += ["", f"Warnings ({len(warnings)}):"]
        text += [f"  {w}" for w in warnings]
    word, _, reason = verdict(report).partition(":")
    text += ["", _paint(word, color) + ":" + reason]
    return text


def _findings_section(report: Report) -> list[str]:
    lines = [f"Configuration findings ({len(report.findings)}): run `coverage doctor` for details"]
    for finding in report.findings:
        lines.append(f"  {finding.severity}: {one_line(str(finding))}")
        if finding.fix:
            lines.append(f"    fix: {one_line(finding.fix)}")
    return lines


def _paint(word: str, color: bool, text: str | None = None) -> str:
    shown = word if text is None else text
    code = _SGR.get(word)
    return f"\x1b[{code}m{shown}\x1b[0m" if color and code else shown


def _status_section(
    status: str, results: tuple[ImageResult, ...], color: bool, width: int
) -> list[str]:
    ignored = sum(1 for r in results if r.ignored)
    count = plural(len(results), "image") + (f", {ignored} ignored" if ignored else "")
    heading = f"{_paint(status, color, status.upper())} ({count}): {STATUS_MEANING[status]}"
    # image references wrap rather than lose characters: people copy them
    images = [wrap(r.image, IMAGE_WIDTH) + (["(ignored)"] if r.ignored else []) for r in results]
    hosts = [[part for line in served_by(r) for part in wrap(line, HOST_WIDTH)] for r in results]
    columns = (Column("IMAGE", IMAGE_WIDTH), Column("SERVED BY", HOST_WIDTH), Column("USED IN"))
    used_width = _remaining_width(columns[:2], [images, hosts], width)
    rows = [
        [image, host, _used_in(r.uses, used_width)]
        for image, host, r in zip(images, hosts, results, strict=True)
    ]
    notes = [
        f"why: {one_line(r.route.reason)}" if status in EXPLAINED and r.route.reason else None
        for r in results
    ]
    return [heading, *grid(columns, rows, notes=notes, line_width=width)]


def _advice_section(report: Report, width: int) -> list[str]:
    """How to fix each failing image: whole sentences, wrapped, never clipped."""
    advised = [r for r in report.images if r.advice is not None]
    if not advised:
        return []
    out = ["", f"How to fix ({plural(len(advised), 'image')})"]
    for result in advised:
        assert result.advice is not None
        out.append(f"  {result.image}")
        out.extend(
            "    " + line
            for line in textwrap.wrap(
                one_line(result.advice.sentence()), max(width - 4, 40), break_on_hyphens=False
            )
        )
    return out


def _remaining_width(
    columns: tuple[Column, ...], cells: list[list[list[str]]], line_width: int
) -> int:
    """What the line width leaves for the column after ``columns`` (as ``grid`` sizes them)."""
    used = INDENT
    for column, column_cells in zip(columns, cells, strict=True):
        width = max([len(column.header)] + [len(line) for cell in column_cells for line in cell])
        used += min(width, column.max_width or width) + GAP
    return max(line_width - used, 24)


def _used_in(uses: Sequence[ImageUse], width: int) -> list[str]:
    shown, more = uses_shown(uses, USES_SHOWN)
    lines = [line for u in shown for line in _fit_use(u, width)]
    return lines + ([f"+{more} more"] if more else [])


def _fit_use(use: ImageUse, width: int) -> list[str]:
    """``file:line Kind/name (from source)`` in ``width``: the location first, then the workload;
    the Helm source on a line of its own when it does not fit."""
    text = clip(use.location, width, keep_end=True)
    if use.workload and len(text) + 1 < width:
        text = clip(f"{text} {use.workload}", width)
    if not use.source:
        return [text]
    source = f"(from {use.source})"
    if len(text) + 1 + len(source) <= width:
        return [f"{text} {source}"]
    return [text, clip("  " + source, width)]


def _invalid_section(uses: Sequence[ImageUse], color: bool, width: int) -> list[str]:
    heading = (
        f"{_paint('invalid', color, 'INVALID')} ({plural(len(uses), 'use')}): "
        f"{STATUS_MEANING['invalid']}"
    )
    columns = (Column("REFERENCE", 40), Column("CLASS", 10), Column("USED IN"))
    raws = [[one_line(u.raw) or '""'] for u in uses]
    classes: list[list[str]] = [[u.use_class] for u in uses]
    used_width = _remaining_width(columns[:2], [raws, classes], width)
    rows: list[list[Cell]] = [
        [raw, cls, _fit_use(u, used_width)] for raw, cls, u in zip(raws, classes, uses, strict=True)
    ]
    notes = [f"why: {one_line(u.reason)}" if u.reason else None for u in uses]
    return [heading, *grid(columns, rows, notes=notes, line_width=width)]


def _mirror_section(mirrors: tuple[MirrorCoverage, ...], width: int) -> list[str]:
    heading = "Which images each configured mirror covers"
    if not mirrors:
        return [heading, "  no mirror is configured: every image comes from its registry"]
    columns = (
        Column("MIRROR", 36),
        Column("REGISTRY", 24),
        Column("CATALOGUE", 34),
        Column("IMAGES", 6),
    )
    rows = [[host_label(m.host), m.registry, _catalogue(m), str(len(m.images))] for m in mirrors]
    margin = len("    covers: ")
    notes = [
        "covers: " + (abbreviate(m.images, width - margin) if m.images else "none of these images")
        for m in mirrors
    ]
    return [heading, *grid(columns, rows, notes=notes, line_width=width)]


def _probe_section(results: tuple[ImageResult, ...], color: bool, width: int) -> list[str]:
    """``--probe``: each mirror's live answer beside its catalogue's prediction."""
    probed = [(r, p) for r in results for p in r.probes]
    disagreeing = sum(1 for _, p in probed if p.disagrees)
    heading = (
        f"What the mirrors answered ({plural(len(probed), 'probe')}, "
        f"{plural(disagreeing, 'disagreement')} with the catalogues)"
    )
    columns = (
        Column("IMAGE", 46),
        Column("MIRROR", 30),
        Column("CATALOGUE SAYS", 14),
        Column("PROBE", 12),
        Column("", 10),
    )
    rows: list[list[Cell]] = [
        [
            r.image,
            host_label(p.host),
            "holds" if p.predicted else "does not hold",
            p.outcome,
            _paint("fallback", color, "DISAGREES") if p.disagrees else "",
        ]
        for r, p in probed
    ]
    notes = [
        f"{p.detail}" if p.detail and p.outcome not in ("served", "not_found") else None
        for _, p in probed
    ]
    return [heading, *grid(columns, rows, notes=notes, line_width=width)]


def _catalogue(mirror: MirrorCoverage) -> str:
    if not mirror.assumed:
        return clip(one_line(mirror.catalogue), 60)
    return f"{one_line(mirror.catalogue)} (assumed)" if mirror.catalogue else "assumed: everything"
