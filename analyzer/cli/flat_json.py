"""``json.dumps(payload, indent=2)``, byte for byte, for a mapping of lists of flat records.

With ``indent`` the standard library encodes in pure Python, a call per value: for 100,000
image uses that is a sixth of ``coverage images``. Records whose values are all strings,
integers, booleans or null are written here with the C string encoder; anything else
(a nested value, a float) falls back to ``json.dumps`` itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

_encode = json.encoder.encode_basestring_ascii


class _NotFlat(Exception):
    """A value this writer does not encode."""


def _scalar(value: object) -> str:
    kind = type(value)
    if isinstance(value, str) and kind is str:
        return str(_encode(value))
    if isinstance(value, int) and kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    raise _NotFlat


def _key(key: object) -> str:
    if not isinstance(key, str) or type(key) is not str:
        raise _NotFlat  # json.dumps writes other keys as strings
    return str(_encode(key))


def _record(record: Mapping[str, Any]) -> str:
    if not record:
        return "    {}"
    fields = ",\n".join(f"      {_key(k)}: {_scalar(v)}" for k, v in record.items())
    return "    {\n" + fields + "\n    }"


def dumps_records(payload: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """What ``json.dumps(payload, indent=2)`` gives, faster for flat records."""
    try:
        parts = []
        for name, records in payload.items():
            if not records:
                parts.append(f"  {_key(name)}: []")
            else:
                body = ",\n".join(_record(record) for record in records)
                parts.append(f"  {_key(name)}: [\n{body}\n  ]")
    except (_NotFlat, AttributeError, TypeError):
        return json.dumps(payload, indent=2)
    return "{\n" + ",\n".join(parts) + "\n}" if parts else "{}"
