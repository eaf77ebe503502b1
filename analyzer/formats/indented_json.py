"""``json.dumps(value, indent=2)``, byte for byte, at the C encoder's speed.

With ``indent`` set, the standard library falls back to its pure-Python encoder (a
generator per container: 4.3 s of a 100k-image ``scan -f json``). This writer walks only
the containers itself and lets the C encoder write the rest: a container whose items are
all scalars (a use, an attempt, a list of image names) is one call of an encoder whose
item separator already holds the newline and the indentation of its depth; a mixed
container writes its scalars itself (strings through the C string encoder) and recurses
into the rest. Same separators, ``ensure_ascii``, key conversion and float spelling as
``json.dumps(indent=2)``: the output is identical (tests/test_formats_json.py compares).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from itertools import repeat
from json.encoder import encode_basestring_ascii
from typing import Any

_INDENT = "  "
_CONTAINERS = (dict, list, tuple)
_PLAIN = json.JSONEncoder()  # what json.dumps uses for anything else (floats, subclasses)


def _one_call(separator: str) -> Callable[[Any], str]:
    """``JSONEncoder(separators=(separator, ": ")).encode``, without its per-call set-up
    when the C encoder is there."""
    encoder = json.JSONEncoder(separators=(separator, ": "))
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython always has _json
        return encoder.encode
    c_encoder = make(
        None,  # no circular-reference check: a report is a tree
        encoder.default,
        encode_basestring_ascii,
        None,
        ": ",
        separator,
        False,
        False,
        True,
    )

    def encode(value: Any) -> str:
        return "".join(c_encoder(value, 0))

    return encode


class _Writer:
    def __init__(self) -> None:
        self.flat: list[Callable[[Any], str]] = []  # per depth: one call for a flat container
        self.pads: list[str] = []  # per depth: "\n" and its indentation

    def pad(self, depth: int) -> str:
        while len(self.pads) <= depth:
            self.pads.append("\n" + _INDENT * len(self.pads))
        return self.pads[depth]

    def flat_encoder(self, depth: int) -> Callable[[Any], str]:
        while len(self.flat) <= depth:
            self.flat.append(_one_call("," + self.pad(len(self.flat) + 1)))
        return self.flat[depth]

    def write(self, value: Any, depth: int, out: list[str]) -> None:
        if isinstance(value, dict):
            self._dict(value, depth, out)
        elif isinstance(value, (list, tuple)):
            self._list(value, depth, out)
        else:
            out.append(_scalar(value))

    def _dict(self, value: dict[Any, Any], depth: int, out: list[str]) -> None:
        if not value:
            out.append("{}")
            return
        inner = self.pad(depth + 1)
        if not any(map(isinstance, value.values(), repeat(_CONTAINERS))):
            text = self.flat_encoder(depth)(value)  # "{" items "}"
            out.append("{" + inner + text[1:-1] + self.pad(depth) + "}")
            return
        # runs of scalar items in one call each; containers recursed into
        items = list(value.items())
        flags = list(map(isinstance, value.values(), repeat(_CONTAINERS)))
        encode = self.flat_encoder(depth)
        append = out.append
        append("{")
        separator = inner
        start = 0
        for position in [*(i for i, nested in enumerate(flags) if nested), len(items)]:
            if position > start:
                append(separator + encode(dict(items[start:position]))[1:-1])
                separator = "," + inner
            if position < len(items):
                key, item = items[position]
                append(separator + _key(key) + ": ")
                separator = "," + inner
                self.write(item, depth + 1, out)
            start = position + 1
        append(self.pad(depth) + "}")

    def _list(self, value: list[Any] | tuple[Any, ...], depth: int, out: list[str]) -> None:
        if not value:
            out.append("[]")
            return
        inner = self.pad(depth + 1)
        if not any(map(isinstance, value, repeat(_CONTAINERS))):
            text = self.flat_encoder(depth)(value)
            out.append("[" + inner + text[1:-1] + self.pad(depth) + "]")
            return
        if all(type(item) is dict and item for item in value) and not any(
            any(map(isinstance, item.values(), repeat(_CONTAINERS))) for item in value
        ):
            out.append(self._flat_dicts(value, depth))
            return
        append = out.append
        append("[")
        separator = inner
        for item in value:
            append(separator)
            separator = "," + inner
            self.write(item, depth + 1, out)
        append(self.pad(depth) + "]")

    def _flat_dicts(self, value: list[Any] | tuple[Any, ...], depth: int) -> str:
        """A list of non-empty dicts of scalars (uses, attempts) in one C call: encoded with
        the item separator of the dicts' items, the separators between the dicts (the only
        ones after a ``}``: no scalar ends with one) then get the list's indentation. Safe
        because the encoder escapes every newline inside strings: each newline of its output
        is a separator."""
        outer, inner = self.pad(depth + 1), self.pad(depth + 2)
        text = self.flat_encoder(depth + 1)(value)  # [{...},<inner>{...}]
        body = text[2:-2].replace("}," + inner + "{", outer + "}," + outer + "{" + inner)
        return "[" + outer + "{" + inner + body + outer + "}" + self.pad(depth) + "]"


def _scalar(value: Any) -> str:
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
    """A key as ``json.dumps`` writes it (str; int, float, bool and None converted)."""
    if type(key) is str:
        text: str = encode_basestring_ascii(key)
        return text
    return _PLAIN.encode({key: 0})[1:-4]  # '{"<key>": 0}'


def dumps(value: Any) -> str:
    """The text of ``json.dumps(value, indent=2)``."""
    out: list[str] = []
    _Writer().write(value, 0, out)
    return "".join(out)
