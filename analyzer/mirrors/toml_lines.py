"""Where things are in a TOML text: the line of each table header and key.

``tomllib`` reports line numbers for syntax errors only; for a semantic error (a wrong type,
an unknown capability) the report still has to name the line, so we scan the text once.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.nesting import load_toml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

KeyPath = tuple[str, ...]

_SYNTAX_LINE_RE = re.compile(r"at line (\d+)")
_BARE_OR_QUOTED = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_KEY_RE = re.compile(rf"^\s*({_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*)\s*=")


@dataclass(frozen=True)
class TableHeader:
    """A ``[a."b".c]`` header (not ``[[array]]``) and its 1-based line."""

    path: KeyPath
    line: int


@dataclass(frozen=True)
class TomlLayout:
    """Table headers in file order and the first line of every key path."""

    headers: tuple[TableHeader, ...]
    key_lines: Mapping[KeyPath, int]

    def line_of(self, path: Sequence[str]) -> int | None:
        """The line of ``path``, else of its longest prefix that has a line."""
        wanted = tuple(path)
        while wanted:
            line = self.key_lines.get(wanted)
            if line is not None:
                return line
            wanted = wanted[:-1]
        return None


def syntax_error_line(error: Exception, text: str) -> int | None:
    """The line number in a ``tomllib.TOMLDecodeError`` message ("at end of document": the
    last line of ``text``)."""
    match = _SYNTAX_LINE_RE.search(str(error))
    if match:
        return int(match.group(1))
    if "end of document" in str(error):
        return max(len(text.splitlines()), 1)
    return None


def _single_path(doc: Any) -> KeyPath:
    """The one key path of ``{"a": {"b": {}}}`` (or ``[[a]]``'s ``{"a": [{}]}``)."""
    path: list[str] = []
    node = doc
    while True:
        if isinstance(node, list) and len(node) == 1:
            node = node[0]
        if not isinstance(node, dict) or len(node) != 1:
            return tuple(path)
        key, node = next(iter(node.items()))
        path.append(key)


def _parse_header(text: str) -> KeyPath | None:
    try:
        return _single_path(tomllib.loads(text))
    except tomllib.TOMLDecodeError:
        return None


def _parse_key(text: str) -> KeyPath | None:
    try:
        return _single_path(tomllib.loads(text + " = 0"))
    except tomllib.TOMLDecodeError:
        return None


def scan_layout(text: str) -> TomlLayout:
    """Scan ``text`` line by line (skipping multi-line strings) for headers and keys."""
    headers: list[TableHeader] = []
    key_lines: dict[KeyPath, int] = {}
    table: KeyPath = ()
    in_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline is not None:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        stripped = line.strip()
        if stripped.startswith("["):
            path = _parse_header(stripped)
            if path is not None:
                table = path
                for depth in range(1, len(path) + 1):
                    key_lines.setdefault(path[:depth], number)
                if not stripped.startswith("[["):
                    headers.append(TableHeader(path, number))
        else:
            match = _KEY_RE.match(line)
            if match is not None:
                key = _parse_key(match.group(1))
                if key is not None:
                    full = table + key
                    for depth in range(len(table) + 1, len(full) + 1):
                        key_lines.setdefault(full[:depth], number)
        for quote in ('"""', "'''"):
            if line.count(quote) % 2 == 1:
                in_multiline = quote
                break
    return TomlLayout(headers=tuple(headers), key_lines=key_lines)


def loads(text: str) -> dict[str, Any]:
    """``analyzer.nesting.load_toml``: ``tomllib.loads`` after the depth check."""
    return load_toml(text)


TOMLDecodeError = tomllib.TOMLDecodeError
