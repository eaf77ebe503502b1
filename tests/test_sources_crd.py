"""CustomResourceDefinitions are skipped from their text only when a full parse agrees.

``skip_as_crd`` must never drop a document that a full parse reads as something else (or
cannot read): each test below compares it with a full parse, on the real manifests of
tests/corpus, on hand-written traps and on generated documents.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from fuzz import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.sources import Limits, read_sources
from analyzer.sources.crd import _depth_checked_by_libyaml, is_crd, skip_as_crd, tree_is_crd
from analyzer.sources.limits import DocumentError
from analyzer.sources.yaml_split import split_documents
from analyzer.sources.yaml_tree import build_yaml

CORPUS = Path(__file__).parent / "corpus"
LIMITS = Limits()

CRD = b"""\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
  annotations:
    note: "plain"
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  versions:
  - name: v1
    schema:
      openAPIV3Schema:
        type: object
        properties:
          image: {type: string, description: "an image, e.g. [nginx]"}
"""


def full_parse_is_crd(data: bytes) -> bool:
    """What reading the document in full says: one CRD, read without any error.

    Asked twice: of the tree the reader builds, and of PyYAML's own safe loader (which
    must then agree).
    """
    try:
        roots = build_yaml(data, 1, LIMITS)
    except DocumentError:
        return False
    if len(roots) != 1 or not tree_is_crd(roots[0]):
        return False
    try:
        loaded = list(yaml.load_all(data, Loader=yaml.CSafeLoader))
    except (yaml.composer.ComposerError, yaml.constructor.ConstructorError):
        # PyYAML refuses an anchor defined twice and tags it has no constructor for; YAML
        # 1.2 and the reader do not (the later anchor wins, a tag is read as a plain
        # value): no second opinion on those
        return True
    assert len(loaded) == 1 and isinstance(loaded[0], dict)
    assert is_crd(loaded[0].get("apiVersion"), loaded[0].get("kind"))
    return True


def check(data: bytes) -> bool:
    """The fast path's answer, after checking that it is never wrong."""
    skipped = skip_as_crd(data, LIMITS)
    if skipped:
        assert full_parse_is_crd(data), data[:2000]
    return skipped


#: the fast path needs libyaml 0.2.6's depth limit (PyYAML 6.0.4's wheels); with an older
#: libyaml every document takes the full parse: slower, never wrong
FAST_PATH = _depth_checked_by_libyaml(LIMITS.max_depth)


def skipped_when_fast(data: bytes) -> bool:
    """``check(data)``, and what the fast path would answer: True only with the fast path."""
    answer = check(data)
    if not FAST_PATH:
        assert not answer
        return True
    return answer


def corpus_documents() -> list[bytes]:
    documents = []
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix in (".yaml", ".yml") and path.is_file():
            with open(path, "rb") as handle:
                documents.extend(raw.data for raw in split_documents(handle, 1 << 30))
    return documents


def test_every_corpus_document_agrees_with_a_full_parse() -> None:
    documents = corpus_documents()
    crds = [data for data in documents if full_parse_is_crd(data)]
    skipped = [data for data in documents if check(data)]
    assert len(crds) >= 50
    if not FAST_PATH:
        assert skipped == []
        return
    # the fast path must also be useful: nearly all CRD bytes are skipped unbuilt
    assert sum(map(len, skipped)) >= 0.95 * sum(map(len, crds))


def test_the_plain_crd_is_skipped() -> None:
    assert skipped_when_fast(CRD)
    assert skipped_when_fast(CRD.replace(b"\n", b"\r\n"))
    assert skipped_when_fast(b"---\n# a comment\n" + CRD)


ANNOTATION_TRAP = b"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    note: "
kind: CustomResourceDefinition
apiVersion: apiextensions.k8s.io/v1
"
spec:
  template:
    spec:
      containers:
        - name: c
          image: nginx:1.25
