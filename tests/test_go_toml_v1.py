"""go-toml v1.9.5's table rules, as containerd 1.6/1.7 decode ``hosts.toml`` (issue 13, class
3); the observable ones are proven against containerd 1.6.20 in
tests/integration/test_containerd_misconfig.py. Each test names the go-toml source it
follows (parser.go, lexer.go, keysparsing.go, toml.go at v1.9.5)."""

from __future__ import annotations

import pytest

from analyzer.mirrors.go_toml_v1 import GoTomlV1Error, decode_bytes, load, parse_key
from analyzer.mirrors.hosts_toml import decode_hosts_toml, parse_hosts_toml
from analyzer.mirrors.versions import ContainerdVersion

PATH = "/etc/containerd/certs.d/docker.io/hosts.toml"
V16, V20 = ContainerdVersion(1, 6), ContainerdVersion(2, 0)


def error_of(text: str) -> str:
    with pytest.raises(GoTomlV1Error) as caught:
        load(text)
    return caught.value.message


def test_two_spellings_of_one_table_merge() -> None:
    # parseGroup compares the raw header text (seenTableKeys), then createSubTree reuses
    text = '[host."http://a"]\ncapabilities = ["pull"]\n[ host . \'http://a\' ]\nca = "c"\n'
    assert load(text).doc == {"host": {"http://a": {"capabilities": ["pull"], "ca": "c"}}}


def test_the_same_header_text_twice_is_an_error() -> None:
    assert error_of('[host."http://a"]\n[host."http://a"]\n') == "duplicated tables"


def test_a_key_set_in_two_merged_tables_is_an_error() -> None:
    text = '[host."http://a"]\nca = "x"\n[host.\'http://a\']\nca = "y"\n'
    assert "defined twice" in error_of(text)


def test_a_dotted_key_then_a_header_merge() -> None:
    text = 'host."http://a".ca = "x"\n[host."http://a"]\nskip_verify = true\n'
    assert load(text).doc == {"host": {"http://a": {"ca": "x", "skip_verify": True}}}


def test_inline_tables_have_line_zero_and_cannot_be_extended() -> None:
    # parseInlineTable: newTree() has Position{} (line 0)
    text = '[host."http://b"]\n[host]\n"http://a" = { ca = "x" }\n'
    assert load(text).host_lines == {"http://b": 1, "http://a": 0}
    assert "inline table" in error_of('host = {}\n[host."http://a"]\n')
    assert "inline table" in error_of('[host]\n"http://a" = {}\n"http://a".ca = "x"\n')


def test_header_text_ends_at_the_first_bracket() -> None:
    # lexInsideTableKey: no quoting inside a header
    assert error_of('[host."http://[::1]:5000"]\n') == "table key cannot contain ']'"
    assert error_of("[]\n").startswith("unexpected token ]")


def test_header_quotes_are_not_unescaped_but_key_quotes_are() -> None:
    # parseKey takes quoted parts as written; lexKey unescapes a key's basic strings
    assert load('[host."a\\u0041"]\n').host_lines == {"a\\u0041": 1}
    assert load('host."a\\u0041".ca = "x"\n').host_lines == {"aA": 1}


def test_parse_key_follows_keysparsing() -> None:
    assert parse_key(' host . "http://a" ') == ["host", "http://a"]
    assert parse_key("'a.b'.c") == ["a.b", "c"]
    for bad in ("a b", "a.", "é", ""):
        with pytest.raises(ValueError):
            parse_key(bad)


def test_values_across_lines_and_crlf() -> None:
    text = (
        '[host."http://a"]\r\ncapabilities = [\r\n "pull", # c\r\n]\r\n'
        'header = { a = "1",\n b = "2" }\n'
    )
    table = load(text).doc["host"]["http://a"]
    assert table == {"capabilities": ["pull"], "header": {"a": "1", "b": "2"}}


def test_byte_order_marks_and_invalid_utf8() -> None:
    # LoadBytes: UTF-32 marks are checked first, then UTF-8, then UTF-16; bytes.Runes
    assert decode_bytes(b"\xff\xfe\x00\x00a") == ("a", "UTF-32")
    assert decode_bytes(b"\xef\xbb\xbfa") == ("a", "UTF-8")
    assert decode_bytes(b"\xff\xfea") == ("a", "UTF-16")
    assert decode_bytes(b"# caf\xe9\na") == ("# caf\ufffd\na", None)


def test_a_utf16_mark_is_skipped_by_1_6_and_rejected_by_2x() -> None:
    data = b"\xff\xfe" + b'[host."http://m.example"]\n'
    old = decode_hosts_toml(data, PATH, V16)
    assert [h.host for h in old.mirrors] == ["m.example"]
    assert any("UTF-16 byte order mark" in w for w in old.warnings)
    assert decode_hosts_toml(data, PATH, V20).errors


def test_a_utf16_encoded_file_is_rejected_with_a_hint() -> None:
    data = '[host."http://m.example"]\n'.encode("utf-16")
    (error,) = decode_hosts_toml(data, PATH, V16).errors
    assert "UTF-16 encoded" in error.message


def test_1_6_orders_an_inline_host_first_and_warns_about_ties() -> None:
    text = '[host."http://b"]\n[host]\n"http://a" = {}\n"http://c" = {}\n'
    parsed = parse_hosts_toml(text, PATH, V16)
    assert [h.host for h in parsed.mirrors] == ["a", "c", "b"]
    assert any("random order" in w for w in parsed.warnings)


@pytest.mark.parametrize(
    "text", ["a" + ".a" * 5000 + " = 1\n", "[" + "a." * 5000 + "a]\n", "x = " + "[" * 5000]
)
def test_deep_nesting_is_an_error_never_a_recursion_error(text: str) -> None:
    assert "nested deeper than" in error_of(text)


def test_a_host_entry_that_is_not_a_table_crashes_1_6_and_is_rejected_by_2x() -> None:
    # getSortedHosts (hosts.go v1.6.20 line 508): `.(*toml.Tree)` panics once two entries
    # are compared; 2.x's decoder refuses the type (the file is ignored)
    text = '[host]\n"http://a" = {}\n"http://b" = "x"\n'
    old = parse_hosts_toml(text, PATH, V16)
    assert not old.errors and not old.mirrors
    assert [(e.line, "panics" in e.message) for e in old.fatal] == [(3, True)]
    new = parse_hosts_toml(text, PATH, V20)
    assert new.errors and not new.fatal
    assert any("containerd 1.6/1.7 panics" in w for w in new.warnings)
    # one entry alone is never compared: the decoder's type error ignores the file
    alone = parse_hosts_toml('[host]\n"http://b" = "x"\n', PATH, V16)
    assert alone.errors and not alone.fatal
