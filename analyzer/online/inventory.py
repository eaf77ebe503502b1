"""Every catalogue the analyser knows: the embedded snapshot, the cached downloads, files.

For each: its name, where it came from, its date, how many entries, its sha256 and where
the bytes are, so a person can tell which list an answer was based on and how old it is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from analyzer.online.listcheck import count_entry_lines
from analyzer.regular_file import read_regular_file
from analyzer.store.cache import cached_lists, format_time, sha256_hex

CatalogKind = Literal["embedded", "cached", "file"]
EMBEDDED_NAME = "embedded-allows"


@dataclass(frozen=True)
class CatalogInfo:
    name: str
    kind: CatalogKind
    source: str
    date: str | None  # embedded: the commit date; cached: downloaded; file: modified
    entries: int | None
    sha256: str | None
    path: str
    checked: str | None = None  # cached: when the source last confirmed it
    problem: str | None = None  # why it could not be read, if it could not

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_catalogs(files: Sequence[str | Path] = ()) -> list[CatalogInfo]:
    """The embedded list, then the cached downloads by name, then ``files`` in order."""
    found = [embedded_catalog()]
    found.extend(
        CatalogInfo(
            name=entry.name,
            kind="cached",
            source=entry.source,
            date=entry.fetched_at,
            entries=entry.entries,
            sha256=entry.sha256,
            path=str(entry.path),
            checked=entry.checked_at,
        )
        for entry in cached_lists()
    )
    found.extend(file_catalog(Path(file)) for file in files)
    return found


def embedded_catalog() -> CatalogInfo:
    """``analyzer/data/allows.txt`` as shipped, described by ``allows.json``."""
    data_dir = resources.files("analyzer").joinpath("data")
    path = str(data_dir.joinpath("allows.txt"))
    try:
        meta = json.loads(data_dir.joinpath("allows.json").read_text(encoding="utf-8"))
        data = data_dir.joinpath("allows.txt").read_bytes()
    except (OSError, ValueError) as error:
        return CatalogInfo(
            EMBEDDED_NAME,
            "embedded",
            "analyzer/data/allows.txt",
            None,
            None,
            None,
            path,
            problem=f"cannot be read: {error}",
        )
    digest = sha256_hex(data)
    problem = None
    if isinstance(meta, dict) and meta.get("sha256") not in (None, digest):
        problem = "sha256 differs from allows.json: the package data is corrupt or edited"
    meta = meta if isinstance(meta, dict) else {}
    source = f"{meta.get('repository', '?')} {meta.get('path', 'allows.txt')}"
    if meta.get("commit"):
        source += f" @ {str(meta['commit'])[:12]}"
    return CatalogInfo(
        name=EMBEDDED_NAME,
        kind="embedded",
        source=source,
        date=str(meta["date"]) if meta.get("date") else None,
        entries=count_entry_lines(data.decode("utf-8", errors="replace")),
        sha256=digest,
        path=path,
        problem=problem,
    )


def file_catalog(path: Path) -> CatalogInfo:
    """A list file named by the user."""
    try:
        data = read_regular_file(path)
        modified = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return CatalogInfo(
            path.name,
            "file",
            str(path),
            None,
            None,
            None,
            str(path),
            problem=f"cannot be read: {reason}",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return CatalogInfo(
            path.name,
            "file",
            str(path),
            format_time(modified),
            None,
            sha256_hex(data),
            str(path),
            problem="not UTF-8 text",
        )
    return CatalogInfo(
        name=path.name,
        kind="file",
        source=str(path),
        date=format_time(modified),
        entries=count_entry_lines(text),
        sha256=sha256_hex(data),
        path=str(path),
    )
