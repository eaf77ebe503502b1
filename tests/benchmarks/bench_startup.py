"""How long `coverage scan` takes on one small file, start to finish (run by hand).

    python3 tests/benchmarks/bench_startup.py [RUNS]

Prints the median and best wall time of `python -m analyzer scan <one file>` and the ten
slowest imports of one run (`python -X importtime`). The target is well under half a second.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "fixtures/manifests/platform/metrics-server.yaml"
COMMAND = [sys.executable, "-m", "analyzer", "scan", str(MANIFEST), "-f", "json"]
#: compiled modules cached, as an installed package has them (see harness.isolated_env)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(COMMAND, capture_output=True, check=False, env=ENV)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):  # a command that failed timed nothing worth having
            sys.exit(f"the scan exited {done.returncode}: {done.stderr.decode()[-500:]}")
    bare = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], capture_output=True, check=False)
        bare.append(time.perf_counter() - start)
    print(
        f"coverage scan, one file: median {statistics.median(times) * 1000:.0f} ms, "
        f"best {min(times) * 1000:.0f} ms over {runs} runs"
    )
    print(f"bare interpreter start:  median {statistics.median(bare) * 1000:.0f} ms")
    trace = subprocess.run(
        [sys.executable, "-X", "importtime", *COMMAND[1:]],
        capture_output=True,
        text=True,
        check=False,
        env=ENV,
    ).stderr
    rows = []
    for line in trace.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(.+)", line)
        if match:
            rows.append((int(match.group(2)), match.group(4)))
    print("slowest imports (cumulative µs):")
    for cumulative, name in sorted(rows, reverse=True)[:10]:
        print(f"  {cumulative:>8}  {name}")
    heavy = [name for _, name in rows if name.split(".")[0] in ("pandas", "requests", "numpy")]
    print("pandas/requests/numpy imported:", ", ".join(heavy) if heavy else "none")


if __name__ == "__main__":
    main()
