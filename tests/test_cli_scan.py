"""``coverage scan`` end to end on the fixtures: statuses, gate, exit codes, settings, secrets."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from analyzer.cli import app

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = ROOT / "fixtures" / "manifests"
CERTS_D = ROOT / "fixtures" / "certs.d"
SCHEMA = ROOT / "analyzer" / "data" / "report.schema.json"
#: the Authorization header value in fixtures/certs.d/docker.io/hosts.toml
SECRET = "c2hvcDpzM2NyM3QtdG9rZW4="


def run(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, ["scan", *args], input=stdin)


def scan_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = run(str(MANIFESTS), "--hosts-dir", str(CERTS_D), "-f", "json", *args)
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No settings file from the repository, no cache from the user, no node hosts dir."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IMAGE_COVERAGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("IMAGE_COVERAGE_NODE_HOSTS_DIR", str(tmp_path / "no-such-certs.d"))


def test_fixture_statuses_follow_the_hosts_directory() -> None:
    code, report = scan_json()
    assert code == 1  # fallbacks fail the default gate
    status = {i["image"]: i["status"] for i in report["images"]}
    assert status["docker.io/library/nginx:1.27-alpine"] == "mirrored"
    assert status["docker.io/library/busybox:1.36"] == "mirrored"
    assert status["ghcr.io/acme-shop/catalog-api:2.3.0"] == "fallback"
    assert status["ghcr.io/fluxcd/source-controller:v1.4.1"] == "fallback"
    # docker.m.daocloud.io does not list acme/*; the pull-only hub cache serves the content
    assert status["docker.io/acme/report-fetcher:1.4"] == "partial"
    # the private registry's pull-only cache: by digest it does everything, by tag it cannot
    billing = next(i for i in report["images"] if "payments/billing" in i["image"])
    assert billing["status"] == "mirrored"
    assert billing["image"].endswith(
        "@sha256:7d1b5c2d9b8e3f4a6c0e1d2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b"
    )
    assert status["registry.internal.example:5000/payments/ledger-sync:1.9.0"] == "partial"
    assert status["mcr.microsoft.com/dotnet/aspnet:8.0"] == "direct"
    assert status["quay.io/prometheus/prometheus:v2.54.1"] == "mirrored"  # a CRD's spec.image
    # the config-reloader passed in args is indirect: not routed unless asked for
    assert not any("prometheus-config-reloader" in image for image in status)
    assert report["summary"]["by_status"]["fallback"] == 2


def test_where_each_image_is_used_is_reported() -> None:
    _, report = scan_json()
    catalog_api = next(i for i in report["images"] if "catalog-api" in i["image"])
    (use,) = catalog_api["uses"]
    assert use["file"].endswith("shop/catalog-api.yaml")
    assert (use["kind"], use["name"], use["container"]) == ("Deployment", "catalog-api", "api")
    assert use["line"] == 20
    assert catalog_api["resolve_host"] == catalog_api["content_host"] == "https://ghcr.io/v2"
    certgen = next(i for i in report["images"] if "kube-webhook-certgen" in i["image"])
    assert len(certgen["uses"]) == 2
    assert {u["source"] for u in certgen["uses"]} == {
        "ingress-nginx/templates/admission-webhooks/job-patch/job-createSecret.yaml",
        "ingress-nginx/templates/admission-webhooks/job-patch/job-patchWebhook.yaml",
    }


def test_json_report_matches_its_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    _, report = scan_json("--include", "indirect")
    jsonschema.validate(report, json.loads(SCHEMA.read_text()))
    assert report["schema_version"] == 1
    reloader = [i for i in report["images"] if "prometheus-config-reloader" in i["image"]]
    assert [u["class"] for u in reloader[0]["uses"]] == ["indirect"]


def test_mirror_table_says_which_images_each_mirror_covers() -> None:
    _, report = scan_json()
    by_host = {(m["host"], m["registry"]): m for m in report["mirrors"]}
    quay = by_host[("https://quay.m.daocloud.io/v2", "quay.io")]
    assert "quay.io/prometheus/node-exporter:v1.8.2" in quay["images"]
    assert quay["assumed"] is False
    hub_cache = by_host[("https://hub-cache.shop.internal/v2", "docker.io")]
    assert hub_cache["images"] == ["docker.io/acme/report-fetcher:1.4"]
    assert hub_cache["assumed"] is True


def test_ignore_and_fail_on_make_the_gate_pass() -> None:
    code, report = scan_json("--ignore", "ghcr.io/acme-shop/*", "--ignore", "ghcr.io/fluxcd/**")
    assert code == 0, report["summary"]
    assert report["passed"] is True
    assert report["summary"]["ignored"] == 2
    code, _ = scan_json("--fail-on", "blocked")
    assert code == 0


def test_partial_can_fail_the_gate_and_min_coverage_too() -> None:
    code, _ = scan_json("--fail-on", "partial", "--ignore", "ghcr.io/**")
    assert code == 1
    code, report = scan_json("--fail-on", "blocked", "--min-coverage", "95")
    assert code == 1
    assert report["summary"]["coverage_percent"] < 95


def test_repeated_fail_on_adds_up() -> None:
    # a second --fail-on used to replace the first: "--fail-on fallback --fail-on blocked"
    # gated on blocked alone and passed the fixtures' fallbacks
    for order in (("fallback", "blocked"), ("blocked", "fallback")):
        code, report = scan_json("--fail-on", order[0], "--fail-on", order[1])
        assert code == 1, report["policy"]
        assert report["policy"]["fail_on"] == ["blocked", "fallback"]
    result = run(str(MANIFESTS), "--fail-on", "blocked", "--fail-on", "")
    assert result.exit_code == 2
    assert "--fail-on is empty" in result.stderr
    result = run(str(MANIFESTS), "--fail-on", "none", "--fail-on", "fallback")
    assert result.exit_code == 2
    assert "cannot be combined" in result.stderr


def test_embedded_defaults_when_nothing_is_configured() -> None:
    result = run(str(MANIFESTS))
    assert "embedded DaoCloud defaults" in result.stdout
    code_json = run(str(MANIFESTS), "-f", "json")
    report = json.loads(code_json.stdout)
    status = {i["image"]: i["status"] for i in report["images"]}
    assert status["mcr.microsoft.com/dotnet/aspnet:8.0"] == "mirrored"  # mcr.m.daocloud.io
    assert status["docker.io/acme/report-fetcher:1.4"] == "fallback"  # no hub cache here
    assert status["registry.internal.example:5000/payments/ledger-sync:1.9.0"] == "direct"


def test_table_is_readable_and_names_fallbacks_and_their_cause() -> None:
    result = run(str(MANIFESTS), "--hosts-dir", str(CERTS_D))
    assert result.exit_code == 1
    out = result.stdout
    assert "ghcr.io/acme-shop/catalog-api:2.3.0" in out
    assert "shop/catalog-api.yaml:20" in out
    assert "FAIL" in out
    assert "\x1b[" not in out  # no colour when not on a terminal


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown", "junit", "sarif", "github"])
def test_header_values_never_appear_in_any_format(fmt: str) -> None:
    result = run(str(MANIFESTS), "--hosts-dir", str(CERTS_D), "-f", fmt)
    assert result.exit_code == 1
    assert result.stdout
    assert SECRET not in result.stdout
    assert SECRET not in (result.stderr or "")


def test_csv_has_a_row_per_use() -> None:
    result = run(str(MANIFESTS), "--hosts-dir", str(CERTS_D), "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    certgen = [r for r in rows if "kube-webhook-certgen" in r["image"]]
    assert len(certgen) == 2
    assert {r["status"] for r in certgen} == {"mirrored"}


def test_output_file_and_verdict_on_stderr(tmp_path: Path) -> None:
    target = tmp_path / "out" / "coverage.sarif"
    result = run(str(MANIFESTS), "--hosts-dir", str(CERTS_D), "-f", "sarif", "-o", str(target))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "FAIL" in result.stderr and str(target) in result.stderr
    sarif = json.loads(target.read_text())
    assert sarif["version"] == "2.1.0"


def test_stdin_is_read_with_a_dash() -> None:
    manifest = (MANIFESTS / "shop" / "catalog-api.yaml").read_text()
    result = run("-", "--hosts-dir", str(CERTS_D), "-f", "json", stdin=manifest)
    report = json.loads(result.stdout)
    assert [i["image"] for i in report["images"]] == [
        "ghcr.io/acme-shop/catalog-api:2.3.0",
        "ghcr.io/open-telemetry/opentelemetry-collector-releases/"
        "opentelemetry-collector-contrib:0.110.0",
    ]
    assert report["images"][0]["uses"][0]["file"] == "<stdin>"


def test_unreadable_input_exits_2_but_the_rest_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: Pod\nspec: [unclosed\n")
    good = MANIFESTS / "platform" / "metrics-server.yaml"
    result = run(
        str(good),
        str(broken),
        str(tmp_path / "missing.yaml"),
        "-f",
        "json",
        "--hosts-dir",
        str(CERTS_D),
    )
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert [i["status"] for i in report["images"]] == ["mirrored"]
    files = {Path(e["file"]).name for e in report["errors"]}
    assert {"broken.yaml", "missing.yaml"} <= files
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-on", "fallback,sometimes"], "unknown status in --fail-on: sometimes"),
        (["-f", "yaml"], "unknown --format 'yaml'"),
        (["--include", "everything"], "unknown --include everything"),
        (["--catalog", "no-equals-sign"], "HOST=SOURCE"),
        (["--ignore", "not a pattern"], "--ignore:1:"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = run(str(MANIFESTS), *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_no_paths_is_a_usage_error() -> None:
    result = run()
    assert result.exit_code == 2
    assert "give at least one manifest" in result.stderr


def test_settings_file_is_found_and_flags_win(tmp_path: Path) -> None:
    (tmp_path / "image-coverage.toml").write_text(
        f'paths = ["{MANIFESTS}"]\nhosts-dir = ["{CERTS_D}"]\nformat = "json"\n'
        'ignore = ["ghcr.io/**"]\n'
    )
    result = run()
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["ignored"] == 3  # every ghcr.io image
    result = run("-f", "csv")
    assert result.stdout.startswith("image,")


def test_broken_settings_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "image-coverage.toml").write_text("hosts-dir = [\n")
    result = run(str(MANIFESTS))
    assert result.exit_code == 2
    assert "image-coverage.toml: invalid TOML" in result.stderr


def test_empty_stdin_is_an_error_not_a_pass() -> None:
    result = run("-", "--hosts-dir", str(CERTS_D), stdin="")
    assert result.exit_code == 2
    assert "standard input is empty" in result.stdout + result.stderr


@pytest.mark.parametrize("fmt", ["table", "json", "sarif", "junit", "github"])
def test_an_empty_rendered_file_is_an_error_not_a_pass(fmt: str, tmp_path: Path) -> None:
    rendered = tmp_path / "all.yaml"
    rendered.write_text("---\n# Source: chart/templates/none.yaml\n")  # helm rendered nothing
    result = run(str(rendered), "--hosts-dir", str(CERTS_D), "-f", fmt)
    assert result.exit_code == 2, result.output
    assert "empty or only comments" in result.stdout + result.stderr


def test_mirror_flags_replace_the_settings_files_mirror_configuration(tmp_path: Path) -> None:
    (tmp_path / "image-coverage.toml").write_text('hosts-dir = ["somewhere-else"]\n')
    daemon = tmp_path / "daemon.json"
    daemon.write_text('{"registry-mirrors": ["https://hub.example"]}\n')
    result = run(
        str(MANIFESTS / "shop" / "storefront.yaml"), "--docker-daemon", str(daemon), "-f", "json"
    )
    report = json.loads(result.stdout)
    assert "somewhere-else" not in report["configuration"]
    assert {i["content_host"] for i in report["images"]} == {"https://hub.example/v2"}


def test_output_writes_through_a_symlink_and_dash_is_stdout(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    result = run(str(MANIFESTS), "--hosts-dir", str(CERTS_D), "-f", "json", "-o", str(link))
    assert link.is_symlink()
    assert json.loads(target.read_text())["schema_version"] == 1
    result = run(str(MANIFESTS), "--hosts-dir", str(CERTS_D), "-f", "json", "-o", "-")
    assert json.loads(result.stdout)["schema_version"] == 1
    assert not (tmp_path / "-").exists()


def test_report_file_gets_the_umasks_permissions(tmp_path: Path) -> None:
    import os
    import stat

    old = os.umask(0o022)
    try:
        target = tmp_path / "coverage.json"
        run(str(MANIFESTS), "--hosts-dir", str(CERTS_D), "-f", "json", "-o", str(target))
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_folder_without_manifests_is_an_error_not_a_pass(tmp_path: Path) -> None:
    empty = tmp_path / "charts-not-rendered"
    empty.mkdir()
    (empty / "README.md").write_text("no manifests here\n")
    result = run(str(empty), "-f", "json")
    assert result.exit_code == 2
    errors = json.loads(result.stdout)["errors"]
    assert errors[0]["message"] == "no .yaml, .yml or .json file in this folder"


def test_an_ignore_file_that_is_not_text_is_a_usage_error(tmp_path: Path) -> None:
    binary = tmp_path / "ignore.bin"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    result = run(str(MANIFESTS), "--ignore-file", str(binary))
    assert result.exit_code == 2
    assert "not UTF-8 text" in result.stderr


def test_an_ignore_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Windows editors start a UTF-8 file with a byte order mark: it was read as part of
    the first pattern, which was then refused (exit 2)."""
    patterns = tmp_path / "ignore.txt"
    patterns.write_bytes(b"\xef\xbb\xbfghcr.io/fluxcd/**\n")
    args = [str(MANIFESTS), "--hosts-dir", str(CERTS_D), "-f", "json"]
    result = run(*args, "--ignore-file", str(patterns))
    assert result.exit_code != 2, result.stderr
    ignored = {i["image"] for i in json.loads(result.stdout)["images"] if i["ignored"]}
    assert ignored == {"ghcr.io/fluxcd/source-controller:v1.4.1"}


