"""Documents of kinds that hold no image are skipped from their text only when exact.

``skip_without_image`` (``analyzer/sources/crd.py``) leaves RBAC objects, Services,
ServiceAccounts... unbuilt. A wrong skip would drop images (a false pass), so every skip is
checked against a full parse (one mapping, no error, a kind and group of the table, nothing
extracted, and PyYAML agreeing), and ``coverage images -f json`` with the pre-filter must
print exactly what the path without any text skip prints: on the real corpus and on
generated adversarial documents.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from fuzz import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_sources_crd import FRAGMENTS as CRD_FRAGMENTS
from test_sources_crd import dumped, mutate, skips_within_the_node_limit
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.sources import Limits, read_sources, reader
from analyzer.sources import crd as crd_module
from analyzer.sources.crd import (
    _column_0_lines,
    _depth_checked_by_libyaml,
    skip_without_image,
    skippable,
)
from analyzer.sources.extract import Origin, extract
from analyzer.sources.kinds import RULES_BY_KIND, Rule, group_of, lookup
from analyzer.sources.limits import DocumentError
from analyzer.sources.overrides import warnings as override_warnings
from analyzer.sources.tree import MapNode, get, text
from analyzer.sources.yaml_split import split_documents
from analyzer.sources.yaml_tree import build_yaml

CORPUS = Path(__file__).parent / "corpus"
LIMITS = Limits()
FAST_PATH = _depth_checked_by_libyaml(LIMITS.max_depth)

SERVICE = b"""\
apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web}
  annotations:
    note: "image: nginx:1.25"
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
"""

CLUSTER_ROLE = b"""\
# a comment before the first key
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader
rules:
- apiGroups: [""]
  resources: ["pods", "pods/log"]
  verbs: ["get", "list", "watch"]
"""

SERVICE_ACCOUNT = b"""\
apiVersion: "v1"
kind: 'ServiceAccount'
metadata:
  name: builder
imagePullSecrets:
- name: registry-credentials
"""

SECRET = b"""\
apiVersion: v1
kind: Secret  # stringData is not searched for images
metadata:
  name: creds
stringData:
  image: quay.io/acme/app:1.0
type: Opaque
"""

TEMPLATES = [SERVICE, CLUSTER_ROLE, SERVICE_ACCOUNT, SECRET]


def full_parse_holds_no_image(data: bytes) -> bool:
    """What reading ``data`` in full says: one object of a kind (and group) of the table,
    read without any error, from which ``extract`` reports nothing, not even a warning."""
    try:
        roots = build_yaml(data, 1, LIMITS)
    except DocumentError:
        return False
    if len(roots) != 1 or not isinstance(roots[0], MapNode):
        return False
    root = roots[0]
    kind, api_version = text(get(root, "kind")), text(get(root, "apiVersion"))
    if kind is None or api_version is None:
        return False
    if group_of(api_version) not in skippable().get(kind, ()):
        return False
    assert extract(root, Origin("x.yaml", 0), LIMITS) == [], data[:2000]
    try:  # a second opinion: PyYAML's own loader reads the same kind and apiVersion
        loaded = list(yaml.load_all(data, Loader=yaml.CSafeLoader))
    except (yaml.composer.ComposerError, yaml.constructor.ConstructorError):
        return True  # PyYAML refuses what YAML 1.2 and the reader accept (see crd tests)
    assert len(loaded) == 1 and isinstance(loaded[0], dict)
    assert (loaded[0].get("kind"), loaded[0].get("apiVersion")) == (kind, api_version)
    return True


def check(data: bytes, rules: tuple[Rule, ...] = ()) -> bool:
    """The pre-filter's answer, after checking that it is never wrong."""
    skipped = skip_without_image(data, LIMITS, rules)
    if skipped:
        assert full_parse_holds_no_image(data), data[:2000]
    return skipped


def skipped_when_fast(data: bytes) -> bool:
    answer = check(data)
    if not FAST_PATH:  # an older libyaml: every document takes the full parse
        assert not answer
        return True
    return answer


# -- the table --------------------------------------------------------------------------


