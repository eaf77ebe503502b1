"""Ask a mirror whether it really serves an image, the way containerd asks it.

One ``HEAD {host.url}/{repository}/manifests/{tag|digest}`` per (host, image), with
``?ns=<registry>`` exactly when containerd adds it (every host whose name is not the
registry's, except ``registry-1.docker.io`` for ``docker.io``), containerd's ``Accept``
header, and the anonymous Bearer token flow on a 401. ``405`` on ``HEAD`` is retried as
``GET`` (as containerd does). The answer is one of ``served``, ``not_found`` (404),
``denied`` (401/403), ``rate_limited`` (429) or ``error`` (5xx, timeout, TLS, DNS...).

Good citizenship, all configurable on ``Prober``: few requests at a time, a per-host
budget of requests a minute, ``Retry-After`` honoured and shared by every request to that
host, exponential back-off on 429/5xx/transport errors, a host skipped after repeated
errors, recent verdicts reused from the cache. Header values and tokens are never put in
results or messages.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode, urljoin, urlsplit

from analyzer.mirrors.upstream import sends_namespace
from analyzer.model import Host
from analyzer.online.challenge import Challenge, bearer_challenge, parse_challenges
from analyzer.online.deadline import DeadlineExceeded, read_at_most, within_deadline
from analyzer.online.ratelimit import HostRateLimiter
from analyzer.online.transport import describe_transport_error
from analyzer.online.verdicts import VerdictCache, verdict_key
from analyzer.redact import redact_url
from analyzer.reference import ImageRef
from analyzer.version import __version__

if TYPE_CHECKING:
    import requests

ProbeOutcome = Literal["served", "not_found", "denied", "rate_limited", "error"]
PROBE_OUTCOMES: tuple[ProbeOutcome, ...] = (
    "served",
    "not_found",
    "denied",
    "rate_limited",
    "error",
)

#: containerd's resolver ``Accept`` (core/remotes/docker/resolver.go, ``NewResolver``)
MANIFEST_ACCEPT = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "*/*",
    )
)
USER_AGENT = f"image-coverage/{__version__} (containerd-compatible probe)"
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5  # on the same host, each one a request the rate limit counts
#: a registry token is a few kilobytes; a token server answering more is not one
MAX_TOKEN_BYTES = 256 * 1024


@dataclass(frozen=True)
class ProbeResult:
    """What one mirror answered for one image."""

    host: str  # Host.url
    image: str  # the pull_ref
    outcome: ProbeOutcome
    status: int | None  # the last HTTP status, None for transport errors or skipped probes
    detail: str | None
    cached: bool = False  # reused from the verdict cache, not asked this time

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "image": self.image,
            "outcome": self.outcome,
            "status": self.status,
            "detail": self.detail,
            "cached": self.cached,
        }


def manifest_url(host: Host, registry: str, ref: ImageRef) -> str:
    """The URL containerd resolves ``ref`` at on ``host`` (``path.Join`` of the parts)."""
    parts = [p.strip("/") for p in (host.path, ref.repository, "manifests", ref.reference)]
    url = f"{host.scheme}://{host.host}/" + "/".join(p for p in parts if p)
    if sends_namespace(registry, host.host):
        url += "?" + urlencode({"ns": registry})
    return url


class _Answer(Exception):
    """Raised inside a probe to finish it with this outcome."""

    def __init__(self, outcome: ProbeOutcome, status: int | None, detail: str | None) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.status = status
        self.detail = detail


class Prober:
    """Probes mirrors politely; one instance per run (it holds budgets, tokens, counters)."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        concurrency: int = 2,
        rate_per_minute: int = 20,
        max_errors: int = 5,
        cache_ttl: float = 3600.0,
        session: requests.Session | None = None,
        retries: int = 2,
        backoff: float = 1.0,
        max_retry_after: float = 120.0,
        user_agent: str = USER_AGENT,
        verdicts: VerdictCache | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if timeout <= 0:
            raise ValueError("the timeout must be positive")
        if session is None:
            import requests

            session = requests.Session()
        self.timeout = timeout
        self.concurrency = concurrency
        self.max_errors = max_errors
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.user_agent = user_agent
        self.session = session
        self.limiter = HostRateLimiter(rate_per_minute, clock=clock, sleep=sleep)
        self.verdicts = (
            verdicts if verdicts is not None else VerdictCache(cache_ttl, wall_clock=wall_clock)
        )
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._errors: dict[str, int] = {}
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}

    # -- public ----------------------------------------------------------------------------

    def probe(self, host: Host, registry: str, ref: ImageRef) -> ProbeResult:
        """Probe one image on one host (uses and feeds the verdict cache)."""
        key = verdict_key(host.url, registry, ref.pull_ref)
        known = self.verdicts.get(key)
        if known is not None:
            return ProbeResult(
                host.url,
                ref.pull_ref,
                _outcome(known.outcome),
                known.status,
                known.detail,
                cached=True,
            )
        if self._stopped(host.host):
            return ProbeResult(
                host.url,
                ref.pull_ref,
                "error",
                None,
                f"not probed: {host.host} gave {self.max_errors} errors in a row, "
                "so probing it stopped",
            )
        try:
            answer = self._ask(host, registry, ref)
        except _Answer as raised:
            answer = raised
        detail = answer.detail
        if answer.outcome == "denied" and host.header_names:
            detail = (
                f"{detail}; hosts.toml sends headers ({', '.join(host.header_names)}) "
                "that an anonymous probe does not"
            )
        result = ProbeResult(host.url, ref.pull_ref, answer.outcome, answer.status, detail)
        self._count(host.host, result.outcome)
        self.verdicts.put(key, result.outcome, result.status, result.detail)
        return result

    def probe_many(
        self,
        items: Sequence[tuple[Host, str, ImageRef]],
        on_result: Callable[[ProbeResult], None] | None = None,
    ) -> list[ProbeResult]:
        """Probe every item, ``concurrency`` at a time; results in the order of ``items``.

        ``on_result`` is called (in this thread) as each probe finishes, for progress.
        """
        results: list[ProbeResult | None] = [None] * len(items)
        try:
            with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
                futures = {
                    pool.submit(self.probe, host, registry, ref): index
                    for index, (host, registry, ref) in enumerate(items)
                }
                for future in as_completed(futures):
                    result = future.result()
                    results[futures[future]] = result
                    if on_result is not None:
                        on_result(result)
        finally:
            self.save()
        return [r for r in results if r is not None]

    def save(self) -> None:
        """Write the verdict cache (``probe_many`` does it; call it after ``probe``)."""
        with contextlib.suppress(OSError):  # a read-only cache costs a re-probe, nothing more
            self.verdicts.save()

    # -- one probe -------------------------------------------------------------------------

    def _ask(self, host: Host, registry: str, ref: ImageRef) -> _Answer:
        """Run the request dance for one probe (helpers raise ``_Answer`` to end early)."""
        url = manifest_url(host, registry, ref)
        scope = f"repository:{ref.repository}:pull"
        method = "HEAD"
        authorization = self._cached_token(host.host, scope)
        tried_token = False
        attempt = redirects = 0
        while True:
            response = self._send(method, url, host, authorization, attempt)
            if response is None:  # transport error, retry budget left
                attempt += 1
                continue
            status = response.status_code
            if status in _REDIRECTS and response.headers.get("Location"):
                url = _same_host_redirect(url, response, redirects)
                redirects += 1
                continue
            if status == 401 and not tried_token:
                tried_token = True
                challenge_header = response.headers.get("WWW-Authenticate")
                challenge = bearer_challenge(challenge_header)
                if challenge is None:
                    raise _Answer("denied", 401, _no_bearer(challenge_header))
                authorization = self._token(host.host, challenge, scope)
                continue
            if status == 405 and method == "HEAD":
                method = "GET"
                continue
            if status in _RETRY_STATUSES and attempt < self.retries:
                self._pause(host.host, response, attempt)
                attempt += 1
                continue
            return _classify(status, response, tried_token, attempt)

    def _send(
        self, method: str, url: str, host: Host, authorization: str | None, attempt: int
    ) -> requests.Response | None:
        import requests

        headers = {"Accept": MANIFEST_ACCEPT, "User-Agent": self.user_agent}
        if authorization is not None:
            headers["Authorization"] = authorization
        if host.skip_verify:  # hosts.toml skip_verify: containerd does not verify, nor do we
            _silence_insecure_request_warnings()
        self.limiter.wait(host.host)  # every request: retries and redirects count too

        def exchange() -> requests.Response:
            response = self.session.request(
                method,
                url,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,  # _ask follows them, on the same host only
                stream=True,
                verify=not host.skip_verify,
            )
            response.close()  # the answer is in the status line; never read a body
            return response

        try:
            return within_deadline(self.timeout, exchange)
        except (requests.RequestException, ValueError, DeadlineExceeded) as error:
            # ValueError: a URL requests cannot use. A timeout is not retried: the request
            # already took the whole --timeout, and retries would make it 3x that and more
            timed_out = isinstance(error, (DeadlineExceeded, requests.Timeout))
            if attempt < self.retries and not timed_out:
                self.limiter.defer(host.host, self.backoff * (2**attempt))
                return None
            raise _Answer("error", None, describe_transport_error(error, self.timeout)) from None

    def _pause(self, netloc: str, response: requests.Response, attempt: int) -> None:
        """Wait before a retry: ``Retry-After`` if given (for every request to the host),
        else exponential back-off; give up when the server asks for too long a wait."""
        retry_after = parse_retry_after(response.headers.get("Retry-After"), self._wall_clock())
        if retry_after is None:
            self.limiter.defer(netloc, self.backoff * (2**attempt))
            return
        if retry_after > self.max_retry_after:
            outcome: ProbeOutcome = "rate_limited" if response.status_code == 429 else "error"
            raise _Answer(
                outcome,
                response.status_code,
                f"HTTP {response.status_code}; the server asks to wait {retry_after:.0f} s "
                f"(Retry-After), more than {self.max_retry_after:.0f} s: not retried",
            )
        self.limiter.defer(netloc, retry_after)

    # -- tokens ----------------------------------------------------------------------------

    def _cached_token(self, netloc: str, scope: str) -> str | None:
        with self._lock:
            cached = self._tokens.get((netloc, scope))
        if cached is None or cached[1] <= self._clock():
            return None
        return cached[0]

    def _token(self, netloc: str, challenge: Challenge, scope: str) -> str:
        """Fetch an anonymous token for ``scope``; return the ``Authorization`` value."""
        import requests

        realm = challenge.realm or ""
        realm_host = urlsplit(realm).netloc
        if urlsplit(realm).scheme not in ("http", "https") or not realm_host:
            raise _Answer("error", 401, "the registry's token realm is not an http(s) URL")
        params = {"scope": challenge.params.get("scope") or scope}
        if challenge.params.get("service"):
            params["service"] = challenge.params["service"]
        self.limiter.wait(realm_host)

        def exchange() -> tuple[int, bytes | None]:
            response = self.session.get(
                realm,
                params=params,
                timeout=self.timeout,
                headers={"User-Agent": self.user_agent, "Accept": "application/json"},
                allow_redirects=False,
                stream=True,
            )
            with response:
                if response.status_code != 200:
                    return response.status_code, None
                return 200, read_at_most(response, MAX_TOKEN_BYTES)

        try:
            status, body = within_deadline(self.timeout, exchange)
        except (requests.RequestException, ValueError, DeadlineExceeded) as error:
            raise _Answer(
                "error", None, f"token request: {describe_transport_error(error, self.timeout)}"
            ) from None
        if status in (401, 403):
            raise _Answer(
                "denied", status, f"the token server refused an anonymous token (HTTP {status})"
            )
        if status == 429:
            raise _Answer("rate_limited", 429, "the token server answered HTTP 429")
        if status != 200:
            raise _Answer("error", status, f"the token server answered HTTP {status}")
        if body is None:
            raise _Answer(
                "error", 200, f"the token server's answer is larger than {MAX_TOKEN_BYTES} bytes"
            )
        token, lifetime = _token_from(body)
        if token is None:
            raise _Answer("error", 200, "the token server's answer has no token")
        value = f"Bearer {token}"
        with self._lock:
            self._tokens[(netloc, scope)] = (value, self._clock() + max(0.0, lifetime - 10))
        return value

    # -- per-host error counting ----------------------------------------------------------

    def _stopped(self, netloc: str) -> bool:
        with self._lock:
            return self.max_errors > 0 and self._errors.get(netloc, 0) >= self.max_errors

    def _count(self, netloc: str, outcome: str) -> None:
        with self._lock:
            if outcome in ("error", "rate_limited"):
                self._errors[netloc] = self._errors.get(netloc, 0) + 1
            else:
                self._errors[netloc] = 0


