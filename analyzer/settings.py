"""Project settings for ``coverage scan``: ``[tool.image-coverage]`` or ``image-coverage.toml``.

The file is found upward from the current directory (or named with ``--config``). Keys
are the long option names of ``coverage scan`` (``hosts-dir``, ``catalog``, ``fail-on``,
...); paths in the file are relative to the file's own directory. Command-line flags win.
``[[rules]]`` tables are extraction rules for custom resources (``analyzer.sources.rules``);
``coverage images`` reads them too.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analyzer.nesting import load_toml as toml_loads

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.sources.kinds import Rule

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from analyzer.regular_file import read_regular_text

CONFIG_FILE = "image-coverage.toml"
PYPROJECT = "pyproject.toml"
TABLE = "image-coverage"

_LIST_KEYS = (
    "paths",
    "hosts-dir",
    "catalog",
    "fail-on",
    "ignore",
    "include",
    "helm-arg",
    "minikube-registry-mirror",
)
_PATH_LIST_KEYS = ("paths", "hosts-dir")
_COMMA_LIST_KEYS = ("fail-on", "include")
_STR_KEYS = (
    "containerd-config",
    "docker-daemon",
    "format",
    "output",
    "ignore-file",
    "containerd-version",
    "runtime",
    "k3s-registries",
    "registries-conf",
    "registries-conf-d",
    "kind-config",
    "minikube-profile",
)
_PATH_KEYS = (
    "containerd-config",
    "docker-daemon",
    "output",
    "ignore-file",
    "k3s-registries",
    "registries-conf",
    "registries-conf-d",
    "kind-config",
    "minikube-profile",
)


class SettingsError(ValueError):
    """A settings file that cannot be used; the message names the file and key."""


@dataclass(frozen=True)
class Settings:
    """Options read from a settings file (``None``/empty when the file does not set them)."""

    file: str | None = None
    paths: tuple[str, ...] = ()
    hosts_dir: tuple[str, ...] = ()
    containerd_config: str | None = None
    docker_daemon: str | None = None
    catalog: tuple[str, ...] = ()
    format: str | None = None
    output: str | None = None
    fail_on: tuple[str, ...] | None = None  # None: not set (the default policy)
    min_coverage: float | None = None
    ignore: tuple[str, ...] = ()
    ignore_file: str | None = None
    include: tuple[str, ...] = ()
    probe: bool | None = None
    runtime: str | None = None
    k3s_registries: str | None = None
    k3s_disable_default_endpoint: bool | None = None
    registries_conf: str | None = None
    registries_conf_d: str | None = None
    helm_arg: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    containerd_version: str | None = None
    kind_config: str | None = None
    minikube_registry_mirror: tuple[str, ...] = ()
    minikube_profile: str | None = None


def find_settings_file(start: Path | None = None) -> Path | None:
    """The nearest ``image-coverage.toml``, or ``pyproject.toml`` with our table, upward."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _has_table(pyproject):
            return pyproject
    return None


def load_settings(path: Path) -> Settings:
    """Read one settings file. Raises ``SettingsError`` with a one-line message."""
    try:
        data = toml_loads(read_regular_text(path))
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: invalid TOML: {exc}") from None
    tool = data.get("tool")
    if path.name == PYPROJECT:
        table = tool.get(TABLE, {}) if isinstance(tool, dict) else {}
    elif isinstance(tool, dict) and TABLE in tool:
        table = tool[TABLE]  # image-coverage.toml may also use the [tool.image-coverage] table
    else:
        table = data
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: [tool.{TABLE}] must be a table")
    return _settings_from_table(table, path)


def _settings_from_table(table: dict[str, Any], path: Path) -> Settings:
    base = path.parent
    values: dict[str, Any] = {"file": str(path)}
    unknown: list[str] = []
    for key, value in table.items():
        if key in _LIST_KEYS:
            items = _as_list(value, key, path)
            if key == "catalog":
                items = [_catalog_relative(item, base) for item in items]
            elif key == "hosts-dir":  # each value may be a ':'-separated config_path
                items = [
                    _relative(root, base) for item in items for root in item.split(":") if root
                ]
            elif key in _PATH_LIST_KEYS:
                items = [_relative(item, base) for item in items]
            elif key in _COMMA_LIST_KEYS:  # "fallback,blocked" as on the command line
                items = [part.strip() for item in items for part in item.split(",") if part.strip()]
                if key == "fail-on" and not items:
                    raise SettingsError(
                        f"{path}: 'fail-on' is empty; write \"none\" to gate on min-coverage alone"
                    )
            values[key.replace("-", "_")] = tuple(items)
        elif key in _STR_KEYS:
            if not isinstance(value, str):
                raise SettingsError(f"{path}: '{key}' must be a string")
            values[key.replace("-", "_")] = _relative(value, base) if key in _PATH_KEYS else value
        elif key == "min-coverage":
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 0 <= value <= 100
            ):
                raise SettingsError(f"{path}: 'min-coverage' must be a percentage from 0 to 100")
            values["min_coverage"] = float(value)
        elif key == "rules":
            from analyzer.sources.rules import RuleError, parse_rules

            try:
                values["rules"] = parse_rules(value, str(path))
            except RuleError as exc:
                raise SettingsError(str(exc)) from None
        elif key in ("probe", "k3s-disable-default-endpoint"):
            if not isinstance(value, bool):
                raise SettingsError(f"{path}: '{key}' must be true or false")
            values[key.replace("-", "_")] = value
        else:
            unknown.append(key)
    if unknown:
        names = ", ".join(sorted(unknown))
        raise SettingsError(f"{path}: unknown key(s) in [tool.{TABLE}]: {names}")
    return Settings(**values)


def _as_list(value: Any, key: str, path: Path) -> list[str]:
    if key == "catalog" and isinstance(value, dict):  # catalog = { "host" = "source" }
        return [f"{k}={v}" for k, v in value.items()]
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise SettingsError(f"{path}: '{key}' must be a string or a list of strings")


def _relative(value: str, base: Path) -> str:
    if value == "-" or "://" in value:
        return value
    candidate = Path(value).expanduser()
    return str(candidate if candidate.is_absolute() else base / candidate)


def _catalog_relative(spec: str, base: Path) -> str:
    host, sep, source = spec.partition("=")
    if not sep or source in ("all", "none", "daocloud"):
        return spec
    return f"{host}={_relative(source, base)}"


def _has_table(pyproject: Path) -> bool:
    try:
        data = toml_loads(read_regular_text(pyproject))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and TABLE in tool
