"""List documents are read item by item, with the same answer as a whole reading.

``kubectl get -o yaml`` prints one ``List`` document; its items are extracted as the
parser ends each one (``analyzer.sources.listed``). Each test compares the reader's uses
with extracting the fully built tree, so the item-by-item path can never differ.
"""

from __future__ import annotations

import io
import json

from fuzz import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.model import ImageUse
from analyzer.sources import Limits, read_sources
from analyzer.sources.extract import Origin, extract
from analyzer.sources.json_tree import read_json
from analyzer.sources.limits import DocumentError
from analyzer.sources.listed import ListedItems
from analyzer.sources.yaml_tree import build_yaml

LIMITS = Limits()


def whole(data: bytes) -> list[ImageUse] | None:
    """The uses of the document read the ordinary way (None when it cannot be read)."""
    try:
        roots = build_yaml(data, 1, LIMITS)
    except DocumentError:
        return None
    found = [use for root in roots for use in extract(root, Origin("<stdin>", 0), LIMITS)]
    return [use for use in found if isinstance(use, ImageUse)]  # warnings are apart


def read(data: bytes) -> list[ImageUse]:
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    return list(read_sources(["-"], stdin=stream).uses)


def item(index: int, *, kind: bool = True, api: bool = True) -> str:
    lines = ["- " + ("apiVersion: v1" if api else "x: 1")]
    if kind:
        lines.append("  kind: Pod")
    lines += [
        f"  metadata: {{name: p{index}}}",
        "  spec:",
        "    containers:",
        f"    - {{name: c, image: 'nginx:1.{index}',",
        f"       args: ['--helper-image=quay.io/a/b:{index}']}}",
    ]
    return "\n".join(lines) + "\n"


def test_kubectl_list_is_read_item_by_item() -> None:
    data = (
        "apiVersion: v1\nitems:\n" + "".join(item(i) for i in range(3)) + "kind: List\n"
    ).encode()
    listed = ListedItems(Origin("<stdin>", 0), LIMITS)
    roots = build_yaml(data, 1, LIMITS, listed.take)
    assert listed.taken == 3
    assert roots[0] is not None and roots[0].pairs[1][1].items == []  # type: ignore[union-attr]
    uses = listed.uses(roots)
    assert uses == whole(data)
    assert [use.field for use in uses or []][:2] == [
        "items[0].spec.containers[0].image",
        "items[0].spec.containers[0].args[0]",
    ]
    assert read(data) == uses


@settings(max_examples=examples(80), deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.booleans(), st.sampled_from(["map", "scalar", "none"])),
        max_size=5,
    ),
    st.sampled_from(["List", "PodList", "ConfigMap", "", None]),
    st.sampled_from(["before", "after"]),
    st.sampled_from(["", "items: []\n", "<<: {kind: List}\n", "apiVersion: v2\n"]),
)
def test_any_list_reads_as_the_whole_tree_does(
    items: list[tuple[bool, bool, str]], kind: str | None, where: str, extra: str
) -> None:
    body = ""
    for index, (has_kind, has_api, shape) in enumerate(items):
        if shape == "map":
            body += item(index, kind=has_kind, api=has_api)
        elif shape == "scalar":
            body += f"- just text {index}\n"
        else:
            body += "- \n"
    kind_line = "" if kind is None else f"kind: '{kind}'\n"
    text = "apiVersion: v1\n"
    text += kind_line if where == "before" else ""
    text += "items:\n" + body if items else "items: []\n"
    text += kind_line if where == "after" else ""
    text += extra
    data = text.encode()
    expected = whole(data)
    if expected is None:
        return
    assert read(data) == expected


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), max_size=4),
    st.sampled_from(["List", "PodList", "Pod", None]),
    st.booleans(),
)
def test_json_lists_read_as_the_whole_tree_does(
    items: list[tuple[bool, bool, bool]], kind: str | None, twice: bool
) -> None:
    listed = []
    for index, (has_kind, has_api, is_map) in enumerate(items):
        value: object = f"text {index}"
        if is_map:
            pod: dict[str, object] = {
                "metadata": {"name": f"p{index}"},
                "spec": {"containers": [{"name": "c", "image": f"nginx:1.{index}"}]},
            }
            if has_kind:
                pod["kind"] = "Pod"
            if has_api:
                pod["apiVersion"] = "v1"
            value = pod
        listed.append(value)
    document: dict[str, object] = {"apiVersion": "v1", "items": listed}
    if kind is not None:
        document["kind"] = kind
    text = json.dumps(document, indent=2)
    if twice:  # a stream of two values, the second one the same
        text += "\n" + text
    expected = []
    for one in read_json(text, LIMITS):
        assert one.root is not None
        found = extract(one.root, Origin("<stdin>", one.index), LIMITS)
        expected.extend(use for use in found if isinstance(use, ImageUse))
    assert read(text.encode()) == expected
