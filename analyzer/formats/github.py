"""``github``: GitHub Actions workflow commands, shown as annotations on the changed files.

One command per use of an image that is not mirrored: ``::error`` when the policy rejects its
status, ``::warning`` otherwise (partial, direct, or a status the policy allows); ignored
images get none. Invalid uses likewise (``error`` when ``invalid`` is in ``fail_on``). Inputs
that could not be read are errors, configuration findings (``coverage doctor``) are errors
when they fail the gate, report warnings are warnings, and a final ``::notice``
carries the summary and the verdict. Values are escaped exactly as ``@actions/core`` does,
after their control characters (ESC, BEL...) are made visible (``\x1b``): the message and
every property, file names included, since all of them come from input.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TextIO

from analyzer.formats.common import (
    STATUS_TITLE,
    all_warnings,
    describe_invalid,
    describe_route,
    summary_line,
    verdict,
)
from analyzer.formats.textgrid import printable
from analyzer.model import COVERED_STATUSES, ConfigError, ImageUse, SourceError
from analyzer.report import Report


def escape_data(text: str) -> str:
    """A command's message, as ``escapeData`` in @actions/core's command.ts."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value, as ``escapeProperty`` in @actions/core's command.ts."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int | None) -> str:
    """``::name key=value,key=value::message``; properties that are None are left out."""
    given = [
        f"{key}={escape_property(printable(str(value)))}"
        for key, value in properties.items()
        if value is not None and value != ""
    ]
    head = f"::{name} {','.join(given)}" if given else f"::{name}"
    return f"{head}::{escape_data(printable(message))}"  # no terminal codes from manifests


def render(report: Report, out: TextIO, *, color: bool = False) -> None:
    for line in lines(report):
        out.write(line + "\n")


def _place(use: ImageUse) -> dict[str, str | int | None]:
    if use.file in ("", "-", "<stdin>"):
        return {}
    path = use.file.replace("\\", "/") if os.sep == "\\" else use.file  # "\\" is a character
    while path.startswith("./"):
        path = path[2:]
    return {"file": path, "line": use.line if use.line >= 1 else None}


def lines(report: Report) -> Iterator[str]:
    """One workflow command a line, made as they are written (one per failing use)."""
    for result in report.images:
        if result.status in COVERED_STATUSES or result.ignored:
            continue
        level = "error" if result.status in report.policy.fail_on else "warning"
        message = describe_route(result)
        title = f"{STATUS_TITLE[result.status]} ({result.status})"
        for use in result.uses:
            yield (
                command(
                    level,
                    f"{message} Used by {use.workload or use.field}.",
                    **_place(use),
                    title=title,
                )
            )
    for use in report.invalid:
        level = "error" if "invalid" in report.policy.fail_on else "warning"
        yield (
            command(
                level,
                describe_invalid(use),
                **_place(use),
                title=f"{STATUS_TITLE['invalid']} ({use.use_class})",
            )
        )
    errors: list[SourceError | ConfigError] = [*report.source_errors, *report.config_errors]
    for error in errors:
        yield (
            command(
                "error",
                f"could not be read: {error.message}",
                file=error.file,
                line=error.line,
                title="Unreadable input",
            )
        )
    failing = set(report.failing_findings())
    for finding in report.findings:
        level = (
            "error" if finding in failing else "notice" if finding.severity == "info" else "warning"
        )
        yield (
            command(
                level,
                f"{finding.message}. Fix: {finding.fix}" if finding.fix else finding.message,
                file=finding.file,
                line=finding.line,
                title=f"Mirror configuration ({finding.code})",
            )
        )
    for warning in all_warnings(report):
        yield command("warning", warning, title="image-coverage")
    yield command("notice", f"{summary_line(report)}\n{verdict(report)}", title="Image coverage")
