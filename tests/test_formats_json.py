"""The JSON format against the schema shipped in analyzer/data/report.schema.json."""

from __future__ import annotations

import copy
import io
import json
from importlib import resources
from typing import Any

import jsonschema
import pytest
from report_factory import clean_report, empty_report, full_report

from analyzer.formats import render
from analyzer.model import STATUSES, USE_CLASSES
from analyzer.report import Policy, Report


def schema() -> dict[str, Any]:
    text = resources.files("analyzer").joinpath("data/report.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


def rendered(report: Report) -> dict[str, Any]:
    out = io.StringIO()
    render(report, "json", out)
    document: dict[str, Any] = json.loads(out.getvalue())
    return document


def errors(document: dict[str, Any]) -> list[str]:
    return [e.message for e in validator().iter_errors(document)]


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize(
    "report",
    [full_report(), clean_report(), empty_report(), full_report(Policy(min_coverage=75.5))],
    ids=["full", "clean", "empty", "min-coverage"],
)
def test_output_is_the_report_dict_and_validates(report: Report) -> None:
    document = rendered(report)
    assert document == json.loads(json.dumps(report.to_dict()))
    assert errors(document) == []


def test_output_carries_what_the_issue_promises() -> None:
    document = rendered(full_report())
    assert document["schema_version"] == 1
    assert document["passed"] is False
    assert document["summary"]["by_status"]["fallback"] == 2
    assert document["summary"]["by_status"]["invalid"] == 2
    tool = next(i for i in document["images"] if i["image"] == "ghcr.io/acme/private-tool:2.0")
    assert tool["status"] == "fallback"
    assert tool["content_host"] == "https://ghcr.io/v2"
    assert [u["line"] for u in tool["uses"]] == [17, 31]
    assert {e["kind"] for e in document["errors"]} == {"source", "configuration"}
    assert document["mirrors"][0]["count"] == 2


def test_enums_follow_the_model() -> None:
    defs = schema()["$defs"]
    assert defs["status"]["enum"] == list(STATUSES)
    assert defs["use_class"]["enum"] == list(USE_CLASSES)
    assert set(defs["summary"]["properties"]["by_status"]["required"]) == set(STATUSES)


def _drop(path: tuple[str | int, ...]) -> dict[str, Any]:
    document = copy.deepcopy(rendered(full_report()))
    target: Any = document
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return document


@pytest.mark.parametrize(
    "path",
    [
        ("summary",),
        ("schema_version",),
        ("summary", "coverage_percent"),
        ("summary", "by_status", "blocked"),
        ("policy", "fail_on"),
        ("images", 0, "status"),
        ("images", 1, "content_host"),
        ("images", 1, "attempts", 0, "phase"),
        ("images", 1, "uses", 0, "file"),
        ("invalid", 0, "reason"),
        ("mirrors", 0, "host"),
        ("errors", 0, "message"),
    ],
    ids=lambda p: ".".join(map(str, p)),
)
def test_a_missing_required_field_fails_validation(path: tuple[str | int, ...]) -> None:
    assert errors(_drop(path)), f"removing {path} should fail validation"


def test_a_renamed_field_fails_validation() -> None:
    document = rendered(full_report())
    document["images"][0]["state"] = document["images"][0].pop("status")
    found = errors(document)
    assert any("'status' is a required property" in e for e in found)
    assert any("'state' was unexpected" in e for e in found)


@pytest.mark.parametrize(
    "path,value",
    [
        (("images", 0, "status"), "mirorred"),
        (("images", 0, "uses", 0, "class"), "unresolved"),  # a pulled use cannot be unresolved
        (("invalid", 0, "image"), "docker.io/library/nginx:latest"),  # invalid uses pull nothing
        (("images", 0, "uses", 0, "line"), 0),
        (("summary", "coverage_percent"), 101),
        (("schema_version",), 2),
        (("errors", 0, "kind"), "network"),
    ],
)
def test_a_wrong_value_fails_validation(path: tuple[str | int, ...], value: object) -> None:
    document = rendered(full_report())
    target: Any = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    assert errors(document)


def test_coverage_is_compared_unrounded_and_shown_rounded_down() -> None:
    from dataclasses import replace

    from analyzer.report import Policy

    report = full_report()
    mirrored = next(r for r in report.images if r.status == "mirrored")
    failing = next(r for r in report.images if r.status == "fallback" and not r.ignored)
    many = tuple(replace(mirrored, ref=replace(mirrored.ref, tag=f"v{i}")) for i in range(1999))
    big = replace(
        report,
        images=(*many, failing),
        invalid=(),
        policy=Policy(fail_on=frozenset({"blocked"}), min_coverage=100),
    )
    assert big.summary().coverage_percent == 99.9
    assert big.coverage_too_low()
    assert not big.passed


@pytest.mark.parametrize(("covered", "counted"), [(57, 100), (29, 50), (87, 150)])
def test_a_coverage_equal_to_the_minimum_meets_it(covered: int, counted: int) -> None:
    # in floats 57 / 100 * 100 is 56.99999999999999: "coverage 57% is below the minimum 57%"
    from dataclasses import replace

    report = full_report(with_errors=False)
    mirrored = next(r for r in report.images if r.status == "mirrored")
    failing = next(r for r in report.images if r.status == "fallback" and not r.ignored)

    def tagged(result: Any, count: int, prefix: str) -> tuple[Any, ...]:
        return tuple(
            replace(result, ref=replace(result.ref, tag=f"{prefix}{i}")) for i in range(count)
        )

    images = (*tagged(mirrored, covered, "m"), *tagged(failing, counted - covered, "f"))
    minimum = covered * 100 / counted
    exact = replace(
        report, images=images, invalid=(), policy=Policy(fail_on=frozenset(), min_coverage=minimum)
    )
    assert not exact.coverage_too_low()
    assert exact.passed, exact.gate_reasons()
    above = replace(exact, policy=Policy(fail_on=frozenset(), min_coverage=minimum + 0.01))
    assert above.coverage_too_low()
    assert f"below the minimum {minimum + 0.01:.15g}%" in above.coverage_shortfall()
