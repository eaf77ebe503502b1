"""Reports built by hand for the format tests: every status, ignored, invalid and unresolved
uses, errors, warnings, a Helm source; nothing here runs the scan engine."""

from __future__ import annotations

from analyzer.model import (
    Attempt,
    ConfigError,
    ImageUse,
    Route,
    SourceError,
    Status,
    UseClass,
)
from analyzer.reference import ImageRef
from analyzer.report import ImageResult, MirrorCoverage, Policy, Report

DOCKER_MIRROR = "https://docker.m.daocloud.io/v2"
DOCKER_UPSTREAM = "https://registry-1.docker.io/v2"
QUAY_MIRROR = "https://quay.m.daocloud.io/v2"
QUAY_UPSTREAM = "https://quay.io/v2"
GHCR_MIRROR = "https://ghcr.m.daocloud.io/v2"
GHCR_UPSTREAM = "https://ghcr.io/v2"
K8S_MIRROR = "https://k8s.m.daocloud.io/v2"
PRIVATE_UPSTREAM = "https://registry.example.com:5000/v2"

NGINX = ImageRef("docker.io", "library/nginx", "1.25", None)
GRAFANA = ImageRef("docker.io", "grafana/grafana", "10.4.0", None)
NODE_EXPORTER = ImageRef("quay.io", "prometheus/node-exporter", "v1.8.0", None)
TOOL = ImageRef("ghcr.io", "acme/private-tool", "2.0", None)
PRIVATE_APP = ImageRef("registry.example.com:5000", "team/app", "3.1", None)
PAUSE = ImageRef("registry.k8s.io", "pause", None, "sha256:" + "7031c1b283388d2c" * 4)
REDIS = ImageRef("docker.io", "bitnami/redis", "7.2", None)

FAILING_FALLBACK_REASON = "none of the 2 mirrors for ghcr.io holds acme/private-tool"
BLOCKED_REASON = "the server of registry.k8s.io was replaced by a mirror that does not hold it"


def use(
    image: ImageRef | None,
    file: str,
    line: int,
    *,
    raw: str | None = None,
    use_class: UseClass = "container",
    kind: str | None = "Deployment",
    name: str | None = "web",
    namespace: str | None = "prod",
    container: str | None = "main",
    field: str = "spec.template.spec.containers[0].image",
    source: str | None = None,
    reason: str | None = None,
    document: int = 0,
) -> ImageUse:
    """One use; ``raw`` defaults to the image's own text."""
    return ImageUse(
        raw=raw if raw is not None else str(image),
        image=image,
        use_class=use_class,
        file=file,
        line=line,
        document=document,
        field=field,
        kind=kind,
        api_version="apps/v1" if kind else None,
        namespace=namespace,
        name=name,
        container=container,
        source=source,
        reason=reason,
    )


def result(
    ref: ImageRef,
    status: Status,
    uses: tuple[ImageUse, ...],
    *,
    content: str | None,
    resolve: str | None,
    reason: str | None = None,
    attempts: tuple[Attempt, ...] = (),
    warnings: tuple[str, ...] = (),
    ignored: bool = False,
) -> ImageResult:
    route = Route(
        image=ref.pull_ref,
        registry=ref.domain,
        status=status,
        resolve_host=resolve,
        content_host=content,
        hosts_file=f"certs.d/{ref.domain}/hosts.toml",
        attempts=attempts,
        warnings=warnings,
        reason=reason,
    )
    return ImageResult(ref=ref, route=route, uses=uses, ignored=ignored)


def mirrored_nginx() -> ImageResult:
    """Used five times, to show the ``+N more`` of long lists."""
    uses = tuple(use(NGINX, f"apps/web-{i}.yaml", 10 + i, name=f"web-{i}") for i in range(5))
    return result(
        NGINX,
        "mirrored",
        uses,
        content=DOCKER_MIRROR,
        resolve=DOCKER_MIRROR,
        reason="docker.m.daocloud.io holds docker.io/library/nginx",
        attempts=(
            Attempt("resolve", DOCKER_MIRROR, "served"),
            Attempt("content", DOCKER_MIRROR, "served"),
        ),
    )


def mirrored_grafana_from_helm() -> ImageResult:
    helm_use = use(
        GRAFANA,
        "rendered/monitoring.yaml",
        42,
        name="grafana",
        namespace="monitoring",
        container="grafana",
        document=3,
        source="grafana/templates/deployment.yaml",
    )
    return result(GRAFANA, "mirrored", (helm_use,), content=DOCKER_MIRROR, resolve=DOCKER_MIRROR)


def partial_node_exporter() -> ImageResult:
    ds = use(
        NODE_EXPORTER,
        "apps/monitoring/node-exporter.yaml",
        21,
        kind="DaemonSet",
        name="node-exporter",
        namespace="monitoring",
        container="node-exporter",
    )
    return result(
        NODE_EXPORTER,
        "partial",
        (ds,),
        content=QUAY_MIRROR,
        resolve=QUAY_UPSTREAM,
        reason="quay.m.daocloud.io is pull-only: the tag v1.8.0 is resolved by quay.io",
        attempts=(
            Attempt("resolve", QUAY_MIRROR, "cannot_resolve"),
            Attempt("resolve", QUAY_UPSTREAM, "served"),
            Attempt("content", QUAY_MIRROR, "served"),
        ),
    )


