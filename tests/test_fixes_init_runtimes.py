"""``coverage mirrors init --runtime k3s|rke2|crio|podman``: what is written, read back by the
analyser's own k3s ``registries.yaml`` and containers ``registries.conf`` readers, routes the
fixtures exactly as the embedded DaoCloud defaults (and as ``--for`` promised)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.engine import build_report
from analyzer.fixes.init import route_differences
from analyzer.fixes.writers import WRITERS
from analyzer.mirrors import load_catalogues, load_mirror_config
from analyzer.sources import read_sources

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

runner = CliRunner()
MANIFESTS = str(Path(__file__).parent.parent / "fixtures" / "manifests")
DROP_IN = "registries.conf.d/50-image-coverage-mirrors.conf"


def _routes(**config_kwargs: object) -> dict[str, tuple[str, str | None, str | None]]:
    config = load_mirror_config(node_default=None, **config_kwargs)  # type: ignore[arg-type]
    report = build_report(read_sources([MANIFESTS]), config, load_catalogues())
    return {r.image: (r.status, r.route.resolve_host, r.route.content_host) for r in report.images}


def _init(target: Path, runtime: str, *args: str) -> str:
    result = runner.invoke(app, ["mirrors", "init", str(target), "--runtime", runtime, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _scan_options(runtime: str, target: Path) -> list[str]:
    if runtime in ("k3s", "rke2"):
        return ["--runtime", runtime, "--k3s-registries", str(target / "registries.yaml")]
    return ["--runtime", runtime, "--registries-conf-d", str(target / "registries.conf.d")]


@pytest.mark.parametrize("program", ["k3s", "rke2"])
def test_k3s_preset_routes_exactly_as_the_embedded_defaults(tmp_path: Path, program: str) -> None:
    out = _init(tmp_path, program, "--preset", "daocloud")
    assert "every registry routes as predicted" in out
    written = tmp_path / "registries.yaml"
    assert _routes(k3s_registries=str(written), k3s_program=program) == _routes()
    import yaml

    doc = yaml.safe_load(written.read_text())
    assert set(doc) == {"mirrors"}
    assert doc["mirrors"]["docker.io"] == {"endpoint": ["https://docker.m.daocloud.io"]}
    for registry, entry in doc["mirrors"].items():
        # k3s adds the registry itself: listing it would be a second, redundant endpoint
        assert len(entry["endpoint"]) == 1 and entry["endpoint"][0].startswith("https://")
        assert registry not in entry["endpoint"][0]
    hub = load_mirror_config(k3s_registries=str(written), node_default=None).hosts_for("docker.io")
    assert [h.url for h in hub.hosts] == [
        "https://docker.m.daocloud.io/v2",
        "https://registry-1.docker.io/v2",
    ]
    assert oct(written.stat().st_mode & 0o777) == "0o644"


@pytest.mark.parametrize("program", ["crio", "podman"])
def test_crio_drop_in_routes_exactly_as_the_embedded_defaults(tmp_path: Path, program: str) -> None:
    out = _init(tmp_path, program, "--preset", "daocloud")
    assert "every registry routes as predicted" in out
    assert [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()] == [DROP_IN]
    assert _routes(registries_conf_d=str(tmp_path / "registries.conf.d")) == _routes()
    doc = tomllib.loads((tmp_path / DROP_IN).read_text())
    hub = next(r for r in doc["registry"] if r["prefix"] == "docker.io")
    assert hub == {
        "prefix": "docker.io",
        "location": "docker.io",
        "mirror": [{"location": "docker.m.daocloud.io"}],
    }
    locations = [m["location"] for r in doc["registry"] for m in r["mirror"]]
    assert not [loc for loc in locations if "://" in loc]  # containers/image refuses schemes


@pytest.mark.parametrize("runtime", ["k3s", "crio"])
def test_for_after_line_is_what_a_scan_of_the_written_files_says(
    tmp_path: Path, runtime: str
) -> None:
    out = _init(tmp_path, runtime, "--preset", "daocloud", "--for", MANIFESTS)
    assert "left out: dhi.io, docker.elastic.co, k8s.gcr.io, nvcr.io" in out
    scan = runner.invoke(app, ["scan", MANIFESTS, *_scan_options(runtime, tmp_path), "-f", "json"])
    summary = json.loads(scan.stdout)["summary"]
    after = next(line for line in out.splitlines() if line.startswith("after"))
    assert summary["coverage_percent"] == 75
    assert f"coverage {summary['coverage_percent']:g}%" in after
    assert f"{summary['by_status']['mirrored']} mirrored" in after


def test_crio_http_mirror_is_insecure_without_a_scheme_and_ports_are_kept(tmp_path: Path) -> None:
    out = _init(
        tmp_path,
        "crio",
        "--mirror",
        "registry.local:5000=http://127.0.0.1:5001",
        "--mirror",
        "docker.io=https://a.example:8443",
        "--mirror",
        "docker.io=https://docker.m.daocloud.io",
    )
    assert "insecure = true" in out
    doc = tomllib.loads((tmp_path / DROP_IN).read_text())
    assert doc["registry"] == [
        {
            "prefix": "registry.local:5000",
            "location": "registry.local:5000",
            "mirror": [{"location": "127.0.0.1:5001", "insecure": True}],
        },
        {
            "prefix": "docker.io",
            "location": "docker.io",
            "mirror": [{"location": "a.example:8443"}, {"location": "docker.m.daocloud.io"}],
        },
    ]
    config = WRITERS["crio"].load(tmp_path)
    assert not config.errors
    hub = config.hosts_for_ref(_ref("docker.io", "library/nginx"))
    assert [h.url for h in hub.hosts] == [
        "https://a.example:8443/v2",
        "https://docker.m.daocloud.io/v2",
        "https://registry-1.docker.io/v2",
    ]
    local = config.hosts_for_ref(_ref("registry.local:5000", "team/app"))
    assert [(h.url, h.skip_verify) for h in local.hosts] == [
        ("https://127.0.0.1:5001/v2", True),
        ("https://registry.local:5000/v2", False),
    ]


def _ref(domain: str, path: str) -> object:
    from analyzer.reference import ImageRef

    return ImageRef(domain, path, tag="1")


def test_crio_reads_the_main_registries_conf_beside_the_drop_in(tmp_path: Path) -> None:
    (tmp_path / "registries.conf").write_text(
        '[[registry]]\nprefix = "quay.io"\nlocation = "quay.io"\nblocked = true\n'
    )
    _init(tmp_path, "podman", "--mirror", "docker.io=https://hub.example")
    config = WRITERS["podman"].load(tmp_path)
    quay = config.hosts_for_ref(_ref("quay.io", "x/y"))
    assert quay.hosts[-1].blocked  # the main file still counts on the node
    hub = config.hosts_for_ref(_ref("docker.io", "library/nginx"))
    assert [h.url for h in hub.hosts] == [
        "https://hub.example/v2",
        "https://registry-1.docker.io/v2",
    ]


def test_route_check_sees_a_changed_drop_in(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    _init(first, "crio", "--mirror", "docker.io=https://one.example")
    _init(second, "crio", "--mirror", "docker.io=https://two.example")
    problems = route_differences(
        WRITERS["crio"].load(first), WRITERS["crio"].load(second), ["docker.io"]
    )
    assert problems == [
        "docker.io: the written configuration routes through "
        "https://two.example/v2 -> https://registry-1.docker.io/v2"
    ]


@pytest.mark.parametrize(("runtime", "path"), [("k3s", "registries.yaml"), ("crio", DROP_IN)])
def test_never_overwrites_without_force_and_dry_run_writes_nothing(
    tmp_path: Path, runtime: str, path: str
) -> None:
    target = tmp_path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("# the node's own file\n")
    args = [
        "mirrors",
        "init",
        str(tmp_path),
        "--runtime",
        runtime,
        "--mirror",
        "quay.io=https://q.x",
    ]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert f"{target}: exists and differs; nothing written (--force replaces it)" in refused.stderr
    dry = runner.invoke(app, [*args, "--dry-run"])
    assert dry.exit_code == 0
    assert f"--- would write {target} (replaces the file)" in dry.stdout
    assert target.read_text() == "# the node's own file\n"
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert "q.x" in target.read_text()
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and f"unchanged {target}" in again.stdout


def test_a_refused_file_beside_the_drop_in_writes_nothing(tmp_path: Path) -> None:
    main = tmp_path / "registries.conf"
    main.write_text('[[registry]]\nprefix = "quay.io"\nlocation = "https://quay.io"\n')
    args = [
        "mirrors",
        "init",
        str(tmp_path),
        "--runtime",
        "crio",
        "--mirror",
        "docker.io=https://h.x",
    ]
    for extra in ([], ["--dry-run"]):
        result = runner.invoke(app, [*args, *extra])
        assert result.exit_code == 2, extra
        assert result.stderr.startswith(
            "coverage mirrors init: error: docker.io: with the new files every pull would fail: "
            f"{main}:3: [[registry]] #1: location: invalid location 'https://quay.io': URI "
            "schemes are not supported"
        )
        assert "image-coverage-init-" not in result.output  # the staged copy's path
        assert "nothing written" in result.stderr
        assert not (tmp_path / "registries.conf.d").exists()
