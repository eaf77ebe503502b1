"""``coverage explain``: text and JSON output, errors as one line, exit codes."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import analyzer.mirrors
from analyzer.cli import app

runner = CliRunner()
SECRET = "Bearer do-not-print-me"


@pytest.fixture
def certs(tmp_path: Path) -> Path:
    root = tmp_path / "certs.d"
    (root / "docker.io").mkdir(parents=True)
    (root / "docker.io" / "hosts.toml").write_text(
        'server = "https://docker.io"\n'
        '[host."https://hub-cache.example"]\n'
        '  capabilities = ["pull"]\n'
        f'  [host."https://hub-cache.example".header]\n    authorization = "{SECRET}"\n'
    )
    (root / "quay.io").mkdir()
    (root / "quay.io" / "hosts.toml").write_text(
        '[host."https://quay-cache.example"]\n  capabilities = ["pull", "bogus"]\n'
    )
    return root


def test_text_lists_attempts_in_order_and_a_verdict(certs: Path) -> None:
    result = runner.invoke(app, ["explain", "nginx:1.25", "--hosts-dir", str(certs)])
    # only docker.io's directory (and _default) is read: the broken quay.io file is not
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "(1 directory read, 1 other not read: no image uses it, coverage doctor" in out
    assert "image:   docker.io/library/nginx:1.25  (written nginx:1.25)" in out
    assert out.index("resolve the tag") < out.index("content: manifest by digest")
    assert "1. https://hub-cache.example/v2  cannot_resolve" in out
    assert "2. https://docker.io/v2  served" in out
    assert out.strip().splitlines()[-1].startswith("verdict: partial: ")
    assert SECRET not in result.output


def test_the_directory_of_the_image_s_registry_is_read_and_its_error_shown(
    certs: Path,
) -> None:
    result = runner.invoke(app, ["explain", "quay.io/acme/app:1", "--hosts-dir", str(certs)])
    assert result.exit_code == 2, result.output  # the broken quay.io file
    assert "bogus" in result.output
    assert "(1 directory read, 1 other not read" in result.stdout


def test_json_has_the_route_fields(certs: Path) -> None:
    result = runner.invoke(
        app,
        [
            "explain",
            "nginx:1.25",
            "--hosts-dir",
            str(certs),
            "--catalog",
            "hub-cache.example=none",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output  # quay.io's broken file is not read
    data = json.loads(result.stdout)
    assert {
        "image",
        "status",
        "resolve_host",
        "content_host",
        "hosts_file",
        "attempts",
        "warnings",
        "reason",
    } <= set(data)
    assert data["image"] == "docker.io/library/nginx:1.25"
    assert data["status"] == "fallback"
    assert data["hosts_file"] == str(certs / "docker.io" / "hosts.toml")
    assert [a["outcome"] for a in data["attempts"]] == [
        "cannot_resolve",
        "served",
        "not_in_catalogue",
        "served",
    ]
    assert data["resolve_host"] == data["content_host"] == "https://docker.io/v2"
    assert SECRET not in result.output


def test_config_errors_go_to_stderr_one_line_with_file_and_line(certs: Path) -> None:
    result = runner.invoke(app, ["explain", "quay.io/a/b", "--hosts-dir", str(certs)])
    assert result.exit_code == 2  # the broken quay.io file
    quay_file = certs / "quay.io" / "hosts.toml"
    assert f"config error: {quay_file}:2: " in result.stderr
    assert "unknown capability 'bogus'" in result.stderr
    assert "verdict: direct" in result.stdout


def test_invalid_image_is_exit_2_with_one_line(certs: Path) -> None:
    result = runner.invoke(app, ["explain", "Not A Ref", "--hosts-dir", str(certs)])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "is not an image reference" in result.stderr


def test_invalid_image_json_reports_status_invalid(certs: Path) -> None:
    result = runner.invoke(app, ["explain", "nginx@sha256:abc", "--format", "json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["status"] == "invalid"


def test_bad_catalog_is_exit_2_with_one_line(certs: Path) -> None:
    result = runner.invoke(
        app,
        [
            "explain",
            "nginx",
            "--hosts-dir",
            str(certs),
            "--catalog",
            "hub-cache.example=/no/such/list.txt",
        ],
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "coverage explain: error: /no/such/list.txt: cannot read "
        "catalogue: No such file or directory"
    )


def test_unknown_format_is_exit_2() -> None:
    result = runner.invoke(app, ["explain", "nginx", "--format", "yaml"])
    assert result.exit_code == 2 and "unknown --format" in result.stderr


def test_embedded_defaults_when_nothing_is_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        analyzer.mirrors,
        "load_mirror_config",
        functools.partial(
            analyzer.mirrors.load_mirror_config, node_default=str(tmp_path / "absent")
        ),
    )
    result = runner.invoke(app, ["explain", "quay.io/prometheus/node-exporter:v1.8.0"])
    assert result.exit_code == 0, result.output
    assert "config:  embedded DaoCloud defaults (no " in result.stdout
    assert (
        "HEAD https://quay.m.daocloud.io/v2/prometheus/node-exporter/manifests/v1.8.0"
        "?ns=quay.io" in result.stdout
    )
    assert "verdict: mirrored" in result.stdout


def test_a_route_a_catalogue_decided_names_what_the_catalogue_cannot_know(tmp_path: Path) -> None:
    # issue 13, class 5: a repository catalogue says nothing of blobs or of the upstream
    root = tmp_path / "certs.d"
    (root / "docker.io").mkdir(parents=True)
    (root / "docker.io" / "hosts.toml").write_text('[host."https://hub-cache.example"]\n')
    listing = tmp_path / "allows.txt"
    listing.write_text("docker.io/library/nginx\n")
    base = ["nginx:1.25", "--hosts-dir", str(root)]
    listed = [*base, "--catalog", f"hub-cache.example={listing}"]
    text = runner.invoke(app, ["explain", *listed]).stdout
    assert text.strip().splitlines()[-1].startswith("verdict: mirrored: ")
    assert "--probe checks the manifest" in text.strip().splitlines()[-1]
    route = json.loads(runner.invoke(app, ["explain", *listed, "-f", "json"]).stdout)
    assert "whether the mirror holds every layer" in route["reason"]
    # a mirror assumed to serve everything is not decided by a catalogue: its warning says so
    assumed = json.loads(runner.invoke(app, ["explain", *base, "-f", "json"]).stdout)
    assert assumed["status"] == "mirrored"
    assert "--probe" not in assumed["reason"]
