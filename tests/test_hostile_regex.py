"""Issue 12, regular expressions: tag rules are matched by RE2 in linear time, and a rule RE2
(as Go uses it) rejects is a line problem naming the file and line, never a crash.

The same rules arrive through a list file (``--catalog HOST=FILE``), a list URL
(``--catalog HOST=URL``, ``catalog update``) and ``--ignore``/``--ignore-file``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import responses
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.mirrors.daocloud_lists import parse_mirror_txt, parse_patterns
from analyzer.mirrors.tag_rules import TagRuleError, glob_to_regex, tag_matcher
from analyzer.reference import parse_image

HOSTILE = {
    "huge repeat": "^a{4294967296}$",
    "deep nesting": "^" + "(" * 1001 + "a" + ")" * 1001 + "$",
    "backreference": "^(a)\\1$",
    "lookahead": "^(?=a)a$",
}
MANIFEST = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
    "spec:\n  containers:\n  - name: c\n    image: nginx:1.25\n"
)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout + result.stderr


@pytest.mark.parametrize("rule", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_rule_re2_rejects_is_a_problem_with_file_and_line(rule: str) -> None:
    parsed = parse_mirror_txt(f"docker.io/library/redis\ndocker.io/library/nginx:{rule}\n", "m.txt")
    assert [p.path for p in parsed.patterns] == ["library/redis"]
    assert len(parsed.problems) == 1 and parsed.problems[0].startswith("m.txt:2: bad tag rule: ")


def test_go_limits_that_re2_cpp_lacks() -> None:
    with pytest.raises(TagRuleError, match="repeat count"):
        tag_matcher("^a{1001}$")
    with pytest.raises(TagRuleError, match="nests too deeply"):
        tag_matcher("^" + "(" * 1001 + ")" * 1001 + "$")
    assert tag_matcher("^a{2,1000}$")("aa")
    assert tag_matcher("^" + "(" * 1000 + "a" + ")" * 1000 + "$")("a")


def test_catastrophic_backtracking_takes_linear_time() -> None:
    parsed = parse_mirror_txt("docker.io/library/nginx:^(a+)+b$\n", "m.txt")
    started = time.monotonic()
    assert not parsed.holds(parse_image("nginx:" + "a" * 127 + "c"))
    assert parsed.holds(parse_image("nginx:" + "a" * 126 + "b"))
    assert time.monotonic() - started < 1.0


def test_daocloud_quick_list_rules_still_match() -> None:
    rule = "^([a-z]+-)?[a-z]*[0-9]+(\\.[0-9]+){1,2}$"
    parsed = parse_mirror_txt(f"docker.io/library/alpine:{rule}\nnvcr.io/x/y:24.04.*\n", "q.txt")
    assert parsed.holds(parse_image("alpine:3.20")) and parsed.holds(parse_image("alpine:v3.20.1"))
    assert not parsed.holds(parse_image("alpine:latest"))
    assert parsed.holds(parse_image("nvcr.io/x/y:24.04.1")) and not parsed.holds(
        parse_image("nvcr.io/x/y:24.10")
    )


@pytest.mark.parametrize(
    "glob,tag,matches",
    [
        ("24.04.*", "24.04.1", True),
        ("v?", "v1", True),
        ("v[0-9]", "v7", True),
        ("v[!0-9]", "v7", False),
        ("v[]]", "v]", True),
        ("v[", "v[", True),
        ("a.b", "aXb", False),
    ],
)
def test_globs_keep_fnmatch_meaning(glob: str, tag: str, matches: bool) -> None:
    import fnmatch

    assert tag_matcher(glob)(tag) is matches is fnmatch.fnmatchcase(tag, glob)
    assert glob_to_regex(glob)


@given(st.text(alphabet="^$()[]{}*+?|\\.,:-!=<>aAb0123456789", max_size=60))
def test_any_rule_is_either_a_matcher_or_a_line_problem(rule: str) -> None:
    parsed = parse_patterns(f"nginx:{rule}", "--ignore")
    if parsed.patterns:
        started = time.monotonic()
        parsed.holds(parse_image("nginx:" + "a" * 100 + "b"))
        parsed.holds(parse_image("nginx:1.25"))
        assert time.monotonic() - started < 0.5
    else:
        assert parsed.problems and parsed.problems[0].startswith("--ignore:1: ")


@pytest.mark.parametrize("rule", HOSTILE.values(), ids=HOSTILE.keys())
def test_every_way_in_is_a_one_line_usage_error(rule: str, tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(MANIFEST)
    code, out = run("scan", str(manifest), "--ignore", f"nginx:{rule}")
    assert code == 2 and "--ignore:1: bad tag rule" in out and "Traceback" not in out
    ignore = tmp_path / "ignore.txt"
    ignore.write_text(f"# accepted\nredis\n\nnginx:{rule}  # hostile\n")
    code, out = run("scan", str(manifest), "--ignore-file", str(ignore))
    assert code == 2 and f"{ignore}:4: bad tag rule" in out
    listed = tmp_path / "mirror.txt"
    listed.write_text(f"docker.io/library/nginx:{rule}\n")
    code, out = run("scan", str(manifest), "--catalog", f"m.example={listed}")
    assert code == 2 and f"{listed}:1: bad tag rule" in out


@pytest.mark.parametrize("rule", HOSTILE.values(), ids=HOSTILE.keys())
@responses.activate
def test_downloaded_lists_with_such_a_rule(rule: str, tmp_path: Path) -> None:
    url = "https://lists.example.test/mirror.txt"
    body = f"docker.io/library/redis\ndocker.io/library/nginx:{rule}\n"
    responses.get(url, body=body, content_type="text/plain")
    code, out = run("catalog", "update", "--source", url, "--name", "l")
    assert code == 2 and "line 2 has a bad tag rule" in out
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(MANIFEST)
    code, out = run("scan", str(manifest), "--catalog", f"m.example={url}")
    assert code == 2 and "line 2 has a bad tag rule" in out and "Traceback" not in out


def test_re2_is_not_imported_for_lists_without_rules() -> None:
    probe = (
        "import sys\n"
        "from analyzer.mirrors.daocloud_lists import parse_mirror_txt\n"
        "parse_mirror_txt('docker.io/library/nginx:latest\\nquay.io/a/b\\n', 'm')\n"
        "from analyzer.mirrors.embedded import embedded_allows\n"
        "embedded_allows()\n"
        "assert 're2' not in sys.modules\n"
        "parse_mirror_txt('docker.io/library/nginx:^1$\\n', 'm')\n"
        "assert 're2' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=60)
