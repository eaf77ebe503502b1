"""This machine's containerd reads ``/etc/containerd/certs.d`` only where its
``config.toml`` names it in ``config_path``: 1.x and 2.0/2.1 have no default (an empty
``config_path``, pkg/cri/config/config_unix.go v1.6.20), 2.2+ defaults to
``/etc/containerd/certs.d:/etc/docker/certs.d`` (internal/cri/config/config_unix.go v2.2.0).
The scan with no option read certs.d whenever it existed: "mirrored" on a 1.x node whose
containerd pulls from the registry itself (the most common hosts.toml mistake)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.mirrors import load_catalogues, load_mirror_config
from analyzer.reference import parse_image
from analyzer.route import route_image

CRI = '[plugins."io.containerd.grpc.v1.cri".registry]\n'


@pytest.fixture()
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A node root with certs.d/docker.io/hosts.toml (a mirror that serves everything)."""
    monkeypatch.delenv("IMAGE_COVERAGE_NODE_HOSTS_DIR", raising=False)
    monkeypatch.setenv("IMAGE_COVERAGE_NODE_ROOT", str(tmp_path))
    hosts = tmp_path / "etc" / "containerd" / "certs.d" / "docker.io"
    hosts.mkdir(parents=True)
    (hosts / "hosts.toml").write_text('[host."https://m.example"]\n')
    return tmp_path


def _status(version: str) -> tuple[str, tuple[str, ...]]:
    config = load_mirror_config(containerd_version=version)
    route = route_image(parse_image("nginx:1"), config, load_catalogues(["m.example=all"]))
    return route.status, config.warnings


@pytest.mark.parametrize(
    ("config_toml", "version", "status"),
    [
        (None, "1.6", "direct"),  # no config.toml: containerd's defaults
        (None, "2.1", "direct"),
        (None, "2.2", "mirrored"),
        ("version = 2\n", "1.7", "direct"),  # a config.toml that sets no config_path
        ("version = 2\n", "2.2", "mirrored"),
        (f'version = 2\n{CRI}  config_path = "/etc/containerd/certs.d"\n', "1.6", "mirrored"),
        (f'version = 2\n{CRI}  config_path = "/etc/elsewhere"\n', "1.6", "direct"),
    ],
)
def test_certs_d_is_read_only_where_containerd_reads_it(
    node: Path, config_toml: str | None, version: str, status: str
) -> None:
    if config_toml is not None:
        (node / "etc" / "containerd" / "config.toml").write_text(config_toml)
    found, warnings = _status(version)
    assert found == status, warnings
    if status == "direct" and "elsewhere" not in (config_toml or ""):
        assert any("certs.d is not used" in w for w in warnings), warnings


def test_a_node_config_that_stops_containerd_blocks_every_image(node: Path) -> None:
    (node / "etc" / "containerd" / "config.toml").write_text(
        f'version = 2\n{CRI}  config_path = "/etc/containerd/certs.d"\n'
        '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n'
        '  endpoint = ["https://m.example"]\n'
    )
    assert _status("1.6")[0] == "blocked"
