"""DaoCloud's list formats, parsed into repository patterns a mirror serves.

``allows.txt`` (2024-06 to today): ``host/path`` exact names, ``host/prefix/*`` (exactly one
more path segment), ``host/prefix/**`` (one or more); a pattern never matches its own
prefix. The literal ``docker.io/*`` line is an artefact the upload job deletes: skipped.

``mirror.txt`` (2021-09 to 2025-02): exact repositories, optionally ``:<tag>`` or
``:^<tag regex>$`` (or a glob-like ``:24.04.*``), matched by RE2 as DaoCloud's Go scripts
did (``tag_rules``); spaces removed, blank and ``#`` lines
skipped; duplicates (``docker.io/nginx`` and ``docker.io/library/nginx``) counted once.

Entries are normalised with ``parse_image`` (``docker.io/x`` is ``docker.io/library/x``);
the host part is lower-cased and matches subdomains (``gcr.io/**`` covers ``us.gcr.io``),
like DaoCloud's NO_PROXY-style host matcher. Lines that are not patterns are skipped and
reported in ``problems`` (``file:line: reason``); the rest of the list still counts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from analyzer.mirrors.plain_patterns import plain_pattern
from analyzer.mirrors.tag_rules import TagMatcher, TagRuleError, tag_matcher
from analyzer.mirrors.upstream import DOCKER_HUB
from analyzer.reference import ImageRef, InvalidImageReference, is_domain_component, parse_image

PatternKind = Literal["exact", "one", "many"]
ListFormat = Literal["allows.txt", "mirror.txt", "patterns"]
_HOST_ALIASES = {"index.docker.io": DOCKER_HUB}
#: the allows.txt line the upload job removes before sending the list to the server
FORMATTER_ARTEFACT = "docker.io/*"


@dataclass(frozen=True)
class Pattern:
    """One list entry: ``host/path`` exactly, or ``host/path/*`` (one), ``/**`` (many)."""

    host: str  # lower-case registry host (``docker.io`` for Docker Hub)
    path: str  # repository path, or the prefix before ``/*``/``/**`` ("" = whole registry)
    kind: PatternKind
    tag: str | None = None  # mirror.txt tag rule as written after ":" (None: every tag)
    line: int = 0

    def __str__(self) -> str:
        base = f"{self.host}/{self.path}" if self.path else self.host
        base += {"exact": "", "one": "/*", "many": "/**"}[self.kind]
        return base + (f":{self.tag}" if self.tag is not None else "")


TagRules = tuple[TagMatcher, ...] | None  # None: every tag


@dataclass(frozen=True)
class PatternIndex:
    """Patterns keyed by (kind, host, path) so a lookup costs a few dict probes."""

    rules: Mapping[tuple[str, str, str], TagRules]

    @staticmethod
    def build(patterns: tuple[Pattern, ...]) -> PatternIndex:
        rules: dict[tuple[str, str, str], TagRules] = {}
        for p in patterns:
            key = (p.kind, p.host, p.path)
            matcher = None if p.tag is None else tag_matcher(p.tag)
            if key in rules and rules[key] is None:
                continue
            if matcher is None:
                rules[key] = None
            else:
                rules[key] = (*(rules.get(key) or ()), matcher)
        return PatternIndex(rules)

    def _allows(self, key: tuple[str, str, str], tag: str | None) -> bool:
        if key not in self.rules:
            return False
        matchers = self.rules[key]
        if matchers is None:
            return True
        return tag is not None and any(m(tag) for m in matchers)

    def holds(self, ref: ImageRef) -> bool:
        tag = ref.tag if ref.tag is not None or ref.digest is not None else "latest"
        path = ref.path
        segments = path.split("/")
        for host in _candidate_hosts(ref.domain.lower()):
            paths = [path]
            if host == DOCKER_HUB and len(segments) == 1:
                paths.append("library/" + path)
            for candidate in paths:
                if self._matches(host, candidate, tag):
                    return True
        return False

    def _matches(self, host: str, path: str, tag: str | None) -> bool:
        if self._allows(("exact", host, path), tag):
            return True
        parent, _, _ = path.rpartition("/")
        if self._allows(("one", host, parent), tag):
            return True
        prefix = ""
        for segment in path.split("/")[:-1]:
            if self._allows(("many", host, prefix), tag):
                return True
            prefix = f"{prefix}/{segment}" if prefix else segment
        return self._allows(("many", host, prefix), tag)


def _candidate_hosts(domain: str) -> Iterator[str]:
    """The domain, its parent domains (subdomain matching), with and without a port."""
    names = [domain]
    host, sep, port = domain.rpartition(":")
    if sep and port.isdigit():
        names.append(host)  # a pattern without a port matches every port
    for name in names:
        yield _HOST_ALIASES.get(name, name)
        labels = name.split(".")
        for i in range(1, len(labels) - 1):
            yield ".".join(labels[i:])


@dataclass(frozen=True)
class PatternList:
    """A parsed list: unique patterns in file order, plus what was skipped and why."""

    source: str
    format: ListFormat
    patterns: tuple[Pattern, ...]
    lines: int = 0  # entry lines read (not blank, not comments)
    duplicates: int = 0  # lines that repeated an earlier pattern after normalisation
    problems: tuple[str, ...] = ()  # "source:line: reason", lines skipped
    notes: tuple[str, ...] = ()  # lines skipped on purpose (the docker.io/* artefact)
    index: PatternIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", PatternIndex.build(self.patterns))

    def holds(self, ref: ImageRef) -> bool:
        return self.index.holds(ref)


def _parse_entry(text: str, fmt: ListFormat) -> Pattern | str:
    """One entry line (already stripped) -> Pattern, or the reason it is not one."""
    first, has_slash, _ = text.partition("/")
    if fmt == "patterns" and not (has_slash and is_domain_component(first)):
        text = f"{DOCKER_HUB}/{text}"  # a short Docker Hub name, as users write it
    host_part, slash, rest = text.partition("/")
    if not slash or not rest:
        return "not a host/path pattern"
    host = host_part.lower()
    if not is_domain_component(host):
        return f"{host_part!r} is not a registry host"
    host = _HOST_ALIASES.get(host, host)
    repo, colon, tag = rest.partition(":")
    if colon and not tag:
        return "empty tag after ':'"
    if colon and fmt == "allows.txt":
        return "allows.txt patterns have no tags"
    kind: PatternKind = "exact"
    if repo == "**" or repo.endswith("/**"):
        kind, repo = "many", repo[:-3].rstrip("/")
    elif repo == "*" or repo.endswith("/*"):
        kind, repo = "one", repo[:-2].rstrip("/")
    if "*" in repo:
        return "a wildcard is only allowed as the whole last segment (/* or /**)"
    if kind != "exact" and fmt == "mirror.txt":
        return "mirror.txt entries are exact repositories (no wildcards)"
    if colon:
        try:
            tag_matcher(tag)
        except TagRuleError as exc:
            return f"bad tag rule: {exc}"
    if kind == "exact":
        try:
            ref = parse_image(f"{host}/{repo}")
        except InvalidImageReference as exc:
            return f"not a repository name ({exc})"
        return Pattern(
            host=ref.domain.lower(), path=ref.path, kind=kind, tag=tag if colon else None
        )
    if repo:
        try:
            parse_image(f"{host}/{repo}")
        except InvalidImageReference as exc:
            return f"not a repository prefix ({exc})"
    return Pattern(host=host, path=repo, kind=kind, tag=tag if colon else None)


def _parse(text: str, source: str, fmt: ListFormat) -> PatternList:
    patterns: dict[Pattern, None] = {}
    problems: list[str] = []
    notes: list[str] = []
    lines = duplicates = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        entry = raw.replace(" ", "").replace("\t", "") if fmt == "mirror.txt" else raw.strip()
        if not entry or entry.startswith("#"):
            continue
        lines += 1
        if entry == FORMATTER_ARTEFACT:
            notes.append(
                f"{source}:{number}: {entry} skipped: DaoCloud's upload job deletes "
                "this line; it does not mean all of Docker Hub"
            )
            continue
        plain = plain_pattern(entry, wildcards=fmt != "mirror.txt")
        if plain is not None:
            key = Pattern(*plain)
        else:
            parsed = _parse_entry(entry, fmt)
            if isinstance(parsed, str):
                problems.append(f"{source}:{number}: {parsed}: {entry!r}")
                continue
            key = Pattern(parsed.host, parsed.path, parsed.kind, parsed.tag)
        known = len(patterns)
        patterns[key] = None  # one hash: a duplicate leaves the size as it was
        duplicates += len(patterns) == known
    ordered = tuple(patterns)
    return PatternList(
        source=source,
        format=fmt,
        patterns=ordered,
        lines=lines,
        duplicates=duplicates,
        problems=tuple(problems),
        notes=tuple(notes),
    )


def parse_allows(text: str, source: str) -> PatternList:
    """Parse an ``allows.txt`` (glob patterns, no tags)."""
    return _parse(text, source, "allows.txt")


def parse_mirror_txt(text: str, source: str) -> PatternList:
    """Parse a ``mirror.txt`` of any era (exact repositories, optional tag rules)."""
    return _parse(text, source, "mirror.txt")


def parse_patterns(text: str, source: str) -> PatternList:
    """Parse user-written patterns: wildcards and tag rules both allowed, and a name without
    a registry is a Docker Hub name (``nginx``, ``bitnami/*``)."""
    return _parse(text, source, "patterns")


def detect_format(text: str) -> ListFormat:
    """``allows.txt`` if any entry ends in ``/*`` or ``/**``, else ``mirror.txt``."""
    for raw in text.splitlines():
        entry = raw.strip()
        if entry and not entry.startswith("#") and entry.endswith("/*"):
            return "allows.txt"
        if entry.endswith("/**"):
            return "allows.txt"
    return "mirror.txt"


def parse_list(text: str, source: str) -> PatternList:
    """Parse either format, detected from the text."""
    if detect_format(text) == "allows.txt":
        return parse_allows(text, source)
    return parse_mirror_txt(text, source)
