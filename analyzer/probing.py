"""``coverage scan --probe``: put live probe verdicts beside the catalogue's predictions.

For each image, every mirror host on its route (never the upstream) is asked through the
Registry API (``analyzer.online.probe.Prober``); each verdict is kept with what the
catalogue predicted, so the report can flag every disagreement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from analyzer.model import Host
from analyzer.reference import ImageRef
from analyzer.report import ImageResult, ProbeVerdict, Report
from analyzer.route import route_hosts

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.mirrors import Catalogues, MirrorConfig
    from analyzer.online.probe import Prober, ProbeResult


def probe_targets(report: Report, config: MirrorConfig) -> list[tuple[Host, str, ImageRef]]:
    """(mirror host, registry, image) for every mirror on every image's route."""
    targets = []
    for result in report.images:
        for host in route_hosts(result.ref, config).mirrors:
            targets.append((host, result.registry, result.ref))
    return targets


def attach_probes(
    report: Report,
    config: MirrorConfig,
    catalogues: Catalogues,
    prober: Prober,
    on_result: Callable[[ProbeResult], None] | None = None,
) -> Report:
    """The same report with each image's probe verdicts (and predictions) attached."""
    from analyzer.online.compare import compare

    targets = probe_targets(report, config)
    answers = prober.probe_many(targets, on_result=on_result)
    verdicts: dict[str, list[ProbeVerdict]] = {}
    for pair in compare(targets, answers, catalogues):
        verdicts.setdefault(pair.result.image, []).append(
            ProbeVerdict(
                host=pair.result.host,
                outcome=pair.result.outcome,
                predicted=pair.predicted,
                agreement=pair.agreement,
                detail=pair.result.detail,
            )
        )
    images: list[ImageResult] = [
        replace(result, probes=tuple(verdicts.get(result.image, ()))) for result in report.images
    ]
    return replace(report, images=tuple(images))
