"""The user cache: where refreshed lists and probe verdicts live, and how they are written.

Layout under :func:`cache_dir`::

    catalogs/<name>.json                 metadata (source, ETag, dates, sha256, entries)
    catalogs/<name>.<sha256[:16]>.txt    the list's bytes, exactly as downloaded
    catalogs/<name>.lock                 held while an update of <name> writes
    probe-verdicts.json                  recent probe results (see ``probe``)

Every write goes to a temporary file in the same directory, is flushed to disk and then
renamed over the target, so a reader sees the old file or the new one, never half of one.
A list is committed by its metadata: the new bytes go to a new file first and the metadata
is switched to it last, so an update interrupted at any point (kill -9 included) leaves the
previous copy whole and in use. Writers of one list take its lock (``<name>.lock``, with
``filelock``; the kernel drops it when a process dies), so two updates running at once cannot
delete the data file the other one's metadata names; a reader that meets a data file deleted
under it reads the metadata again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

from analyzer.redact import redact_url
from analyzer.regular_file import read_regular_file, read_regular_text

ENV_CACHE_DIR = "IMAGE_COVERAGE_CACHE_DIR"
APP_DIR_NAME = "image-coverage"
CATALOGS_DIR_NAME = "catalogs"

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_DATA_FILE_RE = re.compile(r"(?P<name>.+)\.(?P<digest>[0-9a-f]{16})\.txt")


class InvalidCacheName(ValueError):
    """A catalogue name that cannot be a file name in the cache."""


def cache_dir() -> Path:
    """``$IMAGE_COVERAGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/image-coverage``, else
    ``~/.cache/image-coverage``. Not created here."""
    override = os.environ.get(ENV_CACHE_DIR)
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / APP_DIR_NAME


def catalogs_dir() -> Path:
    return cache_dir() / CATALOGS_DIR_NAME


def check_name(name: str) -> str:
    """Return ``name`` if it can name a cached list, else raise ``InvalidCacheName``."""
    if not _NAME_RE.fullmatch(name) or name.endswith(".json"):
        raise InvalidCacheName(
            f"catalogue name {name!r} must be 1-100 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def describe_age(since: datetime, now: datetime | None = None) -> str:
    """``"5 minutes"``, ``"3 hours"``, ``"12 days"``: how long ago ``since`` was."""
    seconds = max(0.0, ((now or utc_now()) - since).total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


# -- atomic files ------------------------------------------------------------------------------


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that no reader ever sees a partial file."""
    atomic_write_with(path, lambda stream: stream.write(data))


