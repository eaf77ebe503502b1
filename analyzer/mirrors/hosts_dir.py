"""Hosts directories (containerd's ``config_path``): which ``<root>/<dir>`` a registry uses.

``HostDirFromRoot`` tries, in each root in order, ``<host>_<port>_`` (only for a registry
with a port), the registry name as written, then ``_default``; the first that exists wins,
with no merging, and a ``_default`` in an earlier root beats a specific directory in a later
one (CRI's ``hostDirFromRoots``). Every directory is read once, up front, so configuration
errors are reported even for registries no image uses.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from analyzer.mirrors.hosts_toml import HostsFile, TlsFile, parse_hosts_toml
from analyzer.mirrors.upstream import upstream_host
from analyzer.model import ConfigError, Host

DEFAULT_DIR = "_default"
#: ends the message of a ``ca``/``client`` file containerd cannot read
FATAL_CONSEQUENCE = ": containerd fails every pull for this registry, with no fallback"
_PORT_DIR_RE = re.compile(r"^(.+)_(\d+)_$")


def split_roots(values: Iterable[str]) -> tuple[str, ...]:
    """Each value may itself be a ``:``-separated list (``filepath.SplitList``)."""
    return tuple(part for value in values for part in value.split(":") if part)


def port_directory(registry: str) -> str | None:
    """``hostDirectory``: the last ``:port`` becomes ``_port_`` (None without a ``:``)."""
    index = registry.rfind(":")
    if index <= 0:
        return None
    return f"{registry[:index]}_{registry[index + 1 :]}_"


def candidates(registry: str) -> tuple[str, ...]:
    """``hostPaths``: the directory names tried in one root, in order."""
    port_form = port_directory(registry)
    names = (port_form, registry, DEFAULT_DIR) if port_form else (registry, DEFAULT_DIR)
    return tuple(names)


def registry_of_directory(name: str) -> str:
    """The registry a directory name serves: ``myreg_5000_`` -> ``myreg:5000``."""
    match = _PORT_DIR_RE.match(name)
    return f"{match.group(1)}:{match.group(2)}" if match else name


@dataclass(frozen=True)
class HostsDir:
    """One ``<root>/<name>`` directory and its ``hosts.toml`` (None: none, or empty)."""

    root: str
    name: str
    path: str
    file: HostsFile | None

    @property
    def registry(self) -> str:
        return registry_of_directory(self.name)

    @property
    def hosts_toml(self) -> str | None:
        return self.file.path if self.file is not None else None

    def hosts_for(self, registry: str) -> tuple[Host, ...]:
        if self.file is None:  # certificates only: the default host
            return (upstream_host(registry),)
        return self.file.hosts_for(registry)


@dataclass(frozen=True)
class HostsRoot:
    """One ``config_path`` root and the directories found in it, by name.

    ``problem`` says why the root cannot be read ("does not exist", "is not a directory",
    ...; None when it can); ``own_hosts_toml`` is true when the root holds a ``hosts.toml``
    itself, i.e. a registry directory was given in place of the root.
    """

    path: str
    exists: bool
    dirs: Mapping[str, HostsDir]
    problem: str | None = None
    own_hosts_toml: bool = False


def _read_dir(root: str, name: str) -> HostsDir:
    path = os.path.join(root, name)
    toml_path = os.path.join(path, "hosts.toml")
    try:
        with open(toml_path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return HostsDir(root, name, path, None)
    except OSError as exc:
        error = ConfigError(
            toml_path,
            None,
            f"cannot read: {exc.strerror or exc}; containerd fails every pull for this registry",
        )
        return HostsDir(root, name, path, HostsFile(path=toml_path, errors=(error,)))
    if not data.strip():
        return HostsDir(root, name, path, None)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        error = ConfigError(toml_path, line, "not UTF-8 text: containerd ignores the whole file")
        return HostsDir(root, name, path, HostsFile(path=toml_path, errors=(error,)))
    return HostsDir(root, name, path, check_tls_files(parse_hosts_toml(text, toml_path), path))


def _tls_problem(tls: TlsFile, directory: str, toml_path: str) -> ConfigError | None:
    """``makeAbsPath`` + ``os.ReadFile``: existence only (certificates are not parsed)."""
    full = tls.path if os.path.isabs(tls.path) else os.path.join(directory, tls.path)
    if os.path.isfile(full):
        return None
    what = "is not a file" if os.path.exists(full) else "does not exist"
    shown = tls.path if tls.path == full else f"{tls.path} ({full})"
    return ConfigError(
        toml_path, tls.line, f"{tls.owner}: {tls.key} file {shown} {what}" + FATAL_CONSEQUENCE
    )


def check_tls_files(file: HostsFile, directory: str) -> HostsFile:
    """Fill in ``fatal`` for every ``ca``/``client`` file containerd could not read (only
    for a file containerd accepts: a rejected one falls back to the certs.d layout)."""
    if file.rejected:
        return file
    fatal = [p for p in (_tls_problem(t, directory, file.path) for t in file.tls_files) if p]
    return replace(file, fatal=tuple(dict.fromkeys(fatal))) if fatal else file


def scan_root(root: str) -> HostsRoot:
    """Read every registry directory under ``root``."""
    try:
        with os.scandir(root) as entries:
            listed = [(entry.name, entry.is_dir()) for entry in entries]
    except FileNotFoundError:
        return HostsRoot(root, False, {}, problem="does not exist")
    except NotADirectoryError:
        return HostsRoot(root, False, {}, problem="is not a directory")
    except OSError as exc:
        return HostsRoot(root, False, {}, problem=f"cannot be read: {exc.strerror or exc}")
    names = sorted(name for name, is_dir in listed if is_dir)
    own = any(name == "hosts.toml" and not is_dir for name, is_dir in listed)
    return HostsRoot(
        root, True, {name: _read_dir(root, name) for name in names}, own_hosts_toml=own
    )


def find_dir(roots: Sequence[HostsRoot], registry: str) -> HostsDir | None:
    """``hostDirFromRoots``: the directory containerd uses for ``registry``, or None."""
    names = candidates(registry)
    for root in roots:
        for name in names:
            found = root.dirs.get(name)
            if found is not None:
                return found
    return None


def shadowed_by(roots: Sequence[HostsRoot], directory: HostsDir) -> HostsDir | None:
    """The directory that wins for ``directory``'s registry when it is not ``directory``."""
    if directory.name == DEFAULT_DIR:
        for root in roots:
            if root.path == directory.root:
                return None
            if DEFAULT_DIR in root.dirs:
                return root.dirs[DEFAULT_DIR]
        return None
    winner = find_dir(roots, directory.registry)
    return None if winner is None or winner.path == directory.path else winner
