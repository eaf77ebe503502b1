"""The vocabulary shared by every layer: frozen dataclasses, one meaning each.

The flow of data is::

    sources  -> ImageUse / SourceError
    mirrors  -> Host, RegistryHosts (per registry), ConfigError, Catalogue (per host)
    route    -> Route (with its Attempts) per image
    report   -> Report, rendered by formats/

``ImageRef`` (a parsed, normalised reference) lives in ``analyzer.reference``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from analyzer.frozen import Frozen, FrozenInit
from analyzer.redact import redact_text, redact_url
from analyzer.reference import ImageRef

# -- sources ---------------------------------------------------------------------------------

UseClass = Literal["container", "crd", "volume", "indirect", "unresolved", "invalid"]
USE_CLASSES: tuple[UseClass, ...] = (
    "container",
    "crd",
    "volume",
    "indirect",
    "unresolved",
    "invalid",
)


@dataclass(frozen=True, slots=True)
class ImageUse(Frozen):
    """One place a manifest names an image (slots: millions of them may be held)."""

    raw: str  # the value as written
    image: ImageRef | None  # parsed reference; None for unresolved/invalid
    use_class: UseClass  # serialised as "class"
    file: str  # path as given by the user, or "<stdin>"
    line: int  # 1-based line of the value
    document: int  # 0-based index of the document in the file
    field: str  # e.g. spec.template.spec.initContainers[1].image
    kind: str | None = None
    api_version: str | None = None
    namespace: str | None = None
    name: str | None = None
    container: str | None = None
    source: str | None = None  # Helm "# Source:" of the document
    reason: str | None = None  # why unresolved / invalid
    # where the value was found, apart from whether it parses: an invalid or unresolved
    # value in an ``indirect`` field (args, env) is out of scope unless indirect is routed.
    # None: the same as ``use_class`` (container, crd, volume or indirect)
    found_in: UseClass | None = None
    rule: str | None = None  # which extraction rule found it (``coverage images --explain-rules``)

    @property
    def scope(self) -> UseClass:
        """The class of the field the value was found in (``container`` when not known)."""
        if self.found_in is not None:
            return self.found_in
        return "container" if self.use_class in ("invalid", "unresolved") else self.use_class

    @property
    def pull_ref(self) -> str | None:
        return self.image.pull_ref if self.image is not None else None

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def workload(self) -> str:
        """``Kind/name`` (with namespace when known), for people to read."""
        if self.kind is None and self.name is None:
            return ""
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind or '?'}/{ns}{self.name or '?'}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "raw": self.raw,
            "image": self.pull_ref,
            "class": self.use_class,
            "file": self.file,
            "line": self.line,
            "document": self.document,
            "kind": self.kind,
            "api_version": self.api_version,
            "namespace": self.namespace,
            "name": self.name,
            "container": self.container,
            "field": self.field,
            "source": self.source,
            "reason": self.reason,
            "found_in": self.scope,
        }


@dataclass(frozen=True)
class Problem(Frozen):
    """Something in the input that could not be used, with where it is: ``file:line: ...``."""

    file: str
    line: int | None
    message: str

    def __post_init__(self) -> None:
        # the last guard: a password in a URL a message quotes is hidden, whoever wrote it
        object.__setattr__(self, "message", redact_text(self.message))

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "message": self.message}


Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding(Problem):
    """A configuration trap ``coverage doctor`` recognises: what is wrong, where, and the fix.
    Findings of severity ``error`` fail the gate (``--fail-on misconfigured``, on by default)."""

    severity: Severity = "warning"
    code: str = ""  # a stable name for the trap, e.g. ``misnamed-hosts-file``
    fix: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class SourceError(Problem):
    """A manifest file or document that could not be read (or only partly)."""


@dataclass(frozen=True)
class SourceWarning(Problem):
    """Something read that may not mean what it says (an object the cluster would refuse, an
    image override nothing here applies): reported, and the run's verdict is unchanged."""


