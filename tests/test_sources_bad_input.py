"""Bad input: each case gives one error naming file and line, and the rest is still read.

Every test puts good documents (or files) around the bad one and checks they are all
reported; the large, deep and explosive inputs are generated here, not committed.
"""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import pytest
import yaml
from fuzz import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.model import SourceError
from analyzer.sources import Limits, SourceResult, read_sources


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


@pytest.mark.parametrize("tag", [b"!<%ED%A0%80>", b"!!%ED%B0%80", b"!<%C0%80>", b"!<%F4%90%80%80>"])
def test_a_tag_whose_escapes_are_not_utf8_is_an_error_not_a_traceback(
    tmp_path: Path, tag: bytes
) -> None:
    path = tmp_path / "pod.yaml"
    path.write_bytes(
        b"apiVersion: v1\nkind: Pod\nmetadata: {name: " + tag + b" p}\nspec:\n"
        b"  containers: [{name: c, image: nginx:1.25}]\n"
    )
    good = tmp_path / "good.yaml"
    good.write_bytes(b"apiVersion: v1\nkind: Pod\nspec:\n  containers: [{image: redis:7}]\n")
    result = read_sources([str(path), str(good)])
    assert [(e.file, e.line, e.message) for e in result.errors] == [
        (str(path), 3, "invalid YAML: a tag's %-escapes are not UTF-8")
    ]
    assert [use.pull_ref for use in result.uses] == ["docker.io/library/redis:7"]


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
    # ``builtins.open``, not ``analyzer.sources.reader.open``: a module compiled by mypyc
    # looks builtins up in ``builtins``, past a name patched into the module
    monkeypatch.setattr("builtins.open", refuse)
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


def test_empty_and_comment_only_files_beside_objects_are_read_without_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "comments.yaml").write_text("# nothing here\n---\n# or here\n")
    (tmp_path / "empty.json").write_text("  \n")
    (tmp_path / "app.yaml").write_text(GOOD_AFTER)
    result = read_sources([str(tmp_path)])
    assert (names(result), result.errors, result.files_read) == (["after"], (), 4)


def test_a_folder_of_empty_and_comment_only_files_is_an_error(tmp_path: Path) -> None:
    """What a failed ``helm template > out/all.yaml`` leaves: never "0 images, PASS"."""
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "comments.yaml").write_text("# nothing here\n---\n# or here\n")
    result = read_sources([str(tmp_path)])
    error = only_error(result)
    assert (error.file, error.line) == (str(tmp_path), None)
    assert error.message.startswith("all of its 2 files are empty or only comments")


def test_nothing_but_errors(tmp_path: Path) -> None:
    result = read_sources([str(tmp_path / "missing.yaml")])
    assert (result.files_read, len(result.errors)) == (0, 1)


# -- merge-key chains: no reader recurses on input depth --------------------------------


def merge_chain(links: int, *, custom: bool) -> str:
    """``<<: *previous`` ``links`` times (about 25 bytes a link), used by a container."""
    lines = ["x:", "  l0: &l0 {a: 1}"]
    lines += [f"  l{i}: &l{i} {{<<: *l{i - 1}}}" for i in range(1, links)]
    if custom:  # searched by shape: every key of the merged mapping is looked at
        head = ["apiVersion: example.com/v1", "kind: Widget", "metadata: {name: chain}"]
        tail = ["spec:", f"  <<: *l{links - 1}", "  image: nginx:1.25"]
    else:  # get() of a key the chain lacks walks the whole chain
        head = ["apiVersion: v1", "kind: Pod", "metadata: {name: chain}"]
        tail = [
            f"<<: *l{links - 1}",
            "spec:",
            "  containers:",
            "  - name: c",
            "    image: nginx:1.25",
        ]
    return "\n".join(head + lines + tail) + "\n"


@pytest.mark.parametrize("custom", [False, True])
def test_merge_key_chain_of_990_links(tmp_path: Path, custom: bool) -> None:
    path = tmp_path / "chain.yaml"
    path.write_text(merge_chain(990, custom=custom))
    assert 24_000 < path.stat().st_size < 26_000
    result = read_sources([str(path)])
    assert result.errors == ()
    assert [use.pull_ref for use in result.uses] == ["docker.io/library/nginx:1.25"]


