"""Whitelist lines as values: the line that requests one image, and which line covers which.

A line is a ``Pattern`` of ``analyzer.mirrors.daocloud_lists`` with no tag rule: an exact
repository, ``prefix/*`` (exactly one more segment) or ``prefix/**`` (one or more). The host
part matches subdomains (``gcr.io/**`` covers ``us.gcr.io/x``), as DaoCloud's server does.
"""

from __future__ import annotations

from analyzer.mirrors.daocloud_lists import Pattern
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


def parent_prefix(line: Pattern) -> str | None:
    """``quay.io/prometheus/node-exporter`` -> ``prometheus``: the prefix a ``/*`` line over
    the repository would have (None for a repository at the registry's root)."""
    parent, sep, _ = line.path.rpartition("/")
    return parent if sep else None
