"""``request`` and ``mirrors init --for`` take ``scan``'s runtime options (``--k3s-registries``,
``--registries-conf``, ``--kind-config``, ``--minikube-registry-mirror``...), with the same
precedence over the settings file: the lines ``request`` asks for and the coverage ``init``
prints before are those of the mirror ``scan -f json`` says serves each image."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
from fixes_helpers import mirror_for, write_hosts, write_manifest
from typer.testing import CliRunner, Result

from analyzer.cli import app

runner = CliRunner()
FALLS_BACK = "docker.io/acme/app:1"  # not on the mirror's list
HELD = "docker.io/acme/held:1"  # on it
ELSEWHERE = "ghcr.io/acme/tool:2"  # no runtime below mirrors ghcr.io


def _k3s(root: Path) -> list[str]:
    (root / "registries.yaml").write_text(
        "mirrors:\n  docker.io:\n    endpoint:\n      - https://hub.k3s.example\n"
    )
    return ["--k3s-registries", str(root / "registries.yaml")]


def _registries_conf(root: Path) -> list[str]:
    (root / "registries.conf").write_text(
        '[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n\n'
        '[[registry.mirror]]\nlocation = "hub.crio.example"\n'
    )
    return ["--registries-conf", str(root / "registries.conf")]


def _kind(root: Path) -> list[str]:
    (root / "kind.yaml").write_text(
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\ncontainerdConfigPatches:\n  - |-\n"
        '    [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n'
        '      endpoint = ["https://hub.kind.example"]\n'
    )
    return ["--kind-config", str(root / "kind.yaml")]


def _minikube(root: Path) -> list[str]:
    return ["--minikube-registry-mirror", "https://hub.minikube.example"]


#: runtime family: (the options naming its configuration, the mirror host they give docker.io)
FAMILIES = {
    "k3s registries.yaml": (_k3s, "hub.k3s.example"),
    "registries.conf": (_registries_conf, "hub.crio.example"),
    "kind config": (_kind, "hub.kind.example"),
    "minikube mirror": (_minikube, "hub.minikube.example"),
}


def _project(root: Path, host: str) -> tuple[str, list[str]]:
    """The manifest, and a ``--catalog`` whose list for ``host`` holds only ``HELD``."""
    manifest = write_manifest(root / "deploy" / "app.yaml", [FALLS_BACK, HELD, ELSEWHERE])
    (root / f"{host}.txt").write_text("docker.io/acme/held\n")
    return str(manifest), ["--catalog", f"{host}={root / f'{host}.txt'}"]


def _ok(args: list[str]) -> Result:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result


def scan_asks(args: list[str]) -> set[tuple[str, str]]:
    """(mirror host, list line) for each image ``scan -f json`` advises requesting."""
    images = json.loads(runner.invoke(app, ["scan", *args, "-f", "json"]).stdout)["images"]
    return {
        (i["advice"]["host"], i["advice"]["line"])
        for i in images
        if i["advice"] and i["advice"]["action"] == "request"
    }


def request_asks(args: list[str]) -> dict[str, set[str]]:
    """Each line ``request -f json`` adds, and the hosts whose list it goes to."""
    plan = json.loads(_ok(["request", *args, "-f", "json"]).stdout)
    asks: dict[str, set[str]] = {}
    for listed in plan["lists"]:
        for add in listed["add"]:
            asks.setdefault(add["line"], set()).update(listed["hosts"])
    return asks


def follows_scan(args: list[str]) -> set[tuple[str, str]]:
    """What scan advises requesting, checked to be what request asks for: the same lines,
    each for the list of the mirror scan routes the image through."""
    scan = scan_asks(args)
    request = request_asks(args)
    assert {line for _, line in scan} == set(request)
    assert all(host in request[line] for host, line in scan), (scan, request)
    return scan


@pytest.mark.parametrize("family", FAMILIES)
def test_request_asks_the_mirror_scan_routes_through(tmp_path: Path, family: str) -> None:
    write_options, host = FAMILIES[family]
    manifest, catalog = _project(tmp_path, host)
    runtime = write_options(tmp_path)
    asks = follows_scan([manifest, *catalog, *runtime])
    assert asks == {(host, "docker.io/acme/app")}  # HELD is on the list: not asked for
    # without the option: the embedded DaoCloud defaults, in request as in scan
    default = follows_scan([manifest, *catalog])
    assert default and all(h.endswith(".m.daocloud.io") for h, _ in default)


def scan_says(args: list[str]) -> str:
    """``before (CONFIGURATION): SUMMARY`` as ``scan``'s table states the two."""
    lines = runner.invoke(app, ["scan", *args]).stdout.splitlines()
    configuration = lines[0].removeprefix("Configuration: ")
    summary = next(line for line in lines if " uses, coverage " in line)
    return f"before ({configuration}): {summary}"


