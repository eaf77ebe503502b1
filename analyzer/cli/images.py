"""``coverage images``: every image a set of manifests will pull, and where it is written.

Exit codes: 0 everything was read, 2 any file or document could not be read (the rest is
still listed), nothing could be read, or a usage error. Warnings (objects the cluster
would refuse, overrides nothing here applies) never change the exit code. The settings
file's ``[[rules]]`` are followed (``--config``, or found upward as for ``scan``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Optional

import typer

from analyzer.cli import options
from analyzer.cli.app import app
from analyzer.cli.output import say

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.model import ImageUse
    from analyzer.sources import SourceResult

_FORMATS = ("table", "json")
_HEADERS = ("IMAGE", "CLASS", "WHERE", "OBJECT", "CONTAINER")
_NO_RULE = "built-in"


def _usage(message: str) -> typer.Exit:
    say(f"coverage images: error: {message}", err=True)
    return typer.Exit(2)


@app.command("images")
def images_command(
    paths: list[str] = typer.Argument(
        ..., help="Manifest files or folders (recursive); '-' reads stdin.", show_default=False
    ),
    fmt: Optional[str] = typer.Option(  # noqa: UP045 - typer needs Optional here
        None,
        "--format",
        "-f",
        help="table or json. [default: table on a terminal, json otherwise]",
        show_default=False,
    ),
    classes: Optional[list[str]] = typer.Option(  # noqa: UP045
        None,
        "--class",
        help="Only these classes (repeatable or comma-separated): container, crd, volume, "
        "indirect, unresolved, invalid. [default: all]",
        show_default=False,
    ),
    strict: bool = typer.Option(  # the default since 0.2: kept so existing scripts still run
        True, "--strict", hidden=True
    ),
    explain_rules: bool = typer.Option(
        False,
        "--explain-rules",
        help="Show which extraction rule found each use (a RULE column; 'rule' in JSON).",
    ),
    config: Optional[str] = options.CONFIG,  # noqa: UP045
    helm_arg: Optional[list[str]] = options.HELM_ARG,  # noqa: UP045
) -> None:
    """Every image the manifests will pull, with file, line, object and container."""
    from pathlib import Path

    from analyzer.model import USE_CLASSES
    from analyzer.settings import Settings, SettingsError, find_settings_file, load_settings
    from analyzer.sources import RenderOptions, read_sources

    chosen = fmt or ("table" if sys.stdout.isatty() else "json")
    if chosen not in _FORMATS:
        raise _usage(f"unknown --format {chosen!r} (choose from {', '.join(_FORMATS)})")
    wanted = [part.strip() for item in classes or () for part in item.split(",") if part.strip()]
    unknown = [name for name in wanted if name not in USE_CLASSES]
    if unknown:
        raise _usage(f"unknown --class {', '.join(unknown)} (choose from {', '.join(USE_CLASSES)})")

    try:
        settings_path = Path(config) if config else find_settings_file()
        settings = load_settings(settings_path) if settings_path else Settings()
    except SettingsError as exc:
        raise _usage(str(exc)) from None

    result = read_sources(
        paths,
        stdin=sys.stdin,
        rules=settings.rules,
        render=RenderOptions(helm_args=tuple(helm_arg or settings.helm_arg)),
    )
    uses = [use for use in result.uses if not wanted or use.use_class in wanted]
    if chosen == "json":
        from analyzer.formats.indented_json import dumps as indented_json

        payload = {
            "uses": [_with_rule(use) if explain_rules else use.to_dict() for use in uses],
            "errors": [error.to_dict() for error in result.errors],
            "warnings": [warning.to_dict() for warning in result.warnings],
        }
        say(indented_json(payload))
    else:
        for line in render_table(uses, explain_rules=explain_rules):
            say(line)
        for error in result.errors:
            say(str(error), err=True)
        for warning in result.warnings:
            say(f"warning: {warning}", err=True)
        say(_summary(result, len(uses)), err=True)
    if result.files_read == 0:
        say("coverage images: nothing could be read", err=True)
        raise typer.Exit(2)
    if result.errors:  # bad input is never a quiet 0 (``strict`` is always on)
        raise typer.Exit(2)


def _with_rule(use: ImageUse) -> dict[str, object]:
    return {**use.to_dict(), "rule": use.rule or _NO_RULE}


def render_table(uses: list[ImageUse], *, explain_rules: bool = False) -> list[str]:
    """Plain aligned columns, one use a line (a REASON column when any use has one, and a
    RULE column with ``explain_rules``); every cell as a terminal may show it
    (``printable``), so that the columns stay aligned."""
    from analyzer.formats.textgrid import printable

    rows = [
        tuple(
            printable(cell)
            for cell in (
                use.pull_ref or use.raw or '""',
                use.use_class,
                use.location,
                use.workload,
                use.container or "",
                *((use.rule or _NO_RULE,) if explain_rules else ()),
                use.reason or "",
            )
        )
        for use in uses
    ]
    with_reason = any(row[-1] for row in rows)
    headers = (*_HEADERS, *(("RULE",) if explain_rules else ()), "REASON")
    if not with_reason:
        headers = headers[:-1]
    table = [headers, *(row if with_reason else row[:-1] for row in rows)]
    widths = [max(len(row[column]) for row in table) for column in range(len(headers))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in table
    ]


def _summary(result: SourceResult, shown: int) -> str:
    files = f"{result.files_read} file{'' if result.files_read == 1 else 's'} read"
    skipped = f", {result.files_skipped} skipped" if result.files_skipped else ""
    errors = len(result.errors)
    problems = f", {errors} error{'' if errors == 1 else 's'}" if errors else ""
    count = len(result.warnings)
    warned = f", {count} warning{'' if count == 1 else 's'}" if count else ""
    return f"{shown} image use{'' if shown == 1 else 's'}; {files}{skipped}{problems}{warned}"
