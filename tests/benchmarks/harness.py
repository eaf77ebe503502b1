"""Run commands as child processes and measure them: wall time, CPU time, peak RSS, exit
code; two commands are compared run by run in turn (``compare``).

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


@dataclass(frozen=True)
class Command:
    """One side of a comparison: what to run and how to tell that it did its job.

    Every run must exit ``expect_exit`` and pass ``check`` (a benchmark of a command that
    failed measures nothing worth having), which raises ``BenchmarkFailed`` or returns a
    summary of the result (the fingerprint). Without ``read_stdout`` (an output of
    gigabytes) ``check`` reads ``Run.stdout_path``."""

    label: str
    argv: tuple[str, ...]
    expect_exit: int = 0
    check: Callable[[Run], object] | None = None
    read_stdout: bool = True


@dataclass(frozen=True)
class Paired:
    """Two commands measured run by run in turn: each side's medians, and the ratio of
    the CPU times of each pair (tool / reference), whose spread shows the noise."""

    tool: Measured
    reference: Measured
    cpu_ratios: tuple[float, ...]

    @property
    def spread(self) -> tuple[float, float]:
        return min(self.cpu_ratios), max(self.cpu_ratios)


def _run_checked(command: Command, workdir: Path) -> tuple[Run, object]:
    done = run_once(command.argv, workdir, read_stdout=command.read_stdout)
    if done.exit_code != command.expect_exit:
        raise BenchmarkFailed(
            f"{command.label}: exited {done.exit_code}, expected {command.expect_exit}: "
            f"{done.stderr.strip()[-800:]}"
        )
    return done, command.check(done) if command.check is not None else None


def compare(tool: Command, reference: Command, workdir: Path, runs: int) -> Paired:
    """Run ``tool`` and ``reference`` in turn, ``runs`` times each (tool, reference, tool,
    reference...), after one warm-up run of each that is checked but not counted (it
    writes the compiled modules and fills the page cache). Alternating puts both sides of
    every pair under the same load of this shared machine; measuring all of one side and
    then all of the other would put a change of load between them into the ratio."""
    for command in (tool, reference):  # warm-up
        _run_checked(command, workdir)
    tool_runs: list[tuple[Run, object]] = []
    reference_runs: list[tuple[Run, object]] = []
    for _ in range(runs):
        tool_runs.append(_run_checked(tool, workdir))
        reference_runs.append(_run_checked(reference, workdir))
    ratios = tuple(
        t.cpu_seconds / max(r.cpu_seconds, 1e-9)
        for (t, _), (r, _) in zip(tool_runs, reference_runs, strict=True)
    )
    tool_side = _summary(tool.label, tool_runs)
    return Paired(tool_side, _summary(reference.label, reference_runs), ratios)


def _summary(label: str, runs: list[tuple[Run, object]]) -> Measured:
    done = [run for run, _ in runs]
    return Measured(
        label,
        statistics.median(run.seconds for run in done),
        statistics.median(run.cpu_seconds for run in done),
        max(run.peak_rss_mb for run in done),
        len(done),
        runs[-1][1],
    )


def tool(*args: str) -> tuple[str, ...]:
    """The command line of ``coverage ARGS`` in this interpreter."""
    return (sys.executable, "-m", "analyzer", *args)
