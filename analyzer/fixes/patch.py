"""``coverage request --format patch``: a unified diff against the list in use.

The list's own text is read (the embedded ``allows.txt``, the downloaded copy, or the
``--catalog`` file); new lines go where the list's order puts them (byte order, as
DaoCloud's ``LC_ALL=C sort -u``), or at the end of a list that is not sorted. In an
``allows.txt`` a new ``/*`` or ``/**`` line removes the lines it covers, as DaoCloud's
``hack/fmt-image-match.sh`` would (its CI rejects a list that still has them).
"""

from __future__ import annotations

import bisect
import difflib
import itertools
import os
from dataclasses import dataclass

from analyzer.fixes.lines import covers
from analyzer.fixes.request import ListRequest
from analyzer.mirrors.daocloud_lists import Pattern, parse_allows
from analyzer.mirrors.embedded import embedded_allows_text

EMBEDDED_SOURCE = "analyzer/data/allows.txt"
DAOCLOUD_PATH = "allows.txt"  # the list's path in DaoCloud/public-image-mirror


class PatchError(ValueError):
    """The list's text cannot be read, so no diff can be made against it."""


@dataclass(frozen=True)
class ListPatch:
    label: str  # the file name in the diff (allows.txt)
    diff: str
    removed: tuple[str, ...]  # existing lines the new wildcards cover
    appended: bool  # the list is not sorted: new lines go at its end


def list_text(lr: ListRequest) -> tuple[str, str]:
    """(text, label) of the list ``lr`` is for; ``PatchError`` when there is no text."""
    source = lr.listed.patterns.source
    if source == EMBEDDED_SOURCE:
        return embedded_allows_text(), DAOCLOUD_PATH
    if "://" in source:
        raise PatchError(
            f"{source}: a list given as a URL has no file to diff against; save it and "
            "pass --catalog HOST=FILE"
        )
    from analyzer.store import cached_daocloud_allows

    cached = cached_daocloud_allows()
    # the downloaded copy of DaoCloud's list diffs as the file it is in DaoCloud's repository
    label = DAOCLOUD_PATH if cached and str(cached.path) == source else os.path.basename(source)
    try:
        with open(source, encoding="utf-8") as handle:
            return handle.read(), label
    except (OSError, UnicodeDecodeError) as exc:
        raise PatchError(f"{source}: cannot read the list: {exc}") from None


def _pattern(line: str) -> Pattern | None:
    parsed = parse_allows(line, "list")
    return parsed.patterns[0] if len(parsed.patterns) == 1 else None


def is_sorted(lines: list[str]) -> bool:
    """In byte order, as ``LC_ALL=C sort`` leaves a list."""
    return all(a.encode() <= b.encode() for a, b in itertools.pairwise(lines))


def patched(old: list[str], added: tuple[Pattern, ...], fmt: str) -> tuple[list[str], list[str]]:
    """The list's lines after adding ``added``, and the lines removed."""
    removed: list[str] = []
    kept: list[str] = []
    wildcards = [a for a in added if a.kind != "exact"]
    for line in old:
        pattern = _pattern(line.strip()) if fmt == "allows.txt" and wildcards else None
        if pattern is not None and any(w != pattern and covers(w, pattern) for w in wildcards):
            removed.append(line)
        else:
            kept.append(line)
    ordered = is_sorted(kept)
    for text in sorted((str(a) for a in added), key=str.encode):
        if ordered:
            index = bisect.bisect_left([line.encode() for line in kept], text.encode())
            kept.insert(index, text)
        else:
            kept.append(text)
    return kept, removed


def make_patch(lr: ListRequest) -> ListPatch:
    text, label = list_text(lr)
    old = text.splitlines()
    new, removed = patched(old, lr.added(), lr.format)
    appended = not is_sorted(old)
    before = [f"{line}\n" for line in old]
    if before and not text.endswith("\n"):
        before[-1] = before[-1][:-1]  # the diff adds the missing final newline, and says so
    diff = difflib.unified_diff(
        before, [f"{line}\n" for line in new], fromfile=f"a/{label}", tofile=f"b/{label}"
    )
    lines = [d if d.endswith("\n") else d + "\n\\ No newline at end of file\n" for d in diff]
    return ListPatch(label, "".join(lines), tuple(removed), appended)
