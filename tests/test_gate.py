"""The gate never passes by mistake: unreadable input, out-of-scope uses, empty or
meaningless options, and grouping that depends on manifest order (issue: a gate that never
passes by mistake)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from fixes_helpers import write_hosts, write_manifest
from typer.testing import CliRunner

from analyzer.cli import app

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = ROOT / "fixtures" / "manifests"
CERTS_D = ROOT / "fixtures" / "certs.d"

MIRRORED_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - name: web
      image: docker.io/library/nginx:1.27
"""


def run(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, ["scan", *args], input=stdin)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- unreadable input never passes ---------------------------------------------------------------


def test_a_missing_path_fails_the_json_report_and_the_verdict_line(tmp_path: Path) -> None:
    result = run("missing/", "-f", "json", "-o", "coverage.json")
    assert result.exit_code == 2
    assert "PASS" not in result.stderr
    assert "FAIL: 1 input could not be read" in result.stderr
    report = json.loads((tmp_path / "coverage.json").read_text())
    assert report["passed"] is False
    assert report["errors"] and report["errors"][0]["file"] == "missing/"


def test_one_missing_path_among_several_fails_the_gate(tmp_path: Path) -> None:
    pod = _write(tmp_path, "pod.yaml", MIRRORED_POD)
    result = run(str(pod), "missing.yaml", "-f", "json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["summary"]["by_status"]["mirrored"] == 1
    assert report["passed"] is False


@pytest.mark.parametrize("fmt", ["table", "markdown", "github", "sarif", "junit"])
def test_every_format_says_the_gate_did_not_pass_and_why(fmt: str, tmp_path: Path) -> None:
    pod = _write(tmp_path, "pod.yaml", MIRRORED_POD)
    result = run(str(pod), "missing.yaml", "-f", fmt, "--no-color")
    assert result.exit_code == 2
    out = result.stdout
    if fmt == "sarif":
        properties = json.loads(out)["runs"][0]["properties"]
        assert properties["passed"] is False
        assert properties["verdict"].startswith("FAIL: 1 input could not be read")
    elif fmt == "junit":
        suites = ET.fromstring(out)
        assert int(suites.get("errors", "0")) >= 1
        assert "missing.yaml" in out
    else:
        assert "FAIL" in out and "PASS" not in out
        assert "1 input could not be read" in out


def test_a_clean_scan_still_passes(tmp_path: Path) -> None:
    pod = _write(tmp_path, "pod.yaml", MIRRORED_POD)
    result = run(str(pod), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["passed"] is True


# -- only uses in scope can fail the gate ----------------------------------------------------------

HELPER_ARG = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: op}
spec:
  template:
    spec:
      containers:
        - name: op
          image: docker.io/library/nginx:1.27
          args: ["--helper-image=$(HELPER)"]
"""


def test_an_unresolved_indirect_value_is_out_of_scope_by_default(tmp_path: Path) -> None:
    deployment = _write(tmp_path, "op.yaml", HELPER_ARG)
    result = run(str(deployment), "-f", "json")
    report = json.loads(result.stdout)
    assert report["invalid"] == []
    assert result.exit_code == 0, report

    routed = run(str(deployment), "-f", "json", "--include", "indirect")
    report = json.loads(routed.stdout)
    assert [u["raw"] for u in report["invalid"]] == ["$(HELPER)"]
    assert report["invalid"][0]["found_in"] == "indirect"
    assert routed.exit_code == 1


def test_an_invalid_container_image_still_fails(tmp_path: Path) -> None:
    pod = _write(tmp_path, "pod.yaml", MIRRORED_POD.replace("nginx:1.27", "Nginx:1.27"))
    result = run(str(pod), "-f", "json")
    report = json.loads(result.stdout)
    assert report["invalid"][0]["found_in"] == "container"
    assert result.exit_code == 1


# -- options that mean nothing are errors ----------------------------------------------------------


def test_ignore_does_not_pass_a_blocked_image(tmp_path: Path) -> None:
    # --ignore accepts an image from upstream; a blocked image comes from nowhere (here the
    # registry's server is replaced by a mirror that holds nothing), yet "--ignore", which
    # the how-to-fix line itself offered, made the gate say "PASS: nothing is blocked"
    hosts = tmp_path / "certs.d" / "docker.io"
    hosts.mkdir(parents=True)
    (hosts / "hosts.toml").write_text('server = "https://hub-cache.example"\n[host]\n')
    pod = _write(tmp_path, "pod.yaml", MIRRORED_POD)
    common = (str(pod), "--hosts-dir", str(tmp_path / "certs.d"), "-f", "json")
    common += ("--catalog", "hub-cache.example=none")
    result = run(*common)
    assert result.exit_code == 1
    image = json.loads(result.stdout)["images"][0]
    assert image["status"] == "blocked"
    assert "--ignore" not in image["advice"]["text"]  # it would not pass the gate
    assert image["advice"]["text"].endswith("; the pull does not fall back to the upstream.")
    result = run(*common, "--ignore", "docker.io/library/**")
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["passed"] is False
    assert report["summary"]["ignored"] == 0
    (image,) = report["images"]
    assert image["ignored"] is False
    assert any("--ignore matches this image but does not apply" in w for w in image["warnings"])


def test_an_empty_fail_on_is_a_usage_error() -> None:
    result = run(str(MANIFESTS), "--fail-on", "")
    assert result.exit_code == 2
    assert "--fail-on is empty" in result.stderr and "'none'" in result.stderr


def test_fail_on_none_gates_on_min_coverage_alone() -> None:
    base = ("--hosts-dir", str(CERTS_D), "-f", "json")
    result = run(str(MANIFESTS), *base, "--fail-on", "none")
    report = json.loads(result.stdout)
    assert report["policy"]["fail_on"] == []
    assert report["summary"]["by_status"]["fallback"] > 0
    assert result.exit_code == 0
    below = run(str(MANIFESTS), *base, "--fail-on", "none", "--min-coverage", "99")
    assert below.exit_code == 1
    assert json.loads(below.stdout)["passed"] is False


def test_fail_on_none_with_statuses_is_a_usage_error() -> None:
    result = run(str(MANIFESTS), "--fail-on", "none,fallback")
    assert result.exit_code == 2
    assert "cannot be combined" in result.stderr


@pytest.mark.parametrize("value", ["nan", "NaN"])
def test_min_coverage_nan_is_rejected(value: str) -> None:
    result = run(str(MANIFESTS), "--min-coverage", value)
    assert result.exit_code == 2
    assert "--min-coverage" in result.stderr


def test_an_empty_fail_on_in_the_settings_file_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path, "image-coverage.toml", "fail-on = []\n")
    result = run(str(MANIFESTS))
    assert result.exit_code == 2
    assert "'fail-on' is empty" in result.stderr


# -- grouping does not depend on order -------------------------------------------------------------

DIGEST = "sha256:" + "ab" * 32


def _pods(*tags: str) -> str:
    return "".join(
        f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}}}\nspec:\n  containers:\n"
        f"    - name: c\n      image: docker.io/library/nginx:{tag}@{DIGEST}\n"
        for i, tag in enumerate(tags)
    )


def test_status_of_one_digest_written_with_two_tags_is_independent_of_order(
    tmp_path: Path,
) -> None:
    # mirror.txt tag rule: the mirror holds nginx only for tag 1.25
    catalogue = _write(tmp_path, "mirror.txt", "docker.io/library/nginx:1.25\n")
    statuses = []
    for order in (("1.25", "1.26"), ("1.26", "1.25")):
        manifest = _write(tmp_path, "pods.yaml", _pods(*order))
        result = run(str(manifest), "-f", "json", "--catalog", f"docker.m.daocloud.io={catalogue}")
        report = json.loads(result.stdout)
        assert len(report["images"]) == 1
        statuses.append(report["images"][0]["status"])
    assert statuses[0] == statuses[1] == "fallback"


# -- images already written in a mirror's own form ------------------------------------------------

MIRROR_FORMS = """\
apiVersion: v1
kind: Pod
metadata: {name: f}
spec:
  containers:
    - {name: a, image: "m.daocloud.io/ghcr.io/fluxcd/source-controller:v1.4.1"}
    - {name: b, image: "ghcr.m.daocloud.io/fluxcd/source-controller:v1.4.1"}
    - {name: c, image: "docker.m.daocloud.io/library/nginx:1.27"}
    - {name: d, image: "m.daocloud.io/docker.io/nginx:1.27"}
    - {name: e, image: "m.daocloud.io/nginx:1.27"}
"""


def _by_image(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["image"]: i for i in report["images"]}


def test_mirror_form_references_are_judged_by_the_mirrors_catalogue(tmp_path: Path) -> None:
    # ghcr.io/fluxcd is not on the (fixture) whitelist; docker.io/library/nginx is
    allows = _write(tmp_path, "allows.txt", "docker.io/library/nginx\nquay.io/prometheus/*\n")
    manifest = _write(tmp_path, "pod.yaml", MIRROR_FORMS)
    specs = [f"{h}={allows}" for h in ("m.daocloud.io", "ghcr.m.daocloud.io")]
    specs.append(f"docker.m.daocloud.io={allows}")
    args = [arg for spec in specs for arg in ("--catalog", spec)]
    result = run(str(manifest), "-f", "json", *args)
    report = json.loads(result.stdout)
    images = _by_image(report)
    flux_path = images["m.daocloud.io/ghcr.io/fluxcd/source-controller:v1.4.1"]
    assert flux_path["status"] == "blocked"
    assert flux_path["stands_for"] == "ghcr.io/fluxcd/source-controller:v1.4.1"
    assert "no upstream to fall back to" in flux_path["reason"]
    assert images["ghcr.m.daocloud.io/fluxcd/source-controller:v1.4.1"]["status"] == "blocked"
    nginx = images["docker.m.daocloud.io/library/nginx:1.27"]
    assert nginx["status"] == "rewritten"
    assert nginx["stands_for"] == "docker.io/library/nginx:1.27"
    assert images["m.daocloud.io/docker.io/nginx:1.27"]["status"] == "rewritten"
    assert images["m.daocloud.io/nginx:1.27"]["status"] == "blocked"
    # rewritten counts as covered, blocked fails the gate
    assert report["summary"]["by_status"]["rewritten"] == 2
    assert report["summary"]["coverage_percent"] == 40.0
    assert result.exit_code == 1
    rows = {(m["host"], m["registry"]): m["images"] for m in report["mirrors"]}
    assert rows[("https://docker.m.daocloud.io/v2", "docker.io")] == [
        "docker.m.daocloud.io/library/nginx:1.27"
    ]


def test_a_mirror_form_the_mirror_serves_passes(tmp_path: Path) -> None:
    manifest = _write(
        tmp_path, "pod.yaml", MIRRORED_POD.replace("docker.io/", "docker.m.daocloud.io/")
    )
    result = run(str(manifest), "-f", "json")
    report = json.loads(result.stdout)
    assert report["images"][0]["status"] == "rewritten"
    assert result.exit_code == 0
    assert report["summary"]["coverage_percent"] == 100.0


def test_a_catalogue_host_given_with_catalog_is_a_mirror_form(tmp_path: Path) -> None:
    catalogue = _write(tmp_path, "harbor.txt", "docker.io/library/nginx\n")
    manifest = _write(
        tmp_path,
        "pod.yaml",
        MIRRORED_POD.replace("docker.io/library/nginx:1.27", "harbor.example/docker.io/redis:7"),
    )
    result = run(str(manifest), "-f", "json", "--catalog", f"harbor.example={catalogue}")
    image = json.loads(result.stdout)["images"][0]
    assert image["status"] == "blocked"
    assert image["stands_for"] == "docker.io/library/redis:7"


def test_a_catalog_for_a_host_nothing_uses_is_a_warning(tmp_path: Path) -> None:
    pod = _write(tmp_path, "pod.yaml", MIRRORED_POD)
    result = run(str(pod), "-f", "json", "--catalog", "docker.m.daocloud.ioo=all")
    warnings = json.loads(result.stdout)["warnings"]
    assert any(w.startswith("--catalog docker.m.daocloud.ioo: ") for w in warnings)
    used = run(str(pod), "-f", "json", "--catalog", "docker.m.daocloud.io=all")
    assert not any("--catalog" in w for w in json.loads(used.stdout)["warnings"])


# -- one engine behind every door ------------------------------------------------------------------


def test_the_api_and_the_cli_give_the_same_report_for_another_runtime() -> None:
    import analyzer

    conf = ROOT / "fixtures" / "runtimes" / "registries.conf"
    cli = run(str(MANIFESTS), "--runtime", "crio", "--registries-conf", str(conf), "-f", "json")
    api = analyzer.scan(str(MANIFESTS), runtime="crio", registries_conf=str(conf))
    assert json.loads(cli.stdout) == json.loads(json.dumps(api.to_dict()))


def test_the_json_report_names_the_containerd_release_it_followed() -> None:
    chosen = run(str(MANIFESTS), "--hosts-dir", str(CERTS_D), "--containerd-version", "1.6")
    assert chosen.exit_code in (0, 1)
    report = json.loads(
        run(
            str(MANIFESTS), "--hosts-dir", str(CERTS_D), "--containerd-version", "1.6", "-f", "json"
        ).stdout
    )
    assert report["containerd_version"] == "1.6"


def test_a_catalogue_for_a_host_without_its_port_is_warned_with_the_port_in_use(
    tmp_path: Path,
) -> None:
    """``--catalog mirror.example.com=...`` for a mirror written with a port applies to no
    host: the mirror is then assumed to serve everything. The warning names the port."""
    write_hosts(tmp_path / "certs.d", {"quay.io": '[host."https://mirror.example.com:5000"]\n'})
    pod = write_manifest(tmp_path / "pod.yaml", ["quay.io/x/y:1"])
    args = [str(pod), "--hosts-dir", str(tmp_path / "certs.d"), "-f", "json"]
    result = run(*args, "--catalog", "mirror.example.com=none")
    warnings = json.loads(result.stdout)["warnings"]
    unused = [w for w in warnings if w.startswith("--catalog mirror.example.com:")]
    assert len(unused) == 1 and "(in use: mirror.example.com:5000:" in unused[0], warnings
    result = run(*args, "--catalog", "other.example=none")
    other = [w for w in json.loads(result.stdout)["warnings"] if w.startswith("--catalog")]
    assert len(other) == 1 and "in use:" not in other[0], other
