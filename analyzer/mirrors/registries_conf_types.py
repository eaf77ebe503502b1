"""The Go type of every ``registries.conf`` field, checked before anything else is read.

containers/image decodes the whole file with BurntSushi/toml into ``tomlConfig``
(``V2RegistriesConf`` + ``V1RegistriesConf``, ``loadConfigFile`` in
``pkg/sysregistriesv2/system_registries_v2.go``; ``Aliases`` in ``shortnames.go``;
containers/image v5.37, BurntSushi/toml v1.5.0). A value of the wrong type anywhere — in a
v1 or a v2 field, used or not — fails ``toml.DecodeFile``: ``incompatible types: TOML value
has type int64; destination has type slice``, and the whole configuration is refused.
Unknown keys are ignored. BurntSushi matches a key to a field by its tag, else
case-insensitively (``unifyStruct``: ``strings.EqualFold``), so ``Credential-Helpers`` is
checked too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

#: a TOML key path; an ``int`` is the 0-based index of a table in an array of tables
KeyPath: TypeAlias = tuple[str | int, ...]

STRING = "a string"
STRINGS = "an array of strings"
BOOL = "true or false"
STRING_MAP = "a table of strings"

#: a struct (tag -> type) or ``[struct]`` for a slice of structs (an array of tables)
Schema: TypeAlias = str | Mapping[str, "Schema"] | list["Schema"]

_ENDPOINT: dict[str, Schema] = {"location": STRING, "insecure": BOOL, "pull-from-mirror": STRING}
_REGISTRY: dict[str, Schema] = {
    "prefix": STRING,
    **_ENDPOINT,  # Endpoint is embedded: its fields are the registry's own
    "mirror": [_ENDPOINT],
    "blocked": BOOL,
    "mirror-by-digest-only": BOOL,
}
_V1_LIST: dict[str, Schema] = {"registries": STRINGS}  # V1TOMLregistries
ROOT: dict[str, Schema] = {
    # V2RegistriesConf
    "registry": [_REGISTRY],
    "unqualified-search-registries": STRINGS,
    "credential-helpers": STRINGS,
    "short-name-mode": STRING,
    # newer than containers/image 5.23 (skopeo 1.9.3 ignores a wrong type here): checked as
    # the newer releases do, a refusal over a false PASS
    "additional-layer-store-auth-helper": STRING,
    "aliases": STRING_MAP,  # shortNameAliasConf, embedded
    # V1RegistriesConf: V1TOMLConfig under the tag "registries"
    "registries": {"search": _V1_LIST, "insecure": _V1_LIST, "block": _V1_LIST},
}


class TypeProblem(ValueError):
    """A value Go's decoder refuses; ``keys`` is its key path, for the line number."""

    def __init__(self, message: str, keys: KeyPath) -> None:
        super().__init__(message)
        self.keys = keys


_TOML_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),  # before int: a bool is an int in Python
    (int, "an integer"),
    (float, "a float"),
    (str, "a string"),
    (list, "an array"),
    (dict, "a table"),
)


def _toml_type(value: Any) -> str:
    return next((name for kind, name in _TOML_TYPES if isinstance(value, kind)), "a date or time")


def _fold_equal(key: str, tag: str) -> bool:
    """``strings.EqualFold`` for an ASCII lower-case ``tag``."""
    return len(key) == len(tag) and all(c.casefold() == t for c, t in zip(key, tag, strict=True))


def _fits(value: Any, kind: str) -> bool:
    if kind == STRING:
        return isinstance(value, str)
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == STRINGS:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return False  # STRING_MAP: a table is checked value by value in check()


def check(value: Any, schema: Schema, where: str = "", keys: KeyPath = ()) -> None:
    """Raise ``TypeProblem`` for the first value that does not fit ``schema``."""
    if schema == STRING_MAP and isinstance(value, dict):  # map[string]string: each value
        for key, item in value.items():
            check(item, STRING, f"{where}.{key}", (*keys, key))
        return
    if isinstance(schema, str):
        if not _fits(value, schema):
            shown = _toml_type(value)
            if isinstance(value, list) and schema == STRINGS:
                shown = "an array holding " + next(
                    _toml_type(v) for v in value if not isinstance(v, str)
                )
            raise TypeProblem(f"{where} must be {schema}, not {shown}", keys)
        return
    if isinstance(schema, list):
        if not isinstance(value, list):
            raise TypeProblem(f"{where} must be an array of tables, not {_toml_type(value)}", keys)
        for number, item in enumerate(value, start=1):
            check(item, schema[0], f"{where} #{number}", (*keys, number - 1))
        return
    if not isinstance(value, dict):
        raise TypeProblem(
            f"{where or 'the document'} must be a table, not {_toml_type(value)}", keys
        )
    for key, item in value.items():
        tag = next((t for t in schema if _fold_equal(key, t)), None)
        if tag is not None:
            inner = f"{where}.{key}" if where else key
            check(item, schema[tag], inner, (*keys, key))


def canonical_keys(value: Any, schema: Schema, keys: KeyPath = ()) -> Any:
    """``value`` with every key of a struct spelt as its Go field's tag.

    BurntSushi fills a field from a key spelt any case (``Blocked = true`` blocks), so the
    reader must see that key as ``blocked``. For each key of a table ``unifyStruct`` takes
    the field whose tag equals it, else one equal but for case; two spellings of one field
    both decode into it, in Go's random map order (skopeo 1.9.3 blocked 10 times in 12 with
    ``blocked = false`` and ``Blocked = true``): two spellings with different values raise
    ``KeyConflict``, the same value is harmless. Maps (``[aliases]``) and unknown keys are
    kept as written. ``keys`` is the path of ``value``, for the line of a conflict.
    """
    if isinstance(schema, list):
        return (
            [canonical_keys(item, schema[0], (*keys, n)) for n, item in enumerate(value)]
            if isinstance(value, list)
            else value
        )
    if not isinstance(schema, Mapping) or not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    folded: dict[str, Any] = {}
    for key, item in value.items():
        tag = key if key in schema else next((t for t in schema if _fold_equal(key, t)), None)
        if tag is None:
            result[key] = item
        elif tag == key:
            result[tag] = canonical_keys(item, schema[tag], (*keys, tag))
        else:
            folded.setdefault(tag, canonical_keys(item, schema[tag], (*keys, tag)))
    for tag, item in folded.items():
        if tag in result and result[tag] != item:
            raise KeyConflict(
                f"{tag!r} is set twice, spelt differently, to different values: containers/"
                "image takes one of them at random each time it starts",
                (*keys, tag),
            )
        result.setdefault(tag, item)
    return result


class KeyConflict(ValueError):
    """One field set by two spellings of its key, to different values (``keys``: where)."""

    def __init__(self, message: str, keys: KeyPath) -> None:
        super().__init__(message)
        self.keys = keys
