"""Images written in several fields, put back together the way their controller does.

``compose(holder, parts, root)`` follows one ``kinds.Parts`` entry: NVIDIA's
``ClusterPolicy`` (``repository`` + ``image`` + ``version``), Rancher's ``Plan``
(``image`` + ``spec.version``), the ``{registry, repository, tag, digest}`` maps of many
operators. A reference with a part missing is never completed with a guess: it comes back
with the reason, and the use is ``unresolved``.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.sources.kinds import Parts
from analyzer.sources.tree import MapNode, Node, ScalarNode, get, text

#: the parts the shape search looks for next to an ``image`` key
SIBLINGS = Parts(at="", tag=("tag", "version"))
#: ``image: {registry, repository, tag, digest}``
IMAGE_MAP = Parts(at="", name="repository", repository=None, tag=("tag",))


@dataclass(frozen=True)
class Composed:
    """A reference put together (``reason`` set: it cannot be, and ``raw`` says how far)."""

    raw: str
    node: ScalarNode  # the name part: its line is the use's line
    reason: str | None = None


def split_signal(holder: MapNode) -> bool:
    """Whether an ``image`` key's siblings say the image is written in parts."""
    return any(text(get(holder, key)) for key in ("repository", "registry", "tag", "digest"))


def siblings_for(holder: MapNode) -> Parts:
    """``version`` counts as the tag only next to a repository or registry (gpu-operator):
    alone it is usually the version of the software (Strimzi ``kafka.version``)."""
    if text(get(holder, "repository")) or text(get(holder, "registry")):
        return SIBLINGS
    return Parts(at="", tag=("tag",))


def compose(holder: MapNode, parts: Parts, root: MapNode) -> Composed | None:
    """The reference ``parts`` describe in ``holder`` (None when there is no name part)."""
    node = get(holder, parts.name)
    name = text(node)
    if parts.default_name is not None:
        return _default_or_given(node, name, parts, root)
    if not isinstance(node, ScalarNode) or not name:
        return None
    given = [parts.name]
    reference = name
    for key in (parts.repository, parts.registry):
        prefix = text(get(holder, key)) if key else None
        if prefix:
            reference = f"{prefix.rstrip('/')}/{reference}"
            given.insert(0, key or "")
    if _has_version(name):
        return Composed(reference, node)
    tag = next((value for key in parts.tag if (value := text(get(holder, key)))), None)
    digest = text(get(holder, parts.digest)) if parts.digest else None
    if tag is not None and tag.startswith("sha256:") and digest is None:
        tag, digest = None, tag
    reason: str | None = None
    if tag is None and digest is None and parts.tag_path:
        tag = _at(root, parts.tag_path)
        if tag is not None:
            for old, new in parts.tag_edits:
                tag = tag.replace(old, new)
        elif parts.run_time_tag and (chosen := _at(root, parts.run_time_tag)) is not None:
            reason = (
                f"the tag is decided when the controller runs, from {parts.run_time_tag} "
                f"({chosen}); set {parts.tag_path} to check this image"
            )
    if tag:
        reference = f"{reference}:{tag}"
    if digest:
        reference = f"{reference}@{digest}"
    if not tag and not digest:
        return Composed(reference, node, reason or _missing_tag(parts, given))
    if parts.tag_suffix and not digest:
        return Composed(reference, node, parts.tag_suffix)
    return Composed(reference, node)


def _missing_tag(parts: Parts, given: list[str]) -> str:
    wanted = [*parts.tag, *([parts.digest] if parts.digest else [])]
    if parts.tag_path:
        wanted.append(parts.tag_path)
    return (
        f"image in parts with no tag or digest ({' + '.join(given)} given, no "
        f"{' or '.join(wanted)}): the controller chooses it; not guessed as :latest"
    )


def _default_or_given(
    node: Node | None, name: str | None, parts: Parts, root: MapNode
) -> Composed | None:
    """The name as written when there is one, else ``default_name`` tagged from
    ``tag_path`` (the line of the use is the tag's); nothing when neither is there."""
    if isinstance(node, ScalarNode) and name:
        return Composed(name, node)
    tag_node = _node_at(root, parts.tag_path or "")
    tag = text(tag_node)
    if not isinstance(tag_node, ScalarNode) or not tag or parts.default_name is None:
        return None
    return Composed(f"{parts.default_name}:{tag}", tag_node)


def _node_at(root: MapNode, path: str) -> Node | None:
    node: Node | None = root
    for key in path.split("."):
        node = get(node, key) if isinstance(node, MapNode) else None
    return node


def _has_version(name: str) -> bool:
    """``name`` carries its own tag or digest (``x:1``, ``host:5000/x@sha256:...``)."""
    return "@" in name or ":" in name.rpartition("/")[2]


def _at(root: MapNode, path: str) -> str | None:
    return text(_node_at(root, path))
