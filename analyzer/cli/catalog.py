"""``coverage catalog update`` and ``coverage catalog list``: refresh and inspect lists.

``update`` downloads a list (DaoCloud's ``allows.txt`` by default) into the user cache with
a conditional GET; a download that is not a list is refused and the previous copy kept.
Exit codes: 0 updated or unchanged, 2 usage error, download failed or refused.
``list`` shows every catalogue known: embedded, cached, and the files given.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Optional

import typer

from analyzer.cli import options
from analyzer.cli.app import app, usage_error
from analyzer.cli.output import say
from analyzer.store.defaults import DEFAULT_ALLOWS_URL

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.online.inventory import CatalogInfo

catalog_app = typer.Typer(
    name="catalog",
    help="Refresh mirror catalogues (whitelists) into the user cache, and list them.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(catalog_app, name="catalog")

_FORMATS = ("text", "json")


def _fail(command: str, message: str) -> typer.Exit:
    return usage_error(f"catalog {command}", message)


@catalog_app.command("update")
def update_command(
    source: str = typer.Option(DEFAULT_ALLOWS_URL, "--source", help="URL of the list to download."),
    name: Optional[str] = typer.Option(  # noqa: UP045 - typer needs Optional here
        None,
        "--name",
        help="Name of the list in the cache. [default: daocloud-allows for the default "
        "source, else derived from the URL]",
        show_default=False,
    ),
    timeout: float = typer.Option(
        30.0, "--timeout", min=0.1, help="Seconds for the whole download."
    ),
    force: bool = typer.Option(
        False, "--force", help="Accept a list that shrank by more than half."
    ),
) -> None:
    """Download a list into the cache (one small request when it has not changed)."""
    from analyzer.online.refresh import InvalidSource, update_catalog
    from analyzer.store.cache import InvalidCacheName

    try:
        result = update_catalog(source, name=name, timeout=timeout, force=force)
    except (InvalidSource, InvalidCacheName) as error:
        raise _fail("update", str(error)) from None
    except OSError as error:  # the cache directory cannot be written
        raise _fail("update", f"cannot write the cache: {error.strerror or error}") from None
    if not result.ok:
        raise _fail("update", result.message)
    say(result.message)
    if result.entry is not None:
        say(f"cached at {result.entry.path}")


@catalog_app.command("list")
def list_command(
    files: Optional[list[str]] = typer.Argument(  # noqa: UP045
        None, help="List files to describe too.", show_default=False
    ),
    catalog: Optional[list[str]] = options.CATALOG,  # noqa: UP045
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
) -> None:
    """Every catalogue known: embedded, cached downloads, and files; with source, date,
    entry count and sha256."""
    from analyzer.online.inventory import list_catalogs

    if fmt not in _FORMATS:
        raise _fail("list", f"unknown --format {fmt!r} (choose from {', '.join(_FORMATS)})")
    paths = list(files or [])
    for spec in catalog or []:
        host, sep, source = spec.partition("=")
        if not sep or not host.strip() or not source.strip():
            from analyzer.redact import redact_text

            shown = redact_text(spec, (host, source))
            raise _fail("list", f"--catalog {shown!r}: expected HOST=SOURCE")
        source = source.strip()
        if source not in ("all", "none", "daocloud") and "://" not in source:
            paths.append(source)  # URLs are in the cache; keywords are no lists
    infos = list_catalogs(paths)
    if fmt == "json":
        say(json.dumps([info.to_dict() for info in infos], indent=2))
    else:
        _print_table(infos)
    if any(info.problem for info in infos):
        raise typer.Exit(2)


def _print_table(infos: list[CatalogInfo]) -> None:
    from analyzer.store.cache import describe_age, parse_time

    rows = [("NAME", "KIND", "ENTRIES", "DATE", "CHECKED", "SHA256", "SOURCE")]
    problems = []
    for info in infos:
        checked = parse_time(info.checked) if info.checked else None
        rows.append(
            (
                info.name,
                info.kind,
                "-" if info.entries is None else str(info.entries),
                info.date or "-",
                f"{describe_age(checked)} ago" if checked else "-",
                (info.sha256 or "-")[:12],
                info.source,
            )
        )
        if info.problem:
            problems.append(f"{info.name}: {info.problem}")
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [
            cell.rjust(w) if i == 2 else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=False))
        ]
        say("  ".join([*cells, row[-1]]).rstrip())
    for problem in problems:
        say(f"coverage catalog list: error: {problem}", err=True)
