"""Every image use in one document tree, following the table in ``kinds``.

``extract(root, origin)`` reads the object's kind, picks its ``Rule`` and follows the
rule's paths; ``List`` / ``*List`` objects are read item by item; custom resources that
are not ``exact`` are also searched by shape (any ``image`` key outside ``metadata`` and
``status``, composed from its sibling parts when it has them). A field reported by a rule
is never reported again by the shape search. User rules from the settings file
(``analyzer.sources.rules``) are followed first. Objects the cluster would refuse (no
``apiVersion``, a core kind under another group) and image overrides that nothing here
applies (``analyzer.sources.overrides``) give a ``SourceWarning``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from yaml.resolver import Resolver

from analyzer.frozen import Frozen
from analyzer.model import ImageUse, SourceWarning, UseClass
from analyzer.reference import ImageRef
from analyzer.sources import classify as cls
from analyzer.sources import embedded, overrides
from analyzer.sources.kinds import Parts, Rule, group_of, lookup
from analyzer.sources.limits import DocumentError, Limits
from analyzer.sources.parts import IMAGE_MAP, compose, siblings_for, split_signal
from analyzer.sources.tree import (
    MapNode,
    Node,
    ScalarNode,
    SeqNode,
    entries,
    get,
    items,
    share,
    text,
)

_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
_FLAG = re.compile(r"--?(?P<name>[A-Za-z][\w.-]*)(?:=(?P<value>.*))?", re.DOTALL)
#: top-level keys the shape search leaves alone: names, labels, and what a cluster reports
_NOT_SEARCHED = frozenset({"metadata", "status", "apiVersion", "kind"})
MANIFEST_SEPARATOR = ">"
SHAPE_RULE = "shape search: an image key of a custom resource"
#: what ``extract`` finds
Found = ImageUse | SourceWarning


@dataclass(frozen=True)
class Origin(Frozen):
    """Where a document is: file, 0-based index in the file, Helm ``# Source:``."""

    file: str
    document: int
    source: str | None = None


@dataclass(frozen=True)
class _Object(Frozen):
    kind: str
    api_version: str | None
    namespace: str | None
    name: str | None


def extract(
    root: Node | None, origin: Origin, limits: Limits, user_rules: Sequence[Rule] = ()
) -> list[Found]:
    """The image uses (and warnings) of one document; nothing for what is not an object."""
    if not isinstance(root, MapNode):
        return []
    found: list[Found] = []
    _read_object(root, "", _Context(origin, limits, tuple(user_rules)), found, None, None)
    return found


@dataclass(frozen=True)
class _Context(Frozen):
    origin: Origin
    limits: Limits
    user_rules: tuple[Rule, ...]


def _read_object(
    node: MapNode,
    prefix: str,
    context: _Context,
    found: list[Found],
    list_api_version: str | None,
    list_item_kind: str | None,
) -> None:
    kind_node = get(node, "kind")
    kind = text(kind_node) or list_item_kind
    if kind is None:
        return  # not a Kubernetes object (a Helm values file, a kustomization patch...)
    api_version = text(get(node, "apiVersion")) or list_api_version
    listed = get(node, "items")
    if kind.endswith("List") and isinstance(listed, SeqNode):
        item_kind = kind[: -len("List")] or None
        for index, item in enumerate(listed.items):
            if isinstance(item, MapNode):
                # a typed list (DeploymentList) gives its items their kind and apiVersion;
                # the items of a plain List carry their own
                _read_object(
                    item,
                    f"{prefix}items[{index}].",
                    context,
                    found,
                    api_version if item_kind else None,
                    item_kind,
                )
        return
    origin, limits = context.origin, context.limits
    line = kind_node.line if isinstance(kind_node, ScalarNode) else node.line
    metadata = get(node, "metadata")
    name = namespace = None
    if isinstance(metadata, MapNode):
        name = text(get(metadata, "name")) or text(get(metadata, "generateName"))
        namespace = text(get(metadata, "namespace"))
    obj = _Object(kind, api_version, namespace, name)
    rule, custom, misfit = lookup(api_version, kind)
    where = f"{obj.kind}/{obj.name}" if obj.name else obj.kind
    if misfit is not None:
        found.append(SourceWarning(origin.file, line, f"{where}: {misfit}"))
    for warning_line, message in overrides.warnings(node, group_of(api_version), kind):
        found.append(SourceWarning(origin.file, warning_line, f"{where}: {message}"))
    reader = _ObjectReader(
        obj,
        origin,
        prefix,
        limits,
        "crd" if custom else "container",
        rule.templating if rule else None,
    )
    group = group_of(api_version)
    for user_rule in context.user_rules:
        if kind in user_rule.kinds and (not user_rule.groups or group in user_rule.groups):
            reader.apply(node, user_rule)
    if rule is not None:
        reader.apply(node, rule)
    if custom and not (rule is not None and rule.exact):
        reader.label = SHAPE_RULE
        reader.search_by_shape(node)
    # in line order (stable: uses of one line keep the table's order)
    ordered: list[ImageUse] = sorted(reader.uses, key=_line)
    found.extend(ordered)


