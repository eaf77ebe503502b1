"""``coverage probe`` end to end, with the mirror mocked by ``responses``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
from typer.testing import CliRunner

from analyzer.cli import app

MIRROR = "https://mirror.example.test/v2"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IMAGE_COVERAGE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def setup(tmp_path: Path) -> list[str]:
    """A hosts dir with one pull+resolve mirror for docker.io, and its list."""
    hosts = tmp_path / "certs.d" / "docker.io"
    hosts.mkdir(parents=True)
    (hosts / "hosts.toml").write_text(
        'server = "https://registry-1.docker.io"\n\n'
        '[host."https://mirror.example.test"]\n'
        '  capabilities = ["pull", "resolve"]\n'
    )
    listed = tmp_path / "allows.txt"
    listed.write_text("docker.io/library/nginx\ndocker.io/library/redis\n")
    return ["--hosts-dir", str(tmp_path / "certs.d"), "--catalog", f"mirror.example.test={listed}"]


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["probe", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def mirror_answers(name: str, tag: str, status: int) -> None:
    responses.head(f"{MIRROR}/library/{name}/manifests/{tag}?ns=docker.io", status=status)


@responses.activate
def test_verdicts_beside_predictions_and_disagreements_flagged(setup: list[str]) -> None:
    mirror_answers("nginx", "1.25", 200)  # listed, served
    mirror_answers("redis", "7", 404)  # listed, missing: disagreement
    mirror_answers("busybox", "latest", 404)  # not listed, missing
    code, out, err = run(
        "--image", "nginx:1.25", "--image", "redis:7", "--image", "busybox", *setup
    )
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert "docker.io/library/nginx:1.25  predicted: mirrored via " + MIRROR in lines
    assert f"  {MIRROR}  catalogue: holds  probe: served (HTTP 200)" in lines
    assert f"  {MIRROR}  catalogue: holds  probe: not_found (HTTP 404)  <- DISAGREES" in lines
    assert f"  {MIRROR}  catalogue: does not hold  probe: not_found (HTTP 404)" in lines
    assert "  by the probes: fallback" in lines  # redis would really come from upstream
    assert (
        "3 probes on 1 mirror hosts: 2 not_found, 1 served; 1 disagreement with the catalogues"
    ) in lines
    assert any(line.startswith("  docker.io/library/redis:7 on " + MIRROR) for line in lines)


@responses.activate
def test_json_report(setup: list[str]) -> None:
    mirror_answers("nginx", "1.25", 200)
    code, out, _ = run(
        "--image", "nginx:1.25", "--image", "ghcr.io/team/app:1", *setup, "--format", "json"
    )
    assert code == 0
    report = json.loads(out)
    by_image = {entry["image"]: entry for entry in report["images"]}
    nginx = by_image["docker.io/library/nginx:1.25"]
    assert nginx["status"] == "mirrored" and nginx["status_by_probe"] == "mirrored"
    [probe] = nginx["probes"]
    assert (probe["host"], probe["outcome"], probe["predicted"], probe["agreement"]) == (
        MIRROR,
        "served",
        "holds",
        "agree",
    )
    assert by_image["ghcr.io/team/app:1"]["probes"] == []  # no mirror for ghcr.io
    assert report["summary"] == {
        "images": 2,
        "probes": 1,
        "hosts": 1,
        "outcomes": {"served": 1},
        "disagreements": 0,
    }


@responses.activate
def test_second_run_uses_cached_verdicts(setup: list[str]) -> None:
    mirror_answers("nginx", "1.25", 200)
    assert run("--image", "nginx:1.25", *setup)[0] == 0
    code, out, _ = run("--image", "nginx:1.25", *setup)
    assert code == 0 and "served (HTTP 200, cached)" in out
    assert len(responses.calls) == 1
    code, out, _ = run("--image", "nginx:1.25", *setup, "--cache-ttl", "0")
    assert code == 0 and "cached" not in out
    assert len(responses.calls) == 2


@responses.activate
def test_a_bad_image_is_reported_and_the_rest_probed(setup: list[str]) -> None:
    mirror_answers("nginx", "1.25", 200)
    code, out, err = run("--image", "Bad Image", "--image", "nginx:1.25", *setup)
    assert code == 2
    assert err.count("\n") == 1 and "'Bad Image' is not an image reference" in err
    assert "probe: served" in out


def test_usage_errors(setup: list[str], tmp_path: Path) -> None:
    code, _, err = run(*setup)
    assert code == 2 and "give manifest files" in err
    assert run("--image", "nginx", "--format", "xml")[0] == 2
    code, _, err = run("--image", "nginx", "--catalog", f"m.test={tmp_path / 'missing.txt'}")
    assert code == 2 and "missing.txt" in err


def test_probe_options_are_validated() -> None:
    assert run("--image", "nginx", "--concurrency", "0")[0] == 2
    assert run("--image", "nginx", "--rate", "0")[0] == 2


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: redis:7
      containers:
        - name: web
          image: nginx:1.25
        - name: sidecar
          image: nginx:1.25
"""


@responses.activate
def test_images_come_from_manifests_once_each(setup: list[str], tmp_path: Path) -> None:
    manifest = tmp_path / "deploy.yaml"
    manifest.write_text(DEPLOYMENT)
    mirror_answers("nginx", "1.25", 200)
    mirror_answers("redis", "7", 200)
    code, out, _ = run(str(manifest), *setup, "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert [entry["image"] for entry in report["images"]] == [
        "docker.io/library/nginx:1.25",
        "docker.io/library/redis:7",
    ]
    assert len(responses.calls) == 2  # nginx is used twice, probed once


@responses.activate
def test_stdin_and_an_unreadable_path(setup: list[str], tmp_path: Path) -> None:
    mirror_answers("nginx", "1.25", 200)
    mirror_answers("redis", "7", 404)
    code, out, err = run("-", str(tmp_path / "missing.yaml"), *setup, stdin=DEPLOYMENT)
    assert code == 2
    assert "missing.yaml" in err and "Traceback" not in err
    assert "probe: served" in out and "probe: not_found" in out


@responses.activate
def test_scans_runtime_options_choose_the_route_probed(tmp_path: Path) -> None:
    """``--k3s-registries`` as in scan: the mirror k3s's registries.yaml names is probed."""
    registries = tmp_path / "registries.yaml"
    registries.write_text(
        "mirrors:\n  docker.io:\n    endpoint:\n      - https://mirror.example.test\n"
    )
    mirror_answers("nginx", "1.25", 200)
    args = ["--image", "nginx:1.25", "--catalog", "mirror.example.test=all"]
    code, out, err = run(*args, "--k3s-registries", str(registries))
    assert (code, err) == (0, "")
    assert "docker.io/library/nginx:1.25  predicted: mirrored via " + MIRROR in out.splitlines()
    assert f"  {MIRROR}  catalogue: holds  probe: served (HTTP 200)" in out.splitlines()
    scan = CliRunner().invoke(
        app,
        ["scan", "-", *args[2:], "--k3s-registries", str(registries), "-f", "json"],
        input="apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "  - {name: c, image: nginx:1.25}\n",
    )
    (image,) = json.loads(scan.stdout)["images"]
    assert (image["status"], image["content_host"]) == ("mirrored", MIRROR)
