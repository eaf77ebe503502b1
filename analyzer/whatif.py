"""What-if: the same manifests against two configurations or catalogue snapshots.

``compare(before, after)`` lists the images whose status changes between two reports; the
reports usually come from ``build_report`` over one ``SourceResult`` with two
``(MirrorConfig, Catalogues)`` pairs, so the manifests are read only once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from analyzer.report import Report

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.mirrors import Catalogues, MirrorConfig
    from analyzer.sources import SourceResult

Setup = tuple["MirrorConfig", "Catalogues"]


@dataclass(frozen=True)
class StatusChange:
    image: str
    before: str | None  # None: the image is not in the first report
    after: str | None
    uses: int

    def to_dict(self) -> dict[str, Any]:
        return {"image": self.image, "before": self.before, "after": self.after, "uses": self.uses}


def compare(before: Report, after: Report) -> tuple[StatusChange, ...]:
    """Images whose status differs between ``before`` and ``after``, sorted by image."""
    old = {r.image: r for r in before.images}
    new = {r.image: r for r in after.images}
    changes = []
    for image in sorted(old.keys() | new.keys()):
        a, b = old.get(image), new.get(image)
        status_a = a.status if a is not None else None
        status_b = b.status if b is not None else None
        present = b if b is not None else a
        if status_a != status_b and present is not None:
            changes.append(StatusChange(image, status_a, status_b, len(present.uses)))
    return tuple(changes)


def what_if(
    sources: SourceResult, before: Setup, after: Setup, *, include_indirect: bool = False
) -> tuple[StatusChange, ...]:
    """The same manifests (read once) routed with two ``(MirrorConfig, Catalogues)`` setups:
    two configurations, or one configuration with two catalogue snapshots."""
    from analyzer.engine import build_report

    return compare(
        build_report(sources, *before, include_indirect=include_indirect),
        build_report(sources, *after, include_indirect=include_indirect),
    )
