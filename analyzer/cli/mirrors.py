"""``coverage mirrors``: the mirror configuration in effect, where each piece came from,
each host with its capabilities and its catalogue.

Configuration errors go to stderr, one line each (``file:line: reason``); header values
are never printed, only their names. Exit 0, or 2 for an unusable ``--catalog``/option or
when a configuration file could not be used (the rest is still shown).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Optional

import typer

from analyzer.cli import options
from analyzer.cli.app import app, usage_error
from analyzer.cli.output import say
from analyzer.redact import redact_host, redact_text

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.mirrors import Catalogues, MirrorConfig
    from analyzer.model import Host, RegistryHosts

_FORMATS = ("text", "json")


def _fail(message: str) -> typer.Exit:
    return usage_error("mirrors", message)


def _role(host: Host) -> str:
    if host.is_upstream:
        return "upstream"
    return "mirror (replaces the upstream as server)" if host.is_server else "mirror"


def _host_json(host: Host, catalogues: Catalogues) -> dict[str, Any]:
    data: dict[str, Any] = {
        "url": host.url,
        "host": redact_host(host.host),
        "role": "upstream" if host.is_upstream else "mirror",
        "server": host.is_server,
        "capabilities": sorted(host.capabilities),
        "override_path": host.override_path,
        "skip_verify": host.skip_verify,
        "header_names": list(host.header_names),
        "catalogue": None,
    }
    if not host.is_upstream:
        catalogue = catalogues.for_host(host.host)
        data["catalogue"] = {
            "kind": catalogue.kind,
            "source": catalogue.source,
            "entries": catalogue.entries,
            "assumed": catalogue.assumed,
        }
    return data


def generated_files(config: MirrorConfig) -> list[tuple[str, str]]:
    """(path, text) of every hosts.toml a k3s/RKE2 runtime writes from registries.yaml, as
    shown: a password in an endpoint URL is hidden (``***``)."""
    from analyzer.mirrors.k3s import K3sRuntime

    return [
        (f"{d.path}/hosts.toml", redact_text(d.text))
        for runtime in config.runtimes
        if isinstance(runtime, K3sRuntime)
        for d in runtime.dirs.values()
    ]


def mirrors_json(config: MirrorConfig, catalogues: Catalogues) -> dict[str, Any]:
    return {
        "generated_files": [{"path": p, "text": t} for p, t in generated_files(config)],
        "description": config.description,
        "errors": [e.to_dict() for e in config.errors],
        "warnings": list(config.warnings) + list(catalogues.warnings),
        "registries": [
            {
                "registry": rh.registry,
                "origin": rh.origin,
                "file": rh.file,
                "fatal": rh.fatal,
                "warnings": list(rh.warnings),
                "hosts": [_host_json(h, catalogues) for h in rh.hosts],
            }
            for rh in config.configured()
        ],
    }


def _registry_lines(rh: RegistryHosts, catalogues: Catalogues) -> list[str]:
    lines = [f"{rh.registry}  ({rh.origin}: {rh.file or 'no file'})"]
    if rh.fatal:
        lines.append(f"  EVERY PULL FAILS: {rh.fatal}")
    for number, host in enumerate(rh.hosts, start=1):
        caps = ", ".join(sorted(host.capabilities)) or "none"
        extras = [
            name
            for flag, name in (
                (host.override_path, "override_path"),
                (host.skip_verify, "skip_verify"),
                (host.blocked is not None, "blocked"),
            )
            if flag
        ]
        extras.extend(f"rewrite {p!r} -> {r!r}" for p, r in host.rewrites)
        lines.append(
            f"  {number}. {host.url}  [{caps}]  {_role(host)}"
            + (f"  ({', '.join(extras)})" if extras else "")
        )
        if host.header_names:
            lines.append(f"       headers: {', '.join(host.header_names)} (values not shown)")
        if not host.is_upstream:
            catalogue = catalogues.for_host(host.host)
            lines.append(f"       catalogue ({catalogue.kind}): {catalogue.source}")
    lines.extend(f"  warning: {w}" for w in rh.warnings)
    return lines


def render_text(config: MirrorConfig, catalogues: Catalogues) -> str:
    lines = [f"configuration: {config.description}"]
    configured = config.configured()
    if not configured:
        lines.append("no registry has mirrors: every image comes from its own registry")
    for rh in configured:
        lines.append("")
        lines.extend(_registry_lines(rh, catalogues))
    if config.warnings or catalogues.warnings:
        lines.append("")
    lines.extend(f"warning: {w}" for w in (*config.warnings, *catalogues.warnings))
    for path, text in generated_files(config):
        lines.extend(["", f"--- {path} (written by k3s from registries.yaml)", text.rstrip("\n")])
    return "\n".join(lines)


mirrors_app = typer.Typer(
    name="mirrors",
    help="The mirror configuration in effect (no subcommand), or write one ('init').",
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(mirrors_app, name="mirrors")


@mirrors_app.callback(invoke_without_command=True)
@options.with_runtime_options()
def mirrors_command(
    ctx: typer.Context,
    hosts_dir: Optional[list[str]] = options.HOSTS_DIR,  # noqa: UP045 - typer needs Optional
    containerd_config: Optional[str] = options.CONTAINERD_CONFIG,  # noqa: UP045
    docker_daemon: Optional[str] = options.DOCKER_DAEMON,  # noqa: UP045
    containerd_version: Optional[str] = options.CONTAINERD_VERSION,  # noqa: UP045
    catalog: Optional[list[str]] = options.CATALOG,  # noqa: UP045
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
    *,
    runtime_files: options.RuntimeOptions,  # the runtime options (with_runtime_options)
) -> None:
    """The mirror configuration in effect: registries, hosts, capabilities, catalogues."""
    if ctx.invoked_subcommand is not None:
        return
    if fmt not in _FORMATS:
        raise _fail(f"unknown --format {fmt!r} (choose from {', '.join(_FORMATS)})")

    config, catalogues = options.mirror_setup_or_exit(
        "mirrors",
        hosts_dir=hosts_dir,
        containerd_config=containerd_config,
        docker_daemon=docker_daemon,
        containerd_version=containerd_version,
        catalog=catalog,
        runtime=runtime_files,
    )
    for error in config.errors:
        say(f"{error}", err=True)
    from analyzer.mirrors.doctor import diagnose
    from analyzer.mirrors.doctor_registries_conf import diagnose_registries_conf

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
    if fmt == "json":
        document = mirrors_json(config, catalogues)
        document["findings"] = [f.to_dict() for f in findings]
        say(json.dumps(document, indent=2))
    else:
        text = render_text(config, catalogues)
        if findings:
            text += "\n\n" + "\n".join(
                f"{f.severity}: {f}" + (f" (fix: {f.fix})" if f.fix else "") for f in findings
            )
        say(text)
    if config.errors:
        raise typer.Exit(2)


# isort: split
from analyzer.cli import mirrors_init as _mirrors_init  # noqa: E402, F401  (registers 'init')
