"""A registries.conf error inside a ``[[registry]]`` names the file and the LINE of the key
(or of the entry), as every other configuration error does: tomllib gives no positions,
so ``registries_conf_lines`` finds them, past multi-line strings and arrays, quoted or
case-folded keys, and entries written as inline tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.mirrors import load_mirror_config
from analyzer.mirrors.registries_conf_lines import scan_conf_lines

TRICKY = '''\
# a comment [[registry]]
unqualified-search-registries = [
  "docker.io",
  "[[registry]]",
]
note = """
[[registry]]
prefix = "not an entry"
"""
[[registry]]  # the first
Prefix = "docker.io"
location = "docker.io"
[[ "registry" . mirror ]]
location = "m1.example.com"
[[registry.mirror]]
'location' = "m2.example.com"
pull-from-mirror = "digest-only"

[[registry]]
location = "quay.io"
mirror = [
  { location = "q1.example.com" },
  { location = "q2.example.com", insecure = true },
]
blocked = true
'''


def test_the_scan_finds_entries_mirrors_and_keys() -> None:
    lines = scan_conf_lines(TRICKY)
    assert [t.line for t in lines.registries] == [10, 19]
    assert lines.registry(0, "prefix") == 11  # `Prefix`: Go folds the case
    assert lines.registry(0, "location") == 12
    assert lines.mirror(0, 0) == 13 and lines.mirror(0, 1, "location") == 16
    assert lines.mirror(0, 1, "pull-from-mirror") == 17
    assert lines.mirror(1, 0, "location") == 22 and lines.mirror(1, 1) == 23
    assert lines.registry(1, "blocked") == 25
    assert lines.registry(1, "insecure") == 19  # not set: the entry's header
    assert lines.top.key("unqualified-search-registries") == 2


def test_inline_entries_are_found_where_their_brace_opens() -> None:
    lines = scan_conf_lines('registry = [\n  {prefix = "a"},\n  {prefix = "b"},\n]\n')
    assert lines.registry(0, "prefix") == 2 and lines.registry(1) == 3
    assert lines.line_of(("registry", 1, "location")) == 3
    one_line = scan_conf_lines('registry = [{location = "a"}, {location = "b"}]\n')
    assert one_line.registry(1) == 1


HEAD = '[[registry]]\nlocation = "docker.io"\n\n'
ERRORS = [
    # (text, line, words): the second entry's problems, after a first entry that is fine
    (HEAD + '[[registry]]\nprefix = "quay.io"\nlocation = "https://quay.io"\n', 6, "URI schemes"),
    (HEAD + '[[registry]]\nprefix = "*.example.com/x"\n', 5, "wildcarded prefix"),
    (HEAD + '[[registry]]\nprefix = "quay.io"\n', 5, "location is unset"),
    (HEAD + "[[registry]]\ninsecure = false\n", 4, "both location and prefix are unset"),
    (HEAD + '[[registry]]\nlocation = "q.io"\npull-from-mirror = "all"\n', 6, "non-mirror"),
    (
        HEAD + '[[registry]]\nlocation = "q.io"\n[[registry.mirror]]\ninsecure = true\n',
        6,
        "mirror location is unset",
    ),
    (
        HEAD + '[[registry]]\nlocation = "q.io"\n[[registry.mirror]]\nlocation = "m"\n'
        '[[registry.mirror]]\nlocation = "n"\n\npull-from-mirror = "sometimes"\n',
        11,
        "unsupported pull-from-mirror",
    ),
    (
        HEAD + '[[registry]]\nlocation = "q.io"\nmirror-by-digest-only = true\n'
        '[[registry.mirror]]\nlocation = "m"\npull-from-mirror = "all"\n',
        9,
        "at the same time",
    ),
    (HEAD + '[[registry]]\nlocation = "docker.io"\nblocked = true\n', 6, "conflicting"),
    (HEAD + '[[registry]]\nlocation = "q.io"\nblocked = "yes"\n', 6, "must be true or false"),
    ('registry = [{location = "a"},\n  {location = "https://b"}]\n', 2, "URI schemes"),
    ('unqualified-search-registries = ["x/y"]\n', 1, "unqualified-search-registries"),
    ('[registries.block]\nregistries = ["https://x"]\n', 2, "[registries.block]"),
    ('\nshort-name-mode = "sometimes"\n', 2, "invalid short-name mode"),
]


@pytest.mark.parametrize(("text", "line", "words"), ERRORS)
def test_a_refused_entry_names_its_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    conf = tmp_path / "registries.conf"
    conf.write_text(text)
    config = load_mirror_config(registries_conf=str(conf), node_default=None)
    assert len(config.errors) == 1, config.errors
    error = config.errors[0]
    assert (error.file, error.line) == (str(conf), line), error
    assert words in error.message
    assert "\n" not in str(error)


def test_the_cli_error_is_one_line_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("r.conf").write_text(
        HEAD + '[[registry]]\nprefix = "quay.io"\nlocation = "quay.io"\nblocked = 1\n'
    )
    result = CliRunner().invoke(app, ["explain", "nginx", "--registries-conf", "r.conf"])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if "config error" in line]
    assert errors and errors[0].startswith("coverage explain: config error: r.conf:7: ")
    doctor = CliRunner().invoke(app, ["doctor", "--registries-conf", "r.conf"])
    assert "r.conf:7: " in doctor.stdout + doctor.stderr


def test_a_key_set_twice_in_two_spellings_names_its_line(tmp_path: Path) -> None:
    conf = tmp_path / "registries.conf"
    conf.write_text(HEAD + '[[registry]]\nlocation = "q.io"\nblocked = false\nBlocked = true\n')
    config = load_mirror_config(registries_conf=str(conf), node_default=None)
    (error,) = config.errors
    assert error.line == 6 and "spelt differently" in error.message
