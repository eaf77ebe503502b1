"""Issue 12, output errors: a full disk or a closed pipe ends every command with exit 2
(one line, or nothing for a closed pipe), never a traceback and never 1, which means
"the policy fails"; and ``-o`` never overwrites a manifest the scan reads."""

from __future__ import annotations

import errno
import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analyzer.cli import main

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = ROOT / "fixtures/manifests"
COMMANDS = [
    ["scan", str(MANIFESTS)],
    ["scan", str(MANIFESTS), "-f", "json"],
    ["scan", str(MANIFESTS), "-f", "csv"],
    ["scan", str(MANIFESTS), "-f", "markdown"],
    ["scan", str(MANIFESTS), "-f", "sarif"],
    ["images", str(MANIFESTS), "-f", "table"],
    ["images", str(MANIFESTS), "-f", "json"],
    ["mirrors"],
    ["explain", "nginx"],
    ["catalog", "list"],
    ["--help"],
]


def coverage(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analyzer", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", COMMANDS[:7], ids=lambda c: " ".join(c[:1] + c[2:]))
def test_a_full_disk_is_one_line_and_exit_2(command: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "analyzer", *command],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "coverage: error: cannot write the output: No space left on device"
    )
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:1] + c[2:]))
def test_a_closed_pipe_is_quiet_and_exit_2(command: list[str]) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "analyzer", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # as `| head -0` does
    code = process.wait(timeout=60)
    assert (code, process.stderr.read()) == (2, b"")


class _Failing(io.RawIOBase):
    """A stdout that takes ``room`` bytes, then fails as a closed pipe or a full disk."""

    def __init__(self, room: int, error: int) -> None:
        self.room = room
        self.error = error

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if len(data) > self.room:
            raise (
                BrokenPipeError(errno.EPIPE, "pipe")
                if self.error == errno.EPIPE
                else OSError(self.error, "No space left on device")
            )
        self.room -= len(data)
        return len(data)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=20)
@example(["--help"], 0, errno.ENOSPC)  # typer writes the help itself
@example(["scan", str(MANIFESTS)], 0, errno.EPIPE)
@given(
    st.sampled_from(COMMANDS),
    st.integers(min_value=0, max_value=20_000),
    st.sampled_from([errno.EPIPE, errno.ENOSPC, errno.EIO]),
)
def test_any_output_failure_anywhere_exits_2(
    monkeypatch: pytest.MonkeyPatch, command: list[str], room: int, error: int
) -> None:
    stdout = io.TextIOWrapper(io.BufferedWriter(_Failing(room, error), 256), encoding="utf-8")
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "argv", ["coverage", *command])
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", stderr)
    with pytest.raises(SystemExit) as done:
        main()
    lines = stderr.getvalue().splitlines()
    if done.value.code == 2 and lines[-1:] == [] and error != errno.EPIPE:
        pytest.fail("a write error said nothing")
    if done.value.code != 2:  # everything fitted: the command's own answer
        assert not any("cannot write" in line for line in lines)
        return
    assert "Traceback" not in stderr.getvalue()
    if error == errno.EPIPE:
        assert not any("cannot write" in line for line in lines)
    else:
        assert lines[-1].startswith("coverage: error: cannot write the output")


def test_output_that_is_an_input_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "v.yaml"
    original = (MANIFESTS / "platform/metrics-server.yaml").read_bytes()
    manifest.write_bytes(original)
    for output in ("v.yaml", "./v.yaml", str(manifest)):
        done = coverage("scan", "v.yaml", "-o", output, cwd=tmp_path)
        assert done.returncode == 2
        assert "is one of the manifests read: not overwriting it" in done.stderr
    done = coverage("scan", ".", "-f", "json", "-o", "v.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert manifest.read_bytes() == original
    done = coverage("scan", ".", "-f", "json", "-o", "report/out.json", cwd=tmp_path)
    assert done.returncode == 0 and (tmp_path / "report/out.json").exists()
