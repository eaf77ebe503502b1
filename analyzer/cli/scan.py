"""``coverage scan``: the coverage report, and the pre-deploy CI gate.

Exit codes: 0 the policy holds, 1 it does not, 2 usage error or input that could not be read
(the report is still written). Settings come from ``--config``, or ``image-coverage.toml``
or ``[tool.image-coverage]`` in ``pyproject.toml`` found upward; flags win over the file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from analyzer.cli import options
from analyzer.cli.app import app, usage_error

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.report import Report

_FAIL_ON_VALUES = ("mirrored", "partial", "fallback", "direct", "blocked", "invalid")
_INCLUDE_VALUES = ("indirect",)


def _usage(message: str) -> typer.Exit:
    return usage_error("scan", message)


@app.command("scan")
def scan_command(
    paths: Optional[list[str]] = typer.Argument(  # noqa: UP045 - typer needs Optional here
        None, help="Manifest files or folders (recursive); '-' reads stdin.", show_default=False
    ),
    hosts_dir: Optional[list[str]] = options.HOSTS_DIR,  # noqa: UP045
    containerd_config: Optional[str] = options.CONTAINERD_CONFIG,  # noqa: UP045
    docker_daemon: Optional[str] = options.DOCKER_DAEMON,  # noqa: UP045
    catalog: Optional[list[str]] = options.CATALOG,  # noqa: UP045
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
    fail_on: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--fail-on",
        help="Comma-separated statuses that fail the gate. [default: fallback,blocked,invalid]",
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
    config: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--config",
        help="Settings file (default: image-coverage.toml or pyproject.toml "
        "with [tool.image-coverage], found upward).",
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
    from analyzer.settings import Settings, SettingsError, find_settings_file, load_settings

    try:
        settings_path = Path(config) if config else find_settings_file()
        settings = load_settings(settings_path) if settings_path else Settings()
    except SettingsError as exc:
        raise _usage(str(exc)) from None

    from analyzer.formats import FORMAT_NAMES

    chosen_format = fmt or settings.format or "table"
    if chosen_format not in FORMAT_NAMES:
        raise _usage(f"unknown --format {chosen_format!r} (choose from {', '.join(FORMAT_NAMES)})")
    statuses = _split(fail_on) if fail_on is not None else list(settings.fail_on)
    unknown = [s for s in statuses if s not in _FAIL_ON_VALUES]
    if unknown:
        raise _usage(
            f"unknown status in --fail-on: {', '.join(unknown)} "
            f"(choose from {', '.join(_FAIL_ON_VALUES)})"
        )
    includes = [c for item in (include or settings.include) for c in _split(item)]
    bad_include = [c for c in includes if c not in _INCLUDE_VALUES]
    if bad_include:
        raise _usage(f"unknown --include {', '.join(bad_include)} (choose from indirect)")

    patterns = list(ignore or settings.ignore)
    pattern_file = ignore_file or settings.ignore_file
    if pattern_file:
        try:
            patterns += _read_ignore_file(pattern_file)
        except OSError as exc:
            raise _usage(f"{pattern_file}: cannot read: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise _usage(f"{pattern_file}: not UTF-8 text") from None

    targets = list(paths or settings.paths)
    if not targets:
        raise _usage("give at least one manifest file or folder ('-' for stdin)")

    # The mirror configuration is one choice: any of its flags replaces all of the file's.
    if not (hosts_dir or containerd_config or docker_daemon):
        hosts_dir = list(settings.hosts_dir)
        containerd_config = settings.containerd_config
        docker_daemon = settings.docker_daemon
    report = _run_scan(
        targets,
        hosts_dir=list(hosts_dir or ()),
        containerd_config=containerd_config,
        docker_daemon=docker_daemon,
        catalogs=list(catalog or settings.catalog),
        statuses=statuses,
        min_coverage=min_coverage if min_coverage is not None else settings.min_coverage,
        patterns=patterns,
        include_indirect="indirect" in includes,
        probe=probe if probe is not None else bool(settings.probe),
    )
    _write(report, chosen_format, output or settings.output, color)
    raise typer.Exit(report.exit_code)


def _run_scan(
    targets: list[str],
    *,
    hosts_dir: list[str],
    containerd_config: str | None,
    docker_daemon: str | None,
    catalogs: list[str],
    statuses: list[str],
    min_coverage: float | None,
    patterns: list[str],
    include_indirect: bool,
    probe: bool,
) -> Report:
    from analyzer.engine import build_report
    from analyzer.mirrors import CatalogueError
    from analyzer.mirrors.patterns import PatternSet
    from analyzer.report import DEFAULT_FAIL_ON, Policy
    from analyzer.sources import read_sources

    try:
        if patterns:
            PatternSet.from_lines(patterns, source="--ignore")
        config, catalogues = options.mirror_setup(
            hosts_dir=hosts_dir,
            containerd_config=containerd_config,
            docker_daemon=docker_daemon,
            catalog=catalogs,
        )
    except (CatalogueError, ValueError) as exc:
        raise _usage(str(exc)) from None

    progress = _Progress() if sys.stderr.isatty() else None
    sources = read_sources(targets, stdin=sys.stdin, on_file=progress.file if progress else None)
    if progress:
        progress.done()
    policy = Policy(
        fail_on=frozenset(statuses) if statuses else DEFAULT_FAIL_ON,
        min_coverage=min_coverage,
    )
    report = build_report(
        sources,
        config,
        catalogues,
        include_indirect=include_indirect,
        ignore=patterns,
        policy=policy,
    )
    if probe:
        from analyzer.online.probe import Prober
        from analyzer.probing import attach_probes

        report = attach_probes(report, config, catalogues, Prober())
    return report


def _write(report: Report, fmt: str, output: str | None, color: bool | None) -> None:
    from analyzer.formats import render

    if output is None or output == "-":
        use_color = color if color is not None else _wants_color(sys.stdout)
        render(report, fmt, sys.stdout, color=use_color and fmt == "table")
        return
    import io

    buffer = io.StringIO()
    render(report, fmt, buffer, color=bool(color) and fmt == "table")
    try:
        _write_file(Path(output), buffer.getvalue().encode("utf-8", "surrogateescape"))
    except OSError as exc:
        raise _usage(f"{output}: cannot write: {exc.strerror or exc}") from None
    summary = report.summary()
    verdict = "PASS" if report.passed else "FAIL"
    typer.echo(
        f"{verdict}: {summary.images} images, coverage {summary.coverage_percent:g}%; "
        f"{fmt} report written to {output}",
        err=True,
    )


def _write_file(path: Path, data: bytes) -> None:
    """A regular file is replaced atomically (a reader never sees half a report), with the
    umask's permissions; anything else (a symlink, a FIFO, /dev/stdout) is written through."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        with open(path, "wb") as stream:
            stream.write(data)
        return
    from analyzer.online.cache import atomic_write_bytes  # creates missing folders, as CI wants

    atomic_write_bytes(path, data)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _wants_color(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in os.environ


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _read_ignore_file(path: str) -> list[str]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


class _Progress:
    """A one-line file counter on stderr (only on a terminal)."""

    def __init__(self) -> None:
        self.count = 0

    def file(self, name: str) -> None:
        self.count += 1
        shown = name if len(name) <= 60 else "…" + name[-59:]
        sys.stderr.write(f"\r\x1b[2Kscanning {self.count}: {shown}")
        sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\r\x1b[2K")
        sys.stderr.flush()
