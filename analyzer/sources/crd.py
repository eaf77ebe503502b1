"""Documents that hold no image, told from their text, exactly, so they are never built.

CustomResourceDefinitions are most of the bytes of real installs (their OpenAPI schemas)
and hold no image; RBAC objects, Services, ServiceAccounts and the other kinds of
``NO_IMAGE_CANDIDATES`` hold none either (no rule of ``kinds`` reads them, they are served
by Kubernetes itself so no shape search applies, and no override warning is about them).
``skip_as_crd`` answers True only when a full parse would read the document as a CRD
(``kind: CustomResourceDefinition`` in ``apiextensions.k8s.io``) *without any error*;
``skip_without_image`` the same for any kind of ``skippable`` (CRDs included), unless a
user rule reads that kind. Whenever the text leaves room for doubt they answer False and
the document is parsed.

How a text decision is made exact:

- the top-level keys of a block mapping at column 0 all start lines at column 0, so the
  document's lines at column 0 must each be a simple ``key:`` line (or a ``- `` item of
  the previous key's value), and only comments may come before the first one; ``kind``
  and ``apiVersion`` appear once each, their values written alone on their lines, plain
  or quoted without escapes, in spellings YAML reads as those strings only (a kind is
  letters, and one of the table's: never ``null`` or ``true``; a core ``apiVersion`` is
  ``v1``-like, another has a ``/``);
- a document is skipped only when libyaml's parse of it counts no more events than
  ``Limits.max_nodes`` (every node is an event, so it cannot hold more nodes than the full
  parse accepts: a bigger one takes the full parse, which refuses it with an error);
- a ``---`` line is put before every such key line and libyaml parses the result in C
  (``raw_parse``, no Python objects): a ``---`` inside a quoted scalar or a flow
  collection is a syntax error, so a ``kind:`` line that only *looks* top-level (inside a
  multi-line annotation) fails here, while true top-level entries parse as documents of
  their own; the same parse checks the syntax, encoding and nesting depth of everything;
- what libyaml's parser does not check is made a syntax error or refused by text:
  aliases (their errors and bombs are found when the tree is built) by writing ``@``
  for each ``*`` that could start one, so that only ``*`` inside text still parses;
  ``python/`` tags (an error); line breaks that libyaml counts but lines here do not (a
  lone CR, NEL, U+2028, U+2029), and a byte order mark.

``tests/test_sources_crd.py`` and ``tests/test_sources_no_image.py`` compare this with a
full parse on the corpus and on generated adversarial documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache

import yaml

from analyzer.sources.kinds import Rule, lookup
from analyzer.sources.limits import Limits
from analyzer.sources.tree import MapNode, Node, get, text
from analyzer.sources.yaml_tree import HAVE_LIBYAML, check_syntax, odd_line_breaks, tag_holding

CRD_KIND = "CustomResourceDefinition"
CRD_GROUP = "apiextensions.k8s.io"

#: kinds of built-in groups that hold no image field (group -> kinds); ``skippable``
#: keeps only those the kinds table really reads nothing from
NO_IMAGE_CANDIDATES: dict[str, tuple[str, ...]] = {
    "": (
        "Service",
        "ServiceAccount",
        "Namespace",
        "Secret",
        "Endpoints",
        "LimitRange",
        "ResourceQuota",
        "PersistentVolume",
        "PersistentVolumeClaim",
    ),
    "rbac.authorization.k8s.io": ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"),
    "networking.k8s.io": ("NetworkPolicy", "IngressClass", "Ingress"),
    "admissionregistration.k8s.io": (
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
    ),
    "apiextensions.k8s.io": (CRD_KIND,),
    "apiregistration.k8s.io": ("APIService",),
    "policy": ("PodDisruptionBudget",),
    "scheduling.k8s.io": ("PriorityClass",),
    "storage.k8s.io": ("StorageClass",),
}
#: a value of ``kind`` or ``apiVersion`` that YAML reads as that very string
_KIND_TEXT = rb"(?P<q>[\"']?)(?P<value>[A-Za-z]+)(?P=q)"
_API_TEXT = (
    rb"(?P<q>[\"']?)(?P<value>[a-z0-9.-]+/[A-Za-z0-9.-]+|v[0-9]+(?:(?:alpha|beta)[0-9]+)?)(?P=q)"
)
_HINT = re.compile(rb"^kind:[ \t]*[\"']?([A-Za-z]+)", re.MULTILINE)

#: the start of a line at column 0 that is no blank line and no comment, after the first
#: (a search for the line break first: many times faster than ``^`` in MULTILINE mode)
_NEXT_COLUMN_0 = re.compile(rb"\n[^\s#]")
_NOT_COLUMN_0 = frozenset(b" \t\n\r\f\v#")
_KEY = re.compile(rb"([A-Za-z0-9_][A-Za-z0-9_./-]*):(?:[ \t]([^\n]*)|\r)?")
_ITEM = re.compile(rb"-(?:[ \t][^\n]*)?\r?")
#: a ``---`` line: a blank must come between it and a comment (``---#`` is a scalar)
_MARKER = re.compile(rb"---(?:[ \t]+(?:#[^\n]*)?)?\r?")
_END = rb"[ \t]*(?:[ \t]#[^\n]*)?\r?"
_VALUES = {
    b"kind": re.compile(rb"[ \t]*" + _KIND_TEXT + _END),
    b"apiVersion": re.compile(rb"[ \t]*" + _API_TEXT + _END),
}
#: only blank and comment lines may follow the kind and apiVersion lines (no continuation)
_QUIET_LINES = re.compile(rb"(?:[ \t]*(?:#[^\n]*)?\r?\n)*[ \t]*(?:#[^\n]*)?\r?")
#: in a tag, these make it risky: a python/ tag, or %-escapes (which could spell one)
_RISKY_IN_TAG = (b"python", b"%")
#: "?" and ":" too: in a flow collection libyaml starts an alias right after a "?" ({?*a})
#: and right after the ":" of a quoted key ({"a":*b}); elsewhere "?*"/":*" are plain text
_ALIAS_BEFORE = frozenset(b" \t\r\n[{,:?")
_ALIAS_NOT_AFTER = frozenset(b" \t\r\n[]{},")


def is_crd(api_version: str | None, kind: str | None) -> bool:
    return kind == CRD_KIND and (api_version or "").startswith(CRD_GROUP + "/")


def tree_is_crd(root: Node | None) -> bool:
    """The same question asked of a built document."""
    if not isinstance(root, MapNode):
        return False
    return is_crd(text(get(root, "apiVersion")), text(get(root, "kind")))


def skippable() -> Mapping[str, frozenset[str]]:
    """Kind -> the groups in which a document of that kind holds no image: the candidates
    the kinds table reads nothing from and warns nothing about (no rule, not a custom
    resource, no ``List``)."""
    return _skippable()


@lru_cache(maxsize=1)
def _skippable() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for group, kinds in NO_IMAGE_CANDIDATES.items():
        for kind in kinds:
            api_version = f"{group}/v1" if group else "v1"
            if lookup(api_version, kind) == (None, False, None) and not kind.endswith("List"):
                table.setdefault(kind, set()).add(group)
    return {kind: frozenset(groups) for kind, groups in table.items()}


_CRD_ONLY = {CRD_KIND: frozenset({CRD_GROUP})}


def skip_as_crd(data: bytes, limits: Limits) -> bool:
    """True only when ``data`` (one YAML document) is a CRD that parses without error."""
    if not HAVE_LIBYAML or b"CustomResourceDefinition" not in data:
        return False
    return _holds_only(data, limits, _CRD_ONLY)


def skip_without_image(data: bytes, limits: Limits, rules: Sequence[Rule] = ()) -> bool:
    """True only when ``data`` (one YAML document) parses without error into an object of
    a kind of ``skippable()`` that no user rule reads: it holds no image to report."""
    if not HAVE_LIBYAML:
        return False
    hint = _HINT.search(data)
    if hint is None:
        return False
    kind = hint.group(1).decode("ascii")
    table = skippable()
    if kind not in table or any(kind in rule.kinds for rule in rules):
        return False
    return _holds_only(data, limits, {kind: table[kind]})


def _holds_only(data: bytes, limits: Limits, allowed: Mapping[str, frozenset[str]]) -> bool:
    """``data`` parses without error into a mapping whose ``kind`` and group (from its
    ``apiVersion``) are one of ``allowed``'s."""
    if _doubtful(data) or not _depth_checked_by_libyaml(limits.max_depth):
        return False
    keys: list[int] = []  # offsets of the top-level key lines
    found: dict[bytes, list[bytes]] = {b"kind": [], b"apiVersion": []}
    for start, end in _column_0_lines(data):
        key = _KEY.fullmatch(data, start, end)
        if key is not None:
            name = key.group(1)
            if name in found:
                value = _VALUES[name].fullmatch(data, key.start(2) if key.group(2) else end, end)
                if value is None:
                    return False
                found[name].append(value.group("value"))
                following = _NEXT_COLUMN_0.search(data, end)
                quiet_end = following.start() + 1 if following is not None else len(data)
                if not _QUIET_LINES.fullmatch(data, min(end + 1, quiet_end), quiet_end):
                    return False
            keys.append(start)
        elif _ITEM.fullmatch(data, start, end) is not None and keys:
            continue
        elif not (start == 0 and _MARKER.fullmatch(data, start, end) is not None):
            return False
    kinds, api_versions = found[b"kind"], found[b"apiVersion"]
    if len(kinds) != 1 or len(api_versions) != 1:
        return False
    group, slash, _ = api_versions[0].decode("ascii").partition("/")
    if (group if slash else "") not in allowed.get(kinds[0].decode("ascii"), ()):
        return False
    # before the first key: the --- line, blank lines and comments only (no root scalar)
    marker = _MARKER.match(data)
    head = marker.end() + 1 if marker is not None else 0
    if head < keys[0] and not _QUIET_LINES.fullmatch(data, head, keys[0]):
        return False
    return _parses_as_entries(data, keys, limits.max_nodes)


