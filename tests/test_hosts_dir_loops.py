"""Entries of a hosts directory containerd cannot stat (symbolic link loops), folders named
after a mirror host, and entries that are no registry folder: containerd only stats the
candidate names of a registry (``hostPaths``), so nothing else changes a route."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.mirrors import load_mirror_config
from analyzer.mirrors.doctor import diagnose

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - {name: web, image: IMAGE}
"""


def _pod(tmp_path: Path, image: str) -> str:
    path = tmp_path / "pod.yaml"
    path.write_text(POD.replace("IMAGE", image), encoding="utf-8")
    return str(path)


def _loop(root: Path, first: str, second: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    os.symlink(second, root / first)
    os.symlink(first, root / second)


def _scan_json(tmp_path: Path, root: Path, image: str) -> tuple[int, dict[str, Any]]:
    code, out = _run("scan", _pod(tmp_path, image), "--hosts-dir", str(root), "-f", "json")
    report: dict[str, Any] = json.loads(out)
    return code, report


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_a_loop_elsewhere_in_the_root_leaves_the_route_direct(tmp_path: Path) -> None:
    root = tmp_path / "lp1"
    _loop(root, "x", "y")
    image = "127.0.0.1:5100/foo/bar:1"
    code, out = _run("explain", image, "--hosts-dir", str(root), "--containerd-version", "1.6")
    assert "verdict: direct" in out, out
    assert "cannot be read" not in out and "certificates only" not in out
    assert code == 0
    config = load_mirror_config(hosts_dirs=[str(root)])
    assert config.errors == ()
    assert config.hosts_for("127.0.0.1:5100").origin == "none"  # no entry: the default host


def test_a_loop_named_like_another_registry_does_not_block_a_scan(tmp_path: Path) -> None:
    root = tmp_path / "certs.d"
    _loop(root, "quay.io", "loop")
    code, report = _scan_json(tmp_path, root, "docker.io/library/nginx:1")
    assert [i["status"] for i in report["images"]] == ["direct"]
    assert code == 0


def test_a_loop_named_like_the_registry_blocks_it(tmp_path: Path) -> None:
    root = tmp_path / "lp2"
    root.mkdir()
    os.symlink("127.0.0.1_5100_", root / "127.0.0.1_5100_")
    image = "127.0.0.1:5100/foo/bar:1"
    code, out = _run("explain", image, "--hosts-dir", str(root), "--containerd-version", "1.6")
    assert "verdict: blocked" in out
    assert "stat " + str(root / "127.0.0.1_5100_") + ": Too many levels of symbolic links" in out
    assert "certificates only" not in out
    assert code == 0


def test_a_loop_named_like_a_candidate_gives_findings_not_tracebacks(tmp_path: Path) -> None:
    root = tmp_path / "a"
    _loop(root, "docker.io", "loop")
    code, report = _scan_json(tmp_path, root, "nginx")
    assert [i["status"] for i in report["images"]] == ["blocked"]
    assert [f["code"] for f in report["findings"]] == ["unreadable-registry-folder"]
    assert code == 1
    code, out = _run("explain", "nginx", "--hosts-dir", str(root))
    assert "verdict: blocked" in out and code == 0
    code, out = _run("mirrors", "--hosts-dir", str(root))
    assert "Too many levels of symbolic links" in out
    code, out = _run("doctor", "--hosts-dir", str(root))
    assert code == 1
    assert f"error: {root / 'docker.io'}: containerd cannot stat it" in out
    assert f"error: {root / 'loop'}: containerd cannot stat it" in out


def test_a_folder_named_after_the_daocloud_host_itself_is_fine(tmp_path: Path) -> None:
    root = tmp_path / "certs.d"
    (root / "docker.m.daocloud.io").mkdir(parents=True)
    text = 'server = "https://docker.m.daocloud.io"\n'
    (root / "docker.m.daocloud.io" / "hosts.toml").write_text(text, encoding="utf-8")
    assert diagnose([str(root)]) == ()
    code, report = _scan_json(tmp_path, root, "docker.m.daocloud.io/library/nginx:1")
    assert [i["status"] for i in report["images"]] == ["rewritten"]
    assert report["findings"] == []
    assert code == 0
    # another registry's folder sending to it is still wrong
    (root / "quay.io").mkdir()
    (root / "quay.io" / "hosts.toml").write_text(text, encoding="utf-8")
    assert [f.code for f in diagnose([str(root)])] == ["daocloud-wrong-registry"]


def test_a_fifo_hosts_toml_is_said_to_fail_every_pull_only(tmp_path: Path) -> None:
    root = tmp_path / "certs.d"
    (root / "docker.io").mkdir(parents=True)
    os.mkfifo(root / "docker.io" / "hosts.toml")
    assert diagnose([str(root)]) == ()  # the hosts.toml reader reports it
    pod = _pod(tmp_path, "nginx")
    code, out = _run("scan", pod, "--hosts-dir", str(root))
    assert "not a regular file" in out
    assert "no hosts.toml" not in out
    assert code == 2


def test_plain_files_in_the_root_are_not_counted_as_folders_not_read(tmp_path: Path) -> None:
    root = tmp_path / "certs.d"
    (root / "quay.io").mkdir(parents=True)
    (root / "ghcr.io").mkdir()
    (root / "m.yaml").write_text("not a registry\n", encoding="utf-8")
    config = load_mirror_config(hosts_dirs=[str(root)], registries=["docker.io"])
    assert "2 others not read" in config.description, config.description
