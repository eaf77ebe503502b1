"""Entries containerd finds but cannot use, certificates it cannot load, and URLs Go accepts
that fail at request time (issue 13, classes 1, 2 and 4); the integration suite checks the
same against the real containerd."""

from __future__ import annotations

from pathlib import Path

import pytest
from tls_material import make_pem, write_files

from analyzer.mirrors import load_catalogues, load_mirror_config
from analyzer.mirrors.go_url import GoURLError, go_url_parse
from analyzer.reference import parse_image
from analyzer.route import route_image

PEM = make_pem()
M1 = "http://127.0.0.1:5001"


def route(root: Path, image: str, catalogues: tuple[str, ...] = ()) -> str:
    config = load_mirror_config(hosts_dirs=[str(root)], node_default=None)
    return route_image(parse_image(image), config, load_catalogues(list(catalogues))).status


def hosts(root: Path, name: str, text: str) -> Path:
    directory = root / name
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "hosts.toml").write_text(text)
    return directory


def test_regular_file_named_like_a_registry_dir_blocks_even_with_default(tmp_path: Path) -> None:
    hosts(tmp_path, "_default", f'[host."{M1}"]\n')
    (tmp_path / "127.0.0.1_5000_").write_text("not a directory\n")
    assert route(tmp_path, "127.0.0.1:5000/x/y:1") == "blocked"
    assert route(tmp_path, "127.0.0.1:5999/x/y:1") == "mirrored"  # _default still used


def test_hosts_toml_that_is_a_directory_blocks(tmp_path: Path) -> None:
    (tmp_path / "docker.io" / "hosts.toml").mkdir(parents=True)
    config = load_mirror_config(hosts_dirs=[str(tmp_path)], node_default=None)
    assert config.hosts_for("docker.io").fatal is not None
    assert any("Is a directory" in e.message for e in config.errors)
    assert route(tmp_path, "nginx:1") == "blocked"


def test_root_that_is_a_file_blocks_every_pull(tmp_path: Path) -> None:
    root = tmp_path / "certs.d"
    root.write_text("")
    assert route(root, "nginx:1") == "blocked"


def test_dangling_symlink_is_skipped_like_a_missing_dir(tmp_path: Path) -> None:
    (tmp_path / "docker.io").symlink_to(tmp_path / "absent")
    hosts(tmp_path, "_default", f'[host."{M1}"]\n')
    assert route(tmp_path, "nginx:1") == "mirrored"


@pytest.mark.parametrize(
    ("files", "blocked"),
    [
        ({"ca.crt": PEM.ca}, False),
        ({"ca.crt": b"not PEM\n"}, True),
        ({"client.cert": PEM.cert, "client.key": PEM.key}, False),
        ({"client.cert": PEM.cert}, True),  # no key: read from the .cert, which has none
        ({"client.cert": PEM.cert + PEM.key}, False),
        ({"client.cert": PEM.cert, "client.key": PEM.other_key}, True),
        ({"notes.txt": b"x", "client.key": b"x"}, False),  # only *.crt and *.cert count
    ],
)
def test_certs_d_layout_is_loaded_when_hosts_toml_is_missing_or_rejected(
    tmp_path: Path, files: dict[str, bytes], blocked: bool
) -> None:
    write_files(tmp_path / "missing" / "docker.io", files)
    assert (route(tmp_path / "missing", "nginx:1") == "blocked") is blocked
    rejected = hosts(tmp_path / "rejected", "docker.io", f'[host."{M1}"]\ncapabilities = 1\n')
    write_files(rejected, files)
    assert (route(tmp_path / "rejected", "nginx:1") == "blocked") is blocked


@pytest.mark.parametrize(
    ("key", "files", "blocked"),
    [
        ('ca = "ca.pem"', {"ca.pem": PEM.ca}, False),
        ('ca = "ca.pem"', {"ca.pem": b"-----BEGIN CERTIFICATE-----\nAAAA\n"}, True),
        ('ca = ["ca.pem", "bad.pem"]', {"ca.pem": PEM.ca, "bad.pem": PEM.key}, True),
        ('client = "c.pem"', {"c.pem": PEM.cert}, True),
        ('client = [["c.pem", "k.pem"]]', {"c.pem": PEM.cert, "k.pem": PEM.key}, False),
        ('client = [["c.pem", "k.pem"]]', {"c.pem": PEM.cert, "k.pem": PEM.other_key}, True),
    ],
)
def test_hosts_toml_certificates_are_parsed_even_for_http_hosts(
    tmp_path: Path, key: str, files: dict[str, bytes], blocked: bool
) -> None:
    directory = hosts(tmp_path, "docker.io", f'[host."{M1}"]\n{key}\n')
    write_files(directory, files)
    assert (route(tmp_path, "nginx:1") == "blocked") is blocked


