"""The settings file under the command-line options, for every command that reads manifests
the way ``coverage scan`` does (``scan``, ``request``, ``rewrite``, ``mirrors init --for``).

The file is ``--config FILE``, else ``image-coverage.toml`` or ``[tool.image-coverage]`` in
``pyproject.toml`` found upward (``analyzer.settings``). Each value is the option's when it
is given, else the file's, else the default. A value that cannot be used is a one-line usage
error naming the command (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer.cli import options
from analyzer.cli.app import usage_error

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.settings import Settings

INCLUDE_VALUES = ("indirect",)


def load(command: str, config: str | None) -> Settings:
    """``--config FILE``, else the settings file found upward, else the defaults."""
    from analyzer.settings import Settings, SettingsError, find_settings_file, load_settings

    try:
        settings_path = Path(config) if config else find_settings_file()
        return load_settings(settings_path) if settings_path else Settings()
    except SettingsError as exc:
        raise usage_error(command, str(exc)) from None


def split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def includes(command: str, include: list[str] | None, settings: Settings) -> list[str]:
    """``--include`` (comma-separated or repeated), else the file's ``include``."""
    chosen = [c for item in (include or settings.include) for c in split(item)]
    bad = [c for c in chosen if c not in INCLUDE_VALUES]
    if bad:
        raise usage_error(
            command, f"unknown --include {', '.join(bad)} (choose from {', '.join(INCLUDE_VALUES)})"
        )
    return chosen


def ignore_patterns(
    command: str, ignore: list[str] | None, ignore_file: str | None, settings: Settings
) -> list[str]:
    """``--ignore`` (else the file's ``ignore``) plus the patterns of the ignore file."""
    patterns = list(ignore or settings.ignore)
    pattern_file = ignore_file or settings.ignore_file
    if pattern_file:
        try:
            patterns += read_ignore_file(pattern_file)
        except OSError as exc:
            message = f"{pattern_file}: cannot read: {exc.strerror or exc}"
            raise usage_error(command, message) from None
        except UnicodeDecodeError:
            raise usage_error(command, f"{pattern_file}: not UTF-8 text") from None
        except ValueError as exc:  # a pattern RE2 or the pattern syntax rejects
            raise usage_error(command, str(exc)) from None
    return patterns


def read_ignore_file(path: str) -> list[str]:
    """The patterns of an ignore file, checked with the file's own line numbers."""
    from analyzer.mirrors.patterns import PatternSet
    from analyzer.regular_file import read_regular_text

    # a byte order mark (Windows editors write one) is no part of the first pattern
    text = read_regular_text(path).removeprefix("\ufeff")
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    PatternSet.from_lines(lines, source=path)  # CatalogueError names path:line
    return [line for line in lines if line]


@dataclass(frozen=True)
class MirrorChoice:
    hosts_dirs: tuple[str, ...]
    containerd_config: str | None
    docker_daemon: str | None
    files: options.RuntimeOptions

    @property
    def given(self) -> bool:
        """Was a mirror configuration named (by an option or the file)?"""
        return bool(self.hosts_dirs or self.containerd_config or self.docker_daemon) or (
            self.files.given
        )


def mirror_choice(
    command: str,
    settings: Settings,
    hosts_dir: list[str] | None,
    containerd_config: str | None,
    docker_daemon: str | None,
    files: options.RuntimeOptions,
) -> MirrorChoice:
    """The mirror configuration is one choice: any of its flags that names a configuration
    replaces all of the file's. ``--k3s-disable-default-endpoint`` names none: given alone,
    it applies to the file's choice (and to the runtime detected on this machine)."""
    from analyzer.mirrors.node import RUNTIMES

    if not (hosts_dir or containerd_config or docker_daemon or files.given):
        hosts_dir = list(settings.hosts_dir)
        containerd_config = settings.containerd_config
        docker_daemon = settings.docker_daemon
        files = options.RuntimeOptions(
            settings.runtime,
            settings.k3s_registries,
            files.k3s_disable_default_endpoint or bool(settings.k3s_disable_default_endpoint),
            settings.registries_conf,
            settings.registries_conf_d,
            settings.kind_config,
            settings.minikube_registry_mirror,
            settings.minikube_profile,
        )
    if files.runtime is not None and files.runtime not in RUNTIMES:
        raise usage_error(
            command, f"unknown --runtime {files.runtime!r} (choose from {', '.join(RUNTIMES)})"
        )
    return MirrorChoice(tuple(hosts_dir or ()), containerd_config, docker_daemon, files)
