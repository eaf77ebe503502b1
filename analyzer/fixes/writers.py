"""The configuration files ``coverage mirrors init`` writes, one writer per runtime.

Each writer turns mirror specs into files (paths relative to the target directory) and
reads a directory back as the ``MirrorConfig`` the analyser routes with, so that what was
written is checked by the same code that predicted it. A new runtime (k3s
``registries.yaml``, a CRI-O ``registries.conf.d`` drop-in) is one more class here and one
more name in ``WRITERS``, once the analyser reads that runtime's configuration.

containerd: one ``<registry>/hosts.toml`` per registry (``host_port_`` for a registry with a
port, the name containerd looks up first) with the real upstream as ``server`` (tried last),
each mirror as ``[host."URL"]`` with ``capabilities = ["pull", "resolve"]``, in the order
given. Docker Engine: ``daemon.json`` with ``registry-mirrors`` (Docker Hub only).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from analyzer.fixes.mirror_spec import MirrorSpec
from analyzer.mirrors import MirrorConfig, load_mirror_config
from analyzer.mirrors.hosts_dir import candidates
from analyzer.mirrors.upstream import DOCKER_HUB, upstream_host

HEADER = "# Written by image-coverage (coverage mirrors init)."


@dataclass(frozen=True)
class PlannedFile:
    path: str  # relative to the target directory, "/"-separated
    text: str
    registries: tuple[str, ...]


class Writer(Protocol):
    name: str

    def files(self, specs: Sequence[MirrorSpec]) -> tuple[tuple[PlannedFile, ...], list[str]]:
        """The files to write, and notes on the specs it cannot express."""
        ...

    def load(self, directory: Path) -> MirrorConfig:
        """The configuration a node with ``directory`` in place would use."""
        ...


def _toml_string(text: str) -> str:
    return json.dumps(text)  # a TOML basic string is a JSON string for these characters


class ContainerdWriter:
    name = "containerd"

    def files(self, specs: Sequence[MirrorSpec]) -> tuple[tuple[PlannedFile, ...], list[str]]:
        by_registry: dict[str, list[MirrorSpec]] = {}
        for spec in specs:
            if spec not in by_registry.setdefault(spec.registry, []):
                by_registry[spec.registry].append(spec)
        out = []
        for registry, mirrors in by_registry.items():
            upstream = upstream_host(registry)
            lines = [
                HEADER,
                f"# {registry}: mirrors in order, then the registry itself as the server.",
                f"server = {_toml_string(f'{upstream.scheme}://{upstream.host}')}",
            ]
            for spec in mirrors:
                lines += ["", f"[host.{_toml_string(spec.url)}]"]
                lines.append('  capabilities = ["pull", "resolve"]')
            directory = candidates(registry)[0]
            out.append(PlannedFile(f"{directory}/hosts.toml", "\n".join(lines) + "\n", (registry,)))
        return tuple(out), []

    def load(self, directory: Path) -> MirrorConfig:
        return load_mirror_config(hosts_dirs=[str(directory)], node_default=None)


class DockerWriter:
    name = "docker"

    def files(self, specs: Sequence[MirrorSpec]) -> tuple[tuple[PlannedFile, ...], list[str]]:
        hub = list(dict.fromkeys(s.url for s in specs if s.registry == DOCKER_HUB))
        others = sorted({s.registry for s in specs if s.registry != DOCKER_HUB})
        notes = []
        if others:
            notes.append(
                "Docker Engine's registry-mirrors serve Docker Hub only: no mirror written for "
                + ", ".join(others)
            )
        if any(url.startswith("http://") for url in hub):
            notes.append(
                "an http:// mirror also needs its host in daemon.json's insecure-registries"
            )
        if not hub:
            return (), notes
        text = json.dumps({"registry-mirrors": hub}, indent=2) + "\n"
        return (PlannedFile("daemon.json", text, (DOCKER_HUB,)),), notes

    def load(self, directory: Path) -> MirrorConfig:
        return load_mirror_config(docker_daemon=str(directory / "daemon.json"), node_default=None)


WRITERS: dict[str, Writer] = {"containerd": ContainerdWriter(), "docker": DockerWriter()}
