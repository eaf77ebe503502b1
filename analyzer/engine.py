"""The engine behind ``coverage scan``: sources -> routes -> ``Report``.

``scan()`` reads everything from paths and options; ``build_report()`` is the pure part,
reused by the what-if helpers and the notebooks. The CLI is a thin layer over both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from analyzer.mirrors import (
    NODE_DEFAULT,
    Catalogues,
    MirrorConfig,
    load_catalogues,
    load_mirror_config,
)
from analyzer.mirrors.patterns import PatternSet
from analyzer.model import ImageUse, Route
from analyzer.reference import ImageRef
from analyzer.report import ImageResult, MirrorCoverage, Policy, Report
from analyzer.route import route_image
from analyzer.sources import SourceResult, read_sources

#: use classes routed by default; ``indirect`` is opt-in (``--include indirect``)
CORE_CLASSES: frozenset[str] = frozenset({"container", "crd", "volume"})


def scan(
    paths: str | Sequence[str],
    *,
    hosts_dir: str | Sequence[str] | None = None,
    containerd_config: str | None = None,
    docker_daemon: str | None = None,
    catalogs: Sequence[str] | Mapping[str, str] = (),
    node_default: str | None = NODE_DEFAULT,
    include_indirect: bool = False,
    ignore: Sequence[str] = (),
    policy: Policy | None = None,
    stdin: TextIO | None = None,
    on_file: Callable[[str], None] | None = None,
    loader: Callable[[str], str] | None = None,
) -> Report:
    """Scan manifests and predict, for every image, which host serves it.

    With no configuration options the node's ``/etc/containerd/certs.d`` is used when it
    exists, otherwise the embedded DaoCloud mirror set. ``hosts_dir`` is one hosts root or
    several (each may itself be a ``:``-separated ``config_path``). ``catalogs`` are
    ``HOST=SOURCE`` specs, or a ``{host: source}`` mapping (a list file, ``all``, ``none``,
    ``daocloud`` or a URL fetched with ``loader``).
    Raises ``analyzer.mirrors.CatalogueError`` for a catalogue that cannot be read.
    """
    if isinstance(paths, str):
        paths = [paths]
    config = load_mirror_config(
        hosts_dirs=[hosts_dir] if isinstance(hosts_dir, str) else tuple(hosts_dir or ()),
        containerd_config=containerd_config,
        docker_daemon=docker_daemon,
        node_default=node_default,
    )
    if isinstance(catalogs, Mapping):
        catalogs = [f"{host}={source}" for host, source in catalogs.items()]
    catalogues = load_catalogues(catalogs, loader=loader)
    sources = read_sources(paths, stdin=stdin, on_file=on_file)
    return build_report(
        sources,
        config,
        catalogues,
        include_indirect=include_indirect,
        ignore=ignore,
        policy=policy,
    )


def build_report(
    sources: SourceResult,
    config: MirrorConfig,
    catalogues: Catalogues,
    *,
    include_indirect: bool = False,
    ignore: Sequence[str] = (),
    policy: Policy | None = None,
    route: Callable[[ImageRef, MirrorConfig, Catalogues], Route] = route_image,
) -> Report:
    """Route every distinct image of ``sources`` and gather the report (no I/O)."""
    classes = CORE_CLASSES | ({"indirect"} if include_indirect else set())
    # --ignore: the catalogue lists' pattern rules (exact, /*, /**; short Docker Hub names)
    ignored = PatternSet.from_lines(ignore, source="--ignore") if ignore else None

    grouped: dict[str, tuple[ImageRef, list[ImageUse]]] = {}
    invalid: list[ImageUse] = []
    for use in sources.uses:
        if use.image is None:
            invalid.append(use)
        elif use.use_class in classes:
            entry = grouped.setdefault(use.image.pull_ref, (use.image, []))
            entry[1].append(use)

    images = tuple(
        ImageResult(
            ref=ref,
            route=route(ref, config, catalogues),
            uses=tuple(uses),
            ignored=ignored is not None and ignored.matches(ref),
        )
        for _, (ref, uses) in sorted(grouped.items())
    )
    return Report(
        images=images,
        invalid=tuple(invalid),
        mirrors=mirror_coverage(images, config, catalogues),
        config_description=config.description,
        policy=policy or Policy(),
        source_errors=sources.errors,
        config_errors=config.errors,
        warnings=_warnings(config, images),
        files_read=sources.files_read,
        files_skipped=sources.files_skipped,
    )


def mirror_coverage(
    images: Sequence[ImageResult], config: MirrorConfig, catalogues: Catalogues
) -> tuple[MirrorCoverage, ...]:
    """Per configured mirror host: the images of this report whose content it serves."""
    configured = config.configured()
    served: dict[tuple[str, str], list[str]] = {
        (host.url, rh.registry): [] for rh in configured for host in rh.mirrors
    }
    hosts_by_url = {h.url: h for rh in configured for h in rh.hosts}
    # the configured name a route's hosts came from ("_default" for a catch-all directory)
    registry_by_file = {rh.file: rh.registry for rh in configured if rh.file is not None}
    for result in images:
        hosts = config.hosts_for(result.registry)
        for host in hosts.hosts:
            hosts_by_url.setdefault(host.url, host)
        route = result.route
        if route.status in ("mirrored", "partial") and route.content_host is not None:
            registry = (
                registry_by_file.get(hosts.file, result.registry) if hosts.file else result.registry
            )
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
    return tuple(sorted(coverage, key=lambda m: (m.registry, m.host)))


def _warnings(config: MirrorConfig, images: Sequence[ImageResult]) -> tuple[str, ...]:
    seen: dict[str, None] = dict.fromkeys(config.warnings)
    for result in images:
        for warning in result.route.warnings:
            seen.setdefault(warning, None)
    return tuple(seen)
