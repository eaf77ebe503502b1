"""After ``coverage catalog update`` the DaoCloud hosts use the downloaded allows.txt."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer import parse_image
from analyzer.mirrors import load_catalogues
from analyzer.store.cache import store_list
from analyzer.store.defaults import DEFAULT_ALLOWS_URL, DEFAULT_NAME

NEW_LIST = b"docker.io/acme-newly-added/*\nquay.io/prometheus/*\n"


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGE_COVERAGE_CACHE_DIR", str(tmp_path / "cache"))


def _store(data: bytes = NEW_LIST) -> None:
    store_list(
        DEFAULT_NAME,
        DEFAULT_ALLOWS_URL,
        data,
        entries=data.count(b"\n"),
        etag='"abc"',
        last_modified=None,
    )


def test_without_a_download_the_embedded_snapshot_is_used() -> None:
    catalogue = load_catalogues().for_host("docker.m.daocloud.io")
    assert "871a1e722147" in catalogue.source
    assert not catalogue.holds(parse_image("acme-newly-added/tool:1"))
    assert catalogue.holds(parse_image("nginx:1.27"))


def test_the_downloaded_list_replaces_the_embedded_one_and_says_how_old_it_is() -> None:
    _store()
    catalogue = load_catalogues().for_host("docker.m.daocloud.io")
    assert catalogue.holds(parse_image("acme-newly-added/tool:1"))
    assert not catalogue.holds(parse_image("nginx:1.27"))  # not in the new list
    assert DEFAULT_ALLOWS_URL in catalogue.source
    assert "old)" in catalogue.source
    # a subdomain host still serves only its own registry
    assert (
        not load_catalogues()
        .for_host("docker.m.daocloud.io")
        .holds(parse_image("quay.io/prometheus/prometheus:v2"))
    )
    assert (
        load_catalogues()
        .for_host("quay.m.daocloud.io")
        .holds(parse_image("quay.io/prometheus/prometheus:v2"))
    )


def test_a_damaged_download_falls_back_to_the_embedded_snapshot(tmp_path: Path) -> None:
    _store()
    data_file = next((tmp_path / "cache" / "catalogs").glob("*.txt"))
    data_file.write_bytes(b"docker.io/something-else/*\n")  # sha256 no longer matches
    catalogue = load_catalogues().for_host("docker.m.daocloud.io")
    assert "871a1e722147" in catalogue.source
    assert catalogue.holds(parse_image("nginx:1.27"))
