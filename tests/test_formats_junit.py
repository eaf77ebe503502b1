"""The JUnit XML format, parsed with xml.etree and validated against Jenkins' junit-10.xsd."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from report_factory import (
    FAILING_FALLBACK_REASON,
    clean_report,
    empty_report,
    full_report,
    use,
)

from analyzer.formats import render
from analyzer.report import Policy, Report

XSD = Path(__file__).parent / "data" / "formats" / "junit-10.xsd"


def junit(report: Report) -> str:
    out = io.StringIO()
    render(report, "junit", out)
    return out.getvalue()


def suite(report: Report) -> ET.Element:
    root = ET.fromstring(junit(report))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    assert suites[0].get("name") == "image-coverage"
    return suites[0]


def case(element: ET.Element, name: str) -> ET.Element:
    found = [c for c in element.findall("testcase") if c.get("name") == name]
    assert len(found) == 1, name
    return found[0]


def counted(element: ET.Element) -> dict[str, int]:
    cases = element.findall("testcase")
    return {
        "tests": len(cases),
        "failures": sum(1 for c in cases if c.find("failure") is not None),
        "errors": sum(1 for c in cases if c.find("error") is not None),
        "skipped": sum(1 for c in cases if c.find("skipped") is not None),
    }


def declared(element: ET.Element) -> dict[str, int]:
    return {k: int(element.get(k, "-1")) for k in ("tests", "failures", "errors", "skipped")}


def test_counts_of_the_full_report() -> None:
    element = suite(full_report())
    # 7 images + 2 invalid uses + 3 unreadable inputs
    expected = {"tests": 12, "failures": 4, "errors": 3, "skipped": 1}
    assert counted(element) == expected
    assert declared(element) == expected
    root = ET.fromstring(junit(full_report()))
    assert {k: int(root.get(k, "-1")) for k in ("tests", "failures", "errors")} == {
        "tests": 12,
        "failures": 4,
        "errors": 3,
    }


def test_one_case_per_image_named_by_registry_and_image() -> None:
    element = suite(full_report())
    tool = case(element, "ghcr.io/acme/private-tool:2.0")
    assert tool.get("classname") == "ghcr.io"
    failure = tool.find("failure")
    assert failure is not None
    assert failure.get("type") == "fallback"
    assert FAILING_FALLBACK_REASON in (failure.get("message") or "")
    assert "https://ghcr.io/v2" in (failure.get("message") or "")
    text = failure.text or ""
    assert "used in apps/batch/report-cronjob.yaml:17 CronJob/batch/report" in text
    assert "used in apps/api.yaml:31 Deployment/prod/api" in text

    blocked = case(element, "registry.k8s.io/pause@sha256:" + "7031c1b283388d2c" * 4)
    assert blocked.find("failure") is not None

    for passing in (
        "docker.io/library/nginx:1.25",
        "quay.io/prometheus/node-exporter:v1.8.0",
        "registry.example.com:5000/team/app:3.1",
    ):
        element_case = case(element, passing)
        assert element_case.find("failure") is None and element_case.find("skipped") is None
        assert element_case.find("system-out") is not None


def test_ignored_image_is_skipped_not_failed() -> None:
    redis = case(suite(full_report()), "docker.io/bitnami/redis:7.2")
    skipped = redis.find("skipped")
    assert skipped is not None
    assert "ignored" in (skipped.get("message") or "")
    assert redis.find("failure") is None


def test_invalid_uses_fail_only_when_invalid_is_in_fail_on() -> None:
    name = "Nginx:Latest at apps/broken-ref.yaml:12"
    failing = case(suite(full_report()), name)
    assert failing.get("classname") == "invalid"
    failure = failing.find("failure")
    assert failure is not None and "lowercase" in (failure.get("message") or "")
    unresolved = case(suite(full_report()), "{{ .Values.image }} at rendered/monitoring.yaml:77")
    assert unresolved.get("classname") == "unresolved"

    lenient = suite(full_report(Policy(fail_on=frozenset({"fallback", "blocked"}))))
    assert case(lenient, name).find("skipped") is not None
    assert declared(lenient) == {"tests": 12, "failures": 2, "errors": 3, "skipped": 3}


def test_unreadable_inputs_are_error_cases() -> None:
    element = suite(full_report())
    errors = [c for c in element.findall("testcase") if c.find("error") is not None]
    assert {c.get("classname") for c in errors} == {"errors"}
    messages = [c.find("error").get("message") for c in errors]  # type: ignore[union-attr]
    assert "apps/broken.yaml:3: mapping values are not allowed here" in messages
    assert "certs.d/gcr.io/hosts.toml:4: unknown capability 'pul'" in messages


def test_minimum_coverage_is_a_test_case() -> None:
    low = suite(full_report(Policy(min_coverage=50), with_errors=False))
    coverage = case(low, "coverage >= 50%")
    assert coverage.get("classname") == "policy"
    assert coverage.find("failure") is not None
    assert declared(low) == counted(low) == {"tests": 10, "failures": 5, "errors": 0, "skipped": 1}
    met = suite(full_report(Policy(min_coverage=30), with_errors=False))
    assert case(met, "coverage >= 30%").find("failure") is None


def test_policy_and_summary_are_suite_properties() -> None:
    properties = {
        p.get("name"): p.get("value") for p in suite(full_report()).findall("properties/property")
    }
    assert properties["fail_on"] == "blocked,fallback,invalid,misconfigured"
    assert properties["coverage_percent"] == "33.3"
    assert properties["configuration"] == "hosts directory fixtures/certs.d"


def test_clean_and_empty_reports() -> None:
    assert declared(suite(clean_report())) == {"tests": 2, "failures": 0, "errors": 0, "skipped": 0}
    assert declared(suite(empty_report())) == {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}


def test_characters_xml_cannot_carry_are_replaced() -> None:
    control = use(
        None,
        "apps/x.yaml",
        1,
        raw="bad\x00ref\x1b[31m",
        use_class="invalid",
        reason="contains \x07 a bell",
    )
    report = Report(images=(), invalid=(control,), mirrors=(), config_description="x")
    element = suite(report)  # parses
    name = element.find("testcase").get("name")  # type: ignore[union-attr]
    assert name == "bad\ufffdref\ufffd[31m at apps/x.yaml:1"


@pytest.mark.parametrize(
    "report",
    [full_report(), clean_report(), empty_report(), full_report(Policy(min_coverage=90))],
    ids=["full", "clean", "empty", "min-coverage"],
)
def test_validates_against_junit_10_xsd(report: Report) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(XSD))
    schema.validate(junit(report))


def test_the_xsd_check_catches_a_broken_document() -> None:
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(XSD))
    document = junit(full_report())
    broken = document.replace(' errors="3" skipped="1"', ' skipped="1"')  # testsuite needs errors
    assert broken != document
    assert schema.is_valid(document)
    assert not schema.is_valid(broken)


@pytest.mark.parametrize(
    "report",
    [full_report(), clean_report(), empty_report(), full_report(Policy(min_coverage=90))],
    ids=["full", "clean", "empty", "min-coverage"],
)
def test_written_case_by_case_as_the_whole_tree_indented(report: Report) -> None:
    """The writer never holds the tree; what it writes is what ``ET.indent`` and
    ``ET.tostring`` make of the whole tree, to the byte."""
    header = '<?xml version="1.0" encoding="UTF-8"?>\n'
    document = junit(report)
    assert document.startswith(header)
    body = document.removeprefix(header)
    root = ET.fromstring(body)
    element = suite(report)
    assert len(element.findall("testcase")) == declared(element)["tests"]
    ET.indent(root)
    assert ET.tostring(root, encoding="unicode") + "\n" == body