def test_the_table_holds_only_kinds_nothing_is_read_from() -> None:
    table = skippable()
    assert {"Service", "ClusterRole", "RoleBinding", "CustomResourceDefinition"} <= set(table)
    for kind, groups in table.items():
        assert not kind.endswith("List")
        for group in groups:
            api_version = f"{group}/v1" if group else "v1"
            assert lookup(api_version, kind) == (None, False, None)
            node = build_yaml(f"apiVersion: {api_version}\nkind: {kind}\n".encode(), 1, LIMITS)
            assert isinstance(node[0], MapNode)
            assert override_warnings(node[0], group, kind) == []
    # kinds whose values are searched, and every List, never are in it
    for kind in ("ConfigMap", "Pod", "Deployment", "List", "ServiceList", "Kustomization"):
        assert kind not in table


def test_a_rule_added_to_the_kinds_table_removes_its_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    # the table itself, not the ``lookup`` function: a module compiled by mypyc calls
    # ``lookup`` directly, past a patched module attribute
    rule = Rule(("Secret",), ("",), images=("data.image",))
    monkeypatch.setitem(RULES_BY_KIND, ("", "Secret"), rule)
    assert lookup("v1", "Secret") == (rule, False, None)
    crd_module._skippable.cache_clear()
    try:
        assert "Secret" not in skippable() and "Service" in skippable()
    finally:
        monkeypatch.undo()
        crd_module._skippable.cache_clear()


# -- decisions ----------------------------------------------------------------------------


@pytest.mark.parametrize("document", TEMPLATES)
def test_the_plain_documents_are_skipped(document: bytes) -> None:
    assert skipped_when_fast(document)
    assert skipped_when_fast(document.replace(b"\n", b"\r\n"))
    assert skipped_when_fast(b"---\n" + document)


def test_a_user_rule_for_the_kind_turns_the_skip_off(tmp_path: Path) -> None:
    rule = Rule(("Secret",), ("",), images=("stringData.image",), label="user: secret")
    assert not check(SECRET, (rule,))
    other = Rule(("Widget",), ("example.com",), images=("spec.image",))
    assert skipped_when_fast(SECRET) and check(SECRET, (other,)) == FAST_PATH
    path = tmp_path / "secret.yaml"
    path.write_bytes(SECRET)
    result = read_sources([str(path)], rules=[rule])
    assert [use.pull_ref for use in result.uses] == ["quay.io/acme/app:1.0"]


POD_TAIL = b"spec:\n  containers:\n  - name: c\n    image: nginx:1.25\n"


@pytest.mark.parametrize(
    "document",
    [
        SERVICE + b"kind: Pod\n",  # duplicate keys: the last one wins
        SERVICE.replace(b"kind: Service", b"kind: Pod\nkind: Service"),
        SERVICE.replace(b"apiVersion: v1", b"apiVersion: v1\napiVersion: apps/v1"),
        SERVICE + b'"kind": Pod\n',
        SERVICE + b"'kind': Pod\n",
        SERVICE + b"? kind\n: Pod\n",
        SERVICE + b"kind : Pod\n",
        SERVICE + b"&k kind: Pod\n",
        SERVICE + b'"\\x6bind": Pod\n',
        SERVICE + b"<<: {kind: Pod}\n",
        SERVICE.replace(b"kind: Service", b"kind: &k Service"),
        SERVICE.replace(b"kind: Service", b"kind: !!str Service"),
        SERVICE.replace(b"kind: Service", b"kind: Service\n  Account"),  # "Service Account"
        SERVICE.replace(b"kind: Service", b'kind: "Serv\\x69ce"'),
        SERVICE.replace(b"kind: Service", b"kind: Null"),
        SERVICE.replace(b"apiVersion: v1", b"apiVersion: 1.0"),
        SERVICE.replace(b"apiVersion: v1", b"apiVersion: apps/v1"),  # not its group
        SERVICE.replace(b"apiVersion: v1", b"apiVersion: serving.knative.dev/v1") + POD_TAIL,
        SERVICE.replace(b"apiVersion: v1\n", b""),  # no apiVersion: a warning
        SERVICE.replace(b"kind: Service", b"kind: ServiceList\nitems:\n- kind: Pod"),
        b"apiVersion: v1\nkind: List\nitems:\n- " + SERVICE.replace(b"\n", b"\n  ") + b"\n",
        b"{apiVersion: v1, kind: Service}\n",  # flow style
        b"x:\n  kind: Service\n  apiVersion: v1\n",  # nested
        b"- " + SERVICE.replace(b"\n", b"\n  "),
        b"--- |\n" + SERVICE,
        b"x:\n  [\n" + SERVICE + b"]\n",
        SERVICE.replace(b'note: "image: nginx:1.25"', b'note: "\nkind: Pod\n"'),
        SERVICE + b"x: [\n",  # a syntax error far from the top
        SERVICE + b"  x: *nowhere\n",
        SERVICE.replace(b"name: web", b'name: {"a":*nowhere}'),  # right after a quoted key
        SERVICE.replace(b"name: web", b'name: &a {"a":*a}'),  # a self-reference
        SERVICE.replace(b"name: web", b"name: {?*nowhere}"),  # right after "?" in a flow
        SERVICE.replace(b"name: web", b"name: [1, ?*nowhere]"),
        SERVICE + b"x: 1\rkind: Pod\n",
        SERVICE + b"x: \xe2\x80\xa8kind: Pod\n",
        SERVICE + b"x: \xe9\n",
        SERVICE + b"x: " + b"[" * 1000 + b"]" * 1000 + b"\n",
        b"%YAML 1.1\n---\n" + SERVICE,
        b"---#\n" + SERVICE,  # "---#" is a plain scalar, no marker: a syntax error
        b"\xef\xbb\xbf" + SERVICE,
        SERVICE + b"...\nkind: Pod\n",
        SERVICE + b"x: " + b"[" + b"a," * 1_000_000 + b"]\n",  # over a million nodes
    ],
)
def test_traps_are_never_skipped(document: bytes) -> None:
    assert not check(document)


