"""route_image: containerd's resolve and fetch rules, one test per oracle scenario
(containerd 1.6.20 against distribution registries; ids as in the reference table)."""

from __future__ import annotations

from pathlib import Path

from analyzer.mirrors import Catalogues, load_catalogues, load_mirror_config
from analyzer.model import Route
from analyzer.reference import parse_image
from analyzer.route import route_image

DIGEST = "sha256:" + "ab" * 32
M1 = "http://127.0.0.1:5001"
M2 = "http://127.0.0.1:5002"


class Node:
    """A hosts directory in tmp_path plus the catalogues of its mirrors."""

    def __init__(self, root: Path) -> None:
        self.root = root / "certs.d"
        self.root.mkdir(parents=True)
        self.lists = root
        self.specs: list[str] = []

    def hosts(self, registry_dir: str, text: str) -> Node:
        directory = self.root / registry_dir
        directory.mkdir()
        (directory / "hosts.toml").write_text(text)
        return self

    def holds(self, host: str, *repos: str) -> Node:
        listing = self.lists / f"{host.replace(':', '_')}.txt"
        listing.write_text("".join(f"{r}\n" for r in repos) or "\n")
        self.specs.append(f"{host}={listing}" if repos else f"{host}=none")
        return self

    def route(self, image: str) -> Route:
        config = load_mirror_config(hosts_dirs=[str(self.root)])
        return route_image(parse_image(image), config, load_catalogues(self.specs))


def mirror(url: str, caps: str = '"pull", "resolve"') -> str:
    return f'[host."{url}"]\n  capabilities = [{caps}]\n'


def outcomes(route: Route, phase: str) -> list[tuple[str, str]]:
    return [(a.host, a.outcome) for a in route.attempts if a.phase == phase]


def test_s1_mirror_with_pull_resolve_holds_it_mirrored(tmp_path: Path) -> None:
    node = (
        Node(tmp_path).hosts("docker.io", mirror(M1)).holds("127.0.0.1:5001", "docker.io/oracle/x")
    )
    route = node.route("oracle/x:v1")
    assert route.status == "mirrored"
    assert route.resolve_host == route.content_host == f"{M1}/v2"
    assert route.hosts_file == str(node.root / "docker.io" / "hosts.toml")


def test_s2_mirror_lacks_it_fallback_with_every_attempt(tmp_path: Path) -> None:
    node = (
        Node(tmp_path).hosts("docker.io", mirror(M1)).holds("127.0.0.1:5001", "docker.io/other/y")
    )
    route = node.route("oracle/x:v1")
    assert route.status == "fallback"
    upstream = "https://registry-1.docker.io/v2"
    assert outcomes(route, "resolve") == [(f"{M1}/v2", "not_in_catalogue"), (upstream, "served")]
    assert outcomes(route, "content") == [(f"{M1}/v2", "not_in_catalogue"), (upstream, "served")]
    assert route.resolve_host == route.content_host == upstream


def test_s3_pull_only_mirror_with_a_tag_is_partial(tmp_path: Path) -> None:
    node = (
        Node(tmp_path)
        .hosts("docker.io", mirror(M1, '"pull"'))
        .holds("127.0.0.1:5001", "docker.io/oracle/x")
    )
    route = node.route("oracle/x:v1")
    assert route.status == "partial"
    assert route.resolve_host == "https://registry-1.docker.io/v2"
    assert route.content_host == f"{M1}/v2"
    assert outcomes(route, "resolve")[0] == (f"{M1}/v2", "cannot_resolve")
    assert any("same digest" in w for w in route.warnings)  # S3s: a stale mirror tag


def test_s4_pull_only_mirror_with_a_digest_is_mirrored(tmp_path: Path) -> None:
    node = (
        Node(tmp_path)
        .hosts("docker.io", mirror(M1, '"pull"'))
        .holds("127.0.0.1:5001", "docker.io/oracle/x")
    )
    route = node.route(f"oracle/x@{DIGEST}")
    assert route.status == "mirrored"
    assert route.resolve_host == route.content_host == f"{M1}/v2"


def test_s4t_name_tag_digest_is_pulled_by_digest(tmp_path: Path) -> None:
    node = (
        Node(tmp_path)
        .hosts("docker.io", mirror(M1, '"pull"'))
        .holds("127.0.0.1:5001", "docker.io/oracle/x")
    )
    route = node.route(f"oracle/x:v1@{DIGEST}")
    assert route.image == f"docker.io/oracle/x@{DIGEST}"
    assert route.status == "mirrored"
    assert DIGEST in (route.attempts[0].detail or "")


