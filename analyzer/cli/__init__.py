"""Command-line interface: one module per command, all registered on ``app``."""

from __future__ import annotations

from analyzer.cli.app import app

# Each import registers one command on ``app``; add a new command module here.
# (imports kept below the app on purpose)


def main() -> None:
    app()


__all__ = ["app", "main"]
