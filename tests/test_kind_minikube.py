"""kind cluster configs and minikube's --registry-mirror, read as the rules they turn into.

Each rule cites its source: kubernetes-sigs/kind at fed2688 (pkg/internal/patch/toml.go,
images/base/files/etc/containerd/config.toml, pkg/cluster/internal/providers/docker/
provision.go) and kubernetes/minikube at eb25dbc (cmd/minikube/cmd/start.go,
pkg/minikube/machine/start.go, pkg/minikube/cruntime/containerd.go). Neither binary runs
here: these tests are the proof; the containerd rules the merged config.toml turns into are
proven by the containerd integration suite.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.mirrors.config import load_mirror_config
from analyzer.mirrors.json_patch import JsonPatchError, apply_json_patch, merge_patch
from analyzer.mirrors.kind import parse_kind_config
from analyzer.mirrors.minikube import from_flags, read_profile

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "runtimes"
MANIFESTS = str(ROOT / "fixtures" / "manifests")
HEAD = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"
CRI = 'plugins."io.containerd.grpc.v1.cri".registry'


def _kind(tmp_path: Path, body: str) -> str:
    path = tmp_path / "kind.yaml"
    path.write_text(HEAD + body)
    return str(path)


def _hosts(config_file: str, registry: str = "docker.io", **extra: object) -> list[str]:
    config = load_mirror_config(kind_config=config_file, node_default=None, **extra)  # type: ignore[arg-type]
    return [h.url for h in config.hosts_for(registry).hosts]


# --- kind: merge patches (RFC 7386 through evanphx/json-patch MergePatch) -----------------


def test_merge_patch_merges_tables_and_replaces_arrays() -> None:
    target = {"a": {"b": 1, "list": [1, 2]}, "keep": True}
    assert merge_patch(target, {"a": {"c": 2, "list": [3]}}) == {
        "a": {"b": 1, "c": 2, "list": [3]},
        "keep": True,
    }
    assert merge_patch(target, {"a": None}) == {"keep": True}


def test_a_later_patch_replaces_an_earlier_endpoint_list(tmp_path: Path) -> None:
    # toml.go: patches apply in order, each a merge patch: arrays are replaced, not appended
    config = _kind(
        tmp_path,
        "containerdConfigPatches:\n"
        f'- |-\n  [{CRI}.mirrors."docker.io"]\n    endpoint = ["https://a.example"]\n'
        f'- |-\n  [{CRI}.mirrors."docker.io"]\n    endpoint = ["https://docker.m.daocloud.io"]\n'
        f'- |-\n  [{CRI}.mirrors."quay.io"]\n    endpoint = ["https://quay.m.daocloud.io"]\n',
    )
    assert _hosts(config) == ["https://docker.m.daocloud.io/v2", "https://registry-1.docker.io/v2"]
    assert _hosts(config, "quay.io") == ["https://quay.m.daocloud.io/v2", "https://quay.io/v2"]


def test_a_patch_for_another_config_version_is_skipped(tmp_path: Path) -> None:
    # toml.go: "skip if patch sets version and version does not match" (node config: 2)
    config = _kind(
        tmp_path,
        "containerdConfigPatches:\n"
        f'- |-\n  version = 3\n  [{CRI}.mirrors."docker.io"]\n    endpoint = ["https://x.example"]\n'
        f'- |-\n  version = 2\n  [{CRI}.mirrors."quay.io"]\n    endpoint = ["https://q.example"]\n',
    )
    loaded = load_mirror_config(kind_config=config, node_default=None)
    assert [h.url for h in loaded.hosts_for("docker.io").hosts] == [
        "https://registry-1.docker.io/v2"
    ]
    assert loaded.hosts_for("quay.io").hosts[0].url == "https://q.example/v2"
    assert any("version = 3: kind skips it" in w and ":5:" in w for w in loaded.warnings)


def test_json6902_patches_apply_after_the_merge_patches(tmp_path: Path) -> None:
    # toml.go: merge patches first, then JSON 6902 patches, in order
    ops = [
        {
            "op": "add",
            "path": "/plugins/io.containerd.grpc.v1.cri/registry",
            "value": {"mirrors": {"docker.io": {"endpoint": ["https://docker.m.daocloud.io"]}}},
        }
    ]
    config = _kind(
        tmp_path,
        "containerdConfigPatches:\n"
        f'- |-\n  [{CRI}.mirrors."docker.io"]\n    endpoint = ["https://a.example"]\n'
        f"containerdConfigPatchesJSON6902:\n- '{json.dumps(ops)}'\n",
    )
    assert _hosts(config)[0] == "https://docker.m.daocloud.io/v2"


def test_json_patch_operations() -> None:
    doc = {"a": {"b": [1, 2]}, "c": "x"}
    out = apply_json_patch(
        doc,
        [
            {"op": "add", "path": "/a/b/-", "value": 3},
            {"op": "replace", "path": "/c", "value": "y"},
            {"op": "copy", "from": "/c", "path": "/d"},
            {"op": "move", "from": "/d", "path": "/e~1f"},
            {"op": "remove", "path": "/a/b/0"},
            {"op": "test", "path": "/c", "value": "y"},
        ],
    )
    assert out == {"a": {"b": [2, 3]}, "c": "y", "e/f": "y"}
    assert doc == {"a": {"b": [1, 2]}, "c": "x"}  # never changed in place
    with pytest.raises(JsonPatchError, match="does not exist"):
        apply_json_patch(doc, [{"op": "remove", "path": "/nope"}])  # kind's "invalid path" case


def test_a_patch_kind_cannot_apply_is_an_error_with_its_line(tmp_path: Path) -> None:
    config = _kind(
        tmp_path,
        "containerdConfigPatches:\n- |-\n  [plugins\n"
        'containerdConfigPatchesJSON6902:\n- \'[{"op": "remove", "path": "/fooooooo"}]\'\n',
    )
    errors = [str(e) for e in load_mirror_config(kind_config=config, node_default=None).errors]
    assert any(e.startswith(f"{config}:5: containerdConfigPatches: not valid TOML") for e in errors)
    assert any(e.startswith(f"{config}:7: containerdConfigPatchesJSON6902") for e in errors)


def test_the_line_of_a_bad_value_is_the_line_in_the_kind_config(tmp_path: Path) -> None:
    config = _kind(
        tmp_path,
        f"containerdConfigPatches:\n- |-\n  [{CRI}]\n    config_path = 3\n",
    )
    errors = [str(e) for e in load_mirror_config(kind_config=config, node_default=None).errors]
    assert errors == [f"{config}:6: config_path must be a string"]


def test_config_path_and_mirrors_from_two_patches_stop_the_cri_plugin(tmp_path: Path) -> None:
    # the merged config has both: containerd refuses it (legacy_cri.py, ValidatePluginConfig)
    config = _kind(
        tmp_path,
        "containerdConfigPatches:\n"
        f'- |-\n  [{CRI}]\n    config_path = "/etc/containerd/certs.d"\n'
        f'- |-\n  [{CRI}.mirrors."docker.io"]\n    endpoint = ["https://docker.m.daocloud.io"]\n',
    )
    errors = [str(e) for e in load_mirror_config(kind_config=config, node_default=None).errors]
    assert any("`mirrors` cannot be set when `config_path` is provided" in e for e in errors)


@pytest.mark.parametrize(
    "text",
    [
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha3\n",
        "apiVersion: v1\nkind: Pod\n",
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\ncontainerdConfigPatches: [1]\n",
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\ncontainerdConfigPatches: x\n",
        "kind: [\n",
        "",
        HEAD
        + 'containerdConfigPatchesJSON6902:\n- \'[{"op": "replace", "path": "", "value": 1}]\'\n',
        HEAD + "containerdConfigPatches:\n- |-\n  version = true\n",
        HEAD + "nodes:\n- role: worker\n  extraMounts:\n  - hostPath: /x\n",
    ],
)
def test_a_file_kind_refuses_is_one_error_with_a_line(text: str) -> None:
    found = parse_kind_config(text, "k.yaml")
    assert len(found.errors) == 1 and found.errors[0].line is not None


# --- kind: where config_path is on this machine (extraMounts) -----------------------------


def _certs(tmp_path: Path) -> Path:
    hosts = tmp_path / "certs.d" / "docker.io"
    hosts.mkdir(parents=True)
    (hosts / "hosts.toml").write_text(
        'server = "https://registry-1.docker.io"\n'
        '[host."https://docker.m.daocloud.io"]\ncapabilities = ["pull", "resolve"]\n'
    )
    return tmp_path / "certs.d"


def _mounted(tmp_path: Path, more_nodes: str = "") -> tuple[str, Path]:
    """A kind config whose config_path is the control plane's mount of a hosts directory."""
    certs = _certs(tmp_path)
    config = _kind(
        tmp_path,
        f'containerdConfigPatches:\n- |-\n  [{CRI}]\n    config_path = "/etc/containerd/certs.d"\n'
        f"nodes:\n- role: control-plane\n  extraMounts:\n  - hostPath: {certs}\n"
        "    containerPath: /etc/containerd/certs.d\n" + more_nodes,
    )
    return config, certs