def test_s11_two_mirrors_only_the_second_holds_it(tmp_path: Path) -> None:
    node = (
        Node(tmp_path)
        .hosts("docker.io", mirror(M1) + mirror(M2))
        .holds("127.0.0.1:5001", "docker.io/other/y")
        .holds("127.0.0.1:5002", "docker.io/oracle/x")
    )
    route = node.route("oracle/x:v1")
    assert route.status == "mirrored"
    assert outcomes(route, "resolve") == [(f"{M1}/v2", "not_in_catalogue"), (f"{M2}/v2", "served")]
    assert route.content_host == f"{M2}/v2"


def test_s11o_both_hold_it_file_order_decides(tmp_path: Path) -> None:
    node = (
        Node(tmp_path)
        .hosts("docker.io", mirror(M2) + mirror(M1))
        .holds("127.0.0.1:5001", "docker.io/oracle/x")
        .holds("127.0.0.1:5002", "docker.io/oracle/x")
    )
    assert node.route("oracle/x:v1").resolve_host == f"{M2}/v2"


def test_s9a_s9b_default_dir_falls_back_to_the_images_own_registry(tmp_path: Path) -> None:
    node = (
        Node(tmp_path)
        .hosts("_default", mirror(M1))
        .holds("127.0.0.1:5001", "registry.example.test/oracle/x")
    )
    served = node.route("registry.example.test/oracle/x:v1")
    assert served.status == "mirrored"
    assert "?ns=registry.example.test" in (served.attempts[0].detail or "")
    missing = node.route("registry.example.test/oracle/other:v1")
    assert missing.status == "fallback"
    assert missing.content_host == "https://registry.example.test/v2"


def test_s9c_specific_dir_beats_default(tmp_path: Path) -> None:
    node = (
        Node(tmp_path)
        .hosts("_default", mirror(M1))
        .hosts("docker.io", mirror(M2))
        .holds("127.0.0.1:5001", "docker.io/oracle/x")
        .holds("127.0.0.1:5002", "docker.io/oracle/x")
    )
    route = node.route("oracle/x:v1")
    assert route.resolve_host == f"{M2}/v2"
    assert [a.host for a in route.attempts].count(f"{M1}/v2") == 0


def test_s12_ns_on_mirrors_not_on_the_registrys_own_host(tmp_path: Path) -> None:
    node = Node(tmp_path).hosts("127.0.0.1_5000_", mirror(M1)).holds("127.0.0.1:5001", "none.io/x")
    route = node.route("127.0.0.1:5000/oracle/x:v1")
    details = [a.detail or "" for a in route.attempts if a.outcome == "served"]
    assert details[0] == "HEAD http://127.0.0.1:5000/v2/oracle/x/manifests/v1"
    mirror_node = Node(tmp_path / "second").hosts("127.0.0.1_5000_", mirror(M1))
    mirror_node.holds("127.0.0.1:5001", "127.0.0.1:5000/oracle/x")
    served = mirror_node.route("127.0.0.1:5000/oracle/x:v1").attempts[0]
    assert served.detail == f"HEAD {M1}/v2/oracle/x/manifests/v1?ns=127.0.0.1%3A5000"


def test_s12b_no_ns_for_registry_1_docker_io(tmp_path: Path) -> None:
    node = (
        Node(tmp_path)
        .hosts("docker.io", mirror("http://mirror.example.test"))
        .holds("mirror.example.test", "docker.io/oracle/x")
    )
    served = node.route("oracle/x:v1").attempts[0]
    assert served.detail == (
        "HEAD http://mirror.example.test/v2/oracle/x/manifests/v1?ns=docker.io"
    )
    upstream = node.route("oracle/other:v1")
    resolved = next(a for a in upstream.attempts if a.outcome == "served")
    assert resolved.detail == "HEAD https://registry-1.docker.io/v2/oracle/other/manifests/v1"


def test_s19_push_only_mirror_still_serves_content(tmp_path: Path) -> None:
    node = (
        Node(tmp_path)
        .hosts("docker.io", mirror(M1, '"push"'))
        .holds("127.0.0.1:5001", "docker.io/oracle/x")
    )
    route = node.route("oracle/x:v1")
    assert route.status == "partial"
    assert route.resolve_host == "https://registry-1.docker.io/v2"
    assert route.content_host == f"{M1}/v2"


