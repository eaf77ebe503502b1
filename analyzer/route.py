"""Which host resolves an image and which serves its content, as containerd decides.

For the reference CRI pulls (``name:tag@digest`` is pulled by digest):

- resolve: a tag only on hosts with ``pull`` and ``resolve``, a digest on hosts with
  ``pull``; the first such host, in order, whose catalogue holds the repository;
- content (manifest by digest, config, layers): every host in order, capabilities not
  checked (containerd's fetcher walks the whole list), the first that holds it.

The registry's real upstream holds everything; every other host (a ``server`` that replaced
the upstream included) is a mirror and holds what its catalogue says. A host whose path has
no ``/v2`` (``override_path`` or a legacy CRI endpoint with a path such as ``/custom``) is
asked outside the Registry API and holds nothing (oracle S10c: 404, next host). Status: ``mirrored``
(resolve and content on mirrors), ``partial`` (content from a mirror, tag resolved
upstream), ``fallback`` (mirrors configured, none holds it), ``direct`` (no mirror for the
registry), ``blocked`` (no host can resolve it, or a ``ca``/``client`` file of the registry's
hosts.toml cannot be read: the pull fails).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from urllib.parse import quote

from analyzer.mirrors.catalogue import Catalogue
from analyzer.mirrors.catalogues import Catalogues
from analyzer.mirrors.config import MirrorConfig
from analyzer.mirrors.hosts_toml import outside_registry_api
from analyzer.mirrors.mirror_form import MirrorForm, mirror_form
from analyzer.mirrors.rewrite import Rewritten, rewrite_path
from analyzer.mirrors.upstream import sends_namespace
from analyzer.model import Attempt, Host, Phase, RegistryHosts, Route, Status
from analyzer.reference import ImageRef

_TAG_NEEDS = frozenset({"pull", "resolve"})
_DIGEST_NEEDS = frozenset({"pull"})


def _namespace(hosts: RegistryHosts, host: Host) -> str:
    if not hosts.namespace:  # Docker Engine and containers/image send no ns=
        return ""
    if not sends_namespace(hosts.registry, host.host):
        return ""
    return _namespace_query(hosts.registry)


@functools.lru_cache(maxsize=1024)
def _namespace_query(registry: str) -> str:
    """``?ns=<registry>`` (asked for every attempt of every image)."""
    return "?ns=" + quote(registry, safe="")


def request_url(
    hosts: RegistryHosts, host: Host, repository: str, kind: str, reference: str
) -> str:
    """The URL containerd requests: ``<url>/<repository>/<kind>/<reference>[?ns=<registry>]``."""
    return f"{host.url}/{repository}/{kind}/{reference}{_namespace(hosts, host)}"


def _caps(host: Host) -> str:
    return "+".join(sorted(host.capabilities)) or "none"


def containerd_locator(ref: ImageRef) -> tuple[str, str]:
    """``(host, repository)`` as containerd's resolver splits the reference CRI pulls:
    ``reference.Spec.Hostname()`` is the text before the first ``/`` (pkg/reference,
    v1.6.20 and 2.x). Docker's grammar gives ``foo_bar.com/baz`` no domain (``_`` is not
    allowed in a host name), yet containerd contacts ``foo_bar.com`` for repository ``baz``."""
    pulled = ref.pulled
    if pulled.domain:
        return pulled.domain, pulled.path
    host, _, repository = pulled.path.partition("/")
    return host, repository


def located_ref(ref: ImageRef) -> ImageRef:
    """The reference CRI pulls, with the registry containerd contacts as its domain
    (``containerd_locator``): the reference runtimes are asked about."""
    registry, repository = containerd_locator(ref)
    pulled = ref.pulled
    if registry == pulled.domain:
        return pulled
    return replace(pulled, domain=registry, path=repository)


def route_hosts(ref: ImageRef, config: MirrorConfig) -> RegistryHosts:
    """The hosts the route of ``ref`` is decided on: the runtime's answer for the reference
    it pulls (a ``registries.conf`` answers by the whole name, not only the registry); for
    a short name CRI-O or Podman resolve, every candidate's sources in turn."""
    resolution = config.resolve_short(ref)
    if resolution is not None:
        from analyzer.route_short_name import short_name_hosts

        return short_name_hosts(ref, resolution, config)
    return config.hosts_for_ref(located_ref(ref))


#: what a repository catalogue cannot tell (issue 13, class 5), said beside every route a
#: catalogue decided for a mirror
CATALOGUE_LIMIT = (
    "a catalogue lists repositories: whether the mirror holds every layer, and whether "
    "its upstream has the image, is not known; --probe checks the manifest"
)


def _by_catalogue(catalogue: Catalogue | None) -> bool:
    """Was a mirror's answer decided by a catalogue (not the upstream, not assumed)?"""
    return catalogue is not None and not catalogue.assumed