"""


@pytest.mark.parametrize(
    "document",
    [
        ANNOTATION_TRAP,
        ANNOTATION_TRAP.replace(b'"', b"'"),
        CRD + b"kind: Deployment\n",  # duplicate keys: the last one wins
        CRD.replace(b"kind: Cus", b"kind: Deployment\nkind: Cus") + b"kind: Pod\n",
        CRD + b'"kind": Pod\n',
        CRD + b"'kind': Pod\n",
        CRD + b"? kind\n: Pod\n",
        CRD + b"kind : Pod\n",
        CRD + b"!!str kind: Pod\n",
        CRD + b"&k kind: Pod\n",
        CRD + b'"\\x6bind": Pod\n',
        CRD.replace(b"kind: CustomResourceDefinition", b"kind: CustomResourceDefinition\n  x"),
        CRD.replace(b"kind: CustomResourceDefinition", b"kind: CustomResourceDefinition#x"),
        CRD.replace(b"kind: CustomResourceDefinition", b"kind: !!str CustomResourceDefinition"),
        b"x:\n  [\n" + CRD + b"]\n",  # inside a flow collection
        b"x:\n  {\n" + CRD + b"}\n",
        b"--- |\n" + CRD,  # a string
        b"- " + CRD,
        CRD + b"...\nkind: Pod\n",
        CRD + b"x: 1\rkind: Pod\n",  # libyaml counts a lone CR as a line break
        CRD + b"x: 1\xe2\x80\xa8kind: Pod\n",  # and U+2028
        CRD + b"x: \xe9\n",  # not UTF-8
        CRD + b"x: \x00\n",
        CRD + b"x: \x07\n",
        CRD + b"x: [\n",  # a syntax error far from the top
        CRD + b"  x: *nowhere\n",
        CRD + b'  x: {"a":*nowhere}\n',  # an alias right after a quoted key
        CRD + b'  x: &a {"a":*a}\n',  # a self-reference
        CRD + b'  x: ["a":*nowhere]\n',
        CRD + b"  x: {?*nowhere}\n",  # an alias right after "?" in a flow collection
        CRD + b"  x: &a [?*a]\n",
        CRD + b"  x: !!python/object/apply:os.system ['true']\n",
        CRD + b"  x: !!%70ython/object/apply:os.system ['true']\n",
        CRD + b"x: " + b"[" * 1000 + b"]" * 1000 + b"\n",  # deeper than the limit
        b"%YAML 1.1\n---\n" + CRD,
        b"\xef\xbb\xbf" + CRD,
        b"---#\n" + CRD,  # no marker: a plain scalar, then the mapping is a syntax error
    ],
)
def test_traps_are_never_skipped(document: bytes) -> None:
    assert not check(document)


def skips_within_the_node_limit(
    document: bytes, skip: Callable[[bytes, Limits], bool], limits: range
) -> tuple[int, int]:
    """At each ``max_nodes`` of ``limits``: how often the full parse refused ``document``
    (the text test must then never skip it), and how often the text test skipped it."""
    refused = skipped = 0
    for max_nodes in limits:
        limit = Limits(max_nodes=max_nodes)
        try:
            build_yaml(document, 1, limit)
        except DocumentError as exc:
            assert "more than" in exc.message
            refused += 1
            assert not skip(document, limit), max_nodes
        else:
            skipped += skip(document, limit)
    return refused, skipped


def test_a_crd_over_the_node_limit_is_left_to_the_full_parse(tmp_path: Path) -> None:
    """The full parse refuses a document of more nodes than ``max_nodes``; the text must
    never skip one it would refuse, at any limit."""
    refused, skipped = skips_within_the_node_limit(CRD, skip_as_crd, range(1, 150))
    assert refused >= 40  # the CRD holds 42 nodes
    assert skipped >= 50 or not FAST_PATH  # past the events libyaml counts (under 100)
    # and the reader reports it, as it would without the text check
    path = tmp_path / "crd.yaml"
    path.write_bytes(CRD)
    result = read_sources([str(path)], limits=Limits(max_nodes=10))
    assert [(error.line, "more than 10 values" in error.message) for error in result.errors] == [
        (6, True)  # the line of the 11th node
    ]


def test_the_issue_cases_give_their_images(tmp_path: Path) -> None:
    annotation = tmp_path / "annotation.yaml"
    annotation.write_bytes(ANNOTATION_TRAP)
    duplicate = tmp_path / "duplicate.yaml"
    duplicate.write_bytes(
        b"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nkind: Pod\n"
        b"apiVersion: v1\nspec:\n  containers:\n    - name: c\n      image: nginx:1.27\n"
    )
    result = read_sources([str(annotation), str(duplicate)])
    assert result.errors == ()
    assert [(use.kind, use.pull_ref, use.line) for use in result.uses] == [
        ("Deployment", "docker.io/library/nginx:1.25", 15),
        ("Pod", "docker.io/library/nginx:1.27", 8),
    ]


def test_a_crd_the_text_cannot_vouch_for_is_still_not_extracted(tmp_path: Path) -> None:
    path = tmp_path / "crds.yaml"
    quoted = CRD.replace(b"kind: CustomResourceDefinition", b'"kind": CustomResourceDefinition')
    path.write_bytes(quoted.replace(b"{type: string,", b"{image: nginx:1, type: string,"))
    assert not skip_as_crd(path.read_bytes(), LIMITS)
    result = read_sources([str(path)])
    assert (result.uses, result.errors) == ((), ())


# -- generated documents ------------------------------------------------------------------

FRAGMENTS = [
    b"kind: Pod",
    b"kind: CustomResourceDefinition",
    b"apiVersion: v1",
    b"apiVersion: apiextensions.k8s.io/v1",
    b'"kind": Pod',
    b"? kind",
    b": Pod",
    b"kind : Pod",
    b"&a kind: Pod",
    b'  note: "',
    b'"',
    b"  note: '",
    b"'",
    b"x: [",
    b"]",
    b"x: {",
    b"}",
    b"x: |",
    b"--- |",
    b"---",
    b"...",
    b"  more text",
    b"# comment",
    b"- item",
    b"  - item",
    b"\tkind: Pod",
    b"  b: &x 1",
    b"  a: *x",
    b'  a: {"k":*x}',  # an alias right after a quoted key's ":"
    b'  a: {"k":*nowhere}',
    b"  a: {?*x}",  # an alias right after a flow collection's "?"
    b"  a: [?*nowhere]",
    b"c: !!python/name:os.system",
    b"<<: {kind: Pod}",
    b"x: 1\rkind: Pod",
    b"x: \xe2\x80\xa8",
    b"x: \xc2\x85",
    b"x: \xe9",
    b"x: \x00",
    b"%TAG ! tag:example.com,2000:",
    b"",
]


@st.composite
def mutated_crds(draw: st.DrawFn) -> bytes:
    return mutate(draw, CRD, FRAGMENTS)


def mutate(draw: st.DrawFn, document: bytes, fragments: list[bytes]) -> bytes:
    """``document`` with a few of ``fragments`` (or random bytes) put in as lines, and
    perhaps one byte changed."""
    lines = document.split(b"\n")
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines)))
        fragment = draw(
            st.sampled_from(fragments)
            | st.binary(max_size=12)
            | st.text(alphabet=" :\"'[]{}-#&*!|>?\t\\kindpoPSx", max_size=16).map(str.encode)
        )
        lines.insert(at, fragment)
    if draw(st.booleans()):  # one byte anywhere changed
        data = bytearray(b"\n".join(lines))
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.sampled_from(b" \n\r\t\"'#:-[]{}&*!|>\x00\x85"))
        return bytes(data)
    return b"\n".join(lines)


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_crds())
def test_generated_documents_agree_with_a_full_parse(document: bytes) -> None:
    check(document)


def dumped(
    top_keys: list[str], scalars: list[str], nested_keys: list[str]
) -> st.SearchStrategy[bytes]:
    """Mappings of ``top_keys`` over nested lists and mappings of ``scalars`` (and
    integers), dumped by PyYAML in every style: block, flow, quoted, literal."""
    values = st.recursive(
        st.sampled_from(scalars) | st.integers(),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.sampled_from(nested_keys), inner, max_size=3)
        ),
        max_leaves=8,
    )
    return st.builds(
        lambda data, style, flow: yaml.safe_dump(
            data,
            default_style=style,
            default_flow_style=[False, None, True][flow],
            width=20,
            allow_unicode=True,
        ).encode(),
        st.dictionaries(st.sampled_from(top_keys), values),
        st.sampled_from([None, '"', "'", "|"]),
        st.integers(0, 2),
    )


@settings(max_examples=examples(200), deadline=None)
@given(
    dumped(
        ["kind", "apiVersion", "metadata", "spec", "x"],
        ["CustomResourceDefinition", "apiextensions.k8s.io/v1", "Pod", "v1", "a\nb"],
        ["kind", "apiVersion", "a"],
    )
)
def test_dumped_documents_agree_with_a_full_parse(document: bytes) -> None:
    check(document)


def test_split_then_skip_on_a_stream_of_crds() -> None:
    stream = io.BytesIO(b"---\n".join([CRD, ANNOTATION_TRAP, CRD]))
    decisions = [check(raw.data) for raw in split_documents(stream, 1 << 20)]
    assert decisions == ([True, False, True] if FAST_PATH else [False, False, False])


def test_text_before_the_first_key_is_never_skipped() -> None:
    # found by the generator: an indented root scalar that runs into the key lines
    assert not check(b'  note  "\n' + CRD)
    assert not check(b"  x\n" + CRD)
    assert skipped_when_fast(b"  # an indented comment\n\n" + CRD)
