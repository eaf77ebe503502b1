"""Every image a set of manifests will pull, and where each one is written.

::

    from analyzer.sources import read_sources
    result = read_sources(["manifests/", "-"], stdin=sys.stdin)
    for use in result.uses: ...      # ImageUse, in file and document order
    for error in result.errors: ...  # SourceError: one per file or document not read
    for warning in result.warnings: ...  # SourceWarning: objects the cluster would refuse...

``iter_sources`` yields the same uses and errors one at a time (memory stays bounded by
the largest document); its ``files_read`` and ``files_skipped`` are final once it is
exhausted. Where images are looked for is the table in ``analyzer.sources.kinds``, plus
the user's ``rules`` (``analyzer.sources.rules``); kustomizations and Helm charts are
rendered as ``render`` says (``analyzer.sources.render``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

from analyzer.model import ImageUse, SourceError, SourceWarning
from analyzer.sources.kinds import Rule
from analyzer.sources.limits import Limits
from analyzer.sources.reader import STDIN_NAME, SourceScan
from analyzer.sources.render import RenderOptions


@dataclass(frozen=True)
class SourceResult:
    """Everything read from a set of paths."""

    uses: tuple[ImageUse, ...]
    errors: tuple[SourceError, ...]
    files_read: int
    files_skipped: int
    warnings: tuple[SourceWarning, ...] = ()


def iter_sources(
    paths: Sequence[str],
    *,
    stdin: TextIO | None = None,
    on_file: Callable[[str], None] | None = None,
    limits: Limits | None = None,
    rules: Sequence[Rule] = (),
    render: RenderOptions | None = None,
    skip_non_manifests: bool = False,
) -> SourceScan:
    """Uses and errors of ``paths`` (files, folders, ``-`` for ``stdin``), one at a time.

    ``on_file`` is called with each file's path as its reading starts. With
    ``skip_non_manifests`` a file named in ``paths`` that reads without error and holds no
    Kubernetes object is counted as skipped instead of being an error (a folder with no
    object, and stdin, still are).
    """
    return SourceScan(
        paths,
        stdin=stdin,
        on_file=on_file,
        limits=limits,
        rules=rules,
        render=render,
        skip_non_manifests=skip_non_manifests,
    )


def read_sources(
    paths: Sequence[str],
    *,
    stdin: TextIO | None = None,
    on_file: Callable[[str], None] | None = None,
    limits: Limits | None = None,
    rules: Sequence[Rule] = (),
    render: RenderOptions | None = None,
) -> SourceResult:
    """Read every path (files, folders recursively, ``-`` for ``stdin``) and collect."""
    scan = iter_sources(
        paths, stdin=stdin, on_file=on_file, limits=limits, rules=rules, render=render
    )
    errors: list[SourceError] = []
    warnings: list[SourceWarning] = []
    uses = tuple(uses_of(scan, errors, warnings))
    return SourceResult(uses, tuple(errors), scan.files_read, scan.files_skipped, tuple(warnings))


def uses_of(
    items: Iterable[ImageUse | SourceError | SourceWarning],
    errors: list[SourceError],
    warnings: list[SourceWarning],
) -> Iterator[ImageUse]:
    """The uses of ``items`` (``iter_sources``) as they come; its errors and warnings are
    appended to ``errors`` and ``warnings`` on the way."""
    for item in items:
        if isinstance(item, ImageUse):
            yield item
        elif isinstance(item, SourceWarning):
            warnings.append(item)
        else:
            errors.append(item)


__all__ = [
    "STDIN_NAME",
    "Limits",
    "RenderOptions",
    "Rule",
    "SourceResult",
    "SourceScan",
    "iter_sources",
    "read_sources",
    "uses_of",
]
