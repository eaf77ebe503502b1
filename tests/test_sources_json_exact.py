"""The JSON reader gives exactly what it gave before it was made faster.

``tests/json_tree_before.py`` is the tree builder as it was (one regular-expression match
per token); every test here reads the same text with both builders and compares all the
reader gives:
each value's tree (node types, values, quoted or not, null or not, sizes, and the line of
every node), the items of a root ``items`` handed over one by one, each error's line and
message, and where each value is. The texts are generated: escapes, unicode, surrogates,
big and odd numbers, blank lines and carriage returns, duplicate keys, ``items`` Lists,
streams of several values, deep nesting, and broken JSON, under small limits too.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Union

import json_tree_before
from fuzz import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.sources.json_tree import JsonDocument, read_json
from analyzer.sources.limits import DocumentError, Limits
from analyzer.sources.tree import MapNode, Node, ScalarNode, SeqNode, TakeItem
from tests.benchmarks.inputs import pods_list_json

# a JSON value to write: ("lit", text), ("str", value), ("arr", items), ("obj", pairs)
Value = tuple[str, Union[str, list["Value"], list[tuple[str, "Value"]]]]  # noqa: UP007

#: blanks between tokens: JSON's four, blank lines, and a carriage return alone
BLANKS = ["", "", " ", "\n", "\n    ", "\r\n", "\t", "\n\n  ", " \r", "\r"]
LITERALS = [
    "null", "true", "false", "0", "-0", "1", "-12", "3.25", "1e400", "-1E-7", "2.5e+3",
    "NaN", "Infinity", "-Infinity", str(10**40), str(-(10**25)), "0.000001",
]  # fmt: skip
SPECIAL = [*'"\\/\b\f\n\r\t\x00\x1f\x7f\x85\xa0\u2028\u2029éß中😀', "\ud800", "\udfff"]
KEYS = ["items", "items", "kind", "apiVersion", "image", "", "a b", 'q"uote', "back\\slash"]

texts = st.text(st.one_of(st.sampled_from(SPECIAL), st.characters()), max_size=6)
keys = st.one_of(st.sampled_from(KEYS), texts)
scalars: st.SearchStrategy[Value] = st.one_of(
    st.tuples(st.just("lit"), st.sampled_from(LITERALS)),
    st.tuples(st.just("lit"), st.integers().map(str)),
    st.tuples(st.just("lit"), st.floats(allow_nan=False).map(json.dumps)),
    st.tuples(st.just("str"), texts),
    st.tuples(st.just("str"), st.sampled_from(KEYS)),
)
values: st.SearchStrategy[Value] = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.tuples(st.just("arr"), st.lists(inner, max_size=4)),
        st.tuples(st.just("obj"), st.lists(st.tuples(keys, inner), max_size=4)),
    ),
    max_leaves=25,
)
#: a root mapping with ``items`` (a kubectl List, or ``items`` twice, or not a sequence)
lists: st.SearchStrategy[Value] = st.tuples(
    st.just("obj"),
    st.lists(
        st.tuples(st.sampled_from(["items", "kind", "metadata", "items"]), values),
        min_size=1,
        max_size=4,
    ).map(lambda pairs: [("apiVersion", ("str", "v1")), *pairs, ("kind", ("str", "List"))]),
)


def string(value: str, rng: random.Random) -> str:
    """``value`` as a JSON string, some characters escaped that need not be."""
    written = json.dumps(value, ensure_ascii=rng.random() < 0.3)
    if rng.random() < 0.3:
        body = "".join(
            f"\\u{ord(c):04x}" if rng.random() < 0.3 and ord(c) < 0x10000 and c not in '"\\' else c
            for c in written[1:-1]
        )
        written = '"' + body.replace("\\u002f", "\\/") + '"'
    return written


def write(value: Value, rng: random.Random) -> str:
    """``value`` as JSON text, with blanks chosen by ``rng`` around every token."""

    def blank() -> str:
        return rng.choice(BLANKS)

    kind, body = value
    if kind == "lit":
        assert isinstance(body, str)
        return body
    if kind == "str":
        assert isinstance(body, str)
        return string(body, rng)
    if kind == "arr":
        assert isinstance(body, list)
        inner = ("," + blank()).join(blank() + write(v, rng) + blank() for v in body)  # type: ignore[arg-type]
        return "[" + inner + blank() + "]"
    assert isinstance(body, list)
    members = (
        blank() + string(k, rng) + blank() + ":" + blank() + write(v, rng) + blank()
        for k, v in body  # type: ignore[misc]
    )
    return "{" + ",".join(members) + blank() + "}"


def describe(root: Node | None) -> list[tuple[object, ...]]:
    """Every node of ``root`` in document order with all it holds (no recursion: deep
    trees are compared too)."""
    out: list[tuple[object, ...]] = []
    stack: list[Node | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:
            out.append(("none",))
        elif isinstance(node, ScalarNode):
            out.append(("scalar", node.value, node.line, node.plain, node.is_null, node.size))
        elif isinstance(node, MapNode):
            out.append(("map", node.line, node.size, len(node.pairs)))
            stack.extend(n for pair in reversed(node.pairs) for n in reversed(pair))
        else:
            assert isinstance(node, SeqNode)
            out.append(("seq", node.line, node.size, len(node.items)))
            stack.extend(reversed(node.items))
    return out


#: limits no text here reaches: the reader's documents, whatever their trees
UNLIMITED = Limits(max_depth=10**9, max_nodes=10**12)


def read_before(
    text: str, limits: Limits, take_for: Callable[[int], TakeItem] | None = None
) -> Iterator[JsonDocument]:
    """``read_json`` with the builder before: where each value is, and each syntax error,
    does not depend on the builder (the reader goes on after the value's end either way),
    so the documents are today's and each valid one is built again by the old builder."""
    for document in read_json(text, UNLIMITED):
        if document.error is not None:
            yield document
            continue
        index, line, span = document.index, document.line, document.span
        take_item = take_for(index) if take_for is not None else None
        try:
            root = json_tree_before.build_json(text, span, line, limits, take_item)
        except DocumentError as exc:
            yield JsonDocument(index, line, error=exc)
        else:
            yield JsonDocument(index, line, root=root, span=span)


def outcome(reader: object, text: str, limits: Limits, listed: bool) -> list[object]:
    """All that ``reader`` (a ``read_json``) gives for ``text``, handed-over items included
    in the order they were handed."""
    seen: list[object] = []

    def take_for(index: int) -> TakeItem:
        def take(number: int, node: Node) -> None:
            seen.append(("taken", index, number, describe(node)))

        return take

    for doc in reader(text, limits, take_for if listed else None):  # type: ignore[operator]
        error = doc.error
        seen.append(
            (
                doc.index,
                doc.line,
                doc.span,
                None if error is None else (error.line, error.message),
                describe(doc.root),
            )
        )
    return seen


def assert_same(text: str, limits: Limits = Limits()) -> None:
    for listed in (True, False):
        before = outcome(read_before, text, limits, listed)
        assert outcome(read_json, text, limits, listed) == before, text


def broken(text: str, rng: random.Random) -> str:
    """``text`` cut short, with a piece left out, or with a character put in."""
    if not text:
        return "{"
    at = rng.randrange(len(text))
    roll = rng.random()
    if roll < 0.3:
        return text[:at]
    if roll < 0.6:
        return text[:at] + text[at + rng.randrange(1, 4) :]
    return text[:at] + rng.choice('{}[],:"\\ \nx1-.e') + text[at:]


LIMITS = st.builds(
    Limits,
    max_depth=st.sampled_from([1000, 1000, 2, 4]),
    max_nodes=st.sampled_from([1_000_000, 1_000_000, 3, 8, 40]),
)


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(values, lists, lists), min_size=1, max_size=3),
    st.randoms(use_true_random=False),
    st.sampled_from(["valid", "valid", "broken"]),
    LIMITS,
)
def test_generated_streams_read_the_same(
    documents: list[Value], rng: random.Random, state: str, limits: Limits
) -> None:
    text = "".join(rng.choice(BLANKS) + write(doc, rng) + rng.choice(BLANKS) for doc in documents)
    if state == "broken":
        text = broken(text, rng)
    assert_same(text, limits)


