"""Is this string an image, a placeholder, or nothing? One answer per value.

Two questions are asked of strings:

- ``classify``: for fields that *are* images (``containers[].image``): a placeholder that
  some tool fills in later gives ``unresolved`` with the reason, a string the reference
  parser refuses gives ``invalid`` with its message, anything else is the image.
- ``indirect_image``: for free text (container args, env values, ConfigMap data): only a
  string that parses as a reference *and* looks like one counts. When the name it is
  given under says image (``--engine-image``, ``CSI_ATTACHER_IMAGE``) a tag, a digest or
  a registry host is enough; with no such name it must have a ``/`` and a tag or digest
  (``quay.io/x/y:v1``) and a bare numeric tag only with a registry host, so that
  ``kube-system/kubelet`` or ``ns/svc:8080`` never pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from analyzer.frozen import Frozen
from analyzer.model import UseClass
from analyzer.reference import ImageRef, InvalidImageReference, is_domain_component, parse_image


@dataclass(frozen=True)
class Verdict(Frozen):
    use_class: UseClass
    image: ImageRef | None
    reason: str | None = None


# The placeholders are found by str.find, not by searching with a pattern such as
# ``\{\{.*?\}\}`` or ``\$\([^)]*\)``: the search retries at every opening and scans to the end
# of the value each time when nothing closes it (quadratic: a value of 30,000 ``{{`` took
# 78 s). Each function finds what that pattern's search would, in one pass.
_ARGO_HEAD = re.compile(
    r"\{\{\s*(?:inputs|outputs|workflow|steps|tasks|item|pod|node|retries|lastRetry|=)"
)
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
#: words that, next to "image", mean the value is only part of a reference or not one
_PARTIAL_WORDS = frozenset(
    {
        "pull",
        "policy",
        "secret",
        "secrets",
        "registry",
        "registries",
        "repo",
        "repository",
        "tag",
        "version",
        "digest",
        "prefix",
        "suffix",
        "name",
        "path",
        "dir",
        "file",
        "url",
        "format",
        "id",
        "sha",
        "hash",
        "owner",
        "org",
        "project",
    }
)


#: one ImageRef per distinct string: uses of the same image share it (and parse it once)
_parse = lru_cache(maxsize=1 << 14)(parse_image)


def placeholder_reason(
    raw: str, templating: str | None = None, parameters: Mapping[str, str] | None = None
) -> str | None:
    """Why ``raw`` cannot be pulled as written yet, or None when it is not a placeholder.

    ``parameters`` maps Tekton parameter names to how they are filled in
    (``"default gcr.io/kaniko-project/executor:v1.8.1"``), quoted in the reason.
    """
    if raw.startswith("ko://"):
        return "ko build path: `ko resolve` replaces it with the image it builds"
    if "<no value>" in raw:
        return "Helm rendered a value that is not set (<no value>)"
    if "{{" in raw:
        argo = _argo_variable(raw)
        if argo is not None or templating == "argo":
            shown = argo or _go_template(raw) or raw
            return f"Argo Workflows variable {shown}, substituted when the workflow runs"
        return f"template not rendered: {_go_template(raw) or raw} (Helm or Go template)"
    paren = _variable(raw, "$(", ")")
    if paren is not None:
        name = paren[2:-1]
        if name.startswith(("params.", "inputs.params.")) or templating == "tekton":
            reason = f"Tekton parameter {paren}, substituted when the task runs"
            given = (parameters or {}).get(name.rpartition(".")[2].strip("[]'\""))
            return f"{reason}; {given}" if given else reason
        return f"variable {paren}, substituted at run time"
    brace = _variable(raw, "${", "}")
    if brace is not None:
        return f"variable {brace} not substituted (envsubst or a shell)"
    return None


def _argo_variable(raw: str) -> str | None:
    """What ``\\{\\{\\s*(inputs|...|=)[^}]*\\}\\}`` would find first: a head, then ``}}`` at the
    first ``}`` after it."""
    close = -1
    for head in _ARGO_HEAD.finditer(raw):  # heads cannot overlap: each is found once
        if close < head.end():
            close = raw.find("}", head.end())
            if close == -1:
                return None  # no later head is closed either
        if raw.startswith("}}", close):
            return raw[head.start() : close + 2]
    return None


def _go_template(raw: str) -> str | None:
    """What ``\\{\\{.*?\\}\\}`` would find first: ``{{`` then ``}}`` on the same line."""
    start = raw.find("{{")
    while start != -1:
        line_end = raw.find("\n", start)
        if line_end == -1:
            line_end = len(raw)
        close = raw.find("}}", start + 2, line_end)
        if close != -1:
            return raw[start : close + 2]
        start = raw.find("{{", line_end)  # no later "{{" of this line is closed either
    return None


def _variable(raw: str, opening: str, closing: str) -> str | None:
    """What ``\\$\\(([^)]*)\\)`` (``opening`` "$(", ``closing`` ")") would find first."""
    start = raw.find(opening)
    if start == -1:
        return None
    close = raw.find(closing, start + 2)  # none: no later opening is closed either
    return None if close == -1 else raw[start : close + 1]


def classify(
    raw: str,
    direct_class: UseClass,
    templating: str | None = None,
    parameters: Mapping[str, str] | None = None,
) -> Verdict:
    """The verdict for a field that names an image."""
    reason = placeholder_reason(raw, templating, parameters)
    if reason is not None:
        return Verdict("unresolved", None, reason)
    try:
        return Verdict(direct_class, _parse(raw))
    except InvalidImageReference as exc:
        return Verdict("invalid", None, exc.message)


def says_image(name: str) -> bool:
    """True for names like ``engine-image``, ``CSI_ATTACHER_IMAGE``, ``builderImage``."""
    words = [word.lower() for word in _WORDS.findall(name)]
    if not any(word in ("image", "images") for word in words):
        return False
    return not any(word in _PARTIAL_WORDS for word in words)


def has_registry_host(raw: str) -> bool:
    first, slash, _ = raw.partition("/")
    return bool(slash) and is_domain_component(first)


def indirect_image(raw: str, *, named_image: bool) -> ImageRef | None:
    """The image ``raw`` names when it clearly is one, else None (see the module notes)."""
    if not raw or len(raw) > 512 or raw[0] in "-/.:$" or "://" in raw:
        return None
    try:
        image = _parse(raw)
    except InvalidImageReference:
        return None
    host = has_registry_host(raw)
    if named_image:
        return image if (host or image.tag is not None or image.digest is not None) else None
    if "/" not in raw:
        return None
    if image.digest is not None:
        return image
    if image.tag is None:
        return None
    if image.tag.isdigit() and not host:
        return None  # ns/service:8080
    return image
