"""The coverage report: uses, routes and errors, and the views people and machines read.

A ``Report`` is plain data (frozen dataclasses). ``analyzer.scan`` builds it; the modules in
``analyzer.formats`` render it; ``analyzer.frames`` turns it into pandas DataFrames.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from analyzer.frozen import Frozen, FrozenInit
from analyzer.json_lazy import Lazy
from analyzer.model import (
    COVERED_STATUSES,
    STATUSES,
    URGENCY,
    ConfigError,
    Finding,
    ImageUse,
    Route,
    SourceError,
)
from analyzer.mypyc_hints import mypyc_attr
from analyzer.redact import redact_text
from analyzer.reference import ImageRef

#: bumped only when a field changes meaning or disappears (adding fields is compatible)
SCHEMA_VERSION = 1

#: what ``--fail-on`` takes: the statuses, and ``misconfigured`` (``coverage doctor`` errors)
MISCONFIGURED = "misconfigured"
GATE_TERMS: tuple[str, ...] = (*STATUSES, MISCONFIGURED)
DEFAULT_FAIL_ON: frozenset[str] = frozenset({"fallback", "blocked", "invalid", MISCONFIGURED})


@dataclass(frozen=True)
class Policy(Frozen):
    """What makes the gate fail."""

    fail_on: frozenset[str] = DEFAULT_FAIL_ON
    min_coverage: float | None = None  # percent, 0-100

    def to_dict(self) -> dict[str, Any]:
        return {"fail_on": sorted(self.fail_on), "min_coverage": self.min_coverage}


@dataclass(frozen=True)
class ProbeVerdict(Frozen):
    """What a live probe of one host said about one image (``coverage scan --probe``)."""

    host: str  # Host.url
    outcome: str  # served, not_found, denied, rate_limited, error
    predicted: bool  # did the catalogue say the host serves the image?
    agreement: str  # agree, disagree, unknown (see analyzer.online.compare)
    detail: str | None = None

    @property
    def disagrees(self) -> bool:
        return self.agreement == "disagree"

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "outcome": self.outcome,
            "predicted": self.predicted,
            "agreement": self.agreement,
            "disagrees": self.disagrees,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Advice(Frozen):
    """How to fix one failing image (built by ``analyzer.fixes.advice``): the whitelist line
    to request, the mirror to add, the configuration to repair; ``--ignore`` otherwise."""

    action: str  # request, add_mirror, check_mirror, fix_config
    text: str  # one sentence, without the --ignore alternative
    ignore: str  # the --ignore pattern that accepts the image from upstream
    line: str | None = None  # the whitelist line to request (action "request")
    host: str | None = None  # the mirror host the advice is about
    upstream: bool = True  # False: blocked, the --ignore alternative does not apply

    def __post_init__(self) -> None:  # no URL's password in the advice shown
        object.__setattr__(self, "text", redact_text(self.text))

    def sentence(self) -> str:
        """The whole advice on one line, the ``--ignore`` alternative last (none for an
        image that cannot come from upstream either: ``--ignore`` does not pass it)."""
        if not self.upstream:
            return f"{self.text.rstrip('.')}; the pull does not fall back to the upstream."
        return (
            f"{self.text.rstrip('.')}; or --ignore {self.ignore} if it is meant to come "
            "from upstream."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "text": self.sentence(),
            "line": self.line,
            "host": self.host,
            "ignore": self.ignore,
        }


# interpreted subclasses allowed (a compiled class refuses them otherwise): a caller may
# extend an image's dict, and the JSON writer then walks it as it walks any dict
@mypyc_attr(allow_interpreted_subclasses=True)
@dataclass(frozen=True, slots=True, init=False)  # compiled __init__: see model.Attempt
class ImageResult(FrozenInit):
    """One distinct image (by ``pull_ref``), its route and every place it is used
    (``uses``: a tuple, or from a scan an ``analyzer.spool.UseList`` read back from disk
    past its first few)."""

    ref: ImageRef
    route: Route
    uses: Sequence[ImageUse]
    ignored: bool = False  # matched --ignore: accepted to come from upstream
    probes: tuple[ProbeVerdict, ...] = ()
    advice: Advice | None = None  # how to fix it, on images the policy fails

    def __init__(
        self,
        ref: ImageRef,
        route: Route,
        uses: Sequence[ImageUse],
        ignored: bool = False,
        probes: tuple[ProbeVerdict, ...] = (),
        advice: Advice | None = None,
    ) -> None:
        object.__setattr__(self, "ref", ref)
        object.__setattr__(self, "route", route)
        object.__setattr__(self, "uses", uses)
        object.__setattr__(self, "ignored", ignored)
        object.__setattr__(self, "probes", probes)
        object.__setattr__(self, "advice", advice)

    @property
    def image(self) -> str:
        return self.ref.pull_ref

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def registry(self) -> str:
        return self.route.registry or self.ref.domain  # the host containerd contacts

    @property
    def status(self) -> str:
        return self.route.status

    def to_dict(self, *, lazy: bool = False) -> dict[str, Any]:
        """Plain data; with ``lazy`` its ``uses`` are a ``Lazy`` iterable (for a streaming
        writer: ``analyzer.json_stream``) instead of a list."""
        uses = _dicts(self.uses)
        return {
            "image": self.image,
            "name": self.name,
            "registry": self.registry,
            "status": self.status,
            "ignored": self.ignored,
            "resolve_host": self.route.resolve_host,
            "content_host": self.route.content_host,
            "hosts_file": self.route.hosts_file,
            "reason": self.route.reason,
            "stands_for": self.route.stands_for,
            "warnings": list(self.route.warnings),
            "attempts": [a.to_dict() for a in self.route.attempts],
            "probes": [p.to_dict() for p in self.probes],
            "advice": self.advice.to_dict() if self.advice is not None else None,
            "uses": Lazy(uses) if lazy else list(uses),
        }


@dataclass(frozen=True)
class MirrorCoverage(Frozen):
    """Which images of this report one configured mirror host serves."""

    host: str  # Host.url
    registry: str  # the registry it mirrors ("_default" for a catch-all directory)
    catalogue: str  # where its catalogue came from
    assumed: bool  # no catalogue given: assumed to serve everything
    images: tuple[str, ...]  # pull_refs whose content it serves

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "registry": self.registry,
            "catalogue": self.catalogue,
            "assumed": self.assumed,
            "count": len(self.images),
            "images": list(self.images),
        }


@dataclass(frozen=True)
class Summary(Frozen):
    images: int  # distinct valid images
    uses: int  # every use counted, invalid and unresolved included
    by_status: dict[str, int]  # distinct images per status; "invalid" counts invalid uses
    coverage_percent: float | None  # mirrored / non-ignored valid images; None: no such image
    ignored: int
    errors: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "images": self.images,
            "uses": self.uses,
            "by_status": dict(self.by_status),
            "coverage_percent": self.coverage_percent,
            "ignored": self.ignored,
            "errors": self.errors,
        }


@dataclass(frozen=True)
class Report(Frozen):
    images: tuple[ImageResult, ...]
    invalid: Sequence[ImageUse]  # uses whose reference is invalid or unresolved
    mirrors: tuple[MirrorCoverage, ...]
    config_description: str
    policy: Policy = field(default_factory=Policy)
    source_errors: tuple[SourceError, ...] = ()
    config_errors: tuple[ConfigError, ...] = ()
    warnings: tuple[str, ...] = ()
    files_read: int = 0
    files_skipped: int = 0
    findings: tuple[Finding, ...] = ()  # configuration traps (``coverage doctor``)
    containerd_version: str | None = None  # the release whose rules routed (``1.6``, ``2.3``)

    # -- views ---------------------------------------------------------------------------------
    def by_status(self, status: str) -> tuple[ImageResult, ...]:
        return tuple(r for r in self.images if r.status == status)

    def summary(self) -> Summary:
        counts = Counter(_statuses(self.images))
        by_status: dict[str, int] = {s: counts.get(s, 0) for s in STATUSES}
        by_status["invalid"] = len(self.invalid)
        uses = sum(len(r.uses) for r in self.images) + len(self.invalid)
        return Summary(
            images=len(self.images),
            uses=uses,
            by_status=by_status,
            coverage_percent=_rounded(self.coverage_ratio()),
            ignored=sum(1 for r in self.images if r.ignored),
            errors=len(self.source_errors) + len(self.config_errors),
        )

    # -- the gate ------------------------------------------------------------------------------
    def failures(self) -> tuple[ImageResult, ...]:
        """Images whose status the policy rejects (ignored ones never fail)."""
        return tuple(r for r in self.images if r.status in self.policy.fail_on and not r.ignored)

    def failing_findings(self) -> tuple[Finding, ...]:
        """Configuration errors, when the policy fails on ``misconfigured``."""
        if MISCONFIGURED not in self.policy.fail_on:
            return ()
        return tuple(f for f in self.findings if f.severity == "error")

    def failing_invalid(self) -> Sequence[ImageUse]:
        return self.invalid if "invalid" in self.policy.fail_on else ()

    def coverage_ratio(self) -> float | None:
        """Mirrored images over the images not ignored, unrounded; None when there are none
        (coverage over no image is undefined, never 100 %: see ``coverage_unmeasured``)."""
        covered, counted = self._coverage_counts()
        return covered / counted if counted else None

    def _coverage_counts(self) -> tuple[int, int]:
        """Mirrored images, and images not ignored."""
        counted = [r for r in self.images if not r.ignored]
        return sum(1 for r in counted if r.status in COVERED_STATUSES), len(counted)

    def coverage_unmeasured(self) -> str | None:
        """Why there is no coverage to show (``no pullable image``...), None when there is."""
        if self.images:
            return None if self.coverage_ratio() is not None else "every image is ignored"
        return "no pullable image" if self.invalid else "no image in the manifests"

    def coverage_too_low(self) -> bool:
        """Compared unrounded: 1,999 of 2,000 mirrored is below 100 % though it prints 99.9.
        A minimum with no image to measure is not met: the gate asked for checked nothing."""
        minimum = self.policy.min_coverage
        if minimum is None:
            return False
        covered, counted = self._coverage_counts()
        if not counted:
            return True
        # exactly, as the minimum was written: in floats 57 of 100 is 56.99999999999999 %,
        # below a minimum of 57
        return Fraction(covered * 100, counted) < Fraction(repr(minimum))

    @property
    def passed(self) -> bool:
        """The gate holds. Input that could not be read never passes: what was not read
        may hold the images that fall back."""
        return not self.gate_reasons()

    def gate_reasons(self) -> tuple[str, ...]:
        """Why the gate fails, most urgent first; empty when it passes."""
        reasons: list[str] = []
        failing = Counter(_statuses(self.failures()))
        for status in URGENCY:
            if failing[status]:
                reasons.append(f"{_plural(failing[status], 'image')} {status}")
        invalid = len(self.failing_invalid())
        if invalid:
            reasons.append(_plural(invalid, "invalid use"))
        if self.coverage_too_low():
            reasons.append(self.coverage_shortfall())
        misconfigured = len(self.failing_findings())
        if misconfigured:
            reasons.append(f"{_plural(misconfigured, 'configuration error')} (coverage doctor)")
        errors = len(self.source_errors) + len(self.config_errors)
        if errors:
            reasons.append(f"{_plural(errors, 'input')} could not be read")
        return tuple(reasons)

    def coverage_shortfall(self) -> str:
        """Why ``--min-coverage`` is not met: the coverage below it, or nothing to measure."""
        minimum = minimum_percent(self.policy.min_coverage or 0.0)
        shown = _rounded(self.coverage_ratio())
        if shown is None:
            why = self.coverage_unmeasured()
            return f"coverage n/a ({why}): the minimum {minimum}% cannot be checked"
        return f"coverage {_percent(shown)}% is below the minimum {minimum}%"

    @property
    def has_errors(self) -> bool:
        return bool(self.source_errors or self.config_errors)

    @property
    def exit_code(self) -> int:
        """2 when some input could not be read, else 1 when the policy fails, else 0."""
        if self.has_errors:
            return 2
        return 0 if self.passed else 1

    def to_dict(self, *, lazy: bool = False) -> dict[str, Any]:
        """The stable JSON document (``schema_version`` 1), documented in the README; with
        ``lazy``, the images and every list of uses are ``Lazy`` iterables, made as they
        are written."""
        invalid = _dicts(self.invalid)
        images = _image_dicts(self.images, lazy)
        return {
            "schema_version": SCHEMA_VERSION,
            "configuration": self.config_description,
            "containerd_version": self.containerd_version,
            "policy": self.policy.to_dict(),
            "passed": self.passed,
            "summary": self.summary().to_dict(),
            "images": Lazy(images) if lazy else list(images),
            "invalid": Lazy(invalid) if lazy else list(invalid),
            "mirrors": [m.to_dict() for m in self.mirrors],
            "errors": [{"kind": "source", **e.to_dict()} for e in self.source_errors]
            + [{"kind": "configuration", **e.to_dict()} for e in self.config_errors],
            "warnings": list(self.warnings),
            "findings": [f.to_dict() for f in self.findings],
        }


# Generator functions, not generator expressions, where the generator is kept or passed on:
# mypyc (which compiles this module when built so) makes a list of every generator
# expression it cannot fold into its caller, and a list of every use's dict is the memory
# that a ``Lazy`` array is there to save.


def _dicts(uses: Iterable[ImageUse]) -> Iterator[dict[str, Any]]:
    for use in uses:
        yield use.to_dict()


def _image_dicts(images: Iterable[ImageResult], lazy: bool) -> Iterator[dict[str, Any]]:
    for result in images:
        yield result.to_dict(lazy=lazy)


def _statuses(images: Iterable[ImageResult]) -> Iterator[str]:
    for result in images:
        yield result.status


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _rounded(ratio: float | None) -> float | None:
    """A ratio as a percent rounded down (1,999 of 2,000 shows 99.9, never 100)."""
    return None if ratio is None else math.floor(ratio * 1000) / 10


def minimum_percent(value: float) -> str:
    """A ``--min-coverage`` as it was written (``57.01``, ``90``): one decimal would show
    57.01 as 57, and "coverage 57% is below the minimum 57%" says nothing."""
    return f"{value:.15g}"


def _percent(value: float) -> str:
    """``66.7``, ``100``, ``0``: one decimal at most."""
    return f"{value:.1f}".removesuffix(".0")