def route_image(ref: ImageRef, config: MirrorConfig, catalogues: Catalogues) -> Route:
    """Predict the runtime's attempts for ``ref`` and where each phase is served; a
    reference written in a mirror's own form is then judged by that mirror's catalogue."""
    resolution = config.resolve_short(ref)
    if resolution is not None:
        from analyzer.route_short_name import route_short_name

        return route_short_name(ref, resolution, config, catalogues)
    hosts = route_hosts(ref, config)
    route = _containerd_route(ref, hosts, catalogues)
    form = mirror_form(ref.pulled, catalogues.explicit_hosts)
    if form is None or (form.by_catalogue and hosts.mirrors):
        return route
    return _judge_mirror_form(route, form, hosts, catalogues)


def _judge_mirror_form(
    route: Route, form: MirrorForm, hosts: RegistryHosts, catalogues: Catalogues
) -> Route:
    """The runtime asks the mirror host itself (the reference's registry) for what the node
    configuration does not serve elsewhere; such a pull has no upstream to fall back to.
    ``hosts`` are the ones the route was decided on."""
    stands_for = str(form.upstream) if form.upstream is not None else None
    upstream_urls = {h.url for h in hosts.hosts if h.is_upstream}
    asks_mirror = bool({route.resolve_host, route.content_host} & upstream_urls)
    if route.status == "blocked" or not asks_mirror:
        return replace(route, stands_for=stands_for)
    catalogue = catalogues.for_host(form.mirror_host)
    if form.upstream is None:
        return replace(
            route,
            status="blocked",
            resolve_host=None,
            content_host=None,
            stands_for=None,
            reason=(
                f"{route.image} names the mirror {form.mirror_host} but not in its "
                f"{form.mirror_host}/<registry>/<path> form: it stands for no upstream "
                "image, and the pull fails"
            ),
        )
    if not catalogue.holds(form.upstream):
        return replace(
            route,
            status="blocked",
            resolve_host=None,
            content_host=None,
            stands_for=stands_for,
            reason=(
                f"{route.image} is written in the mirror {form.mirror_host}'s own form and "
                f"stands for {form.upstream.name}, which that mirror does not serve (according "
                f"to {catalogue.source}); with no upstream to fall back to, the pull fails"
            ),
        )
    if route.status == "partial":
        return replace(route, stands_for=stands_for)
    return replace(
        route,
        status="rewritten",
        stands_for=stands_for,
        reason=(
            f"{route.image} is written in the mirror {form.mirror_host}'s own form: it serves "
            f"{form.upstream.name} (according to {catalogue.source}), with no upstream fallback"
            + (f" ({CATALOGUE_LIMIT})" if _by_catalogue(catalogue) else "")
        ),
    )


def _containerd_route(
    ref: ImageRef, registry_hosts: RegistryHosts, catalogues: Catalogues
) -> Route:
    pulled = ref.pulled
    registry, repository = containerd_locator(ref)
    if registry_hosts.rule == "first-source":
        from analyzer.route_first_source import route_first_source

        return route_first_source(ref, registry_hosts, catalogues)
    if registry_hosts.fatal is not None:
        return blocked_route(
            ref,
            registry_hosts,
            (
                f"containerd cannot set up the hosts of {registry} "
                f"({registry_hosts.fatal}), so every pull from {registry} fails, "
                "with no fallback"
            ),
        )
    hosts = registry_hosts.hosts
    catalogue_of, outside = _host_facts(registry_hosts, catalogues)
    asked = asked_paths(repository, hosts)
    # the catalogue sees the tag as written (even when the pull is by digest), and the
    # repository each host is asked for (after a k3s rewrite)
    listed = [
        c is None
        or c.holds(ref if a.path == repository else replace(ref, domain=registry, path=a.path))
        for c, a in zip(catalogue_of, asked, strict=True)
    ]
    holds = [
        held and not out and h.unusable is None
        for h, held, out in zip(hosts, listed, outside, strict=True)
    ]
    by_digest = pulled.digest is not None
    needs = _DIGEST_NEEDS if by_digest else _TAG_NEEDS
    known = _Known(registry_hosts, [a.path for a in asked], holds, outside, catalogue_of)
    attempts: list[Attempt] = []
    resolve_index = _resolve_phase(known, needs, by_digest, pulled.reference, attempts)
    content_index = _content_phase(known, attempts) if resolve_index is not None else None

    resolve_host = hosts[resolve_index] if resolve_index is not None else None
    content_host = hosts[content_index] if content_index is not None else None
    passed = _Passed(
        after_content=_mirror_after(hosts, holds, content_index, frozenset()),
        after_resolve=_mirror_after(hosts, holds, resolve_index, needs),
        outside_api=next(
            (
                h
                for h, held, out in zip(hosts, listed, outside, strict=True)
                if held and out and not h.is_upstream
            ),
            None,
        ),
    )
    status, reason = _verdict(pulled, registry_hosts, resolve_host, content_host, by_digest, passed)
    if (
        status == "mirrored"
        and content_index is not None
        and _by_catalogue(catalogue_of[content_index])
    ):
        reason = f"{reason} ({CATALOGUE_LIMIT})"
    return Route(
        image=ref.pull_ref,
        registry=registry,
        status=status,
        resolve_host=resolve_host.url if resolve_host else None,
        content_host=content_host.url if content_host else None,
        hosts_file=registry_hosts.file,
        attempts=tuple(attempts),
        warnings=_warnings(registry_hosts, catalogue_of, resolve_host, content_host)
        + tuple(w for a in asked for w in a.warnings),
        reason=reason,
    )


