"""DataFrame views of a report, and the what-if comparison."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest
import report_factory as factory

from analyzer.frames import (
    IMAGE_COLUMNS,
    MIRROR_COLUMNS,
    USE_COLUMNS,
    NotebookExtraMissing,
    changes_frame,
    images_frame,
    mirrors_frame,
    uses_frame,
)
from analyzer.model import STATUSES
from analyzer.whatif import compare

pd = pytest.importorskip("pandas")


def test_images_frame_has_one_row_per_image_and_an_ordered_status() -> None:
    report = factory.full_report()
    frame = images_frame(report)
    assert tuple(frame.columns) == IMAGE_COLUMNS
    assert len(frame) == len(report.images)
    assert list(frame["status"].cat.categories) == list(STATUSES)
    assert frame["status"].cat.ordered
    nginx = frame[frame["image"] == "docker.io/library/nginx:1.25"].iloc[0]
    assert nginx["uses"] == 5 and nginx["status"] == "mirrored"


def test_uses_frame_includes_invalid_uses_as_invalid() -> None:
    report = factory.full_report()
    frame = uses_frame(report)
    assert tuple(frame.columns) == USE_COLUMNS
    expected = sum(len(r.uses) for r in report.images) + len(report.invalid)
    assert len(frame) == expected
    invalid = frame[frame["status"] == "invalid"]
    assert set(invalid["class"]) == {"invalid", "unresolved"}


def test_mirrors_frame() -> None:
    frame = mirrors_frame(factory.full_report())
    assert tuple(frame.columns) == MIRROR_COLUMNS
    assert frame["count"].sum() == 3


def test_compare_lists_only_changed_images() -> None:
    before = factory.full_report()
    changed = before.images[0]
    after = replace(
        before,
        images=(
            replace(changed, route=replace(changed.route, status="mirrored")),
            *before.images[1:],
        ),
    )
    changes = compare(before, after)
    assert [(c.image, c.before, c.after) for c in changes] == [
        (changed.image, changed.status, "mirrored")
    ]
    frame = changes_frame(changes)
    assert frame.iloc[0]["after"] == "mirrored"
    assert compare(before, before) == ()


def test_without_pandas_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(NotebookExtraMissing, match=r"pip install 'image-coverage\[notebook\]'"):
        images_frame(factory.full_report())


def test_what_if_two_catalogue_snapshots_of_the_same_manifests() -> None:
    from pathlib import Path

    from analyzer.mirrors import Catalogues, load_catalogues, load_mirror_config
    from analyzer.sources import read_sources
    from analyzer.whatif import what_if

    fixtures = Path(__file__).resolve().parent.parent / "fixtures"
    sources = read_sources([str(fixtures / "manifests")])
    config = load_mirror_config(node_default=None)  # the embedded DaoCloud set
    hosts = sorted({h.host for rh in config.configured() for h in rh.mirrors})

    def snapshot(name: str) -> Catalogues:
        return load_catalogues([f"{h}={fixtures / 'catalogs' / name}" for h in hosts])

    changes = what_if(
        sources,
        (config, snapshot("daocloud-mirror-2023-07.txt")),
        (config, snapshot("daocloud-allows-2026-08.txt")),
    )
    by_image = {c.image: (c.before, c.after) for c in changes}
    # mirror.txt named ghcr.io/fluxcd/source-controller; today's allows.txt does not
    assert by_image["ghcr.io/fluxcd/source-controller:v1.4.1"] == ("mirrored", "fallback")
    # allows.txt whitelists all of gcr.io (gcr.io/**); the 2023 list named single repositories
    assert by_image["gcr.io/distroless/static-debian12:nonroot"] == ("fallback", "mirrored")
    assert "docker.io/library/nginx:1.27-alpine" not in by_image  # listed in both
