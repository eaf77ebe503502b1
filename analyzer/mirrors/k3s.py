"""k3s and RKE2 ``registries.yaml`` as the hosts directory k3s writes from it.

Followed from k3s-io/k3s ``pkg/agent/containerd/config.go`` at commit 06ea261
(``getHostConfigs``, ``normalizeEndpointAddress``, ``defaultHostConfig``,
``configForHost``, ``endpointHasConfig``) and its ``config_test.go``:

- one ``certs.d/<key>/hosts.toml`` per ``mirrors`` or ``configs`` key, named as written;
  ``*`` becomes ``_default``; a key left with no endpoint and a default endpoint without
  TLS, auth, rewrite or override writes nothing (``mirrors: {docker.io: }``);
- endpoints become ``[host."URL"]`` tables in order with ``capabilities = ["pull",
  "resolve"]``; a URL seen before (after normalisation) is dropped; if the last endpoint
  is the default endpoint, it becomes the ``server`` instead;
- endpoint URLs: no scheme means ``http`` for localhost/loopback on a port other than 443,
  else ``https``; ``docker.io`` means ``registry-1.docker.io``; a path of ``""``, ``/`` or
  ``/v2`` becomes ``/v2``, any other path is used as written (``override_path = true``);
- the default endpoint (the key itself; ``registry-1.docker.io`` for ``docker.io``) is the
  ``server``, tried last, without rewrites; with ``--disable-default-registry-endpoint`` it
  is left out for keys that are only under ``mirrors`` (k3s's containerd then never falls
  back); for ``*`` there is no ``server`` line, so each registry's own host is last;
- ``rewrite`` (regex -> replacement on the repository) is copied to every endpoint;
  ``configs[<endpoint host>].tls`` becomes ``ca``/``client``/``skip_verify``; ``auth`` goes
  into containerd's ``config.toml``, never into hosts.toml, and is never printed here.

When ``*`` is in both ``configs`` and ``mirrors``, the ``mirrors`` entry replaces the
default endpoint and the wildcard's TLS settings are lost (read from the code).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from analyzer.mirrors.errors import read_config_text
from analyzer.mirrors.hosts_dir import check_tls_files, fatal_reason
from analyzer.mirrors.hosts_toml import HostsFile, parse_hosts_toml
from analyzer.mirrors.upstream import DOCKER_HUB, DOCKER_HUB_HOST, is_localhost
from analyzer.mirrors.url_userinfo import redact, redacted, strip_userinfo
from analyzer.mirrors.versions import NEWEST, ContainerdVersion
from analyzer.model import ConfigError, RegistryHosts
from analyzer.nesting import TooDeep, deepest_yaml
from analyzer.reference import ImageRef

WILDCARD = "*"
DEFAULT_DIR = "_default"
HOSTS_ROOT = {
    "k3s": "/var/lib/rancher/k3s/agent/etc/containerd/certs.d",
    "rke2": "/var/lib/rancher/rke2/agent/etc/containerd/certs.d",
}
REGISTRIES_YAML = {
    "k3s": "/etc/rancher/k3s/registries.yaml",
    "rke2": "/etc/rancher/rke2/registries.yaml",
}


@dataclass(frozen=True)
class Endpoint:
    """One endpoint as k3s normalises it."""

    url: str  # scheme://host[:port]/path ("" for the wildcard's default)
    registry: str  # the host the configs are looked up by
    override_path: bool = False
    tls: Mapping[str, Any] = field(default_factory=dict)
    has_auth: bool = False
    rewrites: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class HostConfig:
    """What k3s writes for one key: the default endpoint (``None``: disabled) and the
    mirror endpoints."""

    key: str  # directory name: the key as written, "_default" for "*"
    default: Endpoint | None
    endpoints: tuple[Endpoint, ...] = ()


def normalize_endpoint(endpoint: str) -> tuple[str, str, bool] | str:
    """``normalizeEndpointAddress``: (registry, URL, override_path), or why it is invalid."""
    text = endpoint if "://" in endpoint else "//" + endpoint
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        return f"cannot parse {redacted(endpoint)!r}: {redact(str(exc), (endpoint,))}"
    host = strip_userinfo(parts.netloc)
    scheme = parts.scheme
    if not scheme:
        odd_port = port is not None and port != 443
        scheme = "http" if is_localhost(host) and odd_port else "https"
    registry = host
    host = DOCKER_HUB_HOST if host == DOCKER_HUB else host
    if host == DOCKER_HUB_HOST:
        registry = DOCKER_HUB
    if parts.path in ("", "/", "/v2"):
        return registry, f"{scheme}://{host}/v2", False
    # a password cut at its "#", "?" or "/" leaves a piece in the path: hide it there
    return registry, f"{scheme}://{host}{redact(parts.path, (endpoint,))}", True


def _config_for(configs: Mapping[str, Any], host: str) -> Mapping[str, Any]:
    """``configForHost``: the config under docker.io's default host name first."""
    default = DOCKER_HUB_HOST if host == DOCKER_HUB else host
    if default != host and isinstance(configs.get(default), dict):
        return dict(configs[default])
    found = configs.get(host)
    return dict(found) if isinstance(found, dict) else {}


