"""The registries, mirrors and images one route-test module works with.

Roles (every one a server on 127.0.0.1, named in hosts.toml templates as ``{role}``):

- ``up``: the upstream, a real registry fronted by a recording proxy. Images are named after
  it (``127.0.0.1:<port>/oracle/<situation>:v1``), so it is the registry's own host: the
  ``server`` containerd falls back to, and the analyser's upstream.
- ``m1``, ``m2``: mirrors, real registries (recording proxies in front) holding only the
  repositories a situation puts there.
- ``prefix``: ``m1``'s registry again, served under the path ``/custom`` (for ``override_path``).
- ``f403``, ``f500``: answer that status to everything. ``down``: nothing listens.
- ``public``: any host off the machine, seen only by the trap proxy.

Catalogues are written from what was pushed: mirror ``M`` "serves ``<registry>/<repo>``" in
its list file exactly when the registry behind ``M`` holds repository ``<repo>`` for images of
``<registry>``; the lists are checked against each registry's ``/v2/_catalog``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .containerd import Containerd
from .lab import Lab
from .observation import Observation, observe
from .registry import (
    ImageContent,
    RecordingServer,
    TrapProxy,
    make_image,
    push_image,
    registry_catalog,
)

UPSTREAM = "upstream"  # the registry images are named after (the ``up`` role)
DOCKER_HUB = "docker.io"


@dataclass(frozen=True)
class Placement:
    """One image of one situation: where it lives."""

    repository: str  # oracle/<situation>
    registry: str  # UPSTREAM or DOCKER_HUB
    held_by: tuple[str, ...]  # mirror roles whose registry holds the repository
    content: ImageContent


@dataclass
class World:
    lab: Lab
    trap: TrapProxy
    directory: Path
    servers: dict[str, RecordingServer] = field(default_factory=dict)
    down: str = ""
    lists: dict[str, list[str]] = field(default_factory=dict)  # mirror role -> catalogue lines

    @classmethod
    def build(cls, lab: Lab, trap: TrapProxy, directory: Path) -> World:
        world = cls(lab, trap, directory)
        upstream, mirror1, mirror2 = (lab.registry(n) for n in ("upstream", "mirror1", "mirror2"))
        world.servers = {
            "up": lab.proxy(upstream, name="up"),
            "m1": lab.proxy(mirror1, name="m1"),
            "m2": lab.proxy(mirror2, name="m2"),
            "prefix": lab.proxy(mirror1, strip_prefix="/custom", name="prefix"),
            "f403": lab.fixed_status(403, name="f403"),
            "f500": lab.fixed_status(500, name="f500"),
        }
        world.down = lab.down_url()
        world.lists = {"up": [], "m1": [], "m2": []}
        return world

    # -- names -------------------------------------------------------------------------------

    @property
    def upstream_host(self) -> str:
        return self.servers["up"].host

    def registry_name(self, registry: str) -> str:
        return self.upstream_host if registry == UPSTREAM else registry

    def template_values(self) -> dict[str, str]:
        """What ``{role}`` means in a hosts.toml template or a directory name."""
        values = {role: server.url for role, server in self.servers.items()}
        values["down"] = self.down
        values["up_host"] = self.upstream_host
        values["up_port_dir"] = self.upstream_host.replace(":", "_") + "_"
        return values

    def role_of(self, base: str | None) -> str | None:
        """The role of the server a request went to (``public`` for the trap)."""
        if base is None:
            return None
        netloc = urlsplit(base).netloc
        for role, server in self.servers.items():
            if server.host == netloc:
                return role
        return "public"

    def observable(self, url: str) -> bool:
        """Would a request to ``url`` be recorded? Not for the port where nothing listens."""
        return urlsplit(url).netloc != urlsplit(self.down).netloc

    # -- contents ----------------------------------------------------------------------------

    def place(self, placements: Iterable[Placement]) -> None:
        """Push every image where it lives; write and check the mirrors' catalogue lists."""
        registries = {"up": "upstream", "m1": "mirror1", "m2": "mirror2"}
        for placement in placements:
            name = f"{self.registry_name(placement.registry)}/{placement.repository}"
            holders = list(placement.held_by)
            if placement.registry == UPSTREAM:
                holders.append("up")
            for role in holders:
                registry = self.lab.registry(registries[role])
                push_image(registry.url, placement.repository, placement.content)
                self.lists[role].append(name)
        for role, registry_name in registries.items():
            held = sorted(registry_catalog(self.lab.registry(registry_name).url))
            listed = sorted(line.split("/", 1)[1] for line in self.lists[role])
            if held != listed:
                raise AssertionError(f"{role}: registry holds {held}, list says {listed}")
            (self.directory / f"{role}.txt").write_text("".join(f"{n}\n" for n in self.lists[role]))

    def catalogue_specs(self) -> list[str]:
        """``HOST=SOURCE`` for every host a situation may name."""
        lists = {role: str(self.directory / f"{role}.txt") for role in self.lists}
        lists["prefix"] = lists["m1"]  # the same registry under another path
        specs = [f"{self.servers[role].host}={source}" for role, source in lists.items()]
        specs += [f"{self.servers[role].host}=none" for role in ("f403", "f500")]
        specs.append(f"{urlsplit(self.down).netloc}=none")
        return specs

    # -- pulling -----------------------------------------------------------------------------

    def pull(
        self,
        containerd: Containerd,
        reference: str,
        hosts_dir: Path,
        placement: Placement,
        *,
        cri: bool = False,
    ) -> Observation:
        """Fetch with the real containerd (``ctr content fetch --hosts-dir``, or with ``cri``
        a CRI ``PullImage`` from a containerd whose ``config_path`` is ``hosts_dir``); sort
        what every server saw into steps."""
        self.trap.clear()
        result = containerd.pull_cri(reference) if cri else containerd.fetch(reference, hosts_dir)
        exchanges = [e for server in self.servers.values() for e in server.exchanges()]
        return observe(
            reference,
            result.ok,
            result.output,
            placement.repository,
            placement.content,
            exchanges,
            self.trap.requests(),
        )


def placement_for(situation_id: str, registry: str, held_by: tuple[str, ...]) -> Placement:
    """A unique image per situation: its own repository and its own bytes."""
    return Placement(f"oracle/{situation_id}", registry, held_by, make_image(situation_id))
