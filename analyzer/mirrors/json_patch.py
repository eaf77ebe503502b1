"""JSON merge patches (RFC 7386) and JSON patches (RFC 6902) on parsed documents.

kind applies ``containerdConfigPatches`` to the node's ``config.toml`` as merge patches and
``containerdConfigPatchesJSON6902`` as JSON patches, both through evanphx/json-patch v5
(``MergePatch``, ``DecodePatch``/``Apply``), on the TOML converted to JSON
(kubernetes-sigs/kind ``pkg/internal/patch/toml.go``). Documents are plain ``dict``/``list``
values; nothing is changed in place. ``JsonPatchError`` says why a patch cannot apply (kind
then fails to create the cluster).
"""

from __future__ import annotations

import copy
from typing import Any


class JsonPatchError(ValueError):
    """A JSON patch operation that cannot apply; one line."""


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge key by key (``null`` removes a key), anything else replaces
    the target whole (an array is never merged)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str):
        raise JsonPatchError(f"path must be a string, not {type(path).__name__}")
    if path == "":
        return []
    if not path.startswith("/"):
        raise JsonPatchError(f"path {path!r} does not start with '/'")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _index(container: list[Any], token: str, *, adding: bool) -> int:
    if adding and token == "-":
        return len(container)
    if not token.isdigit() or (token.startswith("0") and token != "0"):
        raise JsonPatchError(f"array index {token!r} is not a number")
    index = int(token)
    if index > len(container) or (index == len(container) and not adding):
        raise JsonPatchError(f"array index {index} is out of range")
    return index


def _parent(doc: Any, parts: list[str], path: Any) -> Any:
    node = doc
    for token in parts[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, adding=False)]
        else:
            raise JsonPatchError(f"path {path!r} does not exist")
    return node


def _get(doc: Any, path: Any) -> Any:
    parts = _pointer(path)
    if not parts:
        return doc
    parent = _parent(doc, parts, path)
    token = parts[-1]
    if isinstance(parent, dict) and token in parent:
        return parent[token]
    if isinstance(parent, list):
        return parent[_index(parent, token, adding=False)]
    raise JsonPatchError(f"path {path!r} does not exist")


def _remove(doc: Any, path: Any) -> Any:
    parts = _pointer(path)
    if not parts:
        raise JsonPatchError("cannot remove the whole document")
    parent = _parent(doc, parts, path)
    token = parts[-1]
    if isinstance(parent, dict) and token in parent:
        return parent.pop(token)
    if isinstance(parent, list):
        return parent.pop(_index(parent, token, adding=False))
    raise JsonPatchError(f"path {path!r} does not exist")


def _add(doc: Any, path: Any, value: Any, *, replace: bool = False) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    parent = _parent(doc, parts, path)
    token = parts[-1]
    if isinstance(parent, dict):
        if replace and token not in parent:
            raise JsonPatchError(f"path {path!r} does not exist")
        parent[token] = value
    elif isinstance(parent, list):
        if replace:
            parent[_index(parent, token, adding=False)] = value
        else:
            parent.insert(_index(parent, token, adding=True), value)
    else:
        raise JsonPatchError(f"path {path!r} does not exist")
    return doc


def apply_json_patch(doc: Any, operations: Any) -> Any:
    """RFC 6902 ``add``, ``remove``, ``replace``, ``move``, ``copy``, ``test``, in order;
    the first operation that cannot apply raises ``JsonPatchError`` (nothing is applied)."""
    if not isinstance(operations, list):
        raise JsonPatchError("a JSON patch must be an array of operations")
    out = copy.deepcopy(doc)
    for number, operation in enumerate(operations, 1):
        if not isinstance(operation, dict):
            raise JsonPatchError(f"operation {number} is not an object")
        op = operation.get("op")
        path = operation.get("path")
        try:
            if op in ("add", "replace", "test") and "value" not in operation:
                raise JsonPatchError("has no value")
            if op == "add":
                out = _add(out, path, copy.deepcopy(operation["value"]))
            elif op == "replace":
                out = _add(out, path, copy.deepcopy(operation["value"]), replace=True)
            elif op == "remove":
                _remove(out, path)
            elif op in ("move", "copy"):
                source = operation.get("from")
                value = _remove(out, source) if op == "move" else copy.deepcopy(_get(out, source))
                out = _add(out, path, value)
            elif op == "test":
                if _get(out, path) != operation["value"]:
                    raise JsonPatchError(f"test failed at {path!r}")
            else:
                raise JsonPatchError(f"unknown op {op!r}")
        except JsonPatchError as exc:
            raise JsonPatchError(f"operation {number} ({op}): {exc}") from None
    return out
