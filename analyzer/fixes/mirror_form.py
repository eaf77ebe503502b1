"""Image references written in a DaoCloud mirror's own form, and the upstream name behind them.

``m.daocloud.io/<registry>/<path>`` (the path-prefix form, any registry of ``allows.txt``)
and ``<x>.m.daocloud.io/<path>`` (a subdomain serving one registry, path kept as upstream,
``library/`` included for Docker Hub).
"""

from __future__ import annotations

from analyzer.mirrors.embedded import DAOCLOUD_PATH_HOST, daocloud_domains
from analyzer.reference import ImageRef, InvalidImageReference, parse_image


def subdomain_for(registry: str) -> str | None:
    """The DaoCloud subdomain host serving ``registry`` (``quay.io`` -> ``quay.m.daocloud.io``)."""
    return next((mirror for up, mirror in daocloud_domains() if up == registry), None)


def is_mirror_form(ref: ImageRef) -> bool:
    domain = ref.domain.lower()
    return domain == DAOCLOUD_PATH_HOST or any(domain == m for _, m in daocloud_domains())


def upstream_of(ref: ImageRef) -> ImageRef | None:
    """The upstream image a mirror-form reference pulls, or None (not in a mirror's form, or
    ``m.daocloud.io/<x>`` whose first segment is not a registry)."""
    domain = ref.domain.lower()
    if domain == DAOCLOUD_PATH_HOST:
        registry, sep, rest = ref.path.partition("/")
        if not sep or "." not in registry:
            return None
        text = f"{registry}/{rest}"
    else:
        registry = next((up for up, m in daocloud_domains() if m == domain), "")
        if not registry:
            return None
        text = f"{registry}/{ref.path}"
    text += (f":{ref.tag}" if ref.tag is not None else "") + (
        f"@{ref.digest}" if ref.digest else ""
    )
    try:
        return parse_image(text)
    except InvalidImageReference:
        return None


def mirror_name(ref: ImageRef, style: str) -> str | None:
    """``ref``'s repository in a mirror's form (no tag): ``path`` style
    ``m.daocloud.io/<registry>/<path>``; ``subdomain`` style ``<x>.m.daocloud.io/<path>``
    (None when the registry has no subdomain)."""
    if style == "path":
        return f"{DAOCLOUD_PATH_HOST}/{ref.domain.lower()}/{ref.path}"
    sub = subdomain_for(ref.domain.lower())
    return f"{sub}/{ref.path}" if sub else None


def mirror_host(ref: ImageRef, style: str) -> str | None:
    """The host whose catalogue decides whether ``mirror_name(ref, style)`` is served."""
    return DAOCLOUD_PATH_HOST if style == "path" else subdomain_for(ref.domain.lower())
