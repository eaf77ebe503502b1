"""Kustomize and Helm folders are rendered with the real tools (kubectl here), never read
file by file; without a tool they are an error that says how to render them first."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.sources import RenderOptions, read_sources

KUSTOMIZE = Path(__file__).resolve().parent.parent / "fixtures" / "kustomize"
OVERLAY = KUSTOMIZE / "overlays" / "prod"
OVERRIDDEN = [
    "registry.example.com/mirror/nginx:1.27.2",
    "ghcr.io/acme/api:2.1.0",
    "ghcr.io/acme/migrate@sha256:8d4d0f6f0ac0b8c5a6b1d0e3f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4",
]
needs_kubectl = pytest.mark.skipif(
    shutil.which("kubectl") is None and shutil.which("kustomize") is None,
    reason="neither kubectl nor kustomize is on PATH",
)


def fake_tool(folder: Path, name: str, script: str) -> None:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@needs_kubectl
def test_overlay_images_are_the_overridden_ones() -> None:
    result = read_sources([str(OVERLAY)])
    assert result.errors == ()
    assert [use.pull_ref for use in result.uses] == OVERRIDDEN
    assert {use.file for use in result.uses} == {str(OVERLAY)}
    assert all(use.source and use.source.endswith(f"kustomize {OVERLAY}") for use in result.uses)
    assert [use.namespace for use in result.uses] == ["prod"] * 3


@needs_kubectl
def test_coverage_images_on_the_overlay_reports_the_overrides() -> None:
    result = CliRunner().invoke(app, ["images", str(OVERLAY), "--format", "json"])
    assert result.exit_code == 0
    uses = json.loads(result.stdout)["uses"]
    assert [use["image"] for use in uses] == OVERRIDDEN
    # lines point into the rendered output, where the image is
    assert [use["line"] for use in uses] == [16, 18, 21]


@needs_kubectl
def test_a_tree_renders_each_kustomization_and_does_not_read_its_files() -> None:
    result = read_sources([str(KUSTOMIZE)])
    assert result.errors == ()
    assert [use.file for use in result.uses] == [str(KUSTOMIZE / "base")] * 3 + [str(OVERLAY)] * 3


@needs_kubectl
def test_a_kustomization_file_named_alone_renders_its_folder() -> None:
    result = read_sources([str(OVERLAY / "kustomization.yaml")])
    assert [use.pull_ref for use in result.uses] == OVERRIDDEN


@needs_kubectl
def test_a_failing_render_is_one_line_naming_the_folder(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    result = read_sources([str(tmp_path)])
    (error,) = result.errors
    assert error.file == str(tmp_path)
    assert "failed" in error.message and "\n" not in error.message


def test_without_a_tool_a_kustomization_is_an_error_not_a_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = read_sources([str(OVERLAY)])
    assert result.uses == ()
    (error,) = result.errors
    assert "render it first" in error.message
    cli = CliRunner().invoke(app, ["images", str(OVERLAY), "--format", "json"])
    assert cli.exit_code == 2
    scan = CliRunner().invoke(app, ["scan", str(OVERLAY), "--format", "json"])
    assert scan.exit_code == 2


def test_helm_chart_without_helm_says_how_to_render_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "templates" / "d.yaml").write_text("image: {{ .Values.image }}\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = read_sources([str(chart)])
    (error,) = result.errors
    assert "helm is not on PATH" in error.message and "helm template" in error.message


def test_helm_template_gets_the_helm_args_and_no_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    seen = tmp_path / "args.txt"
    # a stand-in helm: records its arguments, renders one Pod as helm template would
    fake_tool(
        tmp_path / "bin",
        "helm",
        f'printf "%s\\n" "$@" > {seen}\n'
        'printf -- "---\\n# Source: web/templates/pod.yaml\\napiVersion: v1\\nkind: Pod\\n'
        "metadata: {name: p}\\nspec:\\n  containers:\\n    - name: c\\n"
        '      image: quay.io/acme/web:2.0\\n"\n',
    )
    monkeypatch.setenv("PATH", str(tmp_path / "bin") + os.pathsep + os.environ["PATH"])
    args = ("--values=prod.yaml", "--set=image.tag=2.0;touch pwned")
    result = read_sources([str(chart)], render=RenderOptions(helm_args=args))
    assert result.errors == ()
    assert seen.read_text().splitlines() == ["template", str(chart), *args]
    assert not (tmp_path / "pwned").exists()
    (use,) = result.uses
    assert (use.pull_ref, use.file, use.source, use.line) == (
        "quay.io/acme/web:2.0",
        str(chart),
        "web/templates/pod.yaml",
        9,
    )


def test_a_render_that_hangs_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    fake_tool(tmp_path / "bin", "helm", "exec sleep 30\n")
    monkeypatch.setenv("PATH", str(tmp_path / "bin") + os.pathsep + os.environ["PATH"])
    result = read_sources([str(chart)], render=RenderOptions(timeout=0.5))
    (error,) = result.errors
    assert "did not finish within 0.5 s" in error.message