def init_before(root: Path, manifest: str, *args: str) -> str:
    target = str(root / "out")
    mirror = "docker.io=https://hub.new.example"
    result = _ok(
        ["mirrors", "init", target, "--mirror", mirror, "--dry-run", "--for", manifest, *args]
    )
    return next(line for line in result.stdout.splitlines() if line.startswith("before ("))


@pytest.mark.parametrize("family", FAMILIES)
def test_init_for_starts_from_the_configuration_scan_reads(tmp_path: Path, family: str) -> None:
    write_options, host = FAMILIES[family]
    manifest, catalog = _project(tmp_path, host)
    runtime = write_options(tmp_path)
    before = init_before(tmp_path, manifest, *catalog, *runtime)
    assert before == scan_says([manifest, *catalog, *runtime])
    assert "(1 mirrored, 0 partial, 1 fallback, 1 direct," in before  # through host's list
    nothing = init_before(tmp_path, manifest, *catalog)
    assert nothing.startswith("before (no mirror configuration): ") and "0 mirrored" in nothing


def test_the_runtime_flag_chooses_the_rules_as_in_scan(tmp_path: Path) -> None:
    """A short name and two search registries: CRI-O (enforcing) refuses to pull it, so
    request can only advise; Podman (permissive) pulls the first candidate, direct."""
    conf = tmp_path / "registries.conf"
    conf.write_text('unqualified-search-registries = ["quay.io", "docker.io"]\n')
    manifest = str(write_manifest(tmp_path / "app.yaml", ["acme/app:1"]))
    said = {}
    for runtime in ("crio", "podman"):
        args = [manifest, "--registries-conf", str(conf), "--runtime", runtime]
        plan = json.loads(_ok(["request", *args, "-f", "json"]).stdout)
        scan = json.loads(runner.invoke(app, ["scan", *args, "-f", "json"]).stdout)
        advice = {i["image"]: i["advice"]["text"] for i in scan["images"] if i["advice"]}
        assert {e["image"]: e["advice"] for e in plan["elsewhere"]} == advice
        assert plan["lists"] == []
        said[runtime] = [i["status"] for i in scan["images"]], sorted(advice)
    assert said == {"crio": (["blocked"], ["docker.io/acme/app:1"]), "podman": (["direct"], [])}


def test_options_replace_the_settings_files_mirror_configuration(tmp_path: Path) -> None:
    """Any mirror option replaces all of the file's mirror configuration, as in scan: the
    file's hosts directory is not read once ``--k3s-registries`` is given."""
    manifest, catalog = _project(tmp_path, "hub.k3s.example")
    write_hosts(
        tmp_path / "certs.d", {"docker.io": mirror_for("docker.io", "https://hub.file.example")}
    )
    (tmp_path / "hub.file.example.txt").write_text("docker.io/other/thing\n")
    settings = tmp_path / "image-coverage.toml"
    settings.write_text('hosts-dir = ["certs.d"]\n')
    config = ["--config", str(settings)]
    from_file = [
        manifest,
        *config,
        "--catalog",
        f"hub.file.example={tmp_path / 'hub.file.example.txt'}",
    ]
    assert follows_scan(from_file) == {
        ("hub.file.example", "docker.io/acme/app"),
        ("hub.file.example", "docker.io/acme/held"),
    }
    flagged = [manifest, *config, *catalog, *_k3s(tmp_path)]
    assert follows_scan(flagged) == {("hub.k3s.example", "docker.io/acme/app")}
    before = init_before(tmp_path, manifest, *config, *catalog, *_k3s(tmp_path))
    assert before == scan_says(flagged) and "hub.file" not in before


def test_runtime_files_beside_a_hosts_directory_route_as_in_scan(tmp_path: Path) -> None:
    """``--hosts-dir`` and ``--k3s-registries`` together: both read, the route scan takes."""
    manifest, catalog = _project(tmp_path, "hub.k3s.example")
    hosts = write_hosts(
        tmp_path / "certs.d", {"ghcr.io": mirror_for("ghcr.io", "https://ghcr.hosts.example")}
    )
    (tmp_path / "ghcr.txt").write_text("ghcr.io/other/thing\n")
    args = [
        manifest,
        *catalog,
        *_k3s(tmp_path),
        "--hosts-dir",
        str(hosts),
        "--catalog",
        f"ghcr.hosts.example={tmp_path / 'ghcr.txt'}",
    ]
    expected = {
        ("hub.k3s.example", "docker.io/acme/app"),
        ("ghcr.hosts.example", "ghcr.io/acme/tool"),
    }
    assert follows_scan(args) == expected
    assert init_before(tmp_path, manifest, *args[1:]) == scan_says(args)


