"""The user cache: location, atomic writes, and updates interrupted half-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from analyzer.store import cache
from analyzer.store.cache import (
    CachedList,
    InvalidCacheName,
    atomic_write_bytes,
    cache_dir,
    cached_lists,
    check_name,
    load_cached,
    store_list,
)

OLD = b"docker.io/library/nginx\nquay.io/prometheus/*\n"
NEW = b"docker.io/library/nginx\ndocker.io/library/redis\nquay.io/prometheus/*\n"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IMAGE_COVERAGE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def store(data: bytes) -> CachedList:
    return store_list(
        "allows",
        "https://example.test/allows.txt",
        data,
        entries=data.count(b"\n"),
        etag=None,
        last_modified=None,
    )


def test_cache_dir_follows_the_override_then_xdg_then_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert cache_dir() == tmp_path / "cache"
    monkeypatch.delenv("IMAGE_COVERAGE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "image-coverage"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "image-coverage"


def test_names_cannot_escape_the_cache() -> None:
    assert check_name("daocloud-allows") == "daocloud-allows"
    for bad in ("", "../x", "a/b", ".hidden", "x.json", "a b"):
        with pytest.raises(InvalidCacheName):
            check_name(bad)


def test_atomic_write_replaces_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "d" / "file.txt"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["file.txt"]


def test_a_write_that_fails_half_way_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "file.txt"
    atomic_write_bytes(target, b"old contents")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        atomic_write_bytes(target, b"new contents that never land")
    assert target.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]


def test_store_and_load_round_trip() -> None:
    entry = store(OLD)
    assert load_cached("allows") == entry
    assert entry.read_text() == OLD.decode()
    assert cached_lists() == [entry]


def test_damaged_bytes_or_metadata_are_not_used(isolated_cache: Path) -> None:
    entry = store(OLD)
    entry.path.write_bytes(b"docker.io/library/ngin")  # bytes no longer match sha256
    assert load_cached("allows") is None
    store(OLD)
    (isolated_cache / "catalogs" / "allows.json").write_text("{not json")
    assert load_cached("allows") is None
    assert cached_lists() == []


def test_update_interrupted_before_the_metadata_switch_keeps_the_old_copy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = store(OLD)
    real_write_json = cache.atomic_write_json

    def interrupted(path: Path, value: object) -> None:
        raise KeyboardInterrupt  # the user pressed Ctrl-C between the two writes

    monkeypatch.setattr(cache, "atomic_write_json", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store(NEW)
    monkeypatch.setattr(cache, "atomic_write_json", real_write_json)
    assert load_cached("allows") == old
    assert old.read_text() == OLD.decode()
    newer = store(NEW)  # the next update works and clears the orphan
    assert load_cached("allows") == newer
    assert sorted(p.name for p in newer.path.parent.iterdir()) == sorted(
        ["allows.json", "allows.lock", newer.data_file]  # the lock file stays, empty
    )


# A child process that stores a list but stops, signalling the test, inside the n-th fsync:
# that is, with a temporary file written but not yet renamed into place. The test kills it
# there with SIGKILL (no cleanup handlers run) and checks what a later reader sees.
CHILD = textwrap.dedent(
    """
    import os, sys, time
    from analyzer.store import cache

    stop_at = int(sys.argv[1])
    calls = 0
    real_fsync = os.fsync

    def fsync_then_hang(fd):
        global calls
        real_fsync(fd)
        calls += 1
        if calls == stop_at:
            print("writing", flush=True)
            time.sleep(60)

    cache.os.fsync = fsync_then_hang
    data = sys.stdin.buffer.read()
    cache.store_list("allows", "https://example.test/allows.txt", data,
                     entries=data.count(b"\\n"), etag=None, last_modified=None)
    print("finished", flush=True)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.parametrize(
    "stop_at",
    [
        1,  # inside the write of the new list's bytes (temporary file, before its rename)
        3,  # inside the write of the new metadata (the bytes are in place, not yet in use)
    ],
)
def test_an_update_killed_half_way_leaves_the_old_cache_intact(
    stop_at: int, isolated_cache: Path
) -> None:
    old = store(OLD)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(stop_at)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "IMAGE_COVERAGE_CACHE_DIR": str(isolated_cache)},
    )
    try:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(NEW)
        child.stdin.close()
        assert child.stdout.readline() == b"writing\n"
        leftovers = list((isolated_cache / "catalogs").glob(".*.tmp"))
        assert leftovers, "the child should be in the middle of a write"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    survivor = load_cached("allows")
    assert survivor == old
    assert survivor.read_text() == OLD.decode()
