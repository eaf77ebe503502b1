"""The mirror configuration in effect, and ``hosts_for(registry)``: containerd's host list.

Sources, consulted in this order for each registry (the first that configures it wins):

1. hosts directories: ``--hosts-dir`` roots, else the ``config_path`` of ``--containerd-config``
   or of the ``config.toml`` a ``--kind-config`` gives the nodes (``kind.py``: on this machine
   through ``extraMounts``) (CRI uses ``config_path`` *or* the legacy mirrors, never both);
2. the legacy CRI ``registry.mirrors`` of ``--containerd-config`` (when it has no
   ``config_path`` and no ``--hosts-dir`` was given);
3. ``--docker-daemon``'s ``registry-mirrors`` (Docker Hub only; Docker Engine, not containerd),
   and minikube's ``--registry-mirror`` for its docker runtime (``minikube.py``);
4. with none of those options: ``/etc/containerd/certs.d`` if it exists on this machine, else
   the embedded DaoCloud mirror set;
5. nothing: the registry's own host (origin ``none``).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from analyzer.mirrors.answers import Answers
from analyzer.mirrors.containerd_runtimes import (
    EmbeddedRuntime,
    HostsDirRuntime,
    LegacyCriRuntime,
    StoppedRuntime,
)
from analyzer.mirrors.embedded import daocloud_mirror_config
from analyzer.mirrors.hosts_dir import HostsRoot, candidate_names, scan_root, split_roots
from analyzer.mirrors.legacy_cri import (
    V2_DEFAULT_CONFIG_PATH,
    ContainerdConfig,
    read_containerd_config,
)
from analyzer.mirrors.node import RuntimeFiles, detect, detect_crio, node_root, usual_files
from analyzer.mirrors.runtime import CATCH_ALL_NAMES, MirrorRuntime
from analyzer.mirrors.short_names import (
    CONTAINERS_IMAGE_DEFAULT_MODE,
    CRIO_DEFAULT_MODE,
    Resolution,
    ShortNames,
    read_alias_cache,
    read_crio_mode,
)
from analyzer.mirrors.upstream import upstream_host
from analyzer.mirrors.versions import NEWEST, ContainerdVersion, detect_version, parse_version
from analyzer.model import ConfigError, Finding, RegistryHosts
from analyzer.reference import ImageRef

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.mirrors.docker_daemon import DockerDaemonConfig
    from analyzer.mirrors.minikube import MinikubeMirrors
    from analyzer.mirrors.registries_conf import RegistriesConfRuntime

# the readers of other runtimes' files (docker_daemon, k3s, registries_conf, kind, minikube)
# are imported where those files are given: a scan with none of them does not pay for them

NODE_DEFAULT = "/etc/containerd/certs.d"
#: environment variable naming another node hosts directory (tests, unusual installs)
NODE_DEFAULT_ENV = "IMAGE_COVERAGE_NODE_HOSTS_DIR"


def node_hosts_dir() -> str:
    """This machine's containerd hosts directory: ``$IMAGE_COVERAGE_NODE_HOSTS_DIR`` or
    ``/etc/containerd/certs.d`` (under ``$IMAGE_COVERAGE_NODE_ROOT``)."""
    return os.environ.get(NODE_DEFAULT_ENV) or _on_node(NODE_DEFAULT)


#: this machine's containerd configuration, read with its hosts directory (under the root)
NODE_CONFIG = "/etc/containerd/config.toml"


def _on_node(path: str) -> str:
    """An absolute path of this machine's containerd configuration, under the node root."""
    return os.path.join(node_root(), path.lstrip("/")) if os.path.isabs(path) else path


