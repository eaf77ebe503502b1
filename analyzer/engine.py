"""The engine: sources -> routes -> ``Report``, behind every front door.

``ScanOptions`` is everything a scan depends on; ``run(options)`` is the one path from options
to a ``Report`` that the CLI (``scan``, ``probe``), the Python API (``analyzer.scan``) and the
notebooks share. ``build_report()`` is its pure part (no I/O), reused by the what-if helpers.
The CLI only parses flags into ``ScanOptions``, calls ``run`` and prints.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING, TextIO

from analyzer.mirrors import (
    NODE_DEFAULT,
    Catalogues,
    MirrorConfig,
    load_catalogues,
    load_mirror_config,
)
from analyzer.mirrors.catalogues import normalise_host
from analyzer.mirrors.doctor import diagnose
from analyzer.mirrors.hosts_dir import candidate_names
from analyzer.mirrors.patterns import PatternSet
from analyzer.model import (
    Finding,
    ImageUse,
    RegistryHosts,
    Route,
    SourceError,
    SourceWarning,
)
from analyzer.redact import redact_reference
from analyzer.reference import ImageRef, InvalidImageReference, parse_image
from analyzer.report import ImageResult, Policy, Report
from analyzer.results import image_result, mirror_coverage
from analyzer.route import containerd_locator, route_hosts, route_image
from analyzer.sources import RenderOptions, Rule, SourceResult, iter_sources, uses_of
from analyzer.spool import UseGroups

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.online.probe import Prober

#: use classes routed by default; ``indirect`` is opt-in (``--include indirect``)
CORE_CLASSES: frozenset[str] = frozenset({"container", "crd", "volume"})

Loader = Callable[[str], str]
Warn = Callable[[str], None]


@dataclass(frozen=True)
class ScanOptions:
    """What a scan reads and how it judges: the same fields as ``coverage scan``'s flags."""

    paths: tuple[str, ...] = ()
    images: tuple[str, ...] = ()  # references given directly (``probe --image``)
    hosts_dirs: tuple[str, ...] = ()  # each may be a ':'-separated config_path
    containerd_config: str | None = None
    docker_daemon: str | None = None
    catalogs: tuple[str, ...] = ()  # HOST=SOURCE
    node_default: str | None = NODE_DEFAULT
    include_indirect: bool = False
    ignore: tuple[str, ...] = ()  # allows.txt-style patterns accepted from upstream
    policy: Policy = field(default_factory=Policy)
    probe: bool = False
    rules: tuple[Rule, ...] = ()  # extraction rules of the settings file
    helm_args: tuple[str, ...] = ()  # for `helm template` of chart folders
    skip_non_manifests: bool = False  # a named file with no Kubernetes object: skipped
    containerd_version: str | None = None  # "1.6", "2.1"...; None: detected, else the newest
    runtime: str | None = None  # containerd, k3s, rke2, crio, podman, docker
    k3s_registries: str | None = None
    k3s_disable_default_endpoint: bool = False
    registries_conf: str | None = None
    registries_conf_d: str | None = None
    kind_config: str | None = None  # a kind cluster config: its containerdConfigPatches
    minikube_registry_mirrors: tuple[str, ...] = ()  # minikube start --registry-mirror
    minikube_profile: str | None = None  # ~/.minikube/profiles/<name>/config.json
    # how to fix each failing image (``ImageResult.advice``); off when nothing shows it (the
    # formats outside ``analyzer.formats.ADVICE_FORMATS``)
    advice: bool = True


@dataclass(frozen=True)
class Setup:
    """The mirror configuration in effect and what each mirror holds."""

    config: MirrorConfig
    catalogues: Catalogues
    findings: tuple[Finding, ...] = ()  # configuration traps (``coverage doctor``)