def test_config_path_is_read_through_the_mount(tmp_path: Path) -> None:
    config, certs = _mounted(tmp_path)
    loaded = load_mirror_config(kind_config=config, node_default=None)
    assert not loaded.errors
    assert loaded.hosts_for("docker.io").hosts[0].url == "https://docker.m.daocloud.io/v2"
    assert f"/etc/containerd/certs.d = {certs}" in loaded.description


def test_a_mount_of_a_parent_directory_and_a_relative_host_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # provision.go: filepath.Abs(hostPath), i.e. from the directory kind runs in
    _certs(tmp_path / "etc-containerd")
    monkeypatch.chdir(tmp_path)
    config = _kind(
        tmp_path,
        f'containerdConfigPatches:\n- |-\n  [{CRI}]\n    config_path = "/etc/containerd/certs.d"\n'
        "nodes:\n- role: control-plane\n  extraMounts:\n  - hostPath: etc-containerd\n"
        "    containerPath: /etc/containerd\n",
    )
    assert _hosts(config)[0] == "https://docker.m.daocloud.io/v2"


def test_an_unmounted_config_path_cannot_be_read_and_fails(tmp_path: Path) -> None:
    config = _kind(
        tmp_path,
        f'containerdConfigPatches:\n- |-\n  [{CRI}]\n    config_path = "/etc/containerd/certs.d"\n'
        "nodes:\n- role: control-plane\n  extraMounts:\n  - hostPath: /tmp\n"
        "    containerPath: /etc/containerd/certs.d/docker.io\n",
    )
    errors = [str(e) for e in load_mirror_config(kind_config=config, node_default=None).errors]
    assert len(errors) == 1 and errors[0].startswith(f"{config}:6: config_path /etc/containerd")
    assert (
        "cannot be read from here" in errors[0] and "/etc/containerd/certs.d/docker.io" in errors[0]
    )