def _machine_config(version: ContainerdVersion) -> tuple[str | None, str | None]:
    """Whether this machine's containerd reads ``/etc/containerd/certs.d`` (only asked when
    that directory exists and no option named a configuration): ``(config.toml to read as
    --containerd-config, None)``, or ``(None, why certs.d is not used)``, or ``(None, None)``
    when it is used as it is. containerd reads a hosts directory only where ``config_path``
    names it; 1.x and 2.0/2.1 have no default (an empty ``config_path``), 2.2+ defaults to
    ``/etc/containerd/certs.d:/etc/docker/certs.d`` (internal/cri/config/config_unix.go
    v2.2.0). ``$IMAGE_COVERAGE_NODE_HOSTS_DIR`` names the directory in effect: no check."""
    if os.environ.get(NODE_DEFAULT_ENV):
        return None, None
    config = _on_node(NODE_CONFIG)
    if os.path.lexists(config):
        return config, None
    if version.at_least(2, 2):
        return None, None
    return None, (
        f"{node_hosts_dir()} is not used: containerd {version} reads a hosts directory only "
        f"where config_path names it, and there is no {config} (set config_path there, or "
        "give --containerd-version if the nodes run another release)"
    )


_ROOTS = "\x00roots\x00"  # replaced by the roots and what was found in them


class MirrorConfig:
    """The runtimes in effect, asked in order for each image (the first answer wins);
    read-only once built."""

    def __init__(
        self,
        *,
        description: str,
        runtimes: Sequence[MirrorRuntime] = (),
        errors: Sequence[ConfigError] = (),
        warnings: Sequence[str] = (),
        containerd_version: ContainerdVersion = NEWEST,
        findings: Sequence[Finding] = (),
        short_names: ShortNames | None = None,
    ) -> None:
        self.containerd_version = containerd_version
        #: traps the readers recognise themselves (minikube's unused mirror), for the doctor
        self.findings = tuple(findings)
        #: how the runtime resolves short names itself (CRI-O, Podman); None: normalised
        #: to ``docker.io`` (containerd, Docker, skopeo)
        self.short_names = short_names
        self._resolved: dict[tuple[str, str | None, str | None], Resolution] = {}
        self._runtimes = tuple(runtimes)
        self._by_reference = any(r.by_reference for r in self._runtimes)
        self._description = description
        self._errors = tuple(errors) + tuple(e for r in self._runtimes for e in r.errors)
        self._warnings = tuple(warnings) + tuple(w for r in self._runtimes for w in r.warnings)
        #: each image's runtime and hosts, kept per registry (compiled: asked for every image)
        self.answers = Answers(self._by_reference, self._lookup)

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
    def runtimes(self) -> tuple[MirrorRuntime, ...]:
        return self._runtimes

    @property
    def roots(self) -> tuple[HostsRoot, ...]:
        """The containerd hosts-directory roots in effect (none for other runtimes)."""
        return tuple(
            root for r in self._runtimes if isinstance(r, HostsDirRuntime) for root in r.roots
        )

    def resolve_short(self, ref: ImageRef) -> Resolution | None:
        """The short-name candidates of ``ref`` (cached), or None when ``ref`` is not a
        short name or this runtime normalises short names to ``docker.io``."""
        if ref.short is None or self.short_names is None:
            return None
        key = (ref.short, ref.tag, ref.digest)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = self.short_names.resolve(ref)
        return found

    def hosts_for(self, registry: str) -> RegistryHosts:
        """The ordered hosts for a registry as a whole (a reference with no path)."""
        return self.hosts_for_ref(ImageRef(registry, ""))

    def hosts_for_ref(self, ref: ImageRef) -> RegistryHosts:
        """The ordered hosts the runtime uses for ``ref`` (cached)."""
        return self.answers.hosts(ref)

    def configured_name(self, ref: ImageRef) -> str:
        """The name ``configured()`` lists the entry that answers for ``ref`` under: its
        hosts directory's registry (``_default`` for the catch-all), the legacy CRI key
        (``*`` for the wildcard), a ``registries.conf`` prefix...; else its registry."""
        runtime = self.answers.answer(ref)[1]
        return ref.domain if runtime is None else runtime.configured_name(ref)

    def _lookup(self, ref: ImageRef) -> tuple[RegistryHosts, MirrorRuntime | None]:
        for runtime in self._runtimes:
            found = runtime.hosts_for(ref)
            if found is not None:
                return found, runtime
        return RegistryHosts(ref.domain, (upstream_host(ref.domain),), "none"), None

    def configured(self) -> tuple[RegistryHosts, ...]:
        """Every configured entry (``_default`` shows as "<registry>", the legacy wildcard
        as "*"), in the order the runtimes would consult them; an entry that a runtime asked
        earlier answers for says it is never used."""
        out: list[RegistryHosts] = []
        for index, runtime in enumerate(self._runtimes):
            for item in runtime.configured():
                if index and item.registry not in CATCH_ALL_NAMES:
                    winner = self.hosts_for(item.registry)
                    if winner.origin != item.origin:
                        item = replace(
                            item,
                            warnings=(
                                *item.warnings,
                                f"never used: the {winner.origin} configuration for "
                                f"{item.registry} comes first",
                            ),
                        )
                out.append(item)
        return tuple(out)


