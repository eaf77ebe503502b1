"""k3s/RKE2 registries.yaml -> the hosts.toml files k3s writes -> routes.

Each rule cites k3s-io/k3s ``pkg/agent/containerd/config.go`` at 06ea261 (and its
``config_test.go`` case names) or docs.k3s.io "Private Registry Configuration".
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.mirrors import load_catalogues, load_mirror_config
from analyzer.mirrors.k3s import normalize_endpoint, parse_k3s_registries
from analyzer.reference import parse_image
from analyzer.route import route_image

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "runtimes"


def _urls(text: str, registry: str = "docker.io", **options: object) -> list[str]:
    runtime = parse_k3s_registries(text, "registries.yaml", **options)  # type: ignore[arg-type]
    found = runtime.hosts_for(parse_image(f"{registry}/x/y"))
    return [] if found is None else [h.url for h in found.hosts]


def test_endpoints_in_order_with_pull_resolve_then_the_default_endpoint() -> None:
    # config.go getHostConfigs; config_test "duplicate endpoints in different positions"
    text = "mirrors:\n  docker.io:\n    endpoint: [https://a.example, https://b.example, https://a.example]\n"
    runtime = parse_k3s_registries(text, "registries.yaml")
    hosts = runtime.hosts_for(parse_image("nginx"))
    assert hosts is not None
    assert [h.url for h in hosts.hosts] == [
        "https://a.example/v2",
        "https://b.example/v2",
        "https://registry-1.docker.io/v2",
    ]
    assert hosts.hosts[0].capabilities == frozenset({"pull", "resolve"})
    assert hosts.hosts[-1].is_upstream and hosts.hosts[-1].is_server
    assert any("duplicate" in w or "repeats" in w for w in runtime.warnings)


def test_disable_default_endpoint_removes_the_upstream() -> None:
    # config.go: "if noDefaultEndpoint { c.Default = nil }"
    text = "mirrors:\n  docker.io:\n    endpoint: [https://a.example]\n"
    assert _urls(text, disable_default_endpoint=True) == ["https://a.example/v2"]
    config = load_mirror_config(node_default=None)
    assert config.hosts_for("docker.io").origin == "embedded"


def test_no_endpoints_writes_nothing_and_listing_the_default_is_the_default() -> None:
    # config_test "registry with default endpoint" / "... explicitly listed"
    assert parse_k3s_registries("mirrors:\n  docker.io:\n", "r.yaml").dirs == {}
    listed = "mirrors:\n  docker.io:\n    endpoint: [docker.io]\n"
    assert parse_k3s_registries(listed, "r.yaml").dirs == {}


def test_wildcard_is_default_dir_with_no_server_line() -> None:
    # config_test "wildcard mirror endpoint - full URL": Default URL ""
    runtime = parse_k3s_registries(
        'mirrors:\n  "*":\n    endpoint: [https://r.example/v2]\n', "r.yaml"
    )
    assert list(runtime.dirs) == ["_default"]
    assert "server" not in runtime.dirs["_default"].text
    assert _urls('mirrors:\n  "*":\n    endpoint: [https://r.example/v2]\n', "quay.io") == [
        "https://r.example/v2",
        "https://quay.io/v2",
    ]


def test_endpoint_normalisation() -> None:
    # normalizeEndpointAddress and its config_test cases
    assert normalize_endpoint("localhost:5000") == (
        "localhost:5000",
        "http://localhost:5000/v2",
        False,
    )
    assert normalize_endpoint("127.0.0.1:5000")[1] == "http://127.0.0.1:5000/v2"  # type: ignore[index]
    assert normalize_endpoint("https://127.0.0.1:5000")[1] == "https://127.0.0.1:5000/v2"  # type: ignore[index]
    assert (
        normalize_endpoint("registry.example.com:443")[1] == "https://registry.example.com:443/v2"
    )  # type: ignore[index]
    assert normalize_endpoint("docker.io") == (
        "docker.io",
        "https://registry-1.docker.io/v2",
        False,
    )
    assert normalize_endpoint("registry.example.com/prefix/v2") == (
        "registry.example.com",
        "https://registry.example.com/prefix/v2",
        True,
    )


def test_endpoint_with_a_path_is_used_as_written() -> None:
    text = "mirrors:\n  docker.io:\n    endpoint: [https://registry.example.com/project/registry]\n"
    runtime = parse_k3s_registries(text, "r.yaml")
    assert "override_path = true" in runtime.dirs["docker.io"].text
    route = route_image(parse_image("nginx"), _config(text), load_catalogues([]))
    assert route.status == "fallback"  # /project/registry has no /v2: outside the Registry API
    assert route.attempts[0].outcome == "outside_api"


def _config(text: str, tmp: Path | None = None, **options: object):  # type: ignore[no-untyped-def]
    import tempfile

    folder = Path(tempfile.mkdtemp()) if tmp is None else tmp
    path = folder / "registries.yaml"
    path.write_text(text)
    return load_mirror_config(k3s_registries=str(path), **options)  # type: ignore[arg-type]


def test_rewrite_changes_the_name_each_mirror_is_asked_for(tmp_path: Path) -> None:
    # docs.k3s.io "Rewrites"; the default endpoint is asked for the name as written
    text = (
        "mirrors:\n  docker.io:\n    endpoint: [https://registry.example.com:5000]\n"
        '    rewrite:\n      "^rancher/(.*)": "mirrorproject/rancher-images/$1"\n'
    )
    listed = tmp_path / "list.txt"
    listed.write_text("docker.io/mirrorproject/rancher-images/mirrored-pause\n")
    catalogues = load_catalogues([f"registry.example.com:5000={listed}"])
    route = route_image(
        parse_image("rancher/mirrored-pause:3.6"), _config(text, tmp_path), catalogues
    )
    assert route.status == "mirrored"
    assert "/v2/mirrorproject/rancher-images/mirrored-pause/manifests/3.6" in (
        route.attempts[0].detail or ""
    )
    listed.write_text("docker.io/rancher/mirrored-pause\n")  # the name as written: not asked
    route = route_image(
        parse_image("rancher/mirrored-pause:3.6"),
        _config(text, tmp_path),
        load_catalogues([f"registry.example.com:5000={listed}"]),
    )
    assert route.status == "fallback"
    assert route.content_host == "https://registry-1.docker.io/v2"


def test_tls_from_configs_of_the_endpoint_host_and_auth_never_printed(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    text = (
        "mirrors:\n  docker.io:\n    endpoint: [https://m.example:5000]\n"
        f"configs:\n  m.example:5000:\n    auth: {{username: u, password: SECRETPW}}\n"
        f"    tls: {{ca_file: {ca}, cert_file: /c.pem, key_file: /k.pem,\n"
        "           insecure_skip_verify: true}\n"
    )
    runtime = parse_k3s_registries(text, "r.yaml")
    written = runtime.dirs["docker.io"].text
    assert f'ca = ["{ca}"]' in written
    assert 'client = [["/c.pem", "/k.pem"]]' in written and "skip_verify = true" in written
    assert "SECRETPW" not in written and "SECRETPW" not in " ".join(runtime.warnings)
    # the client files do not exist: containerd cannot set the hosts up, every pull fails
    route = route_image(parse_image("nginx"), _config(text, tmp_path), load_catalogues([]))
    assert route.status == "blocked"
    result = CliRunner().invoke(
        app, ["mirrors", "--k3s-registries", str(tmp_path / "registries.yaml")]
    )
    assert "SECRETPW" not in result.stdout


def test_wildcard_tls_is_lost_when_star_is_in_mirrors_too() -> None:
    text = (
        'mirrors:\n  "*":\n    endpoint: [https://r.example]\n'
        'configs:\n  "*":\n    tls: {insecure_skip_verify: true}\n'
    )
    runtime = parse_k3s_registries(text, "r.yaml")
    assert "skip_verify" not in runtime.dirs["_default"].text
    assert any("tls settings are lost" in w for w in runtime.warnings)


def test_bad_file_is_an_error_with_a_line(tmp_path: Path) -> None:
    runtime = parse_k3s_registries("mirrors:\n  docker.io: [a\n", "r.yaml")
    assert runtime.errors and runtime.errors[0].line is not None
    shaped = parse_k3s_registries("mirrors:\n  docker.io:\n    endpoint: https://x\n", "r.yaml")
    assert shaped.errors[0].line == 3 and "list of strings" in shaped.errors[0].message
    path = tmp_path / "registries.yaml"
    path.write_text("mirrors: [\n")
    result = CliRunner().invoke(app, ["mirrors", "--k3s-registries", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_mirrors_command_shows_the_hosts_files_k3s_writes() -> None:
    result = CliRunner().invoke(
        app, ["mirrors", "--k3s-registries", str(FIXTURES / "k3s-registries.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert (
        "--- /var/lib/rancher/k3s/agent/etc/containerd/certs.d/docker.io/hosts.toml"
        in result.stdout
    )
    assert '[host."https://docker.m.daocloud.io/v2"]' in result.stdout
    rke2 = CliRunner().invoke(
        app,
        ["mirrors", "--runtime", "rke2", "--k3s-registries", str(FIXTURES / "k3s-registries.yaml")],
    )
    assert "/var/lib/rancher/rke2/agent/etc/containerd/certs.d/docker.io" in rke2.stdout


def test_written_files_are_read_with_containerds_rules(tmp_path: Path) -> None:
    # the hosts.toml files k3s writes are read as containerd reads any: a ca file it cannot
    # load fails every pull (certificates.py), a loadable one does not
    from tls_material import make_pem

    (tmp_path / "bad.pem").write_text("not a certificate")
    (tmp_path / "good.pem").write_bytes(make_pem().ca)
    for name, status in (("bad.pem", "blocked"), ("good.pem", "mirrored")):
        text = (
            "mirrors:\n  docker.io:\n    endpoint: [https://m.example]\n"
            f"configs:\n  m.example:\n    tls: {{ca_file: {tmp_path / name}}}\n"
        )
        config = _config(text, tmp_path, node_default=None)
        route = route_image(parse_image("nginx"), config, load_catalogues(["m.example=all"]))
        assert route.status == status, route.to_dict()


def test_containerd_version_reaches_the_written_files(tmp_path: Path) -> None:
    # a configs-only key is written with no [host] table: containerd 1.6/1.7 (before
    # 1.7.32) ignore such a file, 2.x reads it (test_hosts_misconfig, hosts_toml.py)
    text = "configs:\n  reg.example:\n    tls: {insecure_skip_verify: true}\n"
    old = _config(text, tmp_path, node_default=None, containerd_version="1.7")
    new = _config(text, tmp_path, node_default=None, containerd_version="2.0")
    ignored = old.hosts_for("reg.example")
    assert any("no [host] table" in w for w in ignored.warnings), ignored.warnings
    assert not ignored.hosts[-1].skip_verify  # the file is ignored: no skip_verify
    used = new.hosts_for("reg.example")
    assert used.hosts[-1].skip_verify
    assert "containerd 1.7 rules (--containerd-version)" in old.description
