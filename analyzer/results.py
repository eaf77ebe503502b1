"""The results of a scan, image by image: each pulled image routed (``ImageResult``), and
each configured mirror's share of them (``MirrorCoverage``).

The per-image loop of ``engine.report_from_groups``, in a module of its own so that mypyc
compiles it (``build_support/compiled_modules.txt``): interpreted, its calls and
attribute look-ups were a few per cent of a 100k-image scan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from analyzer.mirrors.catalogues import Catalogues
from analyzer.mirrors.config import MirrorConfig
from analyzer.mirrors.patterns import PatternSet
from analyzer.model import URGENCY, RegistryHosts, Route
from analyzer.reference import ImageRef, with_short_name
from analyzer.report import ImageResult, MirrorCoverage
from analyzer.route import located_ref, route_hosts
from analyzer.route_short_name import served_candidate
from analyzer.spool import UseList

Router = Callable[[ImageRef, MirrorConfig, Catalogues], Route]

_RANK = {status: i for i, status in enumerate(URGENCY)}


def image_result(
    uses: UseList,
    config: MirrorConfig,
    catalogues: Catalogues,
    route: Router,
    ignored: PatternSet | None,
) -> ImageResult:
    """One pulled image. Spellings that pull the same thing (``nginx:1.25@D`` and
    ``nginx:1.26@D``) may meet different catalogue tag rules: the most urgent of their routes
    stands, whatever order the manifests list them in, and --ignore must accept every one."""
    pairs = uses.spellings or ()
    spellings = (
        [_spelled(pairs[0][0], pairs[0][1], config)]
        if len(pairs) == 1
        else sorted(
            {_spelled(raw, image, config) for raw, image in pairs},
            key=_spelling_order,
        )
    )
    if len(spellings) == 1:  # the usual case: one spelling, one route
        ref, chosen = spellings[0], route(spellings[0], config, catalogues)
    else:
        routed = [(ref, route(ref, config, catalogues)) for ref in spellings]
        ref, chosen = min(routed, key=_urgency)
    matched = ignored is not None and all(ignored.matches(r) for r in spellings)
    if matched and chosen.status == "blocked":  # --ignore accepts upstream pulls: none here
        chosen = replace(chosen, warnings=(*chosen.warnings, f"{ref.name}: {IGNORE_BLOCKED}"))
        matched = False
    return ImageResult(ref=ref, route=chosen, uses=uses, ignored=matched)


#: why a blocked image stays failing though an --ignore pattern matches it
IGNORE_BLOCKED = (
    "--ignore matches this image but does not apply: it accepts an image from upstream, "
    "and a blocked image comes from nowhere (the pull fails)"
)


def _spelling_order(ref: ImageRef) -> tuple[str, str]:
    return (str(ref), ref.short or "")


def _urgency(pair: tuple[ImageRef, Route]) -> int:
    return _RANK.get(pair[1].status, len(_RANK))


def _spelled(raw: str, image: ImageRef, config: MirrorConfig) -> ImageRef:
    """``image``, marked as the short name it was written as when the runtime resolves
    short names itself (CRI-O, Podman: ``nginx:1.25`` is not ``docker.io/library/nginx``)."""
    if config.short_names is None:
        return image
    return with_short_name(raw.strip(), image)


def mirror_coverage(
    images: Sequence[ImageResult], config: MirrorConfig, catalogues: Catalogues
) -> tuple[MirrorCoverage, ...]:
    """Per configured mirror host: the images of this report whose content it serves."""
    configured = config.configured()
    served: dict[tuple[str, str], list[str]] = {
        (host.url, rh.registry): [] for rh in configured for host in rh.mirrors
    }
    hosts_by_url = {h.url: h for rh in configured for h in rh.hosts}
    looked: dict[int, RegistryHosts] = {}  # each registry's hosts once (held: ids stay unique)
    for result in images:
        hosts = route_hosts(result.ref, config)
        if id(hosts) not in looked:
            looked[id(hosts)] = hosts
            for host in hosts.hosts:
                hosts_by_url.setdefault(host.url, host)
        route = result.route
        if route.status == "rewritten" and route.content_host and route.stands_for:
            # written in the mirror's form: the mirror serves the registry it stands for
            registry = route.stands_for.split("/", 1)[0]
            served.setdefault((route.content_host, registry), []).append(result.image)
        elif route.status in ("mirrored", "partial") and route.content_host is not None:
            # the configured name the route's hosts came from ("_default", a legacy "*")
            ref = result.ref  # (only a reference marked a short name has candidates)
            pulled = served_candidate(ref, route, config) if ref.short is not None else ref
            registry = config.configured_name(located_ref(pulled))
            served.setdefault((route.content_host, registry), []).append(result.image)

    coverage = []
    for (url, registry), refs in served.items():
        catalogue = catalogues.for_host(hosts_by_url[url].host)
        coverage.append(
            MirrorCoverage(
                host=url,
                registry=registry,
                catalogue=catalogue.source,
                assumed=catalogue.assumed,
                images=tuple(sorted(refs)),
            )
        )
    return tuple(sorted(coverage, key=_mirror_order))


def _mirror_order(mirror: MirrorCoverage) -> tuple[str, str]:
    return (mirror.registry, mirror.host)
