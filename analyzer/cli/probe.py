"""``coverage probe``: ask each mirror on an image's route whether it really serves it.

Images come from manifests (PATH..., '-' for stdin) and/or ``--image``. Each is routed with
the same configuration options as ``scan``; every mirror host on its route (never the
upstream) gets one ``HEAD .../manifests/<tag|digest>`` as containerd sends it. The verdict is
printed beside the catalogue's prediction and every disagreement is flagged.

Exit codes: 0 probing ran (whatever the mirrors answered), 2 usage error or input that could
not be read (the rest is still probed and reported).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

import typer

from analyzer.cli import options
from analyzer.cli.app import app, usage_error
from analyzer.cli.output import ProgressLine, say

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.model import Host, Route
    from analyzer.online.compare import ProbeComparison
    from analyzer.online.probe import ProbeResult
    from analyzer.reference import ImageRef

_FORMATS = ("text", "json")


def _fail(message: str) -> typer.Exit:
    return usage_error("probe", message)


def _error(message: str) -> None:
    say(f"coverage probe: error: {message}", err=True)


@dataclass(frozen=True)
class _ImageProbes:
    """One image: its route by the catalogues, its probes, its route by the probes."""

    ref: ImageRef
    route: Route
    comparisons: tuple[ProbeComparison, ...]
    probed_status: str | None  # the route status if the probes are right

    def to_dict(self) -> dict[str, Any]:
        return {
            "image": self.ref.pull_ref,
            "registry": self.route.registry,
            "status": self.route.status,
            "status_by_probe": self.probed_status,
            "probes": [c.to_dict() for c in self.comparisons],
        }


@app.command("probe")
@options.with_runtime_options()
def probe_command(
    paths: Optional[list[str]] = typer.Argument(  # noqa: UP045 - typer needs Optional here
        None, help="Manifest files or folders (recursive); '-' reads stdin.", show_default=False
    ),
    image: Optional[list[str]] = typer.Option(  # noqa: UP045
        None, "--image", "-i", help="An image to probe (repeatable), as written in a manifest."
    ),
    hosts_dir: Optional[list[str]] = options.HOSTS_DIR,  # noqa: UP045
    containerd_config: Optional[str] = options.CONTAINERD_CONFIG,  # noqa: UP045
    docker_daemon: Optional[str] = options.DOCKER_DAEMON,  # noqa: UP045
    *,
    runtime_files: options.RuntimeOptions,  # the runtime options (with_runtime_options)
    containerd_version: Optional[str] = options.CONTAINERD_VERSION,  # noqa: UP045
    catalog: Optional[list[str]] = options.CATALOG,  # noqa: UP045
    concurrency: int = typer.Option(
        2, "--concurrency", min=1, max=10, help="Probes in flight at once."
    ),
    rate: int = typer.Option(
        20, "--rate", min=1, help="Requests a minute to any one host (sliding window)."
    ),
    timeout: float = typer.Option(
        10.0, "--timeout", min=0.1, help="Seconds for each whole request."
    ),
    max_errors: int = typer.Option(
        5,
        "--max-errors",
        min=0,
        help="Stop probing a host after this many errors in a row (0: never stop).",
    ),
    cache_ttl: float = typer.Option(
        3600.0,
        "--cache-ttl",
        min=0,
        help="Reuse verdicts younger than this many seconds (0: always ask).",
    ),
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
) -> None:
    """Ask each mirror on each image's route whether it really serves the image."""
    if fmt not in _FORMATS:
        raise _fail(f"unknown --format {fmt!r} (choose from {', '.join(_FORMATS)})")
    if not paths and not image:
        raise _fail("give manifest files or folders ('-' for stdin), or --image IMAGE")

    from analyzer.engine import ScanOptions, run, setup
    from analyzer.mirrors import CatalogueError
    from analyzer.mirrors.errors import OptionError

    scan_options = runtime_files.into(
        ScanOptions(
            paths=tuple(paths or ()),
            images=tuple(image or ()),
            hosts_dirs=tuple(hosts_dir or ()),
            containerd_config=containerd_config,
            docker_daemon=docker_daemon,
            catalogs=tuple(catalog or ()),
            containerd_version=containerd_version,
        )
    )
    try:
        prepared = setup(scan_options, warn=lambda note: say(f"coverage probe: {note}", err=True))
    except (CatalogueError, OptionError) as exc:
        raise _fail(str(exc)) from None
    config, catalogues = prepared.config, prepared.catalogues
    for config_error in config.errors:
        say(f"coverage probe: config error: {config_error}", err=True)
    for warning in config.warnings:
        say(f"coverage probe: warning: {warning}", err=True)
    # the images of the manifests and of --image, routed as scan routes them
    report = run(scan_options, prepared=prepared, stdin=sys.stdin if paths else None)
    for source_error in report.source_errors:
        _error(str(source_error))
    unreadable = bool(report.source_errors)
    refs = {result.image: result.ref for result in report.images}
    routes = {result.image: result.route for result in report.images}

    from analyzer.online.compare import compare, probe_catalogues
    from analyzer.online.probe import Prober
    from analyzer.route import route_hosts, route_image

    items: list[tuple[Host, str, ImageRef]] = [
        (host, ref.pulled.domain, ref)
        for ref in refs.values()
        for host in route_hosts(ref, config).mirrors
    ]
    prober = Prober(
        timeout=timeout,
        concurrency=concurrency,
        rate_per_minute=rate,
        max_errors=max_errors,
        cache_ttl=cache_ttl,
    )
    progress = (
        ProgressLine.on_terminal("probing {count}/{total}: {what}", len(items)) if items else None
    )
    results = prober.probe_many(
        items, on_result=(lambda result: progress.step(result.image)) if progress else None
    )
    if progress:
        progress.done()

    comparisons = compare(items, results, catalogues)
    by_probe = probe_catalogues(items, results, catalogues)
    images = [
        _ImageProbes(
            ref=ref,
            route=routes[key],
            comparisons=tuple(c for c in comparisons if c.result.image == ref.pull_ref),
            probed_status=route_image(ref, config, by_probe).status
            if route_hosts(ref, config).mirrors
            else None,
        )
        for key, ref in refs.items()
    ]
    if fmt == "json":
        say(json.dumps(_json_report(images, comparisons, config.description), indent=2))
    else:
        say(_text_report(images, comparisons))
    if unreadable or config.errors:
        raise typer.Exit(2)


