"""Bad input: each case gives one error naming file and line, and the rest is still read.

Every test puts good documents (or files) around the bad one and checks they are all
reported; the large, deep and explosive inputs are generated here, not committed.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from analyzer.model import SourceError
from analyzer.sources import Limits, read_sources


def pod(name: str, image: str) -> str:
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n"
        f"spec:\n  containers:\n    - name: c\n      image: {image}\n"
    )


def json_pod(name: str, image: str) -> str:
    return (
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name},
                "spec": {"containers": [{"name": "c", "image": image}]},
            },
            indent=None,
        ).replace(', "spec"', ',\n "spec"')
        + "\n"
    )


GOOD_BEFORE = pod("before", "nginx:1.25")  # 8 lines, image on line 8
GOOD_AFTER = pod("after", "nginx:1.27")


def names(result: object) -> list[str | None]:
    return [use.name for use in result.uses]  # type: ignore[attr-defined]


def only_error(result: object) -> SourceError:
    errors = result.errors  # type: ignore[attr-defined]
    assert len(errors) == 1, errors
    error: SourceError = errors[0]
    return error


def sandwich(tmp_path: Path, bad: str | bytes, name: str = "bad.yaml") -> Path:
    """GOOD_BEFORE, the bad document (from line 10), GOOD_AFTER, in one file."""
    path = tmp_path / name
    middle = bad.encode("utf-8") if isinstance(bad, str) else bad
    path.write_bytes(GOOD_BEFORE.encode() + b"---\n" + middle + b"\n---\n" + GOOD_AFTER.encode())
    return path


def test_yaml_syntax_error(tmp_path: Path) -> None:
    path = sandwich(tmp_path, "kind: Pod\nspec:\n  containers: [\n    {image: nginx\n")
    result = read_sources([str(path)])
    error = only_error(result)
    assert (error.file, error.line) == (str(path), 15)  # where libyaml gives up: the ---
    assert error.message == (
        "invalid YAML: did not find expected ',' or '}' (while parsing a flow mapping on line 13)"
    )
    assert names(result) == ["before", "after"]


def test_json_syntax_error_then_the_next_object_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "stream.json"
    broken = (
        '{"apiVersion": "v1", "kind": "Pod",\n  "metadata": {"name": "broken"}\n  "spec": {}}\n'
    )
    path.write_text(json_pod("before", "nginx:1.25") + broken + json_pod("after", "nginx:1.27"))
    result = read_sources([str(path)])
    error = only_error(result)
    assert (error.line, error.message) == (5, "invalid JSON: Expecting ',' delimiter")
    assert names(result) == ["before", "after"]
    assert [use.document for use in result.uses] == [0, 2]


def test_non_utf8_document(tmp_path: Path) -> None:
    path = sandwich(tmp_path, b"apiVersion: v1\nkind: ConfigMap\ndata:\n  motd: caf\xe9\n")
    result = read_sources([str(path)])
    error = only_error(result)
    assert (error.file, error.line) == (str(path), 13)
    assert error.message.startswith("not UTF-8 text")
    assert names(result) == ["before", "after"]


def test_non_utf8_json_file_next_to_a_good_one(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b'{"kind": "ConfigMap",\n "data": {"x": "caf\xe9"}}\n')
    (tmp_path / "b.yaml").write_text(GOOD_AFTER)
    result = read_sources([str(tmp_path)])
    error = only_error(result)
    assert (error.file, error.line) == (str(tmp_path / "a.json"), 2)
    assert error.message.startswith("not UTF-8 text")
    assert names(result) == ["after"]
    assert result.files_read == 1  # the JSON file could not be read at all


def test_binary_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD_BEFORE)
    (tmp_path / "b.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp_path / "c.yaml").write_text(GOOD_AFTER)
    result = read_sources([str(tmp_path)])
    error = only_error(result)
    assert (error.file, error.line) == (str(tmp_path / "b.yaml"), 3)
    assert "binary" in error.message
    assert names(result) == ["before", "after"]
    assert result.files_read == 2


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.yaml").write_text(GOOD_BEFORE)
    locked = tmp_path / "b.yaml"
    locked.write_text(GOOD_AFTER)
    (tmp_path / "c.yaml").write_text(pod("last", "nginx:1.28"))

    real_open = open

    def refuse(path: str, *args: object, **kwargs: object) -> object:
        if path == str(locked):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    # root reads files whatever their mode, so the refusal is simulated where the file is
    # opened; test_unreadable_file_by_mode below does it for real when not root
    monkeypatch.setattr("analyzer.sources.reader.open", refuse, raising=False)
    result = read_sources([str(tmp_path)])
    error = only_error(result)
    assert (error.file, error.line, error.message) == (
        str(locked),
        None,
        "cannot read: Permission denied",
    )
    assert names(result) == ["before", "last"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_by_mode(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD_BEFORE)
    locked = tmp_path / "b.yaml"
    locked.write_text(GOOD_AFTER)
    locked.chmod(0)
    try:
        result = read_sources([str(tmp_path)])
    finally:
        locked.chmod(0o644)
    assert only_error(result).message == "cannot read: Permission denied"
    assert names(result) == ["before"]


def test_symlink_loops(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD_BEFORE)
    os.symlink("loop.yaml", tmp_path / "loop.yaml")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "z.yaml").write_text(GOOD_AFTER)
    os.symlink("..", sub / "up")
    started = time.monotonic()
    result = read_sources([str(tmp_path)])
    assert time.monotonic() - started < 5
    assert sorted((e.file, e.message) for e in result.errors) == [
        (str(tmp_path / "loop.yaml"), "symbolic link loop (too many levels of symbolic links)"),
        (str(sub / "up"), "symbolic link loop: it leads back to a folder that contains it"),
    ]
    assert names(result) == ["before", "after"]


def test_symlink_loop_given_by_name_and_a_missing_path(tmp_path: Path) -> None:
    os.symlink("loop.yaml", tmp_path / "loop.yaml")
    good = tmp_path / "good.yaml"
    good.write_text(GOOD_AFTER)
    result = read_sources([str(tmp_path / "loop.yaml"), str(tmp_path / "nope"), str(good)])
    assert [(e.line, e.message) for e in result.errors] == [
        (None, "symbolic link loop (too many levels of symbolic links)"),
        (None, "no such file or folder"),
    ]
    assert names(result) == ["after"]


BILLION_LAUGHS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: lol}
data:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_yaml_bomb(tmp_path: Path) -> None:
    path = sandwich(tmp_path, BILLION_LAUGHS)
    started = time.monotonic()
    result = read_sources([str(path)])
    assert time.monotonic() - started < 5
    error = only_error(result)
    assert error.line == 20  # the alias that crosses the limit, on the g: line
    assert "aliases expand to more than 1,000,000 nodes" in error.message
    assert names(result) == ["before", "after"]


def test_yaml_bomb_in_a_workload_is_refused_before_anything_walks_it(tmp_path: Path) -> None:
    bomb = BILLION_LAUGHS.replace("kind: ConfigMap", "kind: Pod").replace("data:", "x:")
    bomb += "spec:\n  containers: *i\n"
    path = sandwich(tmp_path, bomb)
    started = time.monotonic()
    result = read_sources([str(path)])
    assert time.monotonic() - started < 5
    assert "YAML bomb" in only_error(result).message
    assert names(result) == ["before", "after"]


def test_self_referencing_alias(tmp_path: Path) -> None:
    path = sandwich(tmp_path, "kind: Pod\nspec: &spec\n  containers:\n    - *spec\n")
    result = read_sources([str(path)])
    error = only_error(result)
    assert error.line == 13
    assert error.message == "alias *spec refers to a node that contains it (self-reference)"
    assert names(result) == ["before", "after"]


def test_alias_to_an_anchor_of_another_document(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text("x: &img nginx:1\n---\n" + GOOD_BEFORE.replace("nginx:1.25", "*img"))
    error = only_error(read_sources([str(path)]))
    assert (error.line, error.message) == (10, "alias *img names no anchor defined before it")


@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_document_nested_10000_levels(tmp_path: Path, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    deep = "kind: ConfigMap\ndata: " + opener * 10_000 + closer * 10_000 + "\n"
    path = sandwich(tmp_path, deep)
    started = time.monotonic()
    result = read_sources([str(path)])
    assert time.monotonic() - started < 5
    error = only_error(result)
    assert (error.line, error.message) == (11, "nested deeper than 1000 levels; skipped")
    assert names(result) == ["before", "after"]


def test_json_nested_10000_levels(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text(
        json_pod("before", "nginx:1.25")
        + "[" * 10_000
        + "]" * 10_000
        + "\n"
        + json_pod("after", "nginx:1.27")
    )
    started = time.monotonic()
    result = read_sources([str(path)])
    assert time.monotonic() - started < 5
    error = only_error(result)
    assert error.line == 3
    assert "nested too deeply" in error.message
    assert names(result) == ["before", "after"]


def test_100_mb_document(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    line = b"  k%09d: " + b"x" * 88 + b"\n"  # 100 bytes a line
    with open(path, "wb") as handle:
        handle.write(GOOD_BEFORE.encode() + b"---\nkind: ConfigMap\ndata:\n")
        block = b"".join(line.replace(b"%09d", b"%09d" % n) for n in range(10_000))
        for _ in range(100):
            handle.write(block)
        handle.write(b"---\n" + GOOD_AFTER.encode())
    assert path.stat().st_size > 100_000_000
    started = time.monotonic()
    result = read_sources([str(path)])
    assert time.monotonic() - started < 10
    error = only_error(result)
    assert (error.file, error.line) == (str(path), 9)
    assert error.message == "document 1 is larger than 64 MiB; skipped"
    assert names(result) == ["before", "after"]
    assert [use.line for use in result.uses] == [8, 1_000_020]


def test_large_single_line_and_large_json_file(tmp_path: Path) -> None:
    limits = Limits(max_document_bytes=1_000_000)
    line = tmp_path / "line.yaml"
    line.write_bytes(
        GOOD_BEFORE.encode() + b"---\nx: " + b"y" * 3_000_000 + b"\n---\n" + GOOD_AFTER.encode()
    )
    big_json = tmp_path / "big.json"
    big_json.write_text('{"kind": "List", "items": ["' + "x" * 2_000_000 + '"]}')
    result = read_sources([str(line), str(big_json)], limits=limits)
    assert [(e.file, e.line, e.message) for e in result.errors] == [
        (str(line), 9, "document 1 is larger than 0.953674 MiB; skipped"),
        (str(big_json), 1, "larger than 0.953674 MiB; skipped"),
    ]
    assert names(result) == ["before", "after"]


def test_empty_and_comment_only_files_are_read_without_error(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "comments.yaml").write_text("# nothing here\n---\n# or here\n")
    (tmp_path / "empty.json").write_text("  \n")
    result = read_sources([str(tmp_path)])
    assert (result.uses, result.errors, result.files_read) == ((), (), 3)


def test_nothing_but_errors(tmp_path: Path) -> None:
    result = read_sources([str(tmp_path / "missing.yaml")])
    assert (result.files_read, len(result.errors)) == (0, 1)
