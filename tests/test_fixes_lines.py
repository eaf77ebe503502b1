"""Whitelist lines as values: ``covers`` agrees with the list matcher on every sample."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analyzer.fixes.lines import CoverIndex, covered_by, covers, request_line
from analyzer.mirrors.daocloud_lists import Pattern, parse_allows, pattern_key, pattern_of
from analyzer.reference import parse_image

LINES = [
    "quay.io/prometheus/node-exporter",
    "quay.io/prometheus/*",
    "quay.io/prometheus/**",
    "quay.io/**",
    "quay.io/*",
    "quay.io/prometheus/sub/*",
    "gcr.io/**",
    "docker.io/library/nginx",
    "docker.io/library/*",
    "docker.io/bitnami/*",
]
SAMPLES = [
    "quay.io/prometheus/node-exporter",
    "quay.io/prometheus/prometheus",
    "quay.io/prometheus/sub/x",
    "quay.io/prometheus/sub/x/y",
    "quay.io/prometheus",
    "quay.io/other/x",
    "quay.io/solo",
    "us.gcr.io/a/b",
    "gcr.io/a",
    "nginx",
    "docker.io/library/redis",
    "bitnami/redis",
    "bitnami/redis/extra",
]


def _pattern(text: str) -> Pattern:
    return parse_allows(text, "t").patterns[0]


@pytest.mark.parametrize(("outer", "inner"), list(itertools.product(LINES, LINES)))
def test_covers_means_every_sample_of_inner_matches_outer(outer: str, inner: str) -> None:
    a, b = _pattern(outer), _pattern(inner)
    if not covers(a, b):
        return
    outer_list, inner_list = parse_allows(outer, "o"), parse_allows(inner, "i")
    for sample in SAMPLES:
        ref = parse_image(sample)
        if inner_list.holds(ref):
            assert outer_list.holds(ref), f"{outer} covers {inner} but not {sample}"


def test_covers_examples() -> None:
    assert covers(_pattern("quay.io/prometheus/*"), _pattern("quay.io/prometheus/node-exporter"))
    assert covers(_pattern("quay.io/**"), _pattern("quay.io/prometheus/*"))
    assert covers(_pattern("gcr.io/**"), _pattern("us.gcr.io/a/b"))
    assert not covers(_pattern("quay.io/*"), _pattern("quay.io/prometheus/node-exporter"))
    assert not covers(_pattern("quay.io/prometheus/*"), _pattern("quay.io/prometheus/sub/*"))
    assert covered_by(_pattern("quay.io/prometheus/*"), (_pattern("quay.io/prometheus/*"),)) is None


def test_request_line_is_the_upstream_repository_without_tag() -> None:
    assert str(request_line(parse_image("nginx:1.25"))) == "docker.io/library/nginx"
    assert str(request_line(parse_image("Quay.io/a/b@sha256:" + "a" * 64))) == "quay.io/a/b"


#: hosts with parents among them, and paths with prefixes among them: most pairs are near
_HOSTS = st.sampled_from(["gcr.io", "us.gcr.io", "eu.us.gcr.io", "io", "quay.io", "docker.io"])
_PATHS = st.sampled_from(["", "a", "a/b", "a/b/c", "b", "a/c", "ab", "a/bc"])
_PATTERNS = st.builds(
    Pattern,
    host=_HOSTS,
    path=_PATHS,
    kind=st.sampled_from(["exact", "one", "many"]),
    tag=st.sampled_from([None, None, "v1"]),
)


def _listed(patterns: list[Pattern]) -> tuple[list[str], tuple[Pattern, ...]]:
    """A list's canonical lines, and its patterns as ``PatternList.patterns`` builds them."""
    keys = [pattern_key(p) for p in patterns]
    return keys, tuple(map(pattern_of, keys))


@given(st.lists(_PATTERNS, max_size=40), _PATTERNS)
def test_the_index_answers_as_the_scan_of_the_whole_list(
    patterns: list[Pattern], line: Pattern
) -> None:
    keys, listed = _listed(patterns)
    index = CoverIndex(keys)
    assert index.covered_by(line) == covered_by(line, listed)
    assert index.covered(line) == tuple(p for p in listed if covers(line, p))


def test_the_index_returns_the_first_covering_pattern_of_the_list() -> None:
    line = _pattern("us.gcr.io/a/b")
    patterns = [
        "us.gcr.io/a/*:v1",  # a tag rule covers nothing
        "quay.io/**",
        "gcr.io/a/**",  # the first that covers: a parent domain, a prefix
        "us.gcr.io/a/*",
    ]
    assert CoverIndex(patterns).covered_by(line) == _pattern("gcr.io/a/**")
    assert CoverIndex(patterns[3:]).covered_by(line) == _pattern("us.gcr.io/a/*")
    assert CoverIndex(patterns[:2]).covered_by(line) is None
    assert CoverIndex(["us.gcr.io/a/b"]).covered_by(line) is None  # itself: not covered
    wider = _pattern("gcr.io/a/*")
    listed = ["eu.gcr.io/a/x", "quay.io/a/y", "gcr.io/a/b/c", "gcr.io/a/z:v2", "gcr.io/a"]
    assert [str(p) for p in CoverIndex(listed).covered(wider)] == [
        "eu.gcr.io/a/x",
        "gcr.io/a/z:v2",
    ]
