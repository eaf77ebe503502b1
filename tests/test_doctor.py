"""``coverage doctor``: each configuration trap with file, line and fix, and the gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.mirrors.doctor import diagnose
from analyzer.mirrors.versions import parse_version

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - {name: web, image: docker.io/library/nginx:1.27}
"""
DAOCLOUD_HUB = """\
server = "https://registry-1.docker.io"

[host."https://docker.m.daocloud.io"]
  capabilities = ["pull", "resolve"]
"""


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _codes(root: Path, config: str | None = None) -> list[tuple[str, str, int | None]]:
    return [
        (f.severity, f.code, f.line)
        for f in diagnose([str(root)], config)
        if f.code != "ctr-ignores-config-path"
    ]


def doctor(*args: str) -> Any:
    return CliRunner().invoke(app, ["doctor", *args])


def test_a_misnamed_hosts_file_is_an_error_with_the_rename(tmp_path: Path) -> None:
    certs = _tree(tmp_path / "certs.d", {"docker.io/host.toml": DAOCLOUD_HUB})
    findings = diagnose([str(certs)])
    assert [(f.severity, f.code) for f in findings] == [("error", "misnamed-hosts-file")]
    assert findings[0].file.endswith("docker.io/host.toml")
    assert "docker.io has no mirror" in findings[0].message
    assert findings[0].fix.startswith("rename it: mv ") and findings[0].fix.endswith("hosts.toml")


def test_the_misnamed_file_fails_the_scan_gate_at_zero_coverage(tmp_path: Path) -> None:
    certs = _tree(tmp_path / "certs.d", {"docker.io/host.toml": DAOCLOUD_HUB})
    pod = _tree(tmp_path, {"pod.yaml": POD}) / "pod.yaml"
    result = CliRunner().invoke(app, ["scan", str(pod), "--hosts-dir", str(certs), "-f", "json"])
    report = json.loads(result.stdout)
    assert report["images"][0]["status"] == "direct"  # what containerd does with it
    assert report["findings"][0]["code"] == "misnamed-hosts-file"
    assert report["passed"] is False
    assert result.exit_code == 1
    table = CliRunner().invoke(app, ["scan", str(pod), "--hosts-dir", str(certs)])
    assert "FAIL: 1 configuration error (coverage doctor)" in table.stdout
    allowed = CliRunner().invoke(
        app, ["scan", str(pod), "--hosts-dir", str(certs), "--fail-on", "fallback,blocked"]
    )
    assert allowed.exit_code == 0


def test_a_registry_folder_without_hosts_toml_is_a_warning(tmp_path: Path) -> None:
    certs = _tree(tmp_path / "certs.d", {"quay.io/README": "notes\n"})
    assert _codes(certs) == [("warning", "no-hosts-file", None)]
    # certificates alone are a legitimate folder (docker's certs.d layout)
    certs_only = _tree(tmp_path / "other", {"quay.io/ca.crt": "x"})
    assert _codes(certs_only) == []


def test_an_endpoint_without_a_scheme_is_a_warning_on_its_line(tmp_path: Path) -> None:
    text = 'server = "registry-1.docker.io"\n\n[host."docker.m.daocloud.io"]\n'
    text += '  capabilities = ["pull", "resolve"]\n'
    certs = _tree(tmp_path / "certs.d", {"docker.io/hosts.toml": text})
    findings = diagnose([str(certs)])
    assert [(f.code, f.line) for f in findings] == [("no-scheme", 1), ("no-scheme", 3)]
    assert findings[1].fix.startswith("write the scheme: https://docker.m.daocloud.io")


def test_a_mirror_without_resolve_is_a_warning(tmp_path: Path) -> None:
    text = DAOCLOUD_HUB.replace('["pull", "resolve"]', '["pull"]')
    certs = _tree(tmp_path / "certs.d", {"docker.io/hosts.toml": text})
    assert _codes(certs) == [("warning", "mirror-without-resolve", 4)]


@pytest.mark.parametrize(
    ("key", "version", "warned"),
    [
        # go-toml v1 (1.6/1.7) fills the field from the tag or ALL-CAPS (toml_fields.py)
        ("CAPABILITIES", "1.6", True),
        ("Capabilities", "1.6", False),
        # go-toml v2 (2.x) from any spelling
        ("Capabilities", "2.1", True),
    ],
)
def test_mirror_without_resolve_reads_capabilities_as_the_version_does(
    tmp_path: Path, key: str, version: str, warned: bool
) -> None:
    text = DAOCLOUD_HUB.replace('capabilities = ["pull", "resolve"]', f'{key} = ["PULL"]')
    certs = _tree(tmp_path / "certs.d", {"docker.io/hosts.toml": text})
    result = doctor("--hosts-dir", str(certs), "--containerd-version", version, "-f", "json")
    codes = [(f["code"], f["line"]) for f in json.loads(result.output)["findings"]]
    assert codes == ([("mirror-without-resolve", 4)] if warned else [])


