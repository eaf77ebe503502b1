"""Hosts directories (containerd's ``config_path``): which ``<root>/<dir>`` a registry uses.

``HostDirFromRoot`` tries, in each root in order, ``<host>_<port>_`` (only for a registry
with a port), the registry name as written, then ``_default``; the first that exists wins,
with no merging, and a ``_default`` in an earlier root beats a specific directory in a later
one (CRI's ``hostDirFromRoots``). ``scan_root`` reads every directory once, up front, so
configuration errors are reported even for registries no image uses; given ``only`` (the
candidate names of the registries a scan's images use, see ``candidate_names``) it reads
those and lists the rest as ``unread``: a directory read later, if a lookup ever needs one,
follows the same rules (``HostsRoot.entry``).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from analyzer.mirrors.certificates import ca_problem, key_pair_problem
from analyzer.mirrors.hosts_toml import FATAL_CONSEQUENCE as FATAL_CONSEQUENCE
from analyzer.mirrors.hosts_toml import UNCHECKED_CONSEQUENCE as UNCHECKED_CONSEQUENCE
from analyzer.mirrors.hosts_toml import HostsFile, TlsFile, decode_hosts_toml
from analyzer.mirrors.upstream import upstream_host
from analyzer.mirrors.versions import NEWEST, ContainerdVersion
from analyzer.model import ConfigError, Host
from analyzer.regular_file import UNREADABLE_HERE, read_problem, read_regular_file

DEFAULT_DIR = "_default"
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


def candidate_names(registries: Iterable[str]) -> frozenset[str]:
    """Every directory name containerd may try for ``registries`` (``_default`` included)."""
    return frozenset(name for registry in registries for name in candidates(registry)) | {
        DEFAULT_DIR
    }


def registry_of_directory(name: str) -> str:
    """The registry a directory name serves: ``myreg_5000_`` -> ``myreg:5000``."""
    match = _PORT_DIR_RE.match(name)
    return f"{match.group(1)}:{match.group(2)}" if match else name


@dataclass(frozen=True)
class HostsDir:
    """One ``<root>/<name>`` entry containerd's ``os.Stat`` finds, and its ``hosts.toml``
    (None: none, or empty). ``fatal`` lists why containerd fails every pull that uses it: the
    entry or its ``hosts.toml`` cannot be read, or a certificate cannot be loaded."""

    root: str
    name: str
    path: str
    file: HostsFile | None
    fatal: tuple[ConfigError, ...] = ()
    is_dir: bool = True

    @property
    def registry(self) -> str:
        return registry_of_directory(self.name)

    def hosts_for(self, registry: str) -> tuple[Host, ...]:
        if self.file is None or self.file.rejected:  # certificates only: the default host
            return (upstream_host(registry),)
        return self.file.hosts_for(registry)


@dataclass(frozen=True)
class HostsRoot:
    """One ``config_path`` root and the entries found in it, by name.

    ``problem`` says why the root cannot be read ("does not exist", "is not a directory",
    ...; None when it can); ``blocks`` is true when that problem is one containerd's
    ``os.Stat`` of ``<root>/<candidate>`` fails on with an error other than "does not exist"
    (every pull then fails); ``own_hosts_toml`` is true when the root holds a ``hosts.toml``
    itself, i.e. a registry directory was given in place of the root.
    """

    path: str
    exists: bool
    dirs: Mapping[str, HostsDir]  # the entries read
    problem: str | None = None
    own_hosts_toml: bool = False
    blocks: bool = False
    # entries present and not read (``scan_root``'s ``only``), and the rules to read them by
    unread: frozenset[str] = frozenset()
    unread_files: frozenset[str] = frozenset()  # those of ``unread`` that are plain files
    version: ContainerdVersion = NEWEST
    _late: dict[str, HostsDir | None] = field(default_factory=dict, compare=False, repr=False)

    def entry(self, name: str) -> HostsDir | None:
        """The entry ``name`` as containerd finds it: read up front, or now (once) when it
        is one of the entries not read; None when there is none."""
        found = self.dirs.get(name)
        if found is not None or name not in self.unread:
            return found
        if name not in self._late:
            self._late[name] = _read_dir(self.path, name, self.version)
        return self._late[name]


def _fatal(path: str, line: int | None, why: str) -> ConfigError:
    if UNREADABLE_HERE in why:  # containerd, as root, may read it: its outcome is unknown
        return ConfigError(path, line, why + UNCHECKED_CONSEQUENCE)
    return ConfigError(path, line, why + FATAL_CONSEQUENCE)


def _read_dir(root: str, name: str, version: ContainerdVersion) -> HostsDir | None:
    """``HostDirFromRoot`` + ``loadHostDir`` (hosts.go, v1.6.20 and 2.x) for one entry:
    None when ``os.Stat`` says it does not exist (a dangling link); any other stat or read
    error fails every pull that lands here (v1.6.20 ``HostDirFromRoot``: ``!os.IsNotExist``
    returns the error; ``loadHostDir``: the same for ``os.ReadFile`` of ``hosts.toml``)."""
    path = os.path.join(root, name)
    try:
        is_dir = stat.S_ISDIR(os.stat(path).st_mode)
    except FileNotFoundError:
        return None
    except OSError as exc:  # a symlink loop, a permission error...: not a usable directory
        problem = _fatal(path, None, _oserror("stat", exc))
        return HostsDir(root, name, path, None, (problem,), is_dir=False)
    toml_path = os.path.join(path, "hosts.toml")
    try:
        data = read_regular_file(toml_path)
    except FileNotFoundError:
        return HostsDir(root, name, path, None, _certs_d_problems(path), is_dir)
    except OSError as exc:
        unreadable = _fatal(toml_path, None, _oserror("read", exc))
        return HostsDir(root, name, path, None, (unreadable,), is_dir)
    if not data:  # len(b) == 0: the certs.d layout
        return HostsDir(root, name, path, None, _certs_d_problems(path))
    file = check_tls_files(decode_hosts_toml(data, toml_path, version), path)
    fatal = _certs_d_problems(path) if file.rejected else ()
    return HostsDir(root, name, path, file, fatal)


def fatal_reason(error: ConfigError) -> str:
    """``error`` as ``RegistryHosts.fatal``: what went wrong, without its consequence (the
    route says that)."""
    return str(error).removesuffix(FATAL_CONSEQUENCE).removesuffix(UNCHECKED_CONSEQUENCE)


def _oserror(action: str, exc: OSError) -> str:
    return f"{action} {exc.filename or ''}: {read_problem(exc)}".replace(" :", ":")


def _certs_d_problems(directory: str) -> tuple[ConfigError, ...]:
    """``loadCertFiles`` (hosts.go, v1.6.20 and 2.x), used when ``hosts.toml`` is missing,
    empty or rejected: Docker's certs.d layout, ``*.crt`` as CAs and ``*.cert`` with the
    ``*.key`` of the same name as client pairs, each loaded by ``ConfigureHosts``."""
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return ()
    except OSError as exc:
        return (_fatal(directory, None, _oserror("read directory", exc)),)
    problems: list[ConfigError] = []
    for name in names:
        full = os.path.join(directory, name)
        if os.path.isdir(full) and not os.path.islink(full):
            continue  # DirEntry.IsDir: a link to a directory counts as a file
        if name.endswith(".crt"):
            problem = ca_problem(full)
        elif name.endswith(".cert"):
            key = full[: -len(".cert")] + ".key"
            problem = key_pair_problem(full, key if os.path.lexists(key) else None)
        else:
            continue
        if problem:
            problems.append(_fatal(full, None, f"certs.d layout: {problem}"))
    return tuple(problems)


def _tls_problem(tls: TlsFile, directory: str, toml_path: str) -> ConfigError | None:
    """``makeAbsPath`` + ``ConfigureHosts``: the file is read and parsed (certificates.py)."""
    full = tls.path if os.path.isabs(tls.path) else os.path.join(directory, tls.path)
    key = None
    if tls.key_path is not None:
        key = tls.key_path if os.path.isabs(tls.key_path) else os.path.join(directory, tls.key_path)
    problem = ca_problem(full) if tls.key == "ca" else key_pair_problem(full, key)
    if problem is None:
        return None
    return _fatal(toml_path, tls.line, f"{tls.owner}: {tls.key}: {problem}")


def check_tls_files(file: HostsFile, directory: str) -> HostsFile:
    """Fill in ``fatal`` for every ``ca``/``client`` file containerd could not load (only
    for a file containerd accepts: a rejected one falls back to the certs.d layout)."""
    if file.rejected:
        return file
    fatal = [p for p in (_tls_problem(t, directory, file.path) for t in file.tls_files) if p]
    return replace(file, fatal=tuple(dict.fromkeys(fatal))) if fatal else file


def scan_root(
    root: str, version: ContainerdVersion = NEWEST, only: Collection[str] | None = None
) -> HostsRoot:
    """Read every registry entry under ``root`` as containerd ``version`` does, or only the
    entries named in ``only`` (the others are listed as ``unread``)."""
    try:
        with os.scandir(root) as entries:
            listed = [(entry.name, _entry_is_dir(entry)) for entry in entries]
    except FileNotFoundError:
        return HostsRoot(root, False, {}, problem="does not exist")
    except NotADirectoryError:
        return HostsRoot(root, False, {}, problem="is not a directory", blocks=True)
    except OSError as exc:
        return HostsRoot(
            root, False, {}, problem=f"cannot be read: {exc.strerror or exc}", blocks=True
        )
    own = any(name == "hosts.toml" and is_dir is False for name, is_dir in listed)
    names = sorted(name for name, _ in listed)
    unread = frozenset(() if only is None else (n for n in names if n not in only))
    files = frozenset(name for name, is_dir in listed if name in unread and is_dir is False)
    found = {name: _read_dir(root, name, version) for name in names if name not in unread}
    return HostsRoot(
        root,
        True,
        {n: d for n, d in found.items() if d is not None},
        own_hosts_toml=own,
        unread=unread,
        unread_files=files,
        version=version,
    )


def _entry_is_dir(entry: os.DirEntry[str]) -> bool | None:
    """Whether the entry (followed) is a directory; None when it cannot be stat'ed (a
    symlink loop...): only containerd's ``os.Stat`` of a candidate name fails on that, so
    one bad entry never makes the whole root unreadable (``_read_dir`` reports it)."""
    try:
        return entry.is_dir()
    except OSError:
        return None


def find_dir(roots: Sequence[HostsRoot], registry: str) -> HostsDir | None:
    """``hostDirFromRoots``: the directory containerd uses for ``registry``, or None. A root
    whose entries cannot be stat'ed stops the search with an error (every pull fails)."""
    names = candidates(registry)
    for root in roots:
        if root.blocks:
            path = os.path.join(root.path, names[0])
            why = f"stat {path}: the hosts directory {root.problem}"
            return HostsDir(root.path, names[0], path, None, (_fatal(root.path, None, why),))
        for name in names:
            found = root.entry(name)
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
