"""Every benchmark of issue 18, side by side with its reference, in one command.

    python -m tests.benchmarks            # full sizes (100k images: several minutes)
    python -m tests.benchmarks --quick    # tiny inputs: proves the benchmarks still work
    python -m tests.benchmarks --only routing --runs 1

Each benchmark runs the tool and its reference as child processes on the same files
(generated, or copies of tests/corpus, in a temporary folder deleted afterwards), in turn:
a warm-up of each, then tool, reference, tool, reference... so that both sides of each
pair run under the same load. It checks every exit code and that the output holds what
the input holds, and prints each side's median wall and CPU time (user + system, steadier
than wall time on a busy machine) and peak RSS, the ratios of the medians, the spread
(min-max) of the per-pair CPU ratios, and the goal. Nothing fails on time: machines are
noisy, and ``--quick`` (which CI runs) only proves that every command still works and
agrees.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from tests.benchmarks import bench_memory, bench_sources, inputs
from tests.benchmarks.harness import (
    BenchmarkFailed,
    Command,
    Paired,
    Run,
    compare,
    run_once,
    tool,
)

#: the reference for extraction: libyaml's parse of the same files, building plain objects
BARE_PARSE = """
import sys, yaml
count = 0
for path in sys.argv[1:]:
    with open(path, "rb") as handle:
        for document in yaml.load_all(handle, Loader=yaml.CSafeLoader):
            count += document is not None
print(count)
"""

#: the reference for the corpus: every document of every file, YAML by libyaml, JSON by json
BARE_PARSE_ALL = """
import json, re, sys, yaml
count = 0
decoder, blank = json.JSONDecoder(), re.compile(r"\\s*")
for path in sys.argv[1:]:
    with open(path, "rb") as handle:
        if path.endswith(".json"):  # one value or several in a row
            text = handle.read().decode()
            at = blank.match(text).end()
            while at < len(text):
                _, at = decoder.raw_decode(text, at)
                at = blank.match(text, at).end()
                count += 1
        else:
            for document in yaml.load_all(handle, Loader=yaml.CSafeLoader):
                count += document is not None
print(count)
"""

#: the reference for a kubectl JSON List: ``json.load`` of the same file (no lines)
BARE_JSON = """
import json, sys
with open(sys.argv[1], "rb") as handle:
    print(len(json.load(handle)["items"]))
