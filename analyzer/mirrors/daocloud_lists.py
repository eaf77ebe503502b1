"""DaoCloud's list formats, parsed into repository patterns a mirror serves.

``allows.txt`` (2024-06 to today): ``host/path`` exact names, ``host/prefix/*`` (exactly one
more path segment), ``host/prefix/**`` (one or more); a pattern never matches its own
prefix. The literal ``docker.io/*`` line is an artefact the upload job deletes: skipped,
with every other line that job's ``grep -v 'docker.io/\\*'`` deletes (``docker.io/**``...).

``mirror.txt`` (2021-09 to 2025-02): exact repositories, optionally ``:<tag>`` or
``:^<tag regex>$`` (or a glob-like ``:24.04.*``), matched by RE2 as DaoCloud's Go scripts
did (``tag_rules``); spaces removed, blank and ``#`` lines
skipped; duplicates (``docker.io/nginx`` and ``docker.io/library/nginx``) counted once.

``mirror.txt`` and user patterns are normalised with ``parse_image`` (``docker.io/x`` is
``docker.io/library/x``, ``index.docker.io`` is ``docker.io``). ``allows.txt`` lines are
matched as written, as the server's matcher (``wzshiming/hostmatcher``) matches them against
``<host>/<name>`` after crproxy has made a one-component Docker Hub name ``library/<name>``
(DaoCloud/crproxy ``cmd/crproxy/main.go``, ``WithPathInfoModifyFunc``): ``docker.io/nginx``
there never holds ``docker.io/library/nginx``, and an ``index.docker.io`` line is a host of
its own. In every format the host part is lower-cased and matches subdomains (``gcr.io/**``
covers ``us.gcr.io``), like that NO_PROXY-style host matcher. Lines that are not patterns
are skipped and reported in ``problems`` (``file:line: reason``); the rest of the list still
counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import repeat
from typing import Literal

from analyzer.mirrors.pattern_index import HOST_ALIASES, PatternIndex
from analyzer.mirrors.plain_patterns import plain_pattern, suspect_lines
from analyzer.mirrors.tag_rules import TagMatcher, TagRuleError, tag_matcher
from analyzer.mirrors.upstream import DOCKER_HUB
from analyzer.reference import ImageRef, InvalidImageReference, is_domain_component, parse_image

PatternKind = Literal["exact", "one", "many"]
ListFormat = Literal["allows.txt", "mirror.txt", "patterns"]
#: the allows.txt line the upload job removes before sending the list to the server
FORMATTER_ARTEFACT = "docker.io/*"
#: every allows.txt line the upload job removes: ``grep -v 'docker.io/\*'`` is a regular
#: expression, unanchored, its "." any character, so ``docker.io/**`` and
#: ``ghcr.io/x/docker-io/*`` never reach the server either (DaoCloud/public-image-mirror
#: .github/workflows/update-allows-list.yml, "Update list")
_UPLOAD_DROPS = re.compile(r"docker.io/\*")


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


def pattern_key(pattern: Pattern) -> str:
    """The pattern as its canonical line (``str``): what a plain list line already is."""
    return str(pattern)


def pattern_of(key: str) -> Pattern:
    """The ``Pattern`` a canonical line stands for (``pattern_key``'s inverse)."""
    host, _, rest = key.partition("/")
    rest, colon, tag = rest.partition(":")  # a path has no ":"; a tag rule may
    kind: PatternKind = "exact"
    if rest.endswith("*"):
        kind = "many" if rest.endswith("**") else "one"
        rest = rest.rstrip("*").removesuffix("/")
    return Pattern(host, rest, kind, tag if colon else None)


@dataclass(frozen=True)
class PatternList:
    """A parsed list: unique patterns in file order, plus what was skipped and why."""

    source: str
    format: ListFormat
    index: PatternIndex = field(repr=False, compare=False)
    lines: int = 0  # entry lines read (not blank, not comments)
    duplicates: int = 0  # lines that repeated an earlier pattern after normalisation
    problems: tuple[str, ...] = ()  # "source:line: reason", lines skipped
    notes: tuple[str, ...] = ()  # lines skipped on purpose (those DaoCloud's upload drops)
    #: the unique patterns in file order, as canonical lines (what equality compares)
    keys: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", tuple(self.index.keys))

    @property
    def count(self) -> int:
        """How many unique patterns the list has."""
        return len(self.keys)

    @property
    def patterns(self) -> tuple[Pattern, ...]:
        """The unique patterns in file order (built when first asked: a big list is only
        ever looked up by ``holds``)."""
        built: tuple[Pattern, ...] | None = self.__dict__.get("_pattern_cache")
        if built is None:
            built = tuple(map(pattern_of, self.keys))
            object.__setattr__(self, "_pattern_cache", built)
        return built

    def holds(self, ref: ImageRef) -> bool:
        return self.index.holds(ref)

    def covering(self, ref: ImageRef) -> Pattern | None:
        """The first pattern (file order) that holds ``ref``, or None."""
        key = self.index.first(ref)
        return None if key is None else pattern_of(key)


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
    as_written = fmt == "allows.txt"  # the server matches the line as written (module doc)
    if not as_written:
        host = HOST_ALIASES.get(host, host)
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
        if as_written:
            return Pattern(host=host, path=repo, kind=kind)
        return Pattern(
            host=ref.domain.lower(), path=ref.path, kind=kind, tag=tag if colon else None
        )
    if repo:
        try:
            parse_image(f"{host}/{repo}")
        except InvalidImageReference as exc:
            return f"not a repository prefix ({exc})"
    return Pattern(host=host, path=repo, kind=kind, tag=tag if colon else None)


class _Reader:
    """Reads a list's lines in file order into unique pattern keys, counting as it goes."""

    def __init__(self, source: str, fmt: ListFormat) -> None:
        self.source, self.format = source, fmt
        self.keys: dict[str, None] = {}
        self.tagged: dict[str, tuple[tuple[TagMatcher, str], ...]] = {}
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.lines = self.read = 0  # entry lines; those that gave a pattern

    def plain(self, lines: list[str]) -> None:
        """Lines ``suspect_lines`` passed: blank, or plain and their own key."""
        entries = len(lines) - lines.count("")
        self.lines += entries
        self.read += entries
        self.keys.update(zip(lines, repeat(None)))  # "" (blank) is dropped in ``result``

    def general(self, raw: str, number: int) -> None:
        fmt = self.format
        entry = raw.replace(" ", "").replace("\t", "") if fmt == "mirror.txt" else raw.strip()
        if not entry or entry.startswith("#"):
            return
        self.lines += 1
        if entry == FORMATTER_ARTEFACT or (fmt == "allows.txt" and _UPLOAD_DROPS.search(raw)):
            self.notes.append(
                f"{self.source}:{number}: {entry} skipped: DaoCloud's upload job deletes "
                "this line (grep -v 'docker.io/\\*'); the server never sees it"
            )
            return
        plain = plain_pattern(entry, wildcards=fmt != "mirror.txt", hub_names=fmt != "allows.txt")
        if plain is not None:
            pattern = Pattern(*plain)
        else:
            parsed = _parse_entry(entry, fmt)
            if isinstance(parsed, str):
                self.problems.append(f"{self.source}:{number}: {parsed}: {entry!r}")
                return
            pattern = Pattern(parsed.host, parsed.path, parsed.kind, parsed.tag)
        self.read += 1
        key = pattern_key(pattern)
        if key in self.keys:
            return
        self.keys[key] = None
        if pattern.tag is not None:
            line = pattern_key(Pattern(pattern.host, pattern.path, pattern.kind))
            self.tagged[line] = (*self.tagged.get(line, ()), (tag_matcher(pattern.tag), key))

    def result(self) -> PatternList:
        self.keys.pop("", None)
        return PatternList(
            source=self.source,
            format=self.format,
            index=PatternIndex(self.keys, self.tagged),
            lines=self.lines,
            duplicates=self.read - len(self.keys),
            problems=tuple(self.problems),
            notes=tuple(self.notes),
        )


def _parse(text: str, source: str, fmt: ListFormat) -> PatternList:
    reader = _Reader(source, fmt)
    lines = text.split("\n")
    # lines the upload job drops (allows.txt) are not their own keys
    dropped = _UPLOAD_DROPS if fmt == "allows.txt" else None
    suspects = suspect_lines(text, lines, wildcards=fmt != "mirror.txt", also=dropped)
    if suspects is None:  # line breaks other than "\n": every line the general way
        for number, raw in enumerate(text.splitlines(), start=1):
            reader.general(raw, number)
        return reader.result()
    start = 0
    for number in sorted(suspects):
        reader.plain(lines[start:number])
        reader.general(lines[number], number + 1)
        start = number + 1
    reader.plain(lines[start:])
    return reader.result()


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
    start = 0
    while True:  # such a line has a "/*": split the text only up to the line of the next one
        wildcard = text.find("/*", start)
        if wildcard < 0:
            return "mirror.txt"
        end = text.find("\n", wildcard)
        end = len(text) if end < 0 else end + 1  # after a "\n": the lines are the text's
        for raw in text[start:end].splitlines():
            entry = raw.strip()
            if entry and not entry.startswith("#") and entry.endswith("/*"):
                return "allows.txt"
            if entry.endswith("/**"):
                return "allows.txt"
        start = end


def parse_list(text: str, source: str) -> PatternList:
    """Parse either format, detected from the text."""
    if detect_format(text) == "allows.txt":
        return parse_allows(text, source)
    return parse_mirror_txt(text, source)
