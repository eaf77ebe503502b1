"""What counts as a list download, and every way a download is refused."""

from __future__ import annotations

import pytest

from analyzer.online.listcheck import ListRejected, check_list, count_entry_lines, is_entry

ALLOWS_LIKE = (
    b"cr.l5d.io/**\n"
    b"docker.io/*\n"
    b"docker.io/library/nginx\n"
    b"ghcr.io/kube-vip/**\n"
    b"quay.io/prometheus/*\n"
    b"registry.k8s.io/**\n"
)
MIRROR_TXT_LIKE = (
    b"# sync list\n"
    b"\n"
    b"docker.io/library/nginx:latest\n"
    b"docker.io/library/redis:^([a-z]+-)?[0-9]+(\\.[0-9]+){1,2}$\n"
    b"localhost:5000/team/app\n"
    b"nvcr.io/nvidia/mellanox/doca-driver:24.04.*\n"
)


def test_allows_txt_shape_is_accepted() -> None:
    checked = check_list(ALLOWS_LIKE, content_type="text/plain; charset=utf-8")
    assert checked.entries == 6
    assert checked.text == ALLOWS_LIKE.decode()


def test_mirror_txt_shape_with_comments_tags_and_regexes_is_accepted() -> None:
    assert check_list(MIRROR_TXT_LIKE).entries == 4


@pytest.mark.parametrize(
    ("data", "content_type", "reason"),
    [
        (b"", None, "empty"),
        (b"  \n\n", None, "empty"),
        (b"# only a comment\n", None, "no entries"),
        (b"<!DOCTYPE html>\n<html><body>429 Too Many Requests</body></html>\n", None, "HTML"),
        (ALLOWS_LIKE, "text/html; charset=utf-8", "HTML"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, "binary"),
        (b"docker.io/library/nginx\n\x1b[31m\n", None, "control characters"),
        (b"docker.io/library/caf\xe9\n", None, "not UTF-8"),
        (ALLOWS_LIKE + b"quay.io/prometh", None, "truncated"),
        (ALLOWS_LIKE + b"list)\n", None, "line 7 is not a list entry"),
        (b"nginx\n", None, "line 1 is not a list entry"),
        (b"docker.io/library/nginx latest\n", None, "not a list entry"),
    ],
)
def test_what_is_not_a_list_is_rejected(data: bytes, content_type: str | None, reason: str) -> None:
    with pytest.raises(ListRejected, match=reason):
        check_list(data, content_type=content_type)


def test_a_list_that_shrank_by_more_than_half_is_rejected_unless_forced() -> None:
    with pytest.raises(ListRejected, match="shrank from 13 to 6"):
        check_list(ALLOWS_LIKE, previous_entries=13)
    assert check_list(ALLOWS_LIKE, previous_entries=12).entries == 6  # exactly half is fine
    assert check_list(ALLOWS_LIKE, previous_entries=13, allow_shrink=True).entries == 6


def test_entries_need_a_registry_host() -> None:
    assert is_entry("docker.io/library/nginx")
    assert is_entry("127.0.0.1:5000/x")
    assert is_entry("localhost/x")
    assert not is_entry("library/nginx")
    assert not is_entry("docker.io")
    assert not is_entry("https://docker.io/library/nginx")


def test_count_entry_lines_skips_blanks_and_comments() -> None:
    assert count_entry_lines(MIRROR_TXT_LIKE.decode()) == 4