def test_no_registry_patch_uses_the_v2_2_default_path_when_mounted(tmp_path: Path) -> None:
    # containerd 2.2+ reads /etc/containerd/certs.d:/etc/docker/certs.d when neither
    # config_path nor mirrors is set (plugins/cri/images/plugin.go, v2.2.0); 2.1 uses none
    certs = _certs(tmp_path)
    config = _kind(
        tmp_path,
        f"nodes:\n- role: control-plane\n  extraMounts:\n  - hostPath: {certs}\n"
        "    containerPath: /etc/containerd/certs.d\n",
    )
    assert _hosts(config, containerd_version="2.2")[0] == "https://docker.m.daocloud.io/v2"
    assert _hosts(config, containerd_version="2.1") == ["https://registry-1.docker.io/v2"]


def _two_nodes(tmp_path: Path, worker_mount: str) -> str:
    """The reviewer's cluster: the control plane mounts a hosts directory that mirrors
    docker.io; the worker mounts ``worker_mount`` ("" for none) at the same config_path."""
    certs = _certs(tmp_path)
    worker = (
        f"  extraMounts: [{{hostPath: {worker_mount}, containerPath: /etc/containerd/certs.d}}]\n"
        if worker_mount
        else ""
    )
    return _kind(
        tmp_path,
        f"nodes:\n- role: control-plane\n"
        f"  extraMounts: [{{hostPath: {certs}, containerPath: /etc/containerd/certs.d}}]\n"
        f"- role: worker\n{worker}"
        f'containerdConfigPatches:\n- |-\n  [{CRI}]\n    config_path = "/etc/containerd/certs.d"\n',
    )