def atomic_write_with(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Replace ``path`` with what ``write`` writes to the stream it is given (a document
    written as it is made), so that no reader ever sees a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _fsync_directory(path.parent)


def atomic_write_json(path: Path, value: Any) -> None:
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"))


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or ``None`` when it is missing or unreadable."""
    try:
        return json.loads(read_regular_text(path))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- cached lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CachedList:
    """The metadata of one list in the cache; its bytes are in ``data_file``."""

    name: str
    source: str  # the URL it was downloaded from
    sha256: str
    entries: int  # list entries (not blank lines or comments)
    fetched_at: str  # ISO 8601 UTC: when these bytes were downloaded
    checked_at: str  # when the source last confirmed them (a 200 or a 304)
    data_file: str  # file name inside catalogs_dir()
    etag: str | None = None
    last_modified: str | None = None

    @property
    def path(self) -> Path:
        return catalogs_dir() / self.data_file

    @property
    def checked(self) -> datetime | None:
        return parse_time(self.checked_at)

    @property
    def fetched(self) -> datetime | None:
        return parse_time(self.fetched_at)

    def read_text(self) -> str:
        return read_regular_text(self.path)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, value: Any) -> CachedList | None:
        if not isinstance(value, dict):
            return None
        try:
            entry = cls(**{key: value[key] for key in _FIELDS if key in value})
        except TypeError:
            return None
        text_fields = (
            entry.name,
            entry.source,
            entry.sha256,
            entry.fetched_at,
            entry.checked_at,
            entry.data_file,
        )
        if not all(isinstance(v, str) for v in text_fields) or not isinstance(entry.entries, int):
            return None
        # metadata written before sources were redacted may hold a password: never show it
        return replace(entry, source=redact_url(entry.source))


_FIELDS = tuple(CachedList.__dataclass_fields__)


def _metadata_path(name: str) -> Path:
    return catalogs_dir() / f"{check_name(name)}.json"


def load_cached(name: str) -> CachedList | None:
    """The cached list called ``name`` if its metadata and bytes are present and agree."""
    for _ in range(_READ_ATTEMPTS):
        entry = CachedList.from_dict(read_json(_metadata_path(name)))
        if entry is None or entry.name != name:
            return None
        try:
            data = read_regular_file(entry.path)
        except FileNotFoundError:  # replaced by a concurrent update: read its metadata
            continue
        except OSError:
            return None
        return entry if sha256_hex(data) == entry.sha256 else None
    return None


#: metadata re-reads when its data file vanished (each means another update committed)
_READ_ATTEMPTS = 5
#: how long an update waits for another one of the same list to finish
LOCK_TIMEOUT = 120.0


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    """Hold the write lock of list ``name`` (an ``OSError`` when it cannot be had)."""
    import filelock

    lock_path = catalogs_dir() / f"{check_name(name)}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with filelock.FileLock(str(lock_path), timeout=LOCK_TIMEOUT):
            yield
    except filelock.Timeout:
        raise TimeoutError(
            f"another update of {name} has held {lock_path} for {LOCK_TIMEOUT:.0f} s"
        ) from None


def cached_lists() -> list[CachedList]:
    """Every intact list in the cache, by name."""
    directory = catalogs_dir()
    if not directory.is_dir():
        return []
    found = []
    for meta in sorted(directory.glob("*.json")):
        with contextlib.suppress(InvalidCacheName):
            entry = load_cached(meta.stem)
            if entry is not None:
                found.append(entry)
    return found


def store_list(
    name: str,
    source: str,
    data: bytes,
    *,
    entries: int,
    etag: str | None,
    last_modified: str | None,
    now: datetime | None = None,
) -> CachedList:
    """Commit ``data`` as the list ``name``: bytes first, metadata last, old bytes removed."""
    digest = sha256_hex(data)
    moment = format_time(now or utc_now())
    entry = CachedList(
        name=check_name(name),
        source=redact_url(source),  # the cache never stores a password
        sha256=digest,
        entries=entries,
        fetched_at=moment,
        checked_at=moment,
        data_file=f"{name}.{digest[:16]}.txt",
        etag=etag,
        last_modified=last_modified,
    )
    with _locked(name):
        atomic_write_bytes(entry.path, data)
        atomic_write_json(_metadata_path(name), entry.to_dict())
        _remove_stale_data(name, keep=entry.data_file)
    return entry


def mark_checked(
    entry: CachedList,
    *,
    etag: str | None,
    last_modified: str | None,
    now: datetime | None = None,
) -> CachedList:
    """Record that the source confirmed ``entry`` is current (a 304). When another update
    committed a different copy meanwhile, that copy stays (and is returned)."""
    with _locked(entry.name):
        current = load_cached(entry.name)
        if current is not None and current.data_file != entry.data_file:
            return current
        updated = replace(
            entry,
            checked_at=format_time(now or utc_now()),
            etag=etag or entry.etag,
            last_modified=last_modified or entry.last_modified,
        )
        atomic_write_json(_metadata_path(entry.name), updated.to_dict())
    return updated


def _remove_stale_data(name: str, *, keep: str) -> None:
    for path in _data_files(name):
        if path.name != keep:
            with contextlib.suppress(OSError):
                path.unlink()


def _data_files(name: str) -> Iterator[Path]:
    for path in catalogs_dir().glob(f"{glob_escape(name)}.*.txt"):
        match = _DATA_FILE_RE.fullmatch(path.name)
        if match is not None and match.group("name") == name:
            yield path


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)
