"""Parses per second of ``parse_image`` over the reference vectors and hostile inputs.

Run by hand: ``python3 tests/benchmarks/bench_reference.py [seconds-per-set]``.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from test_reference import HOSTILE, VECTORS

from analyzer import InvalidImageReference, parse_image


def parse_all(texts: list[str]) -> None:
    for text in texts:
        with contextlib.suppress(InvalidImageReference):
            parse_image(text)


def rate(run: Callable[[], None], count: int, seconds: float) -> float:
    """Parses per second, running ``run`` (``count`` parses) for at least ``seconds``."""
    rounds, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or rounds == 0:
        run()
        rounds += 1
    return rounds * count / elapsed


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    vectors = [v["input"] for v in VECTORS]
    print(
        f"vectors  ({len(vectors):4d} inputs): "
        f"{rate(partial(parse_all, vectors), len(vectors), seconds):12,.0f} parses/s"
    )
    for name, text in HOSTILE.items():
        per_second = rate(partial(parse_all, [text]), 1, seconds)
        print(f"hostile  {name:<17} ({len(text):5d} chars): {per_second:12,.0f} parses/s")


if __name__ == "__main__":
    main()
