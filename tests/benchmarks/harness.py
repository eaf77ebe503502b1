"""Run one command as a child process and measure it: wall time, peak RSS, exit code.

Peak RSS is the child's own ``ru_maxrss`` (``os.wait4`` returns the ``getrusage`` of that
child alone), measured through a small launcher process so that neither an earlier, bigger
child nor this process's own memory inflates it. Every child
runs with a private cache folder and a node with no containerd configuration, so it never
reads the user's downloaded lists or this machine's ``/etc/containerd``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float  # user + system: steadier than wall time on a busy machine
    peak_rss_mb: float
    exit_code: int
    stdout: str  # "" when not read (``read_stdout=False``): see ``stdout_path``
    stderr: str
    stdout_path: Path  # the whole output, until the next run


class BenchmarkFailed(Exception):
    """The command under measurement did not do its job (exit code, output)."""


@dataclass(frozen=True)
class Measured:
    """The median wall and CPU times and largest peak RSS of several runs of one command."""

    label: str
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    runs: int
    fingerprint: object = None  # what ``check`` returned: the result, to compare


def isolated_env(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["IMAGE_COVERAGE_CACHE_DIR"] = str(workdir / "cache")
    env["IMAGE_COVERAGE_NODE_HOSTS_DIR"] = str(workdir / "no-certs.d")
    env["IMAGE_COVERAGE_NODE_ROOT"] = str(workdir / "no-node-root")
    # compiled modules cached as an installed package has them (pip compiles on install):
    # with PYTHONDONTWRITEBYTECODE every start would compile each module again (0.45 s
    # instead of 0.2 s for a one-file scan); the first run of each command writes them
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


#: forks and execs the measured command, waits for it with ``wait4`` and writes its wall
#: time, CPU time and ``ru_maxrss`` to the file named first. A separate small process: a
#: child forked straight from this (possibly large) process inherits its RSS high-water mark.
LAUNCHER = """
import os, sys, time
result, command = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(command[0], command)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
with open(result, "w") as handle:
    cpu = usage.ru_utime + usage.ru_stime
    handle.write(f"{seconds} {cpu} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def run_once(command: Sequence[str], workdir: Path, *, read_stdout: bool = True) -> Run:
    out_path, err_path = workdir / "stdout.txt", workdir / "stderr.txt"
    result = workdir / "measured.txt"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        launcher = subprocess.run(
            [sys.executable, "-S", "-c", LAUNCHER, str(result), *command],
            stdout=out,
            stderr=err,
            cwd=workdir,
            env=isolated_env(workdir),
            check=False,
        )
    if launcher.returncode != 0:
        raise BenchmarkFailed(f"the launcher failed ({launcher.returncode}) for {command}")
    seconds, cpu, maxrss, code = result.read_text(encoding="utf-8").split()
    # ru_maxrss is in KiB on Linux, in bytes on macOS
    rss = int(maxrss) / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Run(
        float(seconds),
        float(cpu),
        rss,
        int(code),
        out_path.read_text(encoding="utf-8", errors="replace") if read_stdout else "",
        err_path.read_text(encoding="utf-8", errors="replace"),
        out_path,
    )


def measure(
    label: str,
    command: Sequence[str],
    workdir: Path,
    runs: int,
    *,
    expect_exit: int,
    check: Callable[[Run], object] | None = None,
    read_stdout: bool = True,
) -> Measured:
    """Run ``command`` ``runs`` times; every run must exit ``expect_exit`` and pass
    ``check`` (a benchmark of a command that failed measures nothing worth having), which
    raises ``BenchmarkFailed`` or returns a summary of the result (the fingerprint).
    Without ``read_stdout`` (an output of gigabytes) ``check`` reads ``Run.stdout_path``."""
    times, cpus, peaks = [], [], []
    fingerprint: object = None
    for _ in range(runs):
        done = run_once(command, workdir, read_stdout=read_stdout)
        if done.exit_code != expect_exit:
            raise BenchmarkFailed(
                f"{label}: exited {done.exit_code}, expected {expect_exit}: "
                f"{done.stderr.strip()[-800:]}"
            )
        if check is not None:
            fingerprint = check(done)
        times.append(done.seconds)
        cpus.append(done.cpu_seconds)
        peaks.append(done.peak_rss_mb)
    return Measured(
        label, statistics.median(times), statistics.median(cpus), max(peaks), runs, fingerprint
    )


def tool(*args: str) -> list[str]:
    """The command line of ``coverage ARGS`` in this interpreter."""
    return [sys.executable, "-m", "analyzer", *args]
