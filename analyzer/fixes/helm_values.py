"""``coverage rewrite --format helm``: ``--set`` values for the image fields of a chart's
``values.yaml``.

Image fields found: a string under a key named ``image`` (or ending in ``Image``) that
parses as a reference, and a mapping with a ``repository`` string (with ``registry``,
``tag``, ``digest`` beside it when present: the layout most charts use). A field whose image
the mirror holds gets ``--set`` values; the others are listed with the reason they stay.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from analyzer.fixes.mirror_names import mirror_name
from analyzer.fixes.rewrite import Kept, suffix, why_not
from analyzer.mirrors import Catalogues
from analyzer.mirrors.embedded import DAOCLOUD_PATH_HOST
from analyzer.reference import ImageRef, InvalidImageReference, parse_image


@dataclass(frozen=True)
class ImageField:
    key: str  # the --set path: a.b[0].image
    ref: ImageRef
    written: str
    mapping: bool  # a {registry, repository, tag} mapping rather than a string
    has_registry: bool = False


def _key(prefix: str, name: str) -> str:
    escaped = name.replace(".", "\\.")
    return f"{prefix}.{escaped}" if prefix else escaped


def _parse(text: str) -> ImageRef | None:
    try:
        return parse_image(text)
    except InvalidImageReference:
        return None


def image_fields(tree: Any, prefix: str = "") -> Iterator[ImageField]:
    """Every image field of a values tree, depth first in file order."""
    if isinstance(tree, list):
        for index, item in enumerate(tree):
            yield from image_fields(item, f"{prefix}[{index}]")
        return
    if not isinstance(tree, dict):
        return
    repository = tree.get("repository")
    if isinstance(repository, str) and repository:
        registry = tree.get("registry")
        text = f"{registry}/{repository}" if isinstance(registry, str) and registry else repository
        tag, digest = tree.get("tag"), tree.get("digest")
        text += f":{tag}" if isinstance(tag, (str, int, float)) and str(tag) else ""
        text += f"@{digest}" if isinstance(digest, str) and digest else ""
        ref = _parse(text)
        if ref is not None:
            has_registry = isinstance(registry, str) and bool(registry)
            yield ImageField(prefix, ref, text, True, has_registry)
            return
    for name, value in tree.items():
        key = _key(prefix, str(name))
        if isinstance(value, str) and str(name).lower().endswith("image"):
            ref = _parse(value)
            if ref is not None:
                yield ImageField(key, ref, value, False)
                continue
        yield from image_fields(value, key)


def _prefix(ref: ImageRef, style: str) -> str:
    """What goes in a chart's ``registry`` value so that ``registry/path`` is the mirror's."""
    name = mirror_name(ref, style) or ""
    return name.removesuffix("/" + ref.path) or DAOCLOUD_PATH_HOST


def helm_sets(
    fields: list[ImageField], catalogues: Catalogues, style: str, where: str
) -> tuple[list[str], list[Kept]]:
    """``--set key=value`` arguments, and the fields that stay."""
    sets: list[str] = []
    kept: list[Kept] = []
    for field in fields:
        reason = why_not(field.ref, style, catalogues)
        if reason is not None:
            kept.append(Kept(field.written, f"{where}: {field.key}", reason))
            continue
        name = mirror_name(field.ref, style)
        assert name is not None
        if not field.mapping:
            sets.append(f"{field.key}={name}{suffix(field.ref)}")
        elif field.has_registry:
            sets.append(f"{field.key}.registry={_prefix(field.ref, style)}")
            sets.append(f"{field.key}.repository={field.ref.path}")
        else:
            sets.append(f"{field.key}.repository={name}")
    return sets, kept
