"""``coverage scan --probe``: live answers beside the catalogue's predictions (HTTP mocked)."""

from __future__ import annotations

import json
from pathlib import Path

import responses
from typer.testing import CliRunner

from analyzer.cli import app

MANIFEST = """\
apiVersion: v1
kind: Pod
metadata: {name: probe-me}
spec:
  containers:
    - {name: exporter, image: "quay.io/prometheus/node-exporter:v1.8.2"}
    - {name: other, image: "quay.io/other/thing:v1"}
"""
MIRROR = "https://quay-mirror.test/v2"


def _setup(tmp_path: Path) -> list[str]:
    hosts = tmp_path / "certs.d" / "quay.io"
    hosts.mkdir(parents=True)
    (hosts / "hosts.toml").write_text(
        'server = "https://quay.io"\n[host."https://quay-mirror.test"]\n'
        '  capabilities = ["pull", "resolve"]\n'
    )
    (tmp_path / "list.txt").write_text("quay.io/prometheus/*\n")
    (tmp_path / "pod.yaml").write_text(MANIFEST)
    return [
        str(tmp_path / "pod.yaml"),
        "--hosts-dir",
        str(tmp_path / "certs.d"),
        "--catalog",
        f"quay-mirror.test={tmp_path / 'list.txt'}",
    ]


@responses.activate
def test_probe_verdicts_sit_beside_predictions_and_disagreements_are_flagged(
    tmp_path: Path,
) -> None:
    # the list says the mirror holds node-exporter, but it answers 404; and the other way round
    responses.add(
        responses.HEAD, f"{MIRROR}/prometheus/node-exporter/manifests/v1.8.2?ns=quay.io", status=404
    )
    responses.add(
        responses.HEAD,
        f"{MIRROR}/other/thing/manifests/v1?ns=quay.io",
        status=200,
        headers={"Docker-Content-Digest": "sha256:" + "a" * 64},
    )
    args = _setup(tmp_path)

    result = CliRunner().invoke(app, ["scan", *args, "--probe", "-f", "json"])
    report = json.loads(result.stdout)
    probes = {i["image"]: i["probes"] for i in report["images"]}
    (exporter,) = probes["quay.io/prometheus/node-exporter:v1.8.2"]
    assert exporter["host"] == MIRROR
    assert (exporter["predicted"], exporter["outcome"], exporter["disagrees"]) == (
        True,
        "not_found",
        True,
    )
    (other,) = probes["quay.io/other/thing:v1"]
    assert (other["predicted"], other["outcome"], other["disagrees"]) == (False, "served", True)
    assert len(responses.calls) == 2  # the upstream is never asked

    table = CliRunner().invoke(app, ["scan", *args, "--probe"]).stdout
    assert "What the mirrors answered (2 probes, 2 disagreements" in table
    assert table.count("DISAGREES") == 2


def test_without_probe_no_request_is_made(tmp_path: Path) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        result = CliRunner().invoke(app, ["scan", *_setup(tmp_path), "-f", "json"])
        assert len(mock.calls) == 0
    assert all(i["probes"] == [] for i in json.loads(result.stdout)["images"])