#: per (hosts, catalogues) of this process: what the route needs of each host that does not
#: depend on the image (its catalogue, whether it is asked outside the Registry API); the
#: hosts of a registry are the same object for all its images (``MirrorConfig`` caches them)
_FACTS: dict[tuple[int, int], tuple[object, object, list[Catalogue | None], list[bool]]] = {}


def _host_facts(
    registry_hosts: RegistryHosts, catalogues: Catalogues
) -> tuple[list[Catalogue | None], list[bool]]:
    key = (id(registry_hosts), id(catalogues))
    found = _FACTS.get(key)
    if found is not None and found[0] is registry_hosts and found[1] is catalogues:
        return found[2], found[3]
    hosts = registry_hosts.hosts
    catalogue_of: list[Catalogue | None] = [
        None if h.is_upstream else catalogues.for_host(h.host) for h in hosts
    ]
    outside = [outside_registry_api(h.path) for h in hosts]
    if len(_FACTS) > 4096:  # a long-lived process (a notebook): keep it bounded
        _FACTS.clear()
    _FACTS[key] = (registry_hosts, catalogues, catalogue_of, outside)
    return catalogue_of, outside


@dataclass(frozen=True)
class _Known:
    """What the route knows of each host, in containerd's order."""

    registry_hosts: RegistryHosts
    paths: list[str]  # the repository each host is asked for
    holds: list[bool]  # it serves the image (catalogue, Registry API, usable)
    outside: list[bool]  # asked outside the Registry API (no /v2)
    catalogues: list[Catalogue | None]  # None for the upstream


def _resolve_phase(
    known: _Known, needs: frozenset[str], by_digest: bool, reference: str, attempts: list[Attempt]
) -> int | None:
    """The tag (or digest) HEAD: the first host with ``needs`` that holds the image."""
    for index, host in enumerate(known.registry_hosts.hosts):
        if not needs <= host.capabilities:
            what = "a digest needs pull" if by_digest else "a tag needs pull and resolve"
            attempts.append(
                Attempt(
                    "resolve",
                    host.url,
                    "cannot_resolve",
                    f"capabilities {_caps(host)}: {what}; not asked",
                )
            )
            continue
        url = request_url(known.registry_hosts, host, known.paths[index], "manifests", reference)
        if known.holds[index]:
            attempts.append(Attempt("resolve", host.url, "served", f"HEAD {url}"))
            return index
        attempts.append(
            _missed("resolve", host, url, known.outside[index], known.catalogues[index])
        )
    return None


def _content_phase(known: _Known, attempts: list[Attempt]) -> int | None:
    """The manifest by digest and the blobs: every host in order, capabilities not checked
    (containerd's fetcher walks the whole list), the first that holds it."""
    for index, host in enumerate(known.registry_hosts.hosts):
        url = request_url(known.registry_hosts, host, known.paths[index], "manifests", "<digest>")
        if known.holds[index]:
            attempts.append(Attempt("content", host.url, "served", f"GET {url} (and the blobs)"))
            return index
        attempts.append(
            _missed("content", host, url, known.outside[index], known.catalogues[index])
        )
    return None


def blocked_route(ref: ImageRef, hosts: RegistryHosts, reason: str) -> Route:
    """The route of an image no host is even tried for (the runtime cannot set up the
    registry's hosts, or refuses its configuration); ``hosts.registry`` is the registry
    they were looked up for (the host containerd contacts, ``containerd_locator``)."""
    return Route(
        image=ref.pull_ref,
        registry=hosts.registry,
        status="blocked",
        resolve_host=None,
        content_host=None,
        hosts_file=hosts.file,
        warnings=hosts.warnings,
        reason=reason,
    )