def test_merge_key_chain_too_long_is_an_error_with_a_line(tmp_path: Path) -> None:
    path = sandwich(tmp_path, merge_chain(5000, custom=True))
    error = only_error(read_sources([str(path)]))
    assert error.line is not None and error.line > 10
    assert "YAML bomb" in error.message
    assert names(read_sources([str(path)])) == ["before", "after"]


@settings(max_examples=examples(25), deadline=None)
@given(st.integers(1, 1400), st.booleans())
def test_merge_chains_never_crash(links: int, custom: bool) -> None:
    result = read_sources_text(merge_chain(links, custom=custom))
    if result.errors:
        assert [
            error.line is not None and "YAML bomb" in error.message for error in result.errors
        ] == [True]
    else:
        assert [use.pull_ref for use in result.uses] == ["docker.io/library/nginx:1.25"]


def read_sources_text(document: str) -> SourceResult:
    """``document`` read as standard input."""
    stream = io.TextIOWrapper(io.BytesIO(document.encode()), encoding="utf-8")
    return read_sources(["-"], stdin=stream)


# -- python tags ------------------------------------------------------------------------


def test_python_tag_document_is_an_error_naming_the_tag(tmp_path: Path) -> None:
    path = sandwich(tmp_path, "!!python/object/apply:os.system [echo hi]\n")
    result = read_sources([str(path)])
    error = only_error(result)
    assert (error.file, error.line) == (str(path), 10)
    assert "'!!python/object/apply:os.system'" in error.message
    assert names(result) == ["before", "after"]


@settings(max_examples=examples(50), deadline=None)
@given(
    st.sampled_from(["object/apply", "object/new", "object", "name", "module", "tuple", "str"]),
    st.from_regex(r"[a-z][a-z0-9_.]{0,12}", fullmatch=True),
    st.sampled_from(["{x}: {tag} [1]", "{x}:\n  - {tag} 1", "{tag}\n{x}: 1", "{x}: {tag} {{}}"]),
)
def test_python_tags_anywhere_are_errors(kind: str, name: str, shape: str) -> None:
    tag = f"!!python/{kind}:{name}"
    document = "kind: Pod\n" + shape.format(x="data", tag=tag) + "\n"
    if shape.startswith("{tag}"):
        document = shape.format(x="data", tag=tag).replace("\n", " ", 0) + "\n"
    result = read_sources_text(document)
    assert len(result.errors) == 1
    assert f"'{tag}'" in result.errors[0].message


# -- NUL bytes: the same wherever they are ------------------------------------------------


