"""What one mirror host holds: the ``Catalogue`` protocol and its simple kinds (defined in
``catalogue_kinds``).

Kinds: ``list`` (a DaoCloud-format pattern list), ``all`` (a pull-through proxy: everything),
``none`` (nothing), ``assumed`` (no catalogue given: assumed to serve everything, and every
report says so), ``probe`` (answers from the Registry API, built in ``analyzer.online``).
"""

from __future__ import annotations

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
    RegistryRestricted,
    assumed_catalogue,
)

__all__ = [
    "Catalogue",
    "EverythingCatalogue",
    "ListCatalogue",
    "NothingCatalogue",
    "RegistryRestricted",
    "assumed_catalogue",
]