def _line(use: ImageUse) -> int:
    return use.line


class _ObjectReader:
    """Collects the uses of one Kubernetes object."""

    def __init__(
        self,
        obj: _Object,
        origin: Origin,
        prefix: str,
        limits: Limits,
        direct_class: UseClass,
        templating: str | None,
    ) -> None:
        self.obj = obj
        self.origin = origin
        self.prefix = prefix
        self.limits = limits
        self.direct_class: UseClass = direct_class
        self.templating = templating
        self.uses: list[ImageUse] = []
        self.fields: set[str] = set()  # image fields already reported
        self.containers: set[str] = set()  # containers whose args/env were searched
        self.parameters: dict[str, str] = {}  # Tekton params: name -> what fills them in
        self.label: str | None = None  # the rule being followed, for --explain-rules
        self.config = False  # reading a configuration value: image keys are indirect

    # -- the rule's paths ------------------------------------------------------------
    def apply(self, root: MapNode, rule: Rule) -> None:
        group = group_of(self.obj.api_version)
        shown = group if group in rule.groups else rule.groups[0]
        self.label = rule.label or f"built-in: {self.obj.kind} ({shown or 'core'})"
        for parts in rule.parts:
            found = resolve(root, parts.at) if parts.at else iter([(root, "", None)])
            for holder, field, _ in found:
                if isinstance(holder, MapNode):
                    self.composed(holder, parts, root, field)
        for path in rule.params:  # first: placeholders in images name their defaults
            for param, field, _ in resolve(root, path):
                self.param(param, field)
        for path in rule.pod_specs:
            for spec, field, _ in resolve(root, path):
                self.pod_spec(spec, field)
        for path in rule.containers:
            for container, field, named in resolve(root, path):
                self.container(container, field, named, self.direct_class)
        for path in rule.images:
            for value, field, _ in resolve(root, path):
                self.image(value, field, self.direct_class, None)
        for path in rule.data:
            for data, field, _ in resolve(root, path):
                self.data(data, field)
        for path in rule.manifests:
            for manifest, field, _ in resolve(root, path):
                self.manifest(manifest, field)

    def pod_spec(self, spec: Node, field: str) -> None:
        if not isinstance(spec, MapNode):
            return
        for key in _CONTAINER_LISTS:
            for index, container in enumerate(items(get(spec, key))):
                self.container(container, f"{field}.{key}[{index}]", None, self.direct_class)
        for index, volume in enumerate(items(get(spec, "volumes"))):
            if not isinstance(volume, MapNode):
                continue
            source = get(volume, "image")
            if isinstance(source, MapNode):
                reference = get(source, "reference")
                if reference is not None:
                    self.image(
                        reference, f"{field}.volumes[{index}].image.reference", "volume", None
                    )

    def container(
        self, container: Node, field: str, fallback_name: str | None, use_class: UseClass
    ) -> None:
        if not isinstance(container, MapNode):
            return
        name = text(get(container, "name")) or fallback_name
        value = get(container, "image")
        if value is not None:
            self.image(value, f"{field}.image", use_class, name)
        self.container_text(container, field, name)

    def container_text(self, container: MapNode, field: str, name: str | None) -> None:
        """Images named in a container's command, args and env values."""
        if field in self.containers:
            return
        self.containers.add(field)
        for key in ("command", "args"):
            flag_says_image = False
            for index, item in enumerate(items(get(container, key))):
                value = text(item)
                where = f"{field}.{key}[{index}]"
                if value is None or not isinstance(item, ScalarNode):
                    flag_says_image = False
                    continue
                flag = _FLAG.fullmatch(value)
                if flag is not None and flag.group("value") is not None:
                    self.indirect(
                        flag.group("value"),
                        item.line,
                        where,
                        name,
                        named=cls.says_image(flag.group("name")),
                    )
                    flag_says_image = False
                elif flag is not None:
                    flag_says_image = cls.says_image(flag.group("name"))
                else:
                    self.indirect(value, item.line, where, name, named=flag_says_image)
                    flag_says_image = False
        for index, variable in enumerate(items(get(container, "env"))):
            if not isinstance(variable, MapNode):
                continue
            value_node = get(variable, "value")
            value = text(value_node)
            if value is None or not isinstance(value_node, ScalarNode):
                continue
            named = cls.says_image(text(get(variable, "name")) or "")
            where = f"{field}.env[{index}].value"
            if named and ("\n" in value.strip() or "=" in value):  # version=image a line
                for line, key, entry in embedded.listed(value, value_node.line):
                    self.indirect(
                        entry, line, f"{where}{MANIFEST_SEPARATOR}{key}", name, named=True
                    )
                continue
            self.indirect(value, value_node.line, where, name, named=named)

    def param(self, param: Node, field: str) -> None:
        if not isinstance(param, MapNode):
            return
        name = text(get(param, "name")) or ""
        for key, wording in (("default", "default"), ("value", "the run passes")):
            given = text(get(param, key))
            if name and given is not None and (key == "value" or name not in self.parameters):
                self.parameters[name] = f"{wording} {given}" if given else f'{wording} ""'
        if not cls.says_image(name):
            return
        for key in ("default", "value"):
            value_node = get(param, key)
            value = text(value_node)
            if value is not None and isinstance(value_node, ScalarNode):
                self.indirect(value, value_node.line, f"{field}.{key}", None, named=True)

    def data(self, data: Node, field: str) -> None:
        """A string map (ConfigMap ``data``): image-named keys, values that are clearly
        images (with a registry host, as in image-set ConfigMaps), and values that are YAML
        or JSON documents holding images, all ``indirect``."""
        if not isinstance(data, MapNode):
            return
        for key, value_node in entries(data):
            value = text(value_node)
            if value is None or not isinstance(value_node, ScalarNode):
                continue
            where = f"{field}.{key}"
            if embedded.may_hold_document(value):
                self.config_value(value_node, value, where)
            elif cls.says_image(key):
                self.indirect(value, value_node.line, where, None, named=True)
            elif cls.has_registry_host(value):
                self.indirect(value, value_node.line, where, None, named=False)

    def config_value(self, node: ScalarNode, value: str, field: str) -> None:
        """A configuration file held in a string: its ``image`` keys (and image-named
        keys), or the images of the manifests it holds, all ``indirect``."""
        prefix = f"{self.prefix}{field}{MANIFEST_SEPARATOR}"
        for root in embedded.documents(value, node.line, self.limits):
            if isinstance(root, MapNode) and get(root, "kind") is not None:
                for item in extract(root, self.origin, self.limits):
                    if isinstance(item, ImageUse):
                        self.uses.append(self.adopted(item, prefix))
                continue
            if not isinstance(root, MapNode):
                continue
            reader = _ObjectReader(
                self.obj, self.origin, prefix, self.limits, "indirect", self.templating
            )
            reader.config = True
            reader.label = f"{self.label}; a configuration value" if self.label else None
            reader.search_by_shape(root)
            self.uses.extend(reader.uses)

    def adopted(self, use: ImageUse, prefix: str) -> ImageUse:
        """A use found in an embedded manifest, as a use of this object (class indirect)."""
        pullable = use.use_class in ("container", "crd", "volume")
        return replace(
            use,
            use_class="indirect" if pullable else use.use_class,
            found_in=None if pullable else "indirect",
            field=f"{prefix}{use.field}",
            kind=self.obj.kind,
            api_version=self.obj.api_version,
            namespace=self.obj.namespace,
            name=self.obj.name,
            rule=f"{self.label}; an embedded manifest ({use.rule})" if self.label else use.rule,
        )

    def manifest(self, manifest: Node, field: str) -> None:
        """A manifest held in a string (an Argo ``resource`` template): read it as a file.

        Such strings are often templates themselves; one that does not parse is left alone.
        """
        from analyzer.sources.yaml_tree import build_yaml

        value = text(manifest)
        if value is None or not isinstance(manifest, ScalarNode):
            return
        first_line = manifest.line + 1 if "\n" in value else manifest.line
        try:
            roots = build_yaml(value.encode("utf-8"), first_line, self.limits)
        except DocumentError:
            return
        for root in roots:
            for use in extract(root, self.origin, self.limits):
                if not isinstance(use, ImageUse):
                    continue
                self.uses.append(
                    replace(
                        use,
                        use_class="crd" if use.use_class == "container" else use.use_class,
                        field=f"{self.prefix}{field}{MANIFEST_SEPARATOR}{use.field}",
                        kind=self.obj.kind,
                        api_version=self.obj.api_version,
                        namespace=self.obj.namespace,
                        name=self.obj.name,
                        rule=self.label,
                    )
                )

    # -- the shape search ---------------------------------------------------------------
    def search_by_shape(self, root: MapNode) -> None:
        """Every ``image`` key of a custom resource, and image-named keys as indirect."""
        stack: list[tuple[Node, str]] = [
            (value, key) for key, value in reversed(list(entries(root))) if key not in _NOT_SEARCHED
        ]
        while stack:
            node, field = stack.pop()
            if isinstance(node, SeqNode):
                stack.extend(
                    (item, f"{field}[{index}]")
                    for index, item in reversed(list(enumerate(node.items)))
                )
                continue
            if not isinstance(node, MapNode):
                continue
            children: list[tuple[Node, str]] = []
            for key, value in entries(node):
                where = f"{field}.{key}"
                if key == "image":
                    self.shape_image(node, value, where, field)
                elif isinstance(value, ScalarNode) and cls.says_image(key):
                    scalar = text(value)
                    if scalar is not None:
                        self.indirect(
                            scalar, value.line, where, text(get(node, "name")), named=True
                        )
                if isinstance(value, (MapNode, SeqNode)):
                    children.append((value, where))
            stack.extend(reversed(children))

    def shape_image(self, holder: MapNode, value: Node, field: str, holder_field: str) -> None:
        name = text(get(holder, "name"))
        if isinstance(value, ScalarNode):
            if value.is_null:
                return
            if split_signal(holder):
                self.composed(holder, siblings_for(holder), holder, holder_field)
            elif self.config:
                scalar = text(value)
                if scalar is not None:
                    self.indirect(scalar, value.line, field, name, named=True)
            else:
                self.image(value, field, self.direct_class, name)
            if (
                get(holder, "args") is not None
                or get(holder, "env") is not None
                or get(holder, "command") is not None
            ):
                self.container_text(holder, holder_field, name)
        elif isinstance(value, MapNode):
            reference = get(value, "reference")
            if isinstance(reference, ScalarNode):  # an image volume, a CNPG extension...
                if re.search(r"volumes\[\d+\]$", holder_field):
                    self.image(reference, f"{field}.reference", "volume", None)
                else:
                    self.image(reference, f"{field}.reference", self.direct_class, name)
                return
            if text(get(value, "repository")):
                self.composed(value, IMAGE_MAP, value, field, name)

    def composed(
        self,
        holder: MapNode,
        parts: Parts,
        root: MapNode,
        field: str,
        container: str | None = None,
    ) -> None:
        """An image written in parts (``analyzer.sources.parts``)."""
        where = f"{field}.{parts.name}" if field else parts.name
        if where in self.fields:
            return
        result = compose(holder, parts, root)
        if result is None:
            return
        name = container or text(get(holder, "name"))
        if result.reason is None:
            self.emit(result.raw, result.node.line, where, self.direct_class, name)
            return
        self.fields.add(where)
        self.make(
            result.raw,
            None,
            "unresolved",
            result.node.line,
            where,
            name,
            result.reason,
            found_in=self.direct_class,
        )

    # -- emitting ------------------------------------------------------------------------
    def image(self, value: Node, field: str, use_class: UseClass, container: str | None) -> None:
        """A field that names an image."""
        if field in self.fields:
            return
        if isinstance(value, ScalarNode):
            if value.is_null:
                self.make(
                    "",
                    None,
                    "invalid",
                    value.line,
                    field,
                    container,
                    "no image given (the value is empty)",
                    found_in=use_class,
                )
                self.fields.add(field)
                return
            typed = _not_a_string(value)
            if typed is not None:  # image: 123 is a number to Kubernetes, which rejects it
                self.make(
                    value.value,
                    None,
                    "invalid",
                    value.line,
                    field,
                    container,
                    f"an image must be a string, not {typed} (quote it)",
                    found_in=use_class,
                )
                self.fields.add(field)
                return
            self.emit(value.value, value.line, field, use_class, container)
            return
        self.fields.add(field)
        template = _unquoted_template(value)
        if template is not None:
            self.make(
                template,
                None,
                "unresolved",
                value.line,
                field,
                container,
                f"template not rendered: {template} (Helm or Go template, unquoted)",
                found_in=use_class,
            )
            return
        self.make(
            "",
            None,
            "invalid",
            value.line,
            field,
            container,
            "an image must be a string, not a mapping or list",
            found_in=use_class,
        )

    def emit(
        self, raw: str, line: int, field: str, use_class: UseClass, container: str | None
    ) -> None:
        self.fields.add(field)
        verdict = cls.classify(raw, use_class, self.templating, self.parameters)
        self.make(
            raw,
            verdict.image,
            verdict.use_class,
            line,
            field,
            container,
            verdict.reason,
            found_in=use_class,
        )

    def indirect(
        self, raw: str, line: int, field: str, container: str | None, *, named: bool
    ) -> None:
        """Free text that may name an image (only clear ones count)."""
        if named:
            reason = cls.placeholder_reason(raw, self.templating, self.parameters)
            if reason is not None:
                self.make(
                    raw, None, "unresolved", line, field, container, reason, found_in="indirect"
                )
                return
        image = cls.indirect_image(raw, named_image=named)
        if image is not None:
            self.make(raw, image, "indirect", line, field, container, None)

    def make(
        self,
        raw: str,
        image: ImageRef | None,
        use_class: UseClass,
        line: int,
        field: str,
        container: str | None,
        reason: str | None,
        *,
        found_in: UseClass | None = None,
    ) -> None:
        obj = self.obj
        self.uses.append(
            ImageUse(
                raw=raw,
                image=image,
                use_class=use_class,
                file=self.origin.file,
                line=line,
                document=self.origin.document,
                field=share(f"{self.prefix}{field}"),
                kind=obj.kind,
                api_version=obj.api_version,
                namespace=obj.namespace,
                name=obj.name,
                container=container,
                source=self.origin.source,
                reason=reason,
                found_in=found_in if found_in != use_class else None,
                rule=self.label,
            )
        )


