"""Regenerate ``vectors.json`` from the distribution/reference test vectors (run by hand).

    python3 tests/data/reference/make_vectors.py /work/shared/reference/normalize

Keeps the ``ParseNormalizedNamed`` and ``ParseDockerRef`` vectors of ``parse_normalized.json``
and the ``normalized`` result of every entry of ``special_cases.json``, with the ``head-sha512``
variant applied (docker and containerd binaries link crypto/sha512). Each vector's ``expect``
is what the upstream library returned; fields the upstream test asserts are checked to agree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

FIELDS = (
    "valid",
    "full_name",
    "domain",
    "path",
    "tag",
    "digest",
    "string",
    "familiar_name",
    "familiar_string",
    "docker_ref",
    "error_kind",
)
APIS = ("ParseNormalizedNamed", "ParseDockerRef")
VARIANT = "head-sha512"


def expected(observed: dict[str, Any], variant: dict[str, Any]) -> dict[str, Any]:
    merged = {**observed, **variant}
    return {
        field: merged[field]
        for field in FIELDS
        if field in merged and (merged["valid"] or field in ("valid", "error_kind", "docker_ref"))
    }


def main(source: Path, out: Path) -> None:
    vectors: list[dict[str, Any]] = []
    for vector in json.loads((source / "parse_normalized.json").read_text()):
        if vector["api"] not in APIS:
            continue
        expect = expected(vector["observed"], vector.get("differs_in", {}).get(VARIANT, {}))
        for field in FIELDS:
            if field in vector and field not in ("valid",) and field in expect:
                assert vector[field] == expect[field], (vector["id"], field)
        assert vector["valid"] == expect["valid"], vector["id"]
        vectors.append(
            {"id": vector["id"], "api": vector["api"], "input": vector["input"], "expect": expect}
        )
    for case in json.loads((source / "special_cases.json").read_text()):
        variant = case.get("differs_in", {}).get(VARIANT, {}).get("normalized", {})
        vectors.append(
            {
                "id": case["id"],
                "api": "ParseNormalizedNamed",
                "rule": case["rule"],
                "input": case["input"],
                "expect": expected(case["normalized"], variant),
            }
        )
    text = "[\n" + ",\n".join(json.dumps(v, ensure_ascii=False) for v in vectors) + "\n]\n"
    out.write_text(text, encoding="utf-8")
    print(f"wrote {len(vectors)} vectors to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(__file__).with_name("vectors.json"))
