"""``junit``: JUnit XML for CI test reports (GitLab ``artifacts:reports:junit``, Jenkins, ...).

``<testsuites>`` holding one ``<testsuite name="image-coverage">``:

- one ``<testcase classname="<registry>" name="<image>">`` per distinct image: ``<failure>``
  when the policy rejects its status, ``<skipped>`` when it is ignored, passing otherwise;
- one test case per invalid or unresolved use (classname ``invalid`` or ``unresolved``):
  a failure when ``invalid`` is in ``fail_on``, skipped otherwise;
- one test case per input that could not be read (classname ``errors``), with ``<error>``;
- with ``--min-coverage``, one test case ``policy`` / ``coverage >= N%``.

It follows the Jenkins xUnit ``junit-10.xsd`` (the tests validate against it).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

from analyzer.formats.common import (
    coverage_text,
    describe_invalid,
    describe_route,
    one_line,
    percent,
    summary_line,
    uses_shown,
    where,
)
from analyzer.model import ConfigError, ImageUse, SourceError
from analyzer.report import ImageResult, Report, minimum_percent

SUITE_NAME = "image-coverage"
USES_LISTED = 20  # per failure text; the rest are counted

# Characters XML 1.0 cannot carry at all (control characters other than tab and line ends),
# and DEL and the C1 controls it allows but a terminal showing the file would obey (CSI).
_NOT_XML = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` with the characters XML 1.0 forbids (and DEL, C1) replaced by U+FFFD, and
    carriage returns as the line ends every XML parser turns them into."""
    return _NOT_XML.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))


@dataclass
class _Counts:
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0

    def add(self, outcome: str | None) -> None:
        """One test case, by the tag of its outcome (None: it passes)."""
        self.tests += 1
        self.failures += outcome == "failure"
        self.errors += outcome == "error"
        self.skipped += outcome == "skipped"


#: what follows the last test case (``ET.indent``'s layout, two spaces a level)
_CLOSE = "\n  </testsuite>\n</testsuites>"
#: what comes before each test case: a new line at the depth of a ``testsuite``'s child
_CASE_START = "\n    "


def render(report: Report, out: TextIO, *, color: bool = False) -> None:
    """The document ``ET.indent`` and ``ET.tostring`` would make of the whole tree, written
    one test case at a time: only the counts are known first, so memory holds one case,
    not one per image (tests/test_formats_junit.py compares the two)."""
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    head = ET.tostring(_skeleton(report, _counts(report)), encoding="unicode")
    out.write(head.removesuffix(_CLOSE))
    for case in _cases(report):
        ET.indent(case, level=2)
        out.write(_CASE_START)
        out.write(ET.tostring(case, encoding="unicode"))
    out.write(_CLOSE + "\n")


