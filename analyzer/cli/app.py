"""The typer application every command module registers on.

Command modules import only what they need inside their command functions, so that
``coverage --help`` and ``coverage scan`` on a small file start quickly (no pandas, no
requests on the start-up path).
"""

from __future__ import annotations

import typer

from analyzer.cli.output import say
from analyzer.version import __version__, build

app = typer.Typer(
    name="coverage",
    help=(
        "Which containerd registry mirror serves each image your Kubernetes manifests use, "
        "and which fall back to upstream."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def usage_error(command: str, message: str) -> typer.Exit:
    """Print ``coverage COMMAND: error: MESSAGE`` (one line) and return the exit to raise (2)."""
    say(f"coverage {command}: error: {message}", err=True)
    return typer.Exit(2)


def _version_callback(value: bool) -> None:
    if value:
        say(f"image-coverage {__version__} ({build()})")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_version_callback,
        is_eager=True,
        help="Print the version and whether it is compiled, and exit.",
    ),
) -> None:
    """Which containerd registry mirror serves each image your manifests use."""
