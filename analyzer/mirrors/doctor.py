"""``coverage doctor``: the configuration traps people hit, each with file, line and the fix.

The readers (``hosts_dir``, ``hosts_toml``, ``legacy_cri``) say how containerd reads what is
there; the doctor looks for what a person meant and did not write, the questions that fill
containerd's and DaoCloud's issue trackers ("my mirror is ignored"):

- a registry folder whose ``hosts.toml`` is misnamed (``host.toml``, ``hosts.yaml`` ...):
  containerd reads only ``hosts.toml``, so the registry silently has no mirror (error);
- a registry folder with no ``hosts.toml`` and no certificates (warning);
- a mirror or ``server`` written without a scheme (warning: containerd assumes ``https``);
- a mirror without ``resolve``: tags are resolved upstream, the pull is partial (warning);
  ``hosts.toml`` is decoded and its keys matched as the chosen containerd version does
  (``--containerd-version``: go-toml v1 for 1.6/1.7, see go_toml_v1.py and toml_fields.py);
- a DaoCloud subdomain under another registry (``docker.m.daocloud.io`` in ``quay.io/``):
  each subdomain serves only its own registry (error);
- ``config.toml``: ``config_path`` together with CRI ``mirrors`` (error: the CRI plugin does
  not load), a registry section under the plugin key of the other containerd major version
  (ignored: error), and ``ctr`` not reading ``config_path`` at all (info);
- k3s/RKE2 ``registries.yaml``: an endpoint without a scheme (warning).
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

import yaml

from analyzer.mirrors import go_toml_v1
from analyzer.mirrors.embedded import daocloud_host_registries
from analyzer.mirrors.hosts_dir import DEFAULT_DIR, registry_of_directory
from analyzer.mirrors.legacy_cri import tls_config_host
from analyzer.mirrors.toml_fields import field_key
from analyzer.mirrors.toml_lines import TOMLDecodeError, loads, scan_layout
from analyzer.mirrors.versions import NEWEST, ContainerdVersion
from analyzer.model import Finding, Severity
from analyzer.nesting import TooDeep, deepest_yaml
from analyzer.redact import redact_url
from analyzer.regular_file import read_regular_file

#: names people give the file that containerd only reads as ``hosts.toml``
MISNAMED = (
    "host.toml",
    "Hosts.toml",
    "HOSTS.toml",
    "hosts.tml",
    "hosts.yaml",
    "hosts.yml",
    "hosts.toml.txt",
    "hosts.conf",
    "hosts.json",
    "config.toml",
)
_CERT_SUFFIXES = (".crt", ".cert", ".key", ".pem")
_V1_KEY = "io.containerd.grpc.v1.cri"
_V2_KEY = "io.containerd.cri.v1.images"


def _finding(
    file: str, line: int | None, severity: Severity, code: str, message: str, fix: str
) -> Finding:
    return Finding(file, line, message, severity=severity, code=code, fix=fix)


def diagnose(
    roots: Sequence[str],
    containerd_config: str | None = None,
    k3s_registries: str | None = None,
    version: ContainerdVersion = NEWEST,
    only: Collection[str] | None = None,
) -> tuple[Finding, ...]:
    """Every trap in the hosts roots, the containerd ``config.toml`` and a k3s/RKE2
    ``registries.yaml``, in file order; ``hosts.toml`` is decoded as containerd ``version``
    decodes it; in the roots, only the registry folders named in ``only`` when it is given
    (a scan looks at the folders its images may use)."""
    findings: list[Finding] = []
    for root in roots:
        findings.extend(_root(root, version, only))
    if containerd_config is not None:
        findings.extend(_containerd_config(containerd_config, bool(roots), version))
    if k3s_registries is not None:
        findings.extend(_k3s_registries(k3s_registries))
    return tuple(findings)


def _k3s_registries(path: str) -> Iterator[Finding]:
    """An endpoint without a scheme: k3s writes ``https://`` (``http://`` for a localhost
    address on a port other than 443, pkg/agent/containerd/config.go), which is rarely
    what a plain-HTTP mirror on the network wants."""
    try:
        text = read_regular_file(path)
        deepest_yaml(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError, TooDeep):
        return  # the registries.yaml reader reports why
    yield from _k3s_unknown_keys(path, root)
    mirrors = _yaml_get(root, "mirrors")
    if not isinstance(mirrors, yaml.MappingNode):
        return
    for key, entry in mirrors.value:
        endpoints = _yaml_get(entry, "endpoint")
        if not isinstance(endpoints, yaml.SequenceNode):
            continue
        for node in endpoints.value:
            value = node.value if isinstance(node, yaml.ScalarNode) else ""
            if value and "://" not in value:
                shown = redact_url(value)  # a password in the endpoint is never printed
                yield _finding(
                    path,
                    node.start_mark.line + 1,
                    "warning",
                    "no-scheme",
                    f"mirrors.{key.value}.endpoint {shown!r} has no scheme: k3s writes "
                    f"https://{shown} (http:// only for localhost on a port other than 443)",
                    f"write the scheme: https://{shown} (or http:// for a plain-HTTP mirror)",
                )


#: the keys of wharfie's ``Registry`` (k3s pkg/agent/containerd reads registries.yaml with
#: it): ``yaml.v2`` matches a key to its tag exactly, so any other spelling is skipped
_K3S_KEYS: dict[str, frozenset[str]] = {
    "": frozenset({"mirrors", "configs"}),
    "mirrors.*": frozenset({"endpoint", "rewrite"}),
    "configs.*": frozenset({"auth", "tls"}),
    "configs.*.auth": frozenset({"username", "password", "auth", "identity_token"}),
    "configs.*.tls": frozenset({"cert_file", "key_file", "ca_file", "insecure_skip_verify"}),
}


def _k3s_unknown_keys(path: str, root: yaml.Node | None, where: str = "") -> Iterator[Finding]:
    """A key k3s never reads (``Mirrors:``, ``endpoints:``): the mirror it meant is not
    configured, and nothing says so at k3s's start."""
    import difflib  # only for a registries.yaml

    if not isinstance(root, yaml.MappingNode):
        return
    known = _K3S_KEYS[where]
    for key, value in root.value:
        name = getattr(key, "value", None)
        if not isinstance(name, str):
            continue
        if name not in known:
            close = difflib.get_close_matches(name.lower(), sorted(known), n=1)
            shown = f"{where.replace('*', '<registry>')}.{name}".lstrip(".")
            yield _finding(
                path,
                key.start_mark.line + 1,
                "warning",
                "unknown-key",
                f"{shown!r} is not a registries.yaml key: k3s skips it without a word",
                f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(known))}",
            )
            continue
        inner = f"{where}.{name}".lstrip(".") if where else name
        if where == "" and isinstance(value, yaml.MappingNode):  # registries: any name
            for _, entry in value.value:
                yield from _k3s_unknown_keys(path, entry, f"{name}.*")
        elif inner in _K3S_KEYS:
            yield from _k3s_unknown_keys(path, value, inner)


