"""hosts.toml parsing: one test per containerd rule (oracle scenario ids from containerd
1.6.20 runs; the 2.x rules from ``core/remotes/docker/config/hosts.go``)."""

from __future__ import annotations

from analyzer.mirrors.hosts_toml import parse_hosts_toml, split_url, url_path
from analyzer.model import ALL_CAPABILITIES

PATH = "certs.d/docker.io/hosts.toml"


def urls(text: str, registry: str = "docker.io") -> list[str]:
    parsed = parse_hosts_toml(text, PATH)
    return [h.url for h in parsed.hosts_for(registry)]


def test_hosts_in_file_order_then_server_last_s11o_s20() -> None:
    text = (
        'server = "https://mirror1.example"\n'
        '[host."https://mirror2.example"]\n'
        '[host."https://mirror3.example"]\n'
    )
    assert urls(text) == [
        "https://mirror2.example/v2",
        "https://mirror3.example/v2",
        "https://mirror1.example/v2",
    ]


def test_no_server_means_registry_default_host() -> None:
    text = '[host."https://m.example"]\n'
    assert urls(text, "docker.io")[-1] == "https://registry-1.docker.io/v2"
    assert urls(text, "quay.io")[-1] == "https://quay.io/v2"


def test_capabilities_default_to_pull_resolve_push_s1d() -> None:
    parsed = parse_hosts_toml('[host."https://m.example"]\n', PATH)
    assert parsed.mirrors[0].capabilities == ALL_CAPABILITIES


def test_empty_capabilities_list_means_all() -> None:
    parsed = parse_hosts_toml('[host."https://m.example"]\ncapabilities = []\n', PATH)
    assert parsed.mirrors[0].capabilities == ALL_CAPABILITIES


def test_capabilities_are_case_insensitive() -> None:
    parsed = parse_hosts_toml('[host."https://m.example"]\ncapabilities = ["PULL"]\n', PATH)
    assert parsed.mirrors[0].capabilities == frozenset({"pull"})


def test_v2_appended_to_url_path_s10a() -> None:
    assert url_path("", False) == "/v2"
    assert url_path("/custom", False) == "/custom/v2"
    assert url_path("/custom/v2", False) == "/custom/v2"
    assert url_path("/custom/", False) == "/custom/v2"
    assert url_path("/", False) == "/v2"


def test_override_path_keeps_path_as_written_s10b_s10c() -> None:
    text = (
        '[host."https://prefix.example/custom/v2"]\noverride_path = true\n'
        '[host."https://prefix.example/custom"]\noverride_path = true\n'
        '[host."https://bare.example"]\noverride_path = true\n'
    )
    assert urls(text)[:3] == [
        "https://prefix.example/custom/v2",
        "https://prefix.example/custom",
        "https://bare.example",
    ]


def test_url_without_scheme_gets_https() -> None:
    assert split_url("mirror.example:5000/x") == ("https", "mirror.example:5000", "/x")
    assert urls('server = "mirror.example"\n[host]\n')[-1] == "https://mirror.example/v2"


def test_unknown_keys_are_ignored_s17() -> None:
    text = 'foo = "bar"\n[host."https://m.example"]\n  priority = 1\n  dial_timeout = "5s"\n'
    parsed = parse_hosts_toml(text, PATH)
    assert not parsed.errors
    assert [h.host for h in parsed.mirrors] == ["m.example"]


def test_malformed_file_is_ignored_with_its_line_s15() -> None:
    text = '[host."https://m.example"]\ncapabilities = ["pull"\n'
    parsed = parse_hosts_toml(text, PATH)
    assert parsed.rejected
    assert parsed.mirrors == ()
    assert urls(text) == ["https://registry-1.docker.io/v2"]
    (error,) = parsed.errors
    assert error.file == PATH
    assert error.line == 2
    assert "not valid TOML" in error.message


