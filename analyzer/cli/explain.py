"""``coverage explain IMAGE``: every host containerd would try for one image, and why.

Exit codes: 0 a prediction was made (whatever its status), 2 the image is not a valid
reference, a ``--catalog`` cannot be used, an option is wrong, or a configuration file could
not be used: those errors go to stderr, one line each, and the prediction is still printed
(containerd ignores such files, and so does the prediction).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Optional

import typer

from analyzer.cli import options
from analyzer.cli.app import app, usage_error
from analyzer.cli.output import say

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.mirrors import Catalogues, MirrorConfig
    from analyzer.mirrors.short_names import Resolution
    from analyzer.model import RegistryHosts, Route
    from analyzer.reference import ImageRef
    from analyzer.report import Advice

_FORMATS = ("text", "json")
_PHASE_TITLES = {
    "resolve": "resolve the {what} (hosts with {needs}, in order)",
    "content": "content: manifest by digest, config and layers (every host, in order)",
}


def _fail(message: str) -> typer.Exit:
    return usage_error("explain", message)


def _role(host: Any) -> str:
    if host.is_upstream:
        return "upstream (server)" if host.is_server else "upstream"
    return "mirror in the server's place" if host.is_server else "mirror"


def _host_lines(hosts: RegistryHosts, catalogues: Catalogues) -> list[str]:
    lines = []
    for number, host in enumerate(hosts.hosts, start=1):
        caps = ", ".join(sorted(host.capabilities)) or "none"
        lines.append(f"  {number}. {host.url}  [{caps}]  {_role(host)}")
        if not host.is_upstream:
            catalogue = catalogues.for_host(host.host)
            lines.append(f"       catalogue ({catalogue.kind}): {catalogue.source}")
    return lines


def render_text(
    route: Route, hosts: RegistryHosts, catalogues: Catalogues, description: str, written: str
) -> str:
    """The readable explanation: hosts, attempts per phase, warnings, verdict."""
    by_digest = "@" in route.image
    lines = [
        f"image:   {route.image}" + (f"  (written {written})" if written != route.image else "")
    ]
    lines.append(f"config:  {description}")
    source = hosts.file or (
        "no hosts file" if hosts.origin != "embedded" else "embedded DaoCloud mirror set"
    )
    lines.append(f"hosts for {hosts.registry} ({hosts.origin}: {source}):")
    lines.extend(_host_lines(hosts, catalogues))
    for phase in ("resolve", "content"):
        attempts = [a for a in route.attempts if a.phase == phase]
        title = _PHASE_TITLES[phase].format(
            what="digest" if by_digest else "tag", needs="pull" if by_digest else "pull and resolve"
        )
        lines.append(f"{title}:")
        if not attempts:
            lines.append("  (not reached)")
        for number, attempt in enumerate(attempts, start=1):
            lines.append(f"  {number}. {attempt.host}  {attempt.outcome}")
            if attempt.detail:
                lines.append(f"       {attempt.detail}")
    lines.extend(f"warning: {w}" for w in route.warnings)
    lines.append(f"verdict: {route.status}: {route.reason}")
    return "\n".join(lines)


def route_json(
    route: Route, hosts: RegistryHosts, catalogues: Catalogues, description: str
) -> dict[str, Any]:
    data = route.to_dict()
    data["config"] = description
    data["origin"] = hosts.origin
    from analyzer.reference import parse_image
    from analyzer.route import asked_paths, located_ref

    path = located_ref(parse_image(route.image)).path  # the repository containerd asks for
    data["rule"] = hosts.rule
    data["hosts"] = [
        {
            "url": h.url,
            "capabilities": sorted(h.capabilities),
            "upstream": h.is_upstream,
            "server": h.is_server,
            "repository": asked.path,
            "blocked": h.blocked,
            "catalogue": None if h.is_upstream else _catalogue_json(catalogues, h.host),
        }
        for h, asked in zip(hosts.hosts, asked_paths(path, hosts.hosts), strict=True)
    ]
    return data


def _short_name_lines(resolution: Resolution) -> list[str]:
    """The candidates of a short name, in the order the runtime pulls them."""
    lines = [f"short name {resolution.written}: {resolution.how or 'no candidate'}"]
    lines += [
        f"  {number}. {candidate.pull_ref}"
        for number, candidate in enumerate(resolution.candidates, start=1)
    ]
    if resolution.error is not None:
        lines.append(f"  the pull fails: {resolution.error}")
    return lines


def _short_name_json(resolution: Resolution | None) -> dict[str, Any] | None:
    if resolution is None:
        return None
    return {
        "written": resolution.written,
        "how": resolution.how or None,
        "candidates": [c.pull_ref for c in resolution.candidates],
        "error": resolution.error,
    }


def _catalogue_json(catalogues: Catalogues, host: str) -> dict[str, Any]:
    catalogue = catalogues.for_host(host)
    return {
        "kind": catalogue.kind,
        "source": catalogue.source,
        "entries": catalogue.entries,
        "assumed": catalogue.assumed,
    }


def _advice(
    ref: ImageRef, route: Route, config: MirrorConfig, catalogues: Catalogues
) -> Advice | None:
    """The scan's "how to fix" line, for a status the default gate fails."""
    from analyzer.fixes.advice import advise
    from analyzer.report import DEFAULT_FAIL_ON, ImageResult

    if route.status not in DEFAULT_FAIL_ON:
        return None
    return advise(ImageResult(ref=ref, route=route, uses=()), config, catalogues)


