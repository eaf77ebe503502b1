"""Plain-text tables for a terminal: aligned columns, cells of several lines, clipped cells.

Widths count characters (wide East Asian characters count as one).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import zip_longest

ELLIPSIS = "…"
#: C0 and C1 control characters (ESC among them), lone surrogates from undecodable bytes
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def printable(text: str, *, keep_colour: bool = False, line: bool = False) -> str:
    """``text`` safe for a terminal or a CI log: control characters from manifests (an
    ``image: "x\\e[2J"`` would clear the screen) are shown escaped, as Python writes them.
    With ``keep_colour`` the colour codes this program adds (SGR sequences) stay. With
    ``line`` (text meant as one line: a table row, a cell, an error) a line feed is escaped
    too: one from a file name would start a line of its own, which a CI runner reads as a
    command (``::error::...`` in GitHub Actions)."""
    if keep_colour:
        parts = _SGR.split(text)
        codes = _SGR.findall(text)
        escaped = [printable(part, line=line) for part in parts]
        return "".join(p + c for p, c in zip(escaped, [*codes, ""], strict=True))
    shown = _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
    return shown.replace("\n", "\\n") if line else shown


def clip(text: str, width: int, *, keep_end: bool = False) -> str:
    """``text`` cut to ``width`` characters, with an ellipsis (at the start if ``keep_end``)."""
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    if keep_end:
        return ELLIPSIS + text[len(text) - width + 1 :]
    return text[: width - 1] + ELLIPSIS


def wrap(text: str, width: int, *, breaks: str = "/@:-.") -> list[str]:
    """``text`` on lines of at most ``width`` characters, nothing left out: each line ends
    just after one of ``breaks`` when one is near enough, else at ``width``. For image
    references and URLs, which should never lose characters to an ellipsis."""
    lines: list[str] = []
    rest = text
    while len(rest) > width:
        cut = max(rest.rfind(ch, 0, width) for ch in breaks) + 1
        if cut < width // 2:  # no break near enough: cut hard
            cut = width
        lines.append(rest[:cut])
        rest = rest[cut:]
    return [*lines, rest]


def abbreviate(items: Sequence[str], width: int) -> str:
    """As many of ``items`` as fit in ``width``, comma-separated, then ``+N more``."""
    if not items:
        return ""
    shown: list[str] = []
    for index, item in enumerate(items):
        rest = len(items) - index - 1
        tail = f", +{rest} more" if rest else ""
        if len(", ".join([*shown, item]) + tail) > width:
            break
        shown.append(item)
    if not shown:  # not even the first fits: clip it
        more = f" +{len(items) - 1} more" if len(items) > 1 else ""
        return clip(items[0], max(width - len(more), 1)) + more
    left = len(items) - len(shown)
    return ", ".join(shown) + (f", +{left} more" if left else "")


@dataclass(frozen=True)
class Column:
    header: str
    max_width: int | None = None  # None: whatever the line width leaves
    keep_end: bool = False  # clip the start (file paths), not the end


Cell = str | Sequence[str]


def _lines(cell: Cell) -> list[str]:
    return [cell] if isinstance(cell, str) else list(cell)


def grid(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    *,
    notes: Sequence[str | None] = (),
    indent: int = 2,
    gap: int = 2,
    line_width: int = 120,
) -> list[str]:
    """The header and the rows, aligned; a row's cells may hold several lines each.

    ``notes[i]``, when given, is printed under row ``i``, indented a little further, clipped
    to the line width.
    """
    widths = [len(c.header) for c in columns]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], *(len(line) for line in _lines(cell)), 0)
    used = indent
    for i, column in enumerate(columns):
        limit = column.max_width
        if limit is None:
            limit = max(line_width - used, len(column.header), 12)
        widths[i] = min(widths[i], limit)
        used += widths[i] + gap
    out = [_join([c.header for c in columns], widths, indent, gap)]
    for index, row in enumerate(rows):
        cells = [
            [clip(line, widths[i], keep_end=columns[i].keep_end) for line in _lines(cell)]
            for i, cell in enumerate(row)
        ]
        for parts in zip_longest(*cells, fillvalue=""):
            out.append(_join(list(parts), widths, indent, gap))
        note = notes[index] if index < len(notes) else None
        if note:
            margin = indent + 2
            out.append(" " * margin + clip(note, line_width - margin))
    return out


def _join(parts: list[str], widths: list[int], indent: int, gap: int) -> str:
    padded = [part.ljust(width) for part, width in zip(parts, widths, strict=True)]
    return (" " * indent + (" " * gap).join(padded)).rstrip()
