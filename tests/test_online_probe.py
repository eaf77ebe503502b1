"""Prober against a mocked Registry API: URLs, token flow, outcomes, retries, politeness."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import responses
from responses import matchers
from responses.registries import OrderedRegistry

from analyzer.model import ALL_CAPABILITIES, Host
from analyzer.online.probe import (
    MANIFEST_ACCEPT,
    Prober,
    ProbeResult,
    manifest_url,
    parse_retry_after,
)
from analyzer.online.verdicts import VerdictCache
from analyzer.reference import parse_image

MIRROR = Host(scheme="https", host="mirror.example.test", path="/v2", capabilities=ALL_CAPABILITIES)
BASE = "https://mirror.example.test/v2"
DIGEST = "sha256:" + "ab" * 32


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IMAGE_COVERAGE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def make_prober(fake_time: FakeTime, **options: object) -> Prober:
    settings: dict[str, object] = {
        "clock": fake_time.clock,
        "sleep": fake_time.sleep,
        "wall_clock": lambda: fake_time.now + 1.7e9,
        "session": requests.Session(),
    }
    settings.update(options)
    return Prober(**settings)  # type: ignore[arg-type]


def nginx_url(ns: str | None = "docker.io") -> str:
    url = f"{BASE}/library/nginx/manifests/1.25"
    return url if ns is None else f"{url}?ns={ns}"


# -- URLs as containerd builds them -------------------------------------------------------------


def test_mirror_url_carries_ns_of_the_registry() -> None:
    assert manifest_url(MIRROR, "docker.io", parse_image("nginx:1.25")) == nginx_url()


def test_ns_is_url_encoded_like_go() -> None:
    ref = parse_image("127.0.0.1:5000/team/app@" + DIGEST)
    assert manifest_url(MIRROR, "127.0.0.1:5000", ref) == (
        f"{BASE}/team/app/manifests/{DIGEST}?ns=127.0.0.1%3A5000"
    )


def test_no_ns_for_the_registry_itself_nor_registry_1_for_docker_io() -> None:
    own = Host(scheme="https", host="quay.io", path="/v2", capabilities=ALL_CAPABILITIES)
    hub = Host(
        scheme="https", host="registry-1.docker.io", path="/v2", capabilities=ALL_CAPABILITIES
    )
    assert manifest_url(own, "quay.io", parse_image("quay.io/a/b:1")) == (
        "https://quay.io/v2/a/b/manifests/1"
    )
    assert manifest_url(hub, "docker.io", parse_image("nginx")) == (
        "https://registry-1.docker.io/v2/library/nginx/manifests/latest"
    )


def test_path_prefix_and_override_path() -> None:
    prefixed = Host(
        scheme="http", host="m.example:8080", path="/custom/v2", capabilities=ALL_CAPABILITIES
    )
    overridden = Host(
        scheme="http",
        host="m.example:8080",
        path="",
        capabilities=ALL_CAPABILITIES,
        override_path=True,
    )
    ref = parse_image("ghcr.io/o/r:t")
    assert manifest_url(prefixed, "ghcr.io", ref) == (
        "http://m.example:8080/custom/v2/o/r/manifests/t?ns=ghcr.io"
    )
    assert manifest_url(overridden, "ghcr.io", ref) == (
        "http://m.example:8080/o/r/manifests/t?ns=ghcr.io"
    )


# -- outcomes ----------------------------------------------------------------------------------


@responses.activate
def test_served_sends_head_with_containerd_accept(fake_time: FakeTime) -> None:
    responses.head(
        nginx_url(),
        status=200,
        headers={"Docker-Content-Digest": DIGEST},
        match=[matchers.header_matcher({"Accept": MANIFEST_ACCEPT})],
    )
    result = make_prober(fake_time).probe(MIRROR, "docker.io", parse_image("nginx:1.25"))
    assert result == ProbeResult(BASE, "docker.io/library/nginx:1.25", "served", 200, DIGEST)
    assert responses.calls[0].request.method == "HEAD"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(404, "not_found"), (403, "denied"), (401, "denied"), (400, "error"), (502, "error")],
)
@responses.activate
def test_each_status_maps_to_its_outcome(fake_time: FakeTime, status: int, outcome: str) -> None:
    responses.head(nginx_url(), status=status)
    result = make_prober(fake_time, retries=0).probe(MIRROR, "docker.io", parse_image("nginx:1.25"))
    assert (result.outcome, result.status) == (outcome, status)
    assert result.detail


@responses.activate
def test_429_without_retries_is_rate_limited(fake_time: FakeTime) -> None:
    responses.head(nginx_url(), status=429)
    result = make_prober(fake_time, retries=0).probe(MIRROR, "docker.io", parse_image("nginx:1.25"))
    assert (result.outcome, result.status) == ("rate_limited", 429)


@responses.activate
def test_timeout_is_an_error_with_detail(fake_time: FakeTime) -> None:
    responses.head(nginx_url(), body=requests.Timeout("read timed out"))
    result = make_prober(fake_time, retries=0, timeout=3).probe(
        MIRROR, "docker.io", parse_image("nginx:1.25")
    )
    assert result.outcome == "error"
    assert result.status is None
    assert result.detail == "timeout after 3 s"


@responses.activate
def test_connection_refused_and_dns_errors_are_named(fake_time: FakeTime) -> None:
    responses.head(nginx_url(), body=requests.ConnectionError("[Errno 111] Connection refused"))
    responses.head(
        f"{BASE}/library/redis/manifests/7?ns=docker.io",
        body=requests.ConnectionError("Failed to resolve: [Errno -2] Name or service not known"),
    )
    prober = make_prober(fake_time, retries=0)
    refused = prober.probe(MIRROR, "docker.io", parse_image("nginx:1.25"))
    unknown = prober.probe(MIRROR, "docker.io", parse_image("redis:7"))
    assert refused.detail == "connection refused"
    assert unknown.detail == "DNS error: the host name does not resolve"


@responses.activate
def test_tls_error_is_an_error(fake_time: FakeTime) -> None:
    responses.head(nginx_url(), body=requests.exceptions.SSLError("wrong version number"))
    result = make_prober(fake_time, retries=0).probe(MIRROR, "docker.io", parse_image("nginx:1.25"))
    assert result.outcome == "error"
    assert result.detail is not None and result.detail.startswith("TLS error")


@responses.activate
def test_head_not_allowed_is_retried_as_get(fake_time: FakeTime) -> None:
    responses.head(nginx_url(), status=405)
    responses.get(nginx_url(), status=200, body="{}")
    result = make_prober(fake_time).probe(MIRROR, "docker.io", parse_image("nginx:1.25"))
    assert result.outcome == "served"
    assert [c.request.method for c in responses.calls] == ["HEAD", "GET"]


# -- anonymous Bearer token flow ---------------------------------------------------------------

CHALLENGE = (
    'Bearer realm="https://auth.example.test/token",service="mirror",'
    'scope="repository:library/nginx:pull"'
)


@responses.activate(registry=OrderedRegistry)
def test_token_flow_fetches_an_anonymous_token_and_retries(fake_time: FakeTime) -> None:
    responses.head(
        nginx_url(),
        status=401,
        headers={"WWW-Authenticate": CHALLENGE},
        match=[matchers.header_matcher({"Accept": MANIFEST_ACCEPT}, strict_match=False)],
    )
    token_call = responses.get(
        "https://auth.example.test/token",
        json={"token": "s3cr3t-token", "expires_in": 300},
        match=[
            matchers.query_param_matcher(
                {"service": "mirror", "scope": "repository:library/nginx:pull"}
            )
        ],
    )
    served = responses.head(
        nginx_url(),
        status=200,
        match=[matchers.header_matcher({"Authorization": "Bearer s3cr3t-token"})],
    )
    prober = make_prober(fake_time)
    result = prober.probe(MIRROR, "docker.io", parse_image("nginx:1.25"))
    assert result.outcome == "served"
    assert token_call.call_count == 1
    assert served.call_count == 1
    assert "s3cr3t" not in repr(result)


@responses.activate(registry=OrderedRegistry)
def test_token_is_reused_for_the_same_repository(fake_time: FakeTime) -> None:
    responses.head(nginx_url(), status=401, headers={"WWW-Authenticate": CHALLENGE})
    token_call = responses.get("https://auth.example.test/token", json={"token": "t"})
    other_tag = f"{BASE}/library/nginx/manifests/1.26?ns=docker.io"
    authorised = matchers.header_matcher({"Authorization": "Bearer t"})
    responses.head(nginx_url(), status=200, match=[authorised])
    responses.head(other_tag, status=404, match=[authorised])
    prober = make_prober(fake_time)
    prober.probe(MIRROR, "docker.io", parse_image("nginx:1.25"))
    second = prober.probe(MIRROR, "docker.io", parse_image("nginx:1.26"))
    assert second.outcome == "not_found"
    assert token_call.call_count == 1


@responses.activate
def test_refused_token_is_denied(fake_time: FakeTime) -> None:
    responses.head(nginx_url(), status=401, headers={"WWW-Authenticate": CHALLENGE})
    responses.get("https://auth.example.test/token", status=403)
    result = make_prober(fake_time).probe(MIRROR, "docker.io", parse_image("nginx:1.25"))
    assert (result.outcome, result.status) == ("denied", 403)
    assert "token" in (result.detail or "")


@responses.activate
def test_token_that_does_not_help_is_denied(fake_time: FakeTime) -> None:
    responses.head(nginx_url(), status=401, headers={"WWW-Authenticate": CHALLENGE})
    responses.get("https://auth.example.test/token", json={"access_token": "t"})
    result = make_prober(fake_time).probe(MIRROR, "docker.io", parse_image("nginx:1.25"))
    assert (result.outcome, result.status) == ("denied", 401)
    assert len(responses.calls) == 3  # HEAD, token, HEAD: no loop


@responses.activate
def test_basic_challenge_is_denied_without_a_token_request(fake_time: FakeTime) -> None:
    responses.head(nginx_url(), status=401, headers={"WWW-Authenticate": 'Basic realm="r"'})
    result = make_prober(fake_time).probe(MIRROR, "docker.io", parse_image("nginx:1.25"))
    assert result.outcome == "denied"
    assert "credentials" in (result.detail or "")
    assert len(responses.calls) == 1


@responses.activate(registry=OrderedRegistry)
def test_challenge_without_scope_asks_for_the_repository_pull_scope(
    fake_time: FakeTime,
) -> None:
    responses.head(
        nginx_url(),
        status=401,
        headers={"WWW-Authenticate": 'Bearer realm="https://auth.example.test/t"'},
    )
    token_call = responses.get(
        "https://auth.example.test/t",
        json={"token": "t"},
        match=[matchers.query_param_matcher({"scope": "repository:library/nginx:pull"})],
    )
    responses.head(
        nginx_url(), status=200, match=[matchers.header_matcher({"Authorization": "Bearer t"})]
    )
    result = make_prober(fake_time).probe(MIRROR, "docker.io", parse_image("nginx:1.25"))
    assert result.outcome == "served"
    assert token_call.call_count == 1


# -- retries, Retry-After, back-off ------------------------------------------------------------


@responses.activate
def test_retry_after_is_honoured_then_served(fake_time: FakeTime) -> None:
    responses.head(nginx_url(), status=429, headers={"Retry-After": "7"})
    responses.head(nginx_url(), status=200)
    result = make_prober(fake_time).probe(MIRROR, "docker.io", parse_image("nginx:1.25"))
    assert result.outcome == "served"
    assert fake_time.sleeps == [7.0]


@responses.activate
def test_too_long_retry_after_gives_up_at_once(fake_time: FakeTime) -> None:
    responses.head(nginx_url(), status=429, headers={"Retry-After": "3600"})
    result = make_prober(fake_time, max_retry_after=60).probe(
        MIRROR, "docker.io", parse_image("nginx:1.25")
    )
    assert result.outcome == "rate_limited"
    assert "3600" in (result.detail or "")
    assert len(responses.calls) == 1
    assert fake_time.sleeps == []


@responses.activate
def test_5xx_backs_off_exponentially_then_errors(fake_time: FakeTime) -> None:
    responses.head(nginx_url(), status=503)
    result = make_prober(fake_time, retries=2, backoff=1.5).probe(
        MIRROR, "docker.io", parse_image("nginx:1.25")
    )
    assert (result.outcome, result.status) == ("error", 503)
    assert len(responses.calls) == 3
    assert fake_time.sleeps == [1.5, 3.0]


@responses.activate
def test_retry_after_applies_to_every_request_to_that_host(fake_time: FakeTime) -> None:
    responses.head(nginx_url(), status=429, headers={"Retry-After": "10"})
    responses.head(nginx_url(), status=200)
    other = responses.head(f"{BASE}/library/redis/manifests/7?ns=docker.io", status=200)
    prober = make_prober(fake_time)
    prober.probe(MIRROR, "docker.io", parse_image("nginx:1.25"))
    started = fake_time.now
    prober.limiter.defer("mirror.example.test", 5)
    prober.probe(MIRROR, "docker.io", parse_image("redis:7"))
    assert other.call_count == 1
    assert fake_time.now - started == pytest.approx(5)


def test_retry_after_parses_seconds_and_http_dates() -> None:
    assert parse_retry_after("120", 0) == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470.0) == 10
    assert parse_retry_after("soon", 0) is None
    assert parse_retry_after(None, 0) is None


# -- politeness across many probes -------------------------------------------------------------


@responses.activate
def test_rate_limit_paces_requests_to_one_host(fake_time: FakeTime) -> None:
    for index in range(5):
        responses.head(f"{BASE}/library/app{index}/manifests/latest?ns=docker.io", status=404)
    prober = make_prober(fake_time, rate_per_minute=2, concurrency=1)
    items = [(MIRROR, "docker.io", parse_image(f"app{index}")) for index in range(5)]
    results = prober.probe_many(items)
    assert [r.outcome for r in results] == ["not_found"] * 5
    # two at once, then two per sliding minute: the 5th waits until t=120
    assert fake_time.now - 1000.0 == pytest.approx(120)


@responses.activate
def test_a_host_is_skipped_after_repeated_errors(fake_time: FakeTime) -> None:
    for index in range(6):
        responses.head(f"{BASE}/library/app{index}/manifests/latest?ns=docker.io", status=500)
    prober = make_prober(fake_time, retries=0, max_errors=3, concurrency=1)
    items = [(MIRROR, "docker.io", parse_image(f"app{index}")) for index in range(6)]
    results = prober.probe_many(items)
    assert len(responses.calls) == 3
    assert [r.status for r in results] == [500, 500, 500, None, None, None]
    assert all(r.outcome == "error" for r in results)
    assert "stopped" in (results[-1].detail or "")


@responses.activate
def test_results_keep_the_order_of_items_and_report_progress(fake_time: FakeTime) -> None:
    names = ["a", "b", "c", "d"]
    for name in names:
        responses.head(
            f"{BASE}/library/{name}/manifests/latest?ns=docker.io",
            status=200 if name in "ac" else 404,
        )
    seen: list[ProbeResult] = []
    results = make_prober(fake_time, concurrency=3).probe_many(
        [(MIRROR, "docker.io", parse_image(n)) for n in names], on_result=seen.append
    )
    assert [r.image for r in results] == [f"docker.io/library/{n}:latest" for n in names]
    assert [r.outcome for r in results] == ["served", "not_found", "served", "not_found"]
    assert sorted(seen, key=lambda r: r.image) == results


# -- verdict cache -----------------------------------------------------------------------------


@responses.activate
def test_verdicts_are_cached_on_disk_and_expire(fake_time: FakeTime, isolated_cache: Path) -> None:
    call = responses.head(nginx_url(), status=404)
    ref = parse_image("nginx:1.25")
    first = make_prober(fake_time, cache_ttl=3600)
    first.probe_many([(MIRROR, "docker.io", ref)])
    assert (isolated_cache / "probe-verdicts.json").is_file()

    again = make_prober(fake_time, cache_ttl=3600).probe(MIRROR, "docker.io", ref)
    assert again.cached and again.outcome == "not_found"
    assert call.call_count == 1

    fake_time.now += 3601
    fresh = make_prober(fake_time, cache_ttl=3600).probe(MIRROR, "docker.io", ref)
    assert not fresh.cached
    assert call.call_count == 2


@responses.activate
def test_errors_are_never_cached(fake_time: FakeTime, tmp_path: Path) -> None:
    call = responses.head(nginx_url(), status=500)
    verdicts = VerdictCache(3600, path=tmp_path / "v.json")
    ref = parse_image("nginx:1.25")
    prober = make_prober(fake_time, retries=0, verdicts=verdicts)
    prober.probe(MIRROR, "docker.io", ref)
    prober.probe(MIRROR, "docker.io", ref)
    assert call.call_count == 2


@responses.activate
def test_zero_ttl_disables_the_cache(fake_time: FakeTime, isolated_cache: Path) -> None:
    call = responses.head(nginx_url(), status=200)
    ref = parse_image("nginx:1.25")
    for _ in range(2):
        make_prober(fake_time, cache_ttl=0).probe_many([(MIRROR, "docker.io", ref)])
    assert call.call_count == 2
    assert not (isolated_cache / "probe-verdicts.json").exists()


# -- what hosts.toml says about the host -------------------------------------------------------


@responses.activate
def test_skip_verify_hosts_are_probed_without_tls_verification(fake_time: FakeTime) -> None:
    insecure = Host(
        scheme="https",
        host="mirror.example.test",
        path="/v2",
        capabilities=ALL_CAPABILITIES,
        skip_verify=True,
    )
    responses.head(nginx_url(), status=200)
    make_prober(fake_time).probe(insecure, "docker.io", parse_image("nginx:1.25"))
    make_prober(fake_time, cache_ttl=0).probe(MIRROR, "docker.io", parse_image("nginx:1.25"))
    # (verifying may mean True or a CA bundle path from REQUESTS_CA_BUNDLE)
    assert [c.request.req_kwargs["verify"] is False for c in responses.calls] == [True, False]


@responses.activate
def test_denied_by_a_host_that_needs_configured_headers_says_so(fake_time: FakeTime) -> None:
    with_headers = Host(
        scheme="https",
        host="mirror.example.test",
        path="/v2",
        capabilities=ALL_CAPABILITIES,
        header_names=("Authorization",),
    )
    responses.head(nginx_url(), status=403)
    result = make_prober(fake_time).probe(with_headers, "docker.io", parse_image("nginx:1.25"))
    assert result.outcome == "denied"
    assert "hosts.toml sends headers (Authorization)" in (result.detail or "")
