"""Peak memory and time of reading large inputs: bounded by the largest document?

The commands: ``python -m tests.benchmarks --only memory-images --only memory-scan-json
--only memory-scan-table`` runs ``coverage images -f json``, ``coverage scan -f json`` and
``coverage scan`` (the table) on 300 MiB and on 100 MB of small Pods (one image, 2.4 and
0.77 million uses; ``--quick``: 1 MiB and 300 kB), through the launcher of ``harness.py``
(each child's own peak RSS), and checks that every use is in the output. The ratio of
the two times shows whether time is linear in the input (the bytes are 3.15x); the
peak RSS of the large run is the goal (under 300 MB).

The library, by hand: ``python3 tests/benchmarks/bench_memory.py [MB ...]`` (default
``100 300``; prints a table, asserts nothing). Each case runs in a fresh interpreter so
that its peak RSS (``resource.getrusage``) is its own:

- ``pods N MB, streamed``: ``iter_sources`` over N MB of small Pods (8 lines, one image
  each), every use dropped as it comes: memory must not grow with N; time linear in N;
- ``pods N MB, held``: ``read_sources``, which keeps every use: the cost of one use;
- ``List 60 MiB (yaml|json)``: one ``kubectl get -o yaml|json`` document of 60 MiB;
- ``ConfigMap 60 MiB``: one document that is no ``List``: refused (an error) once it
  holds a million values, as no Kubernetes object is that large.

Issue 18's targets: 300 MiB of small Pods in under 300 MB, time linear with a 100 MB
case; a 60 MiB single document read within 10x its size.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.benchmarks.harness import BenchmarkFailed, Command, Paired, Run, compare, tool

MB = 1_000_000
MIB = 1 << 20

POD = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{n}\n  namespace: default\n"
    "spec:\n  containers:\n  - name: c\n    image: nginx:1.25\n---\n"
)
ITEM = (
    "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p{n}\n    namespace: default\n"
    "  spec:\n    containers:\n    - name: c\n      image: nginx:1.25\n"
    "      args: [--port=8080]\n"
)

CHILD = """
import resource, sys, time
from analyzer.sources import iter_sources, read_sources
mode, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if mode == "streamed":
    uses = errors = 0
    for item in iter_sources([path]):
        uses += hasattr(item, "raw")
        errors += not hasattr(item, "raw")
else:
    result = read_sources([path])
    uses, errors = len(result.uses), len(result.errors)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux
print(uses, errors, seconds, peak)
"""


def write(
    path: Path, size: int, entry: Callable[[int], str], head: str = "", tail: str = ""
) -> int:
    """``head``, then ``entry(0)``, ``entry(1)``... until ``size`` bytes, then ``tail``;
    how many entries."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(head)
        written = n = 0
        while written < size:
            text = entry(n)
            handle.write(text)
            written += len(text)
            n += 1
        handle.write(tail)
    return n


def json_pod(n: int) -> str:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"p{n}", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]},
    }
    return ("" if n == 0 else ",\n") + json.dumps(pod, indent=4)


def write_pods(path: Path, size: int) -> int:
    """Small Pods, one use each, until ``size`` bytes; how many."""
    return write(path, size, lambda n: POD.format(n=n))


def write_list(path: Path, size: int) -> None:
    head, tail = "apiVersion: v1\nitems:\n", "kind: List\nmetadata:\n  resourceVersion: ''\n"
    write(path, size, lambda n: ITEM.format(n=n), head, tail)


def write_json_list(path: Path, size: int) -> None:
    head, tail = '{\n    "apiVersion": "v1",\n    "items": [\n', '\n    ],\n    "kind": "List"\n}\n'
    write(path, size, json_pod, head, tail)


def write_config_map(path: Path, size: int) -> None:
    head = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n"
    write(path, size, lambda n: f"  key{n}: value number {n} of the map\n", head)


def pods(work: Path, size: int) -> tuple[Path, int]:
    """The file of ``size`` bytes of small Pods in ``work`` (written once) and its uses."""
    path = work / f"pods-{size}.yaml"
    count = work / f"pods-{size}.count"
    if not count.exists():
        count.write_text(str(write_pods(path, size)), encoding="utf-8")
    return path, int(count.read_text(encoding="utf-8"))