@app.command("explain")
@options.with_runtime_options()
def explain_command(
    image: str = typer.Argument(..., help="The image reference, as written in a manifest."),
    hosts_dir: Optional[list[str]] = options.HOSTS_DIR,  # noqa: UP045 - typer needs Optional
    containerd_config: Optional[str] = options.CONTAINERD_CONFIG,  # noqa: UP045
    docker_daemon: Optional[str] = options.DOCKER_DAEMON,  # noqa: UP045
    containerd_version: Optional[str] = options.CONTAINERD_VERSION,  # noqa: UP045
    catalog: Optional[list[str]] = options.CATALOG,  # noqa: UP045
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
    *,
    runtime_files: options.RuntimeOptions,  # the runtime options (with_runtime_options)
) -> None:
    """Which host resolves IMAGE and which serves its content, attempt by attempt."""
    if fmt not in _FORMATS:
        raise _fail(f"unknown --format {fmt!r} (choose from {', '.join(_FORMATS)})")
    from analyzer.reference import InvalidImageReference, parse_image, with_short_name
    from analyzer.route import containerd_locator, route_hosts, route_image

    try:
        ref = parse_image(image)
    except InvalidImageReference as exc:
        if fmt == "json":
            say(json.dumps({"image": image, "status": "invalid", "reason": str(exc)}, indent=2))
        raise _fail(f"{image!r} is not an image reference: {exc}") from None
    config, catalogues = options.mirror_setup_or_exit(
        "explain",
        hosts_dir=hosts_dir,
        containerd_config=containerd_config,
        docker_daemon=docker_daemon,
        containerd_version=containerd_version,
        catalog=catalog,
        runtime=runtime_files,
        registries=[containerd_locator(ref)[0]],  # its hosts directories only
    )
    for error in config.errors:
        say(f"coverage explain: config error: {error}", err=True)
    for warning in (*config.warnings, *catalogues.warnings):
        say(f"coverage explain: warning: {warning}", err=True)

    if config.short_names is not None:  # CRI-O, Podman: nginx is not docker.io/library/nginx
        ref = with_short_name(image, ref)
    route = route_image(ref, config, catalogues)
    hosts = route_hosts(ref, config)
    advice = _advice(ref, route, config, catalogues)
    resolution = config.resolve_short(ref)
    if fmt == "json":
        data = route_json(route, hosts, catalogues, config.description)
        data["short_name"] = _short_name_json(resolution)
        data["config_errors"] = [e.to_dict() for e in config.errors]
        data["advice"] = advice.to_dict() if advice is not None else None
        say(json.dumps(data, indent=2))
    else:
        text = render_text(route, hosts, catalogues, config.description, image)
        if resolution is not None:
            head, _, rest = text.partition("\nhosts for ")
            text = "\n".join([head, *_short_name_lines(resolution)]) + "\nhosts for " + rest
        say(text)
        if advice is not None:
            say(f"how to fix: {advice.sentence()}")
    if config.errors:  # the route is still right (containerd ignores such files), but say so
        raise typer.Exit(2)
