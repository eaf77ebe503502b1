"""The parts of analyzer.sources on their own: the indirect-image test, placeholders, the
document splitter, the tree builder's limits, and the kinds table."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest
import yaml
from fuzz import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.sources import classify, kinds, read_sources, yaml_split
from analyzer.sources.limits import DocumentError, Limits
from analyzer.sources.tree import MapNode, ScalarNode, SeqNode, get
from analyzer.sources.yaml_tree import build_yaml, tag_holding


@pytest.mark.parametrize(
    "raw",
    [
        "quay.io/prometheus-operator/prometheus-config-reloader:v0.93.1",
        "docker.io/longhornio/longhorn-engine:master-head",
        "ghcr.io/acme/app@sha256:" + "ab" * 32,
        "acme/app:v1.2",
        "localhost:5000/app:7",
    ],
)
def test_clear_images_count_without_an_image_name(raw: str) -> None:
    assert classify.indirect_image(raw, named_image=False) is not None


@pytest.mark.parametrize(
    "raw",
    [
        "kube-system/kubelet",  # namespace/name
        "ingress/backend:8080",  # namespace/service:port
        "0.0.0.0:8443",  # listen address
        "127.0.0.1:8080",
        "http://127.0.0.1:8080/",  # URL
        "https://quay.io/acme/app:v1",
        "/etc/config/prometheus.yml",  # path
        "./Dockerfile",
        "info",  # plain words
        "nginx",
        "nginx:1.25",  # no slash: as likely a host:port as an image
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "pods=[*]",
        "sh -c 'docker run busybox:1.36'",
        "",
    ],
)
def test_look_alikes_do_not_count_without_an_image_name(raw: str) -> None:
    assert classify.indirect_image(raw, named_image=False) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("busybox:1.36", "docker.io/library/busybox:1.36"),
        ("quay.io/acme/app", "quay.io/acme/app:latest"),
        ("busybox", None),  # a bare word, even under an image name
        ("quay.io", None),
        ("v1.2.3", None),
        ("IfNotPresent", None),
    ],
)
def test_an_image_name_needs_a_tag_digest_or_registry(raw: str, expected: str | None) -> None:
    image = classify.indirect_image(raw, named_image=True)
    assert (image.pull_ref if image else None) == expected


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("INIT_IMAGE", True),
        ("engine-image", True),
        ("queue-sidecar-image", True),
        ("configReloaderImage", True),
        ("image", True),
        ("IMAGE_PULL_POLICY", False),
        ("imagePullSecrets", False),
        ("image-registry", False),
        ("TIGERA_OPERATOR_INIT_IMAGE_VERSION", False),
        ("DEFAULT_IMAGE_TAG", False),
        ("REPORTER_IMAGE", True),
        ("prometheus-config-reloader", False),
        ("imagined", False),
    ],
)
def test_says_image(name: str, says: bool) -> None:
    assert classify.says_image(name) is says


@pytest.mark.parametrize(
    ("raw", "start"),
    [
        ("{{ .Values.image }}", "template not rendered: {{ .Values.image }}"),
        ("{{inputs.parameters.img}}", "Argo Workflows variable {{inputs.parameters.img}}"),
        ("$(params.IMAGE)", "Tekton parameter $(params.IMAGE)"),
        ("repo/app:$(TAG)", "variable $(TAG)"),
        ("repo/app:${TAG}", "variable ${TAG} not substituted"),
        ("ko://example.com/cmd/app", "ko build path"),
        ("<no value>", "Helm rendered a value that is not set"),
    ],
)
def test_placeholder_reasons(raw: str, start: str) -> None:
    reason = classify.placeholder_reason(raw)
    assert reason is not None and reason.startswith(start)


#: the patterns the placeholders were searched with (quadratic on unclosed openings)
_OLD_PATTERNS = {
    "argo": re.compile(
        r"\{\{\s*(inputs|outputs|workflow|steps|tasks|item|pod|node|retries|lastRetry|"
        r"=)[^}]*\}\}"
    ),
    "go": re.compile(r"\{\{.*?\}\}"),
    "paren": re.compile(r"\$\((?P<name>[^)]*)\)"),
    "brace": re.compile(r"\$\{[^}]*\}"),
}


def _old_placeholder(raw: str, templating: str | None) -> str | None:
    """``placeholder_reason``'s choice of text as the patterns made it (without the prose)."""
    if "{{" in raw:
        argo = _OLD_PATTERNS["argo"].search(raw)
        if argo is not None or templating == "argo":
            found = argo or _OLD_PATTERNS["go"].search(raw)
            return f"argo {found.group() if found else raw}"
        found = _OLD_PATTERNS["go"].search(raw)
        return f"go {found.group() if found else raw}"
    for kind in ("paren", "brace"):
        found = _OLD_PATTERNS[kind].search(raw)
        if found is not None:
            return f"{kind} {found.group()}"
    return None


