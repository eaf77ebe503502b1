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

k3s/RKE2: ``registries.yaml`` with ``mirrors: {<registry>: {endpoint: [URL...]}}``, the
URLs with their scheme; never the registry itself as an endpoint, because k3s adds it as
the ``server`` (unless the node runs with ``--disable-default-registry-endpoint``).
CRI-O/Podman: the drop-in ``registries.conf.d/50-image-coverage-mirrors.conf`` (v2), one
``[[registry]]`` per registry with ``prefix`` and ``location`` the registry and one
``[[registry.mirror]]`` per mirror, its ``location`` the host without a scheme
(containers/image refuses a URI scheme there); an ``http://`` mirror is ``insecure = true``.
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


def _by_registry(specs: Sequence[MirrorSpec]) -> dict[str, list[MirrorSpec]]:
    """The specs per registry, in the order given, each once."""
    out: dict[str, list[MirrorSpec]] = {}
    for spec in specs:
        if spec not in out.setdefault(spec.registry, []):
            out[spec.registry].append(spec)
    return out


class ContainerdWriter:
    name = "containerd"

    def files(self, specs: Sequence[MirrorSpec]) -> tuple[tuple[PlannedFile, ...], list[str]]:
        out = []
        for registry, mirrors in _by_registry(specs).items():
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


class _OneFileWriter:
    """A runtime whose mirrors all go into one file: ``path``, from ``_text``."""

    path = ""

    def __init__(self, program: str) -> None:
        self.name = program

    def files(self, specs: Sequence[MirrorSpec]) -> tuple[tuple[PlannedFile, ...], list[str]]:
        by_registry = _by_registry(specs)
        if not by_registry:
            return (), []
        text = "\n".join([HEADER, *self._text(by_registry)]) + "\n"
        return (PlannedFile(self.path, text, tuple(by_registry)),), self._notes(specs)

    def _text(self, by_registry: dict[str, list[MirrorSpec]]) -> list[str]:
        raise NotImplementedError

    def _notes(self, specs: Sequence[MirrorSpec]) -> list[str]:
        raise NotImplementedError


class K3sWriter(_OneFileWriter):
    """``registries.yaml`` for k3s or RKE2 (the same format, another path on the node)."""

    path = "registries.yaml"

    def _text(self, by_registry: dict[str, list[MirrorSpec]]) -> list[str]:
        lines = [
            f"# {self.name} adds each registry itself as the last endpoint (unless the node runs",
            "# with --disable-default-registry-endpoint): only the mirrors are listed.",
            "mirrors:",
        ]
        for registry, mirrors in by_registry.items():
            # JSON strings are YAML double-quoted scalars
            lines += [f"  {_toml_string(registry)}:", "    endpoint:"]
            lines += [f"      - {_toml_string(spec.url)}" for spec in mirrors]
        return lines

    def _notes(self, specs: Sequence[MirrorSpec]) -> list[str]:
        return [f"{self.name} reads registries.yaml when it starts: restart it to apply"]

    def load(self, directory: Path) -> MirrorConfig:
        return load_mirror_config(
            k3s_registries=str(directory / self.path),
            k3s_program=self.name,
            node_default=None,
        )


class RegistriesConfWriter(_OneFileWriter):
    """A ``registries.conf.d`` drop-in for CRI-O or Podman (containers/image)."""

    path = "registries.conf.d/50-image-coverage-mirrors.conf"

    def _text(self, by_registry: dict[str, list[MirrorSpec]]) -> list[str]:
        lines = [
            "# One [[registry]] per registry: its mirrors in order, then the registry itself.",
            "# An entry here replaces registries.conf's for the same prefix, and a later",
            "# drop-in's (by file name) replaces the one here.",
        ]
        if "docker.io" in by_registry:
            lines += [
                "",
                "# Short names (nginx:1.25, as manifests often write them) come from Docker Hub",
                "# and its mirrors, as with containerd: one search registry is never ambiguous,",
                "# not even in CRI-O's short_name_mode = enforcing. This replaces the list of",
                "# registries.conf; an [aliases] entry still wins.",
                'unqualified-search-registries = ["docker.io"]',
            ]
        for registry, mirrors in by_registry.items():
            lines += ["", "[[registry]]", f"prefix = {_toml_string(registry)}"]
            lines.append(f"location = {_toml_string(registry)}")
            for spec in mirrors:
                lines += ["", "[[registry.mirror]]", f"location = {_toml_string(spec.host)}"]
                if spec.scheme == "http":
                    lines.append("insecure = true")
        return lines

    def _notes(self, specs: Sequence[MirrorSpec]) -> list[str]:
        if not any(s.scheme == "http" for s in specs):
            return []
        return [
            "an http:// mirror is written insecure = true: containers/image tries HTTPS "
            "without verifying the certificate, then plain HTTP"
        ]

    def load(self, directory: Path) -> MirrorConfig:
        main = directory / "registries.conf"
        return load_mirror_config(
            registries_conf=str(main) if main.is_file() else None,
            registries_conf_d=str(directory / "registries.conf.d"),
            node_default=None,
            runtime=self.name,  # short names: CRI-O's mode or Podman's
        )


WRITERS: dict[str, Writer] = {
    "containerd": ContainerdWriter(),
    "docker": DockerWriter(),
    "k3s": K3sWriter("k3s"),
    "rke2": K3sWriter("rke2"),
    "crio": RegistriesConfWriter("crio"),
    "podman": RegistriesConfWriter("podman"),
}