def test_s20_server_replaced_by_a_mirror_lacking_the_image_is_blocked(tmp_path: Path) -> None:
    node = (
        Node(tmp_path)
        .hosts("docker.io", f'server = "{M1}"\n' + mirror(M2))
        .holds("127.0.0.1:5001", "docker.io/other/y")
        .holds("127.0.0.1:5002", "docker.io/other/y")
    )
    route = node.route("oracle/x:v1")
    assert route.status == "blocked"
    assert outcomes(route, "resolve") == [
        (f"{M2}/v2", "not_in_catalogue"),
        (f"{M1}/v2", "not_in_catalogue"),
    ]
    assert outcomes(route, "content") == []
    assert route.resolve_host is None and route.content_host is None
    assert "replaced" in (route.reason or "")


def test_server_replaced_by_a_mirror_holding_it_is_mirrored(tmp_path: Path) -> None:
    node = (
        Node(tmp_path)
        .hosts("docker.io", f'server = "{M1}"\n[host]\n')
        .holds("127.0.0.1:5001", "docker.io/oracle/x")
    )
    assert node.route("oracle/x:v1").status == "mirrored"


def test_s22_server_without_resolve_and_pull_only_mirror_blocks_tags(tmp_path: Path) -> None:
    text = 'server = "https://registry-1.docker.io"\ncapabilities = ["pull"]\n' + mirror(
        M1, '"pull"'
    )
    node = Node(tmp_path).hosts("docker.io", text).holds("127.0.0.1:5001", "docker.io/oracle/x")
    route = node.route("oracle/x:v1")
    assert route.status == "blocked"
    assert "no resolve hosts" in (route.reason or "")
    assert {a.outcome for a in route.attempts} == {"cannot_resolve"}
    assert node.route(f"oracle/x@{DIGEST}").status == "mirrored"


def test_s22b_root_capabilities_without_server_are_ignored(tmp_path: Path) -> None:
    text = 'capabilities = ["pull"]\n' + mirror(M1, '"pull"')
    node = Node(tmp_path).hosts("docker.io", text).holds("127.0.0.1:5001", "docker.io/oracle/x")
    assert node.route("oracle/x:v1").status == "partial"


def test_s10a_s10c_path_rules_show_in_the_requests(tmp_path: Path) -> None:
    text = (
        mirror("http://p.example/custom")
        + '[host."http://q.example/custom"]\n  override_path = true\n'
    )
    node = Node(tmp_path).hosts("docker.io", text).holds("p.example", "docker.io/oracle/x")
    route = node.route("oracle/x:v1")
    assert route.attempts[0].detail == (
        "HEAD http://p.example/custom/v2/oracle/x/manifests/v1?ns=docker.io"
    )


def test_s10c_override_path_without_v2_serves_nothing_whatever_its_catalogue(
    tmp_path: Path,
) -> None:
    text = (
        '[host."http://q.example/custom"]\n  override_path = true\n'
        '[host."http://r.example/v2/hub"]\n  override_path = true\n'
    )
    node = Node(tmp_path).hosts("docker.io", text).holds("q.example", "docker.io/oracle/x")
    route = node.holds("r.example").route("oracle/x:v1")
    assert route.status == "fallback"
    first = route.attempts[0]
    assert (first.host, first.outcome) == ("http://q.example/custom", "outside_api")
    assert first.detail == (
        "HEAD http://q.example/custom/oracle/x/manifests/v1?ns=docker.io: "
        "outside the Registry API (no /v2 in the path), a registry "
        "answers 404"
    )
    assert any("override_path" in w and "has no /v2" in w for w in route.warnings)
    # a proxy-cache project path (/v2/<project>) is inside the API: its catalogue decides
    node2 = (
        Node(tmp_path / "second").hosts("docker.io", text).holds("r.example", "docker.io/oracle/x")
    )
    assert node2.route("oracle/x:v1").content_host == "http://r.example/v2/hub"


