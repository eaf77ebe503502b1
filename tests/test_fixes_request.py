"""``coverage request``: the fewest lines, in the list's syntax, never one already covered."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from fixes_helpers import mirror_for, write_hosts, write_manifest
from typer.testing import CliRunner, Result

from analyzer.cli import app
from analyzer.engine import build_report
from analyzer.fixes.lines import covered_by
from analyzer.fixes.patch import patched
from analyzer.fixes.request import RequestPlan, plan_requests
from analyzer.mirrors import load_catalogues, load_mirror_config, parse_allows
from analyzer.mirrors.daocloud_lists import Pattern
from analyzer.mirrors.embedded import embedded_allows
from analyzer.sources import read_sources

runner = CliRunner()
FIXTURES = Path(__file__).parent.parent / "fixtures"
LIST = "quay.io/acme/existing\nquay.io/zeta/*\n"


def _plan(
    manifests: Path | str,
    hosts: Path | str,
    catalogs: list[str] | None = None,
    *,
    ignore: tuple[str, ...] = (),
    wildcard: bool = False,
) -> RequestPlan:
    config = load_mirror_config(hosts_dirs=[str(hosts)], node_default=None)
    catalogues = load_catalogues(catalogs or [])
    report = build_report(read_sources([str(manifests)]), config, catalogues, ignore=ignore)
    return plan_requests(report, config, catalogues, wildcard=wildcard)


def request_acme(acme: tuple[Path, Path, list[str]], *extra: str) -> Result:
    """``coverage request`` over the acme fixture (its hosts directory and list)."""
    manifests, hosts, catalogs = acme
    args = ["request", str(manifests), "--hosts-dir", str(hosts), "--catalog", catalogs[0]]
    return runner.invoke(app, [*args, *extra])


def assert_minimal(plan: RequestPlan) -> None:
    """No suggested line is covered by another suggested line or by a line of the list."""
    for lr in plan.lists:
        added = lr.added()
        assert len(set(added)) == len(added)
        for line in added:
            assert covered_by(line, added) is None, line
            assert covered_by(line, lr.listed.patterns.patterns) is None, line
            assert ":" not in line.path and "m.daocloud.io" not in line.host, line


@pytest.fixture
def acme(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """quay.io through mirror.example, whose list lacks three quay.io/acme images."""
    (tmp_path / "list.txt").write_text(LIST)
    hosts = write_hosts(
        tmp_path / "certs.d", {"quay.io": mirror_for("quay.io", "https://mirror.example")}
    )
    manifests = write_manifest(
        tmp_path / "m" / "app.yaml",
        ["quay.io/acme/a:1", "quay.io/acme/a:2", "quay.io/acme/b:1", "quay.io/acme/c:1"],
    )
    return manifests, hosts, [f"mirror.example={tmp_path / 'list.txt'}"]


def test_fixture_requests_are_minimal_and_make_the_images_mirrored(tmp_path: Path) -> None:
    plan = _plan(FIXTURES / "manifests", FIXTURES / "certs.d")
    assert [str(line) for line in plan.all_lines()] == [
        "ghcr.io/acme-shop/catalog-api",
        "ghcr.io/fluxcd/source-controller",
    ]
    assert_minimal(plan)
    # the patched list, given as ghcr's catalogue, makes both images mirrored
    new, removed = patched(
        (FIXTURES / "catalogs" / "daocloud-allows-2026-08.txt").read_text().splitlines(),
        plan.all_lines(),
        "allows.txt",
    )
    assert removed == []
    (tmp_path / "allows.txt").write_text("\n".join(new) + "\n")
    config = load_mirror_config(hosts_dirs=[str(FIXTURES / "certs.d")], node_default=None)
    catalogues = load_catalogues([f"ghcr.m.daocloud.io={tmp_path / 'allows.txt'}"])
    after = build_report(read_sources([str(FIXTURES / "manifests")]), config, catalogues)
    assert {r.image: r.status for r in after.images if r.registry == "ghcr.io"} == {
        "ghcr.io/acme-shop/catalog-api:2.3.0": "mirrored",
        "ghcr.io/fluxcd/source-controller:v1.4.1": "mirrored",
        "ghcr.io/open-telemetry/opentelemetry-collector-releases/"
        "opentelemetry-collector-contrib:0.110.0": "mirrored",
    }


def test_one_line_per_repository_and_the_broader_line_is_only_offered(acme: tuple) -> None:
    manifests, hosts, catalogs = acme
    plan = _plan(manifests, hosts, catalogs, ignore=("quay.io/acme/c",))
    (lr,) = plan.lists
    assert [str(r.line) for r in lr.lines] == ["quay.io/acme/a", "quay.io/acme/b"]
    assert lr.lines[0].images == ("quay.io/acme/a:1", "quay.io/acme/a:2")
    (broader,) = lr.broader
    assert str(broader.line) == "quay.io/acme/*" and not broader.applied
    # the ignored image, meant to come from upstream, would be opened up too: say so
    assert broader.also_opens == ("quay.io/acme/c:1",)
    assert [str(p) for p in broader.makes_redundant] == ["quay.io/acme/existing"]
    assert_minimal(plan)


def test_wildcard_replaces_the_lines_and_stays_minimal(acme: tuple) -> None:
    manifests, hosts, catalogs = acme
    plan = _plan(manifests, hosts, catalogs, wildcard=True)
    assert [str(line) for line in plan.all_lines()] == ["quay.io/acme/*"]
    assert plan.lists[0].lines[0].images == (
        "quay.io/acme/a:1",
        "quay.io/acme/a:2",
        "quay.io/acme/b:1",
        "quay.io/acme/c:1",
    )
    assert_minimal(plan)


def test_no_broader_line_for_docker_hub_official_images(tmp_path: Path) -> None:
    hosts = write_hosts(
        tmp_path / "certs.d", {"docker.io": mirror_for("docker.io", "https://hub.example")}
    )
    (tmp_path / "list.txt").write_text("docker.io/library/nginx\n")
    manifests = write_manifest(tmp_path / "m.yaml", ["zzz-one:1", "zzz-two:1"])
    plan = _plan(manifests, hosts, [f"hub.example={tmp_path / 'list.txt'}"], wildcard=True)
    assert [str(line) for line in plan.all_lines()] == [
        "docker.io/library/zzz-one",
        "docker.io/library/zzz-two",
    ]
    assert plan.lists[0].broader == ()


def test_covered_image_gets_no_request_and_says_why_it_falls_back(tmp_path: Path) -> None:
    hosts = write_hosts(
        tmp_path / "certs.d",
        {
            "quay.io": 'server = "https://quay.io"\n'
            '[host."https://quay.m.daocloud.io/custom"]\n'
            '  capabilities = ["pull", "resolve"]\n  override_path = true\n'
        },
    )
    manifests = write_manifest(tmp_path / "m.yaml", ["quay.io/prometheus/node-exporter:v1.8.2"])
    plan = _plan(manifests, hosts)
    (lr,) = plan.lists
    assert lr.lines == ()
    (covered,) = lr.covered
    assert covered.pattern == "quay.io/prometheus/*"
    assert "outside the Registry API" in covered.why
    result = runner.invoke(app, ["request", str(manifests), "--hosts-dir", str(hosts)])
    assert result.exit_code == 0, result.output
    assert "already covered by quay.io/prometheus/*" in result.stdout


def test_mirror_form_images_are_requested_by_their_upstream_name(tmp_path: Path) -> None:
    manifests = write_manifest(
        tmp_path / "m.yaml",
        ["m.daocloud.io/docker.io/acme-zz/tool:1", "quay.m.daocloud.io/acme-zz/x:2"],
    )
    config = load_mirror_config(node_default=None)  # the embedded DaoCloud set
    catalogues = load_catalogues()
    report = build_report(read_sources([str(manifests)]), config, catalogues)
    plan = plan_requests(report, config, catalogues)
    assert [str(line) for line in plan.all_lines()] == [
        "docker.io/acme-zz/tool",
        "quay.io/acme-zz/x",
    ]
    assert_minimal(plan)


def test_names_that_do_not_parse_are_refused(tmp_path: Path) -> None:
    manifests = write_manifest(tmp_path / "m.yaml", ["Nginx:latest", "ghcr.io/acme-shop/x:1"])
    result = runner.invoke(
        app,
        ["request", str(manifests), "--hosts-dir", str(FIXTURES / "certs.d"), "--image", "a b"],
    )
    assert result.exit_code == 2
    assert "--image 'a b': refused" in result.stderr
    assert "refused 'Nginx:latest'" in result.stdout
    assert "ghcr.io/acme-shop/x" in result.stdout


def test_registry_without_mirror_is_advice_not_a_line(tmp_path: Path) -> None:
    manifests = write_manifest(tmp_path / "m.yaml", ["ghcr.io/acme-shop/x:1"])
    hosts = write_hosts(
        tmp_path / "certs.d", {"ghcr.io": mirror_for("ghcr.io", "https://ghcr.example")}
    )
    plan = _plan(manifests, hosts, ["ghcr.example=none"])
    assert plan.lists == ()
    (item,) = plan.elsewhere
    assert (
        "add a mirror for ghcr.io" in item.advice and "--ignore ghcr.io/acme-shop/x" in item.advice
    )


def test_patch_places_lines_in_order_and_removes_what_a_wildcard_covers(acme: tuple) -> None:
    catalogs = acme[2]
    result = request_acme(acme, "-f", "patch", "--wildcard")
    assert result.exit_code == 0, result.output
    assert "-quay.io/acme/existing\n+quay.io/acme/*\n" in result.stdout
    _apply_and_check(result.stdout, LIST, Path(catalogs[0].partition("=")[2]).parent)


def _apply_and_check(diff: str, original: str, where: Path) -> None:
    if shutil.which("patch") is None:
        pytest.skip("patch is not installed")
    work = where / "apply"
    work.mkdir()
    (work / "list.txt").write_text(original)
    done = subprocess.run(
        ["patch", "-p1", "--dry-run", "-s"], input=diff, text=True, cwd=work, capture_output=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    subprocess.run(["patch", "-p1", "-s"], input=diff, text=True, cwd=work, check=True)
    text = (work / "list.txt").read_text()
    lines = text.splitlines()
    assert lines == sorted(lines, key=str.encode)
    assert parse_allows(text, "x").problems == ()


def _fixture_patch_applied_to(original: str, tmp_path: Path) -> str:
    """``request -f patch`` over the fixtures, a diff of allows.txt, applied to ``original``;
    the text it gives."""
    result = runner.invoke(
        app,
        [
            "request",
            str(FIXTURES / "manifests"),
            "--hosts-dir",
            str(FIXTURES / "certs.d"),
            "-f",
            "patch",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("--- a/allows.txt\n+++ b/allows.txt\n")
    work = tmp_path / "w"
    work.mkdir()
    diff = result.stdout.replace("a/allows.txt", "a/list.txt").replace("b/allows.txt", "b/list.txt")
    _apply_and_check(diff, original, work)
    return (work / "apply" / "list.txt").read_text()


def test_patch_against_the_embedded_list_applies(tmp_path: Path) -> None:
    original = (FIXTURES / "catalogs" / "daocloud-allows-2026-08.txt").read_text()
    assert "ghcr.io/acme-shop/catalog-api\n" in _fixture_patch_applied_to(original, tmp_path)
    assert len(embedded_allows().patterns) == 1320


def test_unsorted_list_gets_new_lines_at_its_end() -> None:
    new, _ = patched(
        ["quay.io/b/x", "quay.io/a/x"], (Pattern("quay.io", "c/x", "exact"),), "allows.txt"
    )
    assert new == ["quay.io/b/x", "quay.io/a/x", "quay.io/c/x"]
    new, _ = patched(
        ["quay.io/a/x", "quay.io/d/x"], (Pattern("quay.io", "c/x", "exact"),), "allows.txt"
    )
    assert new == ["quay.io/a/x", "quay.io/c/x", "quay.io/d/x"]


def test_mirror_txt_lists_get_exact_lines_only(tmp_path: Path, acme: tuple) -> None:
    manifests, hosts, _ = acme
    (tmp_path / "mirror.txt").write_text("quay.io/acme/existing\n")
    plan = _plan(manifests, hosts, [f"mirror.example={tmp_path / 'mirror.txt'}"], wildcard=True)
    (lr,) = plan.lists
    assert lr.format == "mirror.txt" and lr.broader == ()
    assert all(line.kind == "exact" for line in lr.added())


def test_issue_is_one_daocloud_template_body_per_organisation(tmp_path: Path) -> None:
    manifests = write_manifest(
        tmp_path / "m.yaml",
        ["ghcr.io/acme-shop/a:1", "ghcr.io/acme-shop/b:1", "ghcr.io/zz-org/c:1"],
    )
    result = runner.invoke(
        app, ["request", str(manifests), "--hosts-dir", str(FIXTURES / "certs.d"), "-f", "issue"]
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.count("<!-- issue ") == 2
    assert "title: allows: ghcr.io/acme-shop/a, ghcr.io/acme-shop/b" in out
    for label in (
        "### 白名单级别",
        "### 镜像仓库地址",
        "### 项目源码地址 或 组织地址",
        "### 补充说明",
    ):
        assert out.count(label) == 2
    assert "allows-image.yml" in out


def test_json_lists_lines_covered_and_elsewhere(acme: tuple) -> None:
    result = request_acme(acme, "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (lst,) = data["lists"]
    assert [a["line"] for a in lst["add"]] == ["quay.io/acme/a", "quay.io/acme/b", "quay.io/acme/c"]
    assert lst["broader"][0]["line"] == "quay.io/acme/*"
    assert data["refused"] == [] and data["elsewhere"] == []


def test_text_says_what_a_broader_line_would_open_before_suggesting_it(acme: tuple) -> None:
    result = request_acme(acme, "--ignore", "quay.io/acme/c")
    assert result.exit_code == 0, result.output
    assert (
        "a broader line quay.io/acme/* would replace quay.io/acme/a, quay.io/acme/b"
        in result.stdout
    )
    assert "quay.io/acme/c:1" in result.stdout


def test_patch_of_a_list_without_final_newline_applies(acme: tuple) -> None:
    list_file = Path(acme[2][0].partition("=")[2])
    list_file.write_text("quay.io/zeta/*")  # no final newline: DaoCloud's upload would drop it
    result = request_acme(acme, "-f", "patch")
    assert result.exit_code == 0, result.output
    assert "\\ No newline at end of file" in result.stdout
    _apply_and_check(result.stdout, "quay.io/zeta/*", list_file.parent)


def test_patch_against_the_downloaded_list_is_a_diff_of_allows_txt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from analyzer.store.cache import store_list
    from analyzer.store.defaults import DEFAULT_ALLOWS_URL, DEFAULT_NAME

    monkeypatch.setenv("IMAGE_COVERAGE_CACHE_DIR", str(tmp_path / "cache"))
    original = (FIXTURES / "catalogs" / "daocloud-allows-2026-08.txt").read_text()
    data = (original + "zzz.example/only-in-the-download/*\n").encode()
    store_list(DEFAULT_NAME, DEFAULT_ALLOWS_URL, data, entries=1322, etag=None, last_modified=None)
    patched_text = _fixture_patch_applied_to(data.decode(), tmp_path)
    assert "zzz.example/only-in-the-download/*" in patched_text
    assert "ghcr.io/fluxcd/source-controller\n" in patched_text
