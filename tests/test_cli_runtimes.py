"""--runtime and the runtime file options on scan, the settings file, and detection."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "runtimes"
MANIFESTS = str(ROOT / "fixtures" / "manifests")


def test_scan_with_registries_conf_says_so_first() -> None:
    result = CliRunner().invoke(
        app, ["scan", MANIFESTS, "--registries-conf", str(FIXTURES / "registries.conf")]
    )
    assert result.stdout.splitlines()[0].startswith("Configuration: containers registries.conf")
    assert result.exit_code == 1  # the sample manifests use images DaoCloud does not serve


def test_a_drop_in_folder_named_but_missing_is_an_error_not_a_pass(tmp_path: Path) -> None:
    pod = tmp_path / "pod.yaml"
    pod.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "  - {name: c, image: docker.io/library/nginx:1.25}\n"
    )
    missing = str(tmp_path / "registries.conf.d")  # a typo: CRI-O would skip it silently
    args = ["scan", str(pod), "--runtime", "crio", "--registries-conf-d"]
    result = CliRunner().invoke(app, [*args, missing])
    assert result.exit_code == 2, result.output
    assert f"{missing}: no such folder" in result.output
    (tmp_path / "registries.conf.d").mkdir()
    assert CliRunner().invoke(app, [*args, missing]).exit_code == 0


def test_settings_file_takes_the_runtime_keys(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "k3s-registries.yaml", tmp_path / "registries.yaml")
    (tmp_path / "image-coverage.toml").write_text(
        f'paths = ["{MANIFESTS}"]\nruntime = "rke2"\nk3s-registries = "registries.yaml"\n'
        "k3s-disable-default-endpoint = true\n"
    )
    result = CliRunner().invoke(app, ["scan", "--config", str(tmp_path / "image-coverage.toml")])
    first = result.stdout.splitlines()[0]
    assert "runtime rke2" in first and "--disable-default-registry-endpoint" in first
    assert str(tmp_path / "registries.yaml") in first


def test_detects_k3s_on_this_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    node = tmp_path / "node"
    (node / "etc" / "rancher" / "k3s").mkdir(parents=True)
    shutil.copy(FIXTURES / "k3s-registries.yaml", node / "etc/rancher/k3s/registries.yaml")
    monkeypatch.setenv("IMAGE_COVERAGE_NODE_ROOT", str(node))
    result = CliRunner().invoke(app, ["scan", MANIFESTS])
    assert result.stdout.splitlines()[0].startswith(
        "Configuration: runtime k3s (detected on this machine): k3s registries.yaml"
    )


def test_registries_conf_alone_is_not_taken_for_crio(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = tmp_path / "node"
    (node / "etc" / "containers").mkdir(parents=True)
    shutil.copy(FIXTURES / "registries.conf", node / "etc/containers/registries.conf")
    monkeypatch.setenv("IMAGE_COVERAGE_NODE_ROOT", str(node))
    result = CliRunner().invoke(app, ["scan", MANIFESTS])
    assert "embedded DaoCloud defaults" in result.stdout.splitlines()[0]
    (node / "etc" / "crio").mkdir()
    (node / "etc" / "crio" / "crio.conf").write_text("")
    result = CliRunner().invoke(app, ["scan", MANIFESTS])
    assert result.stdout.splitlines()[0].startswith(
        "Configuration: runtime crio (detected on this machine): containers registries.conf"
    )


def test_unknown_runtime_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["explain", "nginx", "--runtime", "cri-o"])
    assert result.exit_code == 2
    assert "unknown --runtime" in result.output and "Traceback" not in result.output


def test_the_disable_default_endpoint_switch_applies_to_the_settings_files(
    tmp_path: Path,
) -> None:
    """The switch names no configuration, so it does not replace the settings file's: it
    turns the fallback off for the registries.yaml the file names (it was dropped)."""
    shutil.copy(FIXTURES / "k3s-registries.yaml", tmp_path / "registries.yaml")
    pod = tmp_path / "pod.yaml"
    pod.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "  - {name: c, image: quay.io/acme/not-on-any-list:1.0}\n"
    )
    settings = tmp_path / "image-coverage.toml"
    settings.write_text(f'paths = ["{pod}"]\nk3s-registries = "registries.yaml"\n')
    scan = ["scan", "--config", str(settings), "-f", "json", "--fail-on", "none"]
    falls_back = CliRunner().invoke(app, scan)
    switched = CliRunner().invoke(app, [*scan, "--k3s-disable-default-endpoint"])
    assert falls_back.exit_code == switched.exit_code == 0, switched.output
    before, after = json.loads(falls_back.stdout), json.loads(switched.stdout)
    assert "--disable-default-registry-endpoint" not in before["configuration"]
    assert "--disable-default-registry-endpoint" in after["configuration"]
    assert str(tmp_path / "registries.yaml") in after["configuration"]
    assert before["images"][0]["status"] == "fallback"  # quay.io itself, after the mirror
    assert after["images"][0]["status"] == "blocked"  # no fallback: the pull fails


def test_the_disable_default_endpoint_switch_without_a_registries_yaml_is_warned(
    tmp_path: Path,
) -> None:
    pod = tmp_path / "pod.yaml"
    pod.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "  - {name: c, image: docker.io/library/nginx:1.25}\n"
    )
    hosts = str(ROOT / "fixtures" / "certs.d")
    args = ["scan", str(pod), "--hosts-dir", hosts, "-f", "json", "--fail-on", "none"]
    result = CliRunner().invoke(app, [*args, "--k3s-disable-default-endpoint"])
    assert result.exit_code == 0, result.output
    warnings = json.loads(result.stdout)["warnings"]
    assert any("k3s-disable-default-endpoint) changes nothing here" in w for w in warnings), (
        warnings
    )
    plain = json.loads(CliRunner().invoke(app, args).stdout)["warnings"]
    assert not any("k3s-disable-default-endpoint" in w for w in plain)
