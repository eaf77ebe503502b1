"""Which runtime a machine runs, and where that runtime keeps its mirror configuration.

``--runtime NAME`` without file options reads NAME's usual files; with no option at all,
``detect`` looks at this machine: a k3s or RKE2 ``registries.yaml``, then containerd's
``/etc/containerd/certs.d``, then CRI-O (its ``/etc/crio`` next to
``/etc/containers/registries.conf``). A ``registries.conf`` alone is not taken as CRI-O:
Podman and skopeo install it on CI runners and laptops that are no cluster node.
``$IMAGE_COVERAGE_NODE_ROOT`` moves ``/`` (tests, inspecting a mounted node image).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from analyzer.mirrors.errors import OptionError

RUNTIMES = ("containerd", "k3s", "rke2", "crio", "podman", "docker")
NODE_ROOT_ENV = "IMAGE_COVERAGE_NODE_ROOT"


@dataclass(frozen=True)
class RuntimeFiles:
    """The files one runtime reads (None: not that runtime's)."""

    runtime: str
    k3s_registries: str | None = None
    registries_conf: str | None = None
    registries_conf_d: str | None = None
    docker_daemon: str | None = None
    user_registries_conf_d: str | None = None  # read after registries_conf_d
    note: str | None = None  # what the first line should say about the choice
    crio_conf: tuple[str, ...] = ()  # crio.conf and its drop-ins (CRI-O's short_name_mode)
    alias_cache: str | None = None  # the machine's short-name-aliases.conf


def node_root() -> str:
    return os.environ.get(NODE_ROOT_ENV) or "/"


def _at(root: str, path: str) -> str:
    return os.path.join(root, path.lstrip("/"))


def usual_files(runtime: str, root: str | None = None) -> RuntimeFiles:
    """The files ``runtime`` reads on a machine (they may not exist)."""
    if runtime not in RUNTIMES:
        raise OptionError(f"unknown --runtime {runtime!r} (choose from {', '.join(RUNTIMES)})")
    base = root or node_root()
    if runtime in ("k3s", "rke2"):
        return RuntimeFiles(
            runtime, k3s_registries=_at(base, f"/etc/rancher/{runtime}/registries.yaml")
        )
    if runtime in ("crio", "podman"):
        # CRI-O runs as root: its home is /root on the node; Podman runs as this user
        home = _at(base, "/root") if runtime == "crio" else os.path.expanduser("~")
        files = containers_files(runtime, base, home)
        if runtime == "crio":
            conf_d = _at(base, "/etc/crio/crio.conf.d")
            return replace(
                files,
                crio_conf=(_at(base, "/etc/crio/crio.conf"), *_walk(conf_d)),
                alias_cache=_at(base, ROOT_ALIAS_CACHE),
            )
        return replace(files, alias_cache=_podman_alias_cache(base))
    if runtime == "docker":
        return RuntimeFiles(runtime, docker_daemon=_at(base, "/etc/docker/daemon.json"))
    return RuntimeFiles(runtime)


ROOT_ALIAS_CACHE = "/var/cache/containers/short-name-aliases.conf"


def _podman_alias_cache(root: str) -> str:
    """``shortNameAliasesConfPath``: root's under /var/cache, a user's under
    ``$XDG_CACHE_HOME`` or ``~/.cache`` (``homedir.GetCacheHome``)."""
    if os.geteuid() == 0:
        return _at(root, ROOT_ALIAS_CACHE)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(cache, "containers/short-name-aliases.conf")


def _walk(directory: str) -> list[str]:
    """Every file under ``directory`` in ``filepath.Walk`` order (lexical, depth first), as
    CRI-O's ``UpdateFromPath`` reads its drop-ins."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    out: list[str] = []
    for name in names:
        path = os.path.join(directory, name)
        out.extend(_walk(path) if os.path.isdir(path) else [path])
    return out


def containers_files(runtime: str, root: str, home: str) -> RuntimeFiles:
    """The files containers/image reads (``newConfigWrapperWithHomeDir`` and
    ``dropInConfigs`` in ``pkg/sysregistriesv2/system_registries_v2.go``, df7e80d and
    v5.23): ``$HOME/.config/containers/registries.conf``, when it exists, replaces the
    system file and only the user's ``registries.conf.d`` is read; otherwise the system
    file, the system drop-ins, then the user's drop-ins. ``$HOME`` (``homedir.Get``), not
    ``$XDG_CONFIG_HOME``."""
    user_file = os.path.join(home, ".config/containers/registries.conf")
    user_dir = os.path.join(home, ".config/containers/registries.conf.d")
    if os.path.isfile(user_file):
        return RuntimeFiles(
            runtime,
            registries_conf=user_file,
            registries_conf_d=user_dir,
            note=f"{user_file} replaces {_at(root, '/etc/containers/registries.conf')} "
            "and its registries.conf.d",
        )
    system_file = _at(root, "/etc/containers/registries.conf")
    return RuntimeFiles(
        runtime,
        # tryUpdatingCache: a missing default file is an empty configuration, no error
        registries_conf=system_file if os.path.lexists(system_file) else None,
        registries_conf_d=_at(root, "/etc/containers/registries.conf.d"),
        user_registries_conf_d=user_dir,
    )


def detect(root: str | None = None) -> RuntimeFiles | None:
    """The runtime this machine evidently runs, other than containerd's hosts directory
    (which ``load_mirror_config`` looks for itself); None when nothing is found."""
    base = root or node_root()
    for runtime in ("k3s", "rke2"):
        files = usual_files(runtime, base)
        if files.k3s_registries and os.path.isfile(files.k3s_registries):
            return files
    return None


def detect_crio(root: str | None = None) -> RuntimeFiles | None:
    """CRI-O, when its own configuration sits next to ``registries.conf``."""
    base = root or node_root()
    crio = any(
        os.path.exists(_at(base, p)) for p in ("/etc/crio/crio.conf", "/etc/crio/crio.conf.d")
    )
    files = usual_files("crio", base)
    if crio and files.registries_conf and os.path.isfile(files.registries_conf):
        return files
    return None
