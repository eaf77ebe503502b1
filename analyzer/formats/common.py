"""What every format says the same way: status meanings, hosts, uses, the summary and the verdict.

Not a format itself (it is not in ``FORMAT_NAMES``): the formats import it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice

from analyzer.model import STATUSES, URGENCY, ImageUse
from analyzer.report import ImageResult, Report, minimum_percent

#: image statuses, most urgent first: the order sections and lists are shown in
STATUS_ORDER: tuple[str, ...] = tuple(s for s in URGENCY if s != "invalid")
#: every status, with ``invalid`` (which counts uses, not images) after the failing ones
ALL_STATUS_ORDER: tuple[str, ...] = URGENCY

STATUS_MEANING: dict[str, str] = {
    "blocked": "no host can resolve or serve it: the pull fails",
    "fallback": "mirrors are configured but none holds it: pulled from the upstream registry",
    "partial": "content from a mirror, but the tag is resolved by another host",
    "direct": "no mirror is configured for its registry: pulled from the upstream registry",
    "mirrored": "resolved and served by a mirror",
    "rewritten": "the reference already names a mirror, which serves it (no upstream fallback)",
    "invalid": "not a pullable image reference (invalid, or a value left unresolved)",
}

STATUS_TITLE: dict[str, str] = {
    "blocked": "Image cannot be pulled",
    "fallback": "Image falls back to the upstream registry",
    "partial": "Image tag resolved outside the mirrors",
    "direct": "Image pulled with no mirror configured",
    "mirrored": "Image served by a mirror",
    "rewritten": "Image written in a mirror's own form",
    "invalid": "Not a pullable image reference",
}


def ordered(statuses: Iterable[str]) -> list[str]:
    """``statuses`` in ``ALL_STATUS_ORDER`` (unknown ones last, alphabetically)."""
    rank = {s: i for i, s in enumerate(ALL_STATUS_ORDER)}
    return sorted(set(statuses), key=lambda s: (rank.get(s, len(rank)), s))


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def percent(value: float) -> str:
    """``66.7``, ``100``, ``0``: one decimal at most."""
    return f"{value:.1f}".removesuffix(".0")


def one_line(text: str) -> str:
    """``text`` with its line breaks turned into spaces."""
    return " ".join(text.split())


def host_label(url: str | None) -> str:
    """A host URL as people read it: ``https://quay.io/v2`` -> ``quay.io``."""
    if url is None:
        return "nothing"
    return url.removeprefix("https://").removesuffix("/v2")


def served_by(result: ImageResult) -> list[str]:
    """The host that serves the content, then the host that resolves the tag when different."""
    route = result.route
    lines = [host_label(route.content_host)]
    if route.resolve_host is not None and route.resolve_host != route.content_host:
        lines.append(f"tag resolved by {host_label(route.resolve_host)}")
    return lines


def where(use: ImageUse) -> str:
    """``file:line Kind/ns/name``, with the Helm template it came from when known."""
    text = f"{use.location} {use.workload}".strip()
    if use.source:
        text += f" (from {use.source})"
    return text


def uses_shown(uses: Sequence[ImageUse], limit: int) -> tuple[list[ImageUse], int]:
    """The uses to list and how many are left out: all of them when one more would do
    (only those are read: the others may be spooled to disk, ``analyzer.spool``)."""
    if len(uses) <= limit + 1:
        return list(uses), 0
    return list(islice(uses, limit)), len(uses) - limit


def _sentence(*parts: str) -> str:
    """``parts`` joined by semicolons, on one line, ending with a full stop."""
    text = "; ".join(one_line(p).rstrip(".") for p in parts if p)
    return text + "."


def describe_route(result: ImageResult) -> str:
    """One sentence: which host serves the image, and why."""
    route = result.route
    image = result.image
    content = route.content_host or "no host"
    if route.status == "mirrored":
        text = f"{image} is served by the mirror {content}"
    elif route.status == "partial":
        resolver = route.resolve_host or "another host"
        text = f"{image}: content from the mirror {content}, tag resolved by {resolver}"
    elif route.status == "fallback":
        text = f"{image} falls back to the upstream registry {content}"
    elif route.status == "direct":
        text = f"{image} is pulled directly from {content}"
        if not route.reason:
            text += f": no mirror is configured for {result.registry}"
    elif route.status == "blocked":
        text = f"{image} cannot be pulled: no host can serve it"
    else:
        text = f"{image} is {route.status}"
    if result.ignored:
        text += " (ignored: accepted to come from upstream)"
    return _sentence(text, route.reason or "")


def describe_invalid(use: ImageUse) -> str:
    """Why an invalid or unresolved use cannot be pulled."""
    what = "is not a valid image reference" if use.use_class == "invalid" else "is unresolved"
    return _sentence(f"{use.raw!r} {what}", use.reason or "")


def shown_statuses(report: Report) -> tuple[str, ...]:
    """Every status in report order; ``rewritten`` only when some image has it."""
    counts = report.summary().by_status
    return tuple(s for s in STATUSES if s != "rewritten" or counts.get(s, 0))


def coverage_text(report: Report) -> str:
    """``coverage 66.7%``, or ``coverage n/a: no pullable image`` when no image counts."""
    shown = report.summary().coverage_percent
    if shown is None:
        return f"coverage n/a: {report.coverage_unmeasured()}"
    return f"coverage {percent(shown)}%"


def summary_line(report: Report) -> str:
    """``N images, M uses, coverage X% (a mirrored, ..., f invalid)``."""
    summary = report.summary()
    counts = ", ".join(f"{summary.by_status.get(s, 0)} {s}" for s in shown_statuses(report))
    line = (
        f"{plural(summary.images, 'image')}, {plural(summary.uses, 'use')}, "
        f"{coverage_text(report)} ({counts})"
    )
    if summary.ignored:
        line += f"; {summary.ignored} ignored"
    return line


def failed(report: Report) -> bool:
    """The gate fails: a status the policy rejects, coverage too low, or unreadable input."""
    return not report.passed


def failure_reasons(report: Report) -> list[str]:
    """Why the gate fails, most urgent first; empty when it passes."""
    return list(report.gate_reasons())


def verdict(report: Report) -> str:
    """``PASS: ...`` or ``FAIL: ...``, with the reason."""
    reasons = failure_reasons(report)
    if reasons:
        return "FAIL: " + "; ".join(reasons)
    rejected = ordered(report.policy.fail_on)
    if rejected:
        names = ", ".join(rejected[:-1]) + (" or " if len(rejected) > 1 else "") + rejected[-1]
        text = f"PASS: nothing is {names}"
    else:
        text = "PASS: the policy rejects no status"
    minimum = report.policy.min_coverage
    if minimum is not None:  # passed: the coverage was measured
        text += f"; {coverage_text(report)} meets the minimum {minimum_percent(minimum)}%"
    return text


def all_warnings(report: Report) -> list[str]:
    """The report's warnings, then each distinct route warning (naming its image)."""
    seen = set(report.warnings)
    lines = [one_line(w) for w in report.warnings]
    for result in report.images:
        for warning in result.route.warnings:
            if warning not in seen:
                seen.add(warning)
                lines.append(one_line(f"{result.image}: {warning}"))
    return lines
