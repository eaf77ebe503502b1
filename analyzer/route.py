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

from analyzer.frozen import Frozen
from analyzer.mirrors.catalogue import Catalogue
from analyzer.mirrors.catalogues import Catalogues
from analyzer.mirrors.config import MirrorConfig
from analyzer.mirrors.hosts_toml import outside_registry_api
from analyzer.mirrors.mirror_form import MirrorForm, mirror_form
from analyzer.mirrors.rewrite import Rewritten, rewrite_path
from analyzer.mirrors.upstream import sends_namespace
from analyzer.model import Attempt, Host, Phase, RegistryHosts, Route, Status
from analyzer.reference import ImageRef
from analyzer.regular_file import UNREADABLE_HERE

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
    # (a reference is a short name only when marked so: asked only then)
    resolution = config.resolve_short(ref) if ref.short is not None else None
    if resolution is not None:
        from analyzer.route_short_name import short_name_hosts

        return short_name_hosts(ref, resolution, config)
    return config.answers.hosts(located_ref(ref))  # ``hosts_for_ref``, without its call


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
    resolution = config.resolve_short(ref) if ref.short is not None else None  # (as above)
    if resolution is not None:
        from analyzer.route_short_name import route_short_name

        return route_short_name(ref, resolution, config, catalogues)
    hosts = config.answers.hosts(located_ref(ref))  # route_hosts, short names ruled out
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
        if UNREADABLE_HERE in registry_hosts.fatal:
            return blocked_route(
                ref,
                registry_hosts,
                (
                    f"the hosts of {registry} cannot be checked ({registry_hosts.fatal}): "
                    "containerd, running as root, may read the file, so the route is not "
                    "known; counted as blocked (run the analyser as root)"
                ),
            )
        return blocked_route(
            ref,
            registry_hosts,
            (
                f"containerd cannot set up the hosts of {registry} "
                f"({registry_hosts.fatal}), so every pull from {registry} fails, "
                "with no fallback"
            ),
        )
    facts = _host_facts(registry_hosts, catalogues)
    # the catalogue sees the tag as written (even when the pull is by digest), and the
    # repository each host is asked for (after a k3s rewrite)
    paths: list[str] | None = None
    asked_warnings: tuple[str, ...] = ()
    if facts.rewrites:
        asked = asked_paths(repository, registry_hosts.hosts)
        paths = [a.path for a in asked]
        listed = tuple(
            c is None
            or c.holds(ref if path == repository else replace(ref, domain=registry, path=path))
            for c, path in zip(facts.catalogue_of, paths, strict=True)
        )
        asked_warnings = tuple(w for a in asked for w in a.warnings)
    else:
        listed = tuple(c is None or c.holds(ref) for c in facts.catalogue_of)
    by_digest = pulled.digest is not None
    decision = facts.decision(by_digest, listed)
    reference = pulled.reference
    attempts = tuple(
        step
        if isinstance(step, Attempt)
        else step.attempt(repository if paths is None else paths[step.index], reference)
        for step in decision.steps
    )
    resolve_host, content_host = decision.resolve, decision.content
    status, reason = facts.verdict(pulled, by_digest, listed, decision)
    return Route(
        image=ref.pull_ref,
        registry=registry,
        status=status,
        resolve_host=resolve_host.url if resolve_host else None,
        content_host=content_host.url if content_host else None,
        hosts_file=registry_hosts.file,
        attempts=attempts,
        warnings=decision.warnings + asked_warnings,
        reason=reason,
    )


@dataclass(frozen=True, slots=True)
class _Ask(Frozen):
    """An attempt whose detail quotes the URL asked, made for each image:
    ``<before><path>/manifests/<reference or <digest>><after>`` (``request_url``)."""

    phase: Phase
    host: str  # Host.url
    outcome: str
    before: str  # the method and the host's URL, up to the repository
    by_reference: bool  # the tag or digest pulled (resolve), else ``<digest>`` (content)
    after: str  # the ``?ns=`` query and the rest of the sentence
    index: int  # of the host, for the repository it is asked for

    def attempt(self, path: str, reference: str) -> Attempt:
        asked = reference if self.by_reference else "<digest>"
        return Attempt(
            self.phase,
            self.host,
            self.outcome,
            f"{self.before}{path}/manifests/{asked}{self.after}",
        )


