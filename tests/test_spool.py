"""Uses held compactly (analyzer/spool.py) and documents written as they are made
(analyzer/json_stream.py): the same output as before, byte for byte, without the memory."""

from __future__ import annotations

import copy
import gc
import io
import json
import pickle
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from report_factory import full_report

from analyzer import scan
from analyzer.formats import FORMAT_NAMES, render
from analyzer.json_lazy import Lazy
from analyzer.json_stream import write_json
from analyzer.model import ImageUse
from analyzer.reference import ImageRef
from analyzer.report import Report
from analyzer.spool import KEEP, Spool, UseGroups, UseList

NGINX = ImageRef("docker.io", "library/nginx", "1.25", None)
NGINX_PINNED = ImageRef("docker.io", "library/nginx", "1.26", "sha256:" + "ab" * 32)
# text as manifests may hold it: lone surrogates, line ends, controls, non-ASCII
TEXT = st.text(st.characters(codec=None, blacklist_categories=()), max_size=12)
MAYBE = st.none() | TEXT


def a_use(image: ImageRef | None = NGINX, line: int = 1, **fields: Any) -> ImageUse:
    return ImageUse(
        fields.pop("raw", str(image)),
        image,
        fields.pop("use_class", "container" if image else "invalid"),
        fields.pop("file", "pods.yaml"),
        line,
        fields.pop("document", line - 1),
        fields.pop("field", "spec.containers[0].image"),
        **fields,
    )


uses_strategy = st.builds(
    ImageUse,
    raw=TEXT,
    image=st.sampled_from([NGINX, NGINX_PINNED, None]),
    use_class=st.sampled_from(["container", "crd", "volume", "indirect", "invalid"]),
    file=TEXT,
    line=st.integers(0, 2**40),
    document=st.integers(0, 2**31),
    field=TEXT,
    kind=MAYBE,
    api_version=MAYBE,
    namespace=MAYBE,
    name=MAYBE,
    container=MAYBE,
    source=MAYBE,
    reason=MAYBE,
    found_in=st.sampled_from([None, "container", "indirect"]),
    rule=MAYBE,
)


@given(st.lists(uses_strategy, max_size=40) | st.lists(uses_strategy, min_size=30, max_size=60))
def test_every_use_reads_back_as_it_was_written_in_its_group(uses: list[ImageUse]) -> None:
    groups = UseGroups({"container", "crd", "volume", "indirect"})
    groups.extend(uses)
    kept = [u for u in uses if u.scope != "invalid"]  # out of these classes: dropped
    expected: dict[str | None, list[ImageUse]] = {}
    for use in kept:
        expected.setdefault(use.pull_ref, []).append(use)
    assert {key: list(group) for key, group in groups.images.items()} == {
        key: group for key, group in expected.items() if key is not None
    }
    assert list(groups.invalid) == expected.get(None, [])
    for group in groups.images.values():  # what routing needs: every (raw, image) once
        assert group.spellings == list(dict.fromkeys((u.raw, u.image) for u in group))
    for group in (*groups.images.values(), groups.invalid):
        assert len(group) == len(list(group))
        assert [group[i] for i in range(-len(group), len(group))] == list(group) * 2
        assert group[1:] == tuple(group)[1:] and group[::2] == tuple(group)[::2]


def test_past_the_first_few_uses_are_on_disk_and_read_in_order() -> None:
    spool = Spool()
    listed = UseList(spool)
    uses = [a_use(NGINX, n, raw=f"nginx\n\ud800{n}") for n in range(1, 3000)]
    for use in uses:
        listed.append(use)
    assert len(listed._kept) == KEEP and len(listed._offsets) == len(uses) - KEEP
    assert list(listed) == uses and listed == tuple(uses) and listed != tuple(uses[:-1])
    assert listed[-1] == uses[-1] and listed[KEEP + 7] == uses[KEEP + 7]
    # two readers at once (a format may read one list inside another), each in order
    first, second = iter(listed), iter(listed)
    assert [(next(first), next(second)) for _ in range(2000)] == [(u, u) for u in uses[:2000]]
    with pytest.raises(IndexError):
        listed[len(uses)]
    assert pickle.loads(pickle.dumps(listed)) == tuple(uses)
    assert copy.deepcopy(listed) == tuple(uses)


def test_a_use_longer_than_a_read_is_read_whole() -> None:
    listed = UseList(Spool())
    long = a_use(NGINX, 9, raw="x" * 300_000)
    for use in [a_use(NGINX, n) for n in range(1, KEEP + 1)] + [long, a_use(NGINX, 10)]:
        listed.append(use)
    assert listed[KEEP] == long and list(listed)[-1].line == 10


