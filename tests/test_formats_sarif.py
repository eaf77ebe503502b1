"""The SARIF format, validated against the official SARIF 2.1.0 JSON schema."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from report_factory import (
    FAILING_FALLBACK_REASON,
    clean_report,
    empty_report,
    full_report,
    use,
)

import analyzer
from analyzer.formats import render
from analyzer.formats.sarif import artifact_uri
from analyzer.model import STATUSES
from analyzer.report import Policy, Report

SCHEMA = Path(__file__).parent / "data" / "formats" / "sarif-schema-2.1.0.json"


def sarif(report: Report) -> dict[str, Any]:
    out = io.StringIO()
    render(report, "sarif", out)
    document: dict[str, Any] = json.loads(out.getvalue())
    return document


def schema_errors(document: dict[str, Any]) -> list[str]:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def results(report: Report) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = sarif(report)["runs"][0]["results"]
    return found


def at(found: list[dict[str, Any]], uri: str, line: int) -> dict[str, Any]:
    matching = [
        r
        for r in found
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri
        and r["locations"][0]["physicalLocation"]["region"]["startLine"] == line
    ]
    assert len(matching) == 1, (uri, line)
    return matching[0]


@pytest.mark.parametrize(
    "report",
    [
        full_report(),
        clean_report(),
        empty_report(),
        full_report(Policy(fail_on=frozenset({"partial"}))),
    ],
    ids=["full", "clean", "empty", "fail-on-partial"],
)
def test_validates_against_the_sarif_2_1_0_schema(report: Report) -> None:
    document = sarif(report)
    assert schema_errors(document) == []
    assert document["version"] == "2.1.0"


def test_the_schema_check_catches_a_broken_log() -> None:
    document = sarif(full_report())
    document["runs"][0]["results"][0]["level"] = "fatal"
    del document["runs"][0]["tool"]["driver"]["name"]
    assert len(schema_errors(document)) >= 2


def test_tool_and_one_rule_per_status() -> None:
    driver = sarif(full_report())["runs"][0]["tool"]["driver"]
    assert driver["name"] == "image-coverage"
    assert driver["version"] == analyzer.__version__
    assert {r["id"] for r in driver["rules"]} == {f"image-coverage/{s}" for s in STATUSES}
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in driver["rules"]}
    assert levels["image-coverage/fallback"] == "error"
    assert levels["image-coverage/partial"] == "note"
    assert levels["image-coverage/mirrored"] == "none"


def test_one_result_per_use_of_images_that_are_not_mirrored() -> None:
    document = sarif(full_report())
    found = document["runs"][0]["results"]
    # blocked 1 use, fallback 2, ignored fallback 1, partial 1, direct 1, invalid 2
    assert len(found) == 8
    assert not any(r["ruleId"] == "image-coverage/mirrored" for r in found)
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    for result in found:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_results_are_located_at_the_manifest_line_with_level_and_message() -> None:
    found = results(full_report())
    api = at(found, "apps/api.yaml", 31)
    assert api["ruleId"] == "image-coverage/fallback"
    assert api["level"] == "error"
    text = api["message"]["text"]
    assert "ghcr.io/acme/private-tool:2.0" in text
    assert "https://ghcr.io/v2" in text
    assert FAILING_FALLBACK_REASON in text
    assert "Deployment/prod/api" in text

    partial = at(found, "apps/monitoring/node-exporter.yaml", 21)
    assert partial["level"] == "note"
    assert "https://quay.m.daocloud.io/v2" in partial["message"]["text"]
    assert "https://quay.io/v2" in partial["message"]["text"]

    assert at(found, "apps/private.yaml", 8)["level"] == "note"
    assert at(found, "apps/sandbox.yaml", 5)["level"] == "error"
    invalid = at(found, "apps/broken-ref.yaml", 12)
    assert (invalid["ruleId"], invalid["level"]) == ("image-coverage/invalid", "error")
    assert "lowercase" in invalid["message"]["text"]


def test_ignored_images_are_suppressed_notes() -> None:
    redis = at(results(full_report()), "apps/cache.yaml", 14)
    assert redis["level"] == "note"
    assert redis["suppressions"][0]["kind"] == "external"


def test_levels_follow_the_policy() -> None:
    found = results(full_report(Policy(fail_on=frozenset({"partial"}))))
    assert at(found, "apps/monitoring/node-exporter.yaml", 21)["level"] == "error"
    assert at(found, "apps/api.yaml", 31)["level"] == "note"
    assert at(found, "apps/broken-ref.yaml", 12)["level"] == "note"


def test_unreadable_inputs_are_notifications_of_a_failed_invocation() -> None:
    invocation = sarif(full_report())["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert len(notes) == 3
    assert all(n["level"] == "error" for n in notes)
    assert "mapping values are not allowed here" in notes[0]["message"]["text"]
    first = notes[0]["locations"][0]["physicalLocation"]
    assert first == {"artifactLocation": {"uri": "apps/broken.yaml"}, "region": {"startLine": 3}}
    clean = sarif(clean_report())["runs"][0]
    assert clean["invocations"][0]["executionSuccessful"] is True
    assert clean["results"] == []
    assert clean["properties"]["passed"] is True


def test_stdin_uses_have_no_location() -> None:
    piped = use(None, "<stdin>", 4, raw="Bad", use_class="invalid", reason="uppercase")
    report = Report(images=(), invalid=(piped,), mirrors=(), config_description="x")
    document = sarif(report)
    assert document["runs"][0]["results"][0]["locations"] == []
    assert schema_errors(document) == []


@pytest.mark.parametrize(
    "path,uri",
    [
        ("apps/web.yaml", "apps/web.yaml"),
        ("./apps/web.yaml", "apps/web.yaml"),
        ("apps/my app #1.yaml", "apps/my%20app%20%231.yaml"),
        ("/srv/manifests/web.yaml", "file:///srv/manifests/web.yaml"),
        # on POSIX a backslash, "C:" and a leading "\\\\" are characters of a file name
        ("back\\slash.yaml", "back%5Cslash.yaml"),
        ("C:x.yaml", "C%3Ax.yaml"),
        ("\\\\server\\x.yaml", "%5C%5Cserver%5Cx.yaml"),
    ],
)
def test_artifact_uri(path: str, uri: str) -> None:
    assert artifact_uri(path, windows=False) == uri


@pytest.mark.parametrize(
    "path,uri",
    [
        ("apps\\web.yaml", "apps/web.yaml"),
        ("C:\\manifests\\web.yaml", "file:///C:/manifests/web.yaml"),
        ("C:x.yaml", "C%3Ax.yaml"),
    ],
)
def test_artifact_uri_on_windows(path: str, uri: str) -> None:
    assert artifact_uri(path, windows=True) == uri


def test_undecodable_file_names_become_valid_uris() -> None:
    from analyzer.formats.sarif import artifact_uri

    assert artifact_uri("manifests/bad\udcffname.yaml") == "manifests/bad%FFname.yaml"
    assert artifact_uri("/abs/bad\udcffname.yaml") == "file:///abs/bad%FFname.yaml"
    assert artifact_uri("./apps/web app.yaml") == "apps/web%20app.yaml"