def test_a_marker_without_a_blank_before_its_comment_is_a_syntax_error(tmp_path: Path) -> None:
    # ``---#`` is no document marker (``---`` must be followed by a blank): the full parse
    # reports the syntax error, and the run must not pass silently
    path = tmp_path / "role.yaml"
    path.write_bytes(b"---#\n# Source: chart/templates/role.yaml\n" + CLUSTER_ROLE)
    result = read_sources([str(path)])
    assert [error.message for error in result.errors] == [
        "invalid YAML: did not find expected <document start>"
    ]


def test_an_alias_after_a_quoted_key_is_an_error_not_a_skip(tmp_path: Path) -> None:
    """libyaml starts an alias right after the ":" of a quoted key; its parse of the text
    does not resolve aliases, so only the full parse can refuse it (it did pass: exit 0)."""
    path = tmp_path / "service.yaml"
    path.write_bytes(b'apiVersion: v1\nkind: Service\nmetadata: {"name":*undefined}\n')
    result = read_sources([str(path)])
    assert [(e.line, e.message) for e in result.errors] == [
        (3, "alias *undefined names no anchor defined before it")
    ]


def test_a_stream_read_both_ways_keeps_its_image_when_a_skip_would_tip_the_choice(
    tmp_path: Path,
) -> None:
    """A file that starts like JSON is read as JSON and as YAML, and the reading with more
    objects wins: skipping the broken Service as a clean object made YAML win, and the Pod
    (a string in YAML) was lost with exit 0."""
    path = tmp_path / "stream.yaml"
    path.write_bytes(
        b'{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}\n'
        b"---\napiVersion: v1\nkind: Service\nmetadata: {?*nowhere}\n"
        b"--- '\n"
        b'{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": '
        b'{"containers": [{"name": "c", "image": "nginx:1.25"}]}}\n'
        b"'\n"
    )
    result = read_sources([str(path)])
    assert [use.pull_ref for use in result.uses] == ["docker.io/library/nginx:1.25"]
    assert result.errors


def test_a_document_too_large_for_the_node_limit_is_parsed() -> None:
    """Skipped only within the node limit the full parse keeps, at every limit."""
    refused, skipped = skips_within_the_node_limit(SERVICE, skip_without_image, range(1, 120))
    assert refused >= 25  # the Service holds 29 nodes
    assert skipped >= 50 or not FAST_PATH  # past the events libyaml counts (under 70)
    # at a limit below twice its size (the bound it was skipped within before)
    assert skip_without_image(SERVICE, Limits(max_nodes=100)) == FAST_PATH