def test_a_scan_keeps_a_few_uses_of_an_image_in_memory(tmp_path: Path) -> None:
    """Before: every use of the input was an ImageUse held by the report (about 270 bytes
    each, 650 MB for 300 MiB of small Pods)."""
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {{name: p{n}}}\nspec:\n  containers:\n" + (
        "  - {{name: c, image: 'nginx:1.25'}}\n---\n"
    )
    path = tmp_path / "pods.yaml"
    path.write_text("".join(pod.format(n=n) for n in range(2000)), encoding="utf-8")
    before = held_uses()
    report = scan([str(path)], catalogs=["docker.m.daocloud.io=all"])
    assert held_uses() - before <= 4  # KEEP
    (image,) = report.images
    assert len(image.uses) == 2000 and report.summary().uses == 2000
    assert [u.name for u in image.uses] == [f"p{n}" for n in range(2000)]


def held_uses() -> int:
    gc.collect()
    return sum(isinstance(o, ImageUse) for o in gc.get_objects())


def spooled(report: Report) -> Report:
    """``report`` with each list of uses made 30 times longer and spooled."""
    spool = Spool()

    def longer(uses: Any) -> UseList:
        listed = UseList(spool)
        for n in range(30):
            for use in uses:
                listed.append(replace(use, line=use.line + n))
        return listed

    images = tuple(replace(r, uses=longer(r.uses)) for r in report.images)
    return replace(report, images=images, invalid=longer(report.invalid))


def in_memory(report: Report) -> Report:
    images = tuple(replace(r, uses=tuple(r.uses)) for r in report.images)
    return replace(report, images=images, invalid=tuple(report.invalid))


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_every_format_writes_spooled_uses_as_it_wrote_them_from_memory(fmt: str) -> None:
    report = spooled(full_report())
    from_disk, from_memory = io.StringIO(), io.StringIO()
    render(report, fmt, from_disk)
    render(in_memory(report), fmt, from_memory)
    assert from_disk.getvalue() == from_memory.getvalue()
    if fmt == "json":
        assert from_disk.getvalue() == json.dumps(report.to_dict(), indent=2) + "\n"


def marked_lazy(items: list[Any]) -> tuple[str, list[Any]]:
    return ("lazy", items)


def containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Arrays, objects, and arrays to be written as ``Lazy`` ones."""
    arrays = st.lists(inner, max_size=4)
    return arrays | st.dictionaries(TEXT, inner, max_size=4) | arrays.map(marked_lazy)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT, containers, max_leaves=30
)


def made(value: Any, lazy: bool) -> Any:
    """``value`` with its ``("lazy", items)`` as ``Lazy`` arrays (or plain lists)."""
    if isinstance(value, tuple):
        items = [made(v, lazy) for v in value[1]]
        return Lazy(iter(items)) if lazy else items
    if isinstance(value, list):
        return [made(v, lazy) for v in value]
    if isinstance(value, dict):
        return {k: made(v, lazy) for k, v in value.items()}
    return value


@given(JSON, st.sampled_from([None, 0, 2, 4]))
def test_write_json_writes_what_json_dumps_does(value: Any, indent: int | None) -> None:
    out = io.StringIO()
    write_json(made(value, lazy=True), out, indent=indent)
    assert out.getvalue() == json.dumps(made(value, lazy=False), indent=indent)


def test_without_a_temporary_folder_the_uses_stay_in_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_folder(**_: Any) -> None:
        raise FileNotFoundError("[Errno 2] No usable temporary directory found")

    monkeypatch.setattr("tempfile.TemporaryFile", no_folder)
    listed = UseList(Spool())
    uses = [a_use(NGINX, n) for n in range(1, 50)]
    for use in uses:
        listed.append(use)
    assert list(listed) == uses and listed[30] == uses[30]


def test_readers_in_threads_each_read_in_order() -> None:
    from concurrent.futures import ThreadPoolExecutor

    listed = UseList(Spool())
    uses = [a_use(NGINX, n, raw="x" * (n % 500)) for n in range(1, 20_000)]
    for use in uses:
        listed.append(use)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: list(listed), range(4)))
    assert results == [uses] * 4


def test_uses_written_after_a_read_come_back_in_memory_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading in memory (no os.pread) moves the position; writing must go on at the end."""
    monkeypatch.setattr("analyzer.spool._PREAD", None)
    spool = Spool()
    first, second = UseList(spool), UseList(spool)
    uses = [a_use(NGINX, n) for n in range(1, 3000)]  # more than one read's chunk
    for use in uses:
        first.append(use)
    assert first[KEEP] == uses[KEEP]  # the position is now one chunk in, not at the end
    for use in uses:
        second.append(use)
    assert list(second) == uses and list(first) == uses
