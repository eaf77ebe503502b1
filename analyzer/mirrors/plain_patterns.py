"""The common catalogue line, parsed by one regular expression.

Almost every line of a DaoCloud list is a plain ``host/path``, ``host/prefix/*`` or
``host/prefix/**`` in lower case, with a host that has a dot, a port or is ``localhost``.
For such a line the general route (``parse_image`` on the name, a second parse to validate
a prefix) gives a result that only depends on the line, so it can be written down directly:
exact names of Docker Hub's top level get ``library/``, prefixes are kept as written.
Anything else (tags, upper case, IPv6 hosts, short Docker Hub names, long paths, wildcards
in ``mirror.txt``) returns None and takes the general route, which also words the problems.
A list of 100,000 patterns parses about ten times faster this way.
"""

from __future__ import annotations

import re
from typing import Literal

from analyzer.reference import DEFAULT_DOMAIN, LEGACY_DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX

Kind = Literal["exact", "one", "many"]

_LABEL = r"(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_LINE_RE = re.compile(
    rf"(?P<host>{_LABEL}(?:\.{_LABEL})*(?::[0-9]+)?)"
    rf"(?:/(?P<path>{_COMPONENT}(?:/{_COMPONENT})*))?"
    r"(?P<wild>/\*\*?)?",
    re.ASCII,
)
#: well under distribution/reference's 255 characters, ``library/`` included
_SHORT_PATH = 200


def plain_pattern(entry: str, wildcards: bool) -> tuple[str, str, Kind] | None:
    """``(host, path, kind)`` of a plain line (already stripped), or None for the general
    route; with ``wildcards`` False (``mirror.txt``) a wildcard line takes the general route."""
    match = _LINE_RE.fullmatch(entry)
    if match is None:
        return None
    host, path, wild = match.group("host", "path", "wild")
    if not ("." in host or ":" in host or host == "localhost"):
        return None  # a short Docker Hub name ("patterns") or not a host: the general route
    if path is None and wild is None:
        return None  # "host" alone: the general route words the problem
    path = path or ""
    if len(path) > _SHORT_PATH:
        return None
    if host == LEGACY_DEFAULT_DOMAIN:
        host = DEFAULT_DOMAIN
    if wild is None:
        if host == DEFAULT_DOMAIN and "/" not in path:
            path = OFFICIAL_REPO_PREFIX + path
        return host, path, "exact"
    if not wildcards:
        return None  # a problem there, worded by the general route
    return host, path, "many" if wild == "/**" else "one"
