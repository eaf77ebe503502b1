"""Issue 12, time and size limits that hold against real (loopback) servers.

- ``--timeout`` is a deadline for the whole request: a server that drips its body or its
  headers one byte at a time cannot stretch it.
- The prober follows a manifest redirect only on the same host, counts every request
  (redirects included) against the rate limit, and reads at most ``MAX_TOKEN_BYTES`` of a
  token answer.
- Concurrent ``catalog update`` runs of one list, some killed with SIGKILL at random
  moments, always leave an intact cache (real processes).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scripted_http import Handler, ScriptedServer

from analyzer.model import ALL_CAPABILITIES, Host
from analyzer.online.probe import MAX_REDIRECTS, MAX_TOKEN_BYTES, Prober
from analyzer.online.refresh import update_catalog
from analyzer.reference import parse_image
from analyzer.store.cache import load_cached


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    running = ScriptedServer().start()
    yield running
    running.close()


def mirror(server: ScriptedServer) -> Host:
    return Host(scheme="http", host=server.host, path="/v2", capabilities=ALL_CAPABILITIES)


class FakeTime:
    """The prober's clock: sleeping moves it, so rate-limit waits cost no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()

    def clock(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += max(0.0, seconds)


def prober(**options: object) -> Prober:
    settings_: dict[str, object] = {"cache_ttl": 0, "retries": 0, "session": requests.Session()}
    settings_.update(options)
    return Prober(**settings_)  # type: ignore[arg-type]


# -- deadlines ---------------------------------------------------------------------------------


def drip_body(handler: Handler) -> None:
    body = b"docker.io/library/nginx\n" * 10
    handler.wfile.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
    )
    handler.drip(body, 0.2, stop=handler.server_side.stop)


def drip_headers(handler: Handler) -> None:
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
    handler.drip(b"X-Slow: " + b"a" * 200 + b"\r\n\r\n", 0.2, stop=handler.server_side.stop)


def test_a_drip_fed_list_ends_at_the_timeout(server: ScriptedServer) -> None:
    server.script = drip_body
    started = time.monotonic()
    outcome = update_catalog(f"{server.url}/list.txt", name="l", timeout=1.0)
    elapsed = time.monotonic() - started
    assert outcome.outcome == "failed"
    assert "no complete answer within 1 s" in outcome.message
    assert elapsed < 2.5, elapsed


def test_slow_headers_end_a_probe_at_the_timeout(server: ScriptedServer) -> None:
    server.script = drip_headers
    started = time.monotonic()
    result = prober(timeout=1.0).probe(mirror(server), "docker.io", parse_image("nginx:1.25"))
    elapsed = time.monotonic() - started
    assert (result.outcome, result.detail) == ("error", "timeout after 1 s")
    assert elapsed < 2.5, elapsed


def test_a_timeout_is_not_retried(server: ScriptedServer) -> None:
    """Before, a request that timed out was retried twice with back-off: ``--timeout 1``
    took over 6 s."""
    server.script = drip_headers
    started = time.monotonic()
    result = prober(timeout=1.0, retries=2).probe(
        mirror(server), "docker.io", parse_image("nginx:1.25")
    )
    elapsed = time.monotonic() - started
    assert (result.outcome, result.detail) == ("error", "timeout after 1 s")
    assert elapsed < 2.5, elapsed


# -- redirects, the rate limit, token size -----------------------------------------------------


def test_a_redirect_to_another_host_is_not_followed(server: ScriptedServer) -> None:
    elsewhere = ScriptedServer(script=lambda h: h.reply(200)).start()
    try:
        server.script = lambda h: h.reply(
            302, headers={"Location": f"{elsewhere.url}/internal/admin"}
        )
        result = prober().probe(mirror(server), "docker.io", parse_image("nginx:1.25"))
    finally:
        elsewhere.close()
    assert result.outcome == "error" and result.status == 302
    assert "redirects (HTTP 302) to another host" in (result.detail or "")
    assert elsewhere.total() == 0