def asked_paths(path: str, hosts: tuple[Host, ...]) -> list[Rewritten]:
    """The repository each host is asked for (a host's ``rewrites`` applied)."""
    unchanged = Rewritten(path)  # frozen: one for every host without rewrites
    return [rewrite_path(path, h.rewrites) if h.rewrites else unchanged for h in hosts]


def _missed(
    phase: Phase, host: Host, url: str, outside: bool, catalogue: Catalogue | None
) -> Attempt:
    if host.unusable is not None:
        return Attempt(
            phase,
            host.url,
            "request_fails",
            f"every request to this host fails ({host.unusable}); containerd tries the next",
        )
    if outside:
        method = "HEAD" if phase == "resolve" else "GET"
        return Attempt(
            phase,
            host.url,
            "outside_api",
            f"{method} {url}: outside the Registry "
            "API (no /v2 in the path), a registry answers 404",
        )
    source = catalogue.source if catalogue is not None else "upstream"
    return Attempt(phase, host.url, "not_in_catalogue", f"not held according to {source}")


@dataclass(frozen=True)
class _Passed:
    """Mirrors that hold the image and still do not serve it, for the reason sentence."""

    after_content: Host | None  # listed after the host that serves the content
    after_resolve: Host | None  # may resolve, listed after the host that resolves
    outside_api: Host | None  # its catalogue holds it, but it is asked outside the API


def _mirror_after(
    hosts: tuple[Host, ...], holds: list[bool], index: int | None, needs: frozenset[str]
) -> Host | None:
    """The first mirror after ``index`` that holds the image and has ``needs``."""
    if index is None:
        return None
    return next(
        (
            h
            for h, held in zip(hosts[index + 1 :], holds[index + 1 :], strict=True)
            if held and not h.is_upstream and needs <= h.capabilities
        ),
        None,
    )


def _verdict(
    ref: ImageRef,
    hosts: RegistryHosts,
    resolve: Host | None,
    content: Host | None,
    by_digest: bool,
    passed: _Passed,
) -> tuple[Status, str]:
    name = ref.name
    what = "digest" if by_digest else "tag"
    if resolve is None or content is None:
        needs = _DIGEST_NEEDS if by_digest else _TAG_NEEDS
        if not any(needs <= h.capabilities for h in hosts.hosts):
            return "blocked", (
                f'no host may resolve a {what} (containerd: "no resolve '
                f'hosts: not found"): the pull of {ref} fails'
            )
        server = hosts.hosts[-1]
        replaced = (
            ""
            if server.is_upstream
            else (f"; the upstream is not reachable because server {server.url} replaced it")
        )
        return "blocked", (
            f"no host that may resolve the {what} holds {name}{replaced}: the pull of {ref} fails"
        )
    if not hosts.mirrors:
        return "direct", f"no mirror is configured for {hosts.registry}: {content.url} serves it"
    if content.is_upstream:
        if passed.after_content is not None:
            return "fallback", (
                f"the upstream {content.url} is listed before the mirrors and "
                f"serves {name} first ({passed.after_content.url} holds it "
                "but comes after it)"
            )
        if passed.outside_api is not None:
            return "fallback", (
                f"no configured mirror serves {name}: "
                f"{passed.outside_api.url} holds it but is asked outside the "
                "Registry API (no /v2 in its path); the upstream "
                f"{content.url} serves it"
            )
        return "fallback", (
            f"no configured mirror holds {name}: the upstream {content.url} serves it"
        )
    if resolve.is_upstream:
        why = (
            f"it is listed before {passed.after_resolve.url}, which may resolve {what}s "
            "and holds it"
            if passed.after_resolve is not None
            else f"no mirror that may resolve {what}s holds it"
        )
        return "partial", (
            f"{content.url} serves the content, but the {what} is resolved "
            f"upstream on {resolve.url} ({why})"
        )
    if resolve == content:
        return "mirrored", f"{content.url} resolves the {what} and serves the content"
    return "mirrored", (f"{resolve.url} resolves the {what} and {content.url} serves the content")


def _warnings(
    hosts: RegistryHosts,
    catalogues: list[Catalogue | None],
    resolve: Host | None,
    content: Host | None,
) -> tuple[str, ...]:
    warnings = list(hosts.warnings)
    for host, catalogue in zip(hosts.hosts, catalogues, strict=True):
        if catalogue is not None and catalogue.assumed and host in (resolve, content):
            warnings.append(
                f"{host.host}: no catalogue, assumed to serve everything "
                "(give --catalog HOST=SOURCE to check)"
            )
    if (
        resolve is not None
        and content is not None
        and resolve.is_upstream
        and (not content.is_upstream)
    ):
        warnings.append(
            f"the tag is resolved upstream; {content.host} serves the content only "
            "if its copy of the tag has the same digest"
        )
    return tuple(dict.fromkeys(warnings))
