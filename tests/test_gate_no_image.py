"""Coverage over no image is undefined, never 100 %: a report whose images are all invalid,
all ignored, or absent shows "coverage n/a" in every format, JSON ``coverage_percent`` is
null, and a ``--min-coverage`` gate with nothing to measure fails (exit 1) saying why."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from report_factory import clean_report, empty_report
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.formats import render
from analyzer.report import Policy, Report

INVALID_ONLY = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: c
      image: "UPPER/Case:bad tag"
"""

CONFIG_MAP_ONLY = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {key: value}
"""

NGINX = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"
    "spec: {containers: [{name: web, image: docker.io/library/nginx:1.27}]}\n"
)

GATE = ("--fail-on", "none", "--min-coverage", "90", "--hosts-dir", "certs.d")


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def scan(tmp_path: Path, text: str, *args: str) -> Any:
    (tmp_path / "certs.d").mkdir(exist_ok=True)  # no mirror configured
    (tmp_path / "f.yaml").write_text(text, encoding="utf-8")
    return CliRunner().invoke(app, ["scan", "f.yaml", *args])


def rendered(report: Report, fmt: str) -> str:
    out = io.StringIO()
    render(report, fmt, out)
    return out.getvalue()


# -- the gate ------------------------------------------------------------------------------------


def test_min_coverage_fails_when_the_only_image_is_invalid(tmp_path: Path) -> None:
    result = scan(tmp_path, INVALID_ONLY, *GATE)
    assert result.exit_code == 1, result.output
    assert "PASS" not in result.stdout and "100%" not in result.stdout
    assert "0 images, 1 use, coverage n/a: no pullable image (" in result.stdout
    assert (
        "FAIL: coverage n/a (no pullable image): the minimum 90% cannot be checked" in result.stdout
    )


def test_min_coverage_fails_when_the_input_names_no_image(tmp_path: Path) -> None:
    result = scan(tmp_path, CONFIG_MAP_ONLY, *GATE)
    assert result.exit_code == 1, result.output
    assert "FAIL: coverage n/a (no image in the manifests)" in result.stdout


def test_no_image_without_min_coverage_still_passes(tmp_path: Path) -> None:
    """Nothing the policy rejects, and no coverage asked for: read fine, nothing to fail."""
    result = scan(tmp_path, CONFIG_MAP_ONLY, "--hosts-dir", "certs.d")
    assert result.exit_code == 0, result.output
    assert "coverage n/a: no image in the manifests" in result.stdout
    assert "PASS: nothing is" in result.stdout


def test_min_coverage_fails_when_every_image_is_ignored(tmp_path: Path) -> None:
    result = scan(tmp_path, NGINX, *GATE, "--ignore", "docker.io/library/nginx")
    assert result.exit_code == 1, result.output
    assert "FAIL: coverage n/a (every image is ignored)" in result.stdout


def test_the_verdict_line_of_a_written_report_says_n_a(tmp_path: Path) -> None:
    result = scan(tmp_path, INVALID_ONLY, *GATE, "-f", "json", "-o", "out.json")
    assert result.exit_code == 1
    assert "(0 images, coverage n/a: no pullable image); json report written" in result.stderr
    document = json.loads((tmp_path / "out.json").read_text())
    assert document["passed"] is False
    assert document["summary"]["coverage_percent"] is None


def test_a_measured_coverage_still_meets_the_minimum(tmp_path: Path) -> None:
    base = ("--fail-on", "none", "--hosts-dir", "certs.d", "-f", "json")
    result = scan(tmp_path, NGINX, *base, "--min-coverage", "0")  # direct: 0 % measured
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["coverage_percent"] == 0


# -- every format ---------------------------------------------------------------------------------


def no_image_report(min_coverage: float | None = 90) -> Report:
    return Report(
        images=(),
        invalid=(),
        mirrors=(),
        config_description="embedded defaults",
        policy=Policy(fail_on=frozenset(), min_coverage=min_coverage),
    )


def test_the_python_api_has_no_ratio_over_no_image() -> None:
    report = empty_report()
    assert report.coverage_ratio() is None
    assert report.summary().coverage_percent is None
    assert report.coverage_unmeasured() == "no image in the manifests"
    assert clean_report().summary().coverage_percent == 100
    assert clean_report().coverage_unmeasured() is None


def test_json_summary_is_null_and_validates() -> None:
    from importlib import resources

    schema = json.loads(
        resources.files("analyzer").joinpath("data/report.schema.json").read_text("utf-8")
    )
    document = json.loads(rendered(no_image_report(), "json"))
    assert document["summary"]["coverage_percent"] is None
    assert document["passed"] is False
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(document)) == []


def test_markdown_shows_n_a() -> None:
    text = rendered(no_image_report(), "markdown")
    assert "| 0 | 0 | n/a |" in text
    assert "Fails: coverage n/a (no image in the manifests)" in text
    assert "100%" not in text


def test_junit_coverage_case_fails_with_the_reason() -> None:
    root = ET.fromstring(rendered(no_image_report(), "junit"))
    case = root.find(".//testcase[@classname='policy']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith("coverage n/a (no image in the manifests)")
    properties = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert properties["coverage_percent"] == ""
    assert "coverage n/a: no image in the manifests" in (properties["summary"] or "")


def test_github_and_sarif_say_n_a() -> None:
    notice = rendered(no_image_report(), "github").splitlines()[-1]
    assert "coverage n/a: no image in the manifests" in notice
    assert "FAIL: coverage n/a" in notice
    sarif = json.loads(rendered(no_image_report(), "sarif"))
    properties = sarif["runs"][0]["properties"]
    assert properties["summary"]["coverage_percent"] is None
    assert properties["passed"] is False
