"""The terminal table: what a person needs to read, in a readable width, coloured on demand."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
from report_factory import (
    BLOCKED_REASON,
    FAILING_FALLBACK_REASON,
    clean_report,
    empty_report,
    full_report,
    result,
    use,
)

from analyzer.formats import render
from analyzer.formats.textgrid import Column, abbreviate, clip, grid
from analyzer.reference import ImageRef
from analyzer.report import MirrorCoverage, Policy, Report

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def table(report: Report, *, color: bool = False) -> str:
    out = io.StringIO()
    render(report, "table", out, color=color)
    return out.getvalue()


def block(text: str, heading: str) -> str:
    """The lines from ``heading`` to the next blank line."""
    start = text.index(heading)
    end = text.find("\n\n", start)
    return text[start:] if end == -1 else text[start:end]


def test_opening_lines_say_configuration_files_and_summary() -> None:
    lines = table(full_report()).splitlines()
    assert lines[0] == "Configuration: hosts directory fixtures/certs.d"
    assert lines[1] == "Manifests: 9 files read, 1 skipped"
    assert lines[2] == (
        "7 images, 14 uses, coverage 33.3% (2 mirrored, 1 partial, 2 fallback, "
        "1 direct, 1 blocked, 2 invalid); 1 ignored"
    )


def test_sections_come_most_urgent_first() -> None:
    text = table(full_report())
    headings = [
        "BLOCKED (1 image)",
        "FALLBACK (2 images, 1 ignored)",
        "PARTIAL (1 image)",
        "DIRECT (1 image)",
        "MIRRORED (2 images)",
        "INVALID (2 uses)",
        "Which images each configured mirror covers",
        "Errors (3)",
        "Warnings (2)",
    ]
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)


def test_failing_sections_say_where_and_why() -> None:
    text = table(full_report())
    fallback = block(text, "FALLBACK")
    assert "ghcr.io/acme/private-tool:2.0" in fallback
    assert "apps/batch/report-cronjob.yaml:17 CronJob/batch/report" in fallback
    assert "apps/api.yaml:31 Deployment/prod/api" in fallback
    assert f"why: {FAILING_FALLBACK_REASON}" in fallback
    assert "(ignored)" in fallback
    blocked = block(text, "BLOCKED")
    assert f"why: {BLOCKED_REASON}" in blocked
    assert "nothing" in blocked  # no host serves it


def test_hosts_shown_short_with_the_resolver_when_it_differs() -> None:
    partial = block(table(full_report()), "PARTIAL")
    assert "quay.m.daocloud.io" in partial
    assert "tag resolved by quay.io" in partial
    assert "https://" not in partial
    mirrored = block(table(full_report()), "MIRRORED")
    assert "tag resolved by" not in mirrored
    assert "docker.m.daocloud.io" in mirrored


def test_many_uses_are_cut_with_a_count_and_helm_sources_shown() -> None:
    mirrored = block(table(full_report()), "MIRRORED")
    assert "apps/web-0.yaml:10" in mirrored and "apps/web-2.yaml:12" in mirrored
    assert "apps/web-3.yaml" not in mirrored
    assert "+2 more" in mirrored
    assert "(from grafana/templates/deployment.yaml)" in mirrored


def test_invalid_uses_have_their_reason() -> None:
    invalid = block(table(full_report()), "INVALID")
    assert "Nginx:Latest" in invalid
    assert "{{ .Values.image }}" in invalid
    assert "apps/broken-ref.yaml:12" in invalid
    assert "why: repository name must be lowercase: 'Nginx'" in invalid
    assert "unresolved" in invalid


def test_mirror_table_counts_images_and_marks_assumed_catalogues() -> None:
    mirrors = block(table(full_report()), "Which images each configured mirror covers")
    lines = mirrors.splitlines()
    docker = next(i for i, line in enumerate(lines) if line.strip().startswith("docker.m."))
    assert lines[docker].split()[-1] == "2"
    assert "embedded allows.txt (2024-05-01)" in lines[docker]
    assert lines[docker + 1].strip() == (
        "covers: docker.io/library/nginx:1.25, docker.io/grafana/grafana:10.4.0"
    )
    assert "assumed" in next(line for line in lines if "quay.m.daocloud.io" in line)
    assert "covers: none of these images" in mirrors


def test_errors_one_line_each_and_verdict_last() -> None:
    lines = table(full_report()).splitlines()
    assert "  apps/broken.yaml:3: mapping values are not allowed here" in lines
    assert "  apps/unreadable.yaml: permission denied" in lines
    assert "  certs.d/gcr.io/hosts.toml:4: unknown capability 'pul'" in lines
    assert lines[-1] == (
        "FAIL: 1 image blocked; 1 image fallback; 2 invalid uses; 3 inputs could not be read"
    )


def test_passing_report_ends_with_pass() -> None:
    text = table(clean_report())
    assert text.splitlines()[-1] == "PASS: nothing is blocked, fallback, invalid or misconfigured"
    assert "BLOCKED" not in text and "Errors" not in text


def test_coverage_below_minimum_fails_with_that_reason() -> None:
    report = full_report(Policy(fail_on=frozenset(), min_coverage=50), with_errors=False)
    assert table(report).splitlines()[-1] == "FAIL: coverage 33.3% is below the minimum 50%"
    report = full_report(
        Policy(fail_on=frozenset({"fallback"}), min_coverage=30), with_errors=False
    )
    assert table(report).splitlines()[-1] == "FAIL: 1 image fallback"
    report = full_report(Policy(fail_on=frozenset(), min_coverage=30), with_errors=False)
    assert table(report).splitlines()[-1] == (
        "PASS: the policy rejects no status; coverage 33.3% meets the minimum 30%"
    )


def test_empty_report() -> None:
    text = table(empty_report())
    assert "0 images, 0 uses, coverage n/a: no image in the manifests (0 mirrored" in text
    assert "no mirror is configured" in text
    assert text.splitlines()[-1].startswith("PASS")


def test_colour_only_when_asked_and_only_as_decoration() -> None:
    plain = table(full_report())
    coloured = table(full_report(), color=True)
    assert "\x1b[" not in plain
    assert "\x1b[1;31mBLOCKED\x1b[0m" in coloured
    assert "\x1b[32mMIRRORED\x1b[0m" in coloured
    assert "\x1b[1;31mFAIL\x1b[0m:" in coloured
    assert ANSI.sub("", coloured) == plain
    assert "\x1b[1;32mPASS\x1b[0m" in table(clean_report(), color=True)


def _long_report() -> Report:
    deep = "clusters/production/eu-west-1/tenants/team-with-a-long-name/apps/service/overlays"
    long_ref = ImageRef(
        "registry.example.com:5000",
        "very/long/organisation/name/with/many/levels/image-name",
        "1.2.3-rc.4",
        None,
    )
    uses = (
        use(
            long_ref,
            f"{deep}/deployment.yaml",
            123,
            name="a-very-long-deployment-name",
            namespace="a-long-namespace",
            source="chart/templates/a/long/template.yaml",
        ),
    )
    image = result(
        long_ref,
        "fallback",
        uses,
        content="https://registry.example.com:5000/v2",
        resolve="https://mirror.of.the.registry.example.com:5000/v2",
        reason="a long reason " * 20,
    )
    mirror = MirrorCoverage(
        "https://docker.m.daocloud.io/v2",
        "docker.io",
        "https://example.com/a/very/long/catalogue/url/" * 3,
        False,
        tuple(f"docker.io/library/image-{i}:latest" for i in range(40)),
    )
    return Report(images=(image,), invalid=(), mirrors=(mirror,), config_description="x")


def test_lines_stay_within_120_columns_and_keep_the_line_number() -> None:
    text = table(_long_report())
    for line in text.splitlines():
        assert len(line) <= 120, line
    fallback = block(text, "FALLBACK")
    assert "deployment.yaml:123" in fallback
    assert "…" in fallback
    assert re.search(r"covers: .*, \+\d+ more$", text, re.MULTILINE)


@pytest.mark.parametrize(
    "text,width,keep_end,expected",
    [
        ("abcdef", 6, False, "abcdef"),
        ("abcdefg", 6, False, "abcde…"),
        ("abcdefg", 6, True, "…cdefg"),
        ("abc", 1, False, "…"),
    ],
)
def test_clip(text: str, width: int, keep_end: bool, expected: str) -> None:
    assert clip(text, width, keep_end=keep_end) == expected


def test_abbreviate() -> None:
    assert abbreviate(["a", "b", "c"], 20) == "a, b, c"
    assert abbreviate(["aaaa", "bbbb", "cccc"], 16) == "aaaa, +2 more"
    assert abbreviate(["a" * 30, "b"], 12) == "aaa… +1 more"  # 12 characters
    assert abbreviate([], 10) == ""


def test_grid_aligns_multi_line_cells_and_notes() -> None:
    lines = grid(
        [Column("A", 5), Column("B")], [[["x", "y"], "long value"]], notes=["why: z"], line_width=20
    )
    assert lines == ["  A  B", "  x  long value", "  y", "    why: z"]


def test_long_image_references_wrap_and_lose_no_character() -> None:
    from analyzer.formats.textgrid import wrap

    image = (
        "registry.internal.example:5000/payments/billing@sha256:"
        "7d1b5c2d9b8e3f4a6c0e1d2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b"
    )
    parts = wrap(image, 46)
    assert "".join(parts) == image
    assert all(len(p) <= 46 for p in parts)
    assert parts[0] == "registry.internal.example:5000/payments/"  # broken after a '/'
    text = table(full_report())
    pause = next(r for r in full_report().images if "pause" in r.image)
    rows = block(text, "BLOCKED").splitlines()[2:5]
    assert "…" not in rows[0]
    joined = "".join(line.strip().split("  ")[0] for line in rows)
    assert pause.image in joined


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_its_own_width(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from analyzer.formats.table import line_width

    monkeypatch.setattr("shutil.get_terminal_size", lambda fallback: os.terminal_size((160, 40)))
    assert line_width(_Terminal()) == 160
    assert line_width(io.StringIO()) == 120  # a file or a pipe: a fixed, log-friendly width
    monkeypatch.setattr("shutil.get_terminal_size", lambda fallback: os.terminal_size((60, 40)))
    assert line_width(_Terminal()) == 100
    wide = _Terminal()
    monkeypatch.setattr("shutil.get_terminal_size", lambda fallback: os.terminal_size((180, 40)))
    render(full_report(), "table", wide)
    assert max(len(line) for line in wide.getvalue().splitlines()) > 120


def test_control_characters_from_manifests_never_reach_the_terminal() -> None:
    from analyzer.formats.textgrid import printable

    assert printable("nginx\x1b[2J") == "nginx\\x1b[2J"
    assert printable("a\tb\r") == "a\tb\\r"
    coloured = "\x1b[31mFALLBACK\x1b[0m p\x1b[2Jx"
    assert printable(coloured, keep_colour=True) == "\x1b[31mFALLBACK\x1b[0m p\\x1b[2Jx"
    report = full_report()
    evil = replace(
        report.images[0],
        uses=tuple(replace(u, name="web\x1b[2J\x07") for u in report.images[0].uses),
    )
    out = io.StringIO()
    render(replace(report, images=(evil, *report.images[1:])), "table", out, color=True)
    assert "\x1b[2J" not in out.getvalue() and "\x07" not in out.getvalue()
    assert "web\\x1b[2J\\x07" in out.getvalue()
    assert "\x1b[1;31m" in out.getvalue()  # our own colours stay
