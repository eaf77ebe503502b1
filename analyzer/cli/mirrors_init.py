"""``coverage mirrors init DIR``: write a mirror configuration with the known-good rules.

Exit codes: 0 written (or printed, with ``--dry-run``); 2 a usage error, a ``--mirror`` that
would not work, a file that exists and differs (without ``--force``), manifests that could
not be read (``--for``), a configuration with which pulls from a planned registry would
fail (a file beside the new ones that the runtime refuses: nothing written), or a written
configuration that does not route as predicted. With ``--for``, the manifests are read and
routed as ``coverage scan`` would, with the same settings file (``--config``, or found upward)
and the same options for the configuration before (``--hosts-dir``... and scan's runtime
options but ``--runtime``, which here names the files to write); without ``--for`` nothing
is routed, and those options are a usage error rather than silently unused.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from analyzer.cli import fix_inputs, options
from analyzer.cli.app import usage_error
from analyzer.cli.mirrors import mirrors_app
from analyzer.cli.output import say

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.fixes.init import InitPlan
    from analyzer.fixes.mirror_spec import MirrorSpec
    from analyzer.mirrors import MirrorConfig

_COMMAND = "mirrors init"
_PRESETS = ("daocloud",)


def _fail(message: str) -> typer.Exit:
    return usage_error(_COMMAND, message)


def _specs(preset: str | None, mirrors: list[str]) -> list[MirrorSpec]:
    from analyzer.fixes.mirror_spec import MirrorSpecError, daocloud_preset, parse_mirror

    if preset is not None and preset not in _PRESETS:
        raise _fail(f"unknown --preset {preset!r} (choose from {', '.join(_PRESETS)})")
    if preset is None and not mirrors:
        raise _fail("give --preset daocloud or at least one --mirror REGISTRY=URL")
    specs: list[MirrorSpec] = []
    try:
        specs.extend(parse_mirror(text) for text in mirrors)
    except MirrorSpecError as exc:
        raise _fail(str(exc)) from None
    if preset == "daocloud":
        given = {s.registry for s in specs}
        specs.extend(s for s in daocloud_preset() if s.registry not in given)
    return specs


#: scan's --hosts-dir, but with nothing named the configuration before is none (the node
#: before init), not what scan would find: its help says so
_BEFORE_HOSTS_DIR = typer.Option(
    None,
    "--hosts-dir",
    help=(
        "With --for: the containerd hosts directory (config_path) in use before, to compare "
        "with; repeatable, each value may be a ':'-separated list of roots. [default: no "
        "mirror configuration, unless the settings file names one]"
    ),
    show_default=False,
)


@mirrors_app.command("init")
@options.with_runtime_options(runtime=False)  # --runtime here is what to write
def init_command(
    directory: str = typer.Argument(
        ...,
        help=(
            "Where to write: the hosts directory (containerd); the folder of daemon.json "
            "(docker) or registries.yaml (k3s, rke2); /etc/containers (crio, podman: a "
            "registries.conf.d drop-in)."
        ),
    ),
    preset: Optional[str] = typer.Option(  # noqa: UP045 - typer needs Optional here
        None, "--preset", help="daocloud: one *.m.daocloud.io mirror per registry it serves."
    ),
    mirror: Optional[list[str]] = typer.Option(  # noqa: UP045
        None, "--mirror", help="REGISTRY=URL, e.g. docker.io=https://mirror.example (repeatable)."
    ),
    runtime: str = typer.Option(
        "containerd", "--runtime", help="containerd, docker, k3s, rke2, crio or podman."
    ),
    for_paths: Optional[list[str]] = typer.Option(  # noqa: UP045
        None,
        "--for",
        help="Manifests (repeatable): only their registries, with coverage before and after.",
    ),
    force: bool = typer.Option(False, "--force", help="Replace files that exist and differ."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be written."),
    hosts_dir: Optional[list[str]] = _BEFORE_HOSTS_DIR,  # noqa: UP045
    containerd_config: Optional[str] = options.CONTAINERD_CONFIG,  # noqa: UP045
    docker_daemon: Optional[str] = options.DOCKER_DAEMON,  # noqa: UP045
    *,
    runtime_files: options.RuntimeOptions,  # the configuration before (with_runtime_options)
    catalog: Optional[list[str]] = options.CATALOG,  # noqa: UP045
    ignore: Optional[list[str]] = fix_inputs.IGNORE,  # noqa: UP045
    include: Optional[list[str]] = fix_inputs.INCLUDE,  # noqa: UP045
    containerd_version: Optional[str] = options.CONTAINERD_VERSION,  # noqa: UP045
    config: Optional[str] = options.CONFIG,  # noqa: UP045
    helm_arg: Optional[list[str]] = options.HELM_ARG,  # noqa: UP045
) -> None:
    """Write a mirror configuration: the real upstream as server, pull+resolve, a scheme."""
    from analyzer.fixes.init import apply, plan_init, refusals, route_differences, staged
    from analyzer.fixes.writers import WRITERS

    if runtime not in WRITERS:
        raise _fail(f"unknown --runtime {runtime!r} (choose from {', '.join(WRITERS)})")
    specs = _specs(preset, list(mirror or []))
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise _fail(f"{directory}: not a directory")
    before = None
    if not for_paths:
        before_only = [
            flag
            for flag, value in (
                ("--hosts-dir", hosts_dir),
                ("--containerd-config", containerd_config),
                ("--docker-daemon", docker_daemon),
                ("--catalog", catalog),
                ("--ignore", ignore),
                ("--include", include),
                ("--containerd-version", containerd_version),
                ("--config", config),
                ("--helm-arg", helm_arg),
            )
            if value
        ] + runtime_files.flags()
        if before_only:
            raise _fail(
                f"{', '.join(before_only)}: only --for reads the manifests and the "
                "configuration before (give --for PATH)"
            )
    else:
        before = fix_inputs.load_inputs(
            _COMMAND,
            paths=for_paths,
            hosts_dir=hosts_dir,
            containerd_config=containerd_config,
            docker_daemon=docker_daemon,
            catalog=catalog,
            ignore=ignore,
            include=include,
            containerd_version=containerd_version,
            config=config,
            helm_arg=helm_arg,
            settings_paths=False,
            runtime_files=runtime_files,
        )
        if not before.configured:
            if runtime_files.k3s_disable_default_endpoint:
                # it describes a k3s node's registries.yaml; with none named it changes
                # nothing before, and the files written are predicted as k3s reads them
                raise _fail(
                    "--k3s-disable-default-endpoint: no registries.yaml is named for the "
                    "configuration before (give --k3s-registries FILE with it)"
                )
            before = _with_no_mirrors(before)
    used = {r.registry for r in before.report.images} if before else None
    plan = plan_init(target, specs, runtime, used=used)
    for note in plan.notes:
        say(f"note: {note}")
    overwrites = plan.overwrites()
    if overwrites and not force and not dry_run:
        names = ", ".join(str(c.target) for c in overwrites)
        raise _fail(f"{names}: exists and differs; nothing written (--force replaces it)")
    with staged(plan) as (predicted, copy):
        if before is not None:
            _coverage(before, predicted, directory)
        refused = refusals(plan, predicted, copy)
        for problem in refused:
            say(f"coverage {_COMMAND}: error: {problem}", err=True)
        if refused:
            say(f"coverage {_COMMAND}: nothing written", err=True)
            raise typer.Exit(2)
        if dry_run:
            _print_plan(plan)
            raise typer.Exit(2 if before is not None and before.bad else 0)
        try:
            written = apply(plan)
        except OSError as exc:
            raise _fail(f"cannot write: {exc.strerror or exc} ({exc.filename})") from None
        for change in plan.changes:
            state = "unchanged" if change.state == "unchanged" else "wrote"
            say(f"{state} {change.target}")
        problems = route_differences(predicted, plan.writer.load(target), plan.registries)
    if problems:
        for problem in problems:
            say(f"coverage {_COMMAND}: error: {problem}", err=True)
        raise typer.Exit(2)
    if written:
        say(f"re-read {directory}: every registry routes as predicted")
    if before is not None and before.bad:
        raise typer.Exit(2)


def _with_no_mirrors(inputs: fix_inputs.Inputs) -> fix_inputs.Inputs:
    """'before' with no mirror configuration named: a node with no mirrors at all."""
    from dataclasses import replace

    from analyzer.mirrors import MirrorConfig

    config = MirrorConfig(description="no mirror configuration")
    return replace(inputs, report=inputs.routed(config), config=config)


def _coverage(before: fix_inputs.Inputs, predicted: MirrorConfig, directory: str) -> None:
    from analyzer.formats.common import summary_line

    after = before.routed(predicted, with_errors=False)
    say(f"before ({before.config.description}): {summary_line(before.report)}")
    say(f"after ({directory}): {summary_line(after)}")


def _print_plan(plan: InitPlan) -> None:
    for change in plan.changes:
        state = {"new": "new file", "replace": "replaces the file", "unchanged": "unchanged"}
        say(f"--- would write {change.target} ({state[change.state]})")
        say(change.file.text, nl=False)
