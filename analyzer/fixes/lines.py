"""Whitelist lines as values: the line that requests one image, and which line covers which.

A line is a ``Pattern`` of ``analyzer.mirrors.daocloud_lists`` with no tag rule: an exact
repository, ``prefix/*`` (exactly one more segment) or ``prefix/**`` (one or more). The host
part matches subdomains (``gcr.io/**`` covers ``us.gcr.io/x``), as DaoCloud's server does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

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
    """Which patterns of a whole list cover a line, and which a line covers, without a
    pass over the list for each line, nor a ``Pattern`` for each of its entries.

    The list is its canonical lines (``PatternList.keys``, file order). A line is covered
    only by the lines ``covers`` allows, which can be spelt out: on its host and each
    parent domain, its own repository, its parent's ``/*`` and each prefix's ``/**`` down
    to the registry root; each is looked up by name, and of those listed that do cover it,
    the first in the list wins, as in ``covered_by``. The lines a ``prefix/*`` line covers
    all hold ``/prefix/``: only those are read. Only the entries asked about become
    ``Pattern`` objects (``pattern_of``, as ``PatternList.patterns`` builds them).
    """

    def __init__(self, keys: Sequence[str]) -> None:
        self._keys = keys
        # each line's first place in the list (written last to first: the first one stays)
        last = len(keys) - 1
        self._positions = dict(zip(reversed(keys), range(last, -1, -1), strict=True))

    def covered_by(self, line: Pattern) -> Pattern | None:
        """The first pattern of the list that covers ``line`` (itself excluded), or None."""
        found = []
        for key in _covering_keys(line):
            position = self._positions.get(key)
            if position is not None:
                pattern = pattern_of(key)
                if pattern != line and covers(pattern, line):
                    found.append((position, pattern))
        return min(found, key=_first)[1] if found else None

    def covered(self, outer: Pattern) -> tuple[Pattern, ...]:
        """The patterns of the list that ``outer`` covers, in list order."""
        keys: Iterable[str] = self._keys
        if outer.kind == "one" and outer.tag is None and outer.path:
            # "P/*" covers exact lines one segment below P: each holds "/P/"
            inside = f"/{outer.path}/"
            keys = [key for key in keys if inside in key]
        return tuple(p for p in map(pattern_of, keys) if covers(outer, p))


def _first(found: tuple[int, Pattern]) -> int:
    return found[0]


def _covering_keys(line: Pattern) -> Iterator[str]:
    """The canonical spelling of every line without a tag rule that ``covers`` lets cover
    ``line`` (a superset: each is checked)."""
    prefixes = list(_path_and_prefixes(line.path))  # path, parent, ..., ""
    for host in _host_and_parents(line.host):
        if line.kind == "exact":
            yield str(Pattern(host, line.path, "exact"))
            yield str(Pattern(host, prefixes[1] if len(prefixes) > 1 else "", "one"))
        for prefix in prefixes if line.kind != "exact" else prefixes[1:]:
            yield str(Pattern(host, prefix, "many"))


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
