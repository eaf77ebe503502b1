"""Docker Engine's ``daemon.json`` ``registry-mirrors`` (moby ``lookupV2Endpoints``).

Mirrors apply to Docker Hub only, in order, then ``https://registry-1.docker.io``. No
``?ns=``, no capabilities (every mirror resolves tags), no ``_default``. dockerd refuses to
start with a mirror URL that is not ``http(s)://host[:port][/]``, or that carries a user
name or password (``ValidateMirror``: "username/password not allowed in URI"); messages never
print the password.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from analyzer.mirrors.errors import read_config_text
from analyzer.mirrors.upstream import DOCKER_HUB, DOCKER_HUB_HOST, is_real_upstream
from analyzer.mirrors.url_userinfo import redact, redacted, userinfo
from analyzer.model import PULL_RESOLVE, ConfigError, Host, RegistryHosts
from analyzer.nesting import TooDeep, deepest_json
from analyzer.reference import ImageRef


@dataclass(frozen=True)
class DockerDaemonConfig:
    file: str
    mirrors: tuple[str, ...] = ()
    errors: tuple[ConfigError, ...] = ()


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def read_docker_daemon(path: str) -> DockerDaemonConfig:
    text = read_config_text(path)
    if isinstance(text, ConfigError):
        return DockerDaemonConfig(path, errors=(text,))
    return parse_docker_daemon(text, path)


def parse_docker_daemon(text: str, path: str) -> DockerDaemonConfig:
    try:
        deepest_json(text)
        doc = json.loads(text) if text.strip() else {}
    except TooDeep as exc:
        return DockerDaemonConfig(path, errors=(ConfigError(path, exc.line, str(exc)),))
    except json.JSONDecodeError as exc:
        return DockerDaemonConfig(
            path, errors=(ConfigError(path, exc.lineno, f"not valid JSON: {exc.msg}"),)
        )
    if not isinstance(doc, dict):
        return DockerDaemonConfig(path, errors=(ConfigError(path, 1, "not a JSON object"),))
    raw = doc.get("registry-mirrors", [])
    line = _line_of(text, '"registry-mirrors"')
    if not isinstance(raw, list) or not all(isinstance(m, str) for m in raw):
        return DockerDaemonConfig(
            path, errors=(ConfigError(path, line, "registry-mirrors must be an array of strings"),)
        )
    errors: list[ConfigError] = []
    mirrors: list[str] = []
    for mirror in raw:
        problem = mirror_problem(mirror)
        if problem:
            errors.append(
                ConfigError(
                    path,
                    _line_of(text, json.dumps(mirror)) or line,
                    f"registry-mirrors: {problem} (dockerd refuses to start)",
                )
            )
        else:
            mirrors.append(mirror)
    return DockerDaemonConfig(path, tuple(mirrors), tuple(errors))


def mirror_problem(mirror: str) -> str | None:
    shown = redacted(mirror)
    try:
        parts = urlsplit(mirror)
        _ = parts.port
    except ValueError as exc:
        return f"cannot parse {shown!r}: {redact(str(exc), (mirror,))}"
    if parts.scheme not in ("http", "https"):
        return f"{shown!r} must start with http:// or https://"
    if userinfo(mirror):
        return (
            f"{shown!r}: username/password not allowed in the URI (dockerd does not use "
            "credentials from a mirror URL)"
        )
    if not parts.netloc:
        return f"{shown!r} has no host"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return f"{shown!r}: unsupported path, query or fragment"
    return None


def docker_hosts(mirrors: tuple[str, ...]) -> tuple[Host, ...]:
    """The endpoints Docker tries for a Docker Hub image."""
    hosts = [
        Host(
            scheme=urlsplit(m).scheme,
            host=urlsplit(m).netloc,
            path="/v2",
            capabilities=PULL_RESOLVE,
            is_upstream=is_real_upstream(DOCKER_HUB, urlsplit(m).netloc),
        )
        for m in mirrors
    ]
    hosts.append(
        Host(
            scheme="https",
            host=DOCKER_HUB_HOST,
            path="/v2",
            capabilities=PULL_RESOLVE,
            is_server=True,
            is_upstream=True,
        )
    )
    return tuple(hosts)


class DockerDaemonRuntime:
    """``daemon.json`` as a ``MirrorRuntime``: Docker Hub only, no ``?ns=``."""

    origin = "docker-daemon"
    by_reference = False
    warnings: tuple[str, ...] = ()

    def __init__(self, config: DockerDaemonConfig) -> None:
        self.config = config

    @property
    def errors(self) -> tuple[ConfigError, ...]:
        return self.config.errors

    def hosts_for(self, ref: ImageRef) -> RegistryHosts | None:
        if ref.domain != DOCKER_HUB or not self.config.mirrors:
            return None
        return self._hub()

    def configured_name(self, ref: ImageRef) -> str:
        return DOCKER_HUB

    def configured(self) -> tuple[RegistryHosts, ...]:
        return (self._hub(),) if self.config.mirrors else ()

    def _hub(self) -> RegistryHosts:
        return RegistryHosts(
            DOCKER_HUB,
            docker_hosts(self.config.mirrors),
            self.origin,
            file=self.config.file,
            namespace=False,
        )
