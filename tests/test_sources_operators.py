"""Images of operators' custom resources and configuration (fixtures/operators): composed
names, fields under other names, images in configuration, refused objects, overrides."""

from __future__ import annotations

from pathlib import Path

from analyzer.model import ImageUse
from analyzer.sources import read_sources

OPERATORS = Path(__file__).resolve().parent.parent / "fixtures" / "operators"


def read(name: str) -> tuple[list[ImageUse], list[str]]:
    result = read_sources([str(OPERATORS / name)])
    assert result.errors == ()
    return list(result.uses), [f"{w.line}: {w.message}" for w in result.warnings]


def table(uses: list[ImageUse]) -> list[tuple[object, ...]]:
    return [(use.line, use.use_class, use.field, use.pull_ref or use.raw) for use in uses]


def test_gpu_operator_components_are_composed_never_guessed() -> None:
    uses, warnings = read("gpu-operator.yaml")
    assert warnings == []
    assert table(uses) == [
        (13, "crd", "spec.operator.initContainer.image", "nvcr.io/nvidia/cuda:12.6.3-base-ubi9"),
        (19, "unresolved", "spec.driver.image", "nvcr.io/nvidia/driver:550.127.08"),
        (
            23,
            "crd",
            "spec.driver.manager.image",
            "nvcr.io/nvidia/cloud-native/k8s-driver-manager:v0.7.0",
        ),
        (
            28,
            "crd",
            "spec.toolkit.image",
            "nvcr.io/nvidia/k8s/container-toolkit:v1.17.0-ubuntu20.04",
        ),
        (32, "crd", "spec.devicePlugin.image", "nvcr.io/nvidia/k8s-device-plugin:v0.17.0"),
        (
            36,
            "crd",
            "spec.dcgmExporter.image",
            "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.9-3.6.1-ubuntu22.04",
        ),
        (
            40,
            "crd",
            "spec.migManager.image",
            "nvcr.io/nvidia/cloud-native/k8s-mig-manager@sha256:"
            "0f7ab55b9d5d4f1e4b6c1a3a1f4b9a51b6e7f2a3c2d1e0f9a8b7c6d5e4f3a2b1",
        ),
        (45, "unresolved", "spec.gfd.image", "nvcr.io/nvidia/k8s-device-plugin"),
        (
            48,
            "crd",
            "spec.validator.image",
            "nvcr.io/nvidia/cloud-native/gpu-operator-validator:v24.9.0",
        ),
    ]
    assert not any("latest" in (use.pull_ref or "") for use in uses)
    driver, gfd = uses[1], uses[7]
    assert driver.reason is not None and "OS" in driver.reason
    assert gfd.reason is not None and "not guessed as :latest" in gfd.reason


def test_plan_image_takes_the_plan_version_or_says_it_is_decided_later() -> None:
    uses, _ = read("system-upgrade-plans.yaml")
    assert table(uses) == [
        (17, "crd", "spec.upgrade.image", "docker.io/rancher/k3s-upgrade:v1.30.4-k3s1"),
        (29, "unresolved", "spec.prepare.image", "rancher/k3s-upgrade"),
        (32, "unresolved", "spec.upgrade.image", "rancher/k3s-upgrade"),
        (44, "crd", "spec.upgrade.image", "registry.example.com/ops/os-patcher:2024.11"),
    ]
    assert uses[1].reason is not None and "spec.channel" in uses[1].reason


def test_cloudnative_pg_image_name_catalog_and_extensions() -> None:
    uses, _ = read("cloudnative-pg.yaml")
    assert table(uses) == [
        (11, "crd", "spec.imageName", "ghcr.io/cloudnative-pg/postgresql:16.4-bookworm"),
        (
            16,
            "crd",
            "spec.postgresql.extensions[0].image.reference",
            "ghcr.io/cloudnative-pg/pgvector:0.8.0-16-bookworm",
        ),
        (28, "crd", "spec.images[0].image", "ghcr.io/cloudnative-pg/postgresql:15.8"),
        (30, "crd", "spec.images[1].image", "ghcr.io/cloudnative-pg/postgresql:16.4"),
        (
            45,
            "crd",
            "spec.template.spec.containers[0].image",
            "ghcr.io/cloudnative-pg/pgbouncer:1.23.0",
        ),
    ]
    assert uses[1].container == "pgvector"


def test_strimzi_image_lists_in_env_values_are_indirect_with_their_key() -> None:
    uses, _ = read("strimzi.yaml")
    listed = [use for use in uses if ">" in use.field]
    assert [
        (use.line, use.use_class, use.field.partition(".env")[2], use.pull_ref) for use in listed
    ] == [
        (19, "indirect", "[1].value>3.7.0", "quay.io/strimzi/kafka:0.43.0-kafka-3.7.0"),
        (20, "indirect", "[1].value>3.7.1", "quay.io/strimzi/kafka:0.43.0-kafka-3.7.1"),
        (21, "indirect", "[1].value>3.8.0", "quay.io/strimzi/kafka:0.43.0-kafka-3.8.0"),
        (24, "indirect", "[2].value>3.8.0", "quay.io/strimzi/kafka:0.43.0-kafka-3.8.0"),
    ]
    # the Kafka version next to an image is not its tag
    connect = [use for use in uses if use.kind == "KafkaConnect"]
    assert [use.pull_ref for use in connect] == [
        "quay.io/strimzi/kafka:0.43.0-kafka-3.8.0",
        "registry.example.com/kafka/connect-with-plugins:1.0",
    ]


