"""Is a download really a list of images? Reject what is not, before it replaces a good copy.

A list (DaoCloud's ``allows.txt``, ``mirror.txt`` or a list of the same shape) is UTF-8
text, one ``<registry-host>/<path>`` entry a line, optionally with ``*``/``**`` wildcards or
a ``:tag`` suffix, blank lines and ``#`` comments allowed, and a final newline. Anything
else (an HTML error page, an empty or binary body, a body cut short, a line that is no
entry, a list that suddenly lost more than half its entries) raises ``ListRejected``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzer.mirrors.tag_rules import TagRuleError, tag_matcher
from analyzer.reference import is_domain_component

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST = rf"(?:{_LABEL}(?:\.{_LABEL})*)"
_ENTRY_RE = re.compile(
    rf"(?P<host>{_HOST}(?::[0-9]+)?)/(?P<path>[A-Za-z0-9._*-]+(?:/[A-Za-z0-9._*-]+)*)"
    r"(?::[!-~]+)?",
    re.ASCII,
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SHOWN = 60


class ListRejected(ValueError):
    """A download that is not a list; ``reason`` says why in one sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CheckedList:
    text: str
    entries: int


def check_list(
    data: bytes,
    *,
    content_type: str | None = None,
    previous_entries: int | None = None,
    allow_shrink: bool = False,
) -> CheckedList:
    """Return the decoded list and its entry count, or raise ``ListRejected``."""
    if not data.strip():
        raise ListRejected("the download is empty")
    if _looks_like_html(data, content_type):
        raise ListRejected("the download is an HTML page (an error or login page?), not a list")
    if b"\x00" in data:
        raise ListRejected("the download is binary data (it contains NUL bytes), not a list")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ListRejected(
            f"the download is not UTF-8 text (invalid byte at offset {error.start})"
        ) from None
    if _CONTROL_RE.search(text):
        raise ListRejected("the download contains control characters: binary data, not a list")
    if not text.endswith("\n"):
        last = text.rsplit("\n", 1)[-1]
        raise ListRejected(
            f"the download is truncated: it does not end with a newline "
            f"(last line {_shorten(last)!r})"
        )
    entries = _count_entries(text)
    if entries == 0:
        raise ListRejected("the download has no entries (only blank lines or comments)")
    if not allow_shrink and previous_entries is not None and entries * 2 < previous_entries:
        raise ListRejected(
            f"the list shrank from {previous_entries} to {entries} entries (more than half); "
            "refusing it in case the download is incomplete (use --force to accept it)"
        )
    return CheckedList(text=text, entries=entries)


def is_entry(line: str) -> bool:
    """``True`` for one list entry such as ``quay.io/prometheus/*`` or ``docker.io/x/y:1.0``."""
    match = _ENTRY_RE.fullmatch(line)
    if match is None:
        return False
    host = match.group("host")
    return is_domain_component(host)


def count_entry_lines(text: str) -> int:
    """Lines that are neither blank nor ``#`` comments (without checking them)."""
    return sum(1 for raw in text.splitlines() if raw.strip() and not raw.strip().startswith("#"))


def _count_entries(text: str) -> int:
    count = 0
    for number, raw in enumerate(text.split("\n")[:-1], start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not is_entry(line):
            raise ListRejected(
                f"line {number} is not a list entry (<registry-host>/<path>): {_shorten(line)!r}"
            )
        _check_tag_rule(line, number)
        count += 1
    return count


def _check_tag_rule(line: str, number: int) -> None:
    """A ``repo:<rule>`` tag rule must be one RE2 (Go's regexp) accepts, as DaoCloud's sync
    scripts compiled it: a list with a rule they could not use is not accepted either."""
    _, colon, rule = line.split("/", 1)[1].partition(":")
    if not colon:
        return
    try:
        tag_matcher(rule)
    except TagRuleError as error:
        raise ListRejected(
            f"line {number} has a bad tag rule {_shorten(rule)!r}: {error}"
        ) from None


def _looks_like_html(data: bytes, content_type: str | None) -> bool:
    if content_type is not None and "html" in content_type.lower():
        return True
    return data.lstrip()[:1] == b"<"  # <!DOCTYPE html>, <html>, <?xml ...>: markup, no list


def _shorten(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."