def _skeleton(report: Report, counts: _Counts) -> ET.Element:
    """``<testsuites>`` with its ``<testsuite>`` and the suite's properties, indented, no
    test case: it ends in ``_CLOSE``."""
    totals = {
        "tests": str(counts.tests),
        "failures": str(counts.failures),
        "errors": str(counts.errors),
    }
    root = ET.Element("testsuites", {"name": SUITE_NAME, **totals})
    suite = ET.SubElement(
        root, "testsuite", {"name": SUITE_NAME, **totals, "skipped": str(counts.skipped)}
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in _properties(report):
        ET.SubElement(properties, "property", {"name": name, "value": xml_text(value)})
    ET.indent(root)
    return root


def _counts(report: Report) -> _Counts:
    """The outcome of every test case ``_cases`` will write, without building them."""
    counts = _Counts()
    fail_on = report.policy.fail_on
    for result in report.images:
        counts.add(_image_outcome(result, fail_on))
    invalid = _invalid_outcome(fail_on)
    for _ in report.invalid:
        counts.add(invalid)
    for _ in [*report.source_errors, *report.config_errors]:
        counts.add("error")
    if report.policy.min_coverage is not None:
        counts.add(_coverage_outcome(report))
    return counts


def _cases(report: Report) -> Iterator[ET.Element]:
    """Each test case, in the document's order, built when the writer reaches it."""
    for result in report.images:
        yield _image_case(result, report)
    for use in report.invalid:
        yield _invalid_case(use, report)
    errors: list[SourceError | ConfigError] = [*report.source_errors, *report.config_errors]
    for error in errors:
        yield _error_case(error)
    if report.policy.min_coverage is not None:
        yield _coverage_case(report)


def _properties(report: Report) -> list[tuple[str, str]]:
    policy = report.policy
    minimum = policy.min_coverage
    coverage = report.summary().coverage_percent  # None: no image to measure
    return [
        ("configuration", one_line(report.config_description)),
        ("fail_on", ",".join(sorted(policy.fail_on))),
        ("min_coverage", "" if minimum is None else minimum_percent(minimum)),
        ("coverage_percent", "" if coverage is None else percent(coverage)),
        ("summary", summary_line(report)),
    ]


def _case(classname: str, name: str) -> ET.Element:
    return ET.Element("testcase", {"classname": xml_text(classname), "name": xml_text(name)})


def _child(
    case: ET.Element, tag: str, message: str, kind: str | None = None, text: str | None = None
) -> None:
    attributes = {"message": xml_text(one_line(message))}
    if kind is not None:
        attributes["type"] = kind
    element = ET.SubElement(case, tag, attributes)
    if text:
        element.text = xml_text(text)


def _uses_text(uses: Sequence[ImageUse]) -> str:
    shown, more = uses_shown(uses, USES_LISTED)
    lines = [f"used in {where(u)} ({u.field})" for u in shown]
    if more:
        lines.append(f"and {more} more uses")
    return "\n".join(lines)


def _image_outcome(result: ImageResult, fail_on: frozenset[str]) -> str | None:
    if result.ignored:
        return "skipped"
    return "failure" if result.status in fail_on else None


def _invalid_outcome(fail_on: frozenset[str]) -> str:
    return "failure" if "invalid" in fail_on else "skipped"


def _coverage_outcome(report: Report) -> str | None:
    return "failure" if report.coverage_too_low() else None


def _image_case(result: ImageResult, report: Report) -> ET.Element:
    case = _case(result.registry or "(no registry)", result.image)
    description = describe_route(result)
    details = f"{description}\n{_uses_text(result.uses)}"
    outcome = _image_outcome(result, report.policy.fail_on)
    if outcome == "skipped":
        _child(
            case,
            "skipped",
            f"ignored ({result.status}): accepted to come from upstream",
            text=details,
        )
    elif outcome == "failure":
        _child(case, "failure", description, kind=result.status, text=details)
    else:
        ET.SubElement(case, "system-out").text = xml_text(details)
    return case


def _invalid_case(use: ImageUse, report: Report) -> ET.Element:
    case = _case(use.use_class, f"{one_line(use.raw) or '(empty)'} at {use.location}")
    description = describe_invalid(use)
    details = f"{description}\nused in {where(use)} ({use.field})"
    if _invalid_outcome(report.policy.fail_on) == "failure":
        _child(case, "failure", description, kind="invalid", text=details)
    else:
        _child(
            case,
            "skipped",
            f"not checked: 'invalid' is not in fail-on. {description}",
            text=details,
        )
    return case


def _error_case(error: SourceError | ConfigError) -> ET.Element:
    kind = "configuration" if isinstance(error, ConfigError) else "source"
    where_ = error.file if error.line is None else f"{error.file}:{error.line}"
    case = _case("errors", f"{kind} {where_}")
    _child(case, "error", str(error), kind=kind)
    return case


def _coverage_case(report: Report) -> ET.Element:
    minimum = report.policy.min_coverage or 0.0
    case = _case("policy", f"coverage >= {minimum_percent(minimum)}%")
    if _coverage_outcome(report) == "failure":
        _child(case, "failure", report.coverage_shortfall(), kind="coverage")
    else:
        ET.SubElement(case, "system-out").text = coverage_text(report)
    return case
