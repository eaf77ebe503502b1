"""What ``request``, ``rewrite`` and ``mirrors init --for`` read: manifests (and ``--image``
names), and for ``request`` and ``init --for`` the mirror configuration and catalogues,
routed into a ``Report``. The settings file is read as ``coverage scan`` reads it
(``settings_flags``): its extraction rules, ``helm-arg``, ``catalog``, ``ignore``,
``include``, ``containerd-version`` and mirror configuration (runtime options included)
apply where the command's own options are not given.

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

from analyzer.cli import options, settings_flags
from analyzer.cli.app import usage_error
from analyzer.cli.output import say

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.mirrors import Catalogues, MirrorConfig
    from analyzer.report import Report
    from analyzer.settings import Settings
    from analyzer.sources import SourceResult
    from analyzer.sources.kinds import Rule

IMAGE = typer.Option(
    None, "--image", help="An image reference to consider too (repeatable).", show_default=False
)
IGNORE = typer.Option(
    None,
    "--ignore",
    help="Image pattern accepted to come from upstream (allows.txt rules: exact, /*, /**).",
)
INCLUDE = typer.Option(
    None,
    "--include",
    help="Extra classes to route: 'indirect' (images passed in args and env values).",
)


@dataclass(frozen=True)
class Reading:
    """How manifests are read: the settings file's extraction rules, ``helm template`` args."""

    rules: tuple[Rule, ...] = ()
    helm_args: tuple[str, ...] = ()

    @classmethod
    def chosen(cls, settings: Settings, helm_arg: Sequence[str] | None) -> Reading:
        return cls(settings.rules, tuple(helm_arg or settings.helm_arg))


@dataclass(frozen=True)
class Inputs:
    report: Report
    config: MirrorConfig
    catalogues: Catalogues
    bad: bool  # something could not be read or parsed: exit 2 after the output
    configured: bool = False  # a mirror configuration was named (an option or the settings)
    include_indirect: bool = False
    ignore: tuple[str, ...] = ()

    def routed(self, config: MirrorConfig, *, with_errors: bool = True) -> Report:
        """The same uses routed through ``config``, with the same classes and ignores."""
        from analyzer.engine import build_report
        from analyzer.sources import SourceResult

        report = self.report
        uses = (*(u for r in report.images for u in r.uses), *report.invalid)
        errors = report.source_errors if with_errors else ()
        sources = SourceResult(uses, errors, report.files_read, report.files_skipped)
        return build_report(
            sources,
            config,
            self.catalogues,
            include_indirect=self.include_indirect,
            ignore=self.ignore,
        )


def read_inputs(
    paths: Sequence[str], images: Sequence[str], command: str, reading: Reading = Reading()
) -> tuple[SourceResult, bool]:
    """Manifests plus ``--image`` names (as uses of class ``container``, the N-th at line N
    of ``--image``, as ``engine.given_images`` makes them for ``probe``)."""
    from analyzer.engine import given_images
    from analyzer.sources import RenderOptions, SourceResult, read_sources

    extra, refused = given_images(images)
    for image in refused:  # (text and reason come redacted)
        say(f"coverage {command}: --image {image.text!r}: refused: {image.reason}", err=True)
    bad = bool(refused)
    sources = (
        read_sources(
            list(paths),
            stdin=sys.stdin,
            rules=reading.rules,
            render=RenderOptions(helm_args=reading.helm_args),
        )
        if paths
        else None
    )
    if sources is None:
        return SourceResult(tuple(extra), (), 0, 0), bad
    for error in sources.errors:
        say(f"coverage {command}: {error}", err=True, line=True)
    merged = SourceResult(
        sources.uses + tuple(extra), sources.errors, sources.files_read, sources.files_skipped
    )
    return merged, bad or bool(sources.errors)


def load_inputs(
    command: str,
    *,
    paths: Sequence[str],
    images: Sequence[str] = (),
    config: str | None = None,
    hosts_dir: list[str] | None = None,
    containerd_config: str | None = None,
    docker_daemon: str | None = None,
    catalog: Sequence[str] | None = None,
    ignore: list[str] | None = None,
    include: list[str] | None = None,
    containerd_version: str | None = None,
    helm_arg: Sequence[str] | None = None,
    settings_paths: bool = True,
    runtime_files: options.RuntimeOptions = options.RuntimeOptions(),
) -> Inputs:
    """Route the manifests the way ``coverage scan`` would, with the same settings file
    (``--config``, or found upward) under the options (``runtime_files``: ``--runtime``,
    ``--k3s-registries``... as ``scan`` takes them); usage errors end the command.
    With ``settings_paths``, the file's ``paths`` are read when no path or image is given."""
    from analyzer.engine import build_report
    from analyzer.mirrors import CatalogueError
    from analyzer.mirrors.patterns import PatternSet

    settings = settings_flags.load(command, config)
    if not paths and not images and settings_paths:
        paths = settings.paths
    if not paths and not images:
        raise usage_error(command, "give at least one manifest file or folder, or --image")
    patterns = tuple(settings_flags.ignore_patterns(command, ignore, None, settings))
    try:
        if patterns:
            PatternSet.from_lines(patterns, source="--ignore" if ignore else str(settings.file))
    except CatalogueError as exc:
        raise usage_error(command, str(exc)) from None
    include_indirect = "indirect" in settings_flags.includes(command, include, settings)
    mirror = settings_flags.mirror_choice(
        command, settings, hosts_dir, containerd_config, docker_daemon, runtime_files
    )
    mirror_config, catalogues = options.mirror_setup_or_exit(
        command,
        hosts_dir=mirror.hosts_dirs,
        containerd_config=mirror.containerd_config,
        docker_daemon=mirror.docker_daemon,
        catalog=catalog or settings.catalog,
        containerd_version=containerd_version or settings.containerd_version,
        runtime=mirror.files,
    )
    for error in mirror_config.errors:
        say(f"coverage {command}: config error: {error}", err=True, line=True)
    for warning in mirror_config.warnings:
        say(f"coverage {command}: warning: {warning}", err=True, line=True)
    sources, bad = read_inputs(paths, images, command, Reading.chosen(settings, helm_arg))
    report = build_report(
        sources, mirror_config, catalogues, include_indirect=include_indirect, ignore=patterns
    )
    return Inputs(
        report,
        mirror_config,
        catalogues,
        bad or bool(mirror_config.errors),
        configured=mirror.given,
        include_indirect=include_indirect,
        ignore=patterns,
    )