def _roots_description(roots: Sequence[HostsRoot]) -> str:
    parts = []
    for root in roots:
        count = sum(d.is_dir for d in root.dirs.values())
        state = (
            f"{count} director{'y' if count == 1 else 'ies'}"
            if root.exists
            else root.problem or "missing"
        )
        others = len(root.unread - root.unread_files)  # plain files are no registry
        if others:  # a scan reads only what its images' registries need
            state += (
                f" read, {others} other{'' if others == 1 else 's'} not read: no image uses "
                f"{'it' if others == 1 else 'them'}, coverage doctor checks every one"
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
        elif not root.dirs and not root.unread:
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
    k3s_registries: str | None = None,
    k3s_disable_default_endpoint: bool = False,
    k3s_program: str = "k3s",
    registries_conf: str | None = None,
    registries_conf_d: str | None = None,
    runtime: str | None = None,
    kind_config: str | None = None,
    minikube_registry_mirrors: Sequence[str] = (),
    minikube_profile: str | None = None,
    registries: Collection[str] | None = None,
) -> MirrorConfig:
    """Read the configuration in effect. Never raises for bad files: they become
    ``errors`` (containerd ignores them) and ``warnings``. ``node_default`` is used when
    nothing else is given (``NODE_DEFAULT`` means :func:`node_hosts_dir`; ``None``: never
    look at this machine, use the embedded defaults). ``containerd_version`` (``"1.6"``,
    ``"2.1"``...; ``OptionError`` for a bad one) chooses the rules; None: the version
    of this machine's containerd when this machine's hosts directory is read, else the
    newest. ``registries``: read only the hosts directories these registries may use (and
    ``_default``), as ``coverage scan`` does; None reads them all (``coverage doctor``)."""
    files = _Files(
        hosts_dirs,
        containerd_config,
        docker_daemon,
        k3s_registries,
        k3s_disable_default_endpoint,
        k3s_program,
        registries_conf,
        registries_conf_d,
        kind_config,
        tuple(minikube_registry_mirrors),
        minikube_profile,
    )
    files, runtime_note = _runtime_files(files, runtime, node_default)
    machine_default = node_default == NODE_DEFAULT  # this machine's, not a directory given
    if machine_default:
        node_default = node_hosts_dir()
    given = files.given
    version, version_origin = _choose_version(containerd_version, given, node_default)
    gathered = _Gathered()
    machine_config: str | None = None
    unused_default: str | None = None
    if machine_default and not given and node_default is not None and os.path.isdir(node_default):
        machine_config, unused_default = _machine_config(version)
        if machine_config is not None:  # read as containerd does: its config_path decides
            files = replace(files, containerd_config=machine_config)
            given = True
        elif unused_default is not None:
            gathered.warnings.append(unused_default)
            gathered.pieces.append("no mirror configuration (this machine's containerd)")
            given = True
    if registries_conf_d is not None and not os.path.isdir(registries_conf_d):
        # the runtime skips a missing drop-in folder, but one named here was meant: a typo
        # must not pass as "no drop-ins"
        gathered.errors.append(
            ConfigError(registries_conf_d, None, "no such folder (the registries.conf.d given)")
        )
    containerd, daemon, located = _containerd_files(files, gathered, version)
    if machine_config is not None and located.origin == "containerd-config":
        # the machine's own config_path names its directories (under the node root)
        located = replace(located, root_paths=tuple(map(_on_node, located.root_paths)))
    if (
        machine_config is not None
        and node_default is not None
        and containerd is not None
        and not containerd.config_path
        and containerd.stopped is None
        and not version.at_least(2, 2)
    ):
        gathered.warnings.append(
            f"{node_default} is not used: {machine_config} sets no config_path, and containerd "
            f"{version} has none by default (set config_path in its CRI registry section)"
        )
    elif (
        machine_config is not None
        and containerd is not None
        and not containerd.config_path
        and not containerd.mirrors
        and containerd.stopped is None
    ):
        # no config_path: containerd 2.2+ reads its default, this machine's certs.d among it
        default_paths = split_roots([V2_DEFAULT_CONFIG_PATH])
        located = _Located(
            tuple(p for p in map(_on_node, default_paths) if os.path.isdir(p)),
            "containerd-config",
            f"containerd {version}'s default config_path ({machine_config} sets none)",
        )
        gathered.pieces.append(f"hosts directories {_ROOTS} (containerd's default config_path)")
    if files.kind_config is not None:
        containerd, located = _kind_files(files.kind_config, version, located, gathered)
    minikube = _minikube(files, gathered)
    first = _other_runtimes(files, version, gathered)
    embedded: dict[str, RegistryHosts] = {}
    if not given:
        if node_default is not None and os.path.isdir(node_default):
            located = replace(
                located,
                root_paths=(node_default,),
                given_as="this machine's containerd configuration",
            )
            gathered.pieces.append(
                f"hosts directory {_ROOTS} (this machine's containerd configuration)"
            )
        else:
            embedded = daocloud_mirror_config()
            why = (
                f"no {node_default} on this machine"
                if node_default is not None
                else "no configuration given"
            )
            gathered.pieces.append(f"embedded DaoCloud defaults ({why})")

    only = None if registries is None else candidate_names(registries)
    roots = tuple(scan_root(path, version, only) for path in located.root_paths)
    root_errors, root_warnings = _check_roots(
        roots,
        explicit=given,
        given_as=located.given_as,
        from_config_path=located.origin == "containerd-config",
    )
    gathered.errors.extend(root_errors)
    gathered.warnings.extend(root_warnings)
    description = runtime_note + (
        "; ".join(gathered.pieces) if gathered.pieces else "no mirror configuration"
    )
    description = description.replace(_ROOTS, _roots_description(roots))
    runtimes: list[MirrorRuntime] = list(first)
    if containerd is not None and containerd.stopped is not None:
        runtimes.insert(0, StoppedRuntime(containerd, containerd.stopped))
    if roots:
        runtimes.append(HostsDirRuntime(roots, located.origin))
    if containerd is not None and containerd.mirrors:
        runtimes.append(LegacyCriRuntime(containerd))
    if daemon is not None:
        from analyzer.mirrors.docker_daemon import DockerDaemonRuntime

        runtimes.append(DockerDaemonRuntime(daemon))
    minikube_daemon = minikube.daemon if minikube is not None else None
    if minikube_daemon is not None:
        from analyzer.mirrors.docker_daemon import DockerDaemonRuntime

        runtimes.append(DockerDaemonRuntime(minikube_daemon))
    if embedded:
        runtimes.append(EmbeddedRuntime(embedded))
    # registries.conf alone (containers/image's rules) or minikube's dockerd alone: no
    # containerd release involved
    dockerd_only = minikube is not None and minikube.runtime == "docker" and not embedded
    if (
        roots
        or containerd is not None
        or files.k3s_registries is not None
        or (not first and not dockerd_only)
    ):
        description += f"; containerd {version} rules ({version_origin})"
    return MirrorConfig(
        containerd_version=version,
        description=description,
        runtimes=runtimes,
        errors=gathered.errors,
        warnings=gathered.warnings,
        findings=minikube.findings() if minikube is not None else (),
        short_names=gathered.short_names,
    )


