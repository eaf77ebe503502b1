"""The simple kinds of ``Catalogue`` (``analyzer.mirrors.catalogue``): ``list`` (a
DaoCloud-format pattern list), ``all`` (a pull-through proxy: everything), ``none``
(nothing), ``assumed`` (no catalogue given: assumed to serve everything, and every report
says so). Compiled by mypyc: every route asks each mirror's catalogue whether it holds the
image. (``RegistryRestricted`` stays in ``catalogue``: a compiled dataclass needs its
fields' types at run time, and the protocol's module imports this one.)
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.frozen import Frozen
from analyzer.mirrors.daocloud_lists import PatternList
from analyzer.redact import redact_host
from analyzer.reference import ImageRef


@dataclass(frozen=True)
class ListCatalogue(Frozen):
    """A host that serves the repositories a pattern list allows."""

    patterns: PatternList
    source: str
    kind: str = "list"
    assumed: bool = False

    @property
    def entries(self) -> int | None:
        return self.patterns.count

    def holds(self, ref: ImageRef) -> bool:
        return self.patterns.index.holds(ref)  # the compiled index, called directly


@dataclass(frozen=True)
class EverythingCatalogue(Frozen):
    """A pull-through proxy (``all``), or a host nobody described (``assumed``)."""

    source: str
    kind: str = "all"
    assumed: bool = False
    entries: int | None = None

    def holds(self, ref: ImageRef) -> bool:
        return True


def assumed_catalogue(host: str) -> EverythingCatalogue:
    return EverythingCatalogue(
        source=f"assumed: no catalogue for {redact_host(host)}, assumed to serve everything",
        kind="assumed",
        assumed=True,
    )


@dataclass(frozen=True)
class NothingCatalogue(Frozen):
    """A host that serves nothing (``none``)."""

    source: str
    kind: str = "none"
    assumed: bool = False
    entries: int | None = None

    def holds(self, ref: ImageRef) -> bool:
        return False
