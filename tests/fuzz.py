"""How many examples the property tests of the readers try.

The suite runs them bounded, to stay quick; ``IMAGE_COVERAGE_FUZZ=N`` multiplies every
count by N for a longer run (see README, Development)::

    IMAGE_COVERAGE_FUZZ=50 python3 -m pytest tests/test_sources_crd.py \
        tests/test_sources_bad_input.py tests/test_sources_listed.py
"""

from __future__ import annotations

import os


def examples(count: int) -> int:
    """``count`` times the ``IMAGE_COVERAGE_FUZZ`` factor (1 when unset)."""
    return count * max(1, int(os.environ.get("IMAGE_COVERAGE_FUZZ", "1") or "1"))
