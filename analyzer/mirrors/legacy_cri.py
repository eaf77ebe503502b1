"""containerd's ``config.toml``: ``config_path`` and the deprecated CRI ``registry.mirrors``.

Plugin sections read: ``io.containerd.grpc.v1.cri`` (config version 2, containerd 1.x),
``cri`` (version 1) and ``io.containerd.cri.v1.images`` (version 3, containerd 2.x).

Legacy mirrors (``registryEndpoints``/``registryHosts`` in CRI's image_pull.go):
``mirrors[registry]`` if present, else ``mirrors["*"]``; an endpoint without a scheme gets
``https://`` (``http://`` for localhost); every endpoint gets pull+resolve; an empty path is
``/v2``, any other path is used as written (no ``/v2`` added: ``…/custom`` asks
``/custom/<repository>/…``, and ``https://host/`` asks ``/<repository>/…``), exactly as a
hosts.toml host with ``override_path = true``; the registry's default host
is appended unless an endpoint's host is the registry name itself. Setting both ``mirrors``
and ``config_path`` stops the CRI plugin from loading, and so does a
``configs.<registry>.tls`` table with ``config_path`` (1.x): reported as an error, and the
file's ``stopped`` says why no pull works (every image is blocked, ``StoppedRuntime``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from analyzer.mirrors.containerd_imports import has_registry, load_with_imports
from analyzer.mirrors.errors import read_config_text
from analyzer.mirrors.go_url import GoURLError, go_url_parse
from analyzer.mirrors.hosts_toml import outside_api_warning, url_path
from analyzer.mirrors.toml_lines import TOMLDecodeError, loads, scan_layout, syntax_error_line
from analyzer.mirrors.upstream import (
    default_host_name,
    default_scheme,
    is_localhost,
    is_real_upstream,
)
from analyzer.mirrors.url_userinfo import (
    credentials_warning,
    redact,
    redacted,
    userinfo,
)
from analyzer.mirrors.versions import NEWEST, ContainerdVersion
from analyzer.model import PULL_RESOLVE, ConfigError, Host

PLUGIN_NAMES = ("io.containerd.grpc.v1.cri", "cri", "io.containerd.cri.v1.images")
V1_PLUGIN = "cri"  # the CRI plugin's ID: its section in a version-1 file (containerd 1.x)
V2_PLUGIN = "io.containerd.grpc.v1.cri"  # its URI: its section from version 2 (1.x)
#: containerd 2.2+'s default ``config_path`` on Linux when neither it nor mirrors is set
V2_DEFAULT_CONFIG_PATH = "/etc/containerd/certs.d:/etc/docker/certs.d"
WILDCARD = "*"


@dataclass(frozen=True)
class ContainerdConfig:
    """What a ``config.toml`` says about registries."""

    file: str
    config_path: str | None = None  # as written (``:``-separated roots)
    config_path_line: int | None = None
    mirrors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # registry -> endpoints
    errors: tuple[ConfigError, ...] = ()
    warnings: tuple[str, ...] = ()
    #: why no pull works on a node with this file (containerd or its CRI plugin does not
    #: start), or None: every image is then blocked (``StoppedRuntime``)
    stopped: str | None = None


def _registry_section(
    doc: dict[str, Any], names: tuple[str, ...] = PLUGIN_NAMES
) -> tuple[str, tuple[str, ...], Any] | None:
    plugins = doc.get("plugins")
    if not isinstance(plugins, dict):
        return None
    for name in names:
        plugin = plugins.get(name)
        if isinstance(plugin, dict) and isinstance(plugin.get("registry"), dict):
            return name, ("plugins", name, "registry"), plugin["registry"]
    return None


def _v1_plugin_names(
    doc: dict[str, Any],
    path: str,
    line_of: Callable[[Sequence[str]], int | None],
    version: ContainerdVersion,
) -> tuple[tuple[str, ...], list[ConfigError], bool]:
    """The CRI plugin sections containerd ``version`` reads, why others are not read, and
    whether containerd refuses to start with the file.

    containerd 1.x keys a plugin's section by its ID (``cri``) in a file without ``version``
    or with ``version = 1``, by its URI (``io.containerd.grpc.v1.cri``) from ``version = 2``
    (services/server/config/config.go v1.6.20 ``Decode``: ``if c.GetVersion() == 1 { id =
    p.ID }``; ``GetVersion`` counts a missing version as 1); from version 2 ``ValidateV2``
    refuses a plugin key of fewer than four dotted parts and containerd does not start.
    Proven against 1.6.20 (tests/integration/test_containerd_config_version.py). containerd
    2.x migrates old files; its rules are not modelled here (every section is read).
    """
    plugins = doc.get("plugins")
    declared = doc.get("version", 1)
    if (
        not version.is_v1
        or not isinstance(plugins, dict)
        or not isinstance(declared, int)
        or isinstance(declared, bool)
    ):
        return PLUGIN_NAMES, [], False
    if declared <= 1:
        return (
            (V1_PLUGIN,),
            [
                ConfigError(
                    path,
                    line_of(("plugins", name, "registry")),
                    f'[plugins."{name}".registry] is not read by containerd {version}: the file '
                    "has no `version = 2`, so its plugin sections are named by ID "
                    f"([plugins.{V1_PLUGIN}]); its config_path and mirrors are ignored (add "
                    "`version = 2` at the top)",
                )
                for name in PLUGIN_NAMES
                if name != V1_PLUGIN and has_registry(plugins.get(name))
            ],
            False,
        )
    errors = [
        ConfigError(
            path,
            line_of(("plugins", key)),
            f'invalid plugin key URI "{key}" expect io.containerd.x.vx: containerd {version} '
            f"does not start with this file (version = {declared}), so no pull works",
        )
        for key in plugins
        if len(key.split(".")) < 4
    ]
    return (V2_PLUGIN,), errors, bool(errors)


def read_containerd_config(path: str, version: ContainerdVersion = NEWEST) -> ContainerdConfig:
    """Read ``path``; unreadable or malformed files give a ``ConfigError``, never a raise."""
    text = read_config_text(path)
    if isinstance(text, ConfigError):
        return ContainerdConfig(path, errors=(text,))
    return parse_containerd_config(text, path, version)


def parse_containerd_config(
    text: str, path: str, version: ContainerdVersion = NEWEST
) -> ContainerdConfig:
    try:
        doc = loads(text)
    except TOMLDecodeError as exc:
        return ContainerdConfig(
            path,
            errors=(ConfigError(path, syntax_error_line(exc, text), f"not valid TOML: {exc}"),),
        )
    loaded = load_with_imports(path, doc, scan_layout(text).line_of, version.is_v1)
    names, _, _ = _v1_plugin_names(loaded.doc, path, lambda _: None, version)
    section = _registry_section(loaded.doc, names)
    # the file whose CRI section is in effect names the errors (an import may replace it)
    source, line_of = loaded.origins.get(section[0] if section else "", (path, None))
    parsed = containerd_config_from_doc(
        loaded.doc, source, line_of or scan_layout(text).line_of, version
    )
    return replace(
        parsed,
        errors=(*loaded.errors, *parsed.errors),
        warnings=(*loaded.warnings, *parsed.warnings),
        stopped=(
            loaded.errors[0].message.removesuffix(", so no pull works")
            if loaded.errors
            else parsed.stopped
        ),
    )


def containerd_config_from_doc(
    doc: dict[str, Any],
    path: str,
    line_of: Callable[[Sequence[str]], int | None],
    version: ContainerdVersion = NEWEST,
) -> ContainerdConfig:
    """What a parsed ``config.toml`` says to containerd ``version``; ``line_of`` gives the
    line of a key path (a ``config.toml`` merged from other files, such as kind's patches,
    names their lines)."""
    names, errors, refused = _v1_plugin_names(doc, path, line_of, version)
    stopped = (
        f"containerd does not start with {path}: {errors[0].message.partition(':')[0]}"
        if refused
        else None
    )
    section = _registry_section(doc, names)
    if section is None:
        return ContainerdConfig(
            path,
            errors=tuple(errors),
            stopped=stopped,
            warnings=(
                f"{path}: no registry section: containerd 1.x uses no hosts directory and no "
                f"mirrors; containerd 2.2+ reads {V2_DEFAULT_CONFIG_PATH}",
            ),
        )
    plugin, where, registry = section
    warnings: list[str] = []

    config_path = registry.get("config_path")
    if config_path is not None and not isinstance(config_path, str):
        errors.append(
            ConfigError(path, line_of((*where, "config_path")), "config_path must be a string")
        )
        config_path = None
    mirrors: dict[str, tuple[str, ...]] = {}
    raw_mirrors = registry.get("mirrors", {})
    if not isinstance(raw_mirrors, dict):
        errors.append(
            ConfigError(path, line_of((*where, "mirrors")), "registry.mirrors must be a table")
        )
        raw_mirrors = {}
    for name, entry in raw_mirrors.items():
        endpoints = entry.get("endpoint", []) if isinstance(entry, dict) else None
        if not isinstance(endpoints, list) or not all(isinstance(e, str) for e in endpoints):
            errors.append(
                ConfigError(
                    path,
                    line_of((*where, "mirrors", name)),
                    f'mirrors."{name}".endpoint must be an array of strings',
                )
            )
            continue
        mirrors[name] = tuple(endpoints)
    if mirrors:
        warnings.append(
            f"{path}: registry.mirrors is deprecated since containerd 1.5 "
            "(removed in 2.4): use config_path and hosts.toml"
        )
    if mirrors and config_path:
        errors.append(
            ConfigError(
                path,
                line_of((*where, "mirrors")),
                "`mirrors` cannot be set when `config_path` is provided: containerd's CRI plugin "
                "refuses to load (kubelet cannot pull at all); every image is blocked until "
                "one of them is removed",
            )
        )
        stopped = stopped or (
            f"its CRI plugin does not load: `mirrors` and `config_path` are both set in {path}"
        )
        mirrors = {}
    tls_host = tls_config_host(registry.get("configs"))
    if version.is_v1 and config_path and tls_host is not None:
        # ValidatePluginConfig (pkg/cri/config/config.go, v1.6.20): a TLS table at all;
        # containerd 2.x (internal/cri/config ValidateImageConfig) has no such rule
        errors.append(
            ConfigError(
                path,
                line_of((*where, "configs", tls_host, "tls")),
                "`configs.tls` cannot be set when `config_path` is provided: containerd's CRI "
                "plugin refuses to load (kubelet cannot pull at all); put the TLS settings in "
                f"<config_path>/{tls_host}/hosts.toml (ca, client, skip_verify)",
            )
        )
        stopped = stopped or (
            f"its CRI plugin does not load: `configs.{tls_host}.tls` and `config_path` are "
            f"both set in {path}"
        )
    if config_path is None and not mirrors:
        warnings.append(
            f'{path}: [plugins."{plugin}".registry] sets neither config_path '
            "nor mirrors: containerd 1.x uses no mirrors; containerd 2.2+ reads "
            f"{V2_DEFAULT_CONFIG_PATH}"
        )
    return ContainerdConfig(
        path,
        config_path=config_path,
        config_path_line=line_of((*where, "config_path")),
        mirrors=mirrors,
        errors=tuple(errors),
        warnings=tuple(warnings),
        stopped=stopped,
    )


def tls_config_host(configs: Any) -> str | None:
    """The first registry of ``registry.configs`` with a ``tls`` table, or None."""
    if not isinstance(configs, dict):
        return None
    return next(
        (name for name, entry in configs.items() if isinstance(entry, dict) and "tls" in entry),
        None,
    )


def endpoints_for(mirrors: Mapping[str, tuple[str, ...]], registry: str) -> tuple[str, ...] | None:
    """The endpoint list CRI uses for ``registry``: its own entry, else ``*``; None if neither."""
    if registry in mirrors:
        return mirrors[registry]
    return mirrors.get(WILDCARD)


def _with_scheme(endpoint: str) -> str:
    """``addDefaultScheme`` (pkg/cri/server/image_pull.go, v1.6.20); raises ``GoURLError``."""
    if "://" in endpoint:
        return endpoint
    host = go_url_parse("dummy://" + endpoint).host
    return f"{'http' if is_localhost(host) else 'https'}://{endpoint}"


def legacy_hosts(
    registry: str, endpoints: tuple[str, ...]
) -> tuple[tuple[Host, ...], list[str], str | None]:
    """``registryEndpoints`` + ``registryHosts`` (pkg/cri/server/image_pull.go, v1.6.20): the
    hosts, any endpoint problems, and why every pull fails (an endpoint Go's ``url.Parse``
    refuses makes ``registryEndpoints`` return an error: no fallback), or None."""
    hosts: list[Host] = []
    problems: list[str] = []
    append_default = True
    for endpoint in endpoints:
        try:
            parts = go_url_parse(_with_scheme(endpoint))
        except GoURLError as exc:
            return (
                (),
                problems,
                (f"cannot parse endpoint {redacted(endpoint)!r}: {redact(str(exc), (endpoint,))}"),
            )
        netloc = parts.host  # registryHosts keeps u.Host
        if userinfo(endpoint):
            problems.append(credentials_warning(f"legacy CRI endpoint {redacted(endpoint)}"))
        if netloc == registry:
            append_default = False
        # registryHosts: Path = u.Path, "/v2" only when empty; requests path.Join it
        path = url_path(parts.path, override_path=True) if parts.path else "/v2"
        unusable = parts.request_problem()
        host = Host(
            scheme=parts.scheme,
            host=netloc,
            path=path,
            capabilities=PULL_RESOLVE,
            is_upstream=unusable is None and is_real_upstream(registry, netloc) and path == "/v2",
            override_path=bool(parts.path),
            unusable=unusable,
        )
        hosts.append(host)
        warning = outside_api_warning(
            endpoint,
            host,
            "a legacy CRI endpoint's path is used as written (containerd adds "
            "no /v2, as with override_path = true)",
        )
        if warning:
            problems.append(warning)
        if unusable is not None:
            problems.append(
                f"legacy CRI endpoint {redacted(endpoint)!r}: every request to it fails "
                f"({unusable}): it serves nothing and the next endpoint is tried"
            )
    if append_default:
        name = default_host_name(registry)
        hosts.append(
            Host(
                scheme=default_scheme(name),
                host=name,
                path="/v2",
                capabilities=PULL_RESOLVE,
                is_server=True,
                is_upstream=True,
            )
        )
    return tuple(hosts), problems, None