def _unquoted_template(value: Node) -> str | None:
    """``image: {{ .Values.image }}`` unquoted is valid YAML: a mapping in a mapping."""
    if not (isinstance(value, MapNode) and len(value.pairs) == 1):
        return None
    inner, _ = value.pairs[0]
    if not isinstance(inner, MapNode) or not inner.pairs:
        return None
    words = [key.value for key, _ in inner.pairs if isinstance(key, ScalarNode)]
    return "{{ " + ", ".join(words) + " }}" if words else None


def resolve(root: MapNode, path: str) -> Iterator[tuple[Node, str, str | None]]:
    """The nodes at ``path`` with their field paths and the nearest list item's ``name``."""
    if "[" not in path and "*" not in path:  # plain keys (spec.template.spec): one node
        node: Node = root
        for step in path.split("."):
            child = get(node, step) if isinstance(node, MapNode) else None
            if child is None:
                return iter(())
            node = child
        return iter(((node, path, None),))
    return resolve_steps(root, path)


def resolve_steps(root: MapNode, path: str) -> Iterator[tuple[Node, str, str | None]]:
    """``resolve`` step by step, for any path (wildcards and lists too)."""
    frontier: list[tuple[Node, str, str | None]] = [(root, "", None)]
    for step in path.split("."):
        each = step.endswith("[]")
        key = step[:-2] if each else step
        following: list[tuple[Node, str, str | None]] = []
        for node, field, named in frontier:
            if not isinstance(node, MapNode):
                continue
            if key == "*":  # any key (user rules: spec.*.image)
                children = list(entries(node))
            else:
                child = get(node, key)
                children = [] if child is None else [(key, child)]
            for child_key, child in children:
                where = f"{field}.{child_key}" if field else child_key
                if not each:
                    following.append((child, where, named))
                    continue
                for index, item in enumerate(items(child)):
                    item_name = text(get(item, "name")) if isinstance(item, MapNode) else None
                    following.append((item, f"{where}[{index}]", item_name or named))
        frontier = following
    return iter(frontier)


_YAML_TYPES = {
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "true/false",
}


def _not_a_string(node: ScalarNode) -> str | None:
    """What an unquoted scalar is when YAML (and so Kubernetes) reads it as no string."""
    if not node.plain:
        return None
    from yaml.nodes import ScalarNode as YamlScalar

    tag = _resolver().resolve(YamlScalar, node.value, (True, False))  # type: ignore[no-untyped-call]
    return _YAML_TYPES.get(tag)


@lru_cache(maxsize=1)
def _resolver() -> Resolver:
    return Resolver()