def setup(
    options: ScanOptions,
    *,
    loader: Loader | None = None,
    warn: Warn | None = None,
    registries: Collection[str] | None = None,
) -> Setup:
    """The configuration and catalogues of ``options``; with ``registries`` (those of the
    images to route), only the hosts directories they may use are read and diagnosed.

    Catalogue URLs are fetched through ``loader``, by default the cached downloader of
    ``analyzer.online`` (imported only when a URL is given). Raises
    ``analyzer.mirrors.CatalogueError`` (a ``ValueError``) for a ``--catalog`` or an
    ``--ignore`` pattern that cannot be used, ``analyzer.mirrors.errors.OptionError`` for a
    ``containerd_version`` or ``runtime`` it does not know; problems of configuration files are data
    (``MirrorConfig.errors``).
    """
    if options.ignore:
        PatternSet.from_lines(options.ignore, source="--ignore")
    config = load_mirror_config(
        hosts_dirs=options.hosts_dirs,
        containerd_config=options.containerd_config,
        docker_daemon=options.docker_daemon,
        node_default=options.node_default,
        containerd_version=options.containerd_version,
        runtime=options.runtime,
        k3s_registries=options.k3s_registries,
        k3s_disable_default_endpoint=options.k3s_disable_default_endpoint,
        registries_conf=options.registries_conf,
        registries_conf_d=options.registries_conf_d,
        kind_config=options.kind_config,
        minikube_registry_mirrors=options.minikube_registry_mirrors,
        minikube_profile=options.minikube_profile,
        registries=registries,
    )
    if loader is None and any(_is_url(spec) for spec in options.catalogs):
        from analyzer.online.refresh import cached_loader

        loader = cached_loader(warn=warn)
    findings = (
        *diagnose(
            [root.path for root in config.roots],
            options.containerd_config,
            options.k3s_registries,
            config.containerd_version,
            None if registries is None else candidate_names(registries),
        ),
        *config.findings,
        *_registries_conf_findings(config),
    )
    return Setup(config, load_catalogues(options.catalogs, loader=loader), findings)


def _registries_conf_findings(config: MirrorConfig) -> tuple[Finding, ...]:
    """The registries.conf doctor, imported only when such a file was read (start-up)."""
    if not any(r.origin == "registries-conf" for r in config.runtimes):
        return ()
    from analyzer.mirrors.doctor_registries_conf import diagnose_registries_conf

    return diagnose_registries_conf(config)


def _is_url(spec: str) -> bool:
    return spec.partition("=")[2].strip().lower().startswith(("http://", "https://"))


def run(
    options: ScanOptions,
    *,
    prepared: Setup | None = None,
    stdin: TextIO | None = None,
    on_file: Callable[[str], None] | None = None,
    loader: Loader | None = None,
    warn: Warn | None = None,
    prober: Prober | None = None,
) -> Report:
    """Read ``options.paths``, route every image, and (with ``options.probe``) attach live
    probe verdicts from ``prober`` (a default ``Prober`` when none is given). Without
    ``prepared``, the configuration is read after the manifests: only the hosts
    directories their registries may use."""
    scan = iter_sources(
        list(options.paths),
        stdin=stdin,
        on_file=on_file,
        rules=options.rules,
        render=RenderOptions(helm_args=options.helm_args),
        skip_non_manifests=options.skip_non_manifests,
    )
    # the uses stream into per-image lists (memory: the largest document, not the input)
    groups = UseGroups(_classes(options.include_indirect))
    errors: list[SourceError] = []
    warnings: list[SourceWarning] = []
    refs: set[ImageRef] = set()  # every parsed reference, in scope or not
    given, refused = given_images(options.images)
    groups.extend(_noting(chain(uses_of(scan, errors, warnings), given), refs))
    registries = frozenset(containerd_locator(ref)[0] for ref in refs)
    chosen = prepared or setup(options, loader=loader, warn=warn, registries=registries)
    sources = SourceResult(
        (),
        (*errors, *(r.error() for r in refused)),
        scan.files_read,
        scan.files_skipped,
        tuple(warnings),
    )
    report = report_from_groups(
        groups,
        sources,
        chosen.config,
        chosen.catalogues,
        ignore=options.ignore,
        policy=options.policy,
        findings=chosen.findings,
    )
    if options.advice and report.failures():  # only for images the policy fails (imported then)
        from analyzer.fixes.advice import attach_advice

        report = attach_advice(report, chosen.config, chosen.catalogues)
    if options.probe:
        from analyzer.probing import attach_probes

        if prober is None:
            from analyzer.online.probe import Prober

            prober = Prober()
        report = attach_probes(report, chosen.config, chosen.catalogues, prober)
    return report


