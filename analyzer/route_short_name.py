"""The route of a short name (``nginx:1.25``) under CRI-O or Podman: its candidates in turn.

``ShortNames.resolve`` gives the candidates (an alias; else each unqualified-search
registry, in order) or why the pull fails (CRI-O's ``enforcing`` mode with two or more, no
search registries...). CRI-O's ``pullImage`` (server/image_pull.go) and Podman pull each
candidate as a reference of its own, with that reference's ``[[registry]]`` mirrors, and
stop at the first that is pulled: the route is the first candidate's route that a source
serves (``route_first_source``), with every attempt before it.

A registry that is not a mirror is assumed to hold everything, so the first candidate
whose primary location is reached serves it; when there are several candidates the route
says so: which search registry really has the name decides, and a name squatted there
wins.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from analyzer.mirrors.catalogues import Catalogues
from analyzer.mirrors.config import MirrorConfig
from analyzer.mirrors.rewrite import rewrite_path
from analyzer.mirrors.short_names import Resolution, ShortNames
from analyzer.model import Attempt, Host, RegistryHosts, Route
from analyzer.reference import ImageRef
from analyzer.route_first_source import route_first_source

_NONE = ShortNames("crio", "enforcing", "")


def candidate_hosts(
    resolution: Resolution, config: MirrorConfig
) -> tuple[tuple[ImageRef, RegistryHosts], ...]:
    """Each candidate with the sources the runtime tries for it, in order."""
    out = []
    for candidate in resolution.candidates:
        hosts = config.hosts_for_ref(candidate.pulled)
        out.append((candidate, replace(hosts, rule="first-source", namespace=False)))
    return tuple(out)


def short_name_hosts(ref: ImageRef, resolution: Resolution, config: MirrorConfig) -> RegistryHosts:
    """Every source of every candidate, in the order they are tried (one list to show)."""
    pairs = candidate_hosts(resolution, config)
    path = ref.pulled.path
    hosts: list[Host] = []
    for candidate, found in pairs:
        for host in found.hosts:
            asked = (
                rewrite_path(candidate.path, host.rewrites).path
                if host.rewrites
                else candidate.path
            )
            rewrites = () if asked == path else ((f"^{re.escape(path)}$", _literal(asked)),)
            hosts.append(replace(host, rewrites=rewrites))
    first = pairs[0][1] if pairs else None
    return RegistryHosts(
        ref.domain,
        tuple(hosts),
        first.origin if first is not None else "registries-conf",
        first.file if first is not None else (config.short_names or _NONE).search_origin,
        tuple(w for _, found in pairs for w in found.warnings),
        fatal=resolution.error,
        namespace=False,
        rule="first-source",
    )


def _literal(path: str) -> str:
    return path.replace("$", "$$")  # a Go replacement template, taken literally


def route_short_name(
    ref: ImageRef, resolution: Resolution, config: MirrorConfig, catalogues: Catalogues
) -> Route:
    """The route of the short name ``ref``: its candidates' routes until one is served."""
    runtime = "CRI-O" if config.short_names and config.short_names.runtime == "crio" else "Podman"
    written = resolution.written
    if resolution.error is not None:
        return _blocked(
            ref,
            f"{written} is a short name and {runtime} cannot resolve it: "
            f"{resolution.error}: the pull fails (write the full name, or add an alias)",
        )
    attempts: list[Attempt] = []
    warnings: list[str] = []
    failed: list[str] = []
    count = len(resolution.candidates)
    if count > 1:
        warnings.append(
            f"{written} is a short name: {runtime} pulls the first of "
            f"{', '.join(c.pull_ref for c in resolution.candidates)} that exists "
            f"({resolution.how}); a registry that is not a mirror is assumed to hold it, so "
            "the prediction is the first reachable one: write the full name"
        )
    for number, (candidate, hosts) in enumerate(candidate_hosts(resolution, config), start=1):
        route = route_first_source(candidate, hosts, catalogues)
        attempts.extend(route.attempts)
        warnings.extend(route.warnings)
        if route.status == "blocked":
            failed.append(f"{candidate.pull_ref} ({route.reason})")
            continue
        before = f"; before it, {'; '.join(failed)}" if failed else ""
        return Route(
            image=ref.pull_ref,
            registry=route.registry,
            status=route.status,
            resolve_host=route.resolve_host,
            content_host=route.content_host,
            hosts_file=route.hosts_file,
            attempts=tuple(attempts),
            warnings=tuple(dict.fromkeys(warnings)),
            reason=f"short name {written} is {candidate.pull_ref} ({resolution.how}; "
            f"candidate {number} of {count}{before}): {route.reason}",
        )
    return _blocked(
        ref,
        f"short name {written}: no candidate can be pulled ({resolution.how}): {'; '.join(failed)}",
        attempts,
        warnings,
    )


def _blocked(
    ref: ImageRef, reason: str, attempts: Sequence[Attempt] = (), warnings: Sequence[str] = ()
) -> Route:
    return Route(
        image=ref.pull_ref,
        registry=None,
        status="blocked",
        resolve_host=None,
        content_host=None,
        attempts=tuple(attempts),
        warnings=tuple(dict.fromkeys(warnings)),
        reason=reason,
    )


def served_candidate(ref: ImageRef, route: Route, config: MirrorConfig) -> ImageRef:
    """The candidate whose source served ``route`` (``ref`` itself when not a short name)."""
    resolution = config.resolve_short(ref)
    if resolution is None:
        return ref
    for candidate, hosts in candidate_hosts(resolution, config):
        if route.content_host in {h.url for h in hosts.hosts}:
            return candidate
    return ref
