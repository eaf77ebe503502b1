"""Errors raised by the mirrors package (configuration problems are data: ``ConfigError``)."""

from __future__ import annotations


class CatalogueError(ValueError):
    """A ``--catalog`` spec, list file or download that cannot be used; one line, naming the
    file and line when there is one."""