PLACEHOLDER_PIECES = [
    "{",
    "}",
    "{{",
    "}}",
    "$(",
    "$",
    "(",
    ")",
    "${",
    "\n",
    " ",
    "inputs",
    "=",
    "a",
]


@settings(max_examples=examples(500), deadline=None)
@given(
    st.lists(st.sampled_from(PLACEHOLDER_PIECES), max_size=12).map("".join),
    st.sampled_from([None, "argo"]),
)
def test_placeholders_are_found_where_the_patterns_found_them(
    raw: str, templating: str | None
) -> None:
    reason = classify.placeholder_reason(raw, templating)
    old = _old_placeholder(raw, templating)
    if old is None:
        assert reason is None
        return
    kind, _, shown = old.partition(" ")
    starts = {
        "argo": ("Argo Workflows variable ",),
        "go": ("template not rendered: ",),
        "paren": ("variable ", "Tekton parameter "),
        "brace": ("variable ",),
    }[kind]
    assert reason is not None and reason.startswith(tuple(p + shown for p in starts)), (
        raw,
        reason,
        old,
    )


@pytest.mark.parametrize("opening", ["{{", "{{inputs", "$(", "${", "{{ a\n"])
def test_placeholders_take_linear_time(opening: str) -> None:
    # every opening, none closed: the patterns' search scanned to the end from each (78 s)
    raw = opening * 20_000
    started = time.monotonic()
    classify.placeholder_reason(raw)
    classify.placeholder_reason(raw, "argo")
    assert time.monotonic() - started < 1.0


@settings(max_examples=examples(500), deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [b"!", b"!!", b"%", b"python", b"pyth", b"on", b" ", b"\n", b"\t", b"a", b"<", b"\x0b"]
        ),
        max_size=14,
    ).map(b"".join)
)
def test_tag_holding_finds_what_the_patterns_found(data: bytes) -> None:
    for pattern, needles in (
        (rb"![^\s]*(?:python|%)", (b"python", b"%")),
        (rb"![^\s]*%", (b"%",)),
    ):
        found = re.search(pattern, data)
        assert tag_holding(data, needles) == (found.start() if found else None), (data, pattern)


@pytest.mark.parametrize("run", [b"!", b"!a", b"!python"[:3]])
def test_tag_holding_takes_linear_time(run: bytes) -> None:
    # "![^\s]*(?:python|%)" backtracked over the rest of the token from each "!" (35 s)
    data = b"x: " + run * 40_000 + b"\n"
    started = time.monotonic()
    assert tag_holding(data, (b"python", b"%")) is None
    assert time.monotonic() - started < 1.0


def test_a_run_of_tag_marks_reads_in_linear_time(tmp_path: Path) -> None:
    # a Service is skipped from its text only when no risky tag is in it: the search for
    # one took 17 s on this annotation, the Pod's full parse as long on the error path
    value = "!a" * 40_000
    manifest = tmp_path / "marks.yaml"
    manifest.write_text(
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: s, annotations: {{x: '{value}'}}}}\n"
    )
    started = time.monotonic()
    result = read_sources([str(manifest)])
    assert not result.errors and result.files_read == 1
    assert time.monotonic() - started < 3.0


def test_images_are_not_placeholders() -> None:
    for raw in ("nginx:1.25", "quay.io/a/b@sha256:" + "0" * 64, "Nginx:latest"):
        assert classify.placeholder_reason(raw) is None
    assert classify.classify("Nginx:latest", "container").use_class == "invalid"


STREAM = (
    b"# leading comment\n"
    b"a: 1\n"
    b"---\n"
    b"--- # empty then comment\n"
    b"b: |\n"
    b"  ---not a marker: indented\n"
    b"c: '--- quoted'\n"
    b"---\n"
    b"---x: not a marker either\n"
    b"...\n"
    b"--- {d: 4}\n"
    b"---"
)


