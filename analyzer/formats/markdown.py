"""``markdown``: a merge-request comment (GitHub and GitLab flavoured Markdown).

A heading with the verdict, the summary table, the failing images and uses (what, served by,
used where, why), errors; the full list of images, the per-mirror table and the warnings
folded in ``<details>``. Every value is escaped by ``escape``: Markdown punctuation and ``|``
cannot break the tables, ``<`` cannot open HTML, control characters (ESC, BEL) and lone
surrogates are written as ``\x1b``, and ``@name`` cannot notify anyone (a zero-width space
follows the ``@``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TextIO

from analyzer.formats.common import (
    STATUS_ORDER,
    all_warnings,
    failed,
    failure_reasons,
    host_label,
    one_line,
    percent,
    served_by,
    shown_statuses,
    uses_shown,
    verdict,
)
from analyzer.formats.textgrid import printable
from analyzer.model import ImageUse
from analyzer.report import ImageResult, Report

USES_SHOWN = 3
#: rows in the folded full list; the rest is counted (comments have a size limit)
MAX_ROWS = 300

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#!])")
#: an ``@`` GitHub and GitLab would read as a mention (not one inside ``nginx@sha256:...``)
_MENTION = re.compile(r"(?<![A-Za-z0-9_.+-])@(?=[A-Za-z0-9_])")
ZERO_WIDTH_SPACE = "&#8203;"


def escape(text: str) -> str:
    """``text`` as literal Markdown inside a table cell, on one line."""
    escaped = _SPECIAL.sub(r"\\\1", one_line(printable(text)))
    return _MENTION.sub("@" + ZERO_WIDTH_SPACE, escaped)


def render(report: Report, out: TextIO, *, color: bool = False) -> None:
    out.write("\n".join(lines(report)) + "\n")


def lines(report: Report) -> list[str]:
    is_failed = failed(report)
    mark = "❌" if is_failed else "✅"
    text = [f"## {mark} Image coverage: {'FAIL' if is_failed else 'PASS'}", ""]
    reasons = failure_reasons(report)
    if reasons:
        text.append(escape("Fails: " + "; ".join(reasons) + "."))
    else:
        passed = verdict(report).removeprefix("PASS: ")
        text.append(escape(passed[:1].upper() + passed[1:] + "."))
    text += ["", f"Configuration: {escape(report.config_description)}", ""]
    text += _summary_table(report)
    text += _failing(report)
    text += _errors(report)
    text += _findings(report)
    text += _details(f"All images ({len(report.images)})", _all_images(report.images))
    text += _details(f"Mirrors ({len(report.mirrors)})", _mirrors(report))
    warnings = all_warnings(report)
    text += _details(f"Warnings ({len(warnings)})", [f"- {escape(w)}" for w in warnings])
    return text


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], align: str | None = None
) -> list[str]:
    """A GFM table; cells must be escaped already. ``align``: one of ``l``/``r`` per column."""
    marks = [("---:" if a == "r" else "---") for a in (align or "l" * len(headers))]
    out = ["| " + " | ".join(headers) + " |", "| " + " | ".join(marks) + " |"]
    out += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return out


def _details(summary: str, body: list[str]) -> list[str]:
    if not body:
        return []
    return ["", f"<details><summary>{escape(summary)}</summary>", "", *body, "", "</details>"]


def _summary_table(report: Report) -> list[str]:
    summary = report.summary()
    statuses = shown_statuses(report)
    headers = ["Images", "Uses", "Coverage", *statuses, "ignored", "errors"]
    row = [
        str(summary.images),
        str(summary.uses),
        "n/a" if summary.coverage_percent is None else f"{percent(summary.coverage_percent)}%",
        *(str(summary.by_status.get(s, 0)) for s in statuses),
        str(summary.ignored),
        str(summary.errors),
    ]
    return _table(headers, [row], "r" * len(headers))


def _used_in(uses: Sequence[ImageUse]) -> str:
    shown, more = uses_shown(tuple(uses), USES_SHOWN)
    parts = [_where(u) for u in shown] + ([f"+{more} more"] if more else [])
    return "<br>".join(parts)


def _where(use: ImageUse) -> str:
    text = escape(use.location)
    if use.workload:
        text += f" {escape(use.workload)}"
    if use.source:
        text += f" (from {escape(use.source)})"
    return text


def _hosts(result: ImageResult) -> str:
    return "<br>".join(escape(line) for line in served_by(result))


def _failing(report: Report) -> list[str]:
    images = sorted(
        report.failures(),
        key=lambda r: (
            STATUS_ORDER.index(r.status) if r.status in STATUS_ORDER else len(STATUS_ORDER)
        ),
    )
    invalid = report.failing_invalid()
    if not images and not invalid:
        return []
    rows = [
        [
            escape(r.image),
            f"**{r.status}**",
            _hosts(r),
            _used_in(r.uses),
            escape(r.route.reason or ""),
        ]
        for r in images
    ]
    rows += [
        [escape(u.raw) or '""', f"**{u.use_class}**", "nothing", _where(u), escape(u.reason or "")]
        for u in invalid
    ]
    count = len(images) + len(invalid)
    return [
        "",
        f"### Failing ({count})",
        "",
        *_table(["Image", "Status", "Served by", "Used in", "Why"], rows),
        *_advice(images),
    ]


def _advice(images: Sequence[ImageResult]) -> list[str]:
    """How to fix each failing image, one list item each."""
    items = [
        f"- {escape(r.image)}: {escape(r.advice.sentence())}"
        for r in images
        if r.advice is not None
    ]
    return ["", "#### How to fix", "", *items] if items else []


def _errors(report: Report) -> list[str]:
    errors = [*report.source_errors, *report.config_errors]
    if not errors:
        return []
    return [
        "",
        f"### Input that could not be read ({len(errors)})",
        "",
        *(f"- {escape(str(e))}" for e in errors),
    ]


def _findings(report: Report) -> list[str]:
    if not report.findings:
        return []
    rows = [
        f"- **{f.severity}** {escape(str(f))}" + (f" Fix: {escape(f.fix)}" if f.fix else "")
        for f in report.findings
    ]
    return ["", f"### Mirror configuration findings ({len(rows)})", "", *rows]


def _all_images(results: tuple[ImageResult, ...]) -> list[str]:
    if not results:
        return []
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    ordered = sorted(results, key=lambda r: rank.get(r.status, len(rank)))
    rows = [
        [
            escape(r.image),
            r.status + (" (ignored)" if r.ignored else ""),
            _hosts(r),
            _used_in(r.uses),
        ]
        for r in ordered[:MAX_ROWS]
    ]
    table = _table(["Image", "Status", "Served by", "Used in"], rows)
    if len(ordered) > MAX_ROWS:
        table += ["", f"… and {len(ordered) - MAX_ROWS} more: see the JSON or CSV report."]
    return table


def _mirrors(report: Report) -> list[str]:
    if not report.mirrors:
        return []
    rows = []
    for mirror in report.mirrors:
        catalogue = escape(mirror.catalogue)
        if mirror.assumed:
            catalogue = f"{catalogue} (assumed)" if catalogue else "assumed: everything"
        shown = ", ".join(escape(i) for i in mirror.images[:10])
        more = len(mirror.images) - 10
        rows.append(
            [
                escape(host_label(mirror.host)),
                escape(mirror.registry),
                catalogue,
                str(len(mirror.images)),
                shown + (f", +{more} more" if more > 0 else ""),
            ]
        )
    return _table(["Mirror", "Registry", "Catalogue", "Images", "Covers"], rows, "lllrl")
