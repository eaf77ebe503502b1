"""Fixtures for the integration tests: real registries, observing servers, a trap proxy.

Everything listens on 127.0.0.1 only, is started by these fixtures (once per test module) and
is stopped by them; tests skip with a reason when ``docker-registry`` is not installed.

``lab`` is the one object most tests need::

    def test_x(lab: Lab) -> None:
        upstream = lab.registry("upstream")              # a running docker-registry
        pushed = push_image(upstream.url, "oracle/x")     # tiny image, tag v1
        front = lab.proxy(upstream, name="upstream")      # records what it serves
        forbidden = lab.fixed_status(403)                 # answers 403 to everything
        down = lab.down_url()                             # nothing listens there
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .containerd import Containerd, containerd_binaries, start_containerd
from .lab import Lab
from .registry import RecordingServer, RunningRegistry, TrapProxy, registry_binary

CONTAINERD_MISSING = (
    "containerd and ctr (Debian package containerd, 1.6.20) are not installed; CI installs "
    "them with apt (see .ci/run)"
)
NOT_ROOT = "containerd needs root to start its own instance (CI runs as root)"
REGISTRY_MISSING = (
    "docker-registry (Debian package docker-registry, distribution 2.8) is not installed; "
    "CI installs it with apt (see .ci/run)"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is an integration test, whether or not it says so."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def docker_registry_binary() -> str:
    binary = registry_binary()
    if binary is None:
        pytest.skip(REGISTRY_MISSING)
    return binary


@pytest.fixture(scope="module")
def lab(docker_registry_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """Registries and servers shared by the tests of one module."""
    directory = tmp_path_factory.mktemp("lab")
    lab = Lab(directory, docker_registry_binary)
    try:
        yield lab
    finally:
        lab.close()


@pytest.fixture(scope="module")
def registry(lab: Lab) -> RunningRegistry:
    """One running registry (the lab's ``default``)."""
    return lab.registry("default")


@pytest.fixture(scope="module")
def recording_registry(lab: Lab, registry: RunningRegistry) -> RecordingServer:
    """A recording proxy in front of ``registry``: ``.exchanges()`` lists what it served."""
    return lab.proxy(registry, name="default")


@pytest.fixture(scope="module")
def trap(lab: Lab) -> TrapProxy:
    """The proxy containerd's ``HTTP(S)_PROXY`` point at: records and refuses everything."""
    return lab.trap()


@pytest.fixture(scope="module")
def containerd(
    lab: Lab, trap: TrapProxy, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Containerd]:
    """A private containerd for the module (own root, state, socket), behind the trap proxy."""
    if containerd_binaries() is None:
        pytest.skip(CONTAINERD_MISSING)
    if not is_root():
        pytest.skip(NOT_ROOT)
    daemon = start_containerd(tmp_path_factory.mktemp("containerd"), trap_url=trap.url)
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove proxy variables from this process so Python clients reach 127.0.0.1 directly."""
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def is_root() -> bool:
    return os.geteuid() == 0


def skip_without_cri() -> None:
    """Skip unless a containerd with the CRI plugin can be started and reached over gRPC."""
    if containerd_binaries() is None:
        pytest.skip(CONTAINERD_MISSING)
    if not is_root():
        pytest.skip(NOT_ROOT)
    pytest.importorskip("grpc", reason="grpcio (test extra) is needed for CRI PullImage")
