"""read_sources on small fixtures (tests/data/sources): one case of the manifest world each."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from analyzer.model import ImageUse
from analyzer.sources import iter_sources, read_sources

DATA = Path(__file__).parent / "data" / "sources"


def uses_of(name: str) -> list[ImageUse]:
    result = read_sources([str(DATA / name)])
    assert result.errors == ()
    assert result.files_read == 1
    return list(result.uses)


def rows(uses: list[ImageUse]) -> list[tuple[object, ...]]:
    return [
        (use.line, use.use_class, use.workload, use.container, use.field, use.pull_ref)
        for use in uses
    ]


def test_every_pod_spec_image_place_and_pod_template() -> None:
    digest = "0123456789abcdef" * 4
    other = "fedcba9876543210" * 4
    assert rows(uses_of("pod-features.yaml")) == [
        (
            10,
            "container",
            "Pod/tools/debug-target",
            "migrate",
            "spec.initContainers[0].image",
            f"localhost:5000/team/migrate@sha256:{digest}",
        ),
        (
            13,
            "container",
            "Pod/tools/debug-target",
            "app",
            "spec.containers[0].image",
            "[::1]:5000/team/app:v3",
        ),
        (
            16,
            "container",
            "Pod/tools/debug-target",
            "debugger",
            "spec.ephemeralContainers[0].image",
            "docker.io/library/busybox:1.36",
        ),
        (
            21,
            "volume",
            "Pod/tools/debug-target",
            None,
            "spec.volumes[0].image.reference",
            "quay.io/acme/models:2024-05",
        ),
        (
            37,
            "container",
            "PodTemplate/worker-template",
            "worker",
            "template.spec.containers[0].image",
            f"registry.example.com:8443/jobs/worker@sha256:{other}",
        ),
    ]


def test_registry_port_and_digest_keep_tag_as_written() -> None:
    migrate = uses_of("pod-features.yaml")[0]
    assert migrate.raw.startswith("localhost:5000/team/migrate:1.2@sha256:")
    assert migrate.image is not None
    assert (migrate.image.domain, migrate.image.tag) == ("localhost:5000", "1.2")


def test_anchors_count_once_per_place_they_are_used() -> None:
    assert rows(uses_of("anchors.yaml")) == [
        (
            17,
            "container",
            "Deployment/front",
            "web",
            "items[0].spec.template.spec.containers[0].image",
            "docker.io/library/nginx:1.27",
        ),
        (
            20,
            "container",
            "Deployment/front",
            "log-shipper",
            "items[0].spec.template.spec.containers[1].image",
            "docker.io/fluent/fluent-bit:3.0",
        ),
        # <<: *app with its own name: the image comes from line 17
        (
            17,
            "container",
            "Deployment/back",
            "api",
            "items[1].spec.template.spec.containers[0].image",
            "docker.io/library/nginx:1.27",
        ),
        (
            20,
            "container",
            "Deployment/back",
            "log-shipper",
            "items[1].spec.template.spec.containers[1].image",
            "docker.io/fluent/fluent-bit:3.0",
        ),
        # a merge whose own image wins over the merged one
        (
            35,
            "container",
            "Deployment/back",
            "warm-up",
            "items[1].spec.template.spec.initContainers[0].image",
            "docker.io/fluent/fluent-bit:3.1",
        ),
        (
            45,
            "container",
            "Job/batch",
            "one",
            "items[2].spec.template.spec.containers[0].image",
            "docker.io/library/alpine:3.20",
        ),
        (
            47,
            "container",
            "Job/batch",
            "two",
            "items[2].spec.template.spec.containers[1].image",
            "docker.io/library/alpine:3.19",
        ),
        (
            45,
            "container",
            "Job/batch-copy",
            "one",
            "items[3].spec.template.spec.containers[0].image",
            "docker.io/library/alpine:3.20",
        ),
        (
            47,
            "container",
            "Job/batch-copy",
            "two",
            "items[3].spec.template.spec.containers[1].image",
            "docker.io/library/alpine:3.19",
        ),
    ]


def test_crlf_line_ends() -> None:
    assert b"\r\n" in (DATA / "crlf.yaml").read_bytes()  # git kept the fixture as written
    assert [(u.line, u.document, u.pull_ref) for u in uses_of("crlf.yaml")] == [
        (8, 0, "docker.io/library/redis:7.2"),
        (17, 1, "docker.io/library/memcached:1.6"),
    ]


@pytest.mark.parametrize(
    ("name", "line", "image"),
    [
        ("bom.yaml", 9, "docker.io/library/alpine:3.20"),
        ("bom.json", 2, "docker.io/library/alpine:3.19"),
    ],
)
def test_byte_order_mark(name: str, line: int, image: str) -> None:
    assert (DATA / name).read_bytes().startswith(b"\xef\xbb\xbf")
    assert [(u.line, u.document, u.pull_ref) for u in uses_of(name)] == [(line, 0, image)]


def test_document_numbering_follows_yaml_load_all() -> None:
    uses = uses_of("documents.yaml")
    assert [(u.line, u.document, u.name) for u in uses] == [
        (9, 0, "first"),
        (21, 3, "fifth"),
        (26, 4, "sixth"),
    ]
    with open(DATA / "documents.yaml", encoding="utf-8") as handle:
        loaded = list(yaml.safe_load_all(handle))
    for use in uses:
        assert loaded[use.document]["metadata"]["name"] == use.name


def test_placeholders_are_unresolved_and_bad_references_invalid() -> None:
    uses = uses_of("placeholders.yaml")
    found = [(u.line, u.use_class, u.container, u.raw, u.reason) for u in uses]
    assert found == [
        (
            12,
            "unresolved",
            "helm-leftover",
            "{{ .Values.image.repository }}:{{ .Values.image.tag }}",
            "template not rendered: {{ .Values.image.repository }} (Helm or Go template)",
        ),
        (
            14,
            "unresolved",
            "no-value",
            "registry.example.com/shop/<no value>:1.0",
            "Helm rendered a value that is not set (<no value>)",
        ),
        (
            16,
            "unresolved",
            "envsubst",
            "ghcr.io/acme/shop:${TAG}",
            "variable ${TAG} not substituted (envsubst or a shell)",
        ),
        (
            18,
            "unresolved",
            "ko",
            "ko://github.com/acme/shop/cmd/server",
            "ko build path: `ko resolve` replaces it with the image it builds",
        ),
        (20, "invalid", "uppercase", "Nginx:latest", "repository name must be lowercase: 'Nginx'"),
        (22, "invalid", "empty-string", "", "image reference is empty"),
        (24, "invalid", "missing", "", "no image given (the value is empty)"),
        (26, "container", "fine", "nginx:1.27", None),
        (36, "indirect", None, "gcr.io/kaniko-project/executor:v1.23.0", None),
        (
            39,
            "unresolved",
            "build",
            "$(params.builder-image)",
            "Tekton parameter $(params.builder-image), substituted when the task runs; "
            "default gcr.io/kaniko-project/executor:v1.23.0",
        ),
        (
            52,
            "unresolved",
            "main",
            "{{inputs.parameters.image}}",
            "Argo Workflows variable {{inputs.parameters.image}}, substituted when the "
            "workflow runs",
        ),
    ]
    assert all(u.image is None for u in uses if u.use_class in ("unresolved", "invalid"))


def test_helm_source_comment_is_kept_per_document() -> None:
    sources = {(u.kind, u.source) for u in uses_of("placeholders.yaml")}
    assert sources == {
        ("Deployment", "shop/templates/deployment.yaml"),
        ("Task", "shop/templates/task.yaml"),
        ("WorkflowTemplate", None),
    }


def test_lists_and_typed_lists() -> None:
    assert rows(uses_of("lists.yaml")) == [
        (
            22,
            "container",
            "CronJob/jobs/nightly",
            "run",
            "items[1].spec.jobTemplate.spec.template.spec.containers[0].image",
            "docker.io/library/python:3.12-slim",
        ),
        (
            33,
            "container",
            "Pod/listed-pod",
            "c",
            "items[0].spec.containers[0].image",
            "registry.k8s.io/pause:3.9",
        ),
        (
            45,
            "container",
            "Deployment/listed-deployment",
            "c",
            "items[0].spec.template.spec.containers[0].image",
            "registry.k8s.io/echoserver:1.10",
        ),
    ]


def test_concatenated_json_objects() -> None:
    uses = uses_of("concatenated.json")
    assert [(u.line, u.document, u.workload, u.field, u.pull_ref) for u in uses] == [
        (5, 0, "Pod/one", "spec.containers[0].image", "docker.io/library/nginx:1.25"),
        (
            16,
            1,
            "ReplicaSet/web/two",
            "items[0].spec.template.spec.containers[0].image",
            "quay.io/acme/two:v2",
        ),
    ]


def test_kubectl_output_status_and_annotations_are_not_images() -> None:
    uses = uses_of("kubectl-pod.yaml")
    assert [(u.line, u.field, u.raw) for u in uses] == [
        (12, "spec.containers[0].image", "nginx:1.27"),
    ]


def test_custom_resources_listed_and_found_by_shape() -> None:
    found = [
        (u.line, u.use_class, u.kind, u.container, u.field, u.pull_ref)
        for u in uses_of("custom-resources.yaml")
    ]
    assert found == [
        (
            11,
            "crd",
            "CloneSet",
            "cart",
            "spec.template.spec.containers[0].image",
            "ghcr.io/acme/cart:1.4",
        ),
        (
            15,
            "volume",
            "CloneSet",
            None,
            "spec.template.spec.volumes[0].image.reference",
            "ghcr.io/acme/assets:7",
        ),
        (23, "crd", "Prometheus", None, "spec.image", "quay.io/prometheus/prometheus:v2.54.1"),
        (25, "crd", "Prometheus", None, "spec.thanos.image", "quay.io/thanos/thanos:v0.36.1"),
        (
            28,
            "crd",
            "Prometheus",
            "config-reloader",
            "spec.containers[0].image",
            "quay.io/prometheus-operator/prometheus-config-reloader:v0.77.1",
        ),
        # an API group nobody listed: searched by shape
        (42, "crd", "Pipeline", None, "spec.stages[0].runner.image", "docker.io/alpine/git:2.45.2"),
        (
            45,
            "indirect",
            "Pipeline",
            None,
            "spec.stages[0].runner.env[0].value",
            "docker.io/library/busybox:1.36",
        ),
        (
            49,
            "crd",
            "Pipeline",
            "publish",
            "spec.stages[1].image.repository",
            "registry.example.com/acme/publisher:3.1",
        ),
        (51, "indirect", "Pipeline", None, "spec.exporterImage", "quay.io/acme/exporter:0.9"),
    ]


def test_indirect_images_in_args_env_and_config_maps() -> None:
    found = [(u.line, u.use_class, u.field, u.raw) for u in uses_of("indirect.yaml")]
    assert found == [
        (12, "container", "spec.template.spec.containers[0].image", "quay.io/acme/operator:v1.0.0"),
        (
            16,
            "indirect",
            "spec.template.spec.containers[0].command[2]",
            "registry.example.com/acme/sidecar:v2",
        ),
        (18, "indirect", "spec.template.spec.containers[0].args[0]", "quay.io/acme/reloader:v0.9"),
        (25, "unresolved", "spec.template.spec.containers[0].args[7]", "$(HELPER)"),
        (29, "indirect", "spec.template.spec.containers[0].env[0].value", "ghcr.io/acme/init:1.2"),
        (
            41,
            "indirect",
            "spec.template.spec.containers[0].env[6].value",
            "docker.io/acme/probe@sha256:" + "0123456789abcdef" * 4,
        ),
        (52, "indirect", "data.queue-sidecar-image", "gcr.io/acme/queue:1.3"),
    ]


def test_folders_recurse_in_name_order_and_count_skipped_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "deep").mkdir()
    (tmp_path / ".git").mkdir()
    pod = (
        "kind: Pod\napiVersion: v1\nmetadata: {{name: {0}}}\n"
        "spec: {{containers: [{{name: c, image: 'nginx:{0}'}}]}}\n"
    )
    (tmp_path / "b" / "deep" / "z.yml").write_text(pod.format("3"))
    (tmp_path / "b" / "a.YAML").write_text(pod.format("2"))
    (tmp_path / "a.json").write_text(
        '{"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "1"},'
        ' "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}'
    )
    (tmp_path / "README.md").write_text("image: nginx:9\n")
    (tmp_path / ".git" / "config.yaml").write_text(pod.format("9"))
    started: list[str] = []
    result = read_sources([str(tmp_path)], on_file=started.append)
    assert [u.raw for u in result.uses] == ["nginx:1", "nginx:2", "nginx:3"]
    assert (result.files_read, result.files_skipped) == (3, 1)
    assert started == [
        str(tmp_path / "a.json"),
        str(tmp_path / "b" / "a.YAML"),
        str(tmp_path / "b" / "deep" / "z.yml"),
    ]


def test_a_file_given_by_name_is_read_whatever_its_suffix(tmp_path: Path) -> None:
    path = tmp_path / "manifest.txt"
    path.write_text("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: nginx:1.2\n")
    assert [u.raw for u in read_sources([str(path)]).uses] == ["nginx:1.2"]


def test_stdin_mixed_with_paths() -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: piped}\n"
        "spec:\n  containers:\n  - name: c\n    image: nginx:1.25\n"
    )
    result = read_sources([str(DATA / "crlf.yaml"), "-"], stdin=io.StringIO(text))
    assert [(u.file, u.line, u.name) for u in result.uses][-1] == ("<stdin>", 7, "piped")
    assert result.files_read == 2


def test_stdin_bytes_through_its_buffer_and_json() -> None:
    data = (
        b'{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},\n'
        b' "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}\n'
    )
    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    result = read_sources(["-"], stdin=stdin)
    assert [(u.file, u.line, u.pull_ref) for u in result.uses] == [
        ("<stdin>", 2, "docker.io/library/nginx:1.25"),
    ]


def test_yaml_starting_with_a_flow_mapping_is_still_yaml(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text("{apiVersion: v1, kind: Pod,\n spec: {containers: [{image: 'nginx:1'}]}}\n")
    result = read_sources([str(path)])
    assert (result.errors, [u.line for u in result.uses]) == ((), [2])


def test_iter_sources_streams_and_counts() -> None:
    scan = iter_sources([str(DATA / "lists.yaml"), str(DATA / "crlf.yaml")])
    first = next(scan)
    assert isinstance(first, ImageUse) and first.name == "nightly"
    rest = list(scan)
    assert len(rest) == 4
    assert scan.files_read == 2


def test_argo_resource_manifest_is_read_as_the_workflow_s() -> None:
    corpus = Path(__file__).parent / "corpus" / "argo-workflows" / "k8s-jobs.yaml"
    (use,) = read_sources([str(corpus)]).uses
    assert (use.line, use.use_class, use.kind, use.container, use.field, use.pull_ref) == (
        49,
        "crd",
        "Workflow",
        "rand",
        "spec.templates[0].resource.manifest>spec.template.spec.containers[0].image",
        "docker.io/library/python:alpine3.23",
    )


def test_json_documents_between_yaml_markers(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    pod = '{"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"image": "nginx:%s"}]}}\n'
    path.write_text(pod % 1 + "---\n" + pod % 2)
    result = read_sources([str(path)])
    assert result.errors == ()
    assert [(u.line, u.document, u.raw) for u in result.uses] == [
        (1, 0, "nginx:1"),
        (3, 1, "nginx:2"),
    ]


def test_unrendered_helm_template_unquoted(tmp_path: Path) -> None:
    path = tmp_path / "deployment.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n"
        "    image: {{ .Values.image }}\n---\n"  # valid YAML: a mapping in a mapping
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: b\n"
        "    image: {{ .Values.repo }}:{{ .Values.tag }}\n"  # not YAML at all
    )
    result = read_sources([str(path)])
    assert [(u.line, u.use_class, u.raw) for u in result.uses] == [
        (6, "unresolved", "{{ .Values.image }}"),
    ]
    (error,) = result.errors
    assert error.line == 13
    assert error.message.endswith("(a template that was not rendered?)")


@pytest.mark.parametrize(
    ("value", "typed"), [("123", "a number"), ("1.5", "a number"), ("true", "true/false")]
)
def test_an_unquoted_number_or_boolean_image_is_invalid(value: str, typed: str) -> None:
    import io

    from analyzer.sources import read_sources

    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        f"  - {{name: a, image: {value}}}\n  - {{name: b, image: '{value}'}}\n"
    )
    result = read_sources(["-"], stdin=io.StringIO(text))
    first, second = result.uses
    assert (first.use_class, first.image, first.line) == ("invalid", None, 6)
    assert first.reason == f"an image must be a string, not {typed} (quote it)"
    assert second.use_class == "container"  # quoted: a string, hence a (Docker Hub) name
