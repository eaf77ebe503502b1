"""``coverage doctor``: configuration traps in the mirror setup, each with file, line and fix.

Exit codes: 0 no finding of severity error, 1 at least one (the same findings fail
``coverage scan``'s gate through ``--fail-on misconfigured``), 2 usage error or a
configuration file that could not be read.
"""

from __future__ import annotations

import json
from typing import Optional

import typer

from analyzer.cli import options, output
from analyzer.cli.app import app, usage_error

_FORMATS = ("text", "json")


@app.command("doctor")
@options.with_runtime_options()
def doctor_command(
    hosts_dir: Optional[list[str]] = options.HOSTS_DIR,  # noqa: UP045 - typer needs Optional
    containerd_config: Optional[str] = options.CONTAINERD_CONFIG,  # noqa: UP045
    docker_daemon: Optional[str] = options.DOCKER_DAEMON,  # noqa: UP045
    containerd_version: Optional[str] = options.CONTAINERD_VERSION,  # noqa: UP045
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
    *,
    runtime_files: options.RuntimeOptions,  # the runtime options (with_runtime_options)
) -> None:
    """Check the mirror configuration for the traps that make a mirror silently unused."""
    if fmt not in _FORMATS:
        raise usage_error("doctor", f"unknown --format {fmt!r} (choose from text, json)")
    from analyzer.formats.common import one_line
    from analyzer.formats.textgrid import printable
    from analyzer.mirrors.doctor import diagnose
    from analyzer.mirrors.doctor_registries_conf import diagnose_registries_conf, explained_errors

    def say(text: str) -> None:
        output.say(one_line(text))

    config, _ = options.mirror_setup_or_exit(
        "doctor",
        hosts_dir=hosts_dir,
        containerd_config=containerd_config,
        docker_daemon=docker_daemon,
        containerd_version=containerd_version,
        runtime=runtime_files,
    )
    findings = (
        *diagnose(
            [root.path for root in config.roots],
            containerd_config,
            runtime_files.k3s_registries,
            config.containerd_version,
        ),
        *config.findings,
        *diagnose_registries_conf(config),
    )
    # a registries.conf containers/image refuses is a finding with its fix, not a file the
    # doctor could not read
    explained = explained_errors(config.errors, findings)
    config_errors = [e for e in config.errors if e not in explained]
    errors = sum(1 for f in findings if f.severity == "error")
    if fmt == "json":
        document = {
            "configuration": config.description,
            "findings": [f.to_dict() for f in findings],
            "config_errors": [e.to_dict() for e in config_errors],
            "config_warnings": list(config.warnings),
        }
        output.say(json.dumps(document, indent=2))
    else:
        say(f"configuration: {config.description}")
        for finding in findings:
            say(f"{finding.severity}: {finding}")
            if finding.fix:
                output.say("  " + printable(f"fix: {one_line(finding.fix)}", keep_colour=False))
        for error in config_errors:
            say(f"error: {error}")
        for warning in config.warnings:
            say(f"warning: {warning}")
        warnings = len(findings) - errors
        summary = (
            f"{errors} error{'s' if errors != 1 else ''}, "
            f"{warnings} other finding{'s' if warnings != 1 else ''}"
        )
        if config_errors:  # never "no known trap" beside a configuration nobody could check
            count = len(config_errors)
            summary += f", {count} configuration error{'s' if count != 1 else ''}: not all checked"
        elif not findings:
            summary += ": no known trap found"
        output.say(summary)
    if config_errors:
        raise typer.Exit(2)
    raise typer.Exit(1 if errors else 0)
