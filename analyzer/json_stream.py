"""JSON written as it is made: ``json.dumps(value, indent=...)``, byte for byte, without
holding the document.

A report of millions of uses would be a string of gigabytes. ``write_json`` runs the
standard library's own indenting encoder (the pure-Python one, which ``json.dumps`` uses
whenever ``indent`` is given) and writes its pieces as they come; a ``Lazy`` in the value
is a JSON array whose items are made only when the encoder reaches them, once.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator
from json.encoder import encode_basestring_ascii
from typing import Any, Protocol

from analyzer.json_lazy import Lazy

#: characters joined into one ``write`` at least (the encoder yields punctuation and values
#: apart; a writer of known shapes, such as a report's images, a whole object at once)
_BATCH = 1 << 20


class Encoded:
    """A value ``write_json`` takes as text: ``pieces(indented, level)`` yields exactly what
    the walk would write for it at ``level`` (a writer that knows the value's shape, such
    as a report's image, skips building the dict and testing each item's type)."""

    __slots__ = ("pieces",)

    def __init__(self, pieces: Callable[[Indented, int], Iterable[str]]) -> None:
        self.pieces = pieces


class Writable(Protocol):
    def write(self, text: str, /) -> object: ...


_PLAIN = json.JSONEncoder()  # what json.dumps uses for anything else (floats, subclasses)


def write_json(value: Any, out: Writable, *, indent: int | None = 2) -> None:
    """Write ``json.dumps(value, indent=indent)`` to ``out``, piece by piece.

    Arrays and objects are walked here; an object or array whose values are all scalars
    (a use, an attempt) is written by the C encoder in one call, with the indentation as
    its separator; everything else is ``json.dumps``'s own encoding of that scalar."""
    if indent is None:  # not used by the formats: the standard encoder, piece by piece
        pieces = json.JSONEncoder().iterencode(value)
    else:
        pieces = Indented(" " * indent).pieces(value, 0)
    batch: list[str] = []
    size = 0
    for piece in pieces:
        batch.append(piece)
        size += len(piece)
        if size >= _BATCH:
            out.write("".join(batch))
            batch.clear()
            size = 0
    out.write("".join(batch))


#: values the C encoder writes alike with any separators (exact types: a ``Lazy`` is a list)
_SCALARS = frozenset({str, int, float, bool, type(None)})


class Indented:
    """``json.dumps(value, indent=...)``'s layout, made one piece at a time."""

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self._flat: dict[int, Callable[[Any], str]] = {}  # per depth: the C encoder

    def flat_encoder(self, level: int) -> Callable[[Any], str]:
        """The C encoder of an object or array of scalars whose items are at ``level + 1``
        (``{"a": 1,\n<indent>"b": 2}``: without the lines around the brackets)."""
        encode = self._flat.get(level)
        if encode is None:
            encode = self._flat[level] = scalars_encoder(",\n" + self.unit * (level + 1))
        return encode

    def pieces(self, value: Any, level: int) -> Iterator[str]:
        if isinstance(value, dict):
            if not value:
                yield "{}"
            elif _SCALARS.issuperset(map(type, value.values())):
                yield self.flat_item(value, level)
            else:
                yield from self._object(value, level)
        elif isinstance(value, (list, tuple)):
            if not value:
                yield "[]"
            elif type(value) is not Lazy and _SCALARS.issuperset(map(type, value)):
                yield self.flat_item(value, level)
            elif type(value) is not Lazy and all(_flat_dict(item) for item in value):
                yield self.flat_dicts(value, level)
            else:
                yield from self._array(value, level)
        elif type(value) is Encoded:
            yield from value.pieces(self, level)
        else:
            yield _scalar(value)

    def flat_item(self, value: Any, level: int) -> str:
        """A non-empty object or array of scalars: ``{"a": 1,\n  "b": 2}`` from the C
        encoder, opened and closed on lines of their own."""
        text = self.flat_encoder(level)(value)
        inner = self.unit * (level + 1)
        return f"{text[0]}\n{inner}{text[1:-1]}\n{self.unit * level}{text[-1]}"

    def flat_dicts(self, value: list[Any] | tuple[Any, ...], level: int) -> str:
        """A list of non-empty dicts of scalars (attempts, errors) in one C call: encoded
        with the item separator of the dicts' items, the separators between the dicts (the
        only ones after a ``}``: no scalar ends with one) then get the list's indentation.
        Safe because the encoder escapes every newline inside strings."""
        outer = "\n" + self.unit * (level + 1)
        inner = "\n" + self.unit * (level + 2)
        text = self.flat_encoder(level + 1)(value)  # [{...},<inner>{...}]
        body = text[2:-2].replace("}," + inner + "{", outer + "}," + outer + "{" + inner)
        return "[" + outer + "{" + inner + body + outer + "}\n" + self.unit * level + "]"

    def _object(self, value: dict[Any, Any], level: int) -> Iterator[str]:
        """Runs of scalar items in one C call each; arrays and objects walked."""
        inner = "\n" + self.unit * (level + 1)
        encode = self.flat_encoder(level)
        opening = "{" + inner
        run: dict[Any, Any] = {}
        for key, item in value.items():
            if type(item) in _SCALARS:
                run[key] = item
                continue
            if run:
                yield opening + encode(run)[1:-1]
                opening = "," + inner
                run = {}
            yield opening + _key(key) + ": "
            opening = "," + inner
            yield from self.pieces(item, level + 1)
        if run:
            yield opening + encode(run)[1:-1]
        yield "\n" + self.unit * level + "}"

    def _array(self, value: Iterable[Any], level: int) -> Iterator[str]:
        inner = "\n" + self.unit * (level + 1)
        first = True
        for item in value:
            yield ("[" if first else ",") + inner
            first = False
            yield from self.pieces(item, level + 1)
        yield "[]" if first else "\n" + self.unit * level + "]"


def scalars_encoder(separator: str, colon: str = ": ") -> Callable[[Any], str]:
    """``json.dumps(value, separators=(separator, colon))`` for an object or array of
    scalars: the C encoder made once (``JSONEncoder.encode`` makes one per call)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # an interpreter without the C accelerator
        return json.JSONEncoder(separators=(separator, colon)).encode
    # markers, default, encoder, indent, key and item separators, sort_keys, skipkeys, allow_nan
    encoder = make(
        None,
        _no_default,
        json.encoder.encode_basestring_ascii,
        None,
        colon,
        separator,
        False,
        False,
        True,
    )

    def encode(value: Any) -> str:
        return "".join(encoder(value, 0))

    return encode


def _no_default(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _flat_dict(item: Any) -> bool:
    return type(item) is dict and bool(item) and _SCALARS.issuperset(map(type, item.values()))


def _scalar(value: Any) -> str:
    """A value that is no array or object, as ``json.dumps`` writes it."""
    kind = type(value)
    if kind is str:
        text: str = encode_basestring_ascii(value)
        return text
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    return _PLAIN.encode(value)  # floats (nan, inf), subclasses: as json.dumps does


def _key(key: Any) -> str:
    """An object key as ``json.dumps`` writes it (numbers, booleans and null as strings)."""
    if type(key) is str:
        text: str = encode_basestring_ascii(key)
        return text
    return _PLAIN.encode({key: 0})[1:-4]  # '{"<key>": 0}'


def dumps(value: Any) -> str:
    """The text of ``json.dumps(value, indent=2)``, at the C encoder's speed."""
    out = io.StringIO()
    write_json(value, out)
    return out.getvalue()