def fallback_tool() -> ImageResult:
    job = use(
        TOOL,
        "apps/batch/report-cronjob.yaml",
        17,
        kind="CronJob",
        name="report",
        namespace="batch",
        container="report",
        field="spec.jobTemplate.spec.template.spec.containers[0].image",
    )
    init = use(
        TOOL,
        "apps/api.yaml",
        31,
        name="api",
        container="migrate",
        field="spec.template.spec.initContainers[0].image",
    )
    return result(
        TOOL,
        "fallback",
        (job, init),
        content=GHCR_UPSTREAM,
        resolve=GHCR_UPSTREAM,
        reason=FAILING_FALLBACK_REASON,
        attempts=(
            Attempt("resolve", GHCR_MIRROR, "not_in_catalogue"),
            Attempt("resolve", GHCR_UPSTREAM, "served"),
            Attempt("content", GHCR_UPSTREAM, "served"),
        ),
    )


def direct_private_app() -> ImageResult:
    app = use(PRIVATE_APP, "apps/private.yaml", 8, name="billing", namespace="finance")
    return result(
        PRIVATE_APP,
        "direct",
        (app,),
        content=PRIVATE_UPSTREAM,
        resolve=PRIVATE_UPSTREAM,
        reason="no mirror is configured for registry.example.com:5000",
    )


def blocked_pause() -> ImageResult:
    pod = use(PAUSE, "apps/sandbox.yaml", 5, kind="Pod", name="sandbox", namespace=None)
    return result(
        PAUSE,
        "blocked",
        (pod,),
        content=None,
        resolve=None,
        reason=BLOCKED_REASON,
        attempts=(Attempt("resolve", K8S_MIRROR, "not_in_catalogue"),),
        warnings=("certs.d/registry.k8s.io/hosts.toml: server is not registry.k8s.io",),
    )


def ignored_redis() -> ImageResult:
    sts = use(REDIS, "apps/cache.yaml", 14, kind="StatefulSet", name="cache")
    return result(
        REDIS,
        "fallback",
        (sts,),
        content=DOCKER_UPSTREAM,
        resolve=DOCKER_UPSTREAM,
        reason="no docker.io mirror holds bitnami/redis",
        ignored=True,
    )


def invalid_uses() -> tuple[ImageUse, ...]:
    invalid = use(
        None,
        "apps/broken-ref.yaml",
        12,
        raw="Nginx:Latest",
        use_class="invalid",
        name="legacy",
        reason="repository name must be lowercase: 'Nginx'",
    )
    unresolved = use(
        None,
        "rendered/monitoring.yaml",
        77,
        raw="{{ .Values.image }}",
        use_class="unresolved",
        name="exporter",
        namespace="monitoring",
        source="exporter/templates/deployment.yaml",
        reason="an unrendered Helm template value",
    )
    return (invalid, unresolved)


def mirrors() -> tuple[MirrorCoverage, ...]:
    return (
        MirrorCoverage(
            DOCKER_MIRROR,
            "docker.io",
            "embedded allows.txt (2024-05-01)",
            False,
            (NGINX.pull_ref, GRAFANA.pull_ref),
        ),
        MirrorCoverage(QUAY_MIRROR, "quay.io", "", True, (NODE_EXPORTER.pull_ref,)),
        MirrorCoverage(GHCR_MIRROR, "ghcr.io", "embedded allows.txt (2024-05-01)", False, ()),
    )


SOURCE_ERROR = SourceError("apps/broken.yaml", 3, "mapping values are not allowed here")
SOURCE_ERROR_NO_LINE = SourceError("apps/unreadable.yaml", None, "permission denied")
CONFIG_ERROR = ConfigError("certs.d/gcr.io/hosts.toml", 4, "unknown capability 'pul'")
REPORT_WARNING = "certs.d/docker.io/hosts.toml: skip_verify is set for docker.m.daocloud.io"


def full_report(policy: Policy | None = None, *, with_errors: bool = True) -> Report:
    """Every status, ignored, invalid and unresolved uses, errors and warnings."""
    return Report(
        images=(
            blocked_pause(),
            fallback_tool(),
            ignored_redis(),
            partial_node_exporter(),
            direct_private_app(),
            mirrored_nginx(),
            mirrored_grafana_from_helm(),
        ),
        invalid=invalid_uses(),
        mirrors=mirrors(),
        config_description="hosts directory fixtures/certs.d",
        policy=policy or Policy(),
        source_errors=(SOURCE_ERROR, SOURCE_ERROR_NO_LINE) if with_errors else (),
        config_errors=(CONFIG_ERROR,) if with_errors else (),
        warnings=(REPORT_WARNING,),
        files_read=9,
        files_skipped=1,
    )


def clean_report() -> Report:
    """Everything mirrored, nothing to complain about: the gate passes."""
    return Report(
        images=(mirrored_nginx(), mirrored_grafana_from_helm()),
        invalid=(),
        mirrors=mirrors()[:1],
        config_description="embedded DaoCloud defaults",
        files_read=6,
    )


def empty_report() -> Report:
    """No image at all (an empty manifest set)."""
    return Report(images=(), invalid=(), mirrors=(), config_description="embedded defaults")
