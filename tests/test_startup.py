"""The CLI stays quick to start: pandas, requests and re2 are imported only where they are used.

(Time itself is measured by tests/benchmarks/bench_startup.py, not asserted here.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "fixtures/manifests/platform/metrics-server.yaml"

PROBE = """
import sys
from analyzer.cli import app
code = 0
try:
    # without standalone mode click returns the exit code of typer.Exit instead of raising
    returned = app(sys.argv[1:], standalone_mode=False)
    code = returned if isinstance(returned, int) else 0
except SystemExit as exit:
    code = exit.code if isinstance(exit.code, int) else 1
heavy = sorted(m for m in ("pandas", "requests", "numpy", "matplotlib", "urllib3", "re2",
                           "filelock", "cryptography",
                           # readers of configuration files nobody gave
                           "analyzer.mirrors.k3s", "analyzer.mirrors.registries_conf",
                           "analyzer.mirrors.docker_daemon", "analyzer.mirrors.kind",
                           "analyzer.mirrors.minikube")
               if m in sys.modules)
print("EXIT=" + str(code), file=sys.stderr)
print("HEAVY=" + ",".join(heavy), file=sys.stderr)
"""


def _heavy_modules(*args: str, expect_exit: int = 0) -> list[str]:
    """The heavy modules a command imported; the command must have run to its end."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = done.stderr.splitlines()
    assert f"EXIT={expect_exit}" in lines, done.stderr  # a failed command proves nothing
    assert done.stdout.strip(), "the command printed nothing"
    line = [ln for ln in lines if ln.startswith("HEAVY=")][-1]
    return [m for m in line[len("HEAVY=") :].split(",") if m]


def test_scan_of_one_small_file_imports_neither_pandas_nor_requests() -> None:
    assert _heavy_modules("scan", str(MANIFEST), "-f", "json") == []


def test_other_offline_commands_stay_light_too() -> None:
    assert _heavy_modules("images", str(MANIFEST)) == []
    assert _heavy_modules("explain", "nginx:1.27") == []
    assert _heavy_modules("--help") == []


def test_a_command_that_fails_does_not_count_as_light() -> None:
    with pytest.raises(AssertionError, match="EXIT=2"):
        _heavy_modules("scan", str(ROOT / "no-such-file.yaml"), "-f", "json")


def test_the_scan_really_ran_in_that_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "analyzer", "scan", str(MANIFEST), "-f", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["summary"]["images"] == 1
