"""The "how to fix" line of ``scan`` (table, Markdown, JSON) and ``explain``."""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources
from pathlib import Path

import jsonschema
from fixes_helpers import mirror_for, write_hosts, write_manifest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.engine import build_report
from analyzer.fixes.advice import attach_advice
from analyzer.mirrors import load_catalogues, load_mirror_config
from analyzer.report import Policy
from analyzer.sources import read_sources

runner = CliRunner()
FIXTURES = Path(__file__).parent.parent / "fixtures"
SCAN = ["scan", str(FIXTURES / "manifests"), "--hosts-dir", str(FIXTURES / "certs.d")]


def _schema_validator() -> jsonschema.Draft202012Validator:
    text = resources.files("analyzer").joinpath("data/report.schema.json").read_text("utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def _images(args: list[str]) -> dict[str, dict[str, object]]:
    result = runner.invoke(app, [*args, "-f", "json"])
    data = json.loads(result.stdout)
    _schema_validator().validate(data)
    return {i["image"]: i for i in data["images"]}


def test_json_advice_on_failing_images_only() -> None:
    images = _images(SCAN)
    advice = images["ghcr.io/fluxcd/source-controller:v1.4.1"]["advice"]
    assert advice == {
        "action": "request",
        "text": "ask ghcr.m.daocloud.io to add the line ghcr.io/fluxcd/source-controller to its "
        "list (coverage request writes the request); or --ignore "
        "ghcr.io/fluxcd/source-controller if it is meant to come from upstream.",
        "line": "ghcr.io/fluxcd/source-controller",
        "host": "ghcr.m.daocloud.io",
        "ignore": "ghcr.io/fluxcd/source-controller",
    }
    failing = {i for i, d in images.items() if d["advice"] is not None}
    assert failing == {
        "ghcr.io/fluxcd/source-controller:v1.4.1",
        "ghcr.io/acme-shop/catalog-api:2.3.0",
    }


def test_missing_mirror_advice_names_the_registry_and_the_preset() -> None:
    images = _images([*SCAN, "--fail-on", "direct"])
    advice = images["mcr.microsoft.com/dotnet/aspnet:8.0"]["advice"]
    assert isinstance(advice, dict) and advice["action"] == "add_mirror"
    assert "no mirror is configured for mcr.microsoft.com" in str(advice["text"])
    assert "--preset daocloud (https://mcr.m.daocloud.io)" in str(advice["text"])


def test_ignored_images_get_no_advice() -> None:
    images = _images([*SCAN, "--ignore", "ghcr.io/acme-shop/*"])
    assert images["ghcr.io/acme-shop/catalog-api:2.3.0"]["advice"] is None


def test_wrong_subdomain_and_missing_ca_are_configuration_advice(tmp_path: Path) -> None:
    hosts = write_hosts(
        tmp_path / "certs.d",
        {
            "ghcr.io": mirror_for("ghcr.io", "https://docker.m.daocloud.io"),
            "quay.io": 'server = "https://quay.io"\nca = "missing.crt"\n'
            '[host."https://quay.m.daocloud.io"]\n',
        },
    )
    manifests = write_manifest(tmp_path / "m.yaml", ["ghcr.io/fluxcd/flux:1", "quay.io/a/b:1"])
    images = _images(["scan", str(manifests), "--hosts-dir", str(hosts)])
    ghcr = images["ghcr.io/fluxcd/flux:1"]["advice"]
    assert isinstance(ghcr, dict) and ghcr["action"] == "fix_config"
    assert "serves only docker.io images, never ghcr.io: use https://ghcr.m.daocloud.io" in str(
        ghcr["text"]
    )
    quay = images["quay.io/a/b:1"]["advice"]
    assert isinstance(quay, dict) and quay["action"] == "fix_config"
    assert "missing.crt" in str(quay["text"])


def test_table_and_markdown_say_how_to_fix() -> None:
    table = runner.invoke(app, SCAN).stdout
    assert "How to fix (2 images)" in table
    assert "ask ghcr.m.daocloud.io to add the line ghcr.io/acme-shop/catalog-api" in table
    markdown = runner.invoke(app, [*SCAN, "-f", "markdown"]).stdout
    assert "#### How to fix" in markdown
    assert "--ignore ghcr.io/fluxcd/source-controller" in markdown


def test_explain_ends_with_the_same_advice() -> None:
    image = "ghcr.io/fluxcd/source-controller:v1.4.1"
    result = runner.invoke(app, ["explain", image, "--hosts-dir", str(FIXTURES / "certs.d")])
    expected = _images(SCAN)[image]["advice"]
    assert isinstance(expected, dict)
    assert result.stdout.rstrip().splitlines()[-1] == f"how to fix: {expected['text']}"


def test_advice_follows_the_route_whatever_the_status_is_called() -> None:
    """A status this module has never heard of still gets advice when the policy fails it."""
    config = load_mirror_config(hosts_dirs=[str(FIXTURES / "certs.d")], node_default=None)
    catalogues = load_catalogues()
    report = build_report(read_sources([str(FIXTURES / "manifests")]), config, catalogues)
    renamed = tuple(
        replace(r, route=replace(r.route, status="somethingnew")) if r.status == "fallback" else r
        for r in report.images
    )
    report = replace(report, images=renamed, policy=Policy(fail_on=frozenset({"somethingnew"})))
    advised = [r for r in attach_advice(report, config, catalogues).images if r.advice]
    assert {r.advice.action for r in advised if r.advice} == {"request"}
    assert len(advised) == 2


# -- mirrors that serve one kind of reference only -------------------------------------------

REGISTRY = '[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n'


def _conf_advice(tmp_path: Path, conf: str, image: str) -> dict[str, object]:
    (tmp_path / "registries.conf").write_text(conf)
    manifests = write_manifest(tmp_path / "m.yaml", [image])
    args = ["scan", str(manifests), "--registries-conf", str(tmp_path / "registries.conf")]
    args += ["--fail-on", "fallback,direct"]
    advice = _images(args)[image]["advice"]
    assert isinstance(advice, dict)
    return advice


def test_a_digest_only_mirror_is_not_no_mirror(tmp_path: Path) -> None:
    conf = REGISTRY + '[[registry.mirror]]\nlocation = "hub.example.com"\n'
    advice = _conf_advice(
        tmp_path, conf + 'pull-from-mirror = "digest-only"\n', "docker.io/library/nginx:1.27"
    )
    text = str(advice["text"])
    assert "no mirror is configured" not in text
    assert advice["action"] == "fix_config" and advice["host"] == "hub.example.com"
    assert 'serve pulls by digest only (pull-from-mirror = "digest-only" in ' in text
    assert "pin it by digest (docker.io/library/nginx@sha256:...)" in text
    assert 'set pull-from-mirror = "all" on the mirror hub.example.com' in text


def test_mirror_by_digest_only_names_that_setting(tmp_path: Path) -> None:
    conf = REGISTRY + 'mirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "h.io"\n'
    text = str(_conf_advice(tmp_path, conf, "docker.io/library/nginx:1.27")["text"])
    assert "no mirror is configured" not in text
    assert "mirror-by-digest-only = true on prefix docker.io" in text
    assert "remove mirror-by-digest-only" in text


def test_a_tag_only_mirror_and_a_digest_reference(tmp_path: Path) -> None:
    conf = REGISTRY + '[[registry.mirror]]\nlocation = "h.io"\npull-from-mirror = "tag-only"\n'
    image = "docker.io/library/nginx@sha256:" + "a" * 64
    text = str(_conf_advice(tmp_path, conf, image)["text"])
    assert "no mirror is configured" not in text
    assert 'serve pulls by tag only (pull-from-mirror = "tag-only" in ' in text


def test_no_mirror_at_all_is_still_said_so(tmp_path: Path) -> None:
    text = str(_conf_advice(tmp_path, REGISTRY, "docker.io/library/nginx:1.27")["text"])
    assert "no mirror is configured for docker.io" in text


def test_a_pull_only_containerd_mirror_says_it_cannot_resolve_tags(tmp_path: Path) -> None:
    pull_only = 'server = "https://registry-1.docker.io"\n[host."https://hub.example.com"]\n'
    hosts = write_hosts(
        tmp_path / "certs.d", {"docker.io": pull_only + '  capabilities = ["pull"]\n'}
    )
    manifests = write_manifest(tmp_path / "m.yaml", ["docker.io/library/nginx:1.27"])
    args = ["scan", str(manifests), "--hosts-dir", str(hosts), "--fail-on", "partial"]
    advice = _images(args)["docker.io/library/nginx:1.27"]["advice"]
    assert isinstance(advice, dict) and advice["action"] == "fix_config"
    text = str(advice["text"])
    assert "hub.example.com holds it but may not resolve tags (its capabilities in " in text
    assert "pin the image by digest" in text and '["pull", "resolve"]' in text
    listed = tmp_path / "list.txt"
    listed.write_text("docker.io/library/redis\n")
    request = _images([*args, "--fail-on", "fallback", "--catalog", f"hub.example.com={listed}"])
    text = str(request["docker.io/library/nginx:1.27"]["advice"])
    assert "add the line docker.io/library/nginx" in text
    assert 'it may not resolve tags either (no "resolve" capability)' in text


def test_path_prefix_host_named_without_a_registry_is_a_configuration_to_fix(
    tmp_path: Path,
) -> None:
    """``m.daocloud.io`` as a mirror whose path names no registry is refused whatever its
    list holds (DaoCloud/crproxy utils.go ``ParseOriginPathInfo``): the advice says how to
    name the registry, not that the list already covers the image."""
    write_hosts(tmp_path / "certs.d", {"docker.io": '[host."https://m.daocloud.io"]\n'})
    conf = tmp_path / "registries.conf"
    conf.write_text(
        '[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n'
        '[[registry.mirror]]\nlocation = "m.daocloud.io"\n'
    )
    for options in (
        ["--hosts-dir", str(tmp_path / "certs.d")],
        ["--runtime", "crio", "--registries-conf", str(conf)],
    ):
        result = runner.invoke(app, ["explain", "docker.io/library/nginx:1.25", *options])
        advice = result.stdout.split("how to fix: ", 1)[1]
        assert advice.startswith("m.daocloud.io holds docker.io/library/nginx, but "), advice
        assert "/v2/library/nginx names no registry" in advice
        assert "already covered" not in advice