@settings(max_examples=examples(200), deadline=None)
@given(st.text(st.sampled_from(list('{}[],:"\\ \n\r\tax1-.e')), max_size=40))
def test_random_characters_read_the_same(text: str) -> None:
    assert_same(text, Limits(max_depth=3, max_nodes=6))
    assert_same(text)


def test_kubectl_pod_list_reads_the_same(tmp_path: Path) -> None:
    text = pods_list_json(tmp_path / "pods.json", 4).read_text(encoding="utf-8")
    assert_same(text)
    # the items were handed over one by one: four Pods
    handed = [e for e in outcome(read_json, text, Limits(), True) if e[0] == "taken"]
    assert [e[2] for e in handed] == [0, 1, 2, 3]  # type: ignore[index]


def test_deep_nesting_reads_the_same() -> None:
    for depth in (3, 999, 1000, 1001, 3000):
        for opened, closed in (("[", "]"), ('{"a":', "}"), ('{"items":[', "]}")):
            text = opened * depth + "1" + closed * depth
            assert_same(text + "\n" + text)
            assert_same(text, Limits(max_depth=depth - 1))


def test_limits_on_a_list_read_the_same() -> None:
    items = ",\n".join(f'{{"a": [{i}, "x"], "b": "y"}}' for i in range(50))
    text = f'{{"kind": "List", "items": [\n{items}\n], "after": [1, 2, 3, 4, 5]}}'
    members = ",\n".join(f'"k{i}": {i}, "s{i}": "v", "m{i}": {{"a": [1]}}' for i in range(20))
    mapping = f'{{"kind": "List", "items": {{{members}}}, "items": [[1], 2, {{"b": 3}}]}}'
    for nodes in range(1, 40):
        assert_same(text, Limits(max_nodes=nodes))
        assert_same(mapping, Limits(max_nodes=nodes))