@dataclass(frozen=True)
class _Files:
    """The configuration files given (or found for a runtime)."""

    hosts_dirs: Sequence[str]
    containerd_config: str | None
    docker_daemon: str | None
    k3s_registries: str | None
    k3s_disable_default_endpoint: bool
    k3s_program: str
    registries_conf: str | None
    registries_conf_d: str | None
    kind_config: str | None = None
    minikube_registry_mirrors: tuple[str, ...] = ()
    minikube_profile: str | None = None
    # who reads registries.conf, for short names: "crio" (the Kubernetes runtime; also
    # when only the files are given) or "podman"
    conf_runtime: str = "crio"
    user_conf_d: str | None = None  # Podman's per-user drop-in directory, read after
    crio_conf: tuple[str, ...] = ()  # crio.conf files: CRI-O's short_name_mode
    alias_cache: str | None = None  # the machine's short-name-aliases.conf

    @property
    def given(self) -> bool:
        return (
            bool(self.hosts_dirs)
            or self.kind_config is not None
            or bool(self.minikube_registry_mirrors)
            or self.minikube_profile is not None
            or self.containerd_config is not None
            or self.docker_daemon is not None
            or self.k3s_registries is not None
            or self.registries_conf is not None
            or self.registries_conf_d is not None
        )


