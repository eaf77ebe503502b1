"""Probe verdicts beside catalogue predictions, and probe verdicts as a catalogue.

``compare`` pairs each probe with what the host's catalogue predicted and says whether they
agree: ``served`` agrees with "holds"; ``not_found`` and ``denied`` (containerd moves on to
the next host after either) agree with "does not hold"; ``error`` and ``rate_limited`` prove
nothing either way. ``ProbeCatalogue`` (kind ``probe``) answers ``holds`` from the probes,
so a route can be computed from what the mirrors said rather than what the lists claim.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from analyzer.mirrors.catalogue import Catalogue
from analyzer.mirrors.catalogues import Catalogues
from analyzer.model import Host
from analyzer.online.probe import ProbeResult
from analyzer.reference import ImageRef

Agreement = Literal["agree", "disagree", "unknown"]
NOT_SERVED_OUTCOMES: frozenset[str] = frozenset({"not_found", "denied"})


@dataclass(frozen=True)
class ProbeComparison:
    """One probe and the catalogue's prediction for the same host and image."""

    result: ProbeResult
    registry: str
    predicted: bool  # the catalogue says the host holds the image
    catalogue: str  # the catalogue's source, for people
    assumed: bool  # the catalogue was assumed (nobody said what the host holds)

    @property
    def agreement(self) -> Agreement:
        outcome = self.result.outcome
        if outcome == "served":
            return "agree" if self.predicted else "disagree"
        if outcome in NOT_SERVED_OUTCOMES:
            return "disagree" if self.predicted else "agree"
        return "unknown"

    @property
    def disagrees(self) -> bool:
        return self.agreement == "disagree"

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.result.to_dict(),
            "registry": self.registry,
            "predicted": "holds" if self.predicted else "does not hold",
            "catalogue": self.catalogue,
            "assumed": self.assumed,
            "agreement": self.agreement,
        }


def compare(
    items: Sequence[tuple[Host, str, ImageRef]],
    results: Sequence[ProbeResult],
    catalogues: Catalogues,
) -> list[ProbeComparison]:
    """Pair ``probe_many``'s ``items`` and ``results`` (same order) with the predictions."""
    paired = []
    for (host, registry, ref), result in zip(items, results, strict=True):
        catalogue = catalogues.for_host(host.host)
        paired.append(
            ProbeComparison(
                result=result,
                registry=registry,
                predicted=catalogue.holds(ref),
                catalogue=catalogue.source,
                assumed=catalogue.assumed,
            )
        )
    return paired


def disagreements(comparisons: Iterable[ProbeComparison]) -> list[ProbeComparison]:
    """The probes that contradict their catalogue."""
    return [c for c in comparisons if c.disagrees]


@dataclass(frozen=True)
class ProbeCatalogue:
    """What a host holds according to probes; images not probed (or whose probe proved
    nothing) are answered by ``fallback``."""

    host: str
    served: frozenset[str]  # pull refs the host served
    refused: frozenset[str]  # pull refs it answered not_found or denied for
    fallback: Catalogue
    kind: str = "probe"
    assumed: bool = False

    @property
    def source(self) -> str:
        return (
            f"probe of {self.host}: {len(self.served)} served, {len(self.refused)} not "
            f"served; otherwise {self.fallback.source}"
        )

    @property
    def entries(self) -> int | None:
        return len(self.served) + len(self.refused)

    def holds(self, ref: ImageRef) -> bool:
        if ref.pull_ref in self.served:
            return True
        if ref.pull_ref in self.refused:
            return False
        return self.fallback.holds(ref)


def probe_catalogues(
    items: Sequence[tuple[Host, str, ImageRef]],
    results: Sequence[ProbeResult],
    catalogues: Catalogues,
) -> Catalogues:
    """``Catalogues`` whose probed hosts answer from their probes (kind ``probe``)."""
    served: dict[str, set[str]] = {}
    refused: dict[str, set[str]] = {}
    for (host, _registry, ref), result in zip(items, results, strict=True):
        served.setdefault(host.host, set())
        refused.setdefault(host.host, set())
        if result.outcome == "served":
            served[host.host].add(ref.pull_ref)
        elif result.outcome in NOT_SERVED_OUTCOMES:
            refused[host.host].add(ref.pull_ref)
    explicit: dict[str, Catalogue] = dict(catalogues.explicit)
    for name in served:
        explicit[name] = ProbeCatalogue(
            host=name,
            served=frozenset(served[name]),
            refused=frozenset(refused[name]),
            fallback=catalogues.for_host(name),
        )
    return Catalogues(explicit, catalogues.warnings)
