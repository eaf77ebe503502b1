"""The TOML decoders' own rules (issue 13, class 3): containerd 1.6/1.7 decode hosts.toml
with go-toml v1, 2.x with go-toml v2. The 1.6 half is proven against the real containerd in
tests/integration/test_containerd_misconfig.py; the 2.x half follows go-toml v2's
``structFieldPath`` (unmarshaler.go: the key as written, then ``strings.ToLower``) and its
missing byte-order-mark handling (pelletier/go-toml#250 fixed v1 only)."""

from __future__ import annotations

import pytest

from analyzer.mirrors.hosts_toml import parse_hosts_toml
from analyzer.mirrors.toml_fields import field_key, go_lower, v1_spellings
from analyzer.mirrors.versions import ContainerdVersion
from analyzer.model import ALL_CAPABILITIES

PATH = "/etc/containerd/certs.d/docker.io/hosts.toml"
V16, V17, V20, V23 = (ContainerdVersion(*v) for v in ((1, 6), (1, 7), (2, 0), (2, 3)))
MIRROR = '[host."http://m.example"]\n'


def caps(text: str, version: ContainerdVersion) -> frozenset[str]:
    parsed = parse_hosts_toml(text, PATH, version)
    assert not parsed.errors, parsed.errors
    return parsed.mirrors[0].capabilities


@pytest.mark.parametrize("version", [V16, V17, V20, V23])
def test_all_caps_key_fills_the_field_in_every_version(version: ContainerdVersion) -> None:
    assert caps(MIRROR + 'CAPABILITIES = ["pull"]\n', version) == {"pull"}


@pytest.mark.parametrize("key", ["Capabilities", "capabiliTies", "CAPABILITIEs"])
def test_go_toml_v2_matches_any_spelling(key: str) -> None:
    for version in (V20, V23):
        assert caps(MIRROR + f'{key} = ["pull"]\n', version) == {"pull"}


def test_mixed_case_key_is_unknown_to_go_toml_v1_and_reported() -> None:
    text = MIRROR + 'Capabilities = ["pull"]\n'
    assert caps(text, V16) == ALL_CAPABILITIES
    assert caps(text, V17) == ALL_CAPABILITIES
    for version in (V16, V23):
        warnings = parse_hosts_toml(MIRROR + 'Capabilities = ["pull"]\n', PATH, version).warnings
        assert any("'Capabilities'" in w and "1.6/1.7" in w for w in warnings), warnings


def test_exact_tag_wins_over_all_caps_in_v1_and_the_last_spelling_in_v2() -> None:
    text = MIRROR + 'capabilities = ["pull"]\nCapabilities = ["resolve"]\n'
    assert caps(text, V16) == {"pull"}
    assert caps(text, V20) == {"resolve"}


def test_v2_type_checks_a_mixed_case_key_v1_ignores() -> None:
    text = MIRROR + "Skip_Verify = 1\n"
    assert not parse_hosts_toml(text, PATH, V16).errors
    assert parse_hosts_toml(text, PATH, V20).errors


def test_root_server_key_follows_the_decoder() -> None:
    def server(root: str, version: ContainerdVersion) -> str | None:
        parsed = parse_hosts_toml(f'{root} = "https://up.example"\n[host]\n', PATH, version)
        return parsed.server.host if parsed.server else None

    assert server("SERVER", V16) == "up.example"
    assert server("Server", V16) is None
    assert server("Server", V20) == "up.example"


def test_override_path_and_ca_spellings_follow_the_decoder() -> None:
    text = '[host."http://m.example/custom"]\nOVERRIDE_PATH = true\nCa = "ca.pem"\n'
    for version in (V16, V20):
        parsed = parse_hosts_toml(text, PATH, version)
        assert parsed.mirrors[0].path == "/custom"
    assert not parse_hosts_toml(text, PATH, V16).tls_files
    assert [f.path for f in parse_hosts_toml(text, PATH, V20).tls_files] == ["ca.pem"]


