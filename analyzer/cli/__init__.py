"""Command-line interface: one module per command, all registered on ``app``."""

from __future__ import annotations

from analyzer.cli.app import app

# Each import registers one command on ``app``; add a new command module here.
# (imports kept below the app on purpose)
# isort: split
from analyzer.cli import catalog as _catalog  # noqa: F401
from analyzer.cli import doctor as _doctor  # noqa: F401
from analyzer.cli import explain as _explain  # noqa: F401
from analyzer.cli import images as _images  # noqa: F401
from analyzer.cli import mirrors as _mirrors  # noqa: F401
from analyzer.cli import probe as _probe  # noqa: F401
from analyzer.cli import request as _request  # noqa: F401
from analyzer.cli import rewrite as _rewrite  # noqa: F401
from analyzer.cli import scan as _scan  # noqa: F401


def main() -> None:
    app()


__all__ = ["app", "main"]
