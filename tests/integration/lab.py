"""``Lab``: the registries and observing servers of one test module, stopped together."""

from __future__ import annotations

from pathlib import Path

from .registry import (
    RecordingServer,
    RunningRegistry,
    TrapProxy,
    start_fixed_status_server,
    start_recording_proxy,
    start_registry,
    unused_port,
)


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


def binary_or_skip(name: str, why: str) -> str:
    """The path of the executable ``name``, or skip the test (``why``: how to get it)."""
    import shutil

    import pytest

    binary = shutil.which(name)
    if binary is None:
        pytest.skip(why)
    return binary
