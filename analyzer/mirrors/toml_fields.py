"""Which key of a TOML table fills a struct field, as containerd's TOML decoder decides.

containerd 1.6 and 1.7 decode ``hosts.toml`` with go-toml v1 (``tree.Unmarshal`` in
``remotes/docker/config/hosts.go``, go-toml v1.9.x): ``valueFromTree`` in ``marshal.go``
tries, in order, the tag as written, ``strings.ToLower(tag)``, ``strings.ToTitle(tag)`` and
the tag with a lower-case first letter, and takes the first that the table has. containerd's
tags are lower-case, so ``capabilities`` and ``CAPABILITIES`` fill the field and
``Capabilities`` is an unknown key.

containerd 2.x uses go-toml v2: ``structFieldPath`` in ``unmarshaler.go`` looks the key up
as written, then ``strings.ToLower(key)``: any spelling matches, and key-values are decoded
in file order, so the last spelling written wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from analyzer.mirrors.versions import ContainerdVersion

#: the ``hostFileConfig`` fields the analyser reads (hosts.go), and the root's ``server``
HOST_FIELDS: tuple[str, ...] = (
    "capabilities",
    "skip_verify",
    "ca",
    "client",
    "header",
    "override_path",
    "dial_timeout",
)
ROOT_FIELDS: tuple[str, ...] = (*HOST_FIELDS, "server")


def go_lower(key: str) -> str:
    """Go's ``strings.ToLower`` (simple case mapping, one rune for one: ``İ`` gives ``i``,
    where Python's ``str.lower`` gives two characters)."""
    return "".join("i" if c == "\u0130" else (c.lower() if len(c.lower()) == 1 else c) for c in key)


def v1_spellings(tag: str) -> tuple[str, ...]:
    """The keys go-toml v1 tries for ``tag``, in its order (marshal.go ``keysToTry``;
    ``ToTitle`` is ``upper`` for containerd's ASCII tags)."""
    return tuple(dict.fromkeys((tag, go_lower(tag), tag.upper(), go_lower(tag[:1]) + tag[1:])))


def field_key(table: Mapping[str, Any], tag: str, version: ContainerdVersion) -> str | None:
    """The key of ``table`` that fills the field tagged ``tag`` for containerd ``version``,
    or None."""
    if version.is_v1:
        return next((k for k in v1_spellings(tag) if k in table), None)
    matches = [k for k in table if go_lower(k) == tag]
    return matches[-1] if matches else None


def struct_fields(
    table: Mapping[str, Any], tags: Iterable[str], version: ContainerdVersion
) -> dict[str, Any]:
    """``table`` as containerd ``version`` decodes it into a struct with ``tags``: the values
    of the fields found, under their tags."""
    found = {tag: field_key(table, tag, version) for tag in tags}
    return {tag: table[key] for tag, key in found.items() if key is not None}


def spelling_warnings(table: Mapping[str, Any], tags: Iterable[str], where: str) -> list[str]:
    """Keys that fill a field in containerd 2.x but not in 1.6/1.7, or the other way round."""
    v1, v2 = ContainerdVersion(1, 7), ContainerdVersion(2, 0)
    warnings = []
    for tag in tags:
        old, new = field_key(table, tag, v1), field_key(table, tag, v2)
        if old != new:
            used = f"reads {new!r}" if new else "ignores it"
            warnings.append(
                f"{where}: containerd 1.6/1.7 (go-toml v1) read {old!r} as {tag}, containerd "
                f"2.x {used}"
                if old
                else f"{where}: containerd 2.x (go-toml v2) reads {new!r} as {tag}, "
                "containerd 1.6/1.7 (go-toml v1) ignore it: write it as "
                f"{tag!r}"
            )
    return warnings
