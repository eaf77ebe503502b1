"""Where each ``[[registry]]``, its ``[[registry.mirror]]`` tables and their keys are in a
``registries.conf`` text.

``tomllib`` gives no positions, and most errors in this file are found after parsing (a
value of the wrong Go type, a location with a scheme, a bad wildcard...): the reader and
``coverage doctor`` take their line from this scan. It follows what moves a line out of
the document's structure: multi-line strings and multi-line arrays are skipped, keys are
matched case-insensitively (Go's decoder folds them), and entries written as inline tables
(``registry = [{prefix = "a"}, ...]``, ``mirror = [{location = "b"}]``) are found at the line
their ``{`` opens. When the scan cannot place a key, the entry's header line is named.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_KEY = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*[.=]""")


@dataclass
class Table:
    """One table (a ``[[registry]]``, a mirror): the line it starts at, its keys' lines."""

    line: int
    keys: dict[str, int] = field(default_factory=dict)
    mirrors: list[Table] = field(default_factory=list)

    def key(self, name: str) -> int | None:
        """The line of ``name`` (as written, else in any case), None when not found."""
        if name in self.keys:
            return self.keys[name]
        folded = name.lower()
        return next((n for k, n in self.keys.items() if k.lower() == folded), None)


@dataclass
class ConfLines:
    """1-based lines: top-level keys and tables (``top``), each ``[[registry]]`` in order."""

    top: Table = field(default_factory=lambda: Table(0))
    registries: list[Table] = field(default_factory=list)

    def registry(self, index: int, key: str = "") -> int | None:
        """The line of ``key`` in the ``index``-th entry (0-based), else of its header;
        with no such entry, the line of the top-level ``registry`` key."""
        if index >= len(self.registries):
            return self.top.key("registry")
        table = self.registries[index]
        return (table.key(key) if key else None) or table.line

    def mirror(self, index: int, number: int, key: str = "") -> int | None:
        """The line of ``key`` in mirror ``number`` (0-based) of entry ``index``, else of that
        mirror, else of the entry's ``mirror`` key or header."""
        if index >= len(self.registries) or number >= len(self.registries[index].mirrors):
            return self.registry(index, "mirror")
        table = self.registries[index].mirrors[number]
        return (table.key(key) if key else None) or table.line

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of a key path (``("registry", 1, "mirror", 0, "location")``: an int is
        a 0-based index), or of the nearest table or key that holds it."""
        if len(path) >= 2 and str(path[0]).lower() == "registry" and isinstance(path[1], int):
            rest = path[2:]
            if len(rest) >= 2 and isinstance(rest[1], int):
                return self.mirror(path[1], rest[1], str(rest[2]) if len(rest) > 2 else "")
            return self.registry(path[1], str(rest[0]) if rest else "")
        return self.top.key(str(path[0])) if path else None


def scan_conf_lines(text: str) -> ConfLines:
    """Scan ``text`` once, line by line."""
    lines = ConfLines()
    scanner = _Scanner(lines)
    for number, line in enumerate(text.splitlines(), start=1):
        scanner.line(number, line)
    return lines


class _Scanner:
    """The state between lines: the table keys go to, and an open string or array."""

    def __init__(self, lines: ConfLines) -> None:
        self.lines = lines
        self.table: Table | None = lines.top  # None: a table whose keys are not tracked
        self.entry = False  # the table is a [[registry]]
        self.quote: str | None = None  # an open multi-line string's delimiter
        self.depth = 0  # brackets open in a value
        self.braces = 0  # inline-table braces open in a value
        self.inline: list[Table] | None = None  # where a value's inline tables are entries

    def line(self, number: int, line: str) -> None:
        rest = line
        if self.quote is not None:
            end = rest.find(self.quote)
            if end == -1:
                return
            rest, self.quote = rest[end + 3 :], None
        elif self.depth == 0:
            stripped = rest.strip()
            if stripped.startswith("["):
                self._header(number, stripped)
                return
            rest = self._key(number, rest)
        self._value(number, rest)

    def _header(self, number: int, stripped: str) -> None:
        path = _header_path(stripped)
        if not path:
            return  # not a header tomllib reads: the reader reports the file's syntax
        self.lines.top.keys.setdefault(path[0], number)
        name = [p.lower() for p in path]
        array = stripped.startswith("[[")
        registries = self.lines.registries
        self.entry = array and name == ["registry"]
        if self.entry:
            self.table = Table(number)
            registries.append(self.table)
        elif array and name == ["registry", "mirror"] and registries:
            self.table = Table(number)
            registries[-1].mirrors.append(self.table)
        else:
            if name[0] == "registry" and len(name) > 1 and registries:
                registries[-1].keys.setdefault(path[1], number)  # [registry.x]: key x
            self.table = None

    def _key(self, number: int, line: str) -> str:
        """Note the key of ``line``; the text after its ``=`` (the value) is returned."""
        found = _KEY.match(line)
        if found is None:
            return ""
        name = found.group(1)
        name = name[1:-1] if name[:1] in "\"'" else name
        self.inline = None
        if self.table is not None:
            self.table.keys.setdefault(name, number)
            if self.table is self.lines.top and name.lower() == "registry":
                self.inline = self.lines.registries
            elif self.entry and name.lower() == "mirror":
                self.inline = self.table.mirrors
        equals = line.find("=", found.end() - 1)
        return line[equals + 1 :] if equals != -1 else ""

    def _value(self, number: int, text: str) -> None:
        """Follow brackets, braces and strings through ``text`` (comments end it)."""
        at = 0
        while at < len(text):
            char = text[at]
            if text.startswith(('"""', "'''"), at):
                end = text.find(text[at : at + 3], at + 3)
                if end == -1:
                    self.quote = text[at : at + 3]
                    return
                at = end + 3
                continue
            if char == '"':
                at = _basic_string_end(text, at + 1)
            elif char == "'":
                end = text.find("'", at + 1)
                at = len(text) if end == -1 else end
            elif char == "#":
                return
            elif char == "[":
                self.depth += 1
            elif char == "]":
                self.depth = max(self.depth - 1, 0)
            elif char == "{":
                if self.depth == 1 and self.braces == 0 and self.inline is not None:
                    self.inline.append(Table(number))
                self.braces += 1
            elif char == "}":
                self.braces = max(self.braces - 1, 0)
            at += 1


def _basic_string_end(text: str, at: int) -> int:
    """The index of the ``"`` that ends a basic string whose text starts at ``at``."""
    while at < len(text):
        if text[at] == "\\":
            at += 2
            continue
        if text[at] == '"':
            return at
        at += 1
    return len(text)


def _header_path(stripped: str) -> list[str]:
    """The keys of a ``[a."b"]`` or ``[[a.b]]`` header line, as written; [] if it is none."""
    try:
        node: Any = tomllib.loads(stripped)
    except tomllib.TOMLDecodeError:
        return []
    path: list[str] = []
    while isinstance(node, dict) and len(node) == 1:
        key, node = next(iter(node.items()))
        path.append(key)
        if isinstance(node, list):
            node = node[-1] if node else None
    return path
