"""How deeply a configuration text nests, found by a flat scan before any parser recurses.

``tomllib``, ``json`` and PyYAML's constructor build nested values recursively: a
``hosts.toml`` with ``x = [[[...]]]`` 500 deep, or a ``daemon.json`` 100,000 deep, ends in
``RecursionError``. The readers call ``deepest_toml``/``deepest_json``/``deepest_yaml``
first and refuse a text nested deeper than ``MAX_DEPTH`` with its line; nothing here
recurses. Real configuration files nest a few levels.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MAX_DEPTH = 64


class TooDeep(ValueError):
    """A text nested deeper than the limit; ``line`` is where the limit is passed."""

    def __init__(self, line: int, limit: int) -> None:
        super().__init__(f"nested deeper than {limit} levels (at line {line})")
        self.line = line
        self.limit = limit


def _check(events: Iterable[tuple[int, int]], limit: int) -> None:
    """``events`` are (delta, line) pairs: +1 opens a level, -1 closes one."""
    depth = 0
    for delta, line in events:
        depth += delta
        if depth > limit:
            raise TooDeep(line, limit)


def _events(text: str, *, toml: bool) -> Iterable[tuple[int, int]]:
    """Brackets and braces outside strings (and, in TOML, comments), with their lines.
    JSON strings are ``"..."`` with escapes; TOML adds ``'...'`` (no escapes), the
    triple-quoted multi-line forms and ``#`` comments."""
    quotes = "\"'" if toml else '"'
    line = 1
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
        elif ch == "#" and toml:
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif ch in quotes:
            triple = toml and text.startswith(ch * 3, i)
            quote = ch * 3 if triple else ch
            j = i + len(quote)
            while j < n:
                if ch == '"' and text[j] == "\\":
                    j += 2
                    continue
                if text.startswith(quote, j) or (text[j] == "\n" and toml and not triple):
                    break  # the end, or an unclosed one-line string the parser reports
                j += 1
            line += text.count("\n", i, j)
            i = j if j < n and text[j] == "\n" else j + len(quote)
            continue
        elif ch in "[{":
            yield 1, line
        elif ch in "]}":
            yield -1, line
        i += 1


def deepest_toml(text: str, limit: int = MAX_DEPTH) -> None:
    """Raise ``TooDeep`` when arrays and inline tables in ``text`` nest deeper than ``limit``."""
    _check(_events(text, toml=True), limit)


class TooDeepToml(tomllib.TOMLDecodeError):
    """Arrays or inline tables nested deeper than the limit: refused before ``tomllib``
    (which recurses on depth) sees the text; a ``TOMLDecodeError`` with its line."""

    def __init__(self, problem: TooDeep) -> None:
        ValueError.__init__(
            self, f"nested deeper than {problem.limit} levels (at line {problem.line}, column 1)"
        )


def load_toml(text: str) -> dict[str, Any]:
    """``tomllib.loads`` (``tomli`` on Python 3.10), after the depth check: a text nested too
    deeply raises ``TOMLDecodeError`` (``TooDeepToml``) with its line, never RecursionError.
    Every reader of TOML (hosts.toml, config.toml, registries.conf, settings) goes through it."""
    try:
        deepest_toml(text)
    except TooDeep as problem:
        raise TooDeepToml(problem) from None
    return tomllib.loads(text)


def deepest_json(text: str, limit: int = MAX_DEPTH) -> None:
    """Raise ``TooDeep`` when arrays and objects in ``text`` nest deeper than ``limit``."""
    _check(_events(text, toml=False), limit)


def deepest_yaml(text: str | bytes, limit: int = MAX_DEPTH) -> None:
    """Raise ``TooDeep`` when collections nest deeper than ``limit``; libyaml's event stream
    is flat, so nothing recurses (a syntax error is left to the parser that follows)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    opening = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    closing = (yaml.MappingEndEvent, yaml.SequenceEndEvent)

    def events() -> Iterable[tuple[int, int]]:
        try:
            for event in yaml.parse(text, Loader=loader):
                mark = event.start_mark
                line = mark.line + 1 if mark is not None else 0
                if isinstance(event, opening):
                    yield 1, line
                elif isinstance(event, closing):
                    yield -1, line
        except yaml.MarkedYAMLError as exc:
            # libyaml 0.2.6 stops at its own depth limit while scanning ahead, before the
            # events that would have passed ours
            if "maximum nesting depth" in str(exc.problem or ""):
                mark = exc.problem_mark
                raise TooDeep(mark.line + 1 if mark is not None else 0, limit) from None
        except (yaml.YAMLError, UnicodeDecodeError):
            # a syntax error: the parser that follows reports it (libyaml's events let the
            # UnicodeDecodeError of a tag's bad %-escapes through; the pure Python parser
            # after this makes it a ScannerError with its line)
            return

    _check(events(), limit)
