"""The one-regex parse of plain catalogue lines gives exactly what the general parse gives."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from analyzer.mirrors.daocloud_lists import ListFormat, Pattern, _parse_entry, parse_list
from analyzer.mirrors.plain_patterns import plain_pattern

EMBEDDED = Path(__file__).resolve().parent.parent / "analyzer" / "data" / "allows.txt"
FORMATS: tuple[ListFormat, ...] = ("allows.txt", "mirror.txt", "patterns")

EDGES = [
    "docker.io/nginx",
    "docker.io/library/nginx",
    "index.docker.io/nginx",
    "index.docker.io/bitnami/*",
    "docker.io/**",
    "docker.io/*",
    "quay.io/*",
    "quay.io/**",
    "gcr.io/**",
    "localhost/app",
    "localhost:5000/team/**",
    "myhost/app",
    "registry.example.com:443/a/b/c",
    "reg.example.com/a__b/c--d/e.f_g",
    "reg.example.com/a___b",
    "reg.example.com/-a",
    "reg.example.com/a-",
    "Reg.example.com/a",
    "reg.example.com/A",
    "reg.example.com/a:1.0",
    "reg.example.com/a:^v1\\.[0-9]+$",
    "reg.example.com/a/",
    "reg.example.com//a",
    "reg.example.com",
    "reg.example.com/",
    "reg.example.com/a/*/b",
    "reg.example.com/a*",
    "reg.example.com/a/***",
    "-bad.example.com/a",
    "bad-.example.com/a",
    "[::1]:5000/a",
    "nginx",
    "bitnami/*",
    "docker.io/" + "a" * 200,
    "docker.io/" + "a" * 260,
    "docker.io/" + "a" * 250 + "/*",
    "reg.example.com/" + "/".join(["abc"] * 70),
]


def _general(entry: str, fmt: ListFormat) -> tuple[str, str, str] | str:
    parsed = _parse_entry(entry, fmt)
    if isinstance(parsed, str):
        return parsed
    assert parsed.tag is None or ":" in entry
    return (parsed.host, parsed.path, parsed.kind) if parsed.tag is None else "tag"


def _agrees(entry: str) -> None:
    for fmt in FORMATS:
        plain = plain_pattern(entry, wildcards=fmt != "mirror.txt")
        if plain is not None:
            assert plain == _general(entry, fmt), (entry, fmt)


@pytest.mark.parametrize("entry", EDGES)
def test_edge_lines_agree_with_the_general_parse(entry: str) -> None:
    _agrees(entry)


def test_plain_lines_do_take_the_short_route() -> None:
    assert plain_pattern("docker.io/nginx", wildcards=True) == (
        "docker.io",
        "library/nginx",
        "exact",
    )
    assert plain_pattern("index.docker.io/x/**", wildcards=True) == ("docker.io", "x", "many")
    assert plain_pattern("quay.io/*", wildcards=False) is None  # mirror.txt: a problem
    assert plain_pattern("nginx", wildcards=True) is None


def test_every_line_of_the_embedded_list_agrees() -> None:
    lines = [ln.strip() for ln in EMBEDDED.read_text(encoding="utf-8").splitlines()]
    for line in lines:
        if line and not line.startswith("#"):
            _agrees(line)


def test_random_lines_agree() -> None:
    rng = random.Random(18)
    alphabet = "abz09.-_:/*A"
    pieces = ["docker.io/", "index.docker.io/", "quay.io/", "localhost/", "/*", "/**", "__"]
    for _ in range(20_000):
        parts = [
            rng.choice(pieces) if rng.random() < 0.2 else rng.choice(alphabet)
            for _ in range(rng.randrange(1, 24))
        ]
        _agrees("".join(parts))
    hosts = ["docker.io", "index.docker.io", "quay.io", "localhost", "a-b.c:5000", "x", "a.-b"]
    for _ in range(20_000):  # structured: most of these take the short route
        components = [
            "".join(rng.choice("ab0._-A") for _ in range(rng.randrange(1, 5)))
            for _ in range(rng.randrange(0, 4))
        ]
        tail = rng.choice(["", "", "/*", "/**", ":1.0", "/"])
        _agrees("/".join([rng.choice(hosts), *components]) + tail)


def test_a_list_parses_the_same_with_and_without_the_short_route(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = EMBEDDED.read_text(encoding="utf-8") + "\n".join(EDGES) + "\ndocker.io/nginx\n"
    fast = parse_list(text, "list")
    monkeypatch.setattr("analyzer.mirrors.daocloud_lists.plain_pattern", lambda *_a, **_k: None)
    slow = parse_list(text, "list")
    assert fast.patterns == slow.patterns
    assert (fast.duplicates, fast.problems, fast.notes) == (
        slow.duplicates,
        slow.problems,
        slow.notes,
    )
    assert isinstance(fast.patterns[0], Pattern)
