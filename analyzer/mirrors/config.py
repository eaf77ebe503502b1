"""The mirror configuration in effect, and ``hosts_for(registry)``: containerd's host list.

Sources, consulted in this order for each registry (the first that configures it wins):

1. hosts directories: ``--hosts-dir`` roots, else the ``config_path`` of ``--containerd-config``
   (CRI uses ``config_path`` *or* the legacy mirrors, never both);
2. the legacy CRI ``registry.mirrors`` of ``--containerd-config`` (when it has no
   ``config_path`` and no ``--hosts-dir`` was given);
3. ``--docker-daemon``'s ``registry-mirrors`` (Docker Hub only; Docker Engine, not containerd);
4. with none of those options: ``/etc/containerd/certs.d`` if it exists on this machine, else
   the embedded DaoCloud mirror set;
5. nothing: the registry's own host (origin ``none``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from analyzer.mirrors.docker_daemon import DockerDaemonConfig, docker_hosts, read_docker_daemon
from analyzer.mirrors.embedded import daocloud_mirror_config
from analyzer.mirrors.hosts_dir import (
    DEFAULT_DIR,
    FATAL_CONSEQUENCE,
    HostsDir,
    HostsRoot,
    find_dir,
    scan_root,
    shadowed_by,
    split_roots,
)
from analyzer.mirrors.legacy_cri import (
    WILDCARD,
    ContainerdConfig,
    endpoints_for,
    legacy_hosts,
    read_containerd_config,
)
from analyzer.mirrors.upstream import DOCKER_HUB, upstream_host
from analyzer.mirrors.versions import NEWEST, ContainerdVersion, detect_version, parse_version
from analyzer.model import ConfigError, RegistryHosts

NODE_DEFAULT = "/etc/containerd/certs.d"
#: environment variable naming another node hosts directory (tests, unusual installs)
NODE_DEFAULT_ENV = "IMAGE_COVERAGE_NODE_HOSTS_DIR"


def node_hosts_dir() -> str:
    """This machine's containerd hosts directory: ``$IMAGE_COVERAGE_NODE_HOSTS_DIR`` or
    ``/etc/containerd/certs.d``."""
    return os.environ.get(NODE_DEFAULT_ENV) or NODE_DEFAULT


_ROOTS = "\x00roots\x00"  # replaced by the roots and what was found in them


@dataclass(frozen=True)
class _Sources:
    roots: tuple[HostsRoot, ...] = ()
    roots_origin: str = "hosts-dir"  # "hosts-dir" or "containerd-config"
    containerd: ContainerdConfig | None = None
    daemon: DockerDaemonConfig | None = None
    embedded: Mapping[str, RegistryHosts] = field(default_factory=dict)


class MirrorConfig:
    """How a registry name finds its ``RegistryHosts``; read-only once built."""

    def __init__(
        self,
        *,
        description: str,
        roots: Sequence[HostsRoot] = (),
        roots_origin: str = "hosts-dir",
        containerd: ContainerdConfig | None = None,
        daemon: DockerDaemonConfig | None = None,
        embedded: Mapping[str, RegistryHosts] | None = None,
        errors: Sequence[ConfigError] = (),
        warnings: Sequence[str] = (),
        containerd_version: ContainerdVersion = NEWEST,
    ) -> None:
        self.containerd_version = containerd_version
        self._sources = _Sources(
            tuple(roots), roots_origin, containerd, daemon, dict(embedded or {})
        )
        self._description = description
        self._errors = tuple(errors)
        self._warnings = tuple(warnings)
        self._cache: dict[str, RegistryHosts] = {}

    @property
    def description(self) -> str:
        """One line: which configuration is in effect and where it came from."""
        return self._description

    @property
    def errors(self) -> tuple[ConfigError, ...]:
        return self._errors

    @property
    def warnings(self) -> tuple[str, ...]:
        return self._warnings

    @property
    def roots(self) -> tuple[HostsRoot, ...]:
        return self._sources.roots

    def hosts_for(self, registry: str) -> RegistryHosts:
        """The ordered hosts containerd uses for ``registry`` (cached)."""
        found = self._cache.get(registry)
        if found is None:
            found = self._lookup(registry)
            self._cache[registry] = found
        return found

    def _lookup(self, registry: str) -> RegistryHosts:
        src = self._sources
        directory = find_dir(src.roots, registry)
        if directory is not None:
            return _from_dir(directory, registry, src.roots_origin)
        if src.containerd is not None and src.containerd.mirrors:
            endpoints = endpoints_for(src.containerd.mirrors, registry)
            if endpoints is not None:
                return _from_legacy(src.containerd, registry, endpoints)
        if src.daemon is not None and src.daemon.mirrors and registry == DOCKER_HUB:
            return RegistryHosts(
                registry, docker_hosts(src.daemon.mirrors), "docker-daemon", file=src.daemon.file
            )
        if registry in src.embedded:
            return src.embedded[registry]
        return RegistryHosts(registry, (upstream_host(registry),), "none")

    def configured_name(self, registry: str) -> str:
        """The name ``configured()`` lists ``registry``'s configuration under: its hosts
        directory's registry (``_default`` for the catch-all), the legacy CRI key (``*``
        for the wildcard), else ``registry`` itself."""
        src = self._sources
        directory = find_dir(src.roots, registry)
        if directory is not None:
            return directory.registry
        if src.containerd is not None and src.containerd.mirrors:
            if registry in src.containerd.mirrors:
                return registry
            if WILDCARD in src.containerd.mirrors:
                return WILDCARD
        return registry

    def configured(self) -> tuple[RegistryHosts, ...]:
        """Every registry with explicit configuration (``_default`` shows as "_default",
        the legacy wildcard as "*"), in the order containerd would consult them."""
        src = self._sources
        out: list[RegistryHosts] = []
        for root in src.roots:
            for directory in root.dirs.values():
                if not directory.is_dir:
                    continue  # a stray file: _check_roots warns, a route through it is blocked
                shown = directory.registry
                item = _from_dir(
                    directory, shown if shown != DEFAULT_DIR else "<registry>", src.roots_origin
                )
                winner = shadowed_by(src.roots, directory)
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
        if src.containerd is not None:
            for name, endpoints in src.containerd.mirrors.items():
                shown = name if name != WILDCARD else "<registry>"
                item = _from_legacy(src.containerd, shown, endpoints)
                out.append(RegistryHosts(name, item.hosts, item.origin, item.file, item.warnings))
        if src.daemon is not None and src.daemon.mirrors:
            used = self.hosts_for(DOCKER_HUB).origin == "docker-daemon"
            out.append(
                RegistryHosts(
                    DOCKER_HUB,
                    docker_hosts(src.daemon.mirrors),
                    "docker-daemon",
                    file=src.daemon.file,
                    warnings=()
                    if used
                    else ("never used: containerd configuration for docker.io comes first",),
                )
            )
        out.extend(src.embedded.values())
        return tuple(out)


def _from_dir(directory: HostsDir, registry: str, origin: str) -> RegistryHosts:
    warnings: list[str] = []
    if not directory.is_dir:
        file = None
    elif directory.file is None:
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
        fatal=str(fatal[0]).removesuffix(FATAL_CONSEQUENCE) if fatal else None,
    )


def _from_legacy(
    config: ContainerdConfig, registry: str, endpoints: tuple[str, ...]
) -> RegistryHosts:
    hosts, problems, fatal = legacy_hosts(registry, endpoints)
    return RegistryHosts(
        registry,
        hosts or (upstream_host(registry),),
        "containerd-config",
        config.file,
        tuple(f"{config.file}: {p}" for p in problems),
        fatal=fatal,
    )


def _roots_description(roots: Sequence[HostsRoot]) -> str:
    parts = []
    for root in roots:
        count = len(root.dirs)
        state = (
            f"{count} director{'y' if count == 1 else 'ies'}"
            if root.exists
            else root.problem or "missing"
        )
        parts.append(f"{root.path} ({state})")
    return ", ".join(parts)


def _check_roots(
    roots: Sequence[HostsRoot], *, explicit: bool, given_as: str, from_config_path: bool
) -> tuple[list[ConfigError], list[str]]:
    """Problems with the roots themselves, then every directory's ``hosts.toml`` errors.

    A root the user named (``explicit``) that cannot be read, or that is a registry
    directory (it has a ``hosts.toml`` of its own), is an error: the analysis would
    silently find no mirrors. For a ``config_path`` listing several roots a missing one is
    only a warning while another exists (containerd skips it; the 2.x default list names
    ``/etc/docker/certs.d``, which most nodes do not have).
    """
    errors: list[ConfigError] = []
    warnings: list[str] = []
    some_exist = any(root.exists for root in roots)
    for root in roots:
        if root.problem is not None:
            message = (
                f"hosts directory {root.problem} ({given_as}): containerd finds no "
                "configuration there"
            )
            if explicit and not (from_config_path and some_exist):
                errors.append(ConfigError(root.path, None, message))
            else:
                warnings.append(f"{root.path}: {message}")
        elif root.own_hosts_toml and explicit:
            errors.append(
                ConfigError(
                    root.path,
                    None,
                    f"this hosts directory ({given_as}) has a hosts.toml of its "
                    "own: it is a registry directory; give its parent directory, the config_path "
                    "that holds one directory per registry",
                )
            )
        elif not root.dirs:
            warnings.append(
                f"hosts directory {root.path} ({given_as}) has no registry "
                "directory: containerd finds no configuration there"
            )
        for directory in root.dirs.values():
            if not directory.is_dir:
                if directory.name != "hosts.toml" or not root.own_hosts_toml:
                    warnings.extend(f"{e} (registry {directory.registry})" for e in directory.fatal)
                continue
            errors.extend(directory.fatal)
            if directory.file is not None:
                errors.extend(directory.file.errors)
                errors.extend(directory.file.fatal)
    return errors, warnings


def _several_roots_warning(file: str, line: int | None, count: int) -> str:
    where = f"{file}:{line}" if line else file
    return (
        f"{where}: config_path lists {count} directories separated by ':': containerd "
        "2.x's CRI transfer-service pull path reads it as ONE directory and so finds no "
        "hosts.toml at all (containerd#12808, also #12415: every image then goes to its "
        "registry; a single directory avoids it); this analysis follows the documented "
        "behaviour, each directory in order, as containerd 1.x and 2.x's local pull path do"
    )


def _choose_version(
    chosen: ContainerdVersion | str | None, given: bool, node_default: str | None
) -> tuple[ContainerdVersion, str]:
    if isinstance(chosen, ContainerdVersion):
        return chosen, "--containerd-version"
    if chosen is not None:
        return parse_version(chosen), "--containerd-version"
    if not given and node_default is not None and os.path.isdir(node_default):
        detected = detect_version()
        if detected is not None:
            return detected, "this machine's containerd --version"
    return NEWEST, "the newest; choose with --containerd-version"


def load_mirror_config(
    *,
    hosts_dirs: Sequence[str] = (),
    containerd_config: str | None = None,
    docker_daemon: str | None = None,
    node_default: str | None = NODE_DEFAULT,
    containerd_version: ContainerdVersion | str | None = None,
) -> MirrorConfig:
    """Read the configuration in effect. Never raises for bad files: they become
    ``errors`` (containerd ignores them) and ``warnings``. ``node_default`` is used when
    nothing else is given (``NODE_DEFAULT`` means :func:`node_hosts_dir`; ``None``: never
    look at this machine, use the embedded defaults). ``containerd_version`` (``"1.6"``,
    ``"2.1"``...; raises ``ValueError`` for a bad one) chooses the rules; None: the version
    of this machine's containerd when this machine's hosts directory is read, else the
    newest."""
    if node_default == NODE_DEFAULT:
        node_default = node_hosts_dir()
    given = bool(hosts_dirs) or containerd_config is not None or docker_daemon is not None
    version, version_origin = _choose_version(containerd_version, given, node_default)
    errors: list[ConfigError] = []
    warnings: list[str] = []
    pieces: list[str] = []
    containerd = read_containerd_config(containerd_config) if containerd_config else None
    daemon = read_docker_daemon(docker_daemon) if docker_daemon else None

    root_paths = split_roots(hosts_dirs)
    roots_origin = "hosts-dir"
    given_as = "--hosts-dir"
    for value in hosts_dirs:
        if not split_roots([value]):
            errors.append(
                ConfigError(
                    f'"{value}"',
                    None,
                    "hosts directory does not exist (an empty path was given to --hosts-dir)",
                )
            )
    if hosts_dirs:
        pieces.append(f"hosts directories {_ROOTS} (--hosts-dir)")
    if containerd is not None:
        errors.extend(containerd.errors)
        warnings.extend(containerd.warnings)
        if containerd.config_path and not root_paths:
            root_paths = split_roots([containerd.config_path])
            roots_origin = "containerd-config"
            line = containerd.config_path_line
            given_as = f"config_path of {containerd.file}" + (f":{line}" if line else "")
            if len(root_paths) > 1:
                warnings.append(_several_roots_warning(containerd.file, line, len(root_paths)))
            pieces.append(f"hosts directories {_ROOTS} (config_path of {containerd.file})")
        elif containerd.config_path:
            warnings.append(
                f"{containerd.file}: config_path {containerd.config_path} not "
                "used: --hosts-dir given"
            )
        if containerd.mirrors and root_paths:
            warnings.append(
                f"{containerd.file}: legacy registry.mirrors not used: CRI ignores "
                "them when a hosts directory (config_path) is set"
            )
            containerd = ContainerdConfig(containerd.file, containerd.config_path)
        elif containerd.mirrors:
            pieces.append(
                f"legacy CRI registry.mirrors ({len(containerd.mirrors)} "
                f"registries) from {containerd.file}"
            )
    if daemon is not None:
        errors.extend(daemon.errors)
        pieces.append(f"Docker Hub mirrors from {daemon.file} ({len(daemon.mirrors)} mirrors)")

    embedded: dict[str, RegistryHosts] = {}
    if not given:
        if node_default is not None and os.path.isdir(node_default):
            root_paths = (node_default,)
            given_as = "this machine's containerd configuration"
            pieces.append(f"hosts directory {_ROOTS} (this machine's containerd configuration)")
        else:
            embedded = daocloud_mirror_config()
            why = (
                f"no {node_default} on this machine"
                if node_default is not None
                else "no configuration given"
            )
            pieces.append(f"embedded DaoCloud defaults ({why})")

    roots = tuple(scan_root(path, version) for path in root_paths)
    root_errors, root_warnings = _check_roots(
        roots,
        explicit=given,
        given_as=given_as,
        from_config_path=roots_origin == "containerd-config",
    )
    errors.extend(root_errors)
    warnings.extend(root_warnings)
    description = "; ".join(pieces) if pieces else "no mirror configuration"
    description = description.replace(_ROOTS, _roots_description(roots))
    description += f"; containerd {version} rules ({version_origin})"
    return MirrorConfig(
        containerd_version=version,
        description=description,
        roots=roots,
        roots_origin=roots_origin,
        containerd=containerd,
        daemon=daemon,
        embedded=embedded,
        errors=errors,
        warnings=warnings,
    )
