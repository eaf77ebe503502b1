"""CustomResourceDefinitions: told from their text, exactly, so they are never built.

CRDs are most of the bytes of real installs (their OpenAPI schemas) and hold no image.
``skip_as_crd`` answers True only when a full parse would read the document as a CRD
(``kind: CustomResourceDefinition`` in ``apiextensions.k8s.io``) *without any error*;
whenever the text leaves room for doubt it answers False and the document is parsed.

How a text decision is made exact:

- the top-level keys of a block mapping at column 0 all start lines at column 0, so the
  document's lines at column 0 must each be a simple ``key:`` line (or a ``- `` item of
  the previous key's value), and only comments may come before the first one; ``kind``
  and ``apiVersion`` appear once each, with the CRD values written alone on their lines;
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

``tests/test_sources_crd.py`` compares this with a full parse on the corpus and on
generated adversarial documents.
"""

from __future__ import annotations

import re
from functools import lru_cache

import yaml

from analyzer.sources.limits import Limits
from analyzer.sources.tree import MapNode, Node, get, text
from analyzer.sources.yaml_tree import HAVE_LIBYAML, check_syntax, odd_line_breaks

CRD_KIND = "CustomResourceDefinition"
CRD_GROUP = "apiextensions.k8s.io"

_COLUMN_0 = re.compile(rb"^[^\s#][^\n]*", re.MULTILINE)
_KEY = re.compile(rb"([A-Za-z0-9_][A-Za-z0-9_./-]*):(?:[ \t]([^\n]*)|\r)?")
_ITEM = re.compile(rb"-(?:[ \t][^\n]*)?\r?")
_MARKER = re.compile(rb"---[ \t]*(?:#[^\n]*)?\r?")
_END = rb"[ \t]*(?:[ \t]#[^\n]*)?\r?"
_KIND_VALUE = re.compile(rb"[ \t]*(?P<q>[\"']?)CustomResourceDefinition(?P=q)" + _END)
_GROUP_VALUE = re.compile(rb"[ \t]*(?P<q>[\"']?)apiextensions\.k8s\.io/[A-Za-z0-9.-]+(?P=q)" + _END)
#: only blank and comment lines may follow the kind and apiVersion lines (no continuation)
_QUIET_LINES = re.compile(rb"(?:[ \t]*(?:#[^\n]*)?\r?\n)*[ \t]*(?:#[^\n]*)?\r?")
#: a python/ tag, or a tag spelled with %-escapes (which could spell one)
_RISKY_TAG = re.compile(rb"![^\s]*(?:python|%)")
_ALIAS_BEFORE = frozenset(b" \t\r\n[{,")
_ALIAS_NOT_AFTER = frozenset(b" \t\r\n[]{},")


def is_crd(api_version: str | None, kind: str | None) -> bool:
    return kind == CRD_KIND and (api_version or "").startswith(CRD_GROUP + "/")


def tree_is_crd(root: Node | None) -> bool:
    """The same question asked of a built document."""
    if not isinstance(root, MapNode):
        return False
    return is_crd(text(get(root, "apiVersion")), text(get(root, "kind")))


def skip_as_crd(data: bytes, limits: Limits) -> bool:
    """True only when ``data`` (one YAML document) is a CRD that parses without error."""
    if not HAVE_LIBYAML or b"CustomResourceDefinition" not in data:
        return False
    if _doubtful(data) or not _depth_checked_by_libyaml(limits.max_depth):
        return False
    keys: list[int] = []  # offsets of the top-level key lines
    found = {b"kind": 0, b"apiVersion": 0}
    for line in _COLUMN_0.finditer(data):
        start, end = line.span()
        key = _KEY.fullmatch(data, start, end)
        if key is not None:
            name = key.group(1)
            if name in found:
                found[name] += 1
                value = _KIND_VALUE if name == b"kind" else _GROUP_VALUE
                if not value.fullmatch(data, key.start(2) if key.group(2) else end, end):
                    return False
                following = _COLUMN_0.search(data, end)
                quiet_end = following.start() if following is not None else len(data)
                if not _QUIET_LINES.fullmatch(data, min(end + 1, quiet_end), quiet_end):
                    return False
            keys.append(start)
        elif _ITEM.fullmatch(data, start, end) is not None and keys:
            continue
        elif not (start == 0 and _MARKER.fullmatch(data, start, end) is not None):
            return False
    if found != {b"kind": 1, b"apiVersion": 1}:
        return False
    # before the first key: the --- line, blank lines and comments only (no root scalar)
    marker = _MARKER.match(data)
    head = marker.end() + 1 if marker is not None else 0
    if head < keys[0] and not _QUIET_LINES.fullmatch(data, head, keys[0]):
        return False
    return _parses_as_entries(data, keys)


def _parses_as_entries(data: bytes, keys: list[int]) -> bool:
    """libyaml accepts ``data`` with a ``---`` line before each top-level key line, and
    with ``@`` for each ``*`` that could start an alias (aliases, undefined or not, are
    left to the full parse: libyaml's parser does not resolve them)."""
    pieces = [data[: keys[0]]]
    pieces.extend(data[start:end] for start, end in zip(keys, [*keys[1:], len(data)], strict=True))
    try:
        check_syntax(_disarm_aliases(b"---\n".join(pieces)))
    except yaml.YAMLError:
        return False
    return True


def _doubtful(data: bytes) -> bool:
    """What libyaml's parser reads otherwise than the lines here, or does not check."""
    if odd_line_breaks(data) or b"\xef\xbb\xbf" in data:
        return True
    return b"!" in data and _RISKY_TAG.search(data) is not None


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
        b"".join(b" " * level + b"k:\n" for level in range(deeper)),
        b"- " * deeper + b"x\n",
    )
    for sample in samples:
        try:
            check_syntax(sample)
        except yaml.YAMLError:
            continue
        return False
    return True
