"""THE table: which kinds carry images, and where.

To teach the extractor a new kind, add a ``Rule`` to ``RULES`` (or a path to an existing
one). Paths are dotted keys; ``[]`` after a key means "each item of this list", so
``spec.templates[].container`` is the ``container`` of every item of ``spec.templates``.

- ``pod_specs``: PodSpecs. Their ``containers``, ``initContainers`` and
  ``ephemeralContainers`` give one use each (class ``container`` for core kinds, ``crd``
  for custom resources), their image volumes (``volumes[].image.reference``) class
  ``volume``; args and env of every container are searched for ``indirect`` images.
- ``containers``: container-shaped mappings (``image``, ``args``, ``env``, ``name``).
- ``images``: single image strings (``spec.image`` of a Prometheus).
- ``params``: lists of ``{name, value|default}`` (Tekton params); an entry whose name says
  it is an image (``BUILDER_IMAGE``) gives an ``indirect`` use.
- ``data``: string maps (ConfigMap ``data``); an image-named key gives ``indirect``.
- ``manifests``: strings holding whole manifests that the resource creates when it runs
  (Argo ``resource`` templates); they are read like files.
- ``exact``: for custom resources, only these paths. Without it, any key named ``image``
  anywhere in the resource (outside ``metadata`` and ``status``) is an image too, which is
  how pod-template-shaped resources nobody listed (OpenKruise, Knative...) are found.

Kinds not listed: core ones hold no image; custom resources (any API group that is not
built into Kubernetes) are searched by shape as if ``exact`` were false.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.model import UseClass


@dataclass(frozen=True)
class Rule:
    """Where images are in objects of ``kinds`` in API ``groups`` ("" is the core group)."""

    kinds: tuple[str, ...]
    groups: tuple[str, ...]
    pod_specs: tuple[str, ...] = ()
    containers: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    data: tuple[str, ...] = ()
    manifests: tuple[str, ...] = ()
    exact: bool = False
    #: which tool substitutes ``{{ }}`` / ``$( )`` placeholders in these kinds (for reasons)
    templating: str | None = None

    @property
    def use_class(self) -> UseClass:
        return "container" if set(self.groups) <= BUILT_IN_GROUPS else "crd"


#: API groups served by Kubernetes itself; every other group is a custom resource
BUILT_IN_GROUPS: frozenset[str] = frozenset(
    {
        "",
        "apps",
        "batch",
        "extensions",
        "policy",
        "autoscaling",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    }
)

_WORKLOAD_GROUPS = ("apps", "extensions")


def _argo_templates(prefix: str) -> tuple[str, ...]:
    """Every container of an Argo Workflows template list at ``prefix``."""
    return tuple(
        f"{prefix}[].{where}"
        for where in (
            "container",
            "script",
            "initContainers[]",
            "sidecars[]",
            "containerSet.containers[]",
        )
    )


def _tekton_task(prefix: str) -> tuple[str, ...]:
    """The containers of a Tekton TaskSpec at ``prefix``."""
    dot = f"{prefix}." if prefix else ""
    return (f"{dot}steps[]", f"{dot}sidecars[]", f"{dot}stepTemplate")


def _tekton_pipeline(prefix: str) -> tuple[str, ...]:
    """The embedded TaskSpecs of a Tekton PipelineSpec at ``prefix``."""
    return tuple(
        path
        for tasks in ("tasks[]", "finally[]")
        for path in _tekton_task(f"{prefix}.{tasks}.taskSpec")
    )


RULES: tuple[Rule, ...] = (
    # -- Kubernetes ----------------------------------------------------------------------
    Rule(("Pod",), ("",), pod_specs=("spec",)),
    Rule(("PodTemplate",), ("",), pod_specs=("template.spec",)),
    Rule(("ReplicationController",), ("",), pod_specs=("spec.template.spec",)),
    Rule(
        ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"),
        _WORKLOAD_GROUPS,
        pod_specs=("spec.template.spec",),
    ),
    Rule(("Job",), ("batch",), pod_specs=("spec.template.spec",)),
    Rule(("CronJob",), ("batch",), pod_specs=("spec.jobTemplate.spec.template.spec",)),
    # images a controller is told to run, e.g. Knative's queue-sidecar-image
    Rule(("ConfigMap",), ("",), data=("data",)),
    # -- Argo Rollouts -------------------------------------------------------------------
    Rule(("Rollout",), ("argoproj.io",), pod_specs=("spec.template.spec",)),
    Rule(("Experiment",), ("argoproj.io",), pod_specs=("spec.templates[].template.spec",)),
    Rule(
        ("AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun"),
        ("argoproj.io",),
        pod_specs=("spec.metrics[].provider.job.spec.template.spec",),
    ),
    # -- Argo Workflows ------------------------------------------------------------------
    Rule(
        ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate"),
        ("argoproj.io",),
        containers=(*_argo_templates("spec.templates"), "spec.templateDefaults.container"),
        manifests=("spec.templates[].resource.manifest",),
        exact=True,
        templating="argo",
    ),
    Rule(
        ("CronWorkflow",),
        ("argoproj.io",),
        containers=(
            *_argo_templates("spec.workflowSpec.templates"),
            "spec.workflowSpec.templateDefaults.container",
        ),
        manifests=("spec.workflowSpec.templates[].resource.manifest",),
        exact=True,
        templating="argo",
    ),
    # -- Tekton --------------------------------------------------------------------------
    Rule(
        ("Task", "ClusterTask"),
        ("tekton.dev",),
        containers=_tekton_task("spec"),
        params=("spec.params[]",),
        exact=True,
        templating="tekton",
    ),
    Rule(
        ("TaskRun",),
        ("tekton.dev",),
        containers=_tekton_task("spec.taskSpec"),
        params=("spec.params[]", "spec.taskSpec.params[]"),
        exact=True,
        templating="tekton",
    ),
    Rule(
        ("Pipeline",),
        ("tekton.dev",),
        containers=_tekton_pipeline("spec"),
        params=("spec.params[]",),
        exact=True,
        templating="tekton",
    ),
    Rule(
        ("PipelineRun",),
        ("tekton.dev",),
        containers=_tekton_pipeline("spec.pipelineSpec"),
        params=("spec.params[]", "spec.pipelineSpec.params[]"),
        exact=True,
        templating="tekton",
    ),
    Rule(("StepAction",), ("tekton.dev",), images=("spec.image",), exact=True, templating="tekton"),
    # -- Knative Serving -----------------------------------------------------------------
    Rule(("Service", "Configuration"), ("serving.knative.dev",), pod_specs=("spec.template.spec",)),
    Rule(("Revision",), ("serving.knative.dev",), pod_specs=("spec",)),
    # -- Prometheus operator -------------------------------------------------------------
    Rule(
        ("Prometheus", "PrometheusAgent", "Alertmanager", "ThanosRuler"),
        ("monitoring.coreos.com",),
        images=("spec.image", "spec.thanos.image"),
        containers=("spec.containers[]", "spec.initContainers[]"),
    ),
    # -- OpenKruise ----------------------------------------------------------------------
    Rule(
        ("CloneSet", "StatefulSet", "DaemonSet", "BroadcastJob"),
        ("apps.kruise.io",),
        pod_specs=("spec.template.spec",),
    ),
    Rule(
        ("AdvancedCronJob",),
        ("apps.kruise.io",),
        pod_specs=(
            "spec.template.jobTemplate.spec.template.spec",
            "spec.template.broadcastJobTemplate.spec.template.spec",
        ),
    ),
    Rule(
        ("SidecarSet",),
        ("apps.kruise.io",),
        containers=("spec.containers[]", "spec.initContainers[]"),
    ),
    Rule(("ImagePullJob",), ("apps.kruise.io",), images=("spec.image",)),
)


def _index(rules: tuple[Rule, ...]) -> dict[tuple[str, str], Rule]:
    table: dict[tuple[str, str], Rule] = {}
    for rule in rules:
        for group in rule.groups:
            for kind in rule.kinds:
                if (group, kind) in table:
                    raise ValueError(f"kinds table lists {kind} in group {group!r} twice")
                table[(group, kind)] = rule
    return table


RULES_BY_KIND: dict[tuple[str, str], Rule] = _index(RULES)
#: for documents without apiVersion (kustomize patches): the core kinds by name alone
CORE_RULES_BY_NAME: dict[str, Rule] = {
    kind: rule for (group, kind), rule in RULES_BY_KIND.items() if group in BUILT_IN_GROUPS
}


def group_of(api_version: str | None) -> str | None:
    """``apps/v1`` -> ``apps``; ``v1`` -> ``""``; None when unknown."""
    if api_version is None:
        return None
    group, slash, _ = api_version.partition("/")
    return group if slash else ""


def rule_for(api_version: str | None, kind: str) -> Rule | None:
    """The rule for a kind, None when it holds no image (or is an unlisted custom resource)."""
    group = group_of(api_version)
    if group is None:
        return CORE_RULES_BY_NAME.get(kind)
    return RULES_BY_KIND.get((group, kind))


def is_custom_resource(api_version: str | None) -> bool:
    group = group_of(api_version)
    return group is not None and group not in BUILT_IN_GROUPS