def test_unknown_capability_rejects_the_whole_file_s16() -> None:
    text = (
        '[host."https://good.example"]\n'
        '  capabilities = ["pull", "resolve"]\n'
        '[host."https://m.example"]\n'
        "  skip_verify = false\n"
        '  capabilities = ["pull", "mirror"]\n'
    )
    parsed = parse_hosts_toml(text, PATH)
    assert urls(text) == ["https://registry-1.docker.io/v2"]
    (error,) = parsed.errors
    assert error.line == 5
    assert "unknown capability 'mirror'" in error.message


def test_wrong_type_rejects_the_whole_file_with_the_key_line() -> None:
    text = 'server = "https://docker.io"\n\n[host."https://m.example"]\n  skip_verify = "yes"\n'
    parsed = parse_hosts_toml(text, PATH)
    assert parsed.rejected
    assert parsed.errors[0].line == 4
    assert "skip_verify must be a boolean" in parsed.errors[0].message


def test_capabilities_as_a_string_is_a_wrong_type() -> None:
    parsed = parse_hosts_toml('[host."https://m.example"]\ncapabilities = "pull"\n', PATH)
    assert parsed.rejected and parsed.errors[0].line == 2


def test_bad_dial_timeout_rejects_the_file_in_2x() -> None:
    parsed = parse_hosts_toml('[host."https://m.example"]\ndial_timeout = "soon"\n', PATH)
    assert parsed.rejected and "dial_timeout" in parsed.errors[0].message


def test_header_values_are_never_kept() -> None:
    text = (
        '[host."https://m.example"]\n'
        '  [host."https://m.example".header]\n'
        '    authorization = "Bearer s3cr3t"\n'
        '    x-extra = ["a", "b"]\n'
    )
    parsed = parse_hosts_toml(text, PATH)
    assert parsed.mirrors[0].header_names == ("authorization", "x-extra")
    assert "s3cr3t" not in repr(parsed)


def test_bad_header_value_error_names_the_header_not_its_value() -> None:
    text = '[host."https://m.example".header]\n  authorization = 42\n'
    parsed = parse_hosts_toml(text, PATH)
    assert parsed.rejected and parsed.errors[0].line == 2
    assert "'authorization'" in parsed.errors[0].message


def test_header_subtable_does_not_add_the_host_twice() -> None:
    text = (
        '[host."https://a.example"]\n'
        '[host."https://a.example".header]\n  x = "1"\n'
        '[host."https://b.example"]\n'
    )
    assert urls(text)[:2] == ["https://a.example/v2", "https://b.example/v2"]


def test_host_header_split_by_another_host_is_listed_twice_in_2x() -> None:
    # getSortedHosts only skips a header equal to the previous host
    text = (
        '[host."https://a.example"]\n'
        '[host."https://b.example"]\n'
        '[host."https://a.example".header]\n  x = "1"\n'
    )
    parsed = parse_hosts_toml(text, PATH)
    assert [h.host for h in parsed.mirrors] == ["a.example", "b.example", "a.example"]
    assert any("twice" in w for w in parsed.warnings)


def test_inline_hosts_are_ignored_by_2x_with_a_warning_s25() -> None:
    # 1.6.20 used the inline host (S25); 2.x only counts [host."URL"] table headers
    text = '[host]\n"https://inline.example" = { capabilities = ["pull", "resolve"] }\n'
    parsed = parse_hosts_toml(text, PATH)
    assert parsed.mirrors == ()
    assert urls(text) == ["https://registry-1.docker.io/v2"]
    assert any("inline" in w and "1.6/1.7 use it" in w for w in parsed.warnings)


def test_inline_host_with_unknown_capability_is_not_an_error_in_2x() -> None:
    text = '[host]\n"https://inline.example" = { capabilities = ["mirror"] }\n'
    parsed = parse_hosts_toml(text, PATH)
    assert not parsed.rejected
    assert any("1.6/1.7 reject the whole file" in w for w in parsed.warnings)


def test_file_with_only_server_warns_about_1_6_s14_s14h() -> None:
    only_server = parse_hosts_toml('server = "https://mirror1.example"\n', PATH)
    assert [h.url for h in only_server.hosts_for("docker.io")] == ["https://mirror1.example/v2"]
    assert any("no [host] table" in w for w in only_server.warnings)
    with_table = parse_hosts_toml('server = "https://mirror1.example"\n[host]\n', PATH)
    assert not any("no [host] table" in w for w in with_table.warnings)


