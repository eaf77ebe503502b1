"""A registry's own host: where containerd goes when no mirror serves an image.

containerd's ``ConfigureHosts`` fills in the last host when it has no name: ``docker.io`` is
served by ``registry-1.docker.io``; every other registry by itself (``https://<registry>``).
Users also write Docker Hub's upstream as ``https://docker.io`` or ``https://index.docker.io``
(the common Chinese hosts.toml guides do): those count as the real upstream too.
"""

from __future__ import annotations

import ipaddress

from analyzer.model import ALL_CAPABILITIES, Host

DOCKER_HUB = "docker.io"
DOCKER_HUB_HOST = "registry-1.docker.io"
#: host names that are Docker Hub's real upstream when written as a ``server``
DOCKER_HUB_ALIASES: frozenset[str] = frozenset({"docker.io", "index.docker.io", DOCKER_HUB_HOST})


def default_host_name(registry: str) -> str:
    """``docker.DefaultHost``: ``registry-1.docker.io`` for ``docker.io``, else the registry."""
    return DOCKER_HUB_HOST if registry == DOCKER_HUB else registry


def is_localhost(registry: str) -> bool:
    """``docker.IsLocalhost``: ``localhost`` or a loopback IP, with or without a port."""
    host = _strip_port(registry)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _strip_port(hostport: str) -> str:
    if hostport.startswith("["):
        return hostport[: hostport.find("]") + 1] if "]" in hostport else hostport
    if hostport.count(":") == 1:
        return hostport.partition(":")[0]
    return hostport


def _port(hostport: str) -> str:
    if hostport.startswith("["):
        rest = hostport[hostport.find("]") + 1 :] if "]" in hostport else ""
        return rest[1:] if rest.startswith(":") else ""
    if hostport.count(":") == 1:
        return hostport.partition(":")[2]
    return ""


def default_scheme(registry: str) -> str:
    """containerd 2.x: HTTPS, except loopback registries on a port other than 443.

    (For those 2.x tries HTTPS first and falls back to HTTP; 1.6 uses plain HTTP.)
    """
    if is_localhost(registry) and _port(registry) not in ("", "443"):
        return "http"
    return "https"


def upstream_host(registry: str) -> Host:
    """The host containerd uses for ``registry`` when no ``server`` is configured."""
    return Host(
        scheme=default_scheme(registry),
        host=default_host_name(registry),
        path="/v2",
        capabilities=ALL_CAPABILITIES,
        is_server=True,
        is_upstream=True,
    )


def is_real_upstream(registry: str, host: str) -> bool:
    """Is ``host`` (``host[:port]`` of a URL) the registry's own upstream?

    A ``server`` or endpoint that is anything else is a mirror put in the upstream's place.
    """
    name = host.lower()
    if registry.lower() == DOCKER_HUB:
        return name in DOCKER_HUB_ALIASES or name in {a + ":443" for a in DOCKER_HUB_ALIASES}
    reg = registry.lower()
    return name == reg or name == reg + ":443" or reg == name + ":443"


def sends_namespace(registry: str, host: str) -> bool:
    """``RegistryHost.isProxy``: requests carry ``?ns=<registry>`` unless the host is the
    registry itself, or ``registry-1.docker.io`` serving ``docker.io``."""
    if host == registry:
        return False
    return not (registry == DOCKER_HUB and host == DOCKER_HUB_HOST)
