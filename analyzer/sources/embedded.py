"""Images handed over in configuration: values that list images, or hold whole files.

- ``listed``: a multi-line value of an image-named variable, one image a line, optionally
  ``key=image`` (Strimzi's ``STRIMZI_KAFKA_IMAGES``: ``3.7.0=quay.io/strimzi/kafka:...``).
- ``documents``: a string value that is itself YAML or JSON (a ConfigMap's ``config.yaml``,
  an embedded manifest), parsed with the same limits as a file. Only values that mention
  ``image`` are parsed: every image the extractor can find there sits under a key that
  does, so the others (dashboards, scripts) cost nothing.

Lines: a value written as a block scalar (``key: |``) starts on the line after its key, so
its lines are the file's lines; a quoted multi-line string is only approximately placed.
"""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.sources.limits import DocumentError, Limits
from analyzer.sources.tree import Node


def listed(value: str, line: int) -> Iterator[tuple[int, str, str]]:
    """``(line, key, image text)`` of each non-empty line; the key is the part before
    ``=``, or the line's 0-based position among the entries."""
    first = line + 1
    position = 0
    for offset, raw in enumerate(value.split("\n")):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        key, equals, item = entry.partition("=")
        if equals:
            yield first + offset, key.strip(), item.strip()
        else:
            yield first + offset, str(position), entry
        position += 1


def may_hold_document(value: str) -> bool:
    """A value that looks like a YAML or JSON document rather than one word or reference."""
    return "\n" in value.strip() or value.lstrip()[:1] in ("{", "[")


def documents(value: str, line: int, limits: Limits) -> list[Node]:
    """The documents of a YAML or JSON value (none when it mentions no image or does not
    parse: such a value is a script or a template, not ours to judge)."""
    if "image" not in value.lower():
        return []
    first = line + 1 if "\n" in value else line
    from analyzer.sources.yaml_tree import build_yaml

    try:
        roots = build_yaml(value.encode("utf-8", "replace"), first, limits)
    except DocumentError:
        return []
    return [root for root in roots if root is not None]