@dataclass
class _Gathered:
    """What the readers found wrong, and the pieces of the one-line description."""

    errors: list[ConfigError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
    short_names: ShortNames | None = None


@dataclass(frozen=True)
class _Located:
    """Where the hosts directories come from."""

    root_paths: tuple[str, ...]
    origin: str  # "hosts-dir" or "containerd-config"
    given_as: str


def _runtime_files(
    files: _Files, runtime: str | None, node_default: str | None
) -> tuple[_Files, str]:
    """The files of ``--runtime``, or of the runtime detected on this machine when nothing
    is given; and the note that starts the description."""
    chosen: RuntimeFiles | None = None
    note = ""
    if runtime is not None:
        chosen = usual_files(runtime)  # OptionError for an unknown name
        note = f"runtime {runtime}: "
    elif node_default == NODE_DEFAULT and not files.given:
        chosen = detect() or (None if os.path.isdir(node_hosts_dir()) else detect_crio())
        if chosen is not None:
            note = f"runtime {chosen.runtime} (detected on this machine): "
    if chosen is None:
        return files, note
    if chosen.runtime in ("k3s", "rke2"):
        files = replace(
            files,
            k3s_program=chosen.runtime,
            k3s_registries=files.k3s_registries or chosen.k3s_registries,
        )
    elif files.registries_conf is None and files.registries_conf_d is None:
        files = replace(
            files,
            registries_conf=chosen.registries_conf,
            registries_conf_d=chosen.registries_conf_d,
            user_conf_d=chosen.user_registries_conf_d,
        )
        if chosen.note:
            note += f"{chosen.note}; "
    if chosen.runtime in ("crio", "podman"):
        files = replace(
            files,
            conf_runtime=chosen.runtime,
            crio_conf=chosen.crio_conf,
            alias_cache=chosen.alias_cache,
        )
    return replace(files, docker_daemon=files.docker_daemon or chosen.docker_daemon), note


def _containerd_files(
    files: _Files, gathered: _Gathered, version: ContainerdVersion
) -> tuple[ContainerdConfig | None, DockerDaemonConfig | None, _Located]:
    """containerd's ``config.toml`` (``config_path`` or legacy mirrors), read as containerd
    ``version`` reads it, the hosts directories given, and Docker's ``daemon.json``."""
    containerd = (
        read_containerd_config(files.containerd_config, version)
        if files.containerd_config
        else None
    )
    daemon = None
    if files.docker_daemon:
        from analyzer.mirrors.docker_daemon import read_docker_daemon

        daemon = read_docker_daemon(files.docker_daemon)
    located = _Located(split_roots(files.hosts_dirs), "hosts-dir", "--hosts-dir")
    for value in files.hosts_dirs:
        if not split_roots([value]):
            gathered.errors.append(
                ConfigError(
                    f'"{value}"',
                    None,
                    "hosts directory does not exist (an empty path was given to --hosts-dir)",
                )
            )
    if files.hosts_dirs:
        gathered.pieces.append(f"hosts directories {_ROOTS} (--hosts-dir)")
    if containerd is not None:
        gathered.errors.extend(containerd.errors)
        gathered.warnings.extend(containerd.warnings)
        if containerd.config_path and not located.root_paths:
            line = containerd.config_path_line
            located = _Located(
                split_roots([containerd.config_path]),
                "containerd-config",
                f"config_path of {containerd.file}" + (f":{line}" if line else ""),
            )
            if len(located.root_paths) > 1:
                gathered.warnings.append(
                    _several_roots_warning(containerd.file, line, len(located.root_paths))
                )
            gathered.pieces.append(f"hosts directories {_ROOTS} (config_path of {containerd.file})")
        elif containerd.config_path:
            gathered.warnings.append(
                f"{containerd.file}: config_path {containerd.config_path} not "
                "used: --hosts-dir given"
            )
        if containerd.mirrors and located.root_paths:
            gathered.warnings.append(
                f"{containerd.file}: legacy registry.mirrors not used: CRI ignores "
                "them when a hosts directory (config_path) is set"
            )
            containerd = ContainerdConfig(containerd.file, containerd.config_path)
        elif containerd.mirrors:
            gathered.pieces.append(
                f"legacy CRI registry.mirrors ({len(containerd.mirrors)} "
                f"registries) from {containerd.file}"
            )
    if daemon is not None:
        gathered.pieces.append(
            f"Docker Hub mirrors from {daemon.file} ({len(daemon.mirrors)} mirrors)"
        )
    return containerd, daemon, located


def _other_runtimes(
    files: _Files, version: ContainerdVersion, gathered: _Gathered
) -> list[MirrorRuntime]:
    """k3s/RKE2 ``registries.yaml`` and containers ``registries.conf``: asked first."""
    first: list[MirrorRuntime] = []
    if files.k3s_disable_default_endpoint and files.k3s_registries is None:
        gathered.warnings.append(
            "--k3s-disable-default-endpoint (or the settings file's "
            "k3s-disable-default-endpoint) changes nothing here: no k3s or RKE2 "
            "registries.yaml is read (give --k3s-registries or --runtime k3s|rke2)"
        )
    if files.k3s_registries is not None:
        from analyzer.mirrors.k3s import read_k3s_registries

        k3s = read_k3s_registries(
            files.k3s_registries,
            disable_default_endpoint=files.k3s_disable_default_endpoint,
            program=files.k3s_program,
            version=version,
        )
        first.append(k3s)
        flag = ", --disable-default-registry-endpoint" if files.k3s_disable_default_endpoint else ""
        gathered.pieces.append(
            f"{files.k3s_program} registries.yaml {files.k3s_registries} ({len(k3s.dirs)} "
            f"hosts.toml written{flag})"
        )
    if files.registries_conf is not None or files.registries_conf_d is not None:
        from analyzer.mirrors.registries_conf import read_registries_conf

        directories = [d for d in (files.registries_conf_d, files.user_conf_d) if d]
        conf = read_registries_conf(files.registries_conf, directories)
        first.append(conf)
        gathered.short_names = short_names_of(
            conf, files.conf_runtime, files.crio_conf, files.alias_cache
        )
        gathered.pieces.append(
            f"containers registries.conf ({conf.describe()}; {gathered.short_names.describe()})"
        )
    return first


def _kind_files(
    file: str, version: ContainerdVersion, located: _Located, gathered: _Gathered
) -> tuple[ContainerdConfig, _Located]:
    """The ``config.toml`` a kind config gives its nodes, and its ``config_path`` as found on
    this machine through the nodes' ``extraMounts`` (containerd 2.2+ reads its default
    ``config_path`` when the patches set neither it nor mirrors)."""
    from analyzer.mirrors.kind import read_kind_config

    kind = read_kind_config(file)
    containerd = kind.containerd
    gathered.errors.extend(kind.errors)
    gathered.warnings.extend((*kind.warnings, *containerd.warnings))
    gathered.pieces.append(f"kind cluster config {file} (the nodes' containerd config.toml)")
    by_default = not containerd.config_path and not containerd.mirrors
    if by_default and not version.at_least(2, 2):
        gathered.warnings.append(
            f"{file}: the patches set no config_path and no mirrors: containerd {version} on "
            "the nodes uses no mirror"
        )
        return containerd, located
    node_paths = split_roots([containerd.config_path or V2_DEFAULT_CONFIG_PATH])
    if containerd.mirrors and not located.root_paths:
        gathered.pieces.append(
            f"legacy CRI registry.mirrors ({len(containerd.mirrors)} registries) from its "
            "containerdConfigPatches"
        )
    if containerd.mirrors or located.root_paths:
        if located.root_paths and (containerd.config_path or containerd.mirrors):
            gathered.warnings.append(
                f"{file}: the nodes' registry configuration is not read: --hosts-dir given"
            )
            containerd = ContainerdConfig(file)
        return containerd, located
    line = containerd.config_path_line
    found: list[str] = []
    shown: list[str] = []
    for node_path in node_paths:
        host, differ = kind.host_path(node_path)
        if differ is not None:
            gathered.errors.append(differ)
            continue
        if host is not None:
            found.append(host)
            shown.append(f"{node_path} = {host}")
            continue
        inside = kind.mounted_inside(node_path)
        why = (
            f"config_path {node_path} is a directory on the kind nodes and no extraMounts "
            "containerPath covers it: its hosts.toml files cannot be read from here"
            + (
                f" (only {', '.join(m.container_path for m in inside)} inside it is mounted: "
                "mount the directory itself)"
                if inside
                else ""
            )
            + "; mount it with extraMounts, or give --hosts-dir with a copy of the nodes' "
            "directory"
        )
        if by_default:
            gathered.warnings.append(
                f"{file}: containerd {version} on the nodes reads {node_path} (its default "
                f"config_path): {why}"
            )
        else:
            gathered.errors.append(ConfigError(file, line, why))
    if shown:
        gathered.pieces.append(
            f"hosts directories {_ROOTS} (config_path of the kind nodes, through extraMounts: "
            + ", ".join(shown)
            + ")"
        )
    where = f"{file}:{line}" if line else file
    return containerd, _Located(
        tuple(found), "containerd-config", f"config_path of {where}, mounted from this machine"
    )


def _minikube(files: _Files, gathered: _Gathered) -> MinikubeMirrors | None:
    """``--minikube-registry-mirror`` values (docker runtime) or a profile's config.json."""
    if files.minikube_profile is None and not files.minikube_registry_mirrors:
        return None
    from analyzer.mirrors.minikube import MinikubeMirrors, from_flags, read_profile

    if files.minikube_profile is not None:
        found = read_profile(files.minikube_profile)
        if files.minikube_registry_mirrors:
            found = MinikubeMirrors(
                found.source,
                found.runtime,
                files.minikube_registry_mirrors,
                found.errors,
                found.line,
            )
    else:
        found = from_flags(files.minikube_registry_mirrors)
    if found.runtime != "docker":
        gathered.errors.extend(found.errors)
    how = (
        "dockerd --registry-mirror, Docker Hub only"
        if found.runtime == "docker"
        else "not given to this runtime by minikube"
    )
    gathered.pieces.append(
        f"minikube registry mirrors from {found.source} ({len(found.mirrors)}; runtime "
        f"{found.runtime}: {how})"
    )
    return found


def short_names_of(
    conf: RegistriesConfRuntime,
    runtime: str,
    crio_conf: Sequence[str] = (),
    alias_cache: str | None = None,
) -> ShortNames:
    """The short-name settings ``runtime`` uses: Podman the files' ``short-name-mode``;
    CRI-O its own ``short_name_mode`` (crio.conf), whatever the files say; the machine's
    alias cache, when given, before the files' aliases."""
    if runtime == "podman":
        mode = conf.short_name_mode or CONTAINERS_IMAGE_DEFAULT_MODE
        origin = (
            f"short-name-mode = {mode} in {conf.mode_origin}"
            if conf.mode_origin
            else f"no short-name-mode set: containers/image's default {mode}"
        ) + "; Podman prompts only on a terminal, and CI has none"
    else:
        found = read_crio_mode(crio_conf)
        if found is not None and found[0] in ("enforcing", "disabled"):
            mode = found[0]
            origin = f'short_name_mode = "{mode}" in {found[1]}'
        else:
            mode = CRIO_DEFAULT_MODE
            origin = (
                f'CRI-O\'s short_name_mode, "{mode}" by default since CRI-O 1.34 (crio.conf '
                '[crio.image] short_name_mode = "disabled" tries every search registry)'
            )
        origin += "; registries.conf's short-name-mode is not used by CRI-O"
    cached, cache_error = read_alias_cache(alias_cache) if alias_cache else ({}, None)
    return ShortNames(
        runtime,
        mode,
        origin,
        conf.search,
        conf.search_origin,
        dict(conf.aliases),
        cached,
        cache_error,
    )