def test_mirror_without_resolve_follows_go_toml_v1_merged_tables(tmp_path: Path) -> None:
    # tomllib refuses the second spelling of the table; go-toml v1 merges it (go_toml_v1.py)
    text = DAOCLOUD_HUB + "[host.'https://docker.m.daocloud.io']\n  skip_verify = false\n"
    text = text.replace('["pull", "resolve"]', '["pull"]')
    certs = _tree(tmp_path / "certs.d", {"docker.io/hosts.toml": text})
    findings = diagnose([str(certs)], version=parse_version("1.6"))
    assert [(f.code, f.line) for f in findings] == [("mirror-without-resolve", 4)]
    assert diagnose([str(certs)], version=parse_version("2.0")) == ()


def test_a_daocloud_subdomain_under_another_registry_is_an_error(tmp_path: Path) -> None:
    text = DAOCLOUD_HUB.replace("registry-1.docker.io", "quay.io")
    certs = _tree(tmp_path / "certs.d", {"quay.io/hosts.toml": text})
    findings = diagnose([str(certs)])
    assert [(f.severity, f.code, f.line) for f in findings] == [
        ("error", "daocloud-wrong-registry", 3)
    ]
    assert findings[0].fix == "use https://quay.m.daocloud.io, the DaoCloud host for quay.io"
    # its own registry is fine
    fine = _tree(tmp_path / "ok", {"docker.io/hosts.toml": DAOCLOUD_HUB})
    assert _codes(fine) == []


CONFIG_BOTH = """\
version = 2
[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "/etc/containerd/certs.d"
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
    endpoint = ["https://docker.m.daocloud.io"]
"""


def test_config_path_with_mirrors_and_ctr_are_reported(tmp_path: Path) -> None:
    config = _tree(tmp_path, {"config.toml": CONFIG_BOTH}) / "config.toml"
    findings = diagnose([], str(config))
    assert [(f.severity, f.code) for f in findings] == [
        ("error", "config-path-and-mirrors"),
        ("info", "ctr-ignores-config-path"),
    ]
    assert findings[0].line == 4
    assert "--hosts-dir /etc/containerd/certs.d" in findings[1].fix


def test_tls_configs_with_config_path_are_reported(tmp_path: Path) -> None:
    text = (
        'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n'
        '  config_path = "/etc/containerd/certs.d"\n'
        '[plugins."io.containerd.grpc.v1.cri".registry.configs."quay.io".tls]\n'
        "  insecure_skip_verify = true\n"
    )
    config = _tree(tmp_path, {"config.toml": text}) / "config.toml"
    v1 = diagnose([], str(config), version=parse_version("1.7"))
    findings = [f for f in v1 if f.code == "config-path-and-tls"]
    assert [(f.severity, f.line) for f in findings] == [("error", 4)]
    # containerd 2.x only warns that configs are deprecated (ValidateImageConfig, v2.0.0)
    assert not [f for f in diagnose([], str(config)) if f.code == "config-path-and-tls"]


@pytest.mark.parametrize(
    ("version", "key", "flagged"),
    [
        (3, "io.containerd.grpc.v1.cri", True),
        (2, "io.containerd.cri.v1.images", True),
        (2, "io.containerd.grpc.v1.cri", False),
        (3, "io.containerd.cri.v1.images", False),
        # no version line (or version = 1): containerd 1.x names sections by plugin ID;
        # 2.x migrates the file and keeps a key that is already a URI (v1MigratePluginName)
        (None, "io.containerd.grpc.v1.cri", "1.6"),
        (1, "io.containerd.grpc.v1.cri", "1.7"),
    ],
)
def test_the_plugin_key_must_match_the_config_version(
    tmp_path: Path, version: int | None, key: str, flagged: bool | str
) -> None:
    header = "" if version is None else f"version = {version}\n"
    text = f'{header}[plugins."{key}".registry]\n  config_path = "/etc/c"\n'
    config = _tree(tmp_path, {"config.toml": text}) / "config.toml"
    if isinstance(flagged, str):  # flagged by this containerd release only, not by 2.x
        v1 = [f.code for f in diagnose([], str(config), version=parse_version(flagged))]
        assert "plugin-key-version" in v1
        flagged = False
    codes = [f.code for f in diagnose([], str(config))]
    assert ("plugin-key-version" in codes) is flagged


def test_doctor_command_exit_codes_and_json(tmp_path: Path) -> None:
    bad = _tree(tmp_path / "bad", {"docker.io/host.toml": DAOCLOUD_HUB})
    result = doctor("--hosts-dir", str(bad))
    assert result.exit_code == 1
    assert "error: " in result.stdout and "fix: rename it" in result.stdout
    good = _tree(tmp_path / "good", {"docker.io/hosts.toml": DAOCLOUD_HUB})
    assert doctor("--hosts-dir", str(good)).exit_code == 0
    data = json.loads(doctor("--hosts-dir", str(bad), "-f", "json").stdout)
    assert data["findings"][0]["code"] == "misnamed-hosts-file"
    unreadable = tmp_path / "config.toml"
    unreadable.write_bytes(b"\xff\xfe")
    assert doctor("--containerd-config", str(unreadable)).exit_code == 2


