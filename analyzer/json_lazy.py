"""``Lazy``: a JSON array for ``json_stream.write_json`` whose items are made as they are
written.

Kept apart from ``json_stream`` (which is compiled by mypyc when built so): a subclass of
``list`` cannot be a native class.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any


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
