"""Does the analyser's ``Route`` say what the real containerd did? A list of disagreements.

The rules, each a sentence a failure message can quote:

- a fetch that failed without leaving the machine is a route with status ``blocked``;
- a fetch stopped by the trap proxy (a host off the machine) is a route whose ``resolve_host``
  is that host, and which is not ``blocked`` (in the real world containerd would reach it);
- otherwise the route is not ``blocked``, its ``resolve_host`` is the host that answered the
  resolve step, and its ``content_host`` is the host that served the manifest by digest and
  both blobs;
- the status matches who served: resolve and content from mirrors is ``mirrored``, content
  from a mirror after an upstream resolve is ``partial``, everything from the upstream is
  ``fallback`` (``direct`` too when containerd tried no mirror at all);
- the hosts containerd asked, in order, are the analyser's attempts for that phase (those it
  predicts are asked: not ``cannot_resolve``), leaving out hosts nobody can observe (a port
  where nothing listens);
- every URL containerd requested (path, and ``?ns=`` or its absence) is the analyser's
  ``request_url`` for that host and object (``url_disagreements``).

"Upstream" here is decided by the observation, not by the analyser: a host whose ``host:port``
is the image's own registry, or any host off the machine (the trap).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from analyzer.model import RegistryHosts, Route
from analyzer.route import request_url

from .observation import CONTENT_STEPS, Observation, Step
from .registry import ImageContent

NOT_ASKED = "cannot_resolve"  # the analyser's outcome for a host containerd skips
NOTHING_SENT = "request_fails"  # a host whose every request fails before it is sent


def origin(url: str) -> str:
    """``scheme://host[:port]`` with the scheme's default port left out."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = f":{parts.port}" if parts.port is not None and parts.port != default else ""
    return f"{parts.scheme}://{host}{port}"


def is_upstream(base: str, registry: str, trapped_bases: set[str]) -> bool:
    return urlsplit(base).netloc == registry or base in trapped_bases


def disagreements(
    route: Route, seen: Observation, registry: str, observable: Callable[[str], bool]
) -> list[str]:
    """Every way ``route`` differs from ``seen``; ``registry`` is the image's registry host;
    ``observable(url)`` says whether a request to that host would have been recorded."""
    problems = _attempt_order(route, seen, observable)
    trapped_bases = {t.base for t in seen.step("resolve").tries if t.status == 0}
    if seen.trapped and not seen.fetched:
        first_off_machine = next(t.base for t in seen.step("resolve").tries if t.status == 0)
        if route.resolve_host is None or origin(route.resolve_host) != first_off_machine:
            problems.append(
                f"containerd left the machine for {first_off_machine} to resolve; the analyser "
                f"names resolve_host={route.resolve_host}"
            )
        if route.status == "blocked":
            problems.append(
                f"containerd would reach {first_off_machine} (stopped only by the test's trap "
                "proxy); the analyser says blocked"
            )
        return problems
    if not seen.fetched:
        if route.status != "blocked":
            problems.append(f"containerd's fetch failed; the analyser says {route.status}")
        return problems
    if seen.trapped:
        problems.append(f"containerd fetched but also tried hosts off the machine: {seen.trapped}")
    if route.status == "blocked":
        problems.append("containerd fetched the image; the analyser says blocked")
    resolved_by = seen.step("resolve").served_by
    if route.resolve_host != resolved_by:
        problems.append(
            f"resolve: containerd used {resolved_by}; the analyser names {route.resolve_host}"
        )
    for name in CONTENT_STEPS:
        served_by = seen.step(name).served_by
        if route.content_host != served_by:
            problems.append(
                f"{name}: served by {served_by}; the analyser names content {route.content_host}"
            )
    expected = _statuses_for(seen, registry, trapped_bases)
    if expected and route.status not in expected:
        problems.append(
            f"status: containerd's hosts mean {' or '.join(sorted(expected))}; "
            f"the analyser says {route.status}"
        )
    return problems


def _attempt_order(route: Route, seen: Observation, observable: Callable[[str], bool]) -> list[str]:
    problems: list[str] = []
    phases = [("resolve", seen.step("resolve"))]
    if not seen.trapped:  # after a trapped resolve containerd fetched nothing
        phases += [("content", seen.step(name)) for name in CONTENT_STEPS]
    for phase, step in phases:
        predicted = [
            a.host
            for a in route.attempts
            if a.phase == phase
            and a.outcome not in (NOT_ASKED, NOTHING_SENT)
            and observable(a.host)
        ]
        asked = _asked(step, predicted)
        if asked != predicted:
            problems.append(
                f"{step.name}: containerd asked {' > '.join(asked) or 'no host'}; the analyser "
                f"predicts {' > '.join(predicted) or 'no host'}"
            )
    return problems


def _asked(step: Step, predicted: list[str]) -> list[str]:
    """The hosts containerd asked, named like the prediction where only the origin is known."""
    asked = []
    for index, attempt in enumerate(step.tries):
        if (
            attempt.status == 0
            and index < len(predicted)
            and (origin(predicted[index]) == attempt.base)
        ):
            asked.append(predicted[index])  # a trapped CONNECT: only the host is known
        else:
            asked.append(attempt.base)
    return asked


def _statuses_for(seen: Observation, registry: str, trapped: set[str]) -> set[str]:
    resolved_by = seen.step("resolve").served_by
    content_by = {seen.step(name).served_by for name in CONTENT_STEPS}
    if resolved_by is None or None in content_by or len(content_by) != 1:
        return set()  # mixed content hosts: the comparison above already reports it
    content = next(iter(content_by))
    assert content is not None
    resolve_up = is_upstream(resolved_by, registry, trapped)
    content_up = is_upstream(content, registry, trapped)
    if not content_up:
        return {"partial"} if resolve_up else {"mirrored"}
    if resolve_up:
        tried_mirror = any(
            not is_upstream(t.base, registry, trapped) for s in seen.steps for t in s.tries
        )
        return {"fallback"} if tried_mirror else {"fallback", "direct"}
    return {"partial"}  # a mirror resolved, the upstream served: not every byte from mirrors


def url_disagreements(
    seen: Observation,
    hosts: RegistryHosts,
    repository: str,
    reference: str,
    content: ImageContent,
) -> list[str]:
    """Requests whose URL is not the analyser's ``request_url`` for that host and object.

    ``reference`` is what the resolve step asks for (the tag, or the digest); the second pass
    of a digest resolve (``HEAD blobs/<digest>``) is containerd's own fallback and not checked.
    """
    objects = {
        "resolve": ("manifests", reference),
        "manifest": ("manifests", content.digest),
        "config": ("blobs", content.config.digest),
        "layer": ("blobs", content.layer.digest),
    }
    by_url = {host.url: host for host in hosts.hosts}
    problems = []
    for step in seen.steps:
        kind, ref = objects[step.name]
        for attempt in step.tries:
            host = by_url.get(attempt.base)
            if not attempt.url or host is None or f"/{kind}/" not in attempt.url:
                continue  # trapped (host only), or a host the attempt check already reports
            expected = request_url(hosts, host, repository, kind, ref)
            if attempt.url != expected:
                problems.append(
                    f"{step.name}: containerd requested {attempt.url}; the analyser "
                    f"predicts {expected}"
                )
    return problems
