"""JSON written as it is made: ``json.dumps(value, indent=...)``, byte for byte, without
holding the document.

A report of millions of uses would be a string of gigabytes. ``write_json`` runs the
standard library's own indenting encoder (the pure-Python one, which ``json.dumps`` uses
whenever ``indent`` is given) and writes its pieces as they come; a ``Lazy`` in the value
is a JSON array whose items are made only when the encoder reaches them, once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, Protocol

#: pieces joined into one ``write`` (the encoder yields punctuation and values apart)
_BATCH = 4096


class Lazy(list[Any]):
    """An array for ``write_json`` whose items come from ``items`` as they are written.

    A ``list`` to the encoder (which tests ``isinstance(o, list)``, ``not o`` and iterates),
    but it holds nothing: iterate it once, with ``write_json``."""

    def __init__(self, items: Iterable[Any]) -> None:
        super().__init__()
        self._items = iter(items)
        self._first: list[Any] = []  # the item looked at to tell an empty array
        self._looked = False

    def __bool__(self) -> bool:
        if not self._looked:
            self._looked = True
            self._first = list(islice(self._items, 1))
        return bool(self._first)

    def __iter__(self) -> Iterator[Any]:
        bool(self)
        yield from self._first
        self._first = []
        yield from self._items


class Writable(Protocol):
    def write(self, text: str, /) -> object: ...


def write_json(value: Any, out: Writable, *, indent: int | None = 2) -> None:
    """Write ``json.dumps(value, indent=indent)`` to ``out``, piece by piece."""
    pieces: list[str] = []
    for piece in json.JSONEncoder(indent=indent).iterencode(value):
        pieces.append(piece)
        if len(pieces) >= _BATCH:
            out.write("".join(pieces))
            pieces.clear()
    out.write("".join(pieces))
