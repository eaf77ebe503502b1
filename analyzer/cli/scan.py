"""``coverage scan``: the coverage report, and the pre-deploy CI gate.

Exit codes: 0 the policy holds, 1 it does not, 2 usage error or input that could not be read
(the report is still written). Settings come from ``--config``, or ``image-coverage.toml``
or ``[tool.image-coverage]`` in ``pyproject.toml`` found upward; flags win over the file.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Optional, TextIO, cast

import typer

from analyzer.cli import options, settings_flags
from analyzer.cli.app import app, usage_error
from analyzer.cli.output import ProgressLine, say

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.engine import ScanOptions
    from analyzer.report import Policy, Report
    from analyzer.settings import Settings


def _usage(message: str) -> typer.Exit:
    return usage_error("scan", message)


@app.command("scan")
@options.with_runtime_options()
def scan_command(
    paths: Optional[list[str]] = typer.Argument(  # noqa: UP045 - typer needs Optional here
        None, help="Manifest files or folders (recursive); '-' reads stdin.", show_default=False
    ),
    hosts_dir: Optional[list[str]] = options.HOSTS_DIR,  # noqa: UP045
    containerd_config: Optional[str] = options.CONTAINERD_CONFIG,  # noqa: UP045
    docker_daemon: Optional[str] = options.DOCKER_DAEMON,  # noqa: UP045
    containerd_version: Optional[str] = options.CONTAINERD_VERSION,  # noqa: UP045
    catalog: Optional[list[str]] = options.CATALOG,  # noqa: UP045
    *,
    runtime_files: options.RuntimeOptions,  # the runtime options (with_runtime_options)
    fmt: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--format",
        "-f",
        help="table, json, csv, markdown, junit, sarif or github. [default: table]",
        show_default=False,
    ),
    output: Optional[str] = typer.Option(  # noqa: UP045
        None, "--output", "-o", help="Write the report to this file instead of stdout."
    ),
    fail_on: Optional[list[str]] = typer.Option(  # noqa: UP045
        None,
        "--fail-on",
        help=(
            "Comma-separated statuses that fail the gate (repeatable: they add up), or "
            "'none'. [default: fallback,blocked,invalid,misconfigured]"
        ),
        show_default=False,
    ),
    min_coverage: Optional[float] = typer.Option(  # noqa: UP045
        None,
        "--min-coverage",
        min=0,
        max=100,
        help="Fail when fewer than PCT percent of the images are fully mirrored.",
    ),
    ignore: Optional[list[str]] = typer.Option(  # noqa: UP045
        None,
        "--ignore",
        help="Image pattern accepted to come from upstream (allows.txt rules: exact, /*, /**).",
    ),
    ignore_file: Optional[str] = typer.Option(  # noqa: UP045
        None, "--ignore-file", help="File of --ignore patterns, one a line, '#' comments."
    ),
    include: Optional[list[str]] = typer.Option(  # noqa: UP045
        None,
        "--include",
        help="Extra classes to route: 'indirect' (images passed in args and env values).",
    ),
    config: Optional[str] = options.CONFIG,  # noqa: UP045
    helm_arg: Optional[list[str]] = options.HELM_ARG,  # noqa: UP045
    skip_non_manifests: bool = typer.Option(
        False,
        "--skip-non-manifests",
        help=(
            "A file named here that reads cleanly but holds no Kubernetes object (a workflow, "
            "a values file) is skipped, as in a folder, not an error: for pre-commit, which "
            "names every changed YAML file."
        ),
    ),
    probe: Optional[bool] = typer.Option(  # noqa: UP045
        None,
        "--probe/--no-probe",
        help="Also ask each mirror on a route whether it really serves the image (network).",
    ),
    color: Optional[bool] = typer.Option(  # noqa: UP045
        None,
        "--color/--no-color",
        help="Colour the table. [default: when stdout is a terminal]",
        show_default=False,
    ),
) -> None:
    """Which images each configured mirror serves, and which fall back to upstream."""
    settings = settings_flags.load("scan", config)
    chosen_format = _format(fmt, settings)
    targets = list(paths or settings.paths)
    if not targets:
        raise _usage("give at least one manifest file or folder ('-' for stdin)")
    destination = output or settings.output
    if destination and destination != "-" and _reads(targets, destination):
        raise _usage(f"--output {destination} is one of the manifests read: not overwriting it")
    mirror = settings_flags.mirror_choice(
        "scan",
        settings,
        hosts_dir,
        containerd_config,
        docker_daemon,
        runtime_files,
    )
    from analyzer.engine import ScanOptions
    from analyzer.formats import ADVICE_FORMATS

    scan_options = ScanOptions(
        paths=tuple(targets),
        hosts_dirs=mirror.hosts_dirs,
        containerd_config=mirror.containerd_config,
        docker_daemon=mirror.docker_daemon,
        catalogs=tuple(catalog or settings.catalog),
        containerd_version=containerd_version or settings.containerd_version,
        include_indirect="indirect" in settings_flags.includes("scan", include, settings),
        ignore=tuple(settings_flags.ignore_patterns("scan", ignore, ignore_file, settings)),
        policy=_policy(
            _fail_on(fail_on) if fail_on is not None else settings.fail_on,
            min_coverage if min_coverage is not None else settings.min_coverage,
        ),
        probe=probe if probe is not None else bool(settings.probe),
        rules=settings.rules,
        helm_args=tuple(helm_arg or settings.helm_arg),
        skip_non_manifests=skip_non_manifests,
        advice=chosen_format in ADVICE_FORMATS,
    )
    report = _run(mirror.files.into(scan_options))
    _write(report, chosen_format, destination, color)
    raise typer.Exit(report.exit_code)


def _format(fmt: str | None, settings: Settings) -> str:
    from analyzer.formats import FORMAT_NAMES

    chosen = fmt or settings.format or "table"
    if chosen not in FORMAT_NAMES:
        raise _usage(f"unknown --format {chosen!r} (choose from {', '.join(FORMAT_NAMES)})")
    return chosen


def _run(scan_options: ScanOptions) -> Report:
    """``engine.run``, with notes and a progress line on stderr; a ``--catalog`` or
    ``--containerd-version`` that cannot be used is a usage error (2). The configuration
    is read after the manifests (only the hosts directories their registries need)."""
    from analyzer.engine import run
    from analyzer.mirrors import CatalogueError
    from analyzer.mirrors.errors import OptionError

    def warn(note: str) -> None:
        say(f"coverage scan: {note}", err=True, line=True)

    progress = ProgressLine.on_terminal("scanning {count}: {what}")
    try:
        return run(
            scan_options,
            stdin=sys.stdin,
            on_file=progress.step if progress else None,
            warn=warn,
        )
    except (CatalogueError, OptionError) as exc:
        raise _usage(str(exc)) from None
    finally:
        if progress:
            progress.done()


def _fail_on(values: list[str]) -> list[str]:
    """Every ``--fail-on`` value's statuses: a second ``--fail-on`` adds to the first (the
    last alone would drop what the first asked for, and pass a gate it should fail)."""
    statuses: list[str] = []
    for value in values:
        parts = settings_flags.split(value)
        if not parts:
            raise _usage(
                "--fail-on is empty: give statuses, or 'none' to gate on --min-coverage alone"
            )
        statuses += parts
    return statuses


def _policy(fail_on: Sequence[str] | None, min_coverage: float | None) -> Policy:
    """The gate's policy; ``none`` alone rejects no status (gate on ``--min-coverage``)."""
    from analyzer.report import DEFAULT_FAIL_ON, GATE_TERMS, Policy

    if min_coverage is not None and math.isnan(min_coverage):
        raise _usage("--min-coverage must be a number from 0 to 100, not nan")
    if fail_on is None:
        return Policy(fail_on=DEFAULT_FAIL_ON, min_coverage=min_coverage)
    if not fail_on:
        raise _usage("--fail-on is empty: give statuses, or 'none' to gate on --min-coverage alone")
    if "none" in fail_on:
        if len(fail_on) > 1:
            raise _usage("--fail-on none cannot be combined with statuses")
        return Policy(fail_on=frozenset(), min_coverage=min_coverage)
    unknown = [s for s in fail_on if s not in GATE_TERMS]
    if unknown:
        raise _usage(
            f"unknown status in --fail-on: {', '.join(unknown)} "
            f"(choose from {', '.join(GATE_TERMS)}, or none)"
        )
    return Policy(fail_on=frozenset(fail_on), min_coverage=min_coverage)