def test_a_redirect_on_the_same_host_is_followed(server: ScriptedServer) -> None:
    def script(handler: Handler) -> None:
        if "moved" in handler.path:
            handler.reply(200, headers={"Docker-Content-Digest": "sha256:" + "a" * 64})
        else:
            handler.reply(307, headers={"Location": "/v2/moved/manifests/1.25"})

    server.script = script
    result = prober().probe(mirror(server), "docker.io", parse_image("nginx:1.25"))
    assert result.outcome == "served" and server.total() == 2


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=10)
@given(images=st.integers(min_value=1, max_value=6), rate=st.integers(min_value=1, max_value=20))
def test_every_request_counts_against_the_rate_limit(
    server: ScriptedServer, images: int, rate: int
) -> None:
    server.requests.clear()
    server.script = lambda h: h.reply(302, headers={"Location": h.path + "x"})  # endless
    fake = FakeTime()
    probe = prober(
        rate_per_minute=rate, clock=fake.clock, sleep=fake.sleep, concurrency=1, max_errors=0
    )
    items = [(mirror(server), "docker.io", parse_image(f"app{i}:1")) for i in range(images)]
    results = probe.probe_many(items)
    sent = server.total()
    assert sent == images * (1 + MAX_REDIRECTS)
    assert all(r.outcome == "error" and "redirects" in (r.detail or "") for r in results)
    # a sliding window of 60 s holds `rate` requests: the last one waited accordingly
    assert fake.now >= 60.0 * ((sent - 1) // rate)


def test_a_huge_token_answer_is_not_read(server: ScriptedServer) -> None:
    def script(handler: Handler) -> None:
        if handler.path.startswith("/token"):
            handler.reply(200, json.dumps({"token": "t" * (MAX_TOKEN_BYTES + 1)}).encode())
        else:
            realm = f'Bearer realm="{server.url}/token",service="x"'
            handler.reply(401, headers={"WWW-Authenticate": realm})

    server.script = script
    result = prober().probe(mirror(server), "docker.io", parse_image("nginx:1.25"))
    assert result.outcome == "error"
    assert f"larger than {MAX_TOKEN_BYTES} bytes" in (result.detail or "")
    assert server.requests["HEAD /v2/library/nginx/manifests/1.25?ns=docker.io"] == 1


# -- concurrent updates of one list, with SIGKILL ----------------------------------------------

UPDATERS = 6
ROUNDS = int(os.environ.get("IMAGE_COVERAGE_CONCURRENCY_ROUNDS", "2"))


def test_concurrent_updates_and_kill_9_keep_an_intact_cache(server: ScriptedServer) -> None:
    served = iter(range(10**6))
    lock = threading.Lock()

    def script(handler: Handler) -> None:
        with lock:
            n = next(served)
        lines = [f"docker.io/library/image{i}" for i in range(100 + n % 9)]
        handler.reply(200, ("\n".join(lines) + f"\n# copy {n}\n").encode())

    server.script = script
    url = f"{server.url}/list.txt"
    first = update_catalog(url, name="shared", timeout=10)
    assert first.ok
    command = [sys.executable, "-m", "analyzer", "catalog", "update", "--source", url]
    command += ["--name", "shared"]
    seen_missing = []
    reading = threading.Event()

    def reader() -> None:  # a scan reading the cache while updates commit
        while not reading.is_set():
            if load_cached("shared") is None:
                seen_missing.append(time.monotonic())

    watcher = threading.Thread(target=reader, daemon=True)
    watcher.start()
    try:
        for _ in range(ROUNDS):
            runs = [
                subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                for _ in range(UPDATERS)
            ]
            victims = random.sample(runs, 2)
            for victim in victims:
                time.sleep(random.uniform(0.0, 0.4))
                victim.send_signal(signal.SIGKILL)
            for run in runs:
                _, err = run.communicate(timeout=120)
                assert run in victims or run.returncode == 0, err
            survivor = load_cached("shared")
            assert survivor is not None
            assert survivor.read_text().startswith("docker.io/library/image0\n")
    finally:
        reading.set()
        watcher.join(timeout=10)
    assert seen_missing == []
    again = update_catalog(url, name="shared", timeout=10)  # no lock left behind
    assert again.ok and load_cached("shared") == again.entry
