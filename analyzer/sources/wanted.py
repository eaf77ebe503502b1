"""Which parts of an object extraction reads: the line reader builds only those.

``want_for(api_version, kind)`` answers a ``Want`` for the objects whose every read is
known: core kinds that hold no image (only ``kind``, ``apiVersion``, ``items`` and the
names in ``metadata`` are read) and core kinds whose rule has only pod specs (their
containers' ``name``, ``image``, ``command``, ``args`` and ``env``, and ``volumes[].image``
too). A ``Want`` is a mapping from a key to what is read of its value: ``None`` all of
it, a ``Want`` only those keys (in a sequence: of each item). Keys a ``Want`` leaves out
are still read and checked by the line reader, line by line, but no node is made for
them, so the tree holds only what ``extract`` looks at.

The items of a root ``items`` sequence (a ``List``) are asked about one by one, each
by its own ``apiVersion`` and ``kind``, as ``ListedItems`` extracts each alone.

Everything else answers None (build it all): custom resources (the shape search reads
every key), lists, ConfigMaps, kinds with other paths, kinds that carry image overrides,
and any run with user rules (the caller never asks then). ``tests/test_sources_wanted.py``
checks that extraction finds the same in the pruned tree as in the full one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Union

from analyzer.sources.kinds import Rule, lookup

#: what is read of a mapping's values by key (None: the whole value)
Want = dict[str, Union["Want", None]]
WantFor = Callable[[str | None, str | None], "Want | None"]

#: what ``extract._ObjectReader.container`` reads of a container
_CONTAINER: Want = {"name": None, "image": None, "command": None, "args": None, "env": None}
#: what ``extract._ObjectReader.pod_spec`` reads of a pod spec
POD_SPEC: Want = {
    "containers": _CONTAINER,
    "initContainers": _CONTAINER,
    "ephemeralContainers": _CONTAINER,
    "volumes": {"image": None},
}
#: what ``extract._read_object`` (and the reader: ``_counts``, ``tree_is_crd``,
#: ``ListedItems.uses``) read of every object
OBJECT: Want = {
    "apiVersion": None,
    "kind": None,
    "items": None,
    "metadata": {"name": None, "generateName": None, "namespace": None},
}
#: kinds whose image overrides ``overrides.warnings`` reads (their groups are custom
#: resources anyway; named here so that a change there cannot prune them)
_OVERRIDES = frozenset({"Kustomization", "Component", "Application", "ApplicationSet"})


def want_for(api_version: str | None, kind: str | None) -> Want | None:
    """What extraction reads of an object of this kind, or None: everything. An empty
    ``apiVersion`` (or ``kind``) is none at all to extraction (``text(...) or ...``): a
    kind it does not know is then searched by shape, so nothing is pruned."""
    if not api_version or not kind:
        return None
    return _want(api_version, kind)


@lru_cache(maxsize=256)
def _want(api_version: str, kind: str) -> Want | None:
    if kind.endswith("List") or kind in _OVERRIDES:
        return None
    rule, custom, _ = lookup(api_version, kind)
    if custom:
        return None
    if rule is None:
        return OBJECT
    if not _only_pod_specs(rule):
        return None
    want = _copy(OBJECT)
    for path in rule.pod_specs:
        _add(want, path.split("."), POD_SPEC)
    return want


def _only_pod_specs(rule: Rule) -> bool:
    others = (rule.containers, rule.images, rule.params, rule.data, rule.manifests, rule.parts)
    return not any(others) and not rule.exact and not rule.user


def _copy(want: Want) -> Want:
    return {key: None if value is None else _copy(value) for key, value in want.items()}


def _add(want: Want, steps: list[str], leaf: Want) -> None:
    """``leaf`` at the dotted path ``steps`` (plain keys: pod spec paths have no ``[]``)."""
    key = steps[0]
    if any(char in key for char in "[]*"):
        raise ValueError(f"pod spec path step {key!r} cannot be pruned")
    if key in want and want[key] is None:
        return  # the whole value is read already
    inner = want.setdefault(key, {})
    assert inner is not None
    if len(steps) == 1:
        for name, value in leaf.items():
            inner[name] = None if value is None else _copy(value)
        return
    _add(inner, steps[1:], leaf)