def _other_certs(tmp_path: Path) -> Path:
    hosts = tmp_path / "certs2" / "docker.io"
    hosts.mkdir(parents=True)
    (hosts / "hosts.toml").write_text(
        '[host."https://empty.mirror.test"]\ncapabilities = ["pull", "resolve"]\n'
    )
    return tmp_path / "certs2"


def _pod(tmp_path: Path) -> str:
    pod = tmp_path / "m.yaml"
    pod.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
        "spec:\n  containers:\n  - {name: c, image: docker.io/library/nginx:1.25}\n"
    )
    return str(pod)


@pytest.mark.parametrize("other", ["another directory", "no mount"])
def test_nodes_that_route_differently_fail_instead_of_following_node_0(
    tmp_path: Path, other: str
) -> None:
    # A pod pulls by the node it runs on; node 0 (the control plane, tainted NoSchedule when
    # there are workers) is not where most pods run. Reading node 0's directory passed a
    # cluster whose worker pulls from a mirror that serves nothing, or from upstream.
    worker = str(_other_certs(tmp_path)) if other == "another directory" else ""
    config = _two_nodes(tmp_path, worker)
    loaded = load_mirror_config(kind_config=config, node_default=None)
    assert [str(e).split(": ")[0] for e in loaded.errors] == [f"{config}:5"]  # node 0's mount
    message = str(loaded.errors[0])
    assert "nodes route differently" in message and "node 1 (worker)" in message
    assert ("mounts nothing there" in message) == (other == "no mount")
    # no node's directory is taken for the cluster's
    assert _hosts(config) == ["https://registry-1.docker.io/v2"]
    for gate in (
        ["--catalog", "empty.mirror.test=none"],
        ["--min-coverage", "100"],
    ):
        result = CliRunner().invoke(app, ["scan", _pod(tmp_path), "--kind-config", config, *gate])
        assert result.exit_code == 2, result.output
        assert "PASS" not in result.output and "nodes route differently" in result.output


def test_nodes_that_mount_the_same_directory_route_by_it(tmp_path: Path) -> None:
    config = _two_nodes(tmp_path, str(tmp_path / "certs.d"))
    loaded = load_mirror_config(kind_config=config, node_default=None)
    assert not loaded.errors and not loaded.warnings
    assert _hosts(config)[0] == "https://docker.m.daocloud.io/v2"


# --- minikube ------------------------------------------------------------------------------


def test_minikube_docker_runtime_mirrors_docker_hub_only() -> None:
    # machine/start.go engineOptions -> dockerd --registry-mirror (Docker Hub only)
    loaded = load_mirror_config(
        minikube_registry_mirrors=["https://docker.m.daocloud.io"], node_default=None
    )
    hub = [h.url for h in loaded.hosts_for("docker.io").hosts]
    assert hub == ["https://docker.m.daocloud.io/v2", "https://registry-1.docker.io/v2"]
    assert [h.url for h in loaded.hosts_for("quay.io").hosts] == ["https://quay.io/v2"]
    assert loaded.description.startswith(
        "minikube registry mirrors from --minikube-registry-mirror"
    )


@pytest.mark.parametrize(
    "mirror", ["https://docker.m.daocloud.io/", "docker.m.daocloud.io", "ftp://x.example"]
)
def test_minikube_refuses_a_mirror_with_a_path_or_no_http_scheme(mirror: str) -> None:
    # start.go validateRegistryMirror: scheme http/https and URL.Path == ""
    daemon = from_flags([mirror]).daemon
    assert daemon is not None and not daemon.mirrors
    assert "minikube start refuses it" in str(daemon.errors[0])


@pytest.mark.parametrize("runtime", ["containerd", "crio"])
def test_minikube_gives_containerd_and_crio_no_mirror(tmp_path: Path, runtime: str) -> None:
    # cruntime gets no RegistryMirror; kicbase's docker.io/hosts.toml names only the server
    profile = tmp_path / "config.json"
    profile.write_text(
        json.dumps(
            {
                "RegistryMirror": ["https://docker.m.daocloud.io"],
                "KubernetesConfig": {"ContainerRuntime": runtime},
            }
        )
    )
    loaded = load_mirror_config(minikube_profile=str(profile), node_default=None)
    assert [h.url for h in loaded.hosts_for("docker.io").hosts] == [
        "https://registry-1.docker.io/v2"
    ]
    assert [f.code for f in loaded.findings] == ["minikube-mirror-unused"]
    assert loaded.findings[0].severity == "error"


