"""Refresh catalogues from the network into the user cache, and read them back offline.

``update_catalog`` downloads one list with a conditional GET (``If-None-Match`` /
``If-Modified-Since``: an unchanged list costs one small request), checks it is a list
(``listcheck``) and commits it atomically (``cache``); a rejected or failed download keeps
the previous copy. ``cached_loader`` is what ``load_catalogues`` uses to fetch URL sources:
fresh cache first, the network when it is stale, the old copy (with its age) when offline.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from analyzer.online.deadline import DeadlineExceeded, read_at_most, within_deadline
from analyzer.online.inventory import CatalogInfo, list_catalogs
from analyzer.online.listcheck import ListRejected, check_list
from analyzer.online.transport import describe_transport_error
from analyzer.redact import redact_url
from analyzer.store.cache import (
    CachedList,
    check_name,
    describe_age,
    load_cached,
    mark_checked,
    sha256_hex,
    store_list,
    utc_now,
)
from analyzer.store.defaults import DEFAULT_ALLOWS_URL, DEFAULT_NAME
from analyzer.version import __version__

if TYPE_CHECKING:
    import requests

__all__ = [
    "DEFAULT_ALLOWS_URL",
    "DEFAULT_NAME",
    "CachedLoader",
    "CatalogInfo",
    "CatalogUnavailable",
    "InvalidSource",
    "UpdateResult",
    "cached_loader",
    "default_name",
    "list_catalogs",
    "update_catalog",
]

DEFAULT_TIMEOUT = 30.0
#: how long ``cached_loader`` trusts a cached copy before asking the source again
DEFAULT_MAX_AGE = timedelta(hours=24)
#: a list is a few hundred kilobytes at most; anything this big is not one
MAX_LIST_BYTES = 16 * 1024 * 1024
USER_AGENT = f"image-coverage/{__version__} (+catalogue refresh)"

Outcome = Literal["updated", "unchanged", "rejected", "failed"]


class InvalidSource(ValueError):
    """A catalogue source that is not an http(s) URL."""


class CatalogUnavailable(OSError):
    """A URL catalogue that could not be downloaded and has no cached copy."""


@dataclass(frozen=True)
class UpdateResult:
    """What one update did; ``entry`` is the copy in use afterwards (new or previous)."""

    name: str
    source: str
    outcome: Outcome
    message: str  # one line for people
    entry: CachedList | None
    previous_entries: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("updated", "unchanged")


def default_name(source: str) -> str:
    """The cache name of a source: ``daocloud-allows`` for the default, else
    ``<file stem>-<8 hex of the URL>`` (``allows-1a2b3c4d``)."""
    if source == DEFAULT_ALLOWS_URL:
        return DEFAULT_NAME
    source = redact_url(source)  # no hash of a password in a file name
    stem = urlsplit(source).path.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-_")[:40] or "list"
    return check_name(f"{stem}-{hashlib.sha256(source.encode()).hexdigest()[:8]}")


def check_source(source: str) -> str:
    parts = urlsplit(source)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        shown = redact_url(source)
        raise InvalidSource(f"catalogue source must be an http:// or https:// URL: {shown!r}")
    return source


def update_catalog(
    source: str = DEFAULT_ALLOWS_URL,
    *,
    name: str | None = None,
    session: requests.Session | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    force: bool = False,
    now: datetime | None = None,
) -> UpdateResult:
    """Download ``source`` into the cache as ``name``; keep the previous copy on any problem.

    Raises ``InvalidSource`` / ``InvalidCacheName`` for a bad source or name; every network
    or content problem is an ``UpdateResult`` with outcome ``failed`` or ``rejected``.
    ``force`` accepts a list that shrank by more than half.
    """
    import requests

    check_source(source)
    name = check_name(name) if name is not None else default_name(source)
    url, source = source, redact_url(source)  # fetched with the password, shown without
    previous = load_cached(name)
    moment = now or utc_now()
    client = session or requests.Session()
    try:
        got = _download(client, url, _conditional_headers(previous, source), timeout)
    except DeadlineExceeded:
        reason = f"no complete answer within {timeout:g} s (--timeout bounds the whole download)"
        return _failed(name, source, previous, reason, moment)
    except (requests.RequestException, ValueError) as error:  # ValueError: a URL requests
        # or urllib3 cannot use (a password that is not Latin-1 for Basic auth, ...)
        return _failed(name, source, previous, describe_transport_error(error, timeout), moment)
    except _TooLarge:
        return _rejected(
            name,
            source,
            previous,
            f"the download is larger than {MAX_LIST_BYTES // (1024 * 1024)} MiB: not a list",
            moment,
        )
    if got.status == 304 and previous is not None:
        kept = mark_checked(previous, etag=got.etag, last_modified=got.last_modified, now=moment)
        return _unchanged(name, source, previous, kept)
    if got.status != 200:
        reason = f"the server answered HTTP {got.status} {got.reason}".rstrip()
        return _failed(name, source, previous, reason, moment)
    data, etag, last_modified = got.data, got.etag, got.last_modified
    try:
        checked = check_list(
            data,
            content_type=got.content_type,
            previous_entries=previous.entries if previous is not None else None,
            allow_shrink=force,
        )
    except ListRejected as rejection:
        return _rejected(name, source, previous, rejection.reason, moment)
    if previous is not None and previous.sha256 == sha256_hex(data):
        kept = mark_checked(previous, etag=etag, last_modified=last_modified, now=moment)
        return _unchanged(name, source, previous, kept)
    entry = store_list(
        name,
        source,
        data,
        entries=checked.entries,
        etag=etag,
        last_modified=last_modified,
        now=moment,
    )
    was = f" (was {previous.entries})" if previous is not None else ""
    return UpdateResult(
        name,
        source,
        "updated",
        f"{name}: updated from {source}: {entry.entries} entries{was}, sha256 {entry.sha256[:12]}",
        entry,
        previous.entries if previous is not None else None,
    )


def _unchanged(name: str, source: str, previous: CachedList, kept: CachedList) -> UpdateResult:
    return UpdateResult(
        name,
        source,
        "unchanged",
        f"{name}: unchanged since {previous.fetched_at} ({previous.entries} entries)",
        kept,
        previous.entries,
    )


class _TooLarge(Exception):
    pass


@dataclass(frozen=True)
class _Download:
    status: int
    reason: str = ""
    data: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None


def _download(
    client: requests.Session, url: str, headers: dict[str, str], timeout: float
) -> _Download:
    """One GET, headers and body, finished within ``timeout`` seconds in all."""
    opened: list[requests.Response] = []

    def exchange() -> _Download:
        response = client.get(url, headers=headers, timeout=timeout, stream=True)
        opened.append(response)
        with response:
            answer = _Download(
                response.status_code,
                response.reason or "",
                content_type=response.headers.get("Content-Type"),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )
            if response.status_code != 200:
                return answer
            return replace(answer, data=_read_limited(response))

    def abandon() -> None:
        for response in opened:
            response.close()

    return within_deadline(timeout, exchange, abandon=abandon)


def _read_limited(response: requests.Response) -> bytes:
    data = read_at_most(response, MAX_LIST_BYTES)
    if data is None:
        raise _TooLarge
    return data


def _conditional_headers(previous: CachedList | None, source: str) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": "text/plain, */*;q=0.5"}
    if previous is not None and previous.source == source:
        if previous.etag:
            headers["If-None-Match"] = previous.etag
        if previous.last_modified:
            headers["If-Modified-Since"] = previous.last_modified
    return headers


def _kept(previous: CachedList | None, moment: datetime) -> str:
    if previous is None:
        return "there is no cached copy"
    return f"keeping the cached copy ({previous.entries} entries, {_age_of(previous, moment)})"


def _failed(
    name: str, source: str, previous: CachedList | None, reason: str, moment: datetime
) -> UpdateResult:
    return _not_updated(
        "failed", f"could not download {source}", name, source, previous, reason, moment
    )


def _rejected(
    name: str, source: str, previous: CachedList | None, reason: str, moment: datetime
) -> UpdateResult:
    return _not_updated(
        "rejected", f"rejected the download from {source}", name, source, previous, reason, moment
    )


def _not_updated(
    outcome: Literal["failed", "rejected"],
    what: str,
    name: str,
    source: str,
    previous: CachedList | None,
    reason: str,
    moment: datetime,
) -> UpdateResult:
    """The previous copy stays in use; the message says why and what is kept."""
    return UpdateResult(
        name,
        source,
        outcome,
        f"{name}: {what}: {reason}; {_kept(previous, moment)}",
        previous,
        previous.entries if previous is not None else None,
    )


# -- the loader load_catalogues uses -----------------------------------------------------------


@dataclass
class CachedLoader:
    """``loader(url) -> text`` over the cache; ``notes`` collects what people should know
    (an old copy used offline, a rejected download), and ``warn`` is told each one too."""

    session: requests.Session | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_age: timedelta = DEFAULT_MAX_AGE
    offline: bool = False
    warn: Callable[[str], None] | None = None
    clock: Callable[[], datetime] = utc_now
    notes: list[str] = field(default_factory=list)

    def __call__(self, url: str) -> str:
        try:
            check_source(url)
        except InvalidSource as error:
            raise CatalogUnavailable(str(error)) from None
        name = default_name(url)
        cached = load_cached(name)
        if cached is not None and cached.source != redact_url(url):
            cached = None
        moment = self.clock()
        if (
            cached is not None
            and cached.checked is not None
            and (moment - cached.checked <= self.max_age)
        ):
            return cached.read_text()
        if self.offline:
            if cached is None:
                shown = redact_url(url)
                raise CatalogUnavailable(f"{shown}: offline and there is no cached copy")
            self._note(
                f"offline: using the cached copy of {redact_url(url)}, {_age_of(cached, moment)}"
            )
            return cached.read_text()
        result = update_catalog(
            url, name=name, session=self.session, timeout=self.timeout, now=moment
        )
        if result.ok and result.entry is not None:
            return result.entry.read_text()
        if result.entry is None:
            raise CatalogUnavailable(result.message)
        self._note(result.message)
        return result.entry.read_text()

    def _note(self, message: str) -> None:
        self.notes.append(message)
        if self.warn is not None:
            self.warn(message)


def cached_loader(
    *,
    session: requests.Session | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_age: timedelta = DEFAULT_MAX_AGE,
    offline: bool = False,
    warn: Callable[[str], None] | None = None,
) -> CachedLoader:
    """A ``loader(url) -> text`` for ``load_catalogues``: a cached copy younger than
    ``max_age`` is used as is; otherwise the URL is refreshed (conditional GET); when that
    fails the cached copy is used and ``warn`` says how old it is; with no copy at all,
    ``CatalogUnavailable`` (an ``OSError``) says why."""
    return CachedLoader(
        session=session, timeout=timeout, max_age=max_age, offline=offline, warn=warn
    )


def _age_of(entry: CachedList, moment: datetime) -> str:
    checked = entry.checked
    if checked is None:
        return f"downloaded {entry.fetched_at}"
    return f"last confirmed {describe_age(checked, moment)} ago ({entry.checked_at})"