# -- helpers -----------------------------------------------------------------------------------


def _silence_insecure_request_warnings() -> None:
    """The user chose ``skip_verify``; urllib3's warning on every request would be noise."""
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


def _outcome(text: str) -> ProbeOutcome:
    for outcome in PROBE_OUTCOMES:
        if outcome == text:
            return outcome
    return "error"


def _classify(status: int, response: requests.Response, tried_token: bool, retries: int) -> _Answer:
    again = f" after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""
    if 200 <= status < 300:
        digest = response.headers.get("Docker-Content-Digest")
        return _Answer("served", status, digest or None)
    if status == 404:
        return _Answer("not_found", 404, "the mirror does not have this image (HTTP 404)")
    if status == 401:
        why = "the anonymous token was refused" if tried_token else "authentication required"
        return _Answer("denied", 401, f"{why} (HTTP 401)")
    if status == 403:
        return _Answer("denied", 403, "forbidden (HTTP 403): not allowed on this mirror")
    if status == 429:
        return _Answer("rate_limited", 429, f"too many requests (HTTP 429){again}")
    if 300 <= status < 400:
        return _Answer("error", status, f"unexpected redirect (HTTP {status}) not followed")
    return _Answer("error", status, f"HTTP {status} {response.reason or ''}".rstrip() + again)