def _noting(uses: Iterable[ImageUse], refs: set[ImageRef]) -> Iterator[ImageUse]:
    """``uses``, each parsed reference added to ``refs`` on the way."""
    for use in uses:
        if use.image is not None:
            refs.add(use.image)
        yield use


@dataclass(frozen=True)
class RefusedImage:
    """An ``--image`` that is not an image reference: as given, and why it was refused."""

    text: str
    reason: str

    def error(self) -> SourceError:
        return SourceError(
            "--image", None, f"{self.text!r} is not an image reference: {self.reason}"
        )


def given_images(texts: Sequence[str]) -> tuple[list[ImageUse], list[RefusedImage]]:
    """The references given on the command line (``--image``), as uses of a container at
    line N of ``--image`` (the N-th ``--image``); the ones that do not parse, refused."""
    uses: list[ImageUse] = []
    refused: list[RefusedImage] = []
    for number, text in enumerate(texts, start=1):
        try:
            image = parse_image(text)
        except InvalidImageReference as exc:
            # as shown: a password pasted into a reference is not (stderr, reports)
            refused.append(
                RefusedImage(redact_reference(text, text), redact_reference(str(exc), text))
            )
            continue
        uses.append(ImageUse(text, image, "container", "--image", number, 0, "--image"))
    return uses, refused


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
    containerd_version: str | None = None,
    runtime: str | None = None,
    k3s_registries: str | None = None,
    k3s_disable_default_endpoint: bool = False,
    registries_conf: str | None = None,
    registries_conf_d: str | None = None,
    helm_args: Sequence[str] = (),
    probe: bool = False,
    stdin: TextIO | None = None,
    on_file: Callable[[str], None] | None = None,
    loader: Loader | None = None,
) -> Report:
    """Scan manifests and predict, for every image, which host serves it (the Python API,
    with the options of ``coverage scan``: both end in ``run(ScanOptions(...))``).

    With no configuration options the node's ``/etc/containerd/certs.d`` is used when it
    exists, otherwise the embedded DaoCloud mirror set. ``hosts_dir`` is one hosts root or
    several (each may itself be a ``:``-separated ``config_path``). ``catalogs`` are
    ``HOST=SOURCE`` specs, or a ``{host: source}`` mapping (a list file, ``all``, ``none``,
    ``daocloud`` or a URL, fetched with ``loader`` or the cached downloader).
    Raises ``analyzer.mirrors.CatalogueError`` for a catalogue that cannot be read.
    """
    if isinstance(catalogs, Mapping):
        catalogs = [f"{host}={source}" for host, source in catalogs.items()]
    options = ScanOptions(
        paths=(paths,) if isinstance(paths, str) else tuple(paths),
        hosts_dirs=(hosts_dir,) if isinstance(hosts_dir, str) else tuple(hosts_dir or ()),
        containerd_config=containerd_config,
        docker_daemon=docker_daemon,
        catalogs=tuple(catalogs),
        node_default=node_default,
        include_indirect=include_indirect,
        ignore=tuple(ignore),
        policy=policy or Policy(),
        containerd_version=containerd_version,
        runtime=runtime,
        k3s_registries=k3s_registries,
        k3s_disable_default_endpoint=k3s_disable_default_endpoint,
        registries_conf=registries_conf,
        registries_conf_d=registries_conf_d,
        helm_args=tuple(helm_args),
        probe=probe,
    )
    return run(options, stdin=stdin, on_file=on_file, loader=loader)