def test_legacy_endpoint_with_a_path_is_used_as_written_cri_legacy_path(tmp_path: Path) -> None:
    config = load_mirror_config(
        containerd_config=write(
            tmp_path / "config.toml",
            'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n'
            '  endpoint = ["https://docker.m.daocloud.io/custom", "https://hub.example/"]\n',
        )
    )
    route = route_image(parse_image("nginx"), config, load_catalogues())
    assert route.status == "fallback"
    assert outcomes(route, "resolve") == [
        ("https://docker.m.daocloud.io/custom", "outside_api"),
        ("https://hub.example", "outside_api"),
        ("https://registry-1.docker.io/v2", "served"),
    ]
    assert any(
        "legacy CRI endpoint" in w and "/custom/<repository>/manifests" in w for w in route.warnings
    )


def test_s15_s16_rejected_file_means_direct_with_the_error_as_warning(tmp_path: Path) -> None:
    node = Node(tmp_path).hosts("docker.io", mirror(M1, '"pull", "mirror"'))
    route = node.route("oracle/x:v1")
    assert route.status == "direct"
    assert route.content_host == "https://registry-1.docker.io/v2"
    assert any("unknown capability 'mirror'" in w for w in route.warnings)


def test_no_configuration_for_the_registry_is_direct(tmp_path: Path) -> None:
    node = Node(tmp_path).hosts("quay.io", mirror(M1))
    route = node.route("ghcr.io/a/b:1")
    assert route.status == "direct"
    assert route.hosts_file is None
    assert outcomes(route, "resolve") == [("https://ghcr.io/v2", "served")]


def test_mirror_without_catalogue_is_assumed_and_says_so(tmp_path: Path) -> None:
    route = Node(tmp_path).hosts("docker.io", mirror(M1)).route("oracle/x:v1")
    assert route.status == "mirrored"
    assert any("assumed" in w for w in route.warnings)


def test_seed_guide_hosts_toml_with_docker_io_server(tmp_path: Path) -> None:
    # server = "https://docker.io" is Docker Hub's real upstream, not a mirror
    text = (
        'server = "https://docker.io"\n'
        + mirror("https://dockerproxy.com")
        + mirror("https://docker.m.daocloud.io")
    )
    node = Node(tmp_path).hosts("docker.io", text).holds("dockerproxy.com")
    assert node.route("nginx:1.25").content_host == "https://docker.m.daocloud.io/v2"
    unknown = node.route("nobody/nothing:1")
    assert unknown.status == "fallback"
    assert unknown.content_host == "https://docker.io/v2"


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_legacy_cri_mirrors_route_with_ns(tmp_path: Path) -> None:
    config = load_mirror_config(
        containerd_config=write(
            tmp_path / "config.toml",
            'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n'
            f'  endpoint = ["{M1}", "{M2}"]\n',
        )
    )
    catalogues = load_catalogues(["127.0.0.1:5001=none", "127.0.0.1:5002=all"])
    route = route_image(parse_image("oracle/x:v1"), config, catalogues)
    assert route.status == "mirrored"
    assert route.resolve_host == f"{M2}/v2"
    assert (route.attempts[1].detail or "").endswith("?ns=docker.io")


def test_docker_daemon_mirrors_send_no_ns(tmp_path: Path) -> None:
    config = load_mirror_config(
        docker_daemon=write(
            tmp_path / "daemon.json", '{"registry-mirrors": ["https://hub.example"]}'
        )
    )
    route = route_image(parse_image("nginx"), config, Catalogues())
    assert route.status == "mirrored"
    assert route.attempts[0].detail == "HEAD https://hub.example/v2/library/nginx/manifests/latest"


def test_embedded_daocloud_defaults(tmp_path: Path) -> None:
    config = load_mirror_config(node_default=str(tmp_path / "absent"))
    catalogues = load_catalogues()
    assert route_image(parse_image("nginx"), config, catalogues).status == "mirrored"
    assert route_image(parse_image("ghcr.io/nobody/x"), config, catalogues).status == "fallback"
    assert route_image(parse_image("example.com/x"), config, catalogues).status == "direct"


def test_missing_ca_file_blocks_every_image_of_the_registry(tmp_path: Path) -> None:
    node = Node(tmp_path).hosts("docker.io", mirror(M1) + '  ca = "/nonexistent/ca.pem"\n')
    node.holds("127.0.0.1:5001", "docker.io/oracle/x")
    for image in ("oracle/x:v1", "nobody/else:1", f"oracle/x@{DIGEST}"):
        route = node.route(image)
        assert route.status == "blocked"
        assert route.resolve_host is None and route.content_host is None
        assert "unable to read CA cert /nonexistent/ca.pem" in (route.reason or "")
    assert node.route("quay.io/a/b:1").status == "direct"


