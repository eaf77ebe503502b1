"""Image overrides that are applied by a tool this run does not run: a warning each.

A kustomization's ``images:`` only changes the images when kustomize renders it (a folder
given to ``coverage`` is rendered; a kustomization read as a plain document is not). Flux
``Kustomization`` ``spec.images`` and Argo CD ``Application`` (and ``ApplicationSet``
template) ``kustomize.images`` and Helm image values are applied in the cluster when the
controller renders the source. The images such objects deploy are not in the input: the
warning names the override so that the source can be rendered with it and checked.
"""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.sources.tree import MapNode, Node, ScalarNode, SeqNode, entries, get, items, text

_KUSTOMIZE_GROUPS = (None, "kustomize.config.k8s.io")
_SHOWN = 4


def warnings(node: MapNode, group: str | None, kind: str) -> list[tuple[int, str]]:
    """``(line, message)`` for each override in the object ``node``."""
    if kind in ("Kustomization", "Component") and group in _KUSTOMIZE_GROUPS:
        return [
            (
                line,
                f"kustomization images override {shown} is not applied: this file was "
                "read as a document; give its folder to coverage to render it with kustomize",
            )
            for line, shown in _kustomize_images(get(node, "images"))
        ]
    if kind == "Kustomization" and group == "kustomize.toolkit.fluxcd.io":
        spec = get(node, "spec")
        return [
            (
                line,
                f"Flux applies the images override {shown} when it builds spec.path; "
                "render that folder with it (kustomize edit set image) to check its images",
            )
            for line, shown in _kustomize_images(
                get(spec, "images") if isinstance(spec, MapNode) else None
            )
        ]
    if group == "argoproj.io" and kind in ("Application", "ApplicationSet"):
        return list(_argo(node, kind))
    return []


def _kustomize_images(images: Node | None) -> Iterator[tuple[int, str]]:
    for entry in items(images):
        if isinstance(entry, MapNode):
            name = text(get(entry, "name")) or "?"
            target = text(get(entry, "newName")) or name
            tag = text(get(entry, "newTag"))
            digest = text(get(entry, "digest"))
            shown = f"{name} -> {target}{f':{tag}' if tag else ''}{f'@{digest}' if digest else ''}"
            yield entry.line, shown
        elif isinstance(entry, ScalarNode) and text(entry):
            yield entry.line, str(text(entry))


def _argo(node: MapNode, kind: str) -> Iterator[tuple[int, str]]:
    spec = get(node, "spec")
    if kind == "ApplicationSet":
        template = get(spec, "template") if isinstance(spec, MapNode) else None
        spec = get(template, "spec") if isinstance(template, MapNode) else None
    if not isinstance(spec, MapNode):
        return
    sources: list[tuple[str, Node]] = []
    single = get(spec, "source")
    if single is not None:
        sources.append(("spec.source", single))
    sources.extend(
        (f"spec.sources[{i}]", item) for i, item in enumerate(items(get(spec, "sources")))
    )
    for where, source in sources:
        if not isinstance(source, MapNode):
            continue
        origin = (
            text(get(source, "chart"))
            or text(get(source, "path"))
            or text(get(source, "repoURL"))
            or "?"
        )
        kustomize = get(source, "kustomize")
        if isinstance(kustomize, MapNode):
            for line, shown in _kustomize_images(get(kustomize, "images")):
                yield (
                    line,
                    (
                        f"Argo CD overrides image {shown} ({where}.kustomize.images) when it "
                        f"renders {origin}; render that source with the override to check "
                        "its images"
                    ),
                )
        helm = get(source, "helm")
        if isinstance(helm, MapNode):
            settings = list(_helm_image_values(helm))
            if settings:
                line = settings[0][0]
                shown = ", ".join(setting for _, setting in settings[:_SHOWN])
                more = f" and {len(settings) - _SHOWN} more" if len(settings) > _SHOWN else ""
                yield (
                    line,
                    (
                        f"Argo CD sets Helm image values for {origin} "
                        f"({where}.helm: {shown}{more}); the chart is not rendered here: "
                        "render it with them (helm template, --helm-arg) to check its images"
                    ),
                )


def _helm_image_values(helm: MapNode) -> Iterator[tuple[int, str]]:
    values_object = get(helm, "valuesObject")
    if values_object is not None:
        yield from _image_leaves(values_object, "")
    values = get(helm, "values")
    if isinstance(values, ScalarNode) and "image" in values.value.lower():
        yield values.line, "values (a string that mentions image)"
    for parameter in items(get(helm, "parameters")):
        if isinstance(parameter, MapNode):
            name = text(get(parameter, "name")) or ""
            if "image" in name.lower():
                yield parameter.line, f"{name}={text(get(parameter, 'value')) or ''}"


def _image_leaves(node: Node, path: str) -> Iterator[tuple[int, str]]:
    """Scalar leaves whose path mentions an image (``image.tag=1.2``)."""
    if isinstance(node, MapNode):
        for key, value in entries(node):
            yield from _image_leaves(value, f"{path}.{key}" if path else key)
    elif isinstance(node, SeqNode):
        for index, item in enumerate(node.items):
            yield from _image_leaves(item, f"{path}[{index}]")
    elif "image" in path.lower() and text(node) is not None:
        yield node.line, f"{path}={text(node)}"