def test_mirrors_shows_the_same_findings(tmp_path: Path) -> None:
    bad = _tree(tmp_path / "bad", {"docker.io/host.toml": DAOCLOUD_HUB})
    result = CliRunner().invoke(app, ["mirrors", "--hosts-dir", str(bad), "-f", "json"])
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["misnamed-hosts-file"]


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("markdown", "### Mirror configuration findings (1)"), ("github", "::error file=")],
)
def test_findings_reach_markdown_and_github_annotations(
    tmp_path: Path, fmt: str, expected: str
) -> None:
    certs = _tree(tmp_path / "certs.d", {"docker.io/host.toml": DAOCLOUD_HUB})
    pod = _tree(tmp_path, {"pod.yaml": POD}) / "pod.yaml"
    result = CliRunner().invoke(app, ["scan", str(pod), "--hosts-dir", str(certs), "-f", fmt])
    assert expected in result.stdout
    assert "misnamed-hosts-file" in result.stdout or "hosts.toml" in result.stdout


def test_a_k3s_endpoint_without_a_scheme_is_a_warning(tmp_path: Path) -> None:
    text = 'mirrors:\n  docker.io:\n    endpoint:\n      - "docker.m.daocloud.io"\n'
    text += '      - "https://registry-1.docker.io"\n'
    registries = _tree(tmp_path, {"registries.yaml": text}) / "registries.yaml"
    findings = diagnose([], None, str(registries))
    assert [(f.code, f.line) for f in findings] == [("no-scheme", 4)]
    assert "k3s writes https://docker.m.daocloud.io" in findings[0].message


def test_doctor_command_reads_a_k3s_registries_yaml(tmp_path: Path) -> None:
    text = 'mirrors:\n  docker.io:\n    endpoint:\n      - "docker.m.daocloud.io"\n'
    registries = _tree(tmp_path, {"registries.yaml": text}) / "registries.yaml"
    result = doctor("--k3s-registries", str(registries), "-f", "json")
    assert result.exit_code == 0  # a warning, not an error
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["no-scheme"]


def test_a_configuration_error_is_never_summed_up_as_no_known_trap(tmp_path: Path) -> None:
    certs = tmp_path / "certs.d"
    (certs / "docker.io").mkdir(parents=True)
    (certs / "docker.io" / "hosts.toml").write_text('server = "https://x"\n[host\n')
    result = doctor("--hosts-dir", str(certs))
    assert result.exit_code == 2, result.output
    last = result.output.strip().splitlines()[-1]
    assert "no known trap" not in result.output
    assert last.endswith("1 configuration error: not all checked"), last


def test_a_k3s_key_k3s_never_reads_is_a_warning_with_the_key_meant(tmp_path: Path) -> None:
    """wharfie's registries.yaml decoder (yaml.v2) matches keys exactly: `Mirrors:` and
    `endpoints:` configure nothing, and k3s starts without a word."""
    text = (
        "Mirrors:\n  docker.io:\n    endpoint: [https://docker.m.daocloud.io]\n"
        "mirrors:\n  quay.io:\n    endpoints: [https://quay.m.daocloud.io]\n"
        "configs:\n  quay.m.daocloud.io:\n    tls: {insecure_skip_verify: true, ca: x}\n"
        "    auth: {username: u, password: p}\n"
    )
    registries = _tree(tmp_path, {"registries.yaml": text}) / "registries.yaml"
    findings = diagnose([], None, str(registries))
    assert [(f.code, f.line, f.fix) for f in findings] == [
        ("unknown-key", 1, "did you mean 'mirrors'?"),
        ("unknown-key", 6, "did you mean 'endpoint'?"),
        ("unknown-key", 9, "known: ca_file, cert_file, insecure_skip_verify, key_file"),
    ]
    assert "'mirrors.<registry>.endpoints' is not a registries.yaml key" in findings[1].message


def test_doctor_takes_k3s_disable_default_endpoint_as_scan_does(tmp_path: Path) -> None:
    text = 'mirrors:\n  docker.io:\n    endpoint:\n      - "https://docker.m.daocloud.io"\n'
    registries = _tree(tmp_path, {"registries.yaml": text}) / "registries.yaml"
    args = ("--runtime", "k3s", "--k3s-registries", str(registries), "-f", "json")
    plain = doctor(*args)
    disabled = doctor(*args, "--k3s-disable-default-endpoint")
    assert plain.exit_code == 0 and disabled.exit_code == 0, disabled.output
    assert "--disable-default-registry-endpoint" not in json.loads(plain.stdout)["configuration"]
    assert "--disable-default-registry-endpoint" in json.loads(disabled.stdout)["configuration"]