# -- output ------------------------------------------------------------------------------------


def _verdict(result: ProbeResult) -> str:
    notes = [f"HTTP {result.status}"] if result.status is not None else []
    if result.cached:
        notes.append("cached")
    return f"{result.outcome} ({', '.join(notes)})" if notes else result.outcome


def _text_report(images: list[_ImageProbes], comparisons: list[ProbeComparison]) -> str:
    lines: list[str] = []
    for entry in images:
        route = entry.route
        served_by = f" via {route.content_host}" if route.content_host else ""
        lines.append(f"{entry.ref.pull_ref}  predicted: {route.status}{served_by}")
        if not entry.comparisons:
            lines.append(f"  no mirror configured for {route.registry}: nothing to probe")
        for comparison in entry.comparisons:
            result = comparison.result
            predicted = "holds" if comparison.predicted else "does not hold"
            if comparison.assumed:
                predicted += " (assumed)"
            flag = "  <- DISAGREES" if comparison.disagrees else ""
            lines.append(
                f"  {result.host}  catalogue: {predicted}  probe: {_verdict(result)}{flag}"
            )
            if result.outcome != "served" and result.detail:
                lines.append(f"      {result.detail}")
        if entry.probed_status is not None and entry.probed_status != route.status:
            lines.append(f"  by the probes: {entry.probed_status}")
    lines.append("")
    lines.append(_summary_line(comparisons))
    disagreeing = [c for c in comparisons if c.disagrees]
    if disagreeing:
        lines.append("disagreements:")
        for c in disagreeing:
            predicted = "holds" if c.predicted else "does not hold"
            lines.append(
                f"  {c.result.image} on {c.result.host}: the catalogue says "
                f"{predicted} ({c.catalogue}); the mirror answered {c.result.outcome}"
            )
    return "\n".join(lines)


def _summary_line(comparisons: list[ProbeComparison]) -> str:
    outcomes = Counter(c.result.outcome for c in comparisons)
    hosts = {c.result.host for c in comparisons}
    counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items())) or "none"
    disagreeing = sum(1 for c in comparisons if c.disagrees)
    return (
        f"{len(comparisons)} probes on {len(hosts)} mirror hosts: {counts}; "
        f"{disagreeing} disagreement{'s' if disagreeing != 1 else ''} with the catalogues"
    )


def _json_report(
    images: list[_ImageProbes], comparisons: list[ProbeComparison], description: str
) -> dict[str, Any]:
    return {
        "config": description,
        "images": [entry.to_dict() for entry in images],
        "summary": {
            "images": len(images),
            "probes": len(comparisons),
            "hosts": len({c.result.host for c in comparisons}),
            "outcomes": dict(sorted(Counter(c.result.outcome for c in comparisons).items())),
            "disagreements": sum(1 for c in comparisons if c.disagrees),
        },
    }
