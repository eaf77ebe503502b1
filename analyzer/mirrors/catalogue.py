"""What one mirror host holds: the ``Catalogue`` protocol and its simple kinds (defined in
``catalogue_kinds``).

Kinds: ``list`` (a DaoCloud-format pattern list), ``all`` (a pull-through proxy: everything),
``none`` (nothing), ``assumed`` (no catalogue given: assumed to serve everything, and every
report says so), ``probe`` (answers from the Registry API, built in ``analyzer.online``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from analyzer.mirrors.embedded import DAOCLOUD_PATH_HOST
from analyzer.reference import ImageRef, InvalidImageReference, parse_image


@runtime_checkable
class Catalogue(Protocol):
    """What a mirror host serves."""

    @property
    def source(self) -> str:
        """Where the answer comes from, for people: file, commit, date..."""
        ...

    @property
    def kind(self) -> str:
        """``list``, ``all``, ``none``, ``assumed`` or ``probe``."""
        ...

    @property
    def entries(self) -> int | None:
        """Number of patterns (None when not a list)."""
        ...

    @property
    def assumed(self) -> bool:
        """True when nobody said what this host holds."""
        ...

    def holds(self, ref: ImageRef) -> bool: ...


# the kinds, compiled by mypyc (this module is not: a ``@runtime_checkable`` Protocol breaks
# compiled); imported here, where every caller has always found them
from analyzer.mirrors.catalogue_kinds import (  # noqa: E402
    EverythingCatalogue,
    ListCatalogue,
    NothingCatalogue,
    assumed_catalogue,
)


@dataclass(frozen=True)
class _Narrowed:
    """A catalogue that holds part of what ``inner`` holds: its kind, size and whether it
    is assumed are ``inner``'s."""

    inner: Catalogue

    @property
    def kind(self) -> str:
        return self.inner.kind

    @property
    def entries(self) -> int | None:
        return self.inner.entries

    @property
    def assumed(self) -> bool:
        return self.inner.assumed


@dataclass(frozen=True)
class RegistryRestricted(_Narrowed):
    """A catalogue limited to one upstream registry (a DaoCloud subdomain host such as
    ``quay.m.daocloud.io`` serves ``quay.io`` and nothing else, whatever its list says)."""

    registry: str

    @property
    def source(self) -> str:
        return f"{self.inner.source}; only {self.registry} images"

    def holds(self, ref: ImageRef) -> bool:
        if ref.domain.lower() != self.registry:
            return False
        if _read_as_registry(ref.path.partition("/")[0]):
            return False  # the host asks another registry for the rest (_read_as_registry)
        return self.inner.holds(ref)


@dataclass(frozen=True)
class PathPrefixHost(_Narrowed):
    """DaoCloud's path-prefix host (``m.daocloud.io``) as a mirror URL of a hosts file: it
    serves ``/v2/<registry>/<path>`` only (DaoCloud/crproxy @ 6e21fb9, utils.go
    ``ParseOriginPathInfo``: a first component that is no domain name is refused, the
    host has no default registry), so what it is asked for is the URL's path followed by
    the repository: ``https://m.daocloud.io/v2/docker.io`` with ``override_path`` asks for
    ``docker.io/library/nginx``; plain ``https://m.daocloud.io`` asks for ``library/nginx``,
    which it refuses whatever its list holds."""

    path: str  # the host's URL path as containerd uses it: "/v2", "/v2/docker.io"

    @property
    def source(self) -> str:
        if self.path.rstrip("/") != "/v2":
            return self.inner.source
        return f"{self.inner.source}; {self.refusal('/v2/<path>')}"

    def refusal(self, asked: str) -> str:
        """Why a path this host is asked for (``asked``, ``/v2/...``) is refused, and the fix."""
        host = DAOCLOUD_PATH_HOST
        return (
            f"{host} serves /v2/<registry>/<path> only, and {asked} names no registry: name "
            f"the registry in the mirror's path ({host}/v2/<registry> with override_path = "
            f'true in hosts.toml, location = "{host}/<registry>" in registries.conf)'
        )

    def holds(self, ref: ImageRef) -> bool:
        asked = f"{self.path.rstrip('/')}/{ref.path}"
        if not asked.startswith("/v2/"):
            return False
        first, _, rest = asked[len("/v2/") :].partition("/")
        if not rest or not _read_as_registry(first):
            return False
        try:
            upstream = parse_image(f"{first}/{rest}")
        except InvalidImageReference:
            return False
        return self.inner.holds(replace(upstream, tag=ref.tag, digest=ref.digest))


_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


def _read_as_registry(component: str) -> bool:
    """Does a DaoCloud subdomain host read this first path component as a registry host?
    crproxy takes ``/v2/<first>/<rest>`` as ``<first>`` and ``<rest>`` whenever ``<first>``
    has a dot and is a domain name (DaoCloud/crproxy @ 6e21fb9, utils.go
    ``ParseOriginPathInfo`` and ``isDomainName``); only other paths get the host's own
    registry. So ``gcr.m.daocloud.io`` asked for ``gcr.io/google.com/cloudsdktool/cloud-sdk``
    checks and fetches ``google.com/cloudsdktool/cloud-sdk`` instead."""
    if "." not in component or len(component) > 253 or not set(component) <= _NAME_CHARACTERS:
        return False
    if any(not 0 < len(label) <= 63 for label in component.split(".")):
        return False
    if component[0] == "-" or component[-1] == "-" or ".-" in component or "-." in component:
        return False
    return any(not c.isdigit() and c != "." for c in component)  # all digits: not a name


__all__ = [
    "Catalogue",
    "EverythingCatalogue",
    "ListCatalogue",
    "NothingCatalogue",
    "PathPrefixHost",
    "RegistryRestricted",
    "assumed_catalogue",
]