def test_minikube_profile_fixture_and_its_errors(tmp_path: Path) -> None:
    found = read_profile(str(FIXTURES / "minikube-profile.json"))
    assert (found.runtime, found.mirrors, found.errors) == (
        "docker",
        ("https://docker.m.daocloud.io",),
        (),
    )
    bad = tmp_path / "config.json"
    bad.write_text('{\n  "RegistryMirror": "https://x.example"\n}\n')
    assert [str(e) for e in read_profile(str(bad)).errors] == [
        f"{bad}:2: RegistryMirror must be an array of strings"
    ]
    bad.write_text("{\n  nope\n")
    assert read_profile(str(bad)).errors[0].line == 2


# --- the CLI ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "fixture", "first"),
    [
        ("--kind-config", "kind-config.yaml", "Configuration: kind cluster config"),
        ("--minikube-profile", "minikube-profile.json", "Configuration: minikube registry"),
    ],
)
def test_scan_names_the_runtime_and_file_first(option: str, fixture: str, first: str) -> None:
    result = CliRunner().invoke(app, ["scan", MANIFESTS, option, str(FIXTURES / fixture)])
    line = result.stdout.splitlines()[0]
    assert line.startswith(first) and fixture in line
    assert result.exit_code == 1  # the sample manifests use images DaoCloud does not serve


def test_kind_certs_fixture_routes_like_its_hosts_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)  # the fixture's hostPath is relative, as kind reads it
    via_kind = CliRunner().invoke(
        app,
        [
            "scan",
            MANIFESTS,
            "--kind-config",
            str(FIXTURES / "kind-config-certs.yaml"),
            "-f",
            "json",
        ],
    )
    direct = CliRunner().invoke(
        app, ["scan", MANIFESTS, "--hosts-dir", str(ROOT / "fixtures" / "certs.d"), "-f", "json"]
    )
    statuses = [
        sorted((i["image"], i["status"]) for i in json.loads(r.stdout)["images"])
        for r in (via_kind, direct)
    ]
    assert statuses[0] == statuses[1] and via_kind.exit_code == direct.exit_code == 1


def test_kind_error_exits_2_from_explain_mirrors_and_doctor(tmp_path: Path) -> None:
    config = _kind(tmp_path, "containerdConfigPatches:\n- |-\n  [plugins\n")
    for command in (["explain", "nginx"], ["mirrors"], ["doctor"]):
        result = CliRunner().invoke(app, [*command, "--kind-config", config])
        assert result.exit_code == 2, command
        assert f"{config}:5:" in result.output


def test_doctor_flags_a_minikube_mirror_the_runtime_never_uses(tmp_path: Path) -> None:
    profile = tmp_path / "config.json"
    shutil.copy(FIXTURES / "minikube-profile.json", profile)
    profile.write_text(profile.read_text().replace('"docker"\n', '"containerd"\n'))
    result = CliRunner().invoke(app, ["doctor", "--minikube-profile", str(profile)])
    assert result.exit_code == 1
    assert "is never used: minikube passes --registry-mirror to dockerd only" in result.stdout
    for chosen, code in ((profile, 1), (FIXTURES / "minikube-profile.json", 0)):
        gate = CliRunner().invoke(
            app,
            ["scan", MANIFESTS, "--minikube-profile", str(chosen), "--fail-on", "misconfigured"],
        )
        assert gate.exit_code == code, gate.stdout
        assert ("FAIL: 1 configuration error (coverage doctor)" in gate.stdout) == (code == 1)


def test_settings_file_takes_kind_and_minikube_keys(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "kind-config.yaml", tmp_path / "kind.yaml")
    (tmp_path / "image-coverage.toml").write_text(
        f'paths = ["{MANIFESTS}"]\nkind-config = "kind.yaml"\n'
        'minikube-registry-mirror = ["https://docker.m.daocloud.io"]\n'
    )
    result = CliRunner().invoke(app, ["scan", "--config", str(tmp_path / "image-coverage.toml")])
    first = result.stdout.splitlines()[0]
    assert f"kind cluster config {tmp_path / 'kind.yaml'}" in first
    assert "minikube registry mirrors" in first
