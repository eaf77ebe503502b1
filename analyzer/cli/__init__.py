"""Command-line interface: one module per command, all registered on ``app``."""

from __future__ import annotations

import gc

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

#: the collector's first threshold for a command run: a scan allocates millions of small,
#: acyclic objects (nodes, uses, routes) that live to the end, and with the default (700)
#: the collector walks them over and over (22 % of a 100k-image scan)
GC_FIRST_THRESHOLD = 50_000


def main() -> None:
    """Run the command; its output errors end in exit 2, never in 1 or a traceback."""
    import sys

    import typer

    from analyzer.cli.output import OUTPUT_ERROR, flush_stdout, output_failed

    # what the imports built lives as long as the process: keep it out of every collection
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(GC_FIRST_THRESHOLD, second, third)
    try:
        app()
        code: int | str | None = 0
    except SystemExit as done:
        code = done.code
    except OSError as error:  # typer's own writing (--help, usage) failed, or a real bug
        if not _from_echo(error):
            raise
        code = output_failed(error).exit_code
    if type(sys.stdout).__name__ == "PacifyFlushWrapper":  # typer met a closed pipe itself
        code = OUTPUT_ERROR
    try:
        flush_stdout()
    except typer.Exit as failed:
        code = failed.exit_code
    sys.exit(code)


def _from_echo(error: BaseException) -> bool:
    """Was ``error`` raised while click's ``echo`` wrote (the help, a usage error)?"""
    import traceback

    return any(
        frame.f_code.co_name == "echo" for frame, _ in traceback.walk_tb(error.__traceback__)
    )


__all__ = ["app", "main"]