@dataclass(frozen=True)
class _Decision(Frozen):
    """Everything of a route but the image's own names and URLs, for one combination of
    what the hosts hold: the same for every image of a registry that meets it."""

    steps: tuple[Attempt | _Ask, ...]  # an Attempt is the same for every image
    resolve: Host | None
    content: Host | None
    passed: _Passed
    by_catalogue: bool  # the content host's answer came from a catalogue
    warnings: tuple[str, ...]


#: decisions kept per registry's hosts (at most 2 x 2^hosts combinations can occur)
_DECISIONS_KEPT = 256


class _Facts:
    """What the route needs of a registry's hosts that does not depend on the image (each
    host's catalogue, whether it is asked outside the Registry API, its ``?ns=``), and the
    decisions met so far, per combination of what the hosts hold."""

    def __init__(self, registry_hosts: RegistryHosts, catalogues: Catalogues) -> None:
        hosts = registry_hosts.hosts
        self.registry_hosts = registry_hosts
        self.catalogues = catalogues
        self.catalogue_of: list[Catalogue | None] = [
            None if h.is_upstream else catalogues.for_mirror(h.host, h.path) for h in hosts
        ]
        self.outside = [outside_registry_api(h.path) for h in hosts]
        self.namespaces = [_namespace(registry_hosts, h) for h in hosts]
        self.rewrites = any(h.rewrites for h in hosts)
        self._decisions: dict[tuple[bool, tuple[bool, ...]], _Decision] = {}
        # the verdicts whose sentence names no image (mirrored, partial, direct)
        self._verdicts: dict[tuple[bool, tuple[bool, ...]], tuple[Status, str]] = {}

    def verdict(
        self, pulled: ImageRef, by_digest: bool, listed: tuple[bool, ...], decision: _Decision
    ) -> tuple[Status, str]:
        """``_verdict`` of the decision for ``pulled``; kept when its sentence names
        neither the image nor its repository (then it is the same for every image)."""
        key = (by_digest, listed)
        found = self._verdicts.get(key)
        if found is not None:
            return found
        status, reason = _verdict(
            pulled,
            self.registry_hosts,
            decision.resolve,
            decision.content,
            by_digest,
            decision.passed,
        )
        if status == "mirrored" and decision.by_catalogue:
            reason = f"{reason} ({CATALOGUE_LIMIT})"
        if pulled.name not in reason and pulled.path not in reason:
            if len(self._verdicts) >= _DECISIONS_KEPT:
                self._verdicts.clear()
            self._verdicts[key] = (status, reason)
        return status, reason

    def decision(self, by_digest: bool, listed: tuple[bool, ...]) -> _Decision:
        """The route's decision when each host's catalogue says ``listed`` (True for the
        upstream), for a pull by digest or by tag."""
        key = (by_digest, listed)
        found = self._decisions.get(key)
        if found is None:
            if len(self._decisions) >= _DECISIONS_KEPT:
                self._decisions.clear()
            found = self._decisions[key] = self._decide(by_digest, listed)
        return found

    def _decide(self, by_digest: bool, listed: tuple[bool, ...]) -> _Decision:
        hosts = self.registry_hosts.hosts
        holds = [
            held and not out and h.unusable is None
            for h, held, out in zip(hosts, listed, self.outside, strict=True)
        ]
        needs = _DIGEST_NEEDS if by_digest else _TAG_NEEDS
        steps: list[Attempt | _Ask] = []
        resolve_index = self._resolve_phase(holds, needs, by_digest, steps)
        content_index = self._content_phase(holds, steps) if resolve_index is not None else None
        resolve = hosts[resolve_index] if resolve_index is not None else None
        content = hosts[content_index] if content_index is not None else None
        passed = _Passed(
            after_content=_mirror_after(hosts, holds, content_index, frozenset()),
            after_resolve=_mirror_after(hosts, holds, resolve_index, needs),
            outside_api=next(
                (
                    h
                    for h, held, out in zip(hosts, listed, self.outside, strict=True)
                    if held and out and not h.is_upstream
                ),
                None,
            ),
        )
        return _Decision(
            steps=tuple(steps),
            resolve=resolve,
            content=content,
            passed=passed,
            by_catalogue=content_index is not None
            and _by_catalogue(self.catalogue_of[content_index]),
            warnings=_warnings(self.registry_hosts, self.catalogue_of, resolve, content),
        )

    def _resolve_phase(
        self,
        holds: list[bool],
        needs: frozenset[str],
        by_digest: bool,
        steps: list[Attempt | _Ask],
    ) -> int | None:
        """The tag (or digest) HEAD: the first host with ``needs`` that holds the image."""
        for index, host in enumerate(self.registry_hosts.hosts):
            if not needs <= host.capabilities:
                what = "a digest needs pull" if by_digest else "a tag needs pull and resolve"
                steps.append(
                    Attempt(
                        "resolve",
                        host.url,
                        "cannot_resolve",
                        f"capabilities {_caps(host)}: {what}; not asked",
                    )
                )
                continue
            if holds[index]:
                steps.append(self._ask("resolve", index, "served", ""))
                return index
            steps.append(self._missed("resolve", index))
        return None

    def _content_phase(self, holds: list[bool], steps: list[Attempt | _Ask]) -> int | None:
        """The manifest by digest and the blobs: every host in order, capabilities not
        checked (containerd's fetcher walks the whole list), the first that holds it."""
        for index in range(len(self.registry_hosts.hosts)):
            if holds[index]:
                steps.append(self._ask("content", index, "served", " (and the blobs)"))
                return index
            steps.append(self._missed("content", index))
        return None

    def _ask(self, phase: Phase, index: int, outcome: str, rest: str) -> _Ask:
        host = self.registry_hosts.hosts[index]
        method = "HEAD" if phase == "resolve" else "GET"
        return _Ask(
            phase,
            host.url,
            outcome,
            f"{method} {host.url}/",
            phase == "resolve",
            self.namespaces[index] + rest,
            index,
        )

    def _missed(self, phase: Phase, index: int) -> Attempt | _Ask:
        host = self.registry_hosts.hosts[index]
        if host.unusable is not None:
            return Attempt(
                phase,
                host.url,
                "request_fails",
                f"every request to this host fails ({host.unusable}); containerd tries the next",
            )
        if self.outside[index]:
            return self._ask(
                phase,
                index,
                "outside_api",
                ": outside the Registry API (no /v2 in the path), a registry answers 404",
            )
        catalogue = self.catalogue_of[index]
        source = catalogue.source if catalogue is not None else "upstream"
        return Attempt(phase, host.url, "not_in_catalogue", f"not held according to {source}")


#: per (hosts, catalogues) of this process: the hosts of a registry are the same object for
#: all its images (``MirrorConfig`` caches them)
_FACTS: dict[tuple[int, int], _Facts] = {}


def _host_facts(registry_hosts: RegistryHosts, catalogues: Catalogues) -> _Facts:
    key = (id(registry_hosts), id(catalogues))
    found = _FACTS.get(key)
    if (
        found is not None
        and found.registry_hosts is registry_hosts
        and found.catalogues is catalogues
    ):
        return found
    if len(_FACTS) > 4096:  # a long-lived process (a notebook): keep it bounded
        _FACTS.clear()
    found = _FACTS[key] = _Facts(registry_hosts, catalogues)
    return found


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


@dataclass(frozen=True)
class _Passed(Frozen):
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
