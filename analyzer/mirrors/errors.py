"""Errors raised by the mirrors package (configuration problems are data: ``ConfigError``)."""

from __future__ import annotations

from analyzer.model import ConfigError
from analyzer.regular_file import read_regular_text


class OptionError(ValueError):
    """An option value that cannot be used (``--containerd-version 1.x``, ``--runtime foo``);
    one line, for the CLI to print as a usage error."""


class CatalogueError(ValueError):
    """A ``--catalog`` spec, list file or download that cannot be used; one line, naming the
    file and line when there is one."""


def read_config_text(path: str) -> str | ConfigError:
    """A configuration file's text, or the one-line ``ConfigError`` saying why it cannot be
    read (missing, unreadable, not UTF-8)."""
    try:
        return read_regular_text(path)
    except OSError as exc:
        return ConfigError(path, None, f"cannot read: {exc.strerror or exc}")
    except UnicodeDecodeError:
        return ConfigError(path, None, "cannot read: not UTF-8 text")