def _endpoint(url: str, registry: str, config: Mapping[str, Any], **extra: Any) -> Endpoint:
    tls = config.get("tls")
    return Endpoint(
        url,
        registry,
        tls=dict(tls) if isinstance(tls, dict) else {},
        has_auth=isinstance(config.get("auth"), dict),
        **extra,
    )


def _default_config(key: str, config: Mapping[str, Any]) -> Endpoint | str:
    """``defaultHostConfig``: the key's own endpoint (no URL for ``*``)."""
    normal = normalize_endpoint(key)
    if isinstance(normal, str):
        return f"invalid registry name {key!r}: {normal}"
    return _endpoint("" if key == WILDCARD else normal[1], normal[0], config)


def _has_config(endpoint: Endpoint | None) -> bool:
    """``endpointHasConfig``."""
    if endpoint is None:
        return False
    return (
        endpoint.override_path or endpoint.has_auth or bool(endpoint.tls) or bool(endpoint.rewrites)
    )


def host_configs(
    doc: Mapping[str, Any], no_default_endpoint: bool
) -> tuple[dict[str, HostConfig], list[str]]:
    """``getHostConfigs``: what k3s writes, per directory, and the warnings it logs."""
    configs = doc.get("configs") or {}
    mirrors = doc.get("mirrors") or {}
    warnings: list[str] = []
    hosts: dict[str, HostConfig] = {}
    for key, config in configs.items():
        default = _default_config(key, config if isinstance(config, dict) else {})
        if isinstance(default, str):
            warnings.append(f"configs: {default}; k3s skips it")
            continue
        name = DEFAULT_DIR if key == WILDCARD else key
        hosts[name] = HostConfig(name, default)
    for key, mirror in mirrors.items():
        found = hosts.get(key)  # k3s looks "*" up as "*": a wildcard config is not found
        if found is None:
            default = _default_config(key, _config_for(configs, key))
            if isinstance(default, str):
                warnings.append(f"mirrors: {default}; k3s skips it")
                continue
            if no_default_endpoint:
                found = HostConfig(key, None)
            elif key == WILDCARD:
                found = HostConfig(key, Endpoint("", ""))
            else:
                found = HostConfig(key, default)
        endpoints, server = _endpoints(key, mirror or {}, configs, found.default, warnings)
        name = DEFAULT_DIR if key == WILDCARD else key
        hosts[name] = HostConfig(name, server, found.endpoints + endpoints)
    kept = {k: v for k, v in hosts.items() if v.endpoints or _has_config(v.default)}
    return kept, warnings


def _endpoints(
    key: str,
    mirror: Mapping[str, Any],
    configs: Mapping[str, Any],
    default: Endpoint | None,
    warnings: list[str],
) -> tuple[tuple[Endpoint, ...], Endpoint | None]:
    raw = mirror.get("endpoint") or []
    rewrites = tuple((str(p), str(r)) for p, r in (mirror.get("rewrite") or {}).items())
    seen: set[str] = set()
    out: list[Endpoint] = []
    for index, written in enumerate(raw):
        normal = normalize_endpoint(str(written))
        if isinstance(normal, str):
            warnings.append(f"mirrors.{key}.endpoint[{index}]: {normal}; k3s ignores it")
            continue
        registry, url, override = normal
        if url in seen:
            warnings.append(
                f"mirrors.{key}.endpoint[{index}] {redacted(str(written))!r} repeats {url}: "
                "k3s skips the duplicate"
            )
            continue
        seen.add(url)
        endpoint = _endpoint(
            url,
            registry,
            _config_for(configs, registry),
            override_path=override,
            rewrites=rewrites,
        )
        if index + 1 == len(raw) and default is not None and default.url == url:
            default = endpoint  # the last endpoint is the default endpoint: it is the server
        else:
            out.append(endpoint)
    return tuple(out), default


def _toml_string(value: str) -> str:
    return json.dumps(value)  # Go's %q and TOML basic strings agree on what we write


