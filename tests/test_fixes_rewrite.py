"""``coverage rewrite``: only images the mirror holds are rewritten; the rest stay, with why."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from fixes_helpers import write_manifest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.mirrors import load_catalogues
from analyzer.mirrors.mirror_form import mirror_form
from analyzer.reference import parse_image

runner = CliRunner()
FIXTURES = Path(__file__).parent.parent / "fixtures"


def _json(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["rewrite", *args, "-f", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize("style", ["path", "subdomain"])
def test_every_rewrite_is_held_by_the_mirror_and_names_the_same_image(style: str) -> None:
    data = _json(str(FIXTURES / "manifests"), "--style", style)
    images = data["images"]
    assert isinstance(images, dict) and len(images) == 15
    catalogues = load_catalogues()
    for old, new in images.items():
        before, after = parse_image(old), parse_image(new)
        form = mirror_form(after)
        assert form is not None and form.upstream == before, (old, new)
        assert catalogues.for_host(after.domain).holds(before), new
    kept = {k["reference"]: k["reason"] for k in data["kept"]}  # type: ignore[union-attr]
    assert (
        "does not hold ghcr.io/acme-shop/catalog-api" in kept["ghcr.io/acme-shop/catalog-api:2.3.0"]
    )
    assert "no fallback" in kept["acme/report-fetcher:1.4"]
    assert "args or env" in kept["quay.io/prometheus-operator/prometheus-config-reloader:v0.77.1"]


def test_a_name_with_one_tag_not_held_is_not_rewritten(tmp_path: Path) -> None:
    (tmp_path / "mirror.txt").write_text("docker.io/library/nginx:1.25\n")
    manifests = write_manifest(tmp_path / "m.yaml", ["nginx:1.25", "nginx:1.27"])
    result = runner.invoke(
        app, ["rewrite", str(manifests), "--catalog", f"m.daocloud.io={tmp_path / 'mirror.txt'}"]
    )
    assert result.exit_code == 0, result.output
    assert "images: []" in result.stdout
    assert "not every tag of nginx is held" in result.stdout


def test_images_already_in_a_mirror_form_stay(tmp_path: Path) -> None:
    manifests = write_manifest(tmp_path / "m.yaml", ["m.daocloud.io/docker.io/library/nginx:1"])
    data = _json(str(manifests))
    assert data["images"] == {}
    assert "already in a mirror's form" in data["kept"][0]["reason"]  # type: ignore[index]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with kustomize) not on PATH")
def test_kustomize_block_rewrites_exactly_the_held_container_images(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "manifests" / "shop", tmp_path / "shop")
    result = runner.invoke(app, ["rewrite", str(tmp_path / "shop")])
    assert result.exit_code == 0, result.output
    block = yaml.safe_load(result.stdout)
    resources = sorted(p.name for p in (tmp_path / "shop").glob("*.yaml"))
    block["resources"] = [f"shop/{name}" for name in resources]
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(block))
    built = subprocess.run(
        ["kubectl", "kustomize", str(tmp_path)], capture_output=True, text=True, check=True
    ).stdout
    images = sorted(
        line.split("image:", 1)[1].strip() for line in built.splitlines() if "image:" in line
    )
    expected = _json(str(tmp_path / "shop"), "-f", "json")  # the same plan as a map
    mapped = expected["images"]
    assert isinstance(mapped, dict)
    kept = [k["reference"] for k in expected["kept"]]  # type: ignore[union-attr]
    assert images == sorted([*mapped.values(), *kept])


def test_helm_sets_for_the_image_fields_of_a_values_file(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(
        "image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 7.2.5\n"
        "metrics:\n  image:\n    repository: quay.io/prometheus/node-exporter\n    tag: v1\n"
        "sidecars:\n  - name: s\n    image: ghcr.io/acme-shop/x:1\n"
        "proxy.io:\n  initImage: busybox:1.36\n"
    )
    result = runner.invoke(app, ["rewrite", str(values), "-f", "helm"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "--set image.registry=m.daocloud.io/docker.io \\" in out
    assert "--set image.repository=bitnami/redis \\" in out
    assert "--set metrics.image.repository=m.daocloud.io/quay.io/prometheus/node-exporter" in out
    assert "--set 'proxy\\.io.initImage=m.daocloud.io/docker.io/library/busybox:1.36'" in out
    assert "sidecars[0].image" in out and "does not hold ghcr.io/acme-shop/x" in out
    assert not out.rstrip().endswith("\\")


def test_bad_values_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("image: [unclosed\n")
    result = runner.invoke(app, ["rewrite", str(values), "-f", "helm"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"coverage rewrite: {values}:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_style_and_format_are_usage_errors() -> None:
    assert runner.invoke(app, ["rewrite", "x", "--style", "odd"]).exit_code == 2
    assert runner.invoke(app, ["rewrite", "x", "-f", "odd"]).exit_code == 2
