"""A set of repository patterns given on the command line or in settings (``--ignore``).

The same syntax as the catalogue lists: exact names, ``/*``, ``/**``, optional ``:tag`` or
``:^regex$``; a name without a registry is a Docker Hub name (``nginx``, ``bitnami/*``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.frozen import Frozen
from analyzer.mirrors.daocloud_lists import PatternList, parse_patterns
from analyzer.mirrors.errors import CatalogueError
from analyzer.reference import ImageRef


@dataclass(frozen=True)
class PatternSet(Frozen):
    patterns: PatternList

    @classmethod
    def from_lines(cls, lines: Iterable[str], *, source: str) -> PatternSet:
        """Parse ``lines``; a line that is not a pattern raises ``CatalogueError``."""
        parsed = parse_patterns("\n".join(lines), source)
        if parsed.problems:
            raise CatalogueError(parsed.problems[0])
        return cls(parsed)

    def matches(self, ref: ImageRef) -> bool:
        return self.patterns.holds(ref)
