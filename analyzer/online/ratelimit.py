"""A per-host request budget: at most N requests in any sliding 60-second window.

Public mirrors ban clients that send too many requests (DaoCloud documents about 20 a
minute per IP). A sliding window lets a small scan go at once and paces a large one;
``defer`` holds every request to a host until a ``Retry-After`` has passed. The clock and
``sleep`` are injectable so tests run in no time.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0


class HostRateLimiter:
    """``wait(key)`` blocks until one more request to ``key`` fits the budget, and books it."""

    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute < 1:
            raise ValueError("the rate limit must be a positive number of requests a minute")
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sent: dict[str, deque[float]] = {}
        self._not_before: dict[str, float] = {}

    def wait(self, key: str) -> float:
        """Sleep until a request to ``key`` is allowed, book it; return the seconds waited."""
        with self._lock:
            now = self._clock()
            start = max(now, self._not_before.get(key, now))
            sent = self._sent.setdefault(key, deque())
            if sent:
                start = max(start, sent[-1])  # bookings stay in order
            while sent and sent[0] <= start - WINDOW_SECONDS:
                sent.popleft()
            budget = self.per_minute
            if len(sent) >= budget:
                # the slot frees when the request ``budget`` places back leaves the window
                start = max(start, sent[len(sent) - budget] + WINDOW_SECONDS)
            sent.append(start)
        delay = start - now
        if delay > 0:
            self._sleep(delay)
        return max(0.0, delay)

    def defer(self, key: str, seconds: float) -> None:
        """No request to ``key`` before ``seconds`` from now (a ``Retry-After``)."""
        with self._lock:
            until = self._clock() + max(0.0, seconds)
            self._not_before[key] = max(self._not_before.get(key, until), until)