def _no_bearer(header: str | None) -> str:
    schemes = [c.scheme for c in parse_challenges(header or "")]
    if "basic" in schemes:
        return "the mirror requires credentials (Basic authentication)"
    return "authentication required and no anonymous token flow offered (HTTP 401)"


def _same_host_redirect(url: str, response: requests.Response, followed: int) -> str:
    """Where a manifest redirect leads, when it may be followed: on the same host (scheme,
    host and port), at most ``MAX_REDIRECTS`` times. A redirect elsewhere is an answer: the
    probe asks the mirror, not whatever a mirror points at (an internal address...).
    Blob redirects to storage are normal in the distribution spec, but the probe never
    fetches a blob."""
    status = response.status_code
    target = urljoin(url, response.headers.get("Location", ""))
    here, there = urlsplit(url), urlsplit(target)
    if (there.scheme, there.netloc.lower()) != (here.scheme, here.netloc.lower()):
        shown = f"{there.scheme}://{there.netloc}" if there.netloc else target
        raise _Answer(
            "error",
            status,
            f"the mirror redirects (HTTP {status}) to another host, {redact_url(shown)}: "
            "not followed, so the probe proves nothing",
        )
    if followed >= MAX_REDIRECTS:
        raise _Answer("error", status, f"more than {MAX_REDIRECTS} redirects: not followed")
    return target


def _token_from(body: bytes) -> tuple[str | None, float]:
    try:
        document = json.loads(body)
    except ValueError:
        return None, 0.0
    if not isinstance(document, dict):
        return None, 0.0
    token = document.get("token") or document.get("access_token")
    lifetime = document.get("expires_in")
    seconds = float(lifetime) if isinstance(lifetime, (int, float)) else 60.0
    return (token if isinstance(token, str) and token else None), seconds


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` (delta-seconds or an HTTP date)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, moment.timestamp() - now)