def test_root_capabilities_apply_to_an_explicit_server_s22() -> None:
    parsed = parse_hosts_toml('server = "https://docker.io"\ncapabilities = ["pull"]\n', PATH)
    assert parsed.hosts_for("docker.io")[-1].capabilities == frozenset({"pull"})


def test_root_capabilities_without_server_are_ignored_s22b() -> None:
    parsed = parse_hosts_toml('capabilities = ["pull"]\n[host."https://m.example"]\n', PATH)
    assert parsed.hosts_for("docker.io")[-1].capabilities == ALL_CAPABILITIES


def test_docker_io_spellings_of_the_server_are_the_real_upstream() -> None:
    for server in ("https://docker.io", "https://index.docker.io", "https://registry-1.docker.io"):
        parsed = parse_hosts_toml(f'server = "{server}"\n[host]\n', PATH)
        assert parsed.hosts_for("docker.io")[-1].is_upstream, server
    parsed = parse_hosts_toml('server = "https://hub.example"\n[host]\n', PATH)
    assert not parsed.hosts_for("docker.io")[-1].is_upstream


def test_referrers_capability_accepted_with_a_warning() -> None:
    parsed = parse_hosts_toml(
        '[host."https://m.example"]\ncapabilities = ["pull", "referrers"]\n', PATH
    )
    assert not parsed.rejected
    assert any("before 2.2" in w for w in parsed.warnings)


def test_bad_port_in_url_is_an_error() -> None:
    parsed = parse_hosts_toml('[host."https://m.example:port"]\n', PATH)
    assert parsed.rejected and parsed.errors[0].line == 1


def test_override_path_without_v2_warns_requests_leave_the_registry_api_s10c() -> None:
    text = '[host."https://q.example/custom"]\n  override_path = true\n'
    parsed = parse_hosts_toml(text, PATH)
    assert any("override_path" in w and "outside the Registry API" in w for w in parsed.warnings)
    with_v2 = parse_hosts_toml('[host."https://q.example/custom/v2"]\noverride_path = true\n', PATH)
    assert with_v2.warnings == ()


def test_override_path_to_a_proxy_cache_project_is_inside_the_registry_api() -> None:
    parsed = parse_hosts_toml(
        '[host."https://harbor.example/v2/hub"]\noverride_path = true\n', PATH
    )
    (warning,) = parsed.warnings
    assert "outside the Registry API" not in warning
    assert "repositories under 'hub'" in warning


SECRET_HOSTS = (
    'server = "https://srv:SECRETPW@server.example"\n'
    '[host."https://user:SECRETPW@m.example"]\n  override_path = true\n'
    '[host."user:SECRETPW@bare.example:5000"]\n'
)


def test_userinfo_is_dropped_from_the_host_and_never_printed() -> None:
    parsed = parse_hosts_toml(SECRET_HOSTS, PATH)
    assert [h.host for h in parsed.hosts_for("docker.io")] == [
        "m.example",
        "bare.example:5000",
        "server.example",
    ]
    assert all("SECRETPW" not in h.url for h in parsed.hosts_for("docker.io"))
    credentials = [w for w in parsed.warnings if "user name or password" in w]
    assert len(credentials) == 3
    assert credentials[0].startswith('[host."https://***@m.example"] has a user name')
    assert "not use it" in credentials[0]
    assert any("https://***@m.example: override_path" in w for w in parsed.warnings)
    assert not any("SECRETPW" in w for w in parsed.warnings)


def test_userinfo_never_printed_in_errors_either() -> None:
    text = (
        '[host."https://user:SECRETPW@m.example:bad"]\n'
        '[host."https://u:SECRETPW@n.example"]\n  capabilities = ["mirror"]\n'
    )
    parsed = parse_hosts_toml(text, PATH)
    assert len(parsed.errors) == 2
    assert all("SECRETPW" not in e.message and "***@" in e.message for e in parsed.errors)