@pytest.mark.parametrize(
    ("url", "host", "path"),
    [
        ("http://127.0.0.1:500111", "127.0.0.1:500111", ""),
        ("http://", "", ""),
        ("http:/127.0.0.1:5001", "", "/127.0.0.1:5001"),
        ("https://u:p@m.example:5000/x?q#f", "m.example:5000", "/x"),
        ("HTTP://M.example", "M.example", ""),
    ],
)
def test_go_url_parse_accepts_what_go_accepts(url: str, host: str, path: str) -> None:
    parsed = go_url_parse(url)
    assert (parsed.host, parsed.path) == (host, path)


@pytest.mark.parametrize("url", ["http://h:abc", "http://a b", "http://[::1", "http://h/%zz", ":x"])
def test_go_url_parse_refuses_what_go_refuses(url: str) -> None:
    with pytest.raises(GoURLError):
        go_url_parse(url)


@pytest.mark.parametrize("bad", ["http://127.0.0.1:500111", "http://", "http:/127.0.0.1:5001"])
def test_host_go_accepts_but_cannot_reach_is_skipped_not_the_whole_file(
    tmp_path: Path, bad: str
) -> None:
    hosts(tmp_path, "docker.io", f'[host."{bad}"]\n[host."{M1}"]\n')
    config = load_mirror_config(hosts_dirs=[str(tmp_path)], node_default=None)
    assert not config.errors
    assert route(tmp_path, "nginx:1") == "mirrored"  # the second mirror, not `direct`
    (first, second, _) = config.hosts_for("docker.io").hosts
    assert first.unusable is not None and second.unusable is None


def test_server_without_host_means_the_registry_itself(tmp_path: Path) -> None:
    hosts(tmp_path, "quay.io", 'server = "http://"\n[host."https://m.example"]\n')
    last = load_mirror_config(hosts_dirs=[str(tmp_path)]).hosts_for("quay.io").hosts[-1]
    assert (last.url, last.is_upstream) == ("https://quay.io/v2", True)


def test_url_without_scheme_says_https(tmp_path: Path) -> None:
    hosts(tmp_path, "docker.io", '[host."m.example:5000"]\n')
    config = load_mirror_config(hosts_dirs=[str(tmp_path)])
    rh = config.hosts_for("docker.io")
    assert rh.hosts[0].url == "https://m.example:5000/v2"
    assert any("no scheme: containerd uses https://m.example:5000" in w for w in rh.warnings)


def test_legacy_mirrors_for_two_registries_give_one_row_each(tmp_path: Path) -> None:
    import analyzer

    config = tmp_path / "config.toml"
    config.write_text(
        "version = 2\n"
        '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n'
        '  endpoint = ["https://docker.m.daocloud.io"]\n'
        '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."quay.io"]\n'
        '  endpoint = ["https://quay.m.daocloud.io"]\n'
    )
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "  - {name: a, image: nginx:1}\n  - {name: b, image: quay.io/x/y:1}\n"
    )
    report = analyzer.scan(
        str(manifest),
        containerd_config=str(config),
        catalogs={"docker.m.daocloud.io": "all", "quay.m.daocloud.io": "all"},
    )
    rows = {(m.host, m.registry) for m in report.mirrors}
    assert rows == {
        ("https://docker.m.daocloud.io/v2", "docker.io"),
        ("https://quay.m.daocloud.io/v2", "quay.io"),
    }


def test_reference_without_a_valid_domain_goes_to_the_host_containerd_contacts(
    tmp_path: Path,
) -> None:
    config = load_mirror_config(hosts_dirs=[str(tmp_path)], node_default=None)
    found = route_image(parse_image("foo_bar.com/baz:1"), config, load_catalogues([]))
    assert (found.registry, found.resolve_host) == ("foo_bar.com", "https://foo_bar.com/v2")
    assert "HEAD https://foo_bar.com/v2/baz/manifests/1" in [a.detail for a in found.attempts]


