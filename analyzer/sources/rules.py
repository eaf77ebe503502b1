"""Your own extraction rules: where your custom resources keep their images.

Like Kyverno's ``imageExtractors`` and kbld's ``searchRules``, a rule names a ``kind``
(optionally its API ``group``), the ``path`` of the field that names the image (dotted
keys; ``*`` any key, ``[]`` each item of a list) and, optionally, the sibling fields the
reference is composed from (``repository`` in front, ``registry`` before that, ``tag`` and
``digest`` after)::

    [[rules]]                      # [[tool.image-coverage.rules]] in pyproject.toml
    kind = "Workspace"
    group = "dev.example.com"
    path = "spec.tools.*.image"
    repository = "repository"
    tag = "version"

User rules are followed before the built-in table; a field a rule reports is not reported
again. ``coverage images --explain-rules`` shows which rule found each use.
"""

from __future__ import annotations

import re
from typing import Any

from analyzer.sources.kinds import Parts, Rule

_STEP = re.compile(r"(?:\*|[^.\[\]*]+)(?:\[\])?")
_KEYS = ("kind", "group", "path", "repository", "registry", "tag", "digest")
_PART_KEYS = ("repository", "registry", "tag", "digest")


class RuleError(ValueError):
    """A rule that cannot be used; the message says which and why."""


def parse_rules(entries: Any, where: str) -> tuple[Rule, ...]:
    """The ``rules`` array of a settings file (``where`` names the file for messages)."""
    if not isinstance(entries, list):
        raise RuleError(f"{where}: 'rules' must be an array of tables ([[rules]])")
    return tuple(_parse(entry, index, where) for index, entry in enumerate(entries, 1))


def _parse(entry: Any, index: int, where: str) -> Rule:
    name = f"{where}: rule {index}"
    if not isinstance(entry, dict):
        raise RuleError(f"{name} must be a table")
    unknown = sorted(set(entry) - set(_KEYS))
    if unknown:
        raise RuleError(f"{name}: unknown key(s) {', '.join(unknown)} (use {', '.join(_KEYS)})")
    for key, value in entry.items():
        if not isinstance(value, str) or not value.strip():
            raise RuleError(f"{name}: '{key}' must be a non-empty string")
    for required in ("kind", "path"):
        if required not in entry:
            raise RuleError(f"{name}: '{required}' is required")
    kind, path, group = entry["kind"], entry["path"], entry.get("group")
    steps = path.split(".")
    if not all(_STEP.fullmatch(step) for step in steps):
        raise RuleError(
            f"{name}: path {path!r} is not dotted keys ('*' any key, '[]' each list item)"
        )
    if steps[-1].endswith("[]") or steps[-1] == "*":
        raise RuleError(f"{name}: path {path!r} must end with the key that names the image")
    label = f"rule {index} of {where}: {kind}{f' ({group})' if group else ''} {path}"
    groups = (group,) if group else ()
    if not any(key in entry for key in _PART_KEYS):
        return Rule((kind,), groups, images=(path,), label=label, user=True)
    parts = Parts(
        at=".".join(steps[:-1]),
        name=steps[-1],
        repository=entry.get("repository"),
        registry=entry.get("registry"),
        tag=(entry["tag"],) if "tag" in entry else (),
        digest=entry.get("digest"),
    )
    return Rule((kind,), groups, parts=(parts,), label=label, user=True)
