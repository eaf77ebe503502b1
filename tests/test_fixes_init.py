"""``coverage mirrors init``: the files written route exactly as the report promised."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fixes_helpers import write_manifest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.engine import build_report
from analyzer.mirrors import load_catalogues, load_mirror_config
from analyzer.mirrors.doctor import diagnose
from analyzer.sources import read_sources

runner = CliRunner()
FIXTURES = Path(__file__).parent.parent / "fixtures"
MANIFESTS = str(FIXTURES / "manifests")


def _routes(config_kwargs: dict[str, object]) -> dict[str, tuple[str, str | None, str | None]]:
    config = load_mirror_config(node_default=None, **config_kwargs)  # type: ignore[arg-type]
    report = build_report(read_sources([MANIFESTS]), config, load_catalogues())
    return {r.image: (r.status, r.route.resolve_host, r.route.content_host) for r in report.images}


def test_daocloud_preset_routes_exactly_as_the_embedded_defaults(tmp_path: Path) -> None:
    target = tmp_path / "certs.d"
    result = runner.invoke(app, ["mirrors", "init", str(target), "--preset", "daocloud"])
    assert result.exit_code == 0, result.output
    assert "every registry routes as predicted" in result.stdout
    # the embedded DaoCloud set is what `coverage scan` reports with no configuration
    assert _routes({"hosts_dirs": [str(target)]}) == _routes({})
    text = (target / "docker.io" / "hosts.toml").read_text()
    assert 'server = "https://registry-1.docker.io"' in text
    assert '[host."https://docker.m.daocloud.io"]\n  capabilities = ["pull", "resolve"]' in text
    assert oct((target / "docker.io" / "hosts.toml").stat().st_mode & 0o777) == "0o644"
    assert not [p for p in target.rglob("*") if p.name.endswith(".tmp")]
    assert diagnose([str(target)]) == ()  # none of the traps `coverage doctor` knows


def test_for_limits_to_the_manifests_registries_and_prints_before_and_after(tmp_path: Path) -> None:
    target = tmp_path / "certs.d"
    result = runner.invoke(
        app, ["mirrors", "init", str(target), "--preset", "daocloud", "--for", MANIFESTS]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in target.iterdir()) == [
        "docker.io",
        "gcr.io",
        "ghcr.io",
        "mcr.microsoft.com",
        "quay.io",
        "registry.k8s.io",
    ]
    assert "left out: dhi.io, docker.elastic.co, k8s.gcr.io, nvcr.io" in result.stdout
    assert "before (no mirror configuration): 20 images, 21 uses, coverage 0%" in result.stdout
    # the promised "after" is what a scan over the written directory says
    scan = runner.invoke(app, ["scan", MANIFESTS, "--hosts-dir", str(target), "-f", "json"])
    summary = json.loads(scan.stdout)["summary"]
    after = next(line for line in result.stdout.splitlines() if line.startswith("after"))
    assert f"coverage {summary['coverage_percent']:g}%" in after
    assert f"{summary['by_status']['mirrored']} mirrored" in after


def test_never_overwrites_without_force_and_leaves_identical_files(tmp_path: Path) -> None:
    target = tmp_path / "certs.d"
    args = ["mirrors", "init", str(target), "--mirror", "docker.io=https://hub.example"]
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, args)
    assert (
        again.exit_code == 0 and f"unchanged {target / 'docker.io' / 'hosts.toml'}" in again.stdout
    )
    other = ["mirrors", "init", str(target), "--mirror", "docker.io=https://other.example"]
    refused = runner.invoke(app, other)
    assert refused.exit_code == 2
    assert "exists and differs; nothing written (--force replaces it)" in refused.stderr
    assert "hub.example" in (target / "docker.io" / "hosts.toml").read_text()
    assert runner.invoke(app, [*other, "--force"]).exit_code == 0
    assert "other.example" in (target / "docker.io" / "hosts.toml").read_text()


def test_dry_run_prints_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "certs.d"
    result = runner.invoke(
        app, ["mirrors", "init", str(target), "--mirror", "quay.io=https://q.example", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert f"--- would write {target / 'quay.io' / 'hosts.toml'} (new file)" in result.stdout
    assert '[host."https://q.example"]' in result.stdout
    assert not target.exists()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("docker.io=hub.example", "write the scheme"),
        ("docker.io=https://user:s3cret@hub.example", "has a user name or password"),
        ("docker.io=https://hub.example/custom", "has a path or query"),
        ("ghcr.io=https://docker.m.daocloud.io", "serves only docker.io images, never ghcr.io"),
        ("docker.io=https://m.daocloud.io", "use https://docker.m.daocloud.io"),
        ("Not A Registry=https://x.example", "is not a registry host"),
        ("docker.io", "expected REGISTRY=URL"),
    ],
)
def test_mistakes_are_refused(tmp_path: Path, spec: str, message: str) -> None:
    result = runner.invoke(app, ["mirrors", "init", str(tmp_path / "d"), "--mirror", spec])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "s3cret" not in result.output
    assert not (tmp_path / "d").exists()


def test_registry_with_a_port_gets_the_directory_containerd_looks_up_first(tmp_path: Path) -> None:
    target = tmp_path / "certs.d"
    (target / "registry.local:5000").mkdir(parents=True)
    (target / "registry.local:5000" / "hosts.toml").write_text('[host."https://old.example"]\n')
    result = runner.invoke(
        app, ["mirrors", "init", str(target), "--mirror", "registry.local:5000=https://c.example"]
    )
    assert result.exit_code == 0, result.output
    assert (target / "registry.local_5000_" / "hosts.toml").is_file()
    config = load_mirror_config(hosts_dirs=[str(target)], node_default=None)
    hosts = config.hosts_for("registry.local:5000").hosts
    assert [h.url for h in hosts] == ["https://c.example/v2", "https://registry.local:5000/v2"]


def test_docker_runtime_writes_daemon_json_for_docker_hub_only(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["mirrors", "init", str(tmp_path), "--preset", "daocloud", "--runtime", "docker"]
    )
    assert result.exit_code == 0, result.output
    assert "registry-mirrors serve Docker Hub only" in result.stdout
    data = json.loads((tmp_path / "daemon.json").read_text())
    assert data == {"registry-mirrors": ["https://docker.m.daocloud.io"]}
    manifests = write_manifest(tmp_path / "m.yaml", ["nginx:1.27"])
    scan = runner.invoke(
        app,
        ["scan", str(manifests), "--docker-daemon", str(tmp_path / "daemon.json"), "-f", "json"],
    )
    (image,) = json.loads(scan.stdout)["images"]
    assert image["status"] == "mirrored"
    assert image["content_host"] == "https://docker.m.daocloud.io/v2"


def test_unwritable_directory_is_a_one_line_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        target = Path("/proc/image-coverage-cannot-write")
    else:
        target = tmp_path / "ro"
        target.mkdir(mode=0o500)
    result = runner.invoke(app, ["mirrors", "init", str(target), "--mirror", "quay.io=https://q.x"])
    assert result.exit_code == 2
    assert result.stderr.startswith("coverage mirrors init: error: cannot write")
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreadable_manifests_for_for_exit_2_after_the_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Deployment\n  bad: [\n")
    for extra in ([], ["--dry-run"]):
        result = runner.invoke(
            app,
            [
                "mirrors",
                "init",
                str(tmp_path / "d"),
                "--preset",
                "daocloud",
                "--for",
                str(bad),
                "--for",
                MANIFESTS,
                *extra,
            ],
        )
        assert result.exit_code == 2, extra
        assert f"{bad}:2:" in result.stderr
        assert "after (" in result.stdout