def _tls_lines(endpoint: Endpoint, indent: str) -> list[str]:
    tls = endpoint.tls
    lines = []
    if tls.get("ca_file"):
        lines.append(f"{indent}ca = [{_toml_string(str(tls['ca_file']))}]")
    if tls.get("cert_file") or tls.get("key_file"):
        cert, key = str(tls.get("cert_file") or ""), str(tls.get("key_file") or "")
        lines.append(f"{indent}client = [[{_toml_string(cert)}, {_toml_string(key)}]]")
    if tls.get("insecure_skip_verify") is True:
        lines.append(f"{indent}skip_verify = true")
    return lines


def render_hosts_toml(config: HostConfig, program: str = "k3s") -> str:
    """The ``hosts.toml`` k3s writes for one key (the template's layout)."""
    lines = [f"# File generated by {program}. DO NOT EDIT."]
    default = config.default
    if default is not None and default.url:
        lines.append(f"server = {_toml_string(default.url)}")
        lines.append('capabilities = ["pull", "resolve", "push"]')
        if default.override_path:
            lines.append("override_path = true")
        lines.extend(_tls_lines(default, ""))
    for endpoint in config.endpoints:
        lines.append("")
        lines.append(f"[host.{_toml_string(endpoint.url)}]")
        lines.append('  capabilities = ["pull", "resolve"]')
        if endpoint.override_path:
            lines.append("  override_path = true")
        lines.extend(_tls_lines(endpoint, "  "))
        if endpoint.rewrites:
            lines.append(f"  [host.{_toml_string(endpoint.url)}.rewrite]")
            lines.extend(f"    {_toml_string(p)} = {_toml_string(r)}" for p, r in endpoint.rewrites)
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class GeneratedDir:
    """One directory k3s writes: its config, the text, and containerd's reading of it."""

    config: HostConfig
    path: str
    text: str
    file: HostsFile


class K3sRuntime:
    """``registries.yaml`` as a ``MirrorRuntime`` (k3s or RKE2)."""

    by_reference = False

    def __init__(
        self,
        file: str,
        dirs: Mapping[str, GeneratedDir],
        program: str = "k3s",
        errors: tuple[ConfigError, ...] = (),
        warnings: tuple[str, ...] = (),
    ) -> None:
        self.file = file
        self.dirs = dict(dirs)
        self.program = program
        self.origin = f"{program}-registries"
        self.errors = errors
        self.warnings = warnings

    def hosts_for(self, ref: ImageRef) -> RegistryHosts | None:
        directory = self.dirs.get(ref.domain) or self.dirs.get(DEFAULT_DIR)
        return None if directory is None else self._hosts(directory, ref.domain)

    def configured_name(self, ref: ImageRef) -> str:
        return ref.domain if ref.domain in self.dirs else "<registry>"

    def configured(self) -> tuple[RegistryHosts, ...]:
        return tuple(
            self._hosts(d, "<registry>" if key == DEFAULT_DIR else key)
            for key, d in self.dirs.items()
        )

    def _hosts(self, directory: GeneratedDir, registry: str) -> RegistryHosts:
        parsed = directory.file
        hosts = parsed.hosts_for(registry)
        by_url = {e.url: e for e in directory.config.endpoints}
        hosts = tuple(
            replace(h, rewrites=by_url[h.url].rewrites)
            if h.url in by_url and not h.is_server
            else h
            for h in hosts
        )
        if directory.config.default is None:
            hosts = hosts[:-1]  # --disable-default-registry-endpoint: no server at all
        warnings = [f"{parsed.path}: {w}" for w in parsed.warnings]
        warnings.extend(f"{e} (upstream only)" for e in parsed.errors)
        if directory.config.default is None:
            warnings.append(
                f"{parsed.path}: no default endpoint (--disable-default-registry-endpoint): "
                f"{self.program}'s containerd never falls back to the registry itself"
            )
        fatal = parsed.fatal
        return RegistryHosts(
            registry,
            hosts,
            self.origin,
            parsed.path,
            tuple(warnings),
            fatal=fatal_reason(fatal[0]) if fatal else None,
        )


