"""The JSON report's writer produces exactly ``json.dumps(value, indent=2)``."""

from __future__ import annotations

import io
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from report_factory import clean_report, empty_report, full_report

from analyzer.formats import render
from analyzer.json_stream import dumps

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()  # newlines, quotes, braces, control and non-ASCII characters
)
KEYS = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.tuples(inner, inner)
        | st.dictionaries(KEYS, inner, max_size=5)
    ),
    max_leaves=40,
)


@given(VALUES)
def test_any_value_is_written_as_json_dumps_indent_2_writes_it(value: Any) -> None:
    assert dumps(value) == json.dumps(value, indent=2)


def test_the_shapes_the_fast_paths_take() -> None:
    # lists of flat dicts (uses, attempts), with strings that look like their separators
    tricky = ["},\n    {", '"}, {"', "}", "{", "\n", "a}", "{b"]
    cases: list[Any] = [
        {},
        [],
        {"a": [], "b": {}},
        [{"a": s, "b": 1} for s in tricky],
        [{"a": 1}, {}],  # an empty dict among flat ones
        [{"a": 1}, {"b": [1]}],  # a nested one among flat ones
        {"x": 1, "y": [{"k": "}"}, {"k": "{"}], "z": None, "w": {"q": "}"}, "v": 2.5},
        [[], [[]], [{}], ("t", ("u",))],
        {3: "three", 2.5: "two", True: "t", None: "n"},
        {"nan": float("nan"), "inf": float("-inf"), "zero": -0.0},
    ]
    for value in cases:
        assert dumps(value) == json.dumps(value, indent=2), value


def test_the_report_is_byte_for_byte_the_standard_indented_json() -> None:
    for report in (full_report(), clean_report(), empty_report()):
        out = io.StringIO()
        render(report, "json", out)
        assert out.getvalue() == json.dumps(report.to_dict(), indent=2) + "\n"


def test_writes_are_bounded_by_size_not_by_the_number_of_pieces() -> None:
    """The writer joins pieces into writes of about ``_BATCH`` characters: a document of
    large pieces (a scan's images are one piece each) is never held in one string."""
    from analyzer.json_lazy import Lazy
    from analyzer.json_stream import _BATCH, write_json

    class Sizes:
        def __init__(self) -> None:
            self.sizes: list[int] = []

        def write(self, text: str, /) -> None:
            self.sizes.append(len(text))

    piece = "x" * 2000
    count = 3 * _BATCH // len(piece)
    out = Sizes()
    write_json(Lazy(piece for _ in range(count)), out)
    assert sum(out.sizes) > 3 * _BATCH
    assert len(out.sizes) >= 3
    assert max(out.sizes) < _BATCH + 3 * len(piece)