def test_containerd_version_chooses_the_rules_and_is_named(tmp_path: Path) -> None:
    hosts(tmp_path, "docker.io", 'server = "https://m.example"\n')
    old = load_mirror_config(hosts_dirs=[str(tmp_path)], containerd_version="1.6")
    new = load_mirror_config(hosts_dirs=[str(tmp_path)], containerd_version="2.0")
    assert old.hosts_for("docker.io").hosts[-1].host == "registry-1.docker.io"  # ignored
    assert new.hosts_for("docker.io").hosts[-1].host == "m.example"
    assert "containerd 1.6 rules" in old.description
    assert "containerd 2.0 rules" in new.description
    with pytest.raises(ValueError, match=r"not MAJOR\.MINOR"):
        load_mirror_config(hosts_dirs=[str(tmp_path)], containerd_version="latest")


@pytest.mark.parametrize("url", ["http://m.example:", "https://m.example:/cache"])
def test_an_empty_port_is_the_scheme_default_not_an_unusable_host(tmp_path: Path, url: str) -> None:
    """Go's net/http dials ``host:`` on the scheme's port (``canonicalAddr``: an empty
    ``url.Port()`` is ``portMap[scheme]``); containerd 1.6.20 fetched through such a host
    (tests/integration/test_containerd_misconfig.py, ``empty-port-is-the-default-port``)."""
    hosts(tmp_path, "docker.io", f'[host."{url}"]\n')
    config = load_mirror_config(hosts_dirs=[str(tmp_path)], node_default=None)
    first = config.hosts_for("docker.io").hosts[0]
    assert first.unusable is None
    assert route(tmp_path, "nginx:1") == "mirrored"


def test_an_upper_case_scheme_is_a_host_named_after_it(tmp_path: Path) -> None:
    """``HTTP://m:5001`` does not start with ``http``: containerd makes it
    ``https://HTTP://m:5001``, whose host is ``HTTP:`` (port 443). containerd 1.6.20 sent
    ``CONNECT HTTP:443`` there, then tried the next host; the analyser must not take that
    uncatalogued name for a mirror that serves everything."""
    hosts(tmp_path, "docker.io", f'[host."HTTP://m.example:5001"]\n[host."{M1}"]\n')
    config = load_mirror_config(hosts_dirs=[str(tmp_path)], node_default=None)
    first = config.hosts_for("docker.io").hosts[0]
    assert first.host == "HTTP:" and first.unusable is not None
    assert "read as a name" in first.unusable


def test_a_file_this_user_cannot_read_is_unchecked_not_a_containerd_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """containerd runs as root: a hosts.toml or a 0600 client key that the analyser, run as
    another user, may not read is no proof that containerd fails. The route is blocked (the
    gate cannot vouch for it) and says why, not "containerd fails every pull"."""
    import analyzer.mirrors.hosts_dir as hosts_dir_module
    from analyzer.mirrors import load_catalogues, load_mirror_config
    from analyzer.reference import parse_image
    from analyzer.route import route_image

    hosts = tmp_path / "certs.d" / "docker.io"
    hosts.mkdir(parents=True)
    (hosts / "hosts.toml").write_text('[host."https://m.example"]\n')

    def denied(path: object, **_: object) -> bytes:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(hosts_dir_module, "read_regular_file", denied)
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    config = load_mirror_config(hosts_dirs=[str(tmp_path / "certs.d")], node_default=None)
    route = route_image(parse_image("nginx:1"), config, load_catalogues(["m.example=all"]))
    assert route.status == "blocked"
    assert "cannot be checked" in (route.reason or "") and "uid 1000" in (route.reason or "")
    assert "containerd cannot set up" not in (route.reason or "")
    assert any("run the analyser as root" in e.message for e in config.errors), config.errors
    monkeypatch.setattr("os.geteuid", lambda: 0)  # root itself denied: containerd would be too
    config = load_mirror_config(hosts_dirs=[str(tmp_path / "certs.d")], node_default=None)
    route = route_image(parse_image("nginx:1"), config, load_catalogues(["m.example=all"]))
    assert route.status == "blocked" and "containerd cannot set up" in (route.reason or "")