@pytest.mark.parametrize("padding", [0, 20_000])
def test_nul_byte_drops_only_its_document(tmp_path: Path, padding: int) -> None:
    pad = "".join(f"# {n:0100d}\n" for n in range(padding // 103))
    path = tmp_path / "nul.yaml"
    path.write_bytes(
        (GOOD_BEFORE + pad + "---\n").encode()
        + b"kind: ConfigMap\ndata: {a: \x00}\n---\n"
        + GOOD_AFTER.encode()
    )
    result = read_sources([str(path)])
    error = only_error(result)
    assert error.line == 11 + pad.count("\n")
    assert error.message == "binary data (NUL byte); document skipped"
    assert names(result) == ["before", "after"]


@settings(max_examples=examples(40), deadline=None)
@given(st.integers(0, 5), st.integers(0, 4), st.integers(0, 3000))
def test_nul_anywhere_drops_its_document_only(bad: int, documents: int, pad: int) -> None:
    bad = min(bad, documents)
    parts = []
    for index in range(documents + 1):
        filler = f"  pad: '{'x' * pad}'\n"
        text = pod(f"p{index}", "nginx:1.25").replace("spec:\n", f"x:\n{filler}spec:\n")
        if index == bad:
            text = text.replace("  pad: '", "  pad: '\x00")
        parts.append(text)
    result = read_sources_text("---\n".join(parts))
    assert [error.message for error in result.errors] == [
        "binary data (NUL byte); document skipped"
    ]
    assert names(result) == [f"p{i}" for i in range(documents + 1) if i != bad]


# -- lines as editors count them ----------------------------------------------------------


@pytest.mark.parametrize(
    ("newline", "extra"),
    [("\r\r\n", ""), ("\n", "x: 'a\u2028b'\n"), ("\n", 'x: "a\u2029b\x85c"\n')],
)
def test_lines_are_counted_as_editors_do(tmp_path: Path, newline: str, extra: str) -> None:
    path = tmp_path / "lines.yaml"
    path.write_bytes((extra + GOOD_BEFORE).replace("\n", newline).encode())
    result = read_sources([str(path)])
    assert result.errors == ()
    assert [use.line for use in result.uses] == [8 + extra.count("\n")]


@pytest.mark.parametrize("text", [b"a: 1\r?", b"kind: Secret\rb: 2\n?", b"a: 1\xc2\x85?"])
def test_a_value_after_the_last_line_break_is_no_crash(tmp_path: Path, text: bytes) -> None:
    # libyaml puts the empty value of a complex key at the end on a line after the last
    # one (it ends the stream with a line break); editor lines must still be found for it
    path = tmp_path / "end.yaml"
    path.write_bytes(text)
    result = read_sources([str(path)])
    assert all(error.line == 1 for error in result.errors)


ODD_BREAKS = ["\r", "\x85", "\u2028", "\u2029"]


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(st.sampled_from(["\n", "\r\n", "\r\r\n"]), min_size=9, max_size=9),
    st.lists(
        st.tuples(st.integers(0, 7), st.sampled_from(ODD_BREAKS), st.sampled_from(["#", "'"])),
        max_size=4,
    ),
)
def test_image_lines_match_the_lf_count(
    newlines: list[str], odd: list[tuple[int, str, str]]
) -> None:
    lines = GOOD_BEFORE.rstrip("\n").split("\n")
    for at, brk, where in odd:  # odd breaks inside comments and quoted scalars
        if where == "#":
            lines[at] += f" # note{brk}more"
        else:
            lines.insert(at, f"z{at}: 'x{brk}y'")
    text = "".join(line + newlines[min(i, 8)] for i, line in enumerate(lines))
    result = read_sources_text(text)
    if result.errors:  # a lone CR ends a comment for libyaml: the rest may be invalid
        assert all(error.line is not None for error in result.errors)
        return
    image_at = text.index("image: nginx")
    assert [use.line for use in result.uses] == [1 + text.count("\n", 0, image_at)]


# -- JSON: a value cut short does not take the next one with it ------------------------------


@pytest.mark.parametrize("cut_after", ['"metadata": {"name": "broken"},', '"metadata":'])
def test_truncated_json_object_then_the_next_is_read(tmp_path: Path, cut_after: str) -> None:
    broken = json_pod("broken", "nginx:1.26")
    broken = broken[: broken.index(cut_after) + len(cut_after)] + "\n"
    path = tmp_path / "stream.json"
    path.write_text(
        json_pod("before", "nginx:1.25")
        + broken
        + json_pod("after", "nginx:1.27")
        + json_pod("last", "nginx:1.28")
    )
    result = read_sources([str(path)])
    error = only_error(result)
    assert error.line == 3
    assert error.message.endswith("this value is cut short (the next one starts on line 4)")
    assert names(result) == ["before", "after", "last"]


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(1, 10_000)), min_size=1, max_size=6))
def test_every_whole_json_object_is_read(objects: list[tuple[bool, int]]) -> None:
    text = ""
    whole = []
    for index, (cut, at) in enumerate(objects):
        one = json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": f"p{index}"},
                "spec": {"containers": [{"name": "c", "image": "nginx:1"}]},
            }
        )
        if cut:
            one = one[: 1 + at % (len(one) - 1)]
        else:
            whole.append(f"p{index}")
        text += one + "\n"
    path_result = read_sources_text(text)
    assert names(path_result) == whole
    # every cut value is an error (read as YAML, cut values only may make fewer errors)
    assert bool(path_result.errors) == any(cut for cut, _ in objects)
    if whole:
        assert len(path_result.errors) == sum(cut for cut, _ in objects)


# -- input with no Kubernetes object at all ------------------------------------------------


def test_values_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text("# chart values\nreplicaCount: 1\nimage:\n  repository: nginx\n")
    result = read_sources([str(path)])
    error = only_error(result)
    assert (error.file, error.line) == (str(path), 1)
    assert error.message.startswith("holds no Kubernetes object")