def build_report(
    sources: SourceResult,
    config: MirrorConfig,
    catalogues: Catalogues,
    *,
    include_indirect: bool = False,
    ignore: Sequence[str] = (),
    policy: Policy | None = None,
    route: Callable[[ImageRef, MirrorConfig, Catalogues], Route] = route_image,
    findings: Sequence[Finding] = (),
) -> Report:
    """Route every distinct image of ``sources`` and gather the report (no I/O but the
    spool of uses past each image's first few, ``analyzer.spool``)."""
    groups = UseGroups(_classes(include_indirect))
    groups.extend(sources.uses)
    return report_from_groups(
        groups,
        sources,
        config,
        catalogues,
        ignore=ignore,
        policy=policy,
        route=route,
        findings=findings,
    )


def _classes(include_indirect: bool) -> frozenset[str]:
    return CORE_CLASSES | ({"indirect"} if include_indirect else frozenset())


def report_from_groups(
    groups: UseGroups,
    sources: SourceResult,
    config: MirrorConfig,
    catalogues: Catalogues,
    *,
    ignore: Sequence[str] = (),
    policy: Policy | None = None,
    route: Callable[[ImageRef, MirrorConfig, Catalogues], Route] = route_image,
    findings: Sequence[Finding] = (),
) -> Report:
    """Route every image of ``groups``; errors, warnings and file counts from ``sources``
    (whose uses are already in ``groups``)."""
    # --ignore: the catalogue lists' pattern rules (exact, /*, /**; short Docker Hub names)
    ignored = PatternSet.from_lines(ignore, source="--ignore") if ignore else None
    with _collector_paused():
        images = tuple(
            image_result(uses, config, catalogues, route, ignored)
            for uses in groups.sorted_images()
        )
        mirrors = mirror_coverage(images, config, catalogues)
    return Report(
        images=images,
        invalid=groups.invalid,
        mirrors=mirrors,
        config_description=config.description,
        policy=policy or Policy(),
        source_errors=sources.errors,
        config_errors=config.errors,
        warnings=(*(str(w) for w in sources.warnings), *_warnings(config, catalogues, images)),
        files_read=sources.files_read,
        files_skipped=sources.files_skipped,
        findings=tuple(findings),
        containerd_version=str(config.containerd_version),
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while the images are routed: every object routing
    makes (routes, attempts, results) is acyclic and lives as long as the report, so each
    collection would only walk them again (12 % of routing a 100k-image scan). Whatever
    garbage routing leaves (none is expected) waits for the next collection after it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _warnings(
    config: MirrorConfig, catalogues: Catalogues, images: Sequence[ImageResult]
) -> tuple[str, ...]:
    seen: dict[str, None] = dict.fromkeys(config.warnings)
    for result in images:
        for warning in result.route.warnings:
            seen.setdefault(warning, None)
    in_use = _hosts_in_use(config, images) if catalogues.explicit_hosts else frozenset()
    unused = catalogues.explicit_hosts and catalogues.explicit_hosts - in_use
    for host in sorted(unused or ()):
        # the same name with another port: the catalogue was meant for it, and that host
        # is judged without it (a mirror with no catalogue is assumed to serve everything)
        ports = sorted(h for h in in_use if _without_port(h) == _without_port(host))
        hint = f" (in use: {', '.join(ports)}: a catalogue names the host's port)" if ports else ""
        seen.setdefault(
            f"--catalog {host}: no configured host and no image of this scan uses {host}, "
            f"so its catalogue changes nothing (a typo?){hint}",
            None,
        )
    return tuple(seen)


def _without_port(host: str) -> str:
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() else host


def _hosts_in_use(config: MirrorConfig, images: Sequence[ImageResult]) -> frozenset[str]:
    """Every host a catalogue could matter for: configured hosts, the hosts on each image's
    route, and the registries of references written in a mirror's form."""
    hosts = {h.host for rh in config.configured() for h in rh.hosts}
    looked: dict[int, RegistryHosts] = {}  # each registry's hosts once (held: ids stay unique)
    for result in images:
        registry_hosts = route_hosts(result.ref, config)
        if id(registry_hosts) not in looked:
            looked[id(registry_hosts)] = registry_hosts
            hosts.update(h.host for h in registry_hosts.hosts)
        hosts.add(result.registry)
    return frozenset(normalise_host(h) for h in hosts)
