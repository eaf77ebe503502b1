"""Advice is computed only for the formats that show it (``ADVICE_FORMATS``): every other
format must write the same bytes with and without it, and each of these must not."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from report_factory import full_report

from analyzer.engine import ScanOptions, run
from analyzer.formats import ADVICE_FORMATS, FORMAT_NAMES, render
from analyzer.report import Advice, Report

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _advised(report: Report) -> Report:
    failing = {r.image for r in report.failures()}
    assert failing
    images = tuple(
        replace(r, advice=Advice("request", f"Ask for {r.name}.", r.name, line=f"{r.name}"))
        if r.image in failing
        else r
        for r in report.images
    )
    return replace(report, images=images)


def _written(report: Report, fmt: str) -> str:
    out = io.StringIO()
    render(report, fmt, out)
    return out.getvalue()


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_only_the_advice_formats_show_the_advice(fmt: str) -> None:
    without = full_report()
    assert all(r.advice is None for r in without.images)
    same = _written(_advised(without), fmt) == _written(without, fmt)
    assert same is (fmt not in ADVICE_FORMATS)


def test_a_scan_without_advice_leaves_every_image_unadvised() -> None:
    manifests = str(FIXTURES / "manifests")
    advised = run(ScanOptions(paths=(manifests,), node_default=None))
    plain = run(ScanOptions(paths=(manifests,), node_default=None, advice=False))
    assert any(r.advice is not None for r in advised.images)
    assert all(r.advice is None for r in plain.images)
    assert plain == replace(advised, images=tuple(replace(r, advice=None) for r in advised.images))


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_the_cli_computes_advice_only_for_the_formats_that_show_it(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import analyzer.fixes.advice as advice_module
    from analyzer.cli import app

    calls: list[int] = []
    attach = advice_module.attach_advice

    def counted(report: Report, *args: object) -> Report:
        calls.append(1)
        return attach(report, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(advice_module, "attach_advice", counted)
    out = tmp_path / f"report.{fmt}"
    done = CliRunner().invoke(app, ["scan", "-f", fmt, "-o", str(out), str(FIXTURES / "manifests")])
    assert done.exit_code == 1, done.output  # images fall back: the gate fails
    assert bool(calls) is (fmt in ADVICE_FORMATS)
    if fmt == "json":
        assert any(i["advice"] for i in json.loads(out.read_text(encoding="utf-8"))["images"])