# -- mirror configuration ----------------------------------------------------------------------

ALL_CAPABILITIES: frozenset[str] = frozenset({"pull", "resolve", "push"})
#: what a mirror needs to serve a pull by tag (and what runtimes give a mirror they write)
PULL_RESOLVE: frozenset[str] = frozenset({"pull", "resolve"})


@dataclass(frozen=True)
class Host(Frozen):
    """One host containerd may contact for a registry, in the order of ``RegistryHosts``."""

    scheme: str  # "https" or "http"
    host: str  # host[:port], the key catalogues are looked up by
    path: str  # URL path prefix as containerd uses it, e.g. "/v2" (empty with override_path)
    capabilities: frozenset[str]
    is_server: bool = False  # the root-level ``server`` (always last)
    is_upstream: bool = False  # the registry's real upstream, which holds everything
    override_path: bool = False
    header_names: tuple[str, ...] = ()  # names only: values are often secrets
    skip_verify: bool = False
    # why every request to this host fails before it is sent (Go's URL rules accepted it, the
    # HTTP client does not: no host, a port above 65535...); containerd tries the next host
    unusable: str | None = None
    # (Go regexp, replacement) pairs rewriting the repository this host is asked for, in
    # the order written; the first that changes the name applies (k3s ``rewrite``, or a
    # ``registries.conf`` location that replaces the matched prefix)
    rewrites: tuple[tuple[str, str], ...] = ()
    # why the runtime refuses to contact this host (``registries.conf`` ``blocked = true``)
    blocked: str | None = None
    # The base URL as shown and reported: ``https://docker.m.daocloud.io/v2`` (a password
    # that a strangely written URL left in the path is hidden: ``redact_url``). Made once,
    # with the host: it is asked for every attempt of every image, and each route holds it
    # several times. (Not a ``functools.cached_property``: mypyc compiles that into a
    # property that makes a new string at every call.)
    url: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", redact_url(f"{self.scheme}://{self.host}{self.path}"))

    def can(self, capability: str) -> bool:
        return capability in self.capabilities


@dataclass(frozen=True)
class ConfigError(Problem):
    """A configuration file (or part) that containerd would reject or that could not be read."""