def _documents(data: bytes, block_size: int, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    monkeypatch.setattr(yaml_split, "BLOCK_SIZE", block_size)
    return [
        (doc.index, doc.line, doc.data)
        for doc in yaml_split.split_documents(io.BytesIO(data), max_bytes=1 << 20)
    ]


def test_split_documents_agrees_with_yaml_load_all(monkeypatch: pytest.MonkeyPatch) -> None:
    documents = _documents(STREAM, 1 << 20, monkeypatch)
    assert [(index, line) for index, line, _ in documents] == [
        (0, 1),
        (1, 3),
        (2, 4),
        (3, 8),
        (4, 11),
        (5, 12),
    ]
    loaded = list(yaml.safe_load_all(STREAM.replace(b"---x", b"x---")))
    assert len(loaded) == len(documents)
    for (_, _, data), expected in zip(documents, loaded, strict=True):
        assert yaml.safe_load(data.replace(b"---x", b"x---")) == expected


@pytest.mark.parametrize("block_size", [1, 2, 3, 4, 5, 7, 13])
def test_split_documents_whatever_the_read_size(
    block_size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _documents(STREAM, block_size, monkeypatch) == _documents(STREAM, 1 << 20, monkeypatch)


def test_directives_stay_with_their_document(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"%YAML 1.1\n---\na: 1\n---\nb: 2\n"
    documents = _documents(data, 1 << 20, monkeypatch)
    assert [(index, line) for index, line, _ in documents] == [(0, 1), (1, 4)]
    assert documents[0][2] == b"%YAML 1.1\n---\na: 1\n"


def test_tree_lines_anchors_and_nulls() -> None:
    (root,) = build_yaml(b"a: &x\n  - ~\n  - ''\nb: *x\nc:\n", first_line=10, limits=Limits())
    assert isinstance(root, MapNode) and root.line == 10
    a, b, c = get(root, "a"), get(root, "b"), get(root, "c")
    assert isinstance(a, SeqNode) and a is b  # an alias is its anchor's node, not a copy
    first, second = a.items
    assert isinstance(first, ScalarNode) and first.is_null and first.line == 11
    assert isinstance(second, ScalarNode) and not second.is_null and second.value == ""
    assert isinstance(c, ScalarNode) and c.is_null


def test_tree_limits_are_configurable() -> None:
    with pytest.raises(DocumentError, match="nested deeper than 3 levels"):
        build_yaml(b"a: [[[1]]]\n", 1, Limits(max_depth=3))
    with pytest.raises(DocumentError, match="more than 5 nodes"):
        build_yaml(b"a: &a [1, 2, 3]\nb: [*a, *a]\n", 1, Limits(max_alias_nodes=5))


@pytest.mark.parametrize(
    ("document", "tag", "line"),
    [
        (b"x: !!python/object/apply:os.system ['true']\n", "!!python/object/apply:os.system", 1),
        (b"a: 1\nb: !!python/name:os.system\n", "!!python/name:os.system", 2),
        (b"a: 1\nb:\n  !!python/object:x.Y {a: 1}\n", "!!python/object:x.Y", 3),
        (b"%TAG !p! tag:yaml.org,2002:python/\n---\n!p!tuple [1]\n", "!!python/tuple", 3),
        (b"a: !<tag:yaml.org,2002:python/str> x\n", "!!python/str", 1),
    ],
)
def test_tree_refuses_python_tags_naming_them(document: bytes, tag: str, line: int) -> None:
    # never built into objects (safe loading); refused so that the document is not ignored
    with pytest.raises(DocumentError) as caught:
        build_yaml(document, 1, Limits())
    assert caught.value.line == line
    assert caught.value.message.startswith(f"tag {tag!r} asks a YAML loader")


def test_other_tags_are_read_as_plain_values() -> None:
    (root,) = build_yaml(b"x: !custom/python/x 1\ny: !!str 2\n", 1, Limits())
    assert isinstance(root, MapNode)


def test_kinds_table_has_each_kind_once_and_paths_are_well_formed() -> None:
    assert len(kinds.RULES_BY_KIND) == sum(len(r.kinds) * len(r.groups) for r in kinds.RULES)
    for rule in kinds.RULES:
        for path in (
            *rule.pod_specs,
            *rule.containers,
            *rule.images,
            *rule.params,
            *rule.data,
            *rule.manifests,
        ):
            assert all(
                step and step.rstrip("[]") and step.count("[]") <= 1 for step in path.split(".")
            ), path


def test_rules_by_group_and_kind() -> None:
    assert kinds.rule_for("apps/v1", "Deployment") is not None
    assert kinds.rule_for("v1", "Service") is None
    assert kinds.rule_for("serving.knative.dev/v1", "Service") is not None
    assert kinds.rule_for(None, "Deployment") is not None  # kustomize patch: no apiVersion
    assert kinds.is_custom_resource("example.acme.io/v1")
    assert not kinds.is_custom_resource("networking.k8s.io/v1")
    assert not kinds.is_custom_resource(None)


def test_a_new_rule_is_all_it_takes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # what a newcomer does for a kind whose images sit where no shape search would look
    rule = kinds.Rule(("Runner",), ("ci.example.io",), images=("spec.executor.ref",), exact=True)
    monkeypatch.setitem(kinds.RULES_BY_KIND, ("ci.example.io", "Runner"), rule)
    path = tmp_path / "runner.yaml"
    path.write_text(
        "apiVersion: ci.example.io/v1\nkind: Runner\nmetadata: {name: r}\n"
        "spec:\n  executor:\n    ref: ghcr.io/acme/executor:2\n"
    )
    (use,) = read_sources([str(path)]).uses
    assert (use.line, use.use_class, use.field, use.pull_ref) == (
        6,
        "crd",
        "spec.executor.ref",
        "ghcr.io/acme/executor:2",
    )