def test_folder_of_data_is_an_error_and_a_folder_with_objects_is_not(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.yaml").write_text("a: 1\n")
    (data / "b.json").write_text('{"b": [1]}\n')
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "values.yaml").write_text("a: 1\n")
    (mixed / "app.yaml").write_text(GOOD_AFTER)
    result = read_sources([str(data), str(mixed)])
    error = only_error(result)
    assert (error.file, error.line) == (str(data), None)
    assert error.message.startswith("none of its 2 files holds a Kubernetes object")
    assert names(result) == ["after"]


@pytest.mark.parametrize(
    "text",
    ["# x\n", "# only a comment\n---\n# another\n", "---\n---\n", "~\n", " \n\n"],
)
def test_input_that_holds_nothing_is_an_error(text: str, tmp_path: Path) -> None:
    from_stdin = only_error(read_sources_text(text))
    assert (from_stdin.file, from_stdin.line) == ("<stdin>", None)
    assert from_stdin.message.startswith("holds nothing: it is empty or only comments")
    path = tmp_path / "out.yaml"
    path.write_text(text)
    from_file = only_error(read_sources([str(path)]))
    assert (from_file.file, from_file.message) == (str(path), from_stdin.message)


@pytest.mark.parametrize(
    "text",
    [
        "apiVersion: v1\nkind: List\nitems: []\n",
        '{"apiVersion": "v1", "kind": "List", "items": []}',
        "apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n",  # an object without images
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n",
    ],
)
def test_empty_lists_and_objects_without_images_are_not_errors(text: str) -> None:
    assert read_sources_text(text).errors == ()


@pytest.mark.parametrize(
    "text",
    ["a: 1\n", "- 1\n- 2\n", "just text\n", '{"a": 1}\n', "[1, 2]\n", "kind: ''\n", "--- |\n x\n"],
)
def test_data_without_objects_on_stdin_is_an_error(text: str) -> None:
    result = read_sources_text(text)
    error = only_error(result)
    assert (error.file, error.line) == ("<stdin>", 1)
    assert "no Kubernetes object" in error.message


@settings(max_examples=examples(50), deadline=None)
@given(
    st.dictionaries(
        st.text(alphabet="abcdefgkindpoxyz", min_size=1, max_size=6),
        st.integers() | st.text(max_size=5),
        min_size=1,
        max_size=5,
    )
)
def test_a_document_is_an_object_exactly_when_it_has_a_kind(data: dict[str, object]) -> None:
    result = read_sources_text(yaml.safe_dump(data))
    has_kind = "kind" in data and data["kind"] != ""  # kind: 0 is read as the text "0"
    assert bool(result.errors) != has_kind


# -- nodes held for one document ----------------------------------------------------------


def test_a_document_holding_too_many_values_is_refused(tmp_path: Path) -> None:
    limits = Limits(max_nodes=1000)
    path = sandwich(
        tmp_path, "kind: ConfigMap\ndata:\n" + "".join(f"  k{n}: v\n" for n in range(600))
    )
    as_json = tmp_path / "big.json"
    as_json.write_text(
        json.dumps({"kind": "ConfigMap", "data": {f"k{n}": "v" for n in range(600)}})
    )
    result = read_sources([str(path), str(as_json)], limits=limits)
    assert [(error.file, error.line) for error in result.errors] == [
        (str(path), 12 + 497),  # the value of k497 is the 1,001st node
        (str(as_json), 1),
    ]
    assert all("more than 1,000 values outside a List's items" in e.message for e in result.errors)
    assert names(result) == ["before", "after"]


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_list_may_hold_any_number_of_items(tmp_path: Path, suffix: str) -> None:
    limits = Limits(max_nodes=1000)
    items = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"p{n}"},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]},
        }
        for n in range(200)  # 13 nodes each: 2,600 in all
    ]
    document = {"apiVersion": "v1", "items": items, "kind": "List"}
    path = tmp_path / f"list{suffix}"
    path.write_text(
        json.dumps(document, indent=1) if suffix == ".json" else yaml.safe_dump(document)
    )
    result = read_sources([str(path)], limits=limits)
    assert result.errors == ()
    assert len(result.uses) == 200
