"""containerd's ``config.toml`` ``imports``: the files loaded, and the plugin sections in effect.

containerd 1.x ``LoadConfig`` (services/server/config/config.go, v1.6.20) loads the main file,
then its ``imports`` breadth-first, each file once (``loaded``): an import with a ``*`` is a
``filepath.Glob`` (relative to containerd's working directory, not the file's), any other is
``filepath.Clean``\\ ed and joined to the importing file's directory when relative
(``resolveImports``); a file that cannot be loaded stops containerd. ``mergeConfig`` then
replaces each plugin's section **whole** with the later file's: an imported
``[plugins."io.containerd.grpc.v1.cri"]`` that sets anything at all drops the main file's
registry settings (proven against 1.6.20, tests/integration/test_containerd_config_version.py).
containerd 2.x (cmd/containerd/server/config/config.go v2.0.0 ``mergeConfig``) dropped that
replacement: its ``mergo.Merge`` merges plugin tables key by key, a later value overriding an
earlier one; so does the analyser for 2.x, and where both files set the same array (which
2.x's slice transformer may join) it warns that the later one is used. 2.x was not run here.
A later file's non-zero ``version`` overrides the earlier one (``mergo.WithOverride``).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.mirrors.errors import read_config_text
from analyzer.mirrors.toml_lines import TOMLDecodeError, loads, scan_layout, syntax_error_line
from analyzer.model import ConfigError

LineOf = Callable[[Sequence[str]], int | None]


@dataclass(frozen=True)
class Loaded:
    """The merged view: ``doc`` (``version`` and ``plugins``), where each plugin section came
    from (path and line lookup), and what stops containerd or surprises its author."""

    doc: dict[str, Any]
    origins: dict[str, tuple[str, LineOf]]  # plugin key -> (file, line_of)
    errors: tuple[ConfigError, ...] = ()
    warnings: tuple[str, ...] = ()


def _resolve(parent: str, imports: list[Any]) -> list[str]:
    """``resolveImports``."""
    out: list[str] = []
    for item in imports:
        if not isinstance(item, str):
            continue
        if "*" in item:
            out.extend(sorted(glob.glob(item)))
            continue
        path = os.path.normpath(item)
        out.append(path if os.path.isabs(path) else os.path.join(os.path.dirname(parent), path))
    return out


def load_with_imports(
    path: str, doc: dict[str, Any], line_of: LineOf, whole_sections: bool = True
) -> Loaded:
    """``doc`` (the main file, already parsed) merged with every file it imports: plugin
    sections replaced whole (containerd 1.x, ``whole_sections``) or merged key by key (2.x)."""
    imports = doc.get("imports")
    raw = doc.get("plugins")
    plugins: dict[str, Any] = raw if isinstance(raw, dict) else {}
    origins: dict[str, tuple[str, LineOf]] = {key: (path, line_of) for key in plugins}
    merged: dict[str, Any] = {"version": doc.get("version", 0), "plugins": dict(plugins)}
    if not isinstance(imports, list) or not imports:
        return Loaded(doc, origins)
    errors: list[ConfigError] = []
    warnings: list[str] = []
    loaded = {os.path.normpath(path)}
    pending = _resolve(path, imports)
    while pending:
        current, pending = pending[0], pending[1:]
        if os.path.normpath(current) in loaded:
            continue
        text = read_config_text(current)
        if isinstance(text, ConfigError):
            errors.append(_stops(path, f"imported {text.file}: {text.message}"))
            break
        try:
            imported = loads(text)
        except TOMLDecodeError as exc:
            where = f"{current}:{syntax_error_line(exc, text)}"
            errors.append(_stops(path, f"imported {where} is not valid TOML: {exc}"))
            break
        loaded.add(os.path.normpath(current))
        version = imported.get("version", 0)
        if isinstance(version, int) and not isinstance(version, bool) and version:
            merged["version"] = version
        layout = scan_layout(text)
        more_plugins = imported.get("plugins")
        for key, section in (more_plugins if isinstance(more_plugins, dict) else {}).items():
            earlier = merged["plugins"].get(key)
            if not whole_sections and isinstance(earlier, dict) and isinstance(section, dict):
                merged["plugins"][key] = _merged(earlier, section, f"{current}: {key}", warnings)
                if has_registry(section):  # its lines name the registry settings now
                    origins[key] = (current, layout.line_of)
                continue
            if key in merged["plugins"] and has_registry(earlier):
                warnings.append(
                    f'{origins[key][0]}: [plugins."{key}"] is replaced whole by the one in '
                    f"{current} (containerd 1.x's imports replace a plugin's section, they do "
                    "not merge it): its registry settings are not used"
                )
            merged["plugins"][key] = section
            origins[key] = (current, layout.line_of)
        more = imported.get("imports")
        pending += _resolve(current, more) if isinstance(more, list) else []
    if not merged["version"]:
        merged.pop("version")
    return Loaded(merged, origins, tuple(errors), tuple(warnings))


def _merged(
    earlier: dict[str, Any], later: dict[str, Any], where: str, warnings: list[str]
) -> dict[str, Any]:
    """``later`` merged into a copy of ``earlier`` as containerd 2.x's ``mergo.Merge`` with
    ``WithOverride`` does: tables key by key, any other value of ``later`` replacing it."""
    out = dict(earlier)
    for name, value in later.items():
        before = out.get(name)
        if isinstance(before, dict) and isinstance(value, dict):
            out[name] = _merged(before, value, f"{where}.{name}", warnings)
            continue
        if isinstance(before, list) and isinstance(value, list) and before != value:
            warnings.append(
                f"{where}.{name} is set by an earlier file too: containerd 2.x may join the two "
                "arrays; the later one is used here"
            )
        out[name] = value
    return out


def has_registry(section: Any) -> bool:
    """A plugin section (of any file) with a ``registry`` table in it."""
    return isinstance(section, dict) and "registry" in section


def _stops(path: str, why: str) -> ConfigError:
    return ConfigError(path, None, f"{why}: containerd does not start, so no pull works")