@dataclass(frozen=True)
class RegistryHosts(Frozen):
    """The ordered hosts containerd uses for one registry, and where they came from."""

    registry: str  # the registry name as in the normalised reference ("docker.io")
    hosts: tuple[Host, ...]  # mirrors in order, then the server
    # "hosts-dir", "containerd-config", "docker-daemon", "embedded", "k3s-registries",
    # "registries-conf", "none"
    origin: str
    file: str | None = None  # the hosts.toml (or other file) used, if any
    warnings: tuple[str, ...] = ()
    # why containerd cannot set these hosts up at all (a ``ca``/``client`` file missing):
    # every pull from the registry then fails, with no fallback
    fatal: str | None = None
    namespace: bool = True  # requests to mirrors carry ``?ns=<registry>`` (containerd)
    # how the hosts are used: "containerd" (a resolve phase that needs capabilities, then
    # every host in order for each object) or "first-source" (containers/image: the first
    # host whose manifest answers serves every blob, no per-blob fallback)
    rule: str = "containerd"
    # the hosts but the upstream, asked for the verdict of every image: made once (mypyc
    # compiles a ``functools.cached_property`` into a property that makes it at every call)
    mirrors: tuple[Host, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:  # no URL's password in what is shown of them
        object.__setattr__(self, "warnings", tuple(redact_text(w) for w in self.warnings))
        if self.fatal is not None:
            object.__setattr__(self, "fatal", redact_text(self.fatal))
        object.__setattr__(self, "mirrors", tuple(h for h in self.hosts if not h.is_upstream))


# -- routes ------------------------------------------------------------------------------------

Status = Literal["mirrored", "rewritten", "partial", "fallback", "direct", "blocked", "invalid"]
STATUSES: tuple[Status, ...] = (
    "mirrored",
    "rewritten",
    "partial",
    "fallback",
    "direct",
    "blocked",
    "invalid",
)
#: statuses where every byte comes from a mirror: ``mirrored`` through the node's
#: configuration, ``rewritten`` because the reference already names the mirror
COVERED_STATUSES: frozenset[str] = frozenset({"mirrored", "rewritten"})
#: image statuses, most urgent first: the order reasons, sections and lists are shown in
#: (``invalid`` counts uses, not images, and comes after the failing image statuses)
URGENCY: tuple[Status, ...] = (
    "blocked",
    "fallback",
    "invalid",
    "partial",
    "direct",
    "rewritten",
    "mirrored",
)

Phase = Literal["resolve", "content"]


# ``__init__`` written out (``init=False``), for the route's classes made per image: mypyc
# compiles it, where it would keep the interpreted one ``dataclasses`` generates (a Python
# call, a frame and ``object.__setattr__`` per field: about 9x the time). It takes the
# fields, in order, with their defaults, as the generated one would (``dataclasses.replace``
# calls it by keyword); ``tests/test_model_init.py`` checks that against the fields.


@dataclass(frozen=True, slots=True, init=False)
class Attempt(FrozenInit):
    """One host containerd tries for one phase, with the predicted outcome (slots: a few
    for every image of a scan)."""

    phase: Phase
    host: str  # Host.url
    outcome: str  # "served", "not_in_catalogue", "cannot_resolve", ...
    detail: str | None = None

    def __init__(self, phase: Phase, host: str, outcome: str, detail: str | None = None) -> None:
        object.__setattr__(self, "phase", phase)
        object.__setattr__(self, "host", host)
        object.__setattr__(self, "outcome", outcome)
        # a password in a URL it quotes is hidden
        object.__setattr__(self, "detail", redact_text(detail) if detail is not None else None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "host": self.host,
            "outcome": self.outcome,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True, init=False)
class Route(FrozenInit):
    """Where containerd will resolve and fetch one image, and why (slots: one for every
    image of a scan)."""

    image: str  # the pull_ref, or the raw text for invalid ones
    registry: str | None
    status: Status
    resolve_host: str | None  # URL of the host that answers the tag/digest HEAD
    content_host: str | None  # URL of the host that serves manifest by digest and blobs
    hosts_file: str | None = None
    attempts: tuple[Attempt, ...] = ()
    warnings: tuple[str, ...] = ()
    reason: str | None = None  # one sentence a person can read
    # for a reference written in a mirror's own form: the upstream image it stands for
    stands_for: str | None = None

    def __init__(
        self,
        image: str,
        registry: str | None,
        status: Status,
        resolve_host: str | None,
        content_host: str | None,
        hosts_file: str | None = None,
        attempts: tuple[Attempt, ...] = (),
        warnings: Sequence[str] = (),  # any sequence: kept as a tuple
        reason: str | None = None,
        stands_for: str | None = None,
    ) -> None:
        object.__setattr__(self, "image", image)
        object.__setattr__(self, "registry", registry)
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "resolve_host", resolve_host)
        object.__setattr__(self, "content_host", content_host)
        object.__setattr__(self, "hosts_file", hosts_file)
        object.__setattr__(self, "attempts", attempts)
        # whoever wrote them, the sentences of a route never show a URL's password
        if warnings or type(warnings) is not tuple:  # () is the usual case
            warnings = tuple(redact_text(w) for w in warnings)
        object.__setattr__(self, "warnings", warnings)
        object.__setattr__(self, "reason", redact_text(reason) if reason is not None else None)
        object.__setattr__(self, "stands_for", stands_for)

    def to_dict(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "registry": self.registry,
            "status": self.status,
            "resolve_host": self.resolve_host,
            "content_host": self.content_host,
            "hosts_file": self.hosts_file,
            "attempts": [a.to_dict() for a in self.attempts],
            "warnings": list(self.warnings),
            "reason": self.reason,
            "stands_for": self.stands_for,
        }
