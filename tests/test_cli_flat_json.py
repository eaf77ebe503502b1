"""``coverage images -f json`` writes exactly what ``json.dumps(indent=2)`` writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from analyzer.cli.flat_json import dumps_records
from analyzer.sources import read_sources

ROOT = Path(__file__).resolve().parents[1]

PAYLOADS: dict[str, Any] = {
    "empty": {},
    "empty lists": {"uses": [], "errors": []},
    "empty record": {"uses": [{}]},
    "scalars": {"uses": [{"a": "x", "b": 1, "c": None, "d": True, "e": False, "f": -7}]},
    "escapes": {"uses": [{"q": 'a"b\\c\n\t\x00\x1f', "u": "caf\u00e9 \u2603 \U0001f600"}]},
    "odd keys": {"uses": [{"k\u00e9y\n": "v"}], "\u00e9": []},
    "float": {"uses": [{"a": 1.5}]},
    "nested": {"uses": [{"a": [1, {"b": 2}]}]},
    "int key": {"uses": [{1: "a"}]},
    "bool subclass of int": {"uses": [{"a": 1, "b": True}]},
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_same_text_as_json_dumps(name: str) -> None:
    payload = PAYLOADS[name]
    assert dumps_records(payload) == json.dumps(payload, indent=2)


def test_same_text_for_the_uses_of_the_corpus() -> None:
    result = read_sources([str(ROOT / "tests" / "corpus"), str(ROOT / "fixtures" / "manifests")])
    payload = {
        "uses": [use.to_dict() for use in result.uses],
        "errors": [error.to_dict() for error in result.errors],
        "warnings": [warning.to_dict() for warning in result.warnings],
    }
    assert len(payload["uses"]) > 100
    assert dumps_records(payload) == json.dumps(payload, indent=2)
