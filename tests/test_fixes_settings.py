"""``request``, ``rewrite`` and ``mirrors init --for`` read the settings file as ``scan`` does:
an image only a ``[[rules]]`` entry finds is in the fix they print or write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixes_helpers import mirror_for, write_hosts
from typer.testing import CliRunner, Result

from analyzer.cli import app

runner = CliRunner()
IMAGE = "quay.io/acme/runner:1.0"
# ``ref`` is no image key: only the rule finds it (the shape search does not)
WORKSPACE = f"""\
apiVersion: dev.example.com/v1
kind: Workspace
metadata: {{name: team-a}}
spec:
  runner:
    ref: {IMAGE}
"""
RULES = """\
[[rules]]
kind = "Workspace"
group = "dev.example.com"
path = "spec.runner.ref"
"""


def project(tmp_path: Path, settings: str = "") -> Path:
    """A project folder: the manifest, a quay.io mirror whose list lacks the image, and an
    ``image-coverage.toml`` with the rule (plus ``settings``)."""
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "workspace.yaml").write_text(WORKSPACE)
    write_hosts(tmp_path / "certs.d", {"quay.io": mirror_for("quay.io", "https://quay.m.example")})
    (tmp_path / "quay-list.txt").write_text("quay.io/other/thing\n")
    (tmp_path / "image-coverage.toml").write_text(settings + RULES)
    return tmp_path


MIRRORS = """\
hosts-dir = ["certs.d"]
catalog = { "quay.m.example" = "quay-list.txt" }
"""


def test_the_rule_alone_finds_the_image() -> None:
    """The premise: without the settings file no reader finds the image."""
    result = runner.invoke(app, ["images", "-", "-f", "json"], input=WORKSPACE)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["uses"] == []


@pytest.mark.parametrize("how", ["--config", "found upward"])
def test_request_lists_what_scan_reports_falling_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    root = project(tmp_path, MIRRORS)
    args = ["--config", str(root / "image-coverage.toml")] if how == "--config" else []
    if how == "found upward":
        monkeypatch.chdir(root / "deploy")
    manifest = str(root / "deploy" / "workspace.yaml")
    scan = runner.invoke(app, ["scan", manifest, "-f", "json", *args])
    images = {i["image"]: i["status"] for i in json.loads(scan.stdout)["images"]}
    assert images == {IMAGE: "fallback"}
    result = runner.invoke(app, ["request", manifest, *args])
    assert result.exit_code == 0, result.output
    assert f"quay.io/acme/runner    # {IMAGE}" in result.stdout
    assert "quay-list.txt" in result.stdout  # the settings file's catalogue, not DaoCloud's


def test_request_options_win_over_the_settings_file(tmp_path: Path) -> None:
    root = project(tmp_path, MIRRORS + 'ignore = ["quay.io/acme/**"]\n')
    config = ["--config", str(root / "image-coverage.toml")]
    manifest = str(root / "deploy" / "workspace.yaml")
    ignored = runner.invoke(app, ["request", manifest, *config, "-f", "json"])
    assert ignored.exit_code == 0, ignored.output
    assert "quay.io/acme/runner" not in ignored.stdout  # the file's ignore applies
    listed = runner.invoke(
        app, ["request", manifest, *config, "-f", "json", "--ignore", "quay.io/nobody"]
    )
    assert listed.exit_code == 0, listed.output
    assert "quay.io/acme/runner" in listed.stdout  # --ignore replaces the file's


def test_rewrite_rewrites_the_image_the_rule_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, 'catalog = { "m.daocloud.io" = "mirror.txt" }\n')
    (root / "mirror.txt").write_text(f"{IMAGE}\n")
    monkeypatch.chdir(root)
    result = runner.invoke(app, ["rewrite", "deploy", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["images"] == {IMAGE: f"m.daocloud.io/{IMAGE}"}
    named = runner.invoke(
        app, ["rewrite", "deploy", "-f", "json", "--config", str(root / "image-coverage.toml")]
    )
    assert named.stdout == result.stdout


def init_for(root: Path, *args: str) -> Result:
    """``mirrors init ROOT/out --mirror quay.io=... --for`` the project's manifest."""
    target = str(root / "out")
    manifest = str(root / "deploy" / "workspace.yaml")
    mirror = "quay.io=https://quay.mirror.example"
    return runner.invoke(
        app, ["mirrors", "init", target, "--mirror", mirror, "--for", manifest, *args]
    )


@pytest.mark.parametrize("how", ["--config", "found upward"])
def test_mirrors_init_for_writes_the_registry_of_the_image_the_rule_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    root = project(tmp_path)
    args = ["--config", str(root / "image-coverage.toml")] if how == "--config" else []
    if how == "found upward":
        monkeypatch.chdir(root / "deploy")
    result = init_for(root, *args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (root / "out").iterdir()) == ["quay.io"]
    assert "before (no mirror configuration): 1 image, 1 use, coverage 0%" in result.stdout
    assert "after (" in result.stdout and "1 image, 1 use, coverage 100%" in result.stdout


def test_mirrors_init_for_before_is_the_settings_files_configuration(tmp_path: Path) -> None:
    root = project(tmp_path, MIRRORS)
    result = init_for(root, "--config", str(root / "image-coverage.toml"))
    assert result.exit_code == 0, result.output
    before = next(line for line in result.stdout.splitlines() if line.startswith("before"))
    assert "no mirror configuration" not in before and "1 fallback" in before


@pytest.mark.parametrize("name", ["request", "rewrite", "mirrors init"])
def test_a_bad_settings_file_is_a_one_line_usage_error(tmp_path: Path, name: str) -> None:
    out = str(tmp_path / "out")
    command = (
        ["mirrors", "init", out, "--preset", "daocloud", "--for"] if "init" in name else [name]
    )
    bad = tmp_path / "image-coverage.toml"
    bad.write_text('[[rules]]\nkind = "A"\n')
    manifest = tmp_path / "m.yaml"
    manifest.write_text(WORKSPACE)
    result = runner.invoke(app, [*command, str(manifest), "--config", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "'path' is required" in result.stderr
    assert not (tmp_path / "out").exists()
