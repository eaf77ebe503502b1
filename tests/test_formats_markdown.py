"""The Markdown format: what a merge-request comment must show, and tables that cannot break."""

from __future__ import annotations

import io
import re

from report_factory import (
    TOOL,
    clean_report,
    empty_report,
    full_report,
    result,
    use,
)

from analyzer.formats import render
from analyzer.formats.markdown import MAX_ROWS, escape
from analyzer.reference import ImageRef
from analyzer.report import Policy, Report


def markdown(report: Report) -> str:
    out = io.StringIO()
    render(report, "markdown", out)
    return out.getvalue()


def cells(row: str) -> list[str]:
    """The cells of a table row, split on the pipes that are not escaped."""
    inner = row.strip()[1:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", inner)]


def tables(text: str) -> list[list[list[str]]]:
    found: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append(cells(line))
        elif current:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


def section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n### ", start + 1)
    details = text.find("\n<details>", start + 1)
    ends = [e for e in (end, details) if e != -1]
    return text[start : min(ends)] if ends else text[start:]


def test_failing_report_has_fail_heading_reasons_and_failing_table() -> None:
    text = markdown(full_report())
    assert text.splitlines()[0] == "## ❌ Image coverage: FAIL"
    assert "1 image blocked; 1 image fallback; 2 invalid uses; 3 inputs could not be read" in text
    failing = section(text, "### Failing (4)")
    assert "ghcr.io/acme/private-tool:2.0" in failing
    assert "apps/api.yaml:31 Deployment/prod/api" in failing
    assert "none of the 2 mirrors for ghcr.io holds acme/private-tool" in failing
    assert "registry.k8s.io/pause@sha256:" in failing
    assert "Nginx:Latest" in failing
    # not failing: mirrored, partial, direct and ignored images stay out of the failing table
    for image in ("nginx:1.25", "node-exporter", "team/app", "bitnami/redis"):
        assert image not in failing


def test_summary_table_has_counts_per_status() -> None:
    summary = tables(markdown(full_report()))[0]
    header, _, values = summary
    row = dict(zip(header, values, strict=True))
    assert row["Images"] == "7"
    assert row["Uses"] == "14"
    assert row["Coverage"] == "33.3%"
    assert (row["mirrored"], row["partial"], row["fallback"]) == ("2", "1", "2")
    assert (row["direct"], row["blocked"], row["invalid"]) == ("1", "1", "2")


def test_full_list_and_mirrors_are_folded_in_details() -> None:
    text = markdown(full_report())
    assert "<details><summary>All images (7)</summary>" in text
    assert "<details><summary>Mirrors (3)</summary>" in text
    assert text.count("<details>") == text.count("</details>") == 3
    mirrors = section(text, "<details><summary>Mirrors")
    assert "docker.m.daocloud.io | docker.io | embedded allows.txt (2024-05-01) | 2" in mirrors
    assert "assumed" in mirrors
    everything = section(text, "<details><summary>All images")
    assert "quay.m.daocloud.io<br>tag resolved by quay.io" in everything
    assert "fallback (ignored)" in everything
    assert "+2 more" in everything
    assert "(from grafana/templates/deployment.yaml)" in everything


def test_errors_are_listed_with_file_and_line() -> None:
    text = markdown(full_report())
    errors = section(text, "### Input that could not be read (3)")
    assert "- apps/broken.yaml:3: mapping values are not allowed here" in errors
    assert "- certs.d/gcr.io/hosts.toml:4: unknown capability 'pul'" in errors


def test_passing_report() -> None:
    text = markdown(clean_report())
    assert text.splitlines()[0] == "## ✅ Image coverage: PASS"
    assert "### Failing" not in text
    assert "Nothing is blocked, fallback, invalid or misconfigured." in text
    assert "FAIL" not in text


def test_empty_report_has_no_empty_tables() -> None:
    text = markdown(empty_report())
    assert "PASS" in text.splitlines()[0]
    assert "All images" not in text
    for table in tables(text):
        assert len(table) >= 3  # header, separator and at least one row


def test_every_table_row_has_as_many_cells_as_its_header() -> None:
    piped = ImageRef("docker.io", "library/nginx", "1.25", None)
    odd = use(piped, "<stdin>", 1, name="a|b")
    weird = result(
        TOOL,
        "fallback",
        (odd,),
        content="https://ghcr.io/v2",
        resolve="https://ghcr.io/v2",
        reason="pipe | in *reason* with `code` <b>x</b>",
    )
    invalid = use(
        None, "apps/x|y.yaml", 2, raw="bad|ref", use_class="invalid", reason="because | pipes"
    )
    report = Report(
        images=(weird,), invalid=(invalid,), mirrors=(), config_description="a|b", policy=Policy()
    )
    text = markdown(report)
    for table in tables(text):
        widths = {len(row) for row in table}
        assert len(widths) == 1, table
    assert "pipe \\| in \\*reason\\* with \\`code\\` \\<b\\>x\\</b\\>" in text
    assert "\\<stdin\\>:1" in text
    assert "bad\\|ref" in text
    assert "<b>" not in text


def test_escape() -> None:
    assert escape("a|b") == "a\\|b"
    assert escape("my_image*") == "my\\_image\\*"
    assert escape("line\nbreak") == "line break"
    assert escape("[x](y)") == "\\[x\\](y)"


def test_long_lists_are_cut_with_a_count() -> None:
    many = tuple(
        result(
            ImageRef("docker.io", f"team/app{i}", "1", None),
            "mirrored",
            (use(ImageRef("docker.io", f"team/app{i}", "1", None), "a.yaml", i + 1),),
            content="https://docker.m.daocloud.io/v2",
            resolve="https://docker.m.daocloud.io/v2",
        )
        for i in range(MAX_ROWS + 5)
    )
    report = Report(images=many, invalid=(), mirrors=(), config_description="x")
    text = markdown(report)
    assert "… and 5 more: see the JSON or CSV report." in text
    assert "team/app0:1" in text and f"team/app{MAX_ROWS + 4}:1" not in text
