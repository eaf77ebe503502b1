"""A total deadline for one HTTP exchange, whatever the server does, and a bounded body.

``requests``' ``timeout`` bounds each socket operation, not the exchange: a server that
sends one byte of its headers or body every few seconds keeps a request alive for ever
(a drip-fed list took 40 s with ``--timeout 3``). ``within_deadline`` runs the whole
exchange (connect, headers, body) in a worker thread and stops waiting at the deadline;
``abandon`` is then started in a thread of its own (it closes the response, which ends the worker's
read soon after) and ``DeadlineExceeded`` is raised. The worker is a daemon thread: an
exchange that is still hanging never keeps the program from exiting. ``read_at_most``
reads a streamed body up to a size, and no further.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    import requests

T = TypeVar("T")


class DeadlineExceeded(Exception):
    """The exchange did not finish within its deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no complete answer within {seconds:g} s")
        self.seconds = seconds


class _Outcome(Generic[T]):
    def __init__(self) -> None:
        self.value: T | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()


def read_at_most(response: requests.Response, limit: int) -> bytes | None:
    """The body of a streamed ``response``, or None when it is longer than ``limit`` bytes
    (nothing more is read)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=65536):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _quietly(call: Callable[[], None]) -> None:
    with contextlib.suppress(Exception):  # closing a half-open connection may fail
        call()


def within_deadline(
    seconds: float, work: Callable[[], T], *, abandon: Callable[[], None] | None = None
) -> T:
    """``work()``'s result, or its exception; ``DeadlineExceeded`` after ``seconds``."""
    outcome: _Outcome[T] = _Outcome()

    def run() -> None:
        try:
            outcome.value = work()
        except BaseException as error:  # handed to the caller's thread
            outcome.error = error
        finally:
            outcome.done.set()

    worker = threading.Thread(target=run, name="http-exchange", daemon=True)
    worker.start()
    if not outcome.done.wait(seconds):
        if abandon is not None:  # in its own thread: closing may wait for the blocked read
            threading.Thread(target=_quietly, args=(abandon,), daemon=True).start()
        raise DeadlineExceeded(seconds)
    if outcome.error is not None:
        raise outcome.error
    return outcome.value  # type: ignore[return-value]