# -- generated documents ------------------------------------------------------------------

#: the traps of the CRD tests, and kinds, groups, Lists and images
FRAGMENTS = [
    *CRD_FRAGMENTS,
    b"kind: Service",
    b"kind: Deployment",
    b"kind: List",
    b"apiVersion: apps/v1",
    b"apiVersion: rbac.authorization.k8s.io/v1",
    b"items:",
    b"- kind: Pod",
    b"spec:",
    b"  containers:",
    b"  - image: nginx:1.25",
    b"    image: nginx:1.25",
    b"image: nginx:1.25",
    b"template:",
    b"kind: &a Service",
    b"kind: *a",
    b"<<: *a",
    b"kind: null",
    b"kind: true",
    b"apiVersion: 1.0",
]


API_VERSIONS = [
    b"v1",
    b"'v1'",
    b"v2beta1",
    b"apps/v1",
    b"serving.knative.dev/v1",
    b"rbac.authorization.k8s.io/v1",
    b"networking.k8s.io/v1",
    b"1.0",
    b"null",
    b"",
]
KINDS = [b"Service", b"Pod", b"ClusterRole", b"Secret", b"ConfigMap", b"ServiceList", b"Null"]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    template = draw(st.sampled_from(TEMPLATES))
    if draw(st.booleans()):  # another kind, another apiVersion
        template = re.sub(
            rb"(?m)^apiVersion: .*$",
            b"apiVersion: " + draw(st.sampled_from(API_VERSIONS)),
            template,
        )
        template = re.sub(rb"(?m)^kind: \S*", b"kind: " + draw(st.sampled_from(KINDS)), template)
    return mutate(draw, template, FRAGMENTS)


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_generated_documents_agree_with_a_full_parse(document: bytes) -> None:
    check(document)


@settings(max_examples=examples(200), deadline=None)
@given(
    dumped(
        ["kind", "apiVersion", "metadata", "spec", "items", "x"],
        [
            "Service",
            "ClusterRole",
            "v1",
            "Pod",
            "List",
            "nginx:1",
            "a\nb",
            "apps/v1",
            "rbac.authorization.k8s.io/v1",
        ],
        ["kind", "image", "containers"],
    )
)
def test_dumped_documents_agree_with_a_full_parse(document: bytes) -> None:
    check(document)


_OLD_COLUMN_0 = re.compile(rb"^[^\s#][^\n]*", re.MULTILINE)


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.sampled_from([b"\n", b"\r", b" ", b"\t", b"#", b"a", b"-", b":", b"\x0b"])))
def test_column_0_lines_are_what_the_multiline_expression_finds(pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    assert list(_column_0_lines(data)) == [m.span() for m in _OLD_COLUMN_0.finditer(data)]


# -- the output of `coverage images` with and without the pre-filter ----------------------


def images_json(paths: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["images", "-f", "json", *paths])
    return result.exit_code, result.stdout


def both_ways(paths: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    fast = images_json(paths)
    with monkeypatch.context() as patched:
        patched.setattr(reader, "skip_without_image", lambda data, limits, rules=(): False)
        slow = images_json(paths)
    assert fast == slow
    return fast


def test_the_corpus_gives_the_same_output_without_the_pre_filter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out = both_ways([str(CORPUS)], monkeypatch)
    assert code == 0 and '"uses": [' in out


def test_the_pre_filter_is_used_on_the_corpus() -> None:
    """Most documents of no-image kinds in the corpus are skipped unbuilt."""
    candidates = skipped = 0
    for path in sorted(CORPUS.rglob("*.yaml")):
        with open(path, "rb") as handle:
            for raw in split_documents(handle, 1 << 30):
                if full_parse_holds_no_image(raw.data):
                    candidates += 1
                    skipped += check(raw.data)
    assert candidates >= 200
    assert skipped >= (0.9 * candidates if FAST_PATH else 0)


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    documents=st.lists(mutated() | st.sampled_from([*TEMPLATES, POD_TAIL]), min_size=1, max_size=4)
)
def test_generated_streams_give_the_same_output_without_the_pre_filter(
    documents: list[bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "stream.yaml"
    path.write_bytes(b"\n---\n".join(documents))
    both_ways([str(path)], monkeypatch)
