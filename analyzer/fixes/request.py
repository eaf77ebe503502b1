"""``coverage request``: the fewest whitelist lines that would make a mirror serve the images
its list lacks, in that list's own syntax.

For each image the policy fails, the advice (``analyzer.fixes.advice``) says whether a
mirror's list lacks it (a line to request), already covers it (no request: the route's
reason says why it is not used anyway), or whether no list can help (add a mirror, fix the
configuration, or ``--ignore``). An image written in a mirror's form that the mirror does
not serve (``blocked``) is requested by its upstream name. Lines are grouped per list (the
embedded or downloaded DaoCloud ``allows.txt``, a ``--catalog`` file), one line per
repository (every tag), never a line the list already covers. A ``/*`` line replacing
several lines of one organisation is only offered, with the images it would also open up;
``wildcard=True`` applies it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.fixes.advice import advise
from analyzer.fixes.catalogue_list import HostList, host_list
from analyzer.fixes.lines import CoverIndex, parent_prefix, request_line
from analyzer.fixes.mirror_names import judged_form
from analyzer.mirrors import Catalogues, MirrorConfig
from analyzer.mirrors.daocloud_lists import Pattern, parse_allows, parse_patterns
from analyzer.mirrors.upstream import DOCKER_HUB
from analyzer.report import ImageResult, Report

#: prefixes a ``/*`` line is never offered for: it would open a whole registry's officials
_TOO_BROAD = frozenset({(DOCKER_HUB, "library")})


@dataclass(frozen=True)
class Requested:
    """One line to add, and the images of the scan it makes the mirror serve."""

    line: Pattern
    images: tuple[str, ...]


@dataclass(frozen=True)
class Covered:
    """An image the list already covers: nothing to request; ``why`` it is not served."""

    image: str
    pattern: str
    host: str
    why: str


@dataclass(frozen=True)
class Broader:
    """A ``/*`` line that would replace ``replaces``; what else it would open up."""

    line: Pattern
    replaces: tuple[Pattern, ...]
    also_opens: tuple[str, ...]  # images of the scan it matches that were not requested
    makes_redundant: tuple[Pattern, ...]  # lines of the list it would cover
    applied: bool = False


@dataclass(frozen=True)
class ListRequest:
    """The request to one list (several hosts may read it: DaoCloud's subdomains)."""

    listed: HostList
    hosts: tuple[str, ...]
    lines: tuple[Requested, ...]
    covered: tuple[Covered, ...]
    broader: tuple[Broader, ...]

    @property
    def name(self) -> str:
        return self.listed.patterns.source

    @property
    def format(self) -> str:
        return self.listed.patterns.format

    def added(self) -> tuple[Pattern, ...]:
        return tuple(r.line for r in self.lines)


@dataclass(frozen=True)
class Elsewhere:
    """A failing image no list can fix, with the advice that can."""

    image: str
    advice: str


@dataclass(frozen=True)
class Refused:
    """A name that is not requested: not an image name, or not a name a list can hold."""

    text: str
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: refused {self.text!r}: {self.reason}"


@dataclass(frozen=True)
class RequestPlan:
    lists: tuple[ListRequest, ...]
    elsewhere: tuple[Elsewhere, ...]
    refused: tuple[Refused, ...]

    def all_lines(self) -> tuple[Pattern, ...]:
        return tuple(line for lr in self.lists for line in lr.added())


class _Group:
    """What is gathered for one list while the plan is built."""

    def __init__(self, listed: HostList) -> None:
        self.listed = listed
        self.hosts: dict[str, None] = {}
        self.lines: dict[Pattern, list[str]] = {}
        self.covered: list[Covered] = []


def _valid_line(line: Pattern, fmt: str) -> str | None:
    """Why ``line`` cannot be written in a list of format ``fmt`` (None: it can)."""
    text = str(line)
    parsed = (parse_allows if fmt == "allows.txt" else parse_patterns)(text, "request")
    if parsed.problems or len(parsed.patterns) != 1:
        return parsed.problems[0].partition(": ")[2] if parsed.problems else "not a pattern"
    got = parsed.patterns[0]
    if (got.host, got.path, got.kind) != (line.host, line.path, line.kind):
        return f"the list would read it as {got}"
    return None


def plan_requests(
    report: Report,
    config: MirrorConfig,
    catalogues: Catalogues,
    *,
    wildcard: bool = False,
) -> RequestPlan:
    """The requests that would make every failing image (and every image written in a
    mirror's form) come from a mirror, per list."""
    groups: dict[str, _Group] = {}
    elsewhere: list[Elsewhere] = []
    refused = [
        Refused(u.raw, u.location, u.reason or "not an image reference") for u in report.invalid
    ]
    for result in _candidates(report):
        advice = advise(result, config, catalogues)
        host = advice.host
        listed = host_list(host, catalogues.for_host(host)) if host else None
        if listed is None or advice.action not in ("request", "check_mirror"):
            elsewhere.append(Elsewhere(result.image, advice.sentence()))
            continue
        group = groups.setdefault(listed.patterns.source, _Group(listed))
        group.hosts[listed.host] = None
        form = judged_form(result.ref, config, catalogues)
        ref = form.upstream if form is not None else result.ref
        assert ref is not None  # the advice is "request" or "check_mirror" only then
        if advice.action == "check_mirror":
            pattern = listed.patterns.covering(ref)
            why = result.route.reason or advice.text
            group.covered.append(Covered(result.image, str(pattern), listed.host, why))
            continue
        line = request_line(ref)
        problem = _valid_line(line, listed.patterns.format)
        if problem is not None:
            refused.append(Refused(result.image, listed.host, problem))
            continue
        group.lines.setdefault(line, []).append(result.image)
    lists = tuple(
        _list_request(g, report, wildcard) for _, g in sorted(groups.items(), key=lambda i: i[0])
    )
    return RequestPlan(lists, tuple(elsewhere), tuple(refused))


def _candidates(report: Report) -> Iterable[ImageResult]:
    """The images the gate fails (a reference in a mirror's form the mirror does not serve
    is ``blocked``: it is one of them)."""
    return report.failures()


def _list_request(group: _Group, report: Report, wildcard: bool) -> ListRequest:
    index = CoverIndex(group.listed.patterns.keys)
    requested = [
        Requested(line, tuple(sorted(set(images))))
        for line, images in group.lines.items()
        if index.covered_by(line) is None  # (the advice already checked: belt and braces)
    ]
    broader = _broader_lines(requested, index, report, group.listed.patterns.format)
    if wildcard:
        requested, broader = _apply(requested, broader)
    requested.sort(key=lambda r: str(r.line).encode())
    return ListRequest(
        group.listed, tuple(group.hosts), tuple(requested), tuple(group.covered), broader
    )


def _broader_lines(
    requested: list[Requested], existing: CoverIndex, report: Report, fmt: str
) -> tuple[Broader, ...]:
    """A ``prefix/*`` line for every prefix two or more requested lines share."""
    if fmt == "mirror.txt":
        return ()  # exact repositories only
    by_parent: dict[tuple[str, str], list[Pattern]] = {}
    for item in requested:
        parent = parent_prefix(item.line)
        if parent is not None and (item.line.host, parent) not in _TOO_BROAD:
            by_parent.setdefault((item.line.host, parent), []).append(item.line)
    out = []
    requested_images = {image for item in requested for image in item.images}
    for (host, parent), lines in sorted(by_parent.items()):
        if len(lines) < 2:
            continue
        line = Pattern(host=host, path=parent, kind="one")
        index = parse_allows(str(line), "broader")
        opens = tuple(
            r.image for r in report.images if r.image not in requested_images and index.holds(r.ref)
        )
        redundant = existing.covered(line)
        out.append(Broader(line, tuple(sorted(lines, key=str)), opens, redundant))
    return tuple(out)


def _apply(
    requested: list[Requested], broader: tuple[Broader, ...]
) -> tuple[list[Requested], tuple[Broader, ...]]:
    """Replace the lines each broader line covers by that line."""
    kept = list(requested)
    applied = []
    for item in broader:
        images = tuple(sorted(i for r in kept if r.line in item.replaces for i in r.images))
        kept = [r for r in kept if r.line not in item.replaces]
        kept.append(Requested(item.line, images))
        applied.append(
            Broader(item.line, item.replaces, item.also_opens, item.makes_redundant, True)
        )
    return kept, tuple(applied)
