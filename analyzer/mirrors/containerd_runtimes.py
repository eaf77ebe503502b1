"""containerd's mirror configurations as ``MirrorRuntime``s: the hosts directory
(``config_path``), the legacy CRI ``registry.mirrors``, and the embedded DaoCloud set.

Each is keyed by registry (``by_reference`` is False). Findings of the hosts directory are
gathered by ``load_mirror_config`` (they depend on how the roots were named), so these carry
none of their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from analyzer.mirrors.hosts_dir import (
    DEFAULT_DIR,
    HostsDir,
    HostsRoot,
    fatal_reason,
    find_dir,
    shadowed_by,
)
from analyzer.mirrors.legacy_cri import WILDCARD, ContainerdConfig, endpoints_for, legacy_hosts
from analyzer.mirrors.upstream import upstream_host
from analyzer.model import ConfigError, RegistryHosts
from analyzer.reference import ImageRef


class HostsDirRuntime:
    """containerd's hosts directory: in each root, ``<host>_<port>_``, the registry name,
    ``_default``; the first directory found wins."""

    by_reference = False
    errors: tuple[ConfigError, ...] = ()
    warnings: tuple[str, ...] = ()

    def __init__(self, roots: Sequence[HostsRoot], origin: str = "hosts-dir") -> None:
        self.roots = tuple(roots)
        self.origin = origin

    def hosts_for(self, ref: ImageRef) -> RegistryHosts | None:
        directory = find_dir(self.roots, ref.domain)
        return None if directory is None else _from_dir(directory, ref.domain, self.origin)

    def configured_name(self, ref: ImageRef) -> str:
        directory = find_dir(self.roots, ref.domain)
        return ref.domain if directory is None else directory.registry

    def configured(self) -> tuple[RegistryHosts, ...]:
        out: list[RegistryHosts] = []
        for root in self.roots:
            for directory in root.dirs.values():
                if not directory.is_dir:
                    continue  # a stray file: _check_roots warns, a route through it is blocked
                shown = directory.registry
                item = _from_dir(
                    directory, shown if shown != DEFAULT_DIR else "<registry>", self.origin
                )
                winner = shadowed_by(self.roots, directory)
                extra = (
                    ()
                    if winner is None
                    else (f"never used: {winner.path} comes first for {shown}",)
                )
                out.append(
                    RegistryHosts(
                        shown,
                        item.hosts,
                        item.origin,
                        item.file,
                        item.warnings + extra,
                        fatal=item.fatal,
                    )
                )
        return tuple(out)


def _from_dir(directory: HostsDir, registry: str, origin: str) -> RegistryHosts:
    warnings: list[str] = []
    if not directory.is_dir:
        file = None
    elif directory.file is None:
        if not directory.fatal:  # else why every pull fails says enough
            warnings.append(
                f"{directory.path} has no hosts.toml (certificates only): "
                "the registry's own host serves everything"
            )
        file = None
    else:
        file = directory.file.path
        warnings.extend(f"{file}: {w}" for w in directory.file.warnings)
        warnings.extend(f"{e} (upstream only)" for e in directory.file.errors)
    fatal = directory.fatal + (directory.file.fatal if directory.file is not None else ())
    return RegistryHosts(
        registry,
        directory.hosts_for(registry),
        origin,
        file,
        tuple(warnings),
        fatal=fatal_reason(fatal[0]) if fatal else None,
    )


class LegacyCriRuntime:
    """containerd's deprecated CRI ``registry.mirrors`` (the registry's entry, else ``*``)."""

    origin = "containerd-config"
    by_reference = False
    errors: tuple[ConfigError, ...] = ()
    warnings: tuple[str, ...] = ()

    def __init__(self, config: ContainerdConfig) -> None:
        self.config = config

    def hosts_for(self, ref: ImageRef) -> RegistryHosts | None:
        endpoints = endpoints_for(self.config.mirrors, ref.domain)
        return None if endpoints is None else self._hosts(ref.domain, endpoints)

    def configured_name(self, ref: ImageRef) -> str:
        return ref.domain if ref.domain in self.config.mirrors else WILDCARD

    def configured(self) -> tuple[RegistryHosts, ...]:
        out = []
        for name, endpoints in self.config.mirrors.items():
            item = self._hosts(name if name != WILDCARD else "<registry>", endpoints)
            out.append(replace(item, registry=name))
        return tuple(out)

    def _hosts(self, registry: str, endpoints: tuple[str, ...]) -> RegistryHosts:
        hosts, problems, fatal = legacy_hosts(registry, endpoints)
        file = self.config.file
        return RegistryHosts(
            registry,
            hosts or (upstream_host(registry),),
            self.origin,
            file,
            tuple(f"{file}: {p}" for p in problems),
            fatal=fatal,
        )


class EmbeddedRuntime:
    """The embedded DaoCloud mirror set (one subdomain host per upstream registry)."""

    origin = "embedded"
    by_reference = False
    errors: tuple[ConfigError, ...] = ()
    warnings: tuple[str, ...] = ()

    def __init__(self, registries: Mapping[str, RegistryHosts]) -> None:
        self.registries = dict(registries)

    def hosts_for(self, ref: ImageRef) -> RegistryHosts | None:
        return self.registries.get(ref.domain)

    def configured_name(self, ref: ImageRef) -> str:
        return ref.domain

    def configured(self) -> tuple[RegistryHosts, ...]:
        return tuple(self.registries.values())


class StoppedRuntime:
    """A node whose containerd, or its CRI plugin, does not start with its ``config.toml``
    (``ContainerdConfig.stopped``): the kubelet pulls nothing, so every image is blocked,
    whatever the hosts directory or mirrors say. Asked first."""

    origin = "containerd-config"
    by_reference = False
    errors: tuple[ConfigError, ...] = ()  # the file's own errors say it, once
    warnings: tuple[str, ...] = ()

    def __init__(self, config: ContainerdConfig, why: str) -> None:
        self.config = config
        self.why = why

    def hosts_for(self, ref: ImageRef) -> RegistryHosts | None:
        return RegistryHosts(
            ref.domain, (upstream_host(ref.domain),), self.origin, self.config.file, fatal=self.why
        )

    def configured_name(self, ref: ImageRef) -> str:
        return ref.domain

    def configured(self) -> tuple[RegistryHosts, ...]:
        return ()
