"""``--mirror REGISTRY=URL`` and ``--preset daocloud``: which mirror to write for which
registry, checked against the mistakes hand-written configurations make.

A URL needs an explicit ``http://`` or ``https://`` scheme and no path (the Registry API's
``/v2`` is added by the runtime), no user name or password (never written into a file
that is not a secret) and no query. A DaoCloud subdomain serves only its own registry
(``docker.m.daocloud.io`` never serves ``ghcr.io`` images), and ``m.daocloud.io`` (the
path-prefix form) is no registry mirror at all: use its subdomains, or ``coverage rewrite``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from analyzer.mirrors.embedded import (
    DAOCLOUD_PATH_HOST,
    daocloud_domains,
    daocloud_host_registries,
)
from analyzer.reference import InvalidImageReference, parse_image


class MirrorSpecError(ValueError):
    """A ``--mirror`` value that would write a configuration that does not work."""


@dataclass(frozen=True)
class MirrorSpec:
    registry: str  # normalised: docker.io, quay.io, registry.local:5000
    url: str  # scheme://host[:port], no path

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc


def _registry(text: str) -> str:
    name = text.strip().lower()
    if name in ("index.docker.io", "registry-1.docker.io"):
        name = "docker.io"
    try:
        ref = parse_image(f"{name}/probe")
    except InvalidImageReference:
        ref = None
    if ref is None or ref.domain.lower() != name or not name:
        raise MirrorSpecError(f"{text!r} is not a registry host (e.g. docker.io, quay.io)")
    return name


def parse_mirror(text: str) -> MirrorSpec:
    """``REGISTRY=URL`` -> ``MirrorSpec``; ``MirrorSpecError`` saying what is wrong."""
    registry_text, sep, url = text.partition("=")
    if not sep or not registry_text.strip() or not url.strip():
        raise MirrorSpecError(
            f"--mirror {text!r}: expected REGISTRY=URL, e.g. docker.io=https://mirror.example"
        )
    registry = _registry(registry_text)
    return check(MirrorSpec(registry, _url(url.strip(), registry)))


def _url(url: str, registry: str) -> str:
    parts = urlsplit(url)
    shown = url if "@" not in url else f"{parts.scheme}://…@{parts.netloc.rpartition('@')[2]}"
    if parts.scheme not in ("http", "https") or "://" not in url:
        raise MirrorSpecError(
            f"mirror URL {shown!r} for {registry}: write the scheme (https:// or http://); "
            "without one, runtimes guess, and guess differently"
        )
    if "@" in parts.netloc:
        raise MirrorSpecError(
            f"mirror URL {shown!r} for {registry}: has a user name or password; put "
            "credentials in the runtime's auth configuration, not in a mirror URL"
        )
    if not parts.hostname:
        raise MirrorSpecError(f"mirror URL {shown!r} for {registry}: has no host")
    if parts.path not in ("", "/", "/v2", "/v2/") or parts.query or parts.fragment:
        raise MirrorSpecError(
            f"mirror URL {shown!r} for {registry}: has a path or query; a registry mirror "
            "serves the Registry API at its root (/v2 is added by the runtime)"
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def check(spec: MirrorSpec) -> MirrorSpec:
    """The DaoCloud rules: each subdomain for its own registry; no path-prefix host."""
    host = spec.host.removesuffix(":443")
    if host == DAOCLOUD_PATH_HOST:
        right = dict(daocloud_domains()).get(spec.registry)
        instead = f"use https://{right}" if right else "use coverage rewrite"
        raise MirrorSpecError(
            f"{DAOCLOUD_PATH_HOST} serves images under {DAOCLOUD_PATH_HOST}/<registry>/<path>, "
            f"not as a mirror of {spec.registry}: {instead}"
        )
    serves = daocloud_host_registries().get(host)
    if serves is not None and serves != spec.registry:
        right = dict(daocloud_domains()).get(spec.registry)
        instead = f"use https://{right}" if right else "DaoCloud has no subdomain for it"
        raise MirrorSpecError(
            f"{host} serves only {serves} images, never {spec.registry}: {instead}"
        )
    return spec


def daocloud_preset() -> tuple[MirrorSpec, ...]:
    """One ``https://<x>.m.daocloud.io`` per registry of the embedded domain map."""
    return tuple(MirrorSpec(registry, f"https://{host}") for registry, host in daocloud_domains())
