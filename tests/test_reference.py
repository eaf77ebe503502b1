"""parse_image against distribution/reference's vectors, plus the rules users meet most."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from analyzer import ImageRef, InvalidImageReference, parse_image
from analyzer.reference import ERROR_KINDS

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "reference" / "vectors.json").read_text(encoding="utf-8")
)
DIGEST = "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"


def observed(ref: ImageRef) -> dict[str, Any]:
    """``ref`` in the field names of the vectors."""
    return {
        "valid": True,
        "error_kind": None,
        "full_name": ref.name,
        "domain": ref.domain or None,
        "path": ref.path,
        "tag": ref.tag,
        "digest": ref.digest,
        "string": str(ref),
        "familiar_name": ref.familiar_name,
        "familiar_string": ref.familiar,
        "docker_ref": ref.pull_ref,
    }


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_upstream_vector(vector: dict[str, Any]) -> None:
    expect = vector["expect"]
    if not expect["valid"]:
        with pytest.raises(InvalidImageReference) as caught:
            parse_image(vector["input"])
        assert caught.value.kind == expect["error_kind"]
        assert caught.value.text == vector["input"]
        return
    ref = parse_image(vector["input"])
    if vector["api"] == "ParseDockerRef":
        ref = ref.pulled
    got = observed(ref)
    assert {field: got[field] for field in expect} == expect


def test_vectors_cover_both_apis_and_every_error_kind() -> None:
    apis = {v["api"] for v in VECTORS}
    kinds = {v["expect"].get("error_kind") for v in VECTORS} - {None}
    assert apis == {"ParseNormalizedNamed", "ParseDockerRef"}
    assert kinds == set(ERROR_KINDS) - {"name_empty"}  # ParseNormalizedNamed never says empty
    assert len(VECTORS) == 246


@pytest.mark.parametrize(
    ("text", "pull_ref", "familiar"),
    [
        ("nginx", "docker.io/library/nginx:latest", "nginx"),
        ("nginx:1.25", "docker.io/library/nginx:1.25", "nginx:1.25"),
        ("index.docker.io/x/y", "docker.io/x/y:latest", "x/y"),
        ("docker.io/library/foo/bar", "docker.io/library/foo/bar:latest", "library/foo/bar"),
        (
            "registry-1.docker.io/nginx",
            "registry-1.docker.io/nginx:latest",
            "registry-1.docker.io/nginx",
        ),
        (
            "localhost:5000/app@" + DIGEST,
            "localhost:5000/app@" + DIGEST,
            "localhost:5000/app@" + DIGEST,
        ),
        ("quay.io/x/y:v1@" + DIGEST, "quay.io/x/y@" + DIGEST, "quay.io/x/y:v1@" + DIGEST),
        ("[::1]:5000/app:v1", "[::1]:5000/app:v1", "[::1]:5000/app:v1"),
        ("localhost:5000", "docker.io/library/localhost:5000", "localhost:5000"),
    ],
)
def test_common_references(text: str, pull_ref: str, familiar: str) -> None:
    ref = parse_image(text)
    assert ref.pull_ref == pull_ref
    assert ref.familiar == familiar


def test_tag_and_digest_kept_in_str_but_tag_dropped_for_pull() -> None:
    ref = parse_image("registry.k8s.io/pause:3.9@" + DIGEST)
    assert ref == ImageRef("registry.k8s.io", "pause", tag="3.9", digest=DIGEST)
    assert str(ref) == "registry.k8s.io/pause:3.9@" + DIGEST
    assert ref.pulled == ImageRef("registry.k8s.io", "pause", digest=DIGEST)
    assert ref.reference == DIGEST
    assert ref.repository == "pause"


def test_invalid_domain_gives_a_reference_without_domain() -> None:
    ref = parse_image("foo_bar.com/baz")
    assert (ref.domain, ref.path, ref.name) == ("", "foo_bar.com/baz", "foo_bar.com/baz")


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("Nginx", "name_contains_uppercase", "repository name must be lowercase: 'Nginx'"),
        (
            "quay.io/Foo/bar:v1",
            "name_contains_uppercase",
            "repository name must be lowercase: 'Foo/bar'",
        ),
        ("", "invalid_format", "image reference is empty"),
        ("nginx:", "invalid_format", "the tag after ':' is empty"),
        ("-nginx", "invalid_format", "not a valid image reference"),
        ("https://docker.io/nginx", "invalid_format", "no URL scheme"),
        ("foo//bar", "invalid_format", "empty path component"),
        ("nginx@SHA256:" + "a" * 64, "name_contains_uppercase", "algorithm must be lowercase"),
        ("Foo_Bar/baz", "name_contains_uppercase", "image name must be lowercase: 'Foo_Bar/baz'"),
        (" nginx", "invalid_format", "leading or trailing whitespace"),
        ("nginx@md5:" + "a" * 32, "digest_unsupported", "'md5' is not supported"),
        ("nginx@sha256:" + "a" * 63, "digest_invalid_length", "64 hex characters, not 63"),
        ("nginx@sha256:" + "A" * 64, "digest_invalid_format", "digest hex must be lowercase"),
        ("a" * 64, "identifier_as_name", "hexadecimal image id"),
        ("x/" + "a" * 254, "name_too_long", "256 characters, more than 255"),
    ],
)
def test_errors_say_what_is_wrong(text: str, kind: str, message: str) -> None:
    with pytest.raises(InvalidImageReference) as caught:
        parse_image(text)
    assert caught.value.kind == kind
    assert caught.value.text == text
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert "\n" not in str(caught.value)


def test_long_input_is_cut_short_in_the_message() -> None:
    with pytest.raises(InvalidImageReference) as caught:
        parse_image("a" * 5000 + "!")
    assert len(str(caught.value)) < 200
    assert "5001 characters" in str(caught.value)


HOSTILE = {
    "dashes": "a" + "-" * 5000 + "!",
    "slashes": "a/" * 2500,
    "dots_then_colon": "a." * 2500 + ":",
    "ipv6_colons": "[" + ":" * 5000,
    "separators": "a" + "_." * 2500 + "!",
    "long_component": "a" * 5000 + "!",
    "dashed_domain": "a" + "-a" * 2500 + ".b/c!",
    "digest_algorithm": "a@" + "b." * 2500 + "c:",
    "tag_then_junk": "a:" + "b" * 128 + "-" * 5000,
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_input_does_not_backtrack(text: str) -> None:
    """A guard against catastrophic backtracking (generous bound), not a speed benchmark."""
    start = time.perf_counter()
    with pytest.raises(InvalidImageReference):
        parse_image(text)
    assert time.perf_counter() - start < 0.5
