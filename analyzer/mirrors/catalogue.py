"""What one mirror host holds: the ``Catalogue`` protocol and its simple kinds (defined in
``catalogue_kinds``).

Kinds: ``list`` (a DaoCloud-format pattern list), ``all`` (a pull-through proxy: everything),
``none`` (nothing), ``assumed`` (no catalogue given: assumed to serve everything, and every
report says so), ``probe`` (answers from the Registry API, built in ``analyzer.online``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from analyzer.reference import ImageRef


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
class RegistryRestricted:
    """A catalogue limited to one upstream registry (a DaoCloud subdomain host such as
    ``quay.m.daocloud.io`` serves ``quay.io`` and nothing else, whatever its list says)."""

    inner: Catalogue
    registry: str

    @property
    def source(self) -> str:
        return f"{self.inner.source}; only {self.registry} images"

    @property
    def kind(self) -> str:
        return self.inner.kind

    @property
    def entries(self) -> int | None:
        return self.inner.entries

    @property
    def assumed(self) -> bool:
        return self.inner.assumed

    def holds(self, ref: ImageRef) -> bool:
        return ref.domain.lower() == self.registry and self.inner.holds(ref)


__all__ = [
    "Catalogue",
    "EverythingCatalogue",
    "ListCatalogue",
    "NothingCatalogue",
    "RegistryRestricted",
    "assumed_catalogue",
]