def test_v1_spellings_follow_keys_to_try() -> None:
    assert v1_spellings("skip_verify") == ("skip_verify", "SKIP_VERIFY")
    assert go_lower("SKİP_VERİFY") == "skip_verify"  # Go's simple case mapping
    assert field_key({"SKİP_VERİFY": True}, "skip_verify", V20) == "SKİP_VERİFY"
    assert field_key({"SKİP_VERİFY": True}, "skip_verify", V16) is None


def test_byte_order_mark_is_skipped_by_1_6_and_1_7() -> None:
    for version in (V16, V17):
        parsed = parse_hosts_toml("\ufeff" + MIRROR, PATH, version)
        assert not parsed.errors
        assert [h.host for h in parsed.mirrors] == ["m.example"]
        assert any("byte order mark" in w for w in parsed.warnings)


def test_byte_order_mark_rejects_the_file_in_2x() -> None:
    for version in (V20, V23):
        parsed = parse_hosts_toml("\ufeff" + MIRROR, PATH, version)
        assert not parsed.mirrors
        assert [(e.line, "byte order mark" in e.message) for e in parsed.errors] == [(1, True)]


# go-toml v2 finds duplicates by parsed key (internal/tracker/seen.go at v2.2.0, line 212:
# "toml: table %s already exists"; containerd 2.0 pins v2.2.3); setExplicitFlag makes the
# tables a dotted key created explicit at the next header, so that header is a duplicate too
TWO_SPELLINGS = '[host."http://m.example"]\ncapabilities = ["pull"]\n[host.\'http://m.example\']\n'
DOTTED_THEN_HEADER = 'host."http://m.example".capabilities = ["pull"]\n[host."http://m.example"]\n'


@pytest.mark.parametrize("text", [TWO_SPELLINGS, DOTTED_THEN_HEADER])
def test_2x_refuses_what_1_6_merges(text: str) -> None:
    assert parse_hosts_toml(text, PATH, V20).errors
    old = parse_hosts_toml(text, PATH, V16)
    assert not old.errors
    assert [(h.host, h.capabilities) for h in old.mirrors] == [("m.example", {"pull"})]


def test_2x_orders_only_host_table_headers() -> None:
    # getSortedHosts (core/remotes/docker/config/hosts.go, main 301026e58): only Table
    # expressions whose first key part is "host"; 1.6 sorts every key of the host tree
    text = 'host."http://a".capabilities = ["pull", "resolve"]\n[host."http://b"]\n'
    assert [h.host for h in parse_hosts_toml(text, PATH, V20).mirrors] == ["b"]
    assert [h.host for h in parse_hosts_toml(text, PATH, V16).mirrors] == ["a", "b"]


@pytest.mark.parametrize("version", [V16, V17, ContainerdVersion(1, 7, 32), V20])
def test_a_host_table_spelt_otherwise_is_never_used(version: ContainerdVersion) -> None:
    parsed = parse_hosts_toml('[host."http://b"]\n[HOST."http://a"]\n', PATH, version)
    assert [h.host for h in parsed.mirrors] == ["b"]
    assert any("'HOST' is not spelt 'host'" in w for w in parsed.warnings)


def test_the_decoder_type_checks_a_host_table_spelt_otherwise() -> None:
    # go-toml v2 decodes every spelling into the host field (structFieldPath), go-toml v1
    # HOST when there is no host (valueFromTree keysToTry); getSortedHosts never uses them
    text = '[host]\n[Host."http://a"]\ncapabilities = 1\n'
    assert parse_hosts_toml(text, PATH, V20).errors
    assert not parse_hosts_toml(text, PATH, V16).errors
    upper = '[HOST."http://a"]\ncapabilities = 1\n'
    errors = parse_hosts_toml(upper, PATH, ContainerdVersion(1, 7, 32)).errors
    assert [e.message.startswith('[HOST."http://a"]: capabilities') for e in errors] == [True]