def _column_0_lines(data: bytes) -> Iterator[tuple[int, int]]:
    """Start and end (before its line break) of each line that starts at column 0 with
    neither white space nor ``#``: what ``^[^\\s#][^\\n]*`` finds in MULTILINE mode."""
    if data and data[0] not in _NOT_COLUMN_0:
        end = data.find(b"\n")
        yield 0, len(data) if end == -1 else end
    for found in _NEXT_COLUMN_0.finditer(data):
        start = found.start() + 1
        end = data.find(b"\n", start)
        yield start, len(data) if end == -1 else end


def _parses_as_entries(data: bytes, keys: list[int], max_nodes: int) -> bool:
    """libyaml accepts ``data`` with a ``---`` line before each top-level key line, and
    with ``@`` for each ``*`` that could start an alias (aliases, undefined or not, are
    left to the full parse: libyaml's parser does not resolve them), in no more events
    than ``max_nodes`` (the ``---`` lines only add events)."""
    pieces = [data[: keys[0]]]
    pieces.extend(data[start:end] for start, end in zip(keys, [*keys[1:], len(data)], strict=True))
    try:
        events = check_syntax(_disarm_aliases(b"---\n".join(pieces)))
    except yaml.YAMLError:
        return False
    return events <= max_nodes


def _doubtful(data: bytes) -> bool:
    """What libyaml's parser reads otherwise than the lines here, or does not check."""
    # every odd line break and the byte order mark is a CR or a byte over 0x7f
    if (not data.isascii() or b"\r" in data) and (odd_line_breaks(data) or b"\xef\xbb\xbf" in data):
        return True
    return b"!" in data and tag_holding(data, _RISKY_IN_TAG) is not None


def _disarm_aliases(data: bytes) -> bytes:
    """``@`` for each ``*`` where an alias could start: an error there, text elsewhere."""
    at = data.find(b"*")
    if at == -1:
        return data
    disarmed = bytearray(data)
    while at != -1:
        after = data[at + 1 : at + 2]
        if (
            (at == 0 or data[at - 1] in _ALIAS_BEFORE)
            and after
            and after[0] not in _ALIAS_NOT_AFTER
        ):
            disarmed[at] = ord("@")
        at = data.find(b"*", at + 1)
    return bytes(disarmed)


@lru_cache(maxsize=8)
def _depth_checked_by_libyaml(max_depth: int) -> bool:
    """libyaml refuses every document nested deeper than ``max_depth`` (libyaml 0.2.6
    stops at 1000 levels), so a document it parses is within the limit here too."""
    deeper = max_depth + 1
    samples = (
        b"[" * deeper + b"]" * deeper,
        b"".join([b" " * level + b"k:\n" for level in range(deeper)]),
        b"- " * deeper + b"x\n",
    )
    for sample in samples:
        try:
            check_syntax(sample)
        except yaml.YAMLError:
            continue
        return False
    return True
