"""Which catalogue each mirror host has: ``--catalog HOST=SOURCE`` specs and the defaults.

SOURCE is a list file (either DaoCloud format), ``all`` (a pull-through proxy), ``none``,
``daocloud`` (DaoCloud's ``allows.txt``: the copy ``coverage catalog update`` downloaded, else
the embedded snapshot) or an http(s) URL (fetched through ``loader``).
Hosts with no spec: the DaoCloud subdomain hosts get that ``allows.txt`` restricted
to their own upstream registry, ``m.daocloud.io`` gets it unrestricted, and every other host
is assumed to serve everything (and reports say "assumed"), but for an unknown
``*.m.daocloud.io`` host, which serves nothing (``unknown_daocloud_host``).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from urllib.parse import urlsplit

from analyzer.mirrors.catalogue import (
    Catalogue,
    EverythingCatalogue,
    ListCatalogue,
    NothingCatalogue,
    PathPrefixHost,
    RegistryRestricted,
    assumed_catalogue,
)
from analyzer.mirrors.daocloud_lists import PatternList, parse_allows, parse_list
from analyzer.mirrors.embedded import (
    DAOCLOUD_PATH_HOST,
    allows_metadata,
    daocloud_host_registries,
    embedded_allows,
)
from analyzer.mirrors.errors import CatalogueError
from analyzer.mirrors.url_userinfo import strip_userinfo
from analyzer.redact import redact_text, redact_url
from analyzer.regular_file import read_regular_file

Loader = Callable[[str], str]


def normalise_host(host: str) -> str:
    """``host[:port]`` lower-cased, ``:443`` dropped; a URL is reduced to its host (without
    any user name or password)."""
    text = host.strip()
    if "://" in text:
        text = strip_userinfo(urlsplit(text).netloc)
    text = text.lower().rstrip("/")
    return text[:-4] if text.endswith(":443") else text


def unknown_daocloud_host(host: str) -> NothingCatalogue:
    """A ``*.m.daocloud.io`` host that is none of DaoCloud's mirror hosts (a retired one,
    such as ``l5d.m.daocloud.io``, or a typing error): DaoCloud's server maps each host it
    serves to one registry, so such a host serves nothing that is known here. It is not
    assumed to serve everything, as an unknown host of another operator is: that would let
    the gate pass images the host never serves."""
    return NothingCatalogue(
        source=(
            f"{host} is not one of DaoCloud's mirror hosts (analyzer/data/daocloud_domains.tsv): "
            f"taken to serve nothing; give --catalog {host}=all if DaoCloud serves it now"
        )
    )


def daocloud_catalogue() -> ListCatalogue:
    """DaoCloud's whitelist: the copy ``coverage catalog update`` downloaded, when there is
    an intact one, else the snapshot embedded in the package. The source says which, and
    how old it is."""
    from analyzer.store import cached_daocloud_allows

    entry = cached_daocloud_allows()
    if entry is not None:
        cached = _cached_catalogue(str(entry.path), entry.sha256, entry.source, entry.fetched_at)
        if cached is not None:
            return cached
    meta = allows_metadata()
    allows = embedded_allows()
    return ListCatalogue(allows, source=f"{meta.describe()}, {_count(allows)}")


@lru_cache(maxsize=4)
def _cached_catalogue(path: str, sha256: str, url: str, fetched_at: str) -> ListCatalogue | None:
    from analyzer.store.cache import describe_age, parse_time

    try:
        data = read_regular_file(path)
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != sha256:
        return None  # damaged copy: the embedded snapshot serves instead
    try:
        patterns = parse_allows(data.decode("utf-8"), path)
    except UnicodeDecodeError:
        return None
    if not patterns.count:
        return None
    fetched = parse_time(fetched_at)
    age = f", {describe_age(fetched)} old" if fetched is not None else ""
    return ListCatalogue(
        patterns,
        source=f"DaoCloud allows.txt from {url} (downloaded {fetched_at}{age}), {_count(patterns)}",
    )


def _restrict(host: str, catalogue: Catalogue) -> Catalogue:
    registry = daocloud_host_registries().get(host)
    if registry is None or catalogue.kind == "none":
        return catalogue
    return RegistryRestricted(catalogue, registry)


class Catalogues:
    """The catalogue of every mirror host; ``for_host`` never fails."""

    def __init__(
        self, explicit: Mapping[str, Catalogue] | None = None, warnings: Sequence[str] = ()
    ) -> None:
        self._explicit = {normalise_host(h): c for h, c in (explicit or {}).items()}
        self._explicit_hosts = frozenset(self._explicit)
        self._cache: dict[str, Catalogue] = {}
        self.warnings: tuple[str, ...] = tuple(warnings)

    @property
    def explicit(self) -> Mapping[str, Catalogue]:
        """The catalogues given with ``--catalog``, by host."""
        return dict(self._explicit)

    @property
    def explicit_hosts(self) -> frozenset[str]:
        """The (normalised) hosts given a catalogue with ``--catalog``."""
        return self._explicit_hosts

    def for_host(self, host: str) -> Catalogue:
        key = normalise_host(host)
        found = self._cache.get(key)
        if found is None:
            found = self._resolve(key)
            self._cache[key] = found
        return found

    def for_mirror(self, host: str, path: str) -> Catalogue:
        """The catalogue of ``host`` as a mirror whose URL path is ``path`` (``/v2``,
        ``/v2/docker.io``): DaoCloud's path-prefix host reads the registry from that path
        (``PathPrefixHost``); every other host holds what ``for_host`` says."""
        catalogue = self.for_host(host)
        if normalise_host(host) != DAOCLOUD_PATH_HOST or catalogue.kind in ("all", "none"):
            return catalogue
        return PathPrefixHost(catalogue, path)

    def _resolve(self, key: str) -> Catalogue:
        if key in self._explicit:
            return _restrict(key, self._explicit[key])
        if key in daocloud_host_registries():
            return _restrict(key, daocloud_catalogue())
        if key == DAOCLOUD_PATH_HOST:
            return daocloud_catalogue()
        if key.partition(":")[0].endswith("." + DAOCLOUD_PATH_HOST):
            return unknown_daocloud_host(key)
        return assumed_catalogue(key)


def _count(patterns: PatternList) -> str:
    """``1320 patterns (1 line skipped: docker.io/* artefact)``: patterns plus the lines
    skipped add up to the entry lines of the file (what ``coverage catalog list`` counts)."""
    n = patterns.count
    skipped = [
        (len(patterns.notes), "docker.io/* artefact"),
        (patterns.duplicates, "duplicate"),
        (len(patterns.problems), "not a pattern"),
    ]
    parts = [
        f"{count} line{'' if count == 1 else 's'} skipped: {why}" for count, why in skipped if count
    ]
    return f"{n} pattern{'' if n == 1 else 's'}" + (f" ({'; '.join(parts)})" if parts else "")


def _describe_file(path: str, data: bytes, patterns: PatternList) -> str:
    try:
        modified = time.strftime("%Y-%m-%d", time.localtime(os.path.getmtime(path)))
    except OSError:
        modified = "unknown date"
    digest = hashlib.sha256(data).hexdigest()[:12]
    return f"{path} ({patterns.format}, {_count(patterns)}, sha256 {digest}, modified {modified})"


def _checked(patterns: PatternList, where: str) -> PatternList:
    if not patterns.count:
        first = patterns.problems[0] if patterns.problems else f"{where}: no patterns"
        raise CatalogueError(f"{first} (the list has no usable pattern)")
    return patterns


def _from_file(path: str) -> tuple[ListCatalogue, tuple[str, ...]]:
    try:
        data = read_regular_file(path)
    except OSError as exc:
        shown = redact_text(path)
        raise CatalogueError(f"{shown}: cannot read catalogue: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CatalogueError(f"{path}:{line}: catalogue is not UTF-8 text") from exc
    patterns = _checked(parse_list(text, path), path)
    return ListCatalogue(patterns, _describe_file(path, data, patterns)), patterns.problems


def _from_url(url: str, loader: Loader | None) -> tuple[ListCatalogue, tuple[str, ...]]:
    shown = redact_url(url)  # the list is fetched with the password, never shown with it
    if loader is None:
        raise CatalogueError(
            f"{shown}: catalogue URLs need the online downloader; save the list "
            "to a file and pass the file instead"
        )
    try:
        text = loader(url)
    except Exception as exc:  # the loader's own errors: one line, never a traceback
        reason = redact_text(str(exc), (url,))
        raise CatalogueError(f"{shown}: cannot fetch catalogue: {reason}") from exc
    patterns = _checked(parse_list(text, shown), shown)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    source = f"{shown} ({patterns.format}, {_count(patterns)}, sha256 {digest})"
    return ListCatalogue(patterns, source), patterns.problems


def parse_spec(spec: str) -> tuple[str, str]:
    """``HOST=SOURCE`` -> (normalised host, source)."""
    host, sep, source = spec.partition("=")
    if not sep or not host.strip() or not source.strip():
        raise CatalogueError(
            f"--catalog {redact_text(spec, (host, source))!r}: expected HOST=SOURCE, e.g. "
            "docker.m.daocloud.io=daocloud or mirror.local:5000=all"
        )
    return normalise_host(host), source.strip()


def catalogue_from_source(
    source: str, loader: Loader | None = None
) -> tuple[Catalogue, tuple[str, ...]]:
    """One SOURCE -> its catalogue and any skipped-line problems."""
    if source == "all":
        return EverythingCatalogue(source="all: a pull-through proxy serves everything"), ()
    if source == "none":
        return NothingCatalogue(source="none: serves nothing"), ()
    if source == "daocloud":
        return daocloud_catalogue(), ()
    if source.startswith(("http://", "https://")):
        return _from_url(source, loader)
    return _from_file(source)


def load_catalogues(specs: Sequence[str] = (), *, loader: Loader | None = None) -> Catalogues:
    """Build ``Catalogues`` from ``HOST=SOURCE`` specs; raise ``CatalogueError`` on a bad one."""
    explicit: dict[str, Catalogue] = {}
    warnings: list[str] = []
    for spec in specs:
        host, source = parse_spec(spec)
        if host in explicit:
            shown = redact_text(spec, (source,))
            raise CatalogueError(f"--catalog {shown!r}: {host} already has a catalogue")
        catalogue, problems = catalogue_from_source(source, loader)
        explicit[host] = catalogue
        warnings.extend(f"{p} (line skipped)" for p in problems)
    return Catalogues(explicit, warnings)