def _check_shape(doc: Any, path: str, line_of: Mapping[str, int]) -> list[ConfigError]:
    """The types wharfie's ``yaml.Unmarshal`` needs; a wrong one stops k3s from starting."""
    if doc is None:
        return []
    if not isinstance(doc, dict):
        return [ConfigError(path, 1, "registries.yaml must be a mapping")]
    problems: list[ConfigError] = []

    def bad(where: str, message: str) -> None:
        problems.append(ConfigError(path, line_of.get(where), f"{where}: {message} ({_STOPS})"))

    for section in ("mirrors", "configs"):
        value = doc.get(section)
        if value is not None and not isinstance(value, dict):
            bad(section, "must be a mapping")
            continue
        for key, entry in (value or {}).items():
            where = f"{section}.{key}"
            if entry is not None and not isinstance(entry, dict):
                bad(where, "must be a mapping")
            elif section == "mirrors" and entry:
                endpoints = entry.get("endpoint")
                if endpoints is not None and (
                    not isinstance(endpoints, list)
                    or not all(isinstance(e, str) for e in endpoints)
                ):
                    bad(f"{where}.endpoint", "must be a list of strings")
                rewrite = entry.get("rewrite")
                if rewrite is not None and not isinstance(rewrite, dict):
                    bad(f"{where}.rewrite", "must be a mapping of regex to replacement")
            elif section == "configs" and entry:
                for part in ("auth", "tls"):
                    if entry.get(part) is not None and not isinstance(entry.get(part), dict):
                        bad(f"{where}.{part}", "must be a mapping")
    return problems


_STOPS = "k3s refuses to start with this file"


def _key_lines(text: str) -> dict[str, int]:
    """``section.key`` (and ``section.key.field``) -> 1-based line, from the YAML nodes."""
    import yaml

    lines: dict[str, int] = {}
    try:
        deepest_yaml(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, TooDeep):
        return lines
    if not isinstance(root, yaml.MappingNode):
        return lines
    for section, value in root.value:
        lines[str(section.value)] = section.start_mark.line + 1
        if isinstance(value, yaml.MappingNode):
            for key, entry in value.value:
                name = f"{section.value}.{key.value}"
                lines[name] = key.start_mark.line + 1
                if isinstance(entry, yaml.MappingNode):
                    for sub, _ in entry.value:
                        lines[f"{name}.{sub.value}"] = sub.start_mark.line + 1
    return lines


def read_k3s_registries(
    path: str,
    *,
    disable_default_endpoint: bool = False,
    program: str = "k3s",
    version: ContainerdVersion = NEWEST,
) -> K3sRuntime:
    """Read ``registries.yaml`` into the hosts directory k3s (or RKE2) writes from it, as
    the embedded containerd ``version`` reads those files. Never raises: problems are
    ``errors`` (k3s refuses the file) and ``warnings``."""
    text = read_config_text(path)
    if isinstance(text, ConfigError):
        return K3sRuntime(path, {}, program, errors=(text,))
    return parse_k3s_registries(
        text,
        path,
        disable_default_endpoint=disable_default_endpoint,
        program=program,
        version=version,
    )


def parse_k3s_registries(
    text: str,
    path: str,
    *,
    disable_default_endpoint: bool = False,
    program: str = "k3s",
    version: ContainerdVersion = NEWEST,
) -> K3sRuntime:
    import yaml

    try:
        deepest_yaml(text)
    except TooDeep as exc:
        return K3sRuntime(path, {}, program, errors=(ConfigError(path, exc.line, str(exc)),))
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or "invalid YAML"
        return K3sRuntime(
            path,
            {},
            program,
            errors=(ConfigError(path, line, f"not valid YAML: {reason} ({_STOPS})"),),
        )
    line_of = _key_lines(text)
    problems = _check_shape(doc, path, line_of)
    if problems:
        return K3sRuntime(path, {}, program, errors=tuple(problems))
    configs, logged = host_configs(doc or {}, disable_default_endpoint)
    warnings = [f"{path}: {w}" for w in logged]
    for key, entry in ((doc or {}).get("configs") or {}).items():
        if isinstance(entry, dict) and isinstance(entry.get("auth"), dict):
            warnings.append(
                f"{path}:{line_of.get(f'configs.{key}.auth', '?')}: configs.{key}.auth is set "
                f"(not shown; {program} writes it into containerd's config.toml, not hosts.toml)"
            )
    if "*" in ((doc or {}).get("configs") or {}) and "*" in ((doc or {}).get("mirrors") or {}):
        warnings.append(
            f"{path}: '*' is under both configs and mirrors: {program} builds the wildcard's "
            "mirrors entry without the configs entry, so its tls settings are lost"
        )
    root = HOSTS_ROOT.get(program, HOSTS_ROOT["k3s"])
    dirs: dict[str, GeneratedDir] = {}
    for key, config in configs.items():
        directory = f"{root}/{key}"
        rendered = render_hosts_toml(config, program)
        toml_path = f"{directory}/hosts.toml"
        parsed = check_tls_files(parse_hosts_toml(rendered, toml_path, version), directory)
        dirs[key] = GeneratedDir(config, directory, rendered, parsed)
    return K3sRuntime(path, dirs, program, warnings=tuple(warnings))