def _yaml_get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if getattr(k, "value", None) == key), None)


def _listing(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return sorted(entries, key=lambda e: e.name)
    except OSError:
        return []  # the readers report unreadable roots and folders


def _root(
    root: str, version: ContainerdVersion, only: Collection[str] | None = None
) -> Iterator[Finding]:
    for entry in _listing(root):
        if only is not None and entry.name not in only:
            continue
        try:
            if not entry.is_dir():
                continue
        except OSError as exc:  # a symlink loop...: containerd's os.Stat of it fails
            yield _unusable_entry(entry.path, entry.name, exc)
            continue
        names = {e.name: e for e in _listing(entry.path)}
        hosts_toml = names.get("hosts.toml")
        if hosts_toml is not None and _is(hosts_toml, dir=False):
            yield from _hosts_toml(hosts_toml.path, entry.name, version)
            continue
        if hosts_toml is not None:
            continue  # a hosts.toml that is no regular file: the hosts_dir reader says so
        misnamed = [name for name in MISNAMED if name in names and _is(names[name], dir=False)]
        if misnamed:
            wrong = os.path.join(entry.path, misnamed[0])
            yield _finding(
                wrong,
                None,
                "error",
                "misnamed-hosts-file",
                f"containerd reads only hosts.toml, not {misnamed[0]}: "
                f"{_registry_label(entry.name)} has no mirror",
                f"rename it: mv {wrong} {os.path.join(entry.path, 'hosts.toml')}",
            )
        elif not any(name.endswith(_CERT_SUFFIXES) for name in names):
            yield _finding(
                entry.path,
                None,
                "warning",
                "no-hosts-file",
                f"a registry folder with no hosts.toml (and no certificates): "
                f"{_registry_label(entry.name)} is pulled from its upstream only",
                f"add {os.path.join(entry.path, 'hosts.toml')}, or remove the folder",
            )


def _unusable_entry(path: str, name: str, exc: OSError) -> Finding:
    label = _registry_label(name)
    return _finding(
        path,
        None,
        "error",
        "unreadable-registry-folder",
        f"containerd cannot stat it ({exc.strerror or exc}): every pull for {label} fails",
        f"remove it, or make it a directory: rm {shlex.quote(path)}",
    )


def _is(entry: os.DirEntry[str], *, dir: bool) -> bool:
    """``entry`` (followed) is a directory, or a regular file; False when it cannot be
    stat'ed (a symlink loop...)."""
    try:
        return entry.is_dir() if dir else entry.is_file()
    except OSError:
        return False


def _registry_label(directory: str) -> str:
    if directory == DEFAULT_DIR:
        return "every registry without a folder of its own"
    return registry_of_directory(directory)


def _read(path: str) -> tuple[str, dict[str, Any]] | None:
    try:
        text = read_regular_file(path).decode("utf-8-sig")
        return text, loads(text)
    except (OSError, UnicodeDecodeError, TOMLDecodeError):
        return None  # the hosts.toml reader reports why


def _read_hosts_toml(path: str, version: ContainerdVersion) -> tuple[str, dict[str, Any]] | None:
    """The text and document of a ``hosts.toml`` as ``version``'s TOML decoder reads it
    (go_toml_v1.py for 1.6/1.7), or None when it cannot (the hosts.toml reader says why)."""
    if not version.is_v1:
        return _read(path)
    try:
        text, _ = go_toml_v1.decode_bytes(read_regular_file(path))
        return text, go_toml_v1.load(text).doc
    except (OSError, go_toml_v1.GoTomlV1Error):
        return None


def _hosts_toml(path: str, directory: str, version: ContainerdVersion) -> Iterator[Finding]:
    read = _read_hosts_toml(path, version)
    if read is None:
        return
    text, doc = read
    layout = scan_layout(text)
    registry = registry_of_directory(directory)
    daocloud = daocloud_host_registries()
    server_key = field_key(doc, "server", version)
    server = doc.get(server_key) if server_key else None
    targets: list[tuple[str, tuple[str, ...], dict[str, Any] | None]] = []
    if isinstance(server, str):
        targets.append((server, ("server",), None))
    hosts = doc.get("host")
    if isinstance(hosts, dict):
        for url, table in hosts.items():
            targets.append((url, ("host", url), table if isinstance(table, dict) else {}))
    for url, key, table in targets:
        line = layout.line_of(key)
        shown = redact_url(url)  # a password in the URL is never printed
        what = "server" if table is None else f'[host."{shown}"]'
        if "://" not in url:
            yield _finding(
                path,
                line,
                "warning",
                "no-scheme",
                f"{what} {shown!r} has no scheme: containerd uses https://{shown}",
                f"write the scheme: https://{shown} (or http:// for a plain-HTTP mirror)",
            )
        host = _host_of(url)
        served = daocloud.get(host)
        # a folder named after the mirror itself (docker.m.daocloud.io/hosts.toml sending
        # docker.m.daocloud.io/library/nginx to https://docker.m.daocloud.io) is its own registry
        own = host == registry
        if served is not None and directory != DEFAULT_DIR and served != registry and not own:
            yield _finding(
                path,
                line,
                "error",
                "daocloud-wrong-registry",
                f"{host} serves only {served} images, but this folder is for {registry}: "
                f"every {registry} pull asks it for an image it does not have",
                _daocloud_fix(registry, daocloud),
            )
        elif served is not None and directory == DEFAULT_DIR:
            yield _finding(
                path,
                line,
                "error",
                "daocloud-wrong-registry",
                f"{host} serves only {served} images, but _default sends every registry's "
                "pulls to it",
                f"move it to a {served} folder and give each registry its own DaoCloud host",
            )
        # the key that fills the field for this version (CAPABILITIES in 1.6/1.7, any
        # spelling in 2.x: toml_fields.py); parseHostConfig lower-cases the values and reads
        # an empty list as every capability
        spelt = field_key(table, "capabilities", version) if table is not None else None
        capabilities = table.get(spelt) if table is not None and spelt else None
        if (
            isinstance(capabilities, list)
            and capabilities
            and all(isinstance(c, str) for c in capabilities)
            and "resolve" not in {c.lower() for c in capabilities}
        ):
            yield _finding(
                path,
                layout.line_of((*key, str(spelt))) or line,
                "warning",
                "mirror-without-resolve",
                f'{what} lacks "resolve": pulls by tag resolve the tag on the next host '
                "(usually the upstream), and only the content comes from this mirror",
                'capabilities = ["pull", "resolve"]',
            )


def _host_of(url: str) -> str:
    rest = url.split("://", 1)[1] if "://" in url else url
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1].lower()
    return host[:-4] if host.endswith(":443") else host


