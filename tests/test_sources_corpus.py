"""Real manifests (tests/corpus, see its SOURCES.md): every image found, exactly where it is.

``tests/corpus/expected.yaml`` is the hand-checked answer for each file. Besides the exact
comparison, each expected entry is checked against the files themselves with a second,
independent reader (``yaml.safe_load_all`` / ``json``): the line holds the raw value and
the document holds the named object.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from analyzer.sources import read_sources

CORPUS = Path(__file__).parent / "corpus"
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
CORE = {"container", "crd", "volume"}


@functools.cache
def _expected() -> dict[str, list[dict[str, Any]]]:
    with open(CORPUS / "expected.yaml", encoding="utf-8") as handle:
        data: dict[str, list[dict[str, Any]]] = yaml.safe_load(handle)
    return data


def _entry(use: Any) -> dict[str, Any]:
    entry = {
        "line": use.line,
        "document": use.document,
        "class": use.use_class,
        "kind": use.kind,
        "name": use.name,
        "container": use.container,
        "field": use.field,
        "raw": use.raw,
    }
    if use.image is not None:
        entry["image"] = use.pull_ref
    return entry


def _key(entry: dict[str, Any]) -> tuple[int, int, str]:
    return (entry["document"], entry["line"], entry["field"])


@pytest.fixture(scope="module")
def found() -> dict[str, list[dict[str, Any]]]:
    result = read_sources([str(CORPUS)])
    assert result.errors == ()
    by_file: dict[str, list[dict[str, Any]]] = {}
    for use in result.uses:
        relative = Path(use.file).relative_to(CORPUS).as_posix()
        by_file.setdefault(relative, []).append(_entry(use))
    return by_file


def _corpus_files() -> list[str]:
    return sorted(
        path.relative_to(CORPUS).as_posix()
        for path in CORPUS.rglob("*")
        if path.suffix in MANIFEST_SUFFIXES and path.name != "expected.yaml"
    )


def test_every_corpus_file_has_an_expected_answer() -> None:
    assert sorted(_expected()) == _corpus_files()


@pytest.mark.parametrize("relative", _corpus_files())
def test_corpus_file_uses_are_exactly_the_expected_ones(
    relative: str, found: dict[str, list[dict[str, Any]]]
) -> None:
    expected = sorted(_expected()[relative], key=_key)
    actual = sorted(found.get(relative, []), key=_key)
    assert actual == expected


def test_nothing_but_expected_core_images_in_the_whole_corpus(
    found: dict[str, list[dict[str, Any]]],
) -> None:
    expected = {
        (relative, entry["line"], entry["field"])
        for relative, entries in _expected().items()
        for entry in entries
        if entry["class"] in CORE
    }
    actual = {
        (relative, entry["line"], entry["field"])
        for relative, entries in found.items()
        for entry in entries
        if entry["class"] in CORE
    }
    assert actual == expected
    assert len(actual) == 93


def _documents(path: Path) -> list[Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".json":
        loader = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
        return list(yaml.load_all(text, Loader=loader))
    decoder = json.JSONDecoder()
    documents = []
    position = len(text) - len(text.lstrip())
    while position < len(text):
        document, position = decoder.raw_decode(text, position)
        documents.append(document)
        position += len(text[position:]) - len(text[position:].lstrip())
    return documents


def _names(document: Any) -> set[tuple[str, str | None]]:
    objects = [document, *(document.get("items") or [])] if isinstance(document, dict) else []
    names = set()
    for obj in objects:
        if isinstance(obj, dict):
            metadata = obj.get("metadata") or {}
            names.add((obj.get("kind"), metadata.get("name") or metadata.get("generateName")))
    return names


@pytest.mark.parametrize("relative", _corpus_files())
def test_expected_answers_agree_with_an_independent_reading(relative: str) -> None:
    path = CORPUS / relative
    lines = path.read_text(encoding="utf-8").split("\n")
    documents = _documents(path)
    for entry in _expected()[relative]:
        assert entry["raw"] in lines[entry["line"] - 1], entry
        if entry["name"] is not None:
            assert (entry["kind"], entry["name"]) in _names(documents[entry["document"]]), entry


def test_kubectl_status_images_are_not_reported(found: dict[str, list[dict[str, Any]]]) -> None:
    # po_sidecar.json names docker.io/istio/base:latest only in status.containerStatuses
    pulls = {entry.get("image") for entry in found["k9s-kubectl-json/po_sidecar.json"]}
    assert pulls == {"docker.io/istio/base:latest"}
    assert all(
        not entry["field"].startswith("status") for entries in found.values() for entry in entries
    )


def test_helm_source_comments_are_recorded() -> None:
    result = read_sources([str(CORPUS / "longhorn" / "longhorn.yaml")])
    sources = {use.source for use in result.uses}
    assert sources == {
        "longhorn/templates/daemonset-sa.yaml",
        "longhorn/templates/deployment-driver.yaml",
        "longhorn/templates/deployment-ui.yaml",
    }
