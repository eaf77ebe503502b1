"""The line reader builds only what extraction reads: it must find exactly the same.

``read_lines(..., want_for=want_for)`` leaves out the values of keys no extraction rule
reads (``analyzer.sources.wanted``). Checked here: what is wanted for each kind (stated
explicitly), that pruning never changes whether the fast path reads a document (every
line is still checked), that the pruned tree is the full tree less the unwanted values,
node for node with the same sizes, and that extraction finds the same uses and warnings
in both, on generated objects whose images sit in every place a rule reads and many it
does not (labels, annotations, ports, nested ``image`` keys, custom resources, Lists,
kinds after the spec, duplicate kinds), on the corpus, and end to end.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from fuzz import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_sources_yaml_lines import MANIFESTS, generated, shape, spliced

from analyzer.sources import Limits, read_sources
from analyzer.sources import reader as reader_module
from analyzer.sources import wanted as wanted_module
from analyzer.sources.extract import Origin, extract
from analyzer.sources.kinds import BUILT_IN_GROUPS, RULES
from analyzer.sources.tree import MapNode, Node, ScalarNode, SeqNode
from analyzer.sources.wanted import OBJECT, POD_SPEC, Want, want_for
from analyzer.sources.yaml_lines import read_lines
from analyzer.sources.yaml_split import split_documents
from analyzer.sources.yaml_tree import build_yaml

ROOT = Path(__file__).resolve().parents[1]
LIMITS = Limits()


def _group_kinds() -> list[tuple[str, str]]:
    pairs = [(group, kind) for rule in RULES for group in rule.groups for kind in rule.kinds]
    for kind in ("Service", "Secret", "Namespace", "CustomResourceDefinition", "List", "X"):
        for group in ("", "apps", "apiextensions.k8s.io", "example.com", "argoproj.io"):
            pairs.append((group, kind))
    for kind in ("Kustomization", "Component", "Application", "ApplicationSet", "PodList"):
        pairs.append(("", kind))
    return pairs


def _api(group: str) -> str:
    return f"{group}/v1" if group else "v1"


@pytest.mark.parametrize(("group", "kind"), _group_kinds())
def test_every_pruning_want_keeps_what_every_object_is_read_for(group: str, kind: str) -> None:
    want = want_for(_api(group), kind)
    if want is None:
        return
    for key, inner in OBJECT.items():
        assert key in want and want[key] == inner
    assert group in BUILT_IN_GROUPS  # a custom resource is searched by shape: never pruned


def test_what_is_wanted_is_stated_per_kind() -> None:
    container = {"name": None, "image": None, "command": None, "args": None, "env": None}
    assert {
        "containers": container,
        "initContainers": container,
        "ephemeralContainers": container,
        "volumes": {"image": None},
    } == POD_SPEC
    assert want_for("v1", "Pod") == {**OBJECT, "spec": POD_SPEC}
    assert want_for("apps/v1", "Deployment") == {
        **OBJECT,
        "spec": {"template": {"spec": POD_SPEC}},
    }
    assert want_for("batch/v1", "CronJob") == {
        **OBJECT,
        "spec": {"jobTemplate": {"spec": {"template": {"spec": POD_SPEC}}}},
    }
    # a core kind under the wrong group is still read by its pod spec
    assert want_for("v1", "Deployment") == want_for("apps/v1", "Deployment")
    assert want_for("v1", "Service") == OBJECT
    for api, kind in (
        ("v1", "ConfigMap"),  # data: every key
        ("v1", "List"),
        ("apps/v1", "DeploymentList"),
        ("example.com/v1", "Widget"),  # shape search
        ("argoproj.io/v1alpha1", "Rollout"),
        ("argoproj.io/v1alpha1", "Application"),  # overrides
        ("kustomize.config.k8s.io/v1beta1", "Kustomization"),
        ("monitoring.coreos.com/v1", "Prometheus"),
        ("apps.kruise.io/v1alpha1", "CloneSet"),
        (None, "Deployment"),
        ("apps/v1", None),
    ):
        assert want_for(api, kind) is None, (api, kind)


# -- the pruned tree is the full tree less the unwanted values --------------------------


def _text(node: Node | None) -> str | None:
    return node.value if isinstance(node, ScalarNode) and not node.is_null else None


def _pruned(node: Node, want: Want | None) -> object:
    """``shape(node)`` with only what ``want`` asks for (sizes stay those of the full tree)."""
    if want is None or isinstance(node, ScalarNode):
        return shape(node)
    if isinstance(node, SeqNode):
        return ("seq", node.line, node.size, [_pruned(item, want) for item in node.items])
    pairs = [
        (shape(k), _pruned(v, want[k.value]))
        for k, v in node.pairs
        if isinstance(k, ScalarNode) and k.value in want
    ]
    return ("map", node.line, node.size, pairs)


def _decision(root: MapNode) -> tuple[int, Want | None]:
    """Where the pruning reader decides what it wants (the index of the root pair that
    completes ``apiVersion`` and ``kind``; len(pairs) when never) and what it decides."""
    seen: dict[str, Node] = {}
    for index, (key, value) in enumerate(root.pairs):
        assert isinstance(key, ScalarNode)
        if key.value in ("apiVersion", "kind"):
            if not isinstance(value, ScalarNode) or value.is_null:
                return index, None  # not a string: nothing pruned
            seen[key.value] = value
            if len(seen) == 2:
                return index, want_for(_text(seen["apiVersion"]), _text(seen["kind"]))
    return len(root.pairs), None


def _expected(root: MapNode) -> object:
    """The full root as the pruning reader must give it: the root's keys up to the one
    that decides kept whole, the rest as the want says."""
    index, want = _decision(root)
    if want is None:
        return shape(root)
    head = [(shape(k), shape(v)) for k, v in root.pairs[: index + 1]]
    tail = [
        (shape(k), _pruned(v, want[k.value]))
        for k, v in root.pairs[index + 1 :]
        if isinstance(k, ScalarNode) and k.value in want
    ]
    return ("map", root.line, root.size, head + tail)


def _second_deciding_key(root: MapNode | None) -> bool:
    """A root ``kind`` or ``apiVersion`` after a pruning decision: the pruning reader
    leaves such a document to the full parse."""
    if root is None:
        return False
    index, want = _decision(root)
    later = [k for k, _ in root.pairs[index + 1 :] if isinstance(k, ScalarNode)]
    return want is not None and any(k.value in ("apiVersion", "kind") for k in later)


def _found(root: Node | None) -> list[object]:
    origin = Origin("f.yaml", 0)
    return [repr(item) for item in extract(root, origin, LIMITS)]


def pruned_agrees(data: bytes, first_line: int = 1) -> bool:
    """Whether the pruning fast path read ``data``; fails when it differs from the full."""
    full_taken: list[Node] = []
    pruned_taken: list[Node] = []
    full_list = read_lines(data, first_line, LIMITS, lambda i, n: full_taken.append(n))
    pruned_list = read_lines(
        data, first_line, LIMITS, lambda i, n: pruned_taken.append(n), want_for
    )
    items = [item for item in full_taken if isinstance(item, MapNode)]
    if _second_deciding_key(full_list) or any(_second_deciding_key(item) for item in items):
        assert pruned_list is None, data
    else:  # each item of a List is pruned as an object of its own kind
        assert (full_list is None) == (pruned_list is None), data
        assert [shape(item) for item in pruned_taken] == [
            _expected(item) if isinstance(item, MapNode) else shape(item) for item in full_taken
        ], data
        if pruned_list is not None:
            for pruned_item, full_item in zip(pruned_taken, full_taken, strict=True):
                assert _found(pruned_item) == _found(full_item), data
    full = read_lines(data, first_line, LIMITS)
    pruned = read_lines(data, first_line, LIMITS, None, want_for)
    listed = pruned_list is not None and bool(pruned_taken)
    if _second_deciding_key(full):
        assert pruned is None, data
        return listed
    assert (full is None) == (pruned is None), data
    if pruned is None:
        return listed
    assert full is not None
    assert shape(pruned) == _expected(full), data
    whole = build_yaml(data, first_line, LIMITS)
    assert _found(pruned) == _found(whole[0]), data
    return True


# -- generated objects --------------------------------------------------------------

HEADS = [
    ("v1", "Pod"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("v1", "Deployment"),  # misfit: read by the pod spec, with a warning
    ("v1", "Service"),
    ("v1", "ConfigMap"),
    ("v1", "List"),
    ("example.com/v1", "Widget"),
    ("argoproj.io/v1alpha1", "Rollout"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("'apps/v1'", '"Deployment"'),
    ("apps/v1", "~"),
    ("apps/v1", "{a: b}"),
]
IMAGES = ["nginx:1.25", "quay.io/a/b:2", "", "~", "'ghcr.io/x/y@sha256:" + "1" * 64 + "'", "123"]
#: keys extraction reads somewhere, and keys it does not
KEYS = [
    "image",
    "images",
    "name",
    "containers",
    "initContainers",
    "ephemeralContainers",
    "volumes",
    "reference",
    "env",
    "args",
    "command",
    "value",
    "spec",
    "template",
    "jobTemplate",
    "metadata",
    "labels",
    "annotations",
    "ports",
    "resources",
    "selector",
    "status",
    "items",
    "kind",
    "apiVersion",
    "data",
    "namespace",
    "generateName",
    "repository",
    "tag",
]


def _value(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        return rng.choice(IMAGES)
    if roll < 0.6:
        return rng.choice(["--image=nginx:1", "IMAGE", "x", "[a:1, --b=quay.io/c/d:1]", "{}"])
    return rng.choice(["{image: nginx:2, name: c}", "[]", "1", "null", "'a b'", "web"])


def _block(rng: random.Random, depth: int, indent: int, lines: list[str]) -> None:
    """A random block mapping at ``indent`` made of ``KEYS``."""
    for _ in range(rng.randint(1, 4)):
        key = rng.choice(KEYS)
        pad = " " * indent
        roll = rng.random()
        if depth > 5 or roll < 0.45:
            lines.append(f"{pad}{key}: {_value(rng)}")
        elif roll < 0.75:
            lines.append(f"{pad}{key}:")
            _block(rng, depth + 1, indent + rng.choice((2, 2, 4)), lines)
        else:
            lines.append(f"{pad}{key}:")
            dash = indent + rng.choice((0, 2))
            for _ in range(rng.randint(1, 3)):
                if rng.random() < 0.3:
                    lines.append(f"{' ' * dash}- {_value(rng)}")
                else:
                    start = len(lines)
                    _block(rng, depth + 1, dash + 2, lines)
                    lines[start] = " " * dash + "- " + lines[start].lstrip(" ")


def _pod_spec(rng: random.Random, indent: int, lines: list[str]) -> None:
    """A pod spec with containers, volumes and noise, images in read and unread places."""
    pad = " " * indent
    for key in rng.sample(["containers", "initContainers", "ephemeralContainers", "volumes"], 2):
        lines.append(f"{pad}{key}:")
        for _ in range(rng.randint(1, 2)):
            start = len(lines)
            if key == "volumes":
                lines.append(f"{pad}  name: v")
                lines.append(f"{pad}  image:")
                lines.append(f"{pad}    reference: {rng.choice(IMAGES)}")
            else:
                lines.append(f"{pad}  name: c{rng.randrange(9)}")
                lines.append(f"{pad}  image: {rng.choice(IMAGES)}")
            if rng.random() < 0.7:
                _block(rng, 2, indent + 2, lines)
            lines[start] = pad + "- " + lines[start].lstrip(" ")
    if rng.random() < 0.5:
        _block(rng, 1, indent, lines)


def generated_object(seed: int) -> bytes:
    rng = random.Random(seed)
    api, kind = rng.choice(HEADS)
    head = [f"apiVersion: {api}", f"kind: {kind}"]
    rng.shuffle(head)
    lines: list[str] = []
    if rng.random() < 0.8:
        lines.extend(head)
    lines.append("metadata:")
    lines.append(rng.choice([f"  name: o{seed}", f"  generateName: g{seed}-", "  uid: x"]))
    if rng.random() < 0.5:
        lines.append(f"  namespace: ns{seed % 3}")
    if rng.random() < 0.5:
        lines.append("  labels: {app: web, image: nginx:9}")
    if rng.random() < 0.5:
        lines.append("  annotations:")
        lines.append("    image: quay.io/not/read:1")
    path = rng.choice(
        [
            ["spec"],
            ["spec", "template", "spec"],
            ["spec", "jobTemplate", "spec", "template", "spec"],
            ["spec", "template"],
        ]
    )
    for depth, step in enumerate(path):
        lines.append(" " * (2 * depth) + f"{step}:")
        if rng.random() < 0.3:
            _block(rng, 3, 2 * depth + 2, lines)
    _pod_spec(rng, 2 * len(path), lines)
    if rng.random() < 0.5:
        _block(rng, 0, 0, lines)
    if rng.random() < 0.2:
        lines.extend(head)  # kind and apiVersion last, or twice
    elif rng.random() < 0.1:
        lines.append(f"kind: {rng.choice(HEADS)[1]}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def generated_list(seed: int) -> bytes:
    """A ``List`` of generated objects (kind and apiVersion first, last or missing)."""
    rng = random.Random(seed)
    lines = ["items:"]
    for k in range(rng.randint(1, 4)):
        item = generated_object(seed * 8 + k).decode("utf-8").splitlines()
        dash = rng.choice(("", "  "))
        lines.extend(f"{dash}  {line}" for line in item)
        lines[-len(item)] = f"{dash}- " + lines[-len(item)].lstrip(" ")
    head = [
        f"apiVersion: {rng.choice(['v1', 'apps/v1'])}",
        f"kind: {rng.choice(['List', 'PodList', 'Pod'])}",
    ]
    lines = head + lines if rng.random() < 0.5 else lines + head
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.mark.parametrize(
    ("make", "count", "share"), [(generated_object, 2000, 2), (generated_list, 500, 4)]
)
def test_generated_objects_and_lists_are_read_alike_pruned(
    make: Callable[[int], bytes], count: int, share: int
) -> None:
    read = 0
    count = examples(count)
    for seed in range(count):
        read += pruned_agrees(make(seed), 1 + seed % 3)
    assert read > count // share


def test_the_benchmark_document_is_pruned_and_agrees() -> None:
    from tests.benchmarks.inputs import DEPLOYMENT

    data = DEPLOYMENT.format(i=7, image="quay.io/a/b:1").encode()
    assert pruned_agrees(data)
    pruned = read_lines(data, 1, LIMITS, None, want_for)
    assert pruned is not None
    assert "labels" not in repr(shape(pruned))  # pruning really happened


@pytest.mark.parametrize(
    "data",
    [
        b"apiVersion: apps/v1\nkind: Deployment\nspec: {}\nkind: ConfigMap\ndata:\n  a: b:1\n",
        b"kind: Deployment\napiVersion: apps/v1\napiVersion: example.com/v1\n",
    ],
)
def test_a_second_kind_after_pruning_is_left_to_the_full_parse(data: bytes) -> None:
    assert read_lines(data, 1, LIMITS) is not None
    assert read_lines(data, 1, LIMITS, None, want_for) is None


def _kind_header(seed: int) -> bytes:
    return random.Random(seed).choice(
        [b"apiVersion: v1\nkind: Pod\n", b"apiVersion: v1\nkind: Service\n", b""]
    )


def test_generated_documents_are_refused_alike_when_pruned() -> None:
    """The near misses of the line reader's own fuzzing, behind a pruning header: every
    line of a skipped value is still checked, so the answers are None alike."""
    read = 0
    count = examples(2000)
    for seed in range(count):
        read += pruned_agrees(_kind_header(seed) + generated(seed), 1)
    assert read > count // 10


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**32), st.data())
def test_generated_objects_with_any_text_read_alike_pruned(seed: int, data: st.DataObject) -> None:
    pruned_agrees(spliced(generated_object(seed).decode("utf-8"), data))


def test_corpus_documents_are_read_alike_pruned() -> None:
    read = 0
    for path in MANIFESTS:
        with open(path, "rb") as handle:
            for raw in split_documents(handle, LIMITS.max_document_bytes):
                read += pruned_agrees(raw.data, raw.line)
    assert read > 200


def test_read_sources_is_the_same_with_and_without_pruning(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for seed in range(200):
        (tmp_path / f"o{seed}.yaml").write_bytes(generated_object(seed))
        (tmp_path / f"l{seed}.yaml").write_bytes(generated_list(seed))
    paths = [str(ROOT / "tests" / "corpus"), str(ROOT / "fixtures"), str(tmp_path)]
    pruned = read_sources(paths)
    # every kind answers None (build it all); ``_want`` is looked up at each call, compiled
    # by mypyc too (a decorated function), where ``reader.want_for`` is called directly
    monkeypatch.setattr(wanted_module, "_want", lambda api_version, kind: None)
    assert want_for("v1", "Pod") is None
    whole = read_sources(paths)
    assert pruned.uses == whole.uses
    assert pruned.errors == whole.errors
    assert pruned.warnings == whole.warnings
    assert len(pruned.uses) > 300


@settings(max_examples=examples(200), deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_plain_paths_resolve_as_step_by_step(seed: int) -> None:
    """``resolve`` walks a path of plain keys directly: the same nodes, fields and names
    as the general walk, on generated objects (keys missing, scalars, lists on the way)."""
    from analyzer.sources.extract import resolve, resolve_steps

    root = read_lines(generated_object(seed), 1, LIMITS)
    if root is None:
        return
    rng = random.Random(seed)
    for _ in range(20):
        path = ".".join(rng.choice(KEYS) for _ in range(rng.randint(1, 5)))
        if rng.random() < 0.5:
            path = rng.choice(["spec", "spec.template.spec", "metadata.name", "kind"])
        fast = [(shape(n), field, name) for n, field, name in resolve(root, path)]
        steps = [(shape(n), field, name) for n, field, name in resolve_steps(root, path)]
        assert fast == steps, path


def test_collections_no_one_reads_share_one_empty_stand_in() -> None:
    """The frames of pruned collections hold one shared node each kind: nothing may ever
    be attached to it (it would outlive the document and leak into the next)."""
    from analyzer.sources import yaml_lines

    for seed in range(examples(300)):
        read_lines(generated_object(seed), 1, LIMITS, lambda i, n: None, want_for)
        read_lines(_kind_header(seed) + generated(seed), 1, LIMITS, None, want_for)
    assert yaml_lines._UNREAD_MAP.pairs == []
    assert yaml_lines._UNREAD_SEQ.items == []


def _read_both(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, document: bytes
) -> tuple[object, object]:
    path = tmp_path / "object.yaml"
    path.write_bytes(document)
    pruned = read_sources([str(path)])
    with monkeypatch.context() as patched:
        patched.setattr(reader_module, "want_for", None)
        whole = read_sources([str(path)])
    return pruned, whole


@pytest.mark.parametrize("empty", ['""', "''"])
def test_an_empty_api_version_is_no_api_version_and_is_not_pruned(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, empty: str
) -> None:
    # extraction reads apiVersion "" as none at all: a kind it does not know is then
    # searched by shape, which reads every key
    document = (
        f"apiVersion: {empty}\nkind: Widget\nmetadata:\n  name: w\n"
        "spec:\n  runner:\n    image: registry.example.com/team/runner:1.0\n"
    ).encode()
    pruned, whole = _read_both(monkeypatch, tmp_path, document)
    assert [use.raw for use in whole.uses] == ["registry.example.com/team/runner:1.0"]
    assert pruned.uses == whole.uses
    assert pruned.warnings == whole.warnings
