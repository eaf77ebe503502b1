"""The one-regex parse of plain catalogue lines gives exactly what the general parse gives."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from analyzer.mirrors.daocloud_lists import (
    ListFormat,
    Pattern,
    PatternList,
    _parse_entry,
    detect_format,
    parse_allows,
    parse_list,
    parse_mirror_txt,
    parse_patterns,
)
from analyzer.mirrors.plain_patterns import _first_on_each_line, plain_pattern, suspect_lines
from analyzer.reference import parse_image

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
        plain = plain_pattern(entry, wildcards=fmt != "mirror.txt", hub_names=fmt != "allows.txt")
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


def _general_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every line the general way: no whole-list check, no one-regex route."""
    monkeypatch.setattr("analyzer.mirrors.daocloud_lists.suspect_lines", lambda *_a, **_k: None)
    monkeypatch.setattr("analyzer.mirrors.daocloud_lists.plain_pattern", lambda *_a, **_k: None)


def _summary(parsed: PatternList) -> tuple[object, ...]:
    return (
        parsed.patterns,
        parsed.keys,
        parsed.lines,
        parsed.duplicates,
        parsed.problems,
        parsed.notes,
    )


def test_a_list_parses_the_same_with_and_without_the_short_route(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = EMBEDDED.read_text(encoding="utf-8") + "\n".join(EDGES) + "\ndocker.io/nginx\n"
    fast = parse_list(text, "list")
    _general_only(monkeypatch)
    slow = parse_list(text, "list")
    assert _summary(fast) == _summary(slow)
    assert isinstance(fast.patterns[0], Pattern)


def _random_line(rng: random.Random) -> str:
    if rng.random() < 0.5:  # structured: mostly plain, some one character off
        hosts = ["docker.io", "index.docker.io", "quay.io", "localhost", "a-b.c:5000", "x"]
        hosts += ["a.-b", "Quay.io", "gcr.io", "us.gcr.io", "r.example.com:443", "xn--a.io"]
        components = [
            "".join(rng.choice("ab0._-") for _ in range(rng.randrange(1, 5)))
            for _ in range(rng.randrange(0, 4))
        ]
        tail = rng.choice(["", "", "", "/*", "/**", ":1.0", "/", " ", "\t", "/***"])
        head = rng.choice(["", "", "", "", " ", "#", "/"])
        return head + "/".join([rng.choice(hosts), *components]) + tail
    alphabet = "abz09.-_:/*A #"
    pieces = ["docker.io/", "index.docker.io/", "quay.io/", "localhost/", "/*", "/**", "__"]
    parts = [
        rng.choice(pieces) if rng.random() < 0.2 else rng.choice(alphabet)
        for _ in range(rng.randrange(0, 24))
    ]
    return "".join(parts)


@pytest.mark.parametrize("fmt", FORMATS)
def test_random_lists_parse_the_same_by_the_whole_list_check(
    fmt: ListFormat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lists of random lines, plain ones and near misses mixed, give the same patterns,
    counts, problems (with their line numbers), notes, and answers either way."""
    rng = random.Random(f"whole-list {fmt}")
    texts = []
    for size in (1, 2, 5, 40, 400, 4000):
        for _ in range(30 if size < 400 else 3):
            lines = [_random_line(rng) for _ in range(size)]
            texts.append("\n".join(lines) + rng.choice(["", "\n", "\n\n"]))
    texts.append(EMBEDDED.read_text(encoding="utf-8"))
    texts.append("quay.io/a\r\nquay.io/b\rquay.io/c\x85quay.io/d\n")  # other line breaks
    texts.append("\n".join(f"host{n}/a" for n in range(50)) + "\nquay.io/a")  # many odd hosts
    texts.append("quay.io/" + "a" * 210 + "\nquay.io/b")  # a long line
    refs = [parse_image(name) for name in ("quay.io/a", "quay.io/ab/b0", "docker.io/a", "x/a")]
    parse = {"allows.txt": parse_allows, "mirror.txt": parse_mirror_txt, "patterns": parse_patterns}
    fast = [parse[fmt](text, "l") for text in texts]
    _general_only(monkeypatch)
    for text, quick in zip(texts, fast, strict=True):
        slow = parse[fmt](text, "l")
        assert _summary(quick) == _summary(slow), text
        assert [(quick.holds(r), quick.covering(r)) for r in refs] == [
            (slow.holds(r), slow.covering(r)) for r in refs
        ], text


def test_the_embedded_list_takes_the_whole_list_route() -> None:
    """Only its docker.io/* artefact line goes the general way: the check is not so wary
    that a real list never gets the quick route."""
    text = EMBEDDED.read_text(encoding="utf-8")
    lines = text.split("\n")
    suspects = suspect_lines(text, lines, wildcards=True)
    assert suspects is not None
    assert [lines[n] for n in sorted(suspects)] == ["docker.io/*"]


def _detect_format_line_by_line(text: str) -> str:
    """``detect_format`` as first written: every line of the text, in turn."""
    for raw in text.splitlines():
        entry = raw.strip()
        if entry and not entry.startswith("#") and entry.endswith("/*"):
            return "allows.txt"
        if entry.endswith("/**"):
            return "allows.txt"
    return "mirror.txt"


def test_format_detection_reads_only_up_to_the_first_wildcard_line_and_agrees() -> None:
    rng = random.Random("detect")
    pieces = ["quay.io/a", "/*", "/**", "#", " ", "\n", "\r\n", "\r", "\x85", "*", "/", "a"]
    texts = ["", "/*", "a/*", "# a/*\nb", "a/*\r\nb", "a\r/*", "x/**  \n", "#x/**"]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randrange(40))) for _ in range(5000)]
    for text in texts:
        assert detect_format(text) == _detect_format_line_by_line(text), repr(text)
    assert {detect_format(t) for t in texts} == {"allows.txt", "mirror.txt"}


HOSTILE_LISTS = {
    "separators": "a.-" * 200_000,
    "stars": "quay.io/a" + "*" * 500_000,
    "colons": "quay.io/a" + ":" * 500_000,
    "one long name": "x" * 1_000_000,
    "many lines of separators": "quay.io/a.-b.-c.-d\n" * 20_000,
}


@pytest.mark.parametrize("text", HOSTILE_LISTS.values(), ids=HOSTILE_LISTS.keys())
def test_a_hostile_list_is_checked_without_a_regex_of_its_own_and_agrees(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole-list check stays linear: no expression is compiled from the input (one from
    a line a megabyte long took seconds), and each scan marks a line once however many
    matches it holds (a line of a million separators or colons took seconds, quadratic)."""
    lines = text.split("\n")
    with monkeypatch.context() as patched:
        patched.setattr(re, "compile", _no_compile)
        suspects = suspect_lines(text, lines, wildcards=True)
    assert suspects is not None
    assert sorted(suspects) == [n for n, line in enumerate(lines) if line]
    fast = parse_list(text, "l")
    _general_only(monkeypatch)
    assert _summary(fast) == _summary(parse_list(text, "l"))


def _no_compile(*_args: object, **_kwargs: object) -> re.Pattern[str]:
    raise AssertionError("suspect_lines compiled an expression")


def test_each_line_is_marked_once_however_many_matches_it_holds() -> None:
    class Counting:
        def __init__(self, expression: str) -> None:
            self.compiled, self.searches = re.compile(expression), 0

        def search(self, text: str, at: int) -> re.Match[str] | None:
            self.searches += 1
            return self.compiled.search(text, at)

    text = "a.-" * 1000 + "\n" + "b" * 10 + "\n-c..d\n\n.e"
    scan = Counting(r"\.[._/\n-]|\n[._/-]")
    marks = list(_first_on_each_line(scan, text))  # type: ignore[arg-type]
    assert marks == [1, text.index("-c"), text.index(".e")]  # a "\n." match marks its line
    assert scan.searches == len(marks)  # the last line has no break: nothing after it


def test_covering_is_the_first_pattern_in_file_order_that_holds_the_image() -> None:
    """Against its definition: the patterns in file order, each alone asked whether it
    holds the image (tag rules included)."""
    rng = random.Random("covering")
    lines = [
        "quay.io/**",
        "quay.io/a/*",
        "quay.io/a/b",
        "gcr.io/**",
        "us.gcr.io/a/b",
        "docker.io/library/*",
        "docker.io/nginx",
        "quay.io/a/b:1.0",
        "quay.io/a/b:^v[0-9]+$",
        "quay.io/a/**",
    ]
    refs = [
        parse_image(name)
        for name in ("quay.io/a/b:1.0", "quay.io/a/b:v2", "us.gcr.io/a/b", "nginx", "quay.io/c")
    ]
    for _ in range(200):
        chosen = rng.sample(lines, rng.randrange(1, len(lines) + 1))
        listed = parse_patterns("\n".join(chosen), "l")
        for ref in refs:
            alone = [p for p in listed.patterns if parse_patterns(str(p), "one").holds(ref)]
            assert listed.covering(ref) == (alone[0] if alone else None), (chosen, ref)
