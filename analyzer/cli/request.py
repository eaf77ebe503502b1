"""``coverage request PATH...``: the whitelist lines to ask a mirror for, per list.

Exit codes: 0 the output was produced; 2 a usage error, an input that could not be read, an
``--image`` that is not a reference, or a patch asked for a list that has no file (the rest
of the output is still written where it can be). The settings file is read as ``coverage
scan`` reads it (``--config``, or found upward); options win over it.
"""

from __future__ import annotations

from typing import Optional

import typer

from analyzer.cli import fix_inputs, options
from analyzer.cli.app import app, usage_error
from analyzer.cli.output import say


@app.command("request")
@options.with_runtime_options()
def request_command(
    paths: Optional[list[str]] = typer.Argument(  # noqa: UP045 - typer needs Optional here
        None, help="Manifest files or folders (recursive); '-' reads stdin.", show_default=False
    ),
    image: Optional[list[str]] = fix_inputs.IMAGE,  # noqa: UP045
    hosts_dir: Optional[list[str]] = options.HOSTS_DIR,  # noqa: UP045
    containerd_config: Optional[str] = options.CONTAINERD_CONFIG,  # noqa: UP045
    docker_daemon: Optional[str] = options.DOCKER_DAEMON,  # noqa: UP045
    *,
    runtime_files: options.RuntimeOptions,  # the runtime options (with_runtime_options)
    catalog: Optional[list[str]] = options.CATALOG,  # noqa: UP045
    ignore: Optional[list[str]] = fix_inputs.IGNORE,  # noqa: UP045
    include: Optional[list[str]] = fix_inputs.INCLUDE,  # noqa: UP045
    containerd_version: Optional[str] = options.CONTAINERD_VERSION,  # noqa: UP045
    config: Optional[str] = options.CONFIG,  # noqa: UP045
    helm_arg: Optional[list[str]] = options.HELM_ARG,  # noqa: UP045
    fmt: str = typer.Option(
        "text", "--format", "-f", help="text, patch (a diff of the list), issue or json."
    ),
    wildcard: bool = typer.Option(
        False,
        "--wildcard",
        help="Replace two or more lines of one organisation by one '/*' line "
        "(the text output says what else it opens up).",
    ),
) -> None:
    """The fewest whitelist lines that make the mirrors serve the images that fall back."""
    from analyzer.fixes.request import plan_requests
    from analyzer.fixes.request_formats import FORMATS, PatchError, render

    if fmt not in FORMATS:
        raise usage_error("request", f"unknown --format {fmt!r} (choose from {', '.join(FORMATS)})")
    inputs = fix_inputs.load_inputs(
        "request",
        paths=paths or [],
        images=image or [],
        hosts_dir=hosts_dir,
        containerd_config=containerd_config,
        docker_daemon=docker_daemon,
        catalog=catalog,
        ignore=ignore,
        include=include,
        containerd_version=containerd_version,
        config=config,
        helm_arg=helm_arg,
        runtime_files=runtime_files,
    )
    plan = plan_requests(inputs.report, inputs.config, inputs.catalogues, wildcard=wildcard)
    try:
        say(render(plan, fmt), nl=False)
    except PatchError as exc:
        raise usage_error("request", str(exc)) from None
    if fmt != "text":
        for refused in plan.refused:
            say(f"coverage request: {refused}", err=True)
    if inputs.bad:
        raise typer.Exit(2)
