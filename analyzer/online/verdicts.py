"""Recent probe verdicts, kept in the cache so a re-run does not ask a mirror again.

Only answers that say something about the image are kept (``served``, ``not_found``,
``denied``); errors and rate limits are never cached. Each verdict expires after ``ttl``
seconds. The file is rewritten atomically; a missing or damaged file is an empty cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzer.store.cache import atomic_write_json, cache_dir, read_json

VERDICTS_FILE = "probe-verdicts.json"
CACHEABLE_OUTCOMES: frozenset[str] = frozenset({"served", "not_found", "denied"})
_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Verdict:
    outcome: str
    status: int | None
    detail: str | None
    at: float  # wall-clock seconds since the epoch


def verdict_key(host_url: str, registry: str, image: str) -> str:
    return f"{host_url} {registry} {image}"


class VerdictCache:
    def __init__(
        self,
        ttl: float,
        *,
        path: Path | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.ttl = ttl
        self.path = path if path is not None else cache_dir() / VERDICTS_FILE
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._verdicts: dict[str, Verdict] = _load(self.path) if ttl > 0 else {}
        self._dirty = False

    def get(self, key: str) -> Verdict | None:
        with self._lock:
            verdict = self._verdicts.get(key)
        if verdict is None or self._wall_clock() - verdict.at > self.ttl:
            return None
        return verdict

    def put(self, key: str, outcome: str, status: int | None, detail: str | None) -> None:
        if self.ttl <= 0 or outcome not in CACHEABLE_OUTCOMES:
            return
        with self._lock:
            self._verdicts[key] = Verdict(outcome, status, detail, self._wall_clock())
            self._dirty = True

    def save(self) -> None:
        """Write the unexpired verdicts if anything changed (atomically)."""
        with self._lock:
            if not self._dirty:
                return
            now = self._wall_clock()
            fresh = {k: v for k, v in self._verdicts.items() if now - v.at <= self.ttl}
            self._dirty = False
        atomic_write_json(
            self.path,
            {
                "version": _FORMAT_VERSION,
                "verdicts": {
                    key: {"outcome": v.outcome, "status": v.status, "detail": v.detail, "at": v.at}
                    for key, v in sorted(fresh.items())
                },
            },
        )


def _load(path: Path) -> dict[str, Verdict]:
    document = read_json(path)
    if not isinstance(document, dict) or document.get("version") != _FORMAT_VERSION:
        return {}
    raw = document.get("verdicts")
    if not isinstance(raw, dict):
        return {}
    verdicts: dict[str, Verdict] = {}
    for key, value in raw.items():
        verdict = _verdict(value)
        if isinstance(key, str) and verdict is not None:
            verdicts[key] = verdict
    return verdicts


def _verdict(value: Any) -> Verdict | None:
    if not isinstance(value, dict):
        return None
    outcome, status, detail, at = (value.get(k) for k in ("outcome", "status", "detail", "at"))
    if (
        outcome not in CACHEABLE_OUTCOMES
        or not (status is None or isinstance(status, int))
        or not (detail is None or isinstance(detail, str))
        or not isinstance(at, (int, float))
    ):
        return None
    return Verdict(str(outcome), status, detail, float(at))
