"""The per-host sliding-window budget and WWW-Authenticate parsing, with a fake clock."""

from __future__ import annotations

import pytest

from analyzer.online.challenge import bearer_challenge, parse_challenges
from analyzer.online.ratelimit import HostRateLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def limiter(per_minute: int, fake: FakeTime) -> HostRateLimiter:
    return HostRateLimiter(per_minute, clock=fake.clock, sleep=fake.sleep)


def test_a_burst_up_to_the_budget_then_one_slot_per_expired_request() -> None:
    fake = FakeTime()
    budget = limiter(3, fake)
    starts = []
    for _ in range(7):
        budget.wait("mirror")
        starts.append(fake.now)
    assert starts == [0, 0, 0, 60, 60, 60, 120]


def test_no_sixty_second_window_ever_holds_more_than_the_budget() -> None:
    fake = FakeTime()
    budget = limiter(20, fake)
    starts = []
    for index in range(100):
        fake.now += 0.7 if index % 3 else 0.0  # irregular arrivals
        budget.wait("mirror")
        starts.append(fake.now)
    for first in starts:
        assert sum(1 for s in starts if first <= s < first + 60) <= 20


def test_hosts_have_separate_budgets() -> None:
    fake = FakeTime()
    budget = limiter(1, fake)
    assert budget.wait("a") == 0
    assert budget.wait("b") == 0
    assert budget.wait("a") == pytest.approx(60)


def test_defer_holds_every_request_to_the_host() -> None:
    fake = FakeTime()
    budget = limiter(100, fake)
    budget.defer("a", 30)
    assert budget.wait("b") == 0
    assert budget.wait("a") == pytest.approx(30)
    assert budget.wait("a") == 0  # the hold has passed


def test_the_budget_must_be_positive() -> None:
    with pytest.raises(ValueError):
        HostRateLimiter(0)


def test_bearer_challenge_parameters() -> None:
    challenge = bearer_challenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/nginx:pull"'
    )
    assert challenge is not None
    assert challenge.realm == "https://auth.docker.io/token"
    assert challenge.params["service"] == "registry.docker.io"
    assert challenge.params["scope"] == "repository:library/nginx:pull"


def test_several_challenges_quoted_commas_and_escapes() -> None:
    parsed = parse_challenges(
        'Basic realm="a, b", Bearer realm="https://t.example/token",'
        'scope="repository:x:pull,push",error="say \\"no\\""'
    )
    assert [c.scheme for c in parsed] == ["basic", "bearer"]
    assert parsed[0].realm == "a, b"
    assert parsed[1].params["scope"] == "repository:x:pull,push"
    assert parsed[1].params["error"] == 'say "no"'


def test_no_bearer_challenge() -> None:
    assert bearer_challenge('Basic realm="registry"') is None
    assert bearer_challenge("Bearer service=x") is None  # no realm: nowhere to ask
    assert bearer_challenge(None) is None
