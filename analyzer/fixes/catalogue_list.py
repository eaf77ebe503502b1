"""The pattern list behind a mirror host's catalogue, when it has one.

A request can only be written for a host whose catalogue is a list (a DaoCloud-format file,
the embedded or downloaded ``allows.txt``): ``all``, ``none``, ``assumed`` and probes have
no list to add a line to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analyzer.mirrors.catalogue import Catalogue, ListCatalogue, RegistryRestricted
from analyzer.mirrors.daocloud_lists import PatternList
from analyzer.mirrors.embedded import DAOCLOUD_PATH_HOST, daocloud_host_registries


@dataclass(frozen=True)
class HostList:
    """A mirror host's list, and the one registry the host serves (None: any)."""

    host: str
    patterns: PatternList = field(repr=False)
    source: str  # the catalogue's description
    registry: str | None = None

    @property
    def daocloud(self) -> bool:
        return self.host == DAOCLOUD_PATH_HOST or self.host in daocloud_host_registries()


def host_list(host: str, catalogue: Catalogue) -> HostList | None:
    """The list ``catalogue`` reads, or None when it is not a list."""
    registry = None
    if isinstance(catalogue, RegistryRestricted):
        registry = catalogue.registry
        catalogue = catalogue.inner
    if isinstance(catalogue, ListCatalogue):
        return HostList(host, catalogue.patterns, catalogue.source, registry)
    return None
