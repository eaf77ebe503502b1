"""GitHub Actions workflow commands: one per use that needs attention, escaped as the toolkit
escapes them (checked by parsing them back the way the runner does)."""

from __future__ import annotations

import io
import re

import pytest
from report_factory import TOOL, clean_report, full_report, result, use

from analyzer.formats import render
from analyzer.formats.github import command, escape_data, escape_property
from analyzer.report import Policy, Report

COMMAND = re.compile(r"^::(?P<name>[a-z]+)(?: (?P<properties>[^:]*))?::(?P<message>.*)$")


def unescape_data(text: str) -> str:
    """The runner's ``UnescapeData``."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    """The runner's ``UnescapeProperty``."""
    return (
        text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


def parse(line: str) -> tuple[str, dict[str, str], str]:
    match = COMMAND.match(line)
    assert match is not None, line
    properties: dict[str, str] = {}
    if match["properties"]:
        for pair in match["properties"].split(","):
            key, _, value = pair.partition("=")
            properties[key] = unescape_property(value)
    return match["name"], properties, unescape_data(match["message"])


def commands(report: Report) -> list[tuple[str, dict[str, str], str]]:
    out = io.StringIO()
    render(report, "github", out)
    return [parse(line) for line in out.getvalue().splitlines()]


@pytest.mark.parametrize(
    "text,data,prop",
    [
        ("plain", "plain", "plain"),
        ("100%", "100%25", "100%25"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("a:b,c", "a:b,c", "a%3Ab%2Cc"),
        ("%0A", "%250A", "%250A"),
    ],
)
def test_escaping_matches_the_actions_toolkit(text: str, data: str, prop: str) -> None:
    assert escape_data(text) == data
    assert escape_property(text) == prop


def test_command_shape() -> None:
    assert command("error", "msg", file="a.yaml", line=3, title="T") == (
        "::error file=a.yaml,line=3,title=T::msg"
    )
    assert command("notice", "just this") == "::notice::just this"
    assert command("error", "m", file="x", line=None) == "::error file=x::m"


def test_one_annotation_per_use_that_needs_attention() -> None:
    found = commands(full_report())
    errors = [c for c in found if c[0] == "error"]
    warnings = [c for c in found if c[0] == "warning"]
    # blocked 1 use + fallback 2 uses + 2 invalid uses + 3 unreadable inputs
    assert len(errors) == 8
    # partial 1 + direct 1 + 2 report warnings
    assert len(warnings) == 4
    located = {(c[1].get("file"), c[1].get("line")) for c in errors}
    assert ("apps/api.yaml", "31") in located
    assert ("apps/batch/report-cronjob.yaml", "17") in located
    assert ("apps/sandbox.yaml", "5") in located
    assert ("apps/broken-ref.yaml", "12") in located
    assert ("certs.d/gcr.io/hosts.toml", "4") in located
    assert ("apps/unreadable.yaml", None) in located
    everything = "\n".join(c[2] for c in found)
    assert "nginx:1.25" not in everything  # mirrored: nothing to say
    assert "bitnami/redis" not in everything  # ignored: accepted


def test_messages_say_which_host_serves_it_and_why() -> None:
    found = commands(full_report())
    api = next(c for c in found if c[1].get("file") == "apps/api.yaml")
    assert api[1]["title"] == "Image falls back to the upstream registry (fallback)"
    assert "https://ghcr.io/v2" in api[2]
    assert "none of the 2 mirrors for ghcr.io holds acme/private-tool" in api[2]
    partial = next(c for c in found if c[1].get("file") == "apps/monitoring/node-exporter.yaml")
    assert partial[0] == "warning"
    assert "tag resolved by https://quay.io/v2" in partial[2]


def test_final_notice_has_summary_and_verdict() -> None:
    name, properties, message = commands(full_report())[-1]
    assert name == "notice"
    assert properties == {"title": "Image coverage"}
    summary, verdict = message.split("\n")
    assert summary.startswith("7 images, 14 uses, coverage 33.3% (")
    assert verdict.startswith("FAIL: ")
    assert commands(clean_report()) == [
        (
            "notice",
            {"title": "Image coverage"},
            "2 images, 6 uses, coverage 100% (2 mirrored, 0 partial, 0 fallback, 0 direct, "
            "0 blocked, 0 invalid)\nPASS: nothing is blocked, fallback, invalid or misconfigured",
        )
    ]


def test_levels_follow_the_policy() -> None:
    found = commands(full_report(Policy(fail_on=frozenset({"direct"})), with_errors=False))
    by_file = {c[1].get("file"): c[0] for c in found if "file" in c[1]}
    assert by_file["apps/private.yaml"] == "error"
    assert by_file["apps/api.yaml"] == "warning"
    assert by_file["apps/broken-ref.yaml"] == "warning"


def test_awkward_values_round_trip_through_the_runner_unescaping() -> None:
    odd = use(TOOL, "./apps/a,b:c %.yaml", 9, name="x")
    image = result(
        TOOL,
        "fallback",
        (odd,),
        content="https://ghcr.io/v2",
        resolve="https://ghcr.io/v2",
        reason="100% upstream,\r\nline two: yes",
    )
    report = Report(images=(image,), invalid=(), mirrors=(), config_description="x")
    name, properties, message = commands(report)[0]
    assert name == "error"
    assert properties["file"] == "apps/a,b:c %.yaml"
    assert properties["line"] == "9"
    assert "100% upstream, line two: yes" in message  # one line in the message


def test_stdin_uses_have_no_file() -> None:
    piped = use(None, "<stdin>", 2, raw="Bad", use_class="invalid", reason="uppercase")
    report = Report(images=(), invalid=(piped,), mirrors=(), config_description="x")
    name, properties, _ = commands(report)[0]
    assert name == "error"
    assert "file" not in properties and "line" not in properties