def _write(report: Report, fmt: str, output: str | None, color: bool | None) -> None:
    """The report in ``fmt`` on stdout or in ``output``, written as it is made (a report of
    millions of uses is never one string)."""
    import io

    from analyzer.cli.output import Document
    from analyzer.formats import render

    if output is None or output == "-":
        use_color = color if color is not None else _wants_color(sys.stdout)
        document = Document()
        render(report, fmt, cast(TextIO, document), color=use_color and fmt == "table")
        document.end()
        return

    def write(stream: BinaryIO) -> None:
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="")
        render(report, fmt, text, color=bool(color) and fmt == "table")
        text.flush()
        text.detach()

    try:
        _write_file(Path(output), write)
    except OSError as exc:
        raise _usage(f"{output}: cannot write: {exc.strerror or exc}") from None
    from analyzer.formats.common import coverage_text, verdict

    images = report.summary().images
    say(
        f"{verdict(report)} ({images} images, {coverage_text(report)}); "
        f"{fmt} report written to {output}",
        err=True,
    )


def _write_file(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """A regular file is replaced atomically (a reader never sees half a report), with the
    umask's permissions; anything else (a symlink, a FIFO, /dev/stdout) is written through."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        with open(path, "wb") as stream:
            write(stream)
        return
    from analyzer.store.cache import atomic_write_with  # creates missing folders, as CI wants

    atomic_write_with(path, write)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _reads(targets: list[str], output: str) -> bool:
    """Is ``output`` an existing file this scan reads (given, or found in a given folder)?"""
    from analyzer.sources.files import MANIFEST_SUFFIXES

    if not os.path.isfile(output):
        return False  # nothing there to lose (a FIFO or /dev/stdout is written through)
    real = os.path.realpath(output)
    for target in targets:
        if target == "-" or not os.path.exists(target):
            continue
        if os.path.isdir(target):
            folder = os.path.join(os.path.realpath(target), "")
            if real.startswith(folder) and real.lower().endswith(MANIFEST_SUFFIXES):
                return True
        elif os.path.samefile(target, output):
            return True
    return False


def _wants_color(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in os.environ
