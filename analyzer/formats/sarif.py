"""``sarif``: SARIF 2.1.0 for code-scanning UIs (GitHub code scanning, GitLab, IDE viewers).

One rule per status (``image-coverage/<status>``) and one result per use, located at the
manifest file and line. Levels: ``error`` for a status the policy rejects, ``note`` for the
others. Mirrored uses produce no result: a result is a finding, and an image served by a
mirror is the state the tool asks for (their rule stays listed, with level ``none``, so the
statuses are all documented). Ignored images keep their result with an external suppression
(``--ignore``) and level ``note``. Inputs that could not be read are tool execution
notifications of the run's invocation; the summary and verdict are in the run's properties.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import PureWindowsPath
from typing import Any, TextIO
from urllib.parse import quote

from analyzer.formats.common import (
    ALL_STATUS_ORDER,
    STATUS_MEANING,
    STATUS_TITLE,
    describe_invalid,
    describe_route,
    failed,
    summary_line,
    verdict,
)
from analyzer.json_lazy import Lazy
from analyzer.json_stream import write_json
from analyzer.model import COVERED_STATUSES, ConfigError, ImageUse, SourceError
from analyzer.report import ImageResult, Report
from analyzer.version import __version__

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
TOOL_NAME = "image-coverage"
NO_FINDING = COVERED_STATUSES  # statuses that produce no result


def rule_id(status: str) -> str:
    return f"{TOOL_NAME}/{status}"


def render(report: Report, out: TextIO, *, color: bool = False) -> None:
    write_json(log(report, lazy=True), out)  # one result per use: written as it is made
    out.write("\n")


def log(report: Report, *, lazy: bool = False) -> dict[str, Any]:
    """The SARIF log as plain data (with ``lazy``, its results are a ``Lazy`` iterable)."""
    rules = [_rule(status, report) for status in ALL_STATUS_ORDER]
    index = {status: i for i, status in enumerate(ALL_STATUS_ORDER)}
    made = _results(report, index)
    results = Lazy(made) if lazy else list(made)
    errors: list[SourceError | ConfigError] = [*report.source_errors, *report.config_errors]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "invocations": [
            {
                "executionSuccessful": not report.has_errors,
                "toolExecutionNotifications": [_notification(e) for e in errors],
            }
        ],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "configuration": report.config_description,
            "summary": report.summary().to_dict(),
            "passed": not failed(report),
            "verdict": verdict(report),
            "summaryLine": summary_line(report),
        },
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _results(report: Report, index: dict[str, int]) -> Iterator[dict[str, Any]]:
    for result in report.images:
        if result.status in NO_FINDING:
            continue
        for use in result.uses:
            yield _image_result(result, use, report, index)
    for use in report.invalid:
        yield _invalid_result(use, report, index)


def _level(status: str, report: Report, *, ignored: bool = False) -> str:
    if status in NO_FINDING:
        return "none"
    return "error" if status in report.policy.fail_on and not ignored else "note"


def _rule(status: str, report: Report) -> dict[str, Any]:
    meaning = STATUS_MEANING[status]
    return {
        "id": rule_id(status),
        "name": STATUS_TITLE[status].title().replace(" ", ""),
        "shortDescription": {"text": STATUS_TITLE[status]},
        "fullDescription": {"text": f"{status}: {meaning}."},
        "help": {"text": _HELP[status]},
        "defaultConfiguration": {"level": _level(status, report)},
        "properties": {"tags": ["containers", "registry-mirror", status]},
    }


_HELP = {
    "blocked": "Every host containerd would try for this image lacks it or cannot serve it, so "
    "the pull fails. Check the hosts.toml `server` and the mirrors' catalogues.",
    "fallback": "Mirrors are configured for the registry but none holds this image, so "
    "containerd pulls it from the upstream registry. Ask for the image to be added "
    "to a mirror, use an image a mirror holds, or accept it with --ignore.",
    "partial": "The content comes from a mirror but the tag is resolved by another host (for "
    "example a pull-only mirror). Pin the image by digest to resolve nothing "
    "upstream.",
    "direct": "No mirror is configured for this image's registry: containerd pulls it from "
    "the registry itself. Add a hosts.toml for the registry if it should be mirrored.",
    "mirrored": "A mirror resolves and serves the image: nothing to do.",
    "rewritten": "The reference already names a mirror host, and that mirror serves the "
    "upstream image it stands for: nothing to do. Such a pull has no upstream to fall back to.",
    "invalid": "The value is not an image reference containerd can pull (a syntax error, or "
    "a template value left unresolved). Fix the manifest or render it first.",
}


def artifact_uri(path: str, *, windows: bool = os.sep == "\\") -> str:
    """A manifest path as a SARIF URI: relative paths stay relative, with ``/`` separators.

    A backslash separates folders only on Windows (``windows``); on POSIX it is a character
    of the name (``back\\slash.yaml`` is ``back%5Cslash.yaml``), and so are ``C:`` and a
    leading ``\\\\`` (percent-encoded, so that no part reads as a scheme or a server)."""
    if windows:
        native = PureWindowsPath(path)
        if native.is_absolute():  # C:\\x.yaml, \\\\server\\share\\x.yaml
            return native.as_uri()
        path = native.as_posix()
    if path.startswith("/"):
        return "file://" + _quote(path)
    while path.startswith("./"):
        path = path[2:]
    return _quote(path)


def _quote(path: str) -> str:
    # file names are bytes on POSIX: undecodable ones arrive surrogate-escaped
    try:
        return quote(path, safe="/", errors="surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that no file system byte gave
        return quote(path, safe="/", errors="backslashreplace")


def _locations(use: ImageUse) -> list[dict[str, Any]]:
    if use.file in ("", "-", "<stdin>"):
        return []
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(use.file)}}
    if use.line >= 1:
        physical["region"] = {"startLine": use.line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if use.workload:
        location["logicalLocations"] = [{"fullyQualifiedName": use.workload, "kind": "object"}]
    return [location]


def _use_words(use: ImageUse) -> str:
    parts = [f"Used by {use.workload}" if use.workload else "Used"]
    if use.container:
        parts.append(f"container {use.container}")
    parts.append(f"field {use.field}")
    if use.source:
        parts.append(f"from {use.source}")
    return ", ".join(parts) + "."


def _image_result(
    result: ImageResult, use: ImageUse, report: Report, index: dict[str, int]
) -> dict[str, Any]:
    sarif: dict[str, Any] = {
        "ruleId": rule_id(result.status),
        "ruleIndex": index[result.status],
        "level": _level(result.status, report, ignored=result.ignored),
        "message": {"text": f"{describe_route(result)} {_use_words(use)}"},
        "locations": _locations(use),
        "partialFingerprints": {"imageUse/v1": f"{result.image}|{use.file}|{use.field}"},
        "properties": {
            "image": result.image,
            "registry": result.registry,
            "status": result.status,
            "ignored": result.ignored,
            "resolveHost": result.route.resolve_host,
            "contentHost": result.route.content_host,
        },
    }
    if result.ignored:
        sarif["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": "matched --ignore: accepted to come from upstream",
            }
        ]
    return sarif


def _invalid_result(use: ImageUse, report: Report, index: dict[str, int]) -> dict[str, Any]:
    return {
        "ruleId": rule_id("invalid"),
        "ruleIndex": index["invalid"],
        "level": _level("invalid", report),
        "message": {"text": f"{describe_invalid(use)} {_use_words(use)}"},
        "locations": _locations(use),
        "partialFingerprints": {"imageUse/v1": f"{use.raw}|{use.file}|{use.field}"},
        "properties": {"raw": use.raw, "class": use.use_class, "status": "invalid"},
    }


def _notification(error: SourceError | ConfigError) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(error.file)}}
    if error.line is not None and error.line >= 1:
        physical["region"] = {"startLine": error.line}
    kind = "configuration" if isinstance(error, ConfigError) else "manifest"
    return {
        "level": "error",
        "message": {"text": f"{kind} could not be read: {error}"},
        "locations": [{"physicalLocation": physical}],
    }
