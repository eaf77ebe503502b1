"""``coverage images``: every image a set of manifests will pull, and where it is written.

Exit codes: 0 everything was read, 2 any file or document could not be read (the rest is
still listed), nothing could be read, or a usage error. Warnings (objects the cluster
would refuse, overrides nothing here applies) never change the exit code. The settings
file's ``[[rules]]`` are followed (``--config``, or found upward as for ``scan``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Optional

import typer

from analyzer.cli import options
from analyzer.cli.app import app
from analyzer.cli.output import say

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.model import ImageUse, SourceError, SourceWarning

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
    from analyzer.cli import settings_flags
    from analyzer.cli.output import Document
    from analyzer.json_lazy import Lazy
    from analyzer.json_stream import write_json
    from analyzer.model import USE_CLASSES
    from analyzer.sources import RenderOptions, iter_sources, uses_of
    from analyzer.spool import Spool, UseList

    chosen = fmt or ("table" if sys.stdout.isatty() else "json")
    if chosen not in _FORMATS:
        raise _usage(f"unknown --format {chosen!r} (choose from {', '.join(_FORMATS)})")
    wanted = [part.strip() for item in classes or () for part in item.split(",") if part.strip()]
    unknown = [name for name in wanted if name not in USE_CLASSES]
    if unknown:
        raise _usage(f"unknown --class {', '.join(unknown)} (choose from {', '.join(USE_CLASSES)})")

    settings = settings_flags.load("images", config)

    scan = iter_sources(
        paths,
        stdin=sys.stdin,
        rules=settings.rules,
        render=RenderOptions(helm_args=tuple(helm_arg or settings.helm_arg)),
    )
    errors: list[SourceError] = []
    warnings: list[SourceWarning] = []

    def shown() -> Iterator[ImageUse]:
        """The uses asked for, as they are read (errors and warnings set aside)."""
        for use in uses_of(scan, errors, warnings):
            if not wanted or use.use_class in wanted:
                yield use

    if chosen == "json":
        uses = 0

        def dicts() -> Iterator[dict[str, object]]:
            nonlocal uses
            for use in shown():
                uses += 1
                yield _with_rule(use) if explain_rules else use.to_dict()

        payload = {
            "uses": Lazy(dicts()),
            "errors": Lazy(error.to_dict() for error in errors),
            "warnings": Lazy(warning.to_dict() for warning in warnings),
        }
        document = Document()
        write_json(payload, document)
        document.end()
    else:
        listed = UseList(Spool())  # the table's widths need every row: spooled, read twice
        for use in shown():
            listed.append(use)
        uses = len(listed)
        for line in render_table(listed, explain_rules=explain_rules):
            say(line)
        for error in errors:
            say(str(error), err=True, line=True)
        for warning in warnings:
            say(f"warning: {warning}", err=True, line=True)
        say(_summary(scan.files_read, scan.files_skipped, errors, warnings, uses), err=True)
    if scan.files_read == 0:
        say("coverage images: nothing could be read", err=True)
        raise typer.Exit(2)
    if errors:  # bad input is never a quiet 0 (``strict`` is always on)
        raise typer.Exit(2)


def _with_rule(use: ImageUse) -> dict[str, object]:
    return {**use.to_dict(), "rule": use.rule or _NO_RULE}


def render_table(uses: Iterable[ImageUse], *, explain_rules: bool = False) -> Iterator[str]:
    """Plain aligned columns, one use a line (a REASON column when any use has one, and a
    RULE column with ``explain_rules``); every cell as a terminal may show it
    (``printable``), so that the columns stay aligned. ``uses`` is read twice (the widths,
    then the lines), one row at a time."""
    headers = (*_HEADERS, *(("RULE",) if explain_rules else ()), "REASON")
    widths = [len(header) for header in headers]
    with_reason = False
    for row in _rows(uses, explain_rules):
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
        with_reason = with_reason or bool(row[-1])
    kept = len(headers) if with_reason else len(headers) - 1

    def line(cells: tuple[str, ...]) -> str:
        pairs = zip(cells[:kept], widths[:kept], strict=True)
        return "  ".join(cell.ljust(width) for cell, width in pairs).rstrip()

    yield line(headers)
    for row in _rows(uses, explain_rules):
        yield line(row)


def _rows(uses: Iterable[ImageUse], explain_rules: bool) -> Iterator[tuple[str, ...]]:
    from analyzer.formats.textgrid import printable

    for use in uses:
        yield tuple(
            printable(cell, line=True)
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


def _summary(
    files_read: int,
    files_skipped: int,
    errors: Sequence[SourceError],
    warnings: Sequence[SourceWarning],
    shown: int,
) -> str:
    files = f"{files_read} file{'' if files_read == 1 else 's'} read"
    skipped = f", {files_skipped} skipped" if files_skipped else ""
    problems = f", {len(errors)} error{'' if len(errors) == 1 else 's'}" if errors else ""
    count = len(warnings)
    warned = f", {count} warning{'' if count == 1 else 's'}" if count else ""
    return f"{shown} image use{'' if shown == 1 else 's'}; {files}{skipped}{problems}{warned}"