def _daocloud_fix(registry: str, daocloud: Mapping[str, str]) -> str:
    own = next((mirror for mirror, served in daocloud.items() if served == registry), None)
    if own is not None:
        return f"use https://{own}, the DaoCloud host for {registry}"
    return f"DaoCloud has no subdomain for {registry}: remove this host"


def _containerd_config(
    path: str, has_roots: bool, containerd: ContainerdVersion
) -> Iterator[Finding]:
    read = _read(path)
    if read is None:
        return
    text, doc = read
    layout = scan_layout(text)
    plugins = doc.get("plugins")
    if not isinstance(plugins, dict):
        return
    version = doc.get("version", 1)
    for key in (_V1_KEY, _V2_KEY):
        plugin = plugins.get(key)
        if not isinstance(plugin, dict) or not isinstance(plugin.get("registry"), dict):
            continue
        registry = plugin["registry"]
        line = layout.line_of(("plugins", key, "registry"))
        if key == _V1_KEY and containerd.is_v1 and isinstance(version, int) and version <= 1:
            # containerd 1.x: Decode keys a version-1 file's sections by plugin ID (cri);
            # 2.x migrates such a file and keeps a key that is already a URI
            # (cmd/containerd/server/config/config.go v2.0.0 v1MigratePluginName)
            yield _finding(
                path,
                line,
                "error",
                "plugin-key-version",
                "the file has no `version = 2`: containerd 1.x reads it as version 1, whose "
                f'plugin sections are named by ID ([plugins.cri]), and ignores [plugins."{_V1_KEY}"'
                ".registry]",
                "add `version = 2` at the top of the file",
            )
        elif key == _V1_KEY and version == 3:
            yield _finding(
                path,
                line,
                "error",
                "plugin-key-version",
                f'version = 3 is containerd 2.x, which ignores [plugins."{_V1_KEY}".registry]',
                f'move the section to [plugins."{_V2_KEY}".registry]',
            )
        elif key == _V2_KEY and version != 3:
            yield _finding(
                path,
                line,
                "error",
                "plugin-key-version",
                f"version = {version} is containerd 1.x's layout, and 1.x ignores "
                f'[plugins."{_V2_KEY}".registry]',
                f'on containerd 1.x use [plugins."{_V1_KEY}".registry] with version = 2; on '
                "2.x set version = 3",
            )
        if registry.get("config_path") and registry.get("mirrors"):
            yield _finding(
                path,
                layout.line_of(("plugins", key, "registry", "mirrors")) or line,
                "error",
                "config-path-and-mirrors",
                "config_path and mirrors together stop containerd's CRI plugin from loading: "
                "the kubelet cannot pull at all",
                "move each mirror into <config_path>/<registry>/hosts.toml and delete mirrors",
            )
        tls_host = tls_config_host(registry.get("configs"))
        # containerd 1.x only (pkg/cri/config/config.go v1.6.20 ValidatePluginConfig); 2.x's
        # ValidateImageConfig only warns that configs are deprecated
        if containerd.is_v1 and registry.get("config_path") and tls_host is not None:
            yield _finding(
                path,
                layout.line_of(("plugins", key, "registry", "configs", tls_host, "tls")) or line,
                "error",
                "config-path-and-tls",
                "configs.tls and config_path together stop containerd's CRI plugin from "
                "loading: the kubelet cannot pull at all",
                "move each registry's TLS settings into <config_path>/<registry>/hosts.toml "
                "(ca, client, skip_verify) and delete configs.<registry>.tls",
            )
        if registry.get("config_path") or has_roots:
            yield _finding(
                path,
                layout.line_of(("plugins", key, "registry", "config_path")) or line,
                "info",
                "ctr-ignores-config-path",
                "ctr does not read config_path: `ctr image pull` goes to the upstream",
                "test with `crictl pull IMAGE`, or `ctr image pull --hosts-dir "
                f"{registry.get('config_path') or '/etc/containerd/certs.d'} IMAGE`",
            )
