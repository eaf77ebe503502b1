"""The CSV format, read back with csv.DictReader."""

from __future__ import annotations

import csv
import io

from report_factory import (
    GRAFANA,
    empty_report,
    full_report,
    invalid_uses,
    use,
)

from analyzer.formats import render
from analyzer.formats.csv import COLUMNS
from analyzer.report import Report


def rows(report: Report) -> tuple[list[str], list[dict[str, str]]]:
    out = io.StringIO()
    render(report, "csv", out)
    reader = csv.DictReader(io.StringIO(out.getvalue()))
    read = list(reader)
    return list(reader.fieldnames or []), read


def test_header_names_every_column_once() -> None:
    header, _ = rows(full_report())
    assert header == list(COLUMNS)
    assert len(set(header)) == len(header)
    for column in ("image", "status", "content_host", "file", "line", "reason", "source"):
        assert column in header


def test_one_row_per_use_invalid_ones_included() -> None:
    report = full_report()
    _, read = rows(report)
    assert len(read) == report.summary().uses == 14
    statuses = [r["status"] for r in read]
    assert statuses.count("invalid") == 2
    assert statuses.count("mirrored") == 6  # five nginx uses and one grafana use


def test_rows_carry_route_and_use() -> None:
    _, read = rows(full_report())
    api = next(r for r in read if r["file"] == "apps/api.yaml")
    assert api["image"] == "ghcr.io/acme/private-tool:2.0"
    assert api["repository"] == "ghcr.io/acme/private-tool"
    assert api["registry"] == "ghcr.io"
    assert api["status"] == "fallback"
    assert api["ignored"] == "false"
    assert api["content_host"] == "https://ghcr.io/v2"
    assert api["line"] == "31"
    assert api["container"] == "migrate"
    assert api["name"] == "api"
    assert api["field"] == "spec.template.spec.initContainers[0].image"
    assert "none of the 2 mirrors" in api["reason"]

    partial = next(r for r in read if r["status"] == "partial")
    assert partial["resolve_host"] == "https://quay.io/v2"
    assert partial["content_host"] == "https://quay.m.daocloud.io/v2"

    redis = next(r for r in read if r["image"] == "docker.io/bitnami/redis:7.2")
    assert redis["ignored"] == "true"

    helm = next(r for r in read if r["image"] == GRAFANA.pull_ref)
    assert helm["source"] == "grafana/templates/deployment.yaml"
    assert helm["document"] == "3"

    blocked = next(r for r in read if r["status"] == "blocked")
    assert blocked["content_host"] == "" and blocked["resolve_host"] == ""


def test_invalid_and_unresolved_uses_have_status_invalid_and_their_reason() -> None:
    _, read = rows(full_report())
    invalid = [r for r in read if r["status"] == "invalid"]
    assert [r["class"] for r in invalid] == ["invalid", "unresolved"]
    assert [r["raw"] for r in invalid] == [u.raw for u in invalid_uses()]
    assert all(r["image"] == "" and r["content_host"] == "" for r in invalid)
    assert invalid[0]["reason"] == "repository name must be lowercase: 'Nginx'"
    assert invalid[1]["source"] == "exporter/templates/deployment.yaml"


def test_awkward_values_survive_the_round_trip() -> None:
    awkward = use(
        None,
        'apps/a, "quoted".yaml',
        3,
        raw='x,"y"\nz',
        use_class="invalid",
        reason="a, b; and a line\nbreak",
    )
    report = Report(images=(), invalid=(awkward,), mirrors=(), config_description="none")
    _, read = rows(report)
    assert len(read) == 1
    assert read[0]["file"] == 'apps/a, "quoted".yaml'
    assert read[0]["raw"] == 'x,"y"\nz'
    assert read[0]["reason"] == "a, b; and a line\nbreak"


def test_empty_report_is_just_the_header() -> None:
    header, read = rows(empty_report())
    assert header == list(COLUMNS)
    assert read == []