def test_scan_reads_the_hosts_directories_of_its_registries_and_doctor_all(
    tmp_path: Path,
) -> None:
    root = tmp_path / "certs.d"
    (root / "registry.k8s.io").mkdir(parents=True)
    (root / "registry.k8s.io" / "hosts.toml").write_text(
        '[host."https://k8s-cache.example"]\n  capabilities = ["pull", "resolve"]\n'
    )
    (root / "quay.io").mkdir()  # broken, and no image of this scan uses quay.io
    (root / "quay.io" / "host.toml").write_text('[host."https://q.example"]\n')
    manifest = MANIFESTS / "platform" / "metrics-server.yaml"
    result = run(str(manifest), "--hosts-dir", str(root), "-f", "json")
    code, report = result.exit_code, json.loads(result.stdout)
    assert code == 0, result.output
    assert (
        "(1 directory read, 1 other not read: no image uses it, coverage doctor"
        in (report["configuration"])
    )
    assert [m["registry"] for m in report["mirrors"]] == ["registry.k8s.io"]
    assert report["findings"] == []
    doctor = CliRunner().invoke(app, ["doctor", "--hosts-dir", str(root), "--format", "json"])
    assert [f["code"] for f in json.loads(doctor.stdout)["findings"]] == ["misnamed-hosts-file"]
