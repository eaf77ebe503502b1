"""How fast ``read_sources`` reads a large tree, next to a bare libyaml parse of it.

Run: ``python3 tests/benchmarks/bench_sources.py [MB]`` (default 100; prints timings,
asserts nothing). The real manifests of ``tests/corpus`` are copied into a temporary folder
until it holds about MB megabytes, then the same files are read four ways, best of three:

- ``bare parse, all documents``: ``yaml.load_all(CSafeLoader)`` over every YAML file
  (``json`` for JSON files), building nothing else;
- ``bare parse, documents the tool parses``: the same, but only over the documents that
  ``read_sources`` parses: CustomResourceDefinitions and the other kinds that hold no
  image, which it skips from their text, are left out. This is the fair floor: the first
  comparison flatters the tool by counting work it never does;
- ``read_sources``: the library the ``coverage images`` command calls;
- ``coverage images``: the command itself (JSON to a throwaway buffer), in-process.

Both ratios are printed; the share of bytes the tool does not parse says why they differ.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from analyzer.sources import read_sources
from analyzer.sources.crd import skip_without_image
from analyzer.sources.limits import Limits
from analyzer.sources.yaml_split import split_documents

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
MB = 1_000_000
_BLANK = re.compile(r"\s*")


#: corpus files that are no manifest (``expected.yaml`` says why): a command given one of
#: them by name reports it as an error
NOT_MANIFESTS = frozenset({"expected.yaml", "ingress-nginx/values.yaml"})


def originals(*, manifests_only: bool = False) -> list[Path]:
    """The corpus files, ``.yaml``, ``.yml`` and ``.json``, sorted."""
    return sorted(
        p
        for p in CORPUS.rglob("*")
        if p.suffix in (".yaml", ".yml", ".json")
        and p.is_file()
        and not (manifests_only and p.relative_to(CORPUS).as_posix() in NOT_MANIFESTS)
    )


def replicate(target: Path, megabytes: float, *, manifests_only: bool = False) -> list[Path]:
    """Copies of the corpus manifests under ``target``, about ``megabytes`` in all (at
    least one copy)."""
    originals_ = originals(manifests_only=manifests_only)
    files: list[Path] = []
    total = 0
    copy = 0
    while total < megabytes * MB:
        for original in originals_:
            destination = target / f"copy{copy:03d}" / original.relative_to(CORPUS)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(original, destination)
            files.append(destination)
            total += original.stat().st_size
        copy += 1
    return files


def expected_uses(target: Path, files: list[Path]) -> int:
    """How many image uses ``tests/corpus/expected.yaml`` (checked by hand) lists for the
    copies ``files`` that ``replicate`` wrote under ``target``."""
    with open(CORPUS / "expected.yaml", encoding="utf-8") as handle:
        expected: dict[str, list[object]] = yaml.safe_load(handle)
    total = 0
    for path in files:
        _, *relative = path.relative_to(target).parts  # copyNNN/<the corpus path>
        total += len(expected["/".join(relative)])
    return total


def documents(files: list[Path]) -> int:
    """The documents (not empty) in ``files``: each distinct file parsed once, here."""
    counts: dict[bytes, int] = {}
    total = 0
    for path in files:
        data = path.read_bytes()
        if data not in counts:
            if path.suffix == ".json":  # one value or several in a row
                text, count = data.decode("utf-8"), 0
                at = _BLANK.match(text).end()  # type: ignore[union-attr]
                while at < len(text):
                    _, at = json.JSONDecoder().raw_decode(text, at)
                    at = _BLANK.match(text, at).end()  # type: ignore[union-attr]
                    count += 1
                counts[data] = count
            else:
                loader = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
                counts[data] = sum(d is not None for d in yaml.load_all(data, Loader=loader))
        total += counts[data]
    return total


def bare_parse(files: list[Path]) -> None:
    loader = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    for path in files:
        with open(path, "rb") as handle:
            data = handle.read()
        if path.suffix == ".json":
            text = data.decode("utf-8")
            decoder = json.JSONDecoder()
            pos = 0
            while pos < len(text):
                _, pos = decoder.raw_decode(text, pos)
                while pos < len(text) and text[pos].isspace():
                    pos += 1
        else:
            for _ in yaml.load_all(data, Loader=loader):
                pass


def parsed_documents(files: list[Path]) -> tuple[list[bytes], list[Path], int]:
    """The YAML documents read_sources parses (those it skips from their text left out),
    the JSON files, and the number of bytes left out."""
    documents: list[bytes] = []
    json_files: list[Path] = []
    skipped = 0
    for path in files:
        if path.suffix == ".json":
            json_files.append(path)
            continue
        with open(path, "rb") as handle:
            for raw in split_documents(handle, 1 << 40):
                if skip_without_image(raw.data, Limits()):
                    skipped += len(raw.data)
                else:
                    documents.append(raw.data)
    return documents, json_files, skipped


def bare_parse_documents(documents: list[bytes], json_files: list[Path]) -> None:
    loader = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    for data in documents:
        for _ in yaml.load_all(data, Loader=loader):
            pass
    bare_parse(json_files)


def best_of(runs: int, action: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def run_command(root: Path) -> None:
    from typer.testing import CliRunner

    from analyzer.cli import app

    result = CliRunner().invoke(app, ["images", str(root), "--format", "json"])
    if result.exit_code != 0:
        raise SystemExit(f"coverage images failed: {result.output[-500:]}")


def main() -> None:
    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 100.0
    print(f"libyaml: {yaml.__with_libyaml__}")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files = replicate(root, megabytes)
        size = sum(p.stat().st_size for p in files)
        print(f"tree: {len(files)} files, {size / MB:.1f} MB")
        result = read_sources([str(root)])
        print(f"read_sources: {len(result.uses)} uses, {len(result.errors)} errors")
        documents, json_files, skipped = parsed_documents(files)
        print(
            f"bytes skipped from their text by read_sources: {skipped / MB:.1f} MB "
            f"({100 * skipped / size:.0f}% of the tree)"
        )
        timings = {
            "bare parse, all documents": best_of(3, lambda: bare_parse(files)),
            "bare parse, documents the tool parses": best_of(
                3, lambda: bare_parse_documents(documents, json_files)
            ),
            "read_sources": best_of(3, lambda: read_sources([str(root)])),
            "coverage images --format json": best_of(3, lambda: run_command(root)),
        }
        for name, seconds in timings.items():
            print(f"{name:40s} {seconds:7.2f} s  {size / MB / seconds:8.1f} MB/s (tree size)")
        ours = timings["read_sources"]
        for floor in ("bare parse, all documents", "bare parse, documents the tool parses"):
            print(f"read_sources / {floor}: {ours / timings[floor]:.2f}x the time")


if __name__ == "__main__":
    main()
