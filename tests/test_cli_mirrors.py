"""``coverage mirrors``: the configuration in effect, hosts, capabilities, catalogues."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app

runner = CliRunner()
SECRET = "Basic c2VjcmV0OnNlY3JldA=="


@pytest.fixture
def certs(tmp_path: Path) -> Path:
    root = tmp_path / "certs.d"
    for name, text in {
        "docker.io": (
            'server = "https://docker.io"\n'
            '[host."https://docker.m.daocloud.io"]\n'
            '  capabilities = ["pull", "resolve"]\n'
            '[host."https://hub-cache.example"]\n  capabilities = ["pull"]\n'
            f'  header = {{ authorization = "{SECRET}" }}\n'
        ),
        "_default": '[host."https://catch-all.example"]\n',
        "ghcr.io": '[host."https://ghcr-cache.example"\n',
    }.items():
        (root / name).mkdir(parents=True)
        (root / name / "hosts.toml").write_text(text)
    return root


def test_text_shows_each_registry_host_capabilities_and_catalogue(certs: Path) -> None:
    result = runner.invoke(
        app, ["mirrors", "--hosts-dir", str(certs), "--catalog", "hub-cache.example=all"]
    )
    assert result.exit_code == 2, result.output  # the broken quay.io file
    out = result.stdout
    assert out.startswith(f"configuration: hosts directories {certs} (3 directories) (--hosts-dir)")
    assert f"docker.io  (hosts-dir: {certs / 'docker.io' / 'hosts.toml'})" in out
    assert "1. https://docker.m.daocloud.io/v2  [pull, resolve]  mirror" in out
    assert "catalogue (list): embedded DaoCloud allows.txt" in out
    assert "catalogue (all): all: a pull-through proxy serves everything" in out
    assert "3. https://docker.io/v2  [pull, push, resolve]  upstream" in out
    assert "headers: authorization (values not shown)" in out
    assert "_default  (hosts-dir:" in out
    assert "https://<registry>/v2" in out
    assert "catalogue (assumed)" in out
    assert SECRET not in result.output


def test_config_errors_are_one_line_each_on_stderr(certs: Path) -> None:
    result = runner.invoke(app, ["mirrors", "--hosts-dir", str(certs)])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{certs / 'ghcr.io' / 'hosts.toml'}:1: not valid TOML")


def test_json_lists_registries_with_hosts_and_catalogues(certs: Path) -> None:
    result = runner.invoke(app, ["mirrors", "--hosts-dir", str(certs), "--format", "json"])
    assert result.exit_code == 2  # the broken quay.io file
    data = json.loads(result.stdout)
    registries = {r["registry"]: r for r in data["registries"]}
    assert set(registries) == {"docker.io", "_default", "ghcr.io"}
    hub = registries["docker.io"]["hosts"]
    assert [h["role"] for h in hub] == ["mirror", "mirror", "upstream"]
    assert hub[1]["header_names"] == ["authorization"]
    assert hub[1]["catalogue"]["assumed"] is True
    assert hub[0]["catalogue"]["entries"] == 1320
    assert data["errors"][0]["line"] == 1
    assert [h["url"] for h in registries["ghcr.io"]["hosts"]] == ["https://ghcr.io/v2"]
    assert SECRET not in result.output


def test_legacy_and_daemon_sources_are_named(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."*"]\n'
        '  endpoint = ["https://star.example"]\n'
    )
    daemon = tmp_path / "daemon.json"
    daemon.write_text('{"registry-mirrors": ["https://hub.example"]}')
    result = runner.invoke(
        app, ["mirrors", "--containerd-config", str(config), "--docker-daemon", str(daemon)]
    )
    assert result.exit_code == 0, result.output
    assert f"legacy CRI registry.mirrors (1 registries) from {config}" in result.stdout
    assert f"*  (containerd-config: {config})" in result.stdout
    assert f"docker.io  (docker-daemon: {daemon})" in result.stdout
    assert "never used" in result.stdout  # the "*" legacy mirror catches docker.io first


def test_a_registry_whose_pulls_all_fail_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "certs.d" / "docker.io"
    folder.mkdir(parents=True)
    (folder / "hosts.toml").write_text('[host."https://m.example"]\n  ca = "missing-ca.crt"\n')
    args = ["mirrors", "--hosts-dir", str(tmp_path / "certs.d")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "EVERY PULL FAILS:" in result.stdout and "missing-ca.crt" in result.stdout
    data = json.loads(CliRunner().invoke(app, [*args, "-f", "json"]).stdout)
    assert "missing-ca.crt" in data["registries"][0]["fatal"]
