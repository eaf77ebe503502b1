"""Issue 12, files that are not files: a FIFO (or a device, socket or folder) where a
configuration, settings, list or ignore file is expected is an error naming it, never a
hang; a file larger than any configuration is refused. One reader does it for every
caller: ``analyzer.regular_file``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.regular_file import FileTooLarge, NotRegularFile, read_regular_file

MANIFEST = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
    "spec:\n  containers:\n  - name: c\n    image: nginx:1.25\n"
)


def make(kind: str, path: Path) -> None:
    """Put a ``kind`` of non-regular thing at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "device":
        path.symlink_to("/dev/zero")
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))  # left bound: a reader connecting would wait
    elif kind == "huge":
        with open(path, "wb") as handle:
            handle.truncate(17 * 1024 * 1024)  # sparse: no disk used


def within(seconds: float, call: Callable[[], object]) -> object:
    """``call()``'s result, or a test failure when it does not return in time (a hang)."""
    box: list[object] = []
    worker = threading.Thread(target=lambda: box.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "hung"
    return box[0]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout + result.stderr


READERS: dict[str, tuple[str, Callable[[Path, Path], list[str]]]] = {
    # name: (where the thing goes, relative to tmp; the command that reads it)
    "hosts.toml": (
        "certs.d/docker.io/hosts.toml",
        lambda t, m: ["mirrors", "--hosts-dir", f"{t}/certs.d"],
    ),
    "config.toml": (
        "config.toml",
        lambda t, m: ["scan", str(m), "--containerd-config", f"{t}/config.toml"],
    ),
    "daemon.json": (
        "daemon.json",
        lambda t, m: ["explain", "nginx", "--docker-daemon", f"{t}/daemon.json"],
    ),
    "settings": ("settings.toml", lambda t, m: ["scan", str(m), "--config", f"{t}/settings.toml"]),
    "catalogue": (
        "list.txt",
        lambda t, m: ["scan", str(m), "--catalog", f"m.example={t}/list.txt"],
    ),
    "ignore file": (
        "ignore.txt",
        lambda t, m: ["scan", str(m), "--ignore-file", f"{t}/ignore.txt"],
    ),
    "catalog list": ("list.txt", lambda t, m: ["catalog", "list", f"{t}/list.txt"]),
}


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30)
@given(
    st.sampled_from(sorted(READERS)),
    st.sampled_from(["fifo", "folder", "device", "socket", "huge"]),
)
def test_every_reader_refuses_what_is_not_a_regular_file(
    tmp_path_factory: pytest.TempPathFactory, reader: str, kind: str
) -> None:
    tmp = tmp_path_factory.mktemp("hostile")
    manifest = tmp / "pod.yaml"
    manifest.write_text(MANIFEST)
    where, command = READERS[reader]
    make(kind, tmp / where)
    code, out = within(20, lambda: run(*command(tmp, manifest)))  # type: ignore[misc]
    assert code == 2, out
    assert "Traceback" not in out
    assert where.rsplit("/", 1)[-1] in out  # the message names the file


@pytest.mark.parametrize("command", [["mirrors"], ["scan", "pod.yaml"], ["explain", "nginx"]])
def test_a_fifo_named_hosts_toml_hangs_no_command(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "pod.yaml").write_text(MANIFEST)
    make("fifo", tmp_path / "certs.d/docker.io/hosts.toml")
    done = subprocess.run(
        [sys.executable, "-m", "analyzer", *command, "--hosts-dir", "certs.d"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert "hosts.toml" in done.stdout + done.stderr
    assert "not a regular file (a FIFO)" in done.stdout + done.stderr


def test_the_reader_itself(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_bytes(b"abc")
    assert read_regular_file(tmp_path / "ok.txt") == b"abc"
    make("fifo", tmp_path / "fifo")
    with pytest.raises(NotRegularFile, match="a FIFO"):
        read_regular_file(tmp_path / "fifo")
    with pytest.raises(FileTooLarge):
        read_regular_file(tmp_path / "ok.txt", limit=2)
    with pytest.raises(FileNotFoundError):
        read_regular_file(tmp_path / "missing")
