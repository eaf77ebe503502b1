"""What ``request``, ``rewrite`` and ``mirrors init --for`` read: manifests (and ``--image``
names), the mirror configuration and catalogues, routed into a ``Report``.

Problems (a file that could not be read, a configuration file containerd would ignore, an
``--image`` that is not a reference) go to stderr one line each as ``coverage COMMAND: ...``;
the command still produces its output and exits 2 (``Inputs.bad``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from analyzer.cli import options
from analyzer.cli.app import usage_error
from analyzer.cli.output import say

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.mirrors import Catalogues, MirrorConfig
    from analyzer.report import Report
    from analyzer.sources import SourceResult

IMAGE = typer.Option(
    None, "--image", help="An image reference to consider too (repeatable).", show_default=False
)
IGNORE = typer.Option(
    None,
    "--ignore",
    help="Image pattern accepted to come from upstream (allows.txt rules: exact, /*, /**).",
)


@dataclass(frozen=True)
class Inputs:
    report: Report
    config: MirrorConfig
    catalogues: Catalogues
    bad: bool  # something could not be read or parsed: exit 2 after the output


def read_inputs(
    paths: Sequence[str], images: Sequence[str], command: str
) -> tuple[SourceResult, bool]:
    """Manifests plus ``--image`` names (as uses of class ``container``)."""
    from analyzer.model import ImageUse
    from analyzer.reference import InvalidImageReference, parse_image
    from analyzer.sources import SourceResult, read_sources

    bad = False
    extra = []
    for number, text in enumerate(images, start=1):
        try:
            ref = parse_image(text)
        except InvalidImageReference as exc:
            say(f"coverage {command}: --image {text!r}: refused: {exc}", err=True)
            bad = True
            continue
        extra.append(ImageUse(text, ref, "container", "--image", number, 0, "--image"))
    sources = read_sources(list(paths), stdin=sys.stdin) if paths else None
    if sources is None:
        return SourceResult(tuple(extra), (), 0, 0), bad
    for error in sources.errors:
        say(f"coverage {command}: {error}", err=True)
    merged = SourceResult(
        sources.uses + tuple(extra), sources.errors, sources.files_read, sources.files_skipped
    )
    return merged, bad or bool(sources.errors)


def load_inputs(
    command: str,
    *,
    paths: Sequence[str],
    images: Sequence[str] = (),
    hosts_dir: Sequence[str] | None = None,
    containerd_config: str | None = None,
    docker_daemon: str | None = None,
    catalog: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    include_indirect: bool = False,
) -> Inputs:
    """Route the manifests the way ``coverage scan`` would; usage errors end the command."""
    from analyzer.engine import build_report
    from analyzer.mirrors import CatalogueError
    from analyzer.mirrors.patterns import PatternSet

    if not paths and not images:
        raise usage_error(command, "give at least one manifest file or folder, or --image")
    try:
        if ignore:
            PatternSet.from_lines(ignore, source="--ignore")
    except CatalogueError as exc:
        raise usage_error(command, str(exc)) from None
    config, catalogues = options.mirror_setup_or_exit(
        command,
        hosts_dir=hosts_dir,
        containerd_config=containerd_config,
        docker_daemon=docker_daemon,
        catalog=catalog,
    )
    for error in config.errors:
        say(f"coverage {command}: config error: {error}", err=True)
    sources, bad = read_inputs(paths, images, command)
    report = build_report(
        sources, config, catalogues, include_indirect=include_indirect, ignore=ignore
    )
    return Inputs(report, config, catalogues, bad or bool(config.errors))
