"""The common catalogue line, parsed by one regular expression.

Almost every line of a DaoCloud list is a plain ``host/path``, ``host/prefix/*`` or
``host/prefix/**`` in lower case, with a host that has a dot, a port or is ``localhost``.
For such a line the general route (``parse_image`` on the name, a second parse to validate
a prefix) gives a result that only depends on the line, so it can be written down directly:
exact names of Docker Hub's top level get ``library/``, prefixes are kept as written.
Anything else (tags, upper case, IPv6 hosts, short Docker Hub names, long paths, wildcards
in ``mirror.txt``) returns None and takes the general route, which also words the problems.

A whole list is first checked at once (``suspect_lines``): a line that check passes is
already the pattern it stands for and needs no parse at all; only the lines it marks come
here, one by one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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


def _names_a_registry(host: str) -> bool:
    """Is a first segment that matched the host grammar a registry (not a Docker Hub
    name): it has a dot or a port, or is ``localhost``."""
    return "." in host or ":" in host or host == "localhost"


def plain_pattern(
    entry: str, wildcards: bool, hub_names: bool = True
) -> tuple[str, str, Kind] | None:
    """``(host, path, kind)`` of a plain line (already stripped), or None for the general
    route; with ``wildcards`` False (``mirror.txt``) a wildcard line takes the general route.
    With ``hub_names`` False (``allows.txt``) Docker Hub names stay as written: no
    ``index.docker.io`` alias, no ``library/`` added."""
    match = _LINE_RE.fullmatch(entry)
    if match is None:
        return None
    host, path, wild = match.group("host", "path", "wild")
    if not _names_a_registry(host):
        return None  # a short Docker Hub name ("patterns") or not a host: the general route
    if path is None and wild is None:
        return None  # "host" alone: the general route words the problem
    path = path or ""
    if len(path) > _SHORT_PATH:
        return None
    if host == LEGACY_DEFAULT_DOMAIN and hub_names:
        host = DEFAULT_DOMAIN
    if wild is None:
        if host == DEFAULT_DOMAIN and "/" not in path and hub_names:
            path = OFFICIAL_REPO_PREFIX + path
        return host, path, "exact"
    if not wildcards:
        return None  # a problem there, worded by the general route
    return host, path, "many" if wild == "/**" else "one"


# The whole-list check: which lines of a list might not be plain. A list of 100,000 lines
# is checked by a dozen scans of its text in C, instead of one regular expression a line.
# A line none of these scans marks is plain (``plain_pattern`` would accept it) and already
# written as the pattern it stands for, so it serves as its own key: lower-case, a host with
# a dot, a port or ``localhost`` (not ``index.docker.io``), path components of the reference
# grammar, a wildcard only as the whole last segment, and no short Docker Hub name. The scans
# may mark plain lines too (those take the general route, which agrees); they never miss one.

#: the line boundaries of ``str.splitlines`` other than "\n": the general route's numbering
_OTHER_LINE_BREAK = re.compile("[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_PLAIN_CHARACTERS = b"abcdefghijklmnopqrstuvwxyz0123456789._/:*\n-"
_ODD_CHARACTER = re.compile(r"[^a-z0-9._/:*\n-]")
#: ``_ODD_SEPARATOR`` only matches two of ``._-/`` and "\n" in a row: with them all made
#: ".", a text without ".." cannot match it (a quick test for the common case)
_SEPARATORS_AS_DOTS = bytes.maketrans(b"_-/\n", b"....")
#: what the component grammar refuses: two separators in a row other than "__" and "--"
#: (or "___"); a separator or "/" at either end of a component or line (so also an empty
#: component). Each alternative starts with a literal, which keeps the scan quick.
_ODD_SEPARATOR = re.compile(r"\.[._/\n-]|_[./\n-]|-[._/\n]|/[._/\n-]|\n[._/-]|___")
#: a "*" that is not part of a last segment "/*" or "/**"
_ODD_WILDCARD = re.compile(r"\*(?:(?<![/*]\*)|\*\*|(?![*\n]|\Z))")
_ANY_WILDCARD = re.compile(r"\*")
#: a ":" after the line's first "/" (only a host has a port)
_PATH_COLON = re.compile(r"/[^/\n]*:")
#: ``docker.io/nginx`` stands for ``docker.io/library/nginx`` (in mirror.txt and patterns;
#: allows.txt keeps it as written); ``docker.io/*`` is the artefact
_HUB_TOP_LEVEL = re.compile(r"docker\.io/[^/\n]*(?=\n|\Z)")
_HOST_RE = re.compile(rf"{_LABEL}(?:\.{_LABEL})*(?::[0-9]+)?", re.ASCII)
#: past this many distinct odd first segments, look them up line by line instead
_FEW_ODD_HOSTS = 8


def _plain_host(part: str) -> bool:
    """Is ``part`` (a line up to and with its first "/") a host a plain line can have?"""
    if not part.endswith("/"):
        return part == ""  # a blank line; a line with no "/" is never plain
    host = part[:-1]
    if host == LEGACY_DEFAULT_DOMAIN or _HOST_RE.fullmatch(host) is None:
        return False
    return _names_a_registry(host)


def _host_part(line: str) -> str:
    """The line up to and with its first "/" (all of it when it has none)."""
    slash = line.find("/")
    return line if slash < 0 else line[: slash + 1]


def suspect_lines(
    text: str, lines: list[str], wildcards: bool, also: re.Pattern[str] | None = None
) -> set[int] | None:
    """The indices in ``lines`` (``text.split("\\n")``) of the lines that must take the
    general route, with the lines ``also`` matches; every other line is blank, or plain and
    its own key. None: the text has line breaks other than "\\n", and only the general route
    numbers those lines right. Linear in the text, however hostile: each scan stops at a
    line's first mark."""
    positions: list[int] = []
    if also is not None:
        positions.extend(_first_on_each_line(also, text))
    encoded = text.encode("ascii") if text.isascii() else b""
    if not encoded or encoded.translate(None, _PLAIN_CHARACTERS):
        if _OTHER_LINE_BREAK.search(text) is not None:
            return None
        positions.extend(_first_on_each_line(_ODD_CHARACTER, text))
    if not encoded or b".." in encoded.translate(_SEPARATORS_AS_DOTS):
        positions.extend(_first_on_each_line(_ODD_SEPARATOR, text))  # two in a row somewhere
    if text[:1] in ("/", ".", "_", "-"):
        positions.append(0)
    if text[-1:] in ("/", ".", "_", "-"):
        positions.append(len(text) - 1)
    if wildcards:
        plain_stars = text.count("/*\n") + 2 * text.count("/**\n")
        plain_stars += 2 if text.endswith("/**") else text.endswith("/*")
        if text.count("*") != plain_stars:
            positions.extend(_first_on_each_line(_ODD_WILDCARD, text))
    else:
        positions.extend(_first_on_each_line(_ANY_WILDCARD, text))
    for match in _HUB_TOP_LEVEL.finditer(text):  # at most one a line: it ends the line
        if match.start() == 0 or text[match.start() - 1] == "\n":
            positions.append(match.start())
    if ":" in text:
        positions.extend(_first_on_each_line(_PATH_COLON, text))
    odd_hosts = set()
    for part in set(map(_host_part, lines)):
        if not _plain_host(part):
            odd_hosts.add(part)
    if odd_hosts and len(odd_hosts) <= _FEW_ODD_HOSTS:
        padded = "\n" + text  # "\n" + part: that part at a line's start (a quick search)
        for part in odd_hosts:
            positions.extend(_lines_starting(padded, "\n" + part, whole=not part.endswith("/")))
    suspects = _line_indices(text, positions)
    many_odd_hosts = len(odd_hosts) > _FEW_ODD_HOSTS
    if many_odd_hosts or max(map(len, lines), default=0) > _SHORT_PATH:
        for number, line in enumerate(lines):
            if len(line) > _SHORT_PATH or (many_odd_hosts and _host_part(line) in odd_hosts):
                suspects.add(number)
    return suspects


def _first_on_each_line(scan: re.Pattern[str], text: str) -> Iterator[int]:
    """Where ``scan`` first matches on each line it matches: a line's later matches add
    nothing, and a hostile line may hold millions. A match that begins with a line break
    marks the line that break starts."""
    at = 0
    while True:
        match = scan.search(text, at)
        if match is None:
            return
        start = match.start()
        if text[start] == "\n":
            start += 1
        yield start
        at = text.find("\n", start)  # a match may begin with this break: search from it
        if at < 0:
            return


def _lines_starting(padded: str, needle: str, whole: bool) -> Iterator[int]:
    """Where, in ``padded[1:]``, the lines begin that ``needle`` ("\\n" and a line's start)
    starts, or is all of (``whole``)."""
    at = padded.find(needle)
    while at >= 0:
        end = at + len(needle)
        if not whole or end == len(padded) or padded[end] == "\n":
            yield at
        at = padded.find(needle, end)


def _line_indices(text: str, positions: list[int]) -> set[int]:
    """The indices of the lines that hold ``positions`` (offsets into ``text``)."""
    indices: set[int] = set()
    line = at = 0
    for position in sorted(positions):
        line += text.count("\n", at, position)
        at = position
        indices.add(line)
    return indices
