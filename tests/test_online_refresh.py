"""update_catalog and cached_loader against a mocked list server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
import responses
from responses import matchers

from analyzer.online.refresh import (
    DEFAULT_ALLOWS_URL,
    CatalogUnavailable,
    InvalidSource,
    cached_loader,
    default_name,
    list_catalogs,
    update_catalog,
)
from analyzer.store.cache import InvalidCacheName, load_cached

URL = "https://lists.example.test/allows.txt"
NAME = "test-list"
T0 = datetime(2026, 9, 1, 12, 0, tzinfo=timezone.utc)


def make_list(count: int, prefix: str = "app") -> bytes:
    return "".join(f"docker.io/library/{prefix}{i}\n" for i in range(count)).encode()


GOOD = make_list(10)
NEWER = make_list(12)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IMAGE_COVERAGE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def seed(body: bytes = GOOD, **headers: str) -> None:
    """Put ``body`` in the cache as NAME through a real (mocked) download."""
    with responses.RequestsMock() as mock:
        mock.get(URL, body=body, headers=headers, content_type="text/plain")
        result = update_catalog(URL, name=NAME, now=T0)
    assert result.outcome == "updated"


# -- downloads ---------------------------------------------------------------------------------


@responses.activate
def test_first_download_is_stored_with_its_metadata() -> None:
    responses.get(
        URL,
        body=GOOD,
        content_type="text/plain; charset=utf-8",
        headers={"ETag": '"v1"', "Last-Modified": "Tue, 01 Sep 2026 10:00:00 GMT"},
    )
    result = update_catalog(URL, name=NAME, now=T0)
    assert result.outcome == "updated" and result.ok
    entry = load_cached(NAME)
    assert entry is not None and entry == result.entry
    assert entry.read_text() == GOOD.decode()
    assert (entry.entries, entry.source, entry.etag) == (10, URL, '"v1"')
    assert entry.last_modified == "Tue, 01 Sep 2026 10:00:00 GMT"
    assert entry.fetched_at == "2026-09-01T12:00:00Z"
    assert "10 entries" in result.message


@responses.activate
def test_unchanged_list_costs_one_conditional_request_answered_304() -> None:
    seed(GOOD, ETag='"v1"', **{"Last-Modified": "Tue, 01 Sep 2026 10:00:00 GMT"})
    conditional = responses.get(
        URL,
        status=304,
        match=[
            matchers.header_matcher(
                {
                    "If-None-Match": '"v1"',
                    "If-Modified-Since": "Tue, 01 Sep 2026 10:00:00 GMT",
                },
                strict_match=False,
            )
        ],
    )
    later = T0 + timedelta(days=2)
    result = update_catalog(URL, name=NAME, now=later)
    assert result.outcome == "unchanged"
    assert conditional.call_count == 1
    entry = load_cached(NAME)
    assert entry is not None
    assert entry.read_text() == GOOD.decode()
    assert entry.fetched_at == "2026-09-01T12:00:00Z"
    assert entry.checked_at == "2026-09-03T12:00:00Z"


@responses.activate
def test_a_changed_list_replaces_the_old_copy() -> None:
    seed(GOOD)
    responses.get(URL, body=NEWER, content_type="text/plain")
    result = update_catalog(URL, name=NAME, now=T0 + timedelta(hours=1))
    assert result.outcome == "updated"
    assert result.previous_entries == 10
    entry = load_cached(NAME)
    assert entry is not None and entry.read_text() == NEWER.decode()
    assert len(list(entry.path.parent.glob(f"{NAME}.*.txt"))) == 1  # old bytes removed


@responses.activate
def test_the_same_bytes_without_validators_count_as_unchanged() -> None:
    seed(GOOD)
    responses.get(URL, body=GOOD, content_type="text/plain")
    assert update_catalog(URL, name=NAME).outcome == "unchanged"


BAD_DOWNLOADS = [
    pytest.param(b"<html><body>rate limited</body></html>\n", "text/html", "HTML", id="html"),
    pytest.param(b"", "text/plain", "empty", id="empty"),
    pytest.param(
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "application/octet-stream", "binary", id="binary"
    ),
    pytest.param(GOOD + b"docker.io/libr", "text/plain", "truncated", id="truncated"),
    pytest.param(GOOD + b"list)\n", "text/plain", "line 11 is not a list entry", id="junk"),
    pytest.param(make_list(4), "text/plain", "shrank from 10 to 4", id="shrunk"),
]


@pytest.mark.parametrize(("body", "content_type", "reason"), BAD_DOWNLOADS)
@responses.activate
def test_a_bad_download_is_rejected_and_the_previous_copy_kept(
    body: bytes, content_type: str, reason: str
) -> None:
    seed(GOOD)
    before = load_cached(NAME)
    responses.get(URL, body=body, content_type=content_type)
    result = update_catalog(URL, name=NAME, now=T0 + timedelta(days=3))
    assert result.outcome == "rejected" and not result.ok
    assert reason in result.message
    assert "keeping the cached copy (10 entries, last confirmed 3 days ago" in result.message
    assert load_cached(NAME) == before
    assert result.entry == before


@responses.activate
def test_force_accepts_a_list_that_shrank() -> None:
    seed(GOOD)
    responses.get(URL, body=make_list(4), content_type="text/plain")
    result = update_catalog(URL, name=NAME, force=True)
    assert result.outcome == "updated"
    entry = load_cached(NAME)
    assert entry is not None and entry.entries == 4


@responses.activate
def test_http_errors_and_offline_keep_the_previous_copy() -> None:
    seed(GOOD)
    before = load_cached(NAME)
    responses.get(URL, status=503)
    failed = update_catalog(URL, name=NAME)
    assert failed.outcome == "failed"
    assert "HTTP 503" in failed.message
    no_dns = requests.ConnectionError("Name or service not known")
    responses.replace(responses.GET, URL, body=no_dns)
    offline = update_catalog(URL, name=NAME)
    assert offline.outcome == "failed"
    assert "DNS error: the host name does not resolve" in offline.message
    assert load_cached(NAME) == before


@responses.activate
def test_failure_without_a_cache_says_so() -> None:
    responses.get(URL, body=requests.Timeout())
    result = update_catalog(URL, name=NAME, timeout=5)
    assert result.outcome == "failed"
    assert result.entry is None
    assert "timeout after 5 s; there is no cached copy" in result.message


def test_bad_sources_and_names_are_usage_errors() -> None:
    with pytest.raises(InvalidSource):
        update_catalog("ftp://example.test/allows.txt")
    with pytest.raises(InvalidSource):
        update_catalog("allows.txt")
    with pytest.raises(InvalidCacheName):
        update_catalog(URL, name="../escape")


def test_default_names() -> None:
    assert default_name(DEFAULT_ALLOWS_URL) == "daocloud-allows"
    assert DEFAULT_ALLOWS_URL.startswith("https://raw.githubusercontent.com/DaoCloud/")
    name = default_name(URL)
    assert name.startswith("allows-") and len(name) == len("allows-") + 8
    assert default_name("https://other.example.test/allows.txt") != name


# -- the loader used for --catalog HOST=https://... -------------------------------------------


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@responses.activate
def test_loader_downloads_once_then_uses_the_fresh_cache() -> None:
    call = responses.get(URL, body=GOOD, content_type="text/plain")
    loader = cached_loader(max_age=timedelta(hours=1))
    assert loader(URL) == GOOD.decode()
    assert loader(URL) == GOOD.decode()
    assert call.call_count == 1
    assert loader.notes == []


@responses.activate
def test_loader_revalidates_a_stale_copy() -> None:
    responses.get(URL, body=GOOD, content_type="text/plain", headers={"ETag": '"a"'})
    loader = cached_loader(max_age=timedelta(hours=1))
    loader.clock = Clock(T0)
    loader(URL)
    revalidated = responses.get(
        URL,
        status=304,
        match=[matchers.header_matcher({"If-None-Match": '"a"'}, strict_match=False)],
    )
    loader.clock = Clock(T0 + timedelta(hours=2))
    assert loader(URL) == GOOD.decode()
    assert revalidated.call_count == 1


@responses.activate
def test_loader_offline_falls_back_to_the_cache_and_says_how_old() -> None:
    responses.get(URL, body=GOOD, content_type="text/plain")
    warnings: list[str] = []
    loader = cached_loader(max_age=timedelta(hours=1), warn=warnings.append)
    loader.clock = Clock(T0)
    loader(URL)
    responses.replace(responses.GET, URL, body=requests.ConnectionError("connection refused"))
    loader.clock = Clock(T0 + timedelta(days=5, hours=1))
    assert loader(URL) == GOOD.decode()
    assert len(warnings) == 1 and warnings == loader.notes
    assert "could not download" in warnings[0]
    assert "5 days ago" in warnings[0]


@responses.activate
def test_loader_in_offline_mode_never_touches_the_network() -> None:
    responses.get(URL, body=GOOD, content_type="text/plain")
    cached_loader()(URL)
    loader = cached_loader(offline=True, max_age=timedelta(0))
    assert loader(URL) == GOOD.decode()
    assert len(responses.calls) == 1
    assert loader.notes and loader.notes[0].startswith("offline: using the cached copy")


@responses.activate
def test_loader_without_cache_or_network_raises_a_clear_error() -> None:
    responses.get(URL, body=requests.ConnectionError("refused"))
    with pytest.raises(CatalogUnavailable, match="there is no cached copy"):
        cached_loader()(URL)
    with pytest.raises(CatalogUnavailable, match="offline and there is no cached copy"):
        cached_loader(offline=True)("https://lists.example.test/other.txt")
    with pytest.raises(CatalogUnavailable, match="http"):
        cached_loader()("lists/allows.txt")


# -- the inventory ----------------------------------------------------------------------------


@responses.activate
def test_list_catalogs_shows_embedded_cached_and_files(tmp_path: Path) -> None:
    seed(GOOD)
    listed = tmp_path / "mine.txt"
    listed.write_bytes(b"# mine\nquay.io/a/b\n")
    infos = list_catalogs([listed, tmp_path / "missing.txt"])
    assert [i.kind for i in infos] == ["embedded", "cached", "file", "file"]
    embedded, cached, mine, missing = infos
    assert embedded.entries and embedded.entries > 1000
    assert embedded.date and embedded.sha256 and embedded.problem is None
    assert (cached.name, cached.source, cached.entries) == (NAME, URL, 10)
    assert cached.date == "2026-09-01T12:00:00Z"
    assert (mine.entries, mine.sha256 is not None) == (1, True)
    assert missing.problem is not None and missing.entries is None