def _every_use_listed(expected: int) -> Callable[[Run], object]:
    """``images -f json``: one ``"raw"`` line per use (the output is read line by line)."""

    def check(done: Run) -> object:
        with open(done.stdout_path, "rb") as handle:
            found = sum(line.startswith(b'      "raw": ') for line in handle)
        if found != expected:
            raise BenchmarkFailed(f"images listed {found} uses, expected {expected}")
        return found

    return check


def _summary_says(expected: int) -> Callable[[Run], object]:
    """``scan -f json``: the summary (near the top) counts every use, and no error."""

    def check(done: Run) -> object:
        with open(done.stdout_path, encoding="utf-8") as handle:
            head = handle.read(1 << 16)
        at = head.index('"summary": ') + len('"summary": ')
        summary, _ = json.JSONDecoder().raw_decode(head, at)
        if summary["uses"] != expected or summary["images"] != 1 or summary["errors"]:
            raise BenchmarkFailed(f"scan reported {summary}, expected {expected} uses")
        return summary["uses"]

    return check


def _table_says(expected: int) -> Callable[[Run], object]:
    def check(done: Run) -> object:
        if f"1 image, {expected} uses," not in done.stdout:
            raise BenchmarkFailed(f"the table does not count {expected} uses")
        return expected

    return check


#: (name, command, the check of its output, whether its output is read whole)
COMMANDS: dict[str, tuple[tuple[str, ...], Callable[[int], Callable[[Run], object]], bool]] = {
    "images": (("images", "-f", "json"), _every_use_listed, False),
    "scan-json": (("scan", "-f", "json", "--fail-on", "none"), _summary_says, False),
    "scan-table": (("scan", "--fail-on", "none"), _table_says, True),
}


def small_and_large(work: Path, name: str, small: int, large: int, runs: int) -> tuple[str, Paired]:
    """``coverage <name>`` on ``large`` and on ``small`` bytes of small Pods, in turn."""
    args, check, whole = COMMANDS[name]

    def command(size: int) -> Command:
        path, count = pods(work, size)
        return Command(
            f"{' '.join(args[:3])}, {label(size)} ({count:,} uses)",
            tool(*args, str(path)),
            check=check(count),
            read_stdout=whole,
        )

    what = f"small Pods (one image), {label(large)} vs {label(small)}"
    return what, compare(command(large), command(small), work, runs)


def label(size: int) -> str:
    """``300 MiB``, ``100 MB``."""
    return f"{size >> 20} MiB" if size % MIB == 0 else f"{size / MB:g} MB"


def measure(mode: str, path: Path) -> tuple[int, int, float, int]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    uses, errors, seconds, peak = done.stdout.split()
    return int(uses), int(errors), float(seconds), int(peak)


def main() -> None:
    sizes = [float(arg) for arg in sys.argv[1:]] or [100.0, 300.0]
    print(f"{'case':32s} {'input':>9s} {'uses':>9s} {'errors':>6s} {'time':>8s} {'peak RSS':>9s}")
    with tempfile.TemporaryDirectory() as folder:
        cases: list[tuple[str, str, Path]] = []
        for megabytes in sizes:
            path = Path(folder) / f"pods-{megabytes:g}.yaml"
            write_pods(path, int(megabytes * MB))
            cases.append((f"pods {megabytes:g} MB, streamed", "streamed", path))
            cases.append((f"pods {megabytes:g} MB, held", "held", path))
        for name, writer, suffix in (
            ("List 60 MiB (yaml)", write_list, ".yaml"),
            ("List 60 MiB (json)", write_json_list, ".json"),
            ("ConfigMap 60 MiB", write_config_map, ".yaml"),
        ):
            path = Path(folder) / f"single{suffix}"
            if name.startswith("ConfigMap"):
                path = Path(folder) / "configmap.yaml"
            writer(path, 60 * MIB)
            cases.append((name, "streamed", path))
        for name, mode, path in cases:
            size = path.stat().st_size
            uses, errors, seconds, peak = measure(mode, path)
            print(
                f"{name:32s} {size / MB:7.1f}MB {uses:9d} {errors:6d} {seconds:7.1f}s "
                f"{peak / MB:7.0f}MB"
            )


if __name__ == "__main__":
    main()