def test_rook_image_set_values_with_a_registry_host_are_indirect() -> None:
    uses, _ = read("rook-ceph.yaml")
    image_set = [use for use in uses if use.name == "rook-csi-operator-image-set"]
    assert [use.field for use in image_set] == [
        f"data.{key}"
        for key in (
            "plugin",
            "provisioner",
            "attacher",
            "resizer",
            "snapshotter",
            "registrar",
            "addons",
        )
    ]
    assert {use.use_class for use in image_set} == {"indirect"}
    assert uses[0].pull_ref == "quay.io/ceph/ceph:v18.2.4"


def test_configuration_values_holding_yaml_json_or_manifests() -> None:
    uses, _ = read("config-carried.yaml")
    assert [(use.line, use.use_class, use.field, use.pull_ref) for use in uses] == [
        (
            16,
            "indirect",
            "data.katib-config.yaml>runtime.metricsCollectors[0].image",
            "docker.io/kubeflowkatib/file-metrics-collector:v0.17.0",
        ),
        (
            19,
            "indirect",
            "data.katib-config.yaml>runtime.suggestions[0].image",
            "docker.io/kubeflowkatib/suggestion-hyperopt:v0.17.0",
        ),
        (29, "indirect", "data.config>executor.image", "quay.io/argoproj/argoexec:v3.5.11"),
        (
            42,
            "indirect",
            "data.values.json>global.proxy.image.repository",
            "docker.io/istio/proxyv2:1.23.2",
        ),
        (
            56,
            "indirect",
            "data.template.yaml>spec.containers[0].image",
            "docker.io/apache/spark:3.5.3",
        ),
    ]
    assert {use.kind for use in uses} == {"ConfigMap"}


def test_refused_objects_are_read_and_warned_about() -> None:
    uses, warnings = read("refused-objects.yaml")
    assert [use.pull_ref for use in uses] == ["ghcr.io/acme/app:1.0", "ghcr.io/acme/app:1.1"]
    assert warnings == [
        "3: Deployment/no-api-version: Deployment has no apiVersion (the cluster refuses it); "
        "read as apps/v1",
        "14: Deployment/wrong-group: kind Deployment does not belong to apiVersion v1 (it is "
        "apps/v1); the cluster refuses it; its pod spec is read",
    ]


def test_overrides_applied_elsewhere_are_named_in_warnings() -> None:
    uses, warnings = read("overrides.yaml")
    assert uses == []
    assert len(warnings) == 2
    assert "gcr.io/heptio-images/ks-guestbook-demo:0.2" in warnings[0]
    assert warnings[0].startswith("14: Application/guestbook: Argo CD overrides image")
    assert "controller.image.tag=v1.11.3" in warnings[1]


def test_image_maps_without_a_tag_are_unresolved(tmp_path: Path) -> None:
    path = tmp_path / "cr.yaml"
    path.write_text(
        "apiVersion: acme.example.com/v1\nkind: Cache\nmetadata: {name: c}\nspec:\n"
        "  image:\n    registry: docker.io\n    repository: bitnami/redis\n"
        "  exporter: {image: oliver006/redis_exporter, tag: v1.62.0}\n"
    )
    uses = read_sources([str(path)]).uses
    assert [(use.use_class, use.pull_ref or use.raw) for use in uses] == [
        ("unresolved", "docker.io/bitnami/redis"),
        ("crd", "docker.io/oliver006/redis_exporter:v1.62.0"),
    ]


def test_a_plain_list_does_not_lend_its_api_version_to_items(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text(
        "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: apps/v1\n    kind: Deployment\n"
        "    metadata: {name: a}\n    spec: {template: {spec: {containers: [{name: a, "
        "image: 'nginx:1.25'}]}}}\n"
    )
    result = read_sources([str(path)])
    assert result.warnings == ()
    assert [use.pull_ref for use in result.uses] == ["docker.io/library/nginx:1.25"]


def test_eck_resources_without_spec_image_pull_the_kinds_elastic_image() -> None:
    # an Elasticsearch with only spec.version still pulls an image: a report without it
    # would be a gate with a hole
    uses, warnings = read("eck.yaml")
    assert warnings == []
    assert table(uses) == [
        (8, "crd", "spec.image", "docker.elastic.co/elasticsearch/elasticsearch:8.15.0"),
        (18, "crd", "spec.image", "docker.elastic.co/kibana/kibana:8.15.0"),
        (29, "crd", "spec.image", "registry.example.com/elastic/elasticsearch:8.15.0-hardened"),
    ]