@pytest.mark.parametrize("command", ["scan", "request", "mirrors init"])
def test_an_unknown_runtime_is_the_same_usage_error(tmp_path: Path, command: str) -> None:
    manifest = str(write_manifest(tmp_path / "app.yaml", [FALLS_BACK]))
    settings = tmp_path / "image-coverage.toml"
    settings.write_text('runtime = "cri-o"\n')  # init's own --runtime is what it writes
    args = [manifest, "--config", str(settings)]
    if command == "mirrors init":
        args = ["mirrors", "init", str(tmp_path / "out"), "--preset", "daocloud", "--for", *args]
    else:
        args = [command, *args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    name = command
    assert result.stderr == (
        f"coverage {name}: error: unknown --runtime 'cri-o' "
        "(choose from containerd, k3s, rke2, crio, podman, docker)\n"
    )
    flag = runner.invoke(app, ["request", manifest, "--runtime", "cri-o"])
    assert flag.exit_code == 2 and flag.stderr == result.stderr.replace(name, "request")


def test_a_configuration_the_runtime_refuses_exits_2_as_in_scan(tmp_path: Path) -> None:
    """Two ``[[registry]]`` entries for one prefix that disagree: CRI-O refuses the file."""
    conf = tmp_path / "registries.conf"
    conf.write_text(
        '[[registry]]\nlocation = "docker.io"\n\n'
        '[[registry]]\nlocation = "docker.io"\ninsecure = true\n'
    )
    manifest = str(write_manifest(tmp_path / "app.yaml", [FALLS_BACK]))
    runtime = ["--registries-conf", str(conf)]
    scan = runner.invoke(app, ["scan", manifest, *runtime])
    request = runner.invoke(app, ["request", manifest, *runtime])
    out = str(tmp_path / "out")
    init = runner.invoke(
        app, ["mirrors", "init", out, "--preset", "daocloud", "--for", manifest, *runtime]
    )
    assert scan.exit_code == request.exit_code == init.exit_code == 2
    assert "conflicting" in scan.stdout + scan.stderr
    assert "conflicting" in request.stderr and "conflicting" in init.stderr


def test_init_refuses_the_configuration_before_without_for(tmp_path: Path) -> None:
    """Without ``--for`` nothing is routed: an option for the configuration before would
    be silently unused."""
    out = str(tmp_path / "out")
    for option in (_k3s(tmp_path), ["--hosts-dir", str(tmp_path)], _minikube(tmp_path)):
        result = runner.invoke(app, ["mirrors", "init", out, "--preset", "daocloud", *option])
        assert result.exit_code == 2
        assert result.stderr == (
            f"coverage mirrors init: error: {option[0]}: only --for reads the manifests and "
            "the configuration before (give --for PATH)\n"
        )
        assert not (tmp_path / "out").exists()


def _warned_commands(root: Path, manifest: str) -> dict[str, list[str]]:
    """Each command that reads a mirror configuration, with a hosts directory and the k3s
    switch, which then applies to nothing."""
    toml = 'server = "https://registry-1.docker.io"\n[host."https://hub.example"]\n'
    hosts = str(write_hosts(root / "certs.d", {"docker.io": toml}))
    given = ["--hosts-dir", hosts, "--k3s-disable-default-endpoint"]
    return {
        "request": ["request", manifest, *given],
        "explain": ["explain", FALLS_BACK, *given],
        "doctor": ["doctor", *given],
        "probe": ["probe", "--image", FALLS_BACK, *given],
        "mirrors init": [
            "mirrors", "init", str(root / "new.d"), "--preset", "daocloud",
            "--for", manifest, "--dry-run", *given,
        ],
    }  # fmt: skip


@pytest.mark.parametrize("command", ["request", "explain", "doctor", "probe", "mirrors init"])
def test_a_configuration_warning_reaches_every_command(
    tmp_path: Path, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MirrorConfig.warnings (here: the k3s switch where no registries.yaml is read) were
    shown by scan and mirrors only."""
    monkeypatch.setenv("IMAGE_COVERAGE_CACHE_DIR", str(tmp_path / "cache"))
    manifest = str(write_manifest(tmp_path / "m.yaml", [FALLS_BACK]))
    argv = _warned_commands(tmp_path, manifest)[command]
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # probe: no network
        result = runner.invoke(app, argv)
    assert result.exit_code != 1 or command == "doctor", result.output
    assert "k3s-disable-default-endpoint) changes nothing here" in result.output, result.output


def test_init_refuses_the_k3s_switch_with_no_configuration_before(tmp_path: Path) -> None:
    manifest = str(write_manifest(tmp_path / "m.yaml", [FALLS_BACK]))
    argv = ["mirrors", "init", str(tmp_path / "new.d"), "--runtime", "k3s", "--preset"]
    argv += ["daocloud", "--for", manifest, "--dry-run", "--k3s-disable-default-endpoint"]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert "--k3s-disable-default-endpoint: no registries.yaml is named" in result.output
