"""The route of one image under containers/image's rules (CRI-O, Podman, skopeo, Buildah).

``docker.newImageSource`` tries the pull sources in order (the matching ``[[registry]]``'s
mirrors as listed, those ``pull-from-mirror`` allows, then its primary location) and keeps
the **first source whose manifest answers**: the manifest and every blob then come from
that source only (a missing blob fails the pull; there is no per-blob fallback, and no
capability split between resolving and fetching). A blocked source (``blocked = true`` on
the entry its reference matches) fails without a request, and the pull moves on.

Statuses keep the shared words: ``mirrored`` (a mirror answered), ``fallback`` (mirrors
are configured but the primary location, the real registry, serves it), ``direct`` (no
mirror for it), ``blocked`` (no source serves it: the registry is blocked, or its location
was remapped to a host that lacks it, which has no upstream fallback).
"""

from __future__ import annotations

from dataclasses import replace

from analyzer.mirrors.catalogue import Catalogue
from analyzer.mirrors.catalogues import Catalogues
from analyzer.mirrors.hosts_toml import outside_registry_api
from analyzer.mirrors.rewrite import Rewritten, rewrite_path
from analyzer.model import Attempt, Host, RegistryHosts, Route, Status
from analyzer.reference import ImageRef


def _asked(path: str, host: Host) -> Rewritten:
    return rewrite_path(path, host.rewrites) if host.rewrites else Rewritten(path)


def _physical(host: Host, asked: str) -> str:
    return f"{host.host}/{asked}"


def route_first_source(ref: ImageRef, hosts: RegistryHosts, catalogues: Catalogues) -> Route:
    """Predict which pull source serves ``ref`` (all of it), source by source."""
    pulled = ref.pulled
    if hosts.fatal is not None:
        from analyzer.route import blocked_route

        return blocked_route(ref, hosts, f"{hosts.fatal}: the pull of {ref} fails")
    attempts: list[Attempt] = []
    warnings = list(hosts.warnings)
    served: Host | None = None
    blocked: Host | None = None
    for host in hosts.hosts:
        asked = _asked(pulled.path, host)
        warnings.extend(asked.warnings)
        url = f"{host.url}/{asked.path}/manifests/{pulled.reference}"
        if host.blocked is not None:
            blocked = blocked or host
            attempts.append(Attempt("resolve", host.url, "blocked", host.blocked))
            continue
        # for_mirror: DaoCloud's path-prefix host reads the registry from the path it is
        # asked for (the location's path, then the repository), as for hosts files
        catalogue: Catalogue | None = (
            None if host.is_upstream else catalogues.for_mirror(host.host, host.path)
        )
        holds = catalogue is None or catalogue.holds(replace(ref, path=asked.path))
        if holds and not outside_registry_api(host.path):
            attempts.append(Attempt("resolve", host.url, "served", f"GET {url}"))
            attempts.append(
                Attempt(
                    "content",
                    host.url,
                    "served",
                    f"the manifest and every blob of {_physical(host, asked.path)} "
                    "(containers/image takes all content from the first source that answers)",
                )
            )
            served = host
            if catalogue is not None and catalogue.assumed:
                warnings.append(
                    f"{host.host}: no catalogue, assumed to serve everything "
                    "(give --catalog HOST=SOURCE to check)"
                )
            break
        source = catalogue.source if catalogue is not None else "upstream"
        attempts.append(
            Attempt("resolve", host.url, "not_in_catalogue", f"not held according to {source}")
        )
    status, reason = _verdict(ref, hosts, served, blocked)
    served_url = served.url if served is not None else None
    return Route(
        image=ref.pull_ref,
        registry=pulled.domain,
        status=status,
        resolve_host=served_url,
        content_host=served_url,
        hosts_file=hosts.file,
        attempts=tuple(attempts),
        warnings=tuple(dict.fromkeys(warnings)),
        reason=reason,
    )


def _verdict(
    ref: ImageRef, hosts: RegistryHosts, served: Host | None, blocked: Host | None
) -> tuple[Status, str]:
    name = ref.name
    mirrors = [h for h in hosts.hosts if not h.is_server and not h.is_upstream]
    if served is None:
        if blocked is not None:
            return "blocked", (
                f"{blocked.blocked}; no mirror that is tried holds {name}: the pull of {ref} fails"
            )
        primary = hosts.hosts[-1] if hosts.hosts else None
        where = (
            f" (its location was remapped to {primary.url}, which has no upstream fallback)"
            if primary is not None and not primary.is_upstream
            else ""
        )
        return "blocked", f"no pull source holds {name}{where}: the pull of {ref} fails"
    if not served.is_upstream:
        return "mirrored", (
            f"{served.url} answers the manifest first and serves every blob of {name}"
        )
    if not served.is_server:  # a mirror whose location is the registry itself
        return ("fallback" if mirrors else "direct"), (
            f"{served.url} is listed as a mirror but is the registry itself: it answers "
            f"first and serves {name}; nothing is mirrored"
        )
    if mirrors:
        return "fallback", (
            f"no mirror that is tried holds {name}: the primary location {served.url} serves it"
        )
    setting = _skipped_by(hosts)
    if setting is not None:
        return "fallback", (
            f"the mirrors configured for {name} are not used for this reference "
            f"({setting}): the primary location {served.url} serves it"
        )
    return "direct", f"no mirror is configured for {name}: {served.url} serves it"


def _skipped_by(hosts: RegistryHosts) -> str | None:
    """The settings that left this reference's mirrors out, or None."""
    named = [
        setting
        for setting in ("mirror-by-digest-only", "pull-from-mirror")
        if any(setting in w for w in hosts.warnings)
    ]
    return ", ".join(named) or None
