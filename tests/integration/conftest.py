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

from .registry import (
    RecordingServer,
    RunningRegistry,
    TrapProxy,
    registry_binary,
    start_fixed_status_server,
    start_recording_proxy,
    start_registry,
    unused_port,
)

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


class Lab:
    """The registries and servers of one test module; ``close`` stops all of them."""

    def __init__(self, directory: Path, binary: str) -> None:
        self.directory = directory
        self.binary = binary
        self.registries: dict[str, RunningRegistry] = {}
        self.servers: list[RecordingServer] = []
        self.traps: list[TrapProxy] = []

    def registry(self, name: str) -> RunningRegistry:
        """The registry called ``name``, started on first use (storage under the lab dir)."""
        if name not in self.registries:
            self.registries[name] = start_registry(self.directory / name, binary=self.binary)
        return self.registries[name]

    def proxy(
        self, registry: RunningRegistry, *, strip_prefix: str = "", name: str = ""
    ) -> RecordingServer:
        """A recording reverse proxy in front of ``registry``."""
        server = start_recording_proxy(registry.url, strip_prefix=strip_prefix, name=name)
        self.servers.append(server)
        return server

    def fixed_status(self, status: int, *, name: str = "") -> RecordingServer:
        """A recording server answering ``status`` to every request."""
        server = start_fixed_status_server(status, name=name)
        self.servers.append(server)
        return server

    def trap(self) -> TrapProxy:
        """A proxy that records and refuses everything (for ``HTTP(S)_PROXY``)."""
        trap = TrapProxy().start()
        self.traps.append(trap)
        return trap

    @staticmethod
    def down_url() -> str:
        """``http://127.0.0.1:<port>`` with nothing listening (connection refused)."""
        return f"http://127.0.0.1:{unused_port()}"

    def close(self) -> None:
        for server in self.servers:
            server.close()
        for trap in self.traps:
            trap.close()
        for registry in self.registries.values():
            registry.stop()


@pytest.fixture(scope="session")
def docker_registry_binary() -> str:
    binary = registry_binary()
    if binary is None:
        pytest.skip(REGISTRY_MISSING)
    return binary


@pytest.fixture(scope="module")
def lab(
    docker_registry_binary: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Lab]:
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


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove proxy variables from this process so Python clients reach 127.0.0.1 directly."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def is_root() -> bool:
    return os.geteuid() == 0