"""

#: the scan every benchmark runs: the JSON report, a gate that cannot fail on statuses
SCAN = ("scan", "-f", "json", "--fail-on", "none")


@dataclass(frozen=True)
class Comparison:
    name: str
    what: str  # the inputs both sides read
    paired: Paired  # both sides, run by run in turn
    goal: str  # the target, for people

    @property
    def ratio(self) -> float:
        return self.paired.tool.seconds / self.paired.reference.seconds

    @property
    def cpu_ratio(self) -> float:
        return self.paired.tool.cpu_seconds / self.paired.reference.cpu_seconds


@dataclass(frozen=True)
class Sizes:
    images: int  # extraction and routing
    catalogue_images: int
    catalogue_patterns: int
    hosts_images: int
    hosts_many: int
    hosts_few: int
    pods_small: int  # bytes of small Pods: memory and linear time
    pods_large: int
    corpus_mb: float  # copies of tests/corpus, at least one
    json_pods: int  # Pods of the kubectl JSON List (1,200: 12 MB)


FULL = Sizes(100_000, 10_000, 100_000, 1_000, 5_000, 50, 100 * 1000**2, 300 * 1024**2, 33.0, 1_200)
QUICK = Sizes(300, 100, 1_000, 20, 100, 5, 300_000, 1024**2, 1.0, 10)


def _uses(expected: int) -> Callable[[Run], object]:
    def check(done: Run) -> object:
        found = json.loads(done.stdout)
        uses = found["uses"]
        if len(uses) != expected or found["errors"]:
            raise BenchmarkFailed(
                f"images found {len(uses)} uses, expected {expected}; errors {found['errors'][:3]}"
            )
        return len(uses)

    return check


def _report(expected: int) -> Callable[[Run], object]:
    def check(done: Run) -> object:
        summary = json.loads(done.stdout)["summary"]
        if summary["images"] != expected or summary["errors"]:
            raise BenchmarkFailed(f"scan reported {summary}, expected {expected} images")
        return summary["by_status"]

    return check


def _documents(expected: int) -> Callable[[Run], object]:
    def check(done: Run) -> object:
        if int(done.stdout) != expected:
            raise BenchmarkFailed(f"the bare parse read {done.stdout!r}, expected {expected}")
        return expected

    return check


def _same(comparison: Comparison) -> Comparison:
    """Both sides must agree on what they found (the tool did the same work)."""
    tool_side, reference = comparison.paired.tool, comparison.paired.reference
    if tool_side.fingerprint != reference.fingerprint:
        raise BenchmarkFailed(
            f"{comparison.name}: the two runs disagree: {tool_side.fingerprint} "
            f"vs {reference.fingerprint}"
        )
    return comparison


def _megabytes(files: list[Path]) -> str:
    return f"{sum(f.stat().st_size for f in files) / 1e6:.1f} MB"


def _images(names: list[str], count: int) -> Command:
    """``coverage images -f json`` over ``names``, which hold ``count`` uses."""
    return Command("images -f json", tool("images", "-f", "json", *names), check=_uses(count))


def extraction(work: Path, sizes: Sizes, runs: int) -> Comparison:
    files = inputs.deployments(work / "dense", inputs.images(sizes.images))
    names = [str(f) for f in files]
    count = sizes.images
    bare = Command(
        "bare yaml.load_all (CSafeLoader)",
        (sys.executable, "-c", BARE_PARSE, *names),
        check=_documents(count),
    )
    paired = compare(_images(names, count), bare, work, runs)
    what = (
        f"{count:,} Deployments, one distinct image each, {len(files)} files, {_megabytes(files)}"
    )
    return _same(Comparison("extraction", what, paired, "<= 0.5x the bare parse"))


def corpus(work: Path, sizes: Sizes, runs: int) -> Comparison:
    """The real manifests of tests/corpus (87 % of their bytes CustomResourceDefinitions)."""
    root = work / "corpus"
    files = bench_sources.replicate(root, sizes.corpus_mb, manifests_only=True)
    names = [str(f) for f in files]
    bare = Command(
        "bare parse of every document (libyaml, json)",
        (sys.executable, "-c", BARE_PARSE_ALL, *names),
        check=_documents(bench_sources.documents(files)),
    )
    paired = compare(_images(names, bench_sources.expected_uses(root, files)), bare, work, runs)
    copies = len(files) // len(bench_sources.originals(manifests_only=True))
    what = f"tests/corpus x{copies}: {len(files)} files, {_megabytes(files)}"
    return Comparison("corpus", what, paired, ">= 10x faster than the bare parse (<= 0.1x)")


def json_list(work: Path, sizes: Sizes, runs: int) -> Comparison:
    """``kubectl get pods -A -o json``: one List, read item by item with every value's
    line, against ``json.load`` of the same file, which gives no lines."""
    path = inputs.pods_list_json(work / "pods.json", sizes.json_pods)
    pods = sizes.json_pods
    bare = Command(
        "bare json.load", (sys.executable, "-c", BARE_JSON, str(path)), check=_documents(pods)
    )
    containers = 3  # pods_list_json's default: one image use each
    paired = compare(_images([str(path)], pods * containers), bare, work, runs)
    what = f"a List of {pods:,} Pods, {containers} containers each, {_megabytes([path])}"
    return Comparison("json", what, paired, "none (the price of the lines)")


def routing(work: Path, sizes: Sizes, runs: int) -> Comparison:
    files = sorted((work / "dense").glob("*.yaml")) or inputs.deployments(
        work / "dense", inputs.images(sizes.images)
    )
    names = [str(f) for f in files]
    count = sizes.images
    scan = Command(
        "scan -f json (embedded DaoCloud set)", tool(*SCAN, *names), check=_report(count)
    )
    paired = compare(scan, _images(names, count), work, runs)
    what = f"{count:,} Deployments, one distinct image each, {_megabytes(files)}"
    # different commands, different outputs: nothing to compare but the count
    return Comparison("routing", what, paired, "<= 1.15x images")


def _with_big_list(
    work: Path,
    sizes: Sizes,
    runs: int,
    command: tuple[str, ...],
    check: Callable[[Run], object],
) -> Paired:
    """``command`` on the catalogue benchmark's images with ``--catalog
    docker.m.daocloud.io=`` the embedded list plus ``catalogue_patterns`` generated
    patterns, against the embedded list alone."""
    folder = work / "catalogue"
    files = sorted(folder.glob("*.yaml")) or inputs.deployments(
        folder, inputs.images(sizes.catalogue_images)
    )
    names = [str(f) for f in files]
    big = inputs.big_allows(work / "big-allows.txt", sizes.catalogue_patterns)
    small = inputs.embedded_allows_copy(work / "embedded-allows.txt")

    def side(label: str, listing: Path) -> Command:
        argv = tool(*command, "--catalog", f"docker.m.daocloud.io={listing}", *names)
        return Command(f"{command[0]}, {label}", argv, check=check)

    return compare(
        side(f"embedded + {sizes.catalogue_patterns:,} patterns", big),
        side("embedded list (1,321 patterns)", small),
        work,
        runs,
    )


def catalogue(work: Path, sizes: Sizes, runs: int) -> Comparison:
    paired = _with_big_list(work, sizes, runs, SCAN, _report(sizes.catalogue_images))
    what = (
        f"{sizes.catalogue_images:,} images; --catalog docker.m.daocloud.io= the embedded "
        f"list plus {sizes.catalogue_patterns:,} patterns none of them matches, vs the "
        "embedded list alone"
    )
    return _same(Comparison("catalogue", what, paired, "<= 1.1x"))


def _requested(done: Run) -> object:
    """The lines ``request -f json`` asks the lists to add (there must be some)."""
    lines = sorted(
        add["line"] for listed in json.loads(done.stdout)["lists"] for add in listed["add"]
    )
    if not lines:
        raise BenchmarkFailed("request asked for no line: nothing was measured")
    return len(lines), hash(tuple(lines))


def request(work: Path, sizes: Sizes, runs: int) -> Comparison:
    """``coverage request`` against the same big list: each line it would ask for is
    checked against the list (is it covered already?), through an index, not a scan."""
    paired = _with_big_list(work, sizes, runs, ("request", "-f", "json"), _requested)
    what = (
        f"{sizes.catalogue_images:,} images; the lists to ask for them, with "
        f"{sizes.catalogue_patterns:,} more patterns in docker.m.daocloud.io's, vs without"
    )
    return _same(Comparison("request", what, paired, "<= 1.1x (as the catalogue's)"))


def hosts(work: Path, sizes: Sizes, runs: int) -> Comparison:
    many, few = work / "certs-many.d", work / "certs-few.d"
    registries = inputs.hosts_dir(many, sizes.hosts_many)
    inputs.hosts_dir(few, sizes.hosts_few)
    refs = inputs.images_on(registries[: sizes.hosts_few], sizes.hosts_images)
    files = inputs.deployments(work / "hosts", refs)
    names = [str(f) for f in files]

    def scan(label: str, root: Path) -> Command:
        argv = tool(*SCAN, "--hosts-dir", str(root), *names)
        return Command(label, argv, check=_report(sizes.hosts_images))

    what = (
        f"{sizes.hosts_images:,} images on {sizes.hosts_few} registries; a hosts directory of "
        f"{sizes.hosts_many:,} registries vs one of the {sizes.hosts_few} they use"
    )
    paired = compare(
        scan(f"scan, {sizes.hosts_many:,} registry directories", many),
        scan(f"scan, {sizes.hosts_few} registry directories", few),
        work,
        runs,
    )
    return _same(Comparison("hosts", what, paired, "<= 1.1x"))


def startup(work: Path, sizes: Sizes, runs: int) -> Comparison:
    manifest = inputs.ROOT / "fixtures/manifests/platform/metrics-server.yaml"
    scan = Command(
        "scan -f json, one small file", tool("scan", "-f", "json", str(manifest)), check=_report(1)
    )
    bare = Command("python -c pass", (sys.executable, "-c", "pass"))
    paired = compare(scan, bare, work, max(runs, 5))
    return Comparison("startup", f"{manifest.name} (one image)", paired, "scan <= 0.25 s")


def memory(name: str) -> Callable[[Path, Sizes, int], Comparison]:
    """``coverage <name>`` on 300 MiB of small Pods vs 100 MB: time linear, memory flat."""

    def benchmark(work: Path, sizes: Sizes, runs: int) -> Comparison:
        what, paired = bench_memory.small_and_large(
            work, name, sizes.pods_small, sizes.pods_large, runs
        )
        bytes_ratio = sizes.pods_large / sizes.pods_small
        goal = f"~{bytes_ratio:.2f}x (linear in the bytes); peak RSS < 300 MB"
        return Comparison(f"memory-{name}", what, paired, goal)

    return benchmark


BENCHMARKS: dict[str, Callable[[Path, Sizes, int], Comparison]] = {
    "extraction": extraction,
    "corpus": corpus,
    "json": json_list,
    "routing": routing,
    "catalogue": catalogue,
    "request": request,
    "hosts": hosts,
    "startup": startup,
    "memory-images": memory("images"),
    "memory-scan-json": memory("scan-json"),
    "memory-scan-table": memory("scan-table"),
}


def _print(comparison: Comparison) -> None:
    print(f"== {comparison.name}: {comparison.what}")
    paired = comparison.paired
    for side in (paired.tool, paired.reference):
        print(
            f"   {side.label:<44} {side.seconds:8.3f} s (CPU {side.cpu_seconds:7.3f} s)"
            f"  peak RSS {side.peak_rss_mb:7.1f} MB  (median of {side.runs})"
        )
    low, high = paired.spread
    print(
        f"   ratio {comparison.ratio:.2f}x (CPU {comparison.cpu_ratio:.2f}x; per pair "
        f"{low:.2f}-{high:.2f}x over {len(paired.cpu_ratios)} alternated pairs)   "
        f"goal: {comparison.goal}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny inputs, one run each")
    parser.add_argument("--runs", type=int, default=None, help="runs per command (median)")
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), default=None)
    parser.add_argument("--images", type=int, default=None, help="images for extraction, routing")
    parser.add_argument("--corpus-mb", type=float, default=None, help="MB of corpus copies")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.images:
        sizes = replace(sizes, images=args.images)
    if args.corpus_mb:
        sizes = replace(sizes, corpus_mb=args.corpus_mb)
    runs = args.runs or (1 if args.quick else 3)
    chosen = args.only or list(BENCHMARKS)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="image-coverage-bench-") as folder:
        work = Path(folder)
        # the tree as it is: pure Python, or compiled in place (IMAGE_COVERAGE_COMPILE=1
        # pip install -e .); the numbers of one say nothing of the other
        print(f"== measuring {run_once(tool('--version'), work).stdout.strip()}", flush=True)
        for name in chosen:
            try:
                _print(BENCHMARKS[name](work, sizes, runs))
            except BenchmarkFailed as exc:
                failed += 1
                print(f"== {name}: FAILED: {exc}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