def test_userinfo_in_a_host_url_is_keyed_and_shown_without_it(tmp_path: Path) -> None:
    node = Node(tmp_path).hosts("docker.io", mirror("https://user:SECRETPW@m.example"))
    route = node.holds("m.example", "docker.io/oracle/x").route("oracle/x:v1")
    assert route.status == "mirrored"  # the catalogue of m.example applies
    assert route.content_host == "https://m.example/v2"
    config = load_mirror_config(hosts_dirs=[str(node.root)])
    shown = [
        str(route.to_dict()),
        config.description,
        *config.warnings,
        *(str(e) for e in config.errors),
        *(str(rh) for rh in config.configured()),
    ]
    assert not [text for text in shown if "SECRETPW" in text]
    assert any("***@m.example" in w for w in route.warnings)


def test_upstream_listed_before_a_mirror_that_holds_it_says_so(tmp_path: Path) -> None:
    text = mirror("https://registry-1.docker.io") + mirror("https://docker.m.daocloud.io")
    route = Node(tmp_path).hosts("docker.io", text).route("nginx:1.25")
    assert route.status == "fallback"
    assert route.content_host == "https://registry-1.docker.io/v2"
    assert route.reason == (
        "the upstream https://registry-1.docker.io/v2 is listed before the mirrors and serves "
        "docker.io/library/nginx first (https://docker.m.daocloud.io/v2 holds it but comes "
        "after it)"
    )
    # when the later mirror does not hold it, the sentence says that instead
    lacking = Node(tmp_path / "b").hosts("docker.io", text).route("nobody/nothing:1")
    assert (lacking.reason or "").startswith("no configured mirror holds docker.io/nobody/")


def test_upstream_resolving_before_a_mirror_that_could_resolve_says_so(tmp_path: Path) -> None:
    text = mirror(M1, '"pull"') + mirror("https://registry-1.docker.io") + mirror(M2)
    node = Node(tmp_path).hosts("docker.io", text).holds("127.0.0.1:5001", "docker.io/oracle/x")
    route = node.holds("127.0.0.1:5002", "docker.io/oracle/x").route("oracle/x:v1")
    assert route.status == "partial"
    assert (route.reason or "").endswith(
        f"(it is listed before {M2}/v2, which may resolve tags and holds it)"
    )


def test_mirror_asked_outside_the_registry_api_is_named_in_the_reason(tmp_path: Path) -> None:
    text = '[host."https://docker.m.daocloud.io/custom"]\n  override_path = true\n'
    route = Node(tmp_path).hosts("docker.io", text).route("nginx")
    assert route.reason == (
        "no configured mirror serves docker.io/library/nginx: "
        "https://docker.m.daocloud.io/custom holds it but is asked outside the Registry API "
        "(no /v2 in its path); the upstream https://registry-1.docker.io/v2 serves it"
    )


def test_daocloud_path_prefix_host_is_asked_for_its_url_path_and_the_repository(
    tmp_path: Path,
) -> None:
    """``m.daocloud.io`` serves ``/v2/<registry>/<path>`` only: crproxy reads the first
    component after ``/v2/`` as the registry and refuses a path whose first component is no
    domain name, having no default registry there (DaoCloud/crproxy @ 6e21fb9, utils.go
    ``ParseOriginPathInfo``; DaoCloud's README: ``m.daocloud.io/nginx`` is refused). A
    hosts file with plain ``https://m.daocloud.io`` makes containerd ask for
    ``/v2/library/nginx/manifests/...``: refused, whatever allows.txt holds."""
    plain = Node(tmp_path / "a").hosts("docker.io", mirror("https://m.daocloud.io"))
    route = plain.route("nginx:1.25")
    assert route.status == "fallback"
    assert outcomes(route, "resolve")[0] == ("https://m.daocloud.io/v2", "not_in_catalogue")
    prefixed = mirror("https://m.daocloud.io/v2/docker.io") + "  override_path = true\n"
    assert Node(tmp_path / "b").hosts("docker.io", prefixed).route("nginx:1.25").status == (
        "mirrored"
    )
    quay = mirror("https://m.daocloud.io/v2/quay.io") + "  override_path = true\n"
    node = Node(tmp_path / "c").hosts("quay.io", quay)
    assert node.route("quay.io/prometheus/node-exporter:v1.8.2").status == "mirrored"
    assert node.route("quay.io/nobody/nothing:1").status == "fallback"
