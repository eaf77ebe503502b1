"""THE table: which kinds carry images, and where.

To teach the extractor a new kind, add a ``Rule`` to ``RULES`` (or a path to an existing
one). Paths are dotted keys; ``[]`` after a key means "each item of this list", so
``spec.templates[].container`` is the ``container`` of every item of ``spec.templates``,
and ``*`` is any key of a mapping (``spec.*.image``).

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
- ``parts``: images written in several fields (``Parts``): the name, and the fields it is
  composed with (a repository in front, a tag or digest after, a tag taken from another
  place of the object). A part that is missing gives ``unresolved`` with the reason: a
  tag is never guessed.
- ``exact``: for custom resources, only these paths. Without it, any key named ``image``
  anywhere in the resource (outside ``metadata`` and ``status``) is an image too, which is
  how pod-template-shaped resources nobody listed (OpenKruise, Knative...) are found.

Kinds not listed: core ones hold no image; custom resources (any API group that is not
built into Kubernetes) are searched by shape as if ``exact`` were false.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.frozen import Frozen
from analyzer.model import UseClass


@dataclass(frozen=True)
class Parts(Frozen):
    """An image written in parts, in the mapping at ``at`` (a path; wildcards allowed).

    The reference is ``registry/repository/name:tag@digest`` from the keys named here (a
    key set to None is not looked for); a tag that starts with ``sha256:`` is a digest. A
    name that already has a tag or digest is used as written. ``tag_path`` is where the tag
    is when the holder has none (an absolute path: Plan ``spec.version``), ``tag_edits`` are
    replacements made in it (``+`` -> ``-``); ``run_time_tag`` is a path that, when set,
    means the tag is decided when the controller runs (a channel URL); ``tag_suffix`` is a
    reason: the operator appends something per node to the tag, so it is ``unresolved``.
    """

    at: str
    name: str = "image"
    repository: str | None = "repository"
    registry: str | None = "registry"
    tag: tuple[str, ...] = ("tag",)
    digest: str | None = "digest"
    tag_path: str | None = None
    tag_edits: tuple[tuple[str, str], ...] = ()
    run_time_tag: str | None = None
    tag_suffix: str | None = None
    # the image the controller uses when the name field is absent (ECK: the Elastic image of
    # the kind, tagged with ``tag_path``); a name that is given is then used as written
    default_name: str | None = None


@dataclass(frozen=True)
class Rule(Frozen):
    """Where images are in objects of ``kinds`` in API ``groups`` ("" is the core group)."""

    kinds: tuple[str, ...]
    groups: tuple[str, ...]
    pod_specs: tuple[str, ...] = ()
    containers: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    data: tuple[str, ...] = ()
    manifests: tuple[str, ...] = ()
    parts: tuple[Parts, ...] = ()
    exact: bool = False
    #: which tool substitutes ``{{ }}`` / ``$( )`` placeholders in these kinds (for reasons)
    templating: str | None = None
    #: how ``--explain-rules`` names the rule (built-in rules: ``built-in Kind (group)``)
    label: str | None = None
    #: a user rule from the settings file (then ``use_class`` follows the object's group)
    user: bool = False

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


_OS_SUFFIX = (
    "gpu-operator appends each node's OS to the driver tag (550.54.15-ubuntu22.04): "
    "one image per OS in the cluster, named at run time"
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
    # -- CloudNativePG ------------------------------------------------------------------
    # spec.imageName is an image under another name; ImageCatalog images, Pooler templates
    # and extensions' image.reference are found by the shape search
    Rule(("Cluster",), ("postgresql.cnpg.io",), images=("spec.imageName",)),
    # -- Rancher system-upgrade-controller: the tag is the plan's version ----------------
    Rule(
        ("Plan",),
        ("upgrade.cattle.io",),
        parts=tuple(
            Parts(
                at=f"spec.{container}",
                repository=None,
                registry=None,
                tag=(),
                digest=None,
                tag_path="spec.version",
                tag_edits=(("+", "-"),),
                run_time_tag="spec.channel",
            )
            for container in ("prepare", "upgrade")
        ),
    ),
    # -- NVIDIA gpu-operator: repository + image + version (the other components are
    #    composed by the shape search); the driver's tag gets the node's OS appended ------
    Rule(
        ("ClusterPolicy",),
        ("nvidia.com",),
        parts=(
            Parts(
                at="spec.driver",
                registry=None,
                tag=("version",),
                digest=None,
                tag_suffix=_OS_SUFFIX,
            ),
        ),
    ),
    Rule(
        ("NVIDIADriver",),
        ("nvidia.com",),
        parts=(
            Parts(at="spec", registry=None, tag=("version",), digest=None, tag_suffix=_OS_SUFFIX),
        ),
    ),
    # -- Elastic Cloud on Kubernetes: spec.image as written, else the kind's Elastic image
    #    tagged with spec.version (the operator's defaults, pkg/controller/common/container)
    *[  # a list, not a generator expression: mypyc would warn that it makes one
        Rule(
            (kind,),
            (group,),
            parts=(
                Parts(
                    at="spec",
                    repository=None,
                    registry=None,
                    tag=(),
                    digest=None,
                    tag_path="spec.version",
                    default_name=f"docker.elastic.co/{image}",
                ),
            ),
        )
        for kind, group, image in (
            ("Elasticsearch", "elasticsearch.k8s.elastic.co", "elasticsearch/elasticsearch"),
            ("Kibana", "kibana.k8s.elastic.co", "kibana/kibana"),
            ("ApmServer", "apm.k8s.elastic.co", "apm/apm-server"),
            (
                "EnterpriseSearch",
                "enterprisesearch.k8s.elastic.co",
                "enterprise-search/enterprise-search",
            ),
            ("Agent", "agent.k8s.elastic.co", "beats/elastic-agent"),
            ("Logstash", "logstash.k8s.elastic.co", "logstash/logstash"),
            (
                "ElasticMapsServer",
                "maps.k8s.elastic.co",
                "elastic-maps-service/elastic-maps-server",
            ),
        )
    ],
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
    return lookup(api_version, kind)[0]


def is_custom_resource(api_version: str | None) -> bool:
    group = group_of(api_version)
    return group is not None and group not in BUILT_IN_GROUPS


#: the apiVersion each image-carrying core kind is served under, for warnings
def served_as(rule: Rule) -> str:
    group = rule.groups[0]
    return f"{group}/v1" if group else "v1"


def lookup(api_version: str | None, kind: str) -> tuple[Rule | None, bool, str | None]:
    """The rule for an object, whether it is a custom resource, and a warning when the
    cluster would refuse it (no ``apiVersion``, or a core kind under the wrong group): its
    pod spec is still read when the kind says where it is, else its ``image`` keys."""
    group = group_of(api_version)
    core = CORE_RULES_BY_NAME.get(kind)
    if group is None:
        if kind in _NO_API_VERSION_NEEDED:
            return None, False, None
        if core is not None:
            return (
                core,
                False,
                f"{kind} has no apiVersion (the cluster refuses it); read as {served_as(core)}",
            )
        return (
            None,
            True,
            f"{kind} has no apiVersion (the cluster refuses it); its image keys are searched",
        )
    rule = RULES_BY_KIND.get((group, kind))
    if rule is None and core is not None and group in BUILT_IN_GROUPS:
        return (
            core,
            False,
            f"kind {kind} does not belong to apiVersion {api_version} (it is "
            f"{served_as(core)}); the cluster refuses it; its pod spec is read",
        )
    return rule, group not in BUILT_IN_GROUPS, None


#: files with a ``kind`` that kustomize reads without an apiVersion
_NO_API_VERSION_NEEDED = frozenset({"Kustomization", "Component"})
