"""Whitelist lines as values: the line that requests one image, and which line covers which.

A line is a ``Pattern`` of ``analyzer.mirrors.daocloud_lists`` with no tag rule: an exact
repository, ``prefix/*`` (exactly one more segment) or ``prefix/**`` (one or more). The host
part matches subdomains (``gcr.io/**`` covers ``us.gcr.io/x``), as DaoCloud's server does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from analyzer.mirrors.daocloud_lists import Pattern, pattern_of
from analyzer.reference import ImageRef


def request_line(ref: ImageRef) -> Pattern:
    """The exact line that requests ``ref``'s repository (every tag): ``host/path``, host
    lower-cased, Docker Hub official images as ``docker.io/library/x``."""
    return Pattern(host=ref.domain.lower(), path=ref.path, kind="exact")


def _host_covers(outer: str, inner: str) -> bool:
    return inner == outer or inner.endswith("." + outer)


def _under(prefix: str, path: str) -> bool:
    """Is ``path`` strictly below ``prefix`` ("" is the registry root)?"""
    return path != "" and (prefix == "" or path.startswith(prefix + "/"))


def covers(outer: Pattern, inner: Pattern) -> bool:
    """Does every repository ``inner`` allows match ``outer`` too? (Tag rules: none.)"""
    if outer.tag is not None or not _host_covers(outer.host, inner.host):
        return False
    if outer.kind == "exact":
        return inner.kind == "exact" and inner.path == outer.path
    if outer.kind == "one":
        if inner.kind == "exact":
            parent, sep, _ = inner.path.rpartition("/")
            return (parent if sep else "") == outer.path
        return False  # "P/*" never covers another wildcard but itself (compared as equal)
    # "P/**": everything strictly below P
    if inner.kind == "exact":
        return _under(outer.path, inner.path)
    return inner.path == outer.path or _under(outer.path, inner.path)


def covered_by(line: Pattern, patterns: tuple[Pattern, ...]) -> Pattern | None:
    """The first of ``patterns`` that covers ``line`` (itself excluded), or None."""
    for pattern in patterns:
        if pattern != line and covers(pattern, line):
            return pattern
    return None


class CoverIndex:
    """Which patterns of a whole list cover a line, and which a line covers, without
    reading the list for each line, nor building a ``Pattern`` for each of its entries.

    The list's canonical lines (``PatternList.keys``, file order) are filed by host and
    path; a line asks only the files of the patterns that could cover it (``covers``): its
    host and each parent domain, with its own path, its parent and every prefix above it
    down to the registry root. Of those that do cover it, the first in the list wins, as in
    ``covered_by``. Only the entries asked about become ``Pattern`` objects (``pattern_of``,
    as ``PatternList.patterns`` builds them).
    """

    def __init__(self, keys: Sequence[str]) -> None:
        self._keys = keys
        #: the positions of the patterns without a tag rule, by (host, path)
        self._by_path: dict[tuple[str, str], list[int]] = {}
        #: the positions of the exact patterns (tag rules too), by (host, parent of path)
        self._by_parent: dict[tuple[str, str], list[int]] = {}
        for position, key in enumerate(keys):
            host, _, rest = key.partition("/")
            rest, colon, _ = rest.partition(":")  # as ``pattern_of`` reads a key
            if rest.endswith("*"):
                if not colon:  # a tag rule covers no line (``covers``)
                    path = rest.rstrip("*").removesuffix("/")
                    self._by_path.setdefault((host, path), []).append(position)
                continue
            if not colon:
                self._by_path.setdefault((host, rest), []).append(position)
            self._by_parent.setdefault((host, rest.rpartition("/")[0]), []).append(position)
        self._hosts = frozenset(host for host, _ in self._by_parent)

    def covered_by(self, line: Pattern) -> Pattern | None:
        """The first pattern of the list that covers ``line`` (itself excluded), or None."""
        first: tuple[int, Pattern] | None = None
        for host in _host_and_parents(line.host):
            for path in _path_and_prefixes(line.path):
                for position in self._by_path.get((host, path), ()):
                    if first is not None and position > first[0]:
                        break  # each file is in list order
                    pattern = pattern_of(self._keys[position])
                    if pattern != line and covers(pattern, line):
                        first = (position, pattern)
                        break
        return first[1] if first is not None else None

    def covered(self, outer: Pattern) -> tuple[Pattern, ...]:
        """The patterns of the list that ``outer`` covers, in list order."""
        if outer.kind != "one" or outer.tag is not None:  # (not asked for: read them all)
            return tuple(p for p in map(pattern_of, self._keys) if covers(outer, p))
        # "P/*" covers the exact patterns one segment below P, on its host or a subdomain
        hosts = [h for h in self._hosts if _host_covers(outer.host, h)]
        positions = sorted(p for h in hosts for p in self._by_parent.get((h, outer.path), ()))
        patterns = (pattern_of(self._keys[position]) for position in positions)
        return tuple(p for p in patterns if covers(outer, p))


def _host_and_parents(host: str) -> Iterator[str]:
    """``us.gcr.io``, ``gcr.io``, ``io``: every host ``_host_covers`` lets cover ``host``."""
    yield host
    dot = host.find(".")
    while dot != -1:
        yield host[dot + 1 :]
        dot = host.find(".", dot + 1)


def _path_and_prefixes(path: str) -> Iterator[str]:
    """``a/b/c``, ``a/b``, ``a``, then the registry root ``""``."""
    yield path
    while path:
        path = path.rpartition("/")[0]
        yield path


def parent_prefix(line: Pattern) -> str | None:
    """``quay.io/prometheus/node-exporter`` -> ``prometheus``: the prefix a ``/*`` line over
    the repository would have (None for a repository at the registry's root)."""
    parent, sep, _ = line.path.rpartition("/")
    return parent if sep else None
