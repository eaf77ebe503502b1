"""An upstream image's name in a DaoCloud mirror's own form (the way back is
``analyzer.mirrors.mirror_form``).

``path`` style: ``m.daocloud.io/<registry>/<path>`` (any registry of ``allows.txt``);
``subdomain`` style: ``<x>.m.daocloud.io/<path>`` (the path kept as upstream, ``library/``
included for Docker Hub; only the registries with a subdomain).
"""

from __future__ import annotations

from analyzer.mirrors import Catalogues, MirrorConfig
from analyzer.mirrors.embedded import DAOCLOUD_PATH_HOST, daocloud_domains
from analyzer.mirrors.mirror_form import MirrorForm, mirror_form
from analyzer.reference import ImageRef
from analyzer.route import route_hosts


def subdomain_for(registry: str) -> str | None:
    """The DaoCloud subdomain host serving ``registry`` (``quay.io`` -> ``quay.m.daocloud.io``)."""
    return next((mirror for up, mirror in daocloud_domains() if up == registry), None)


def judged_form(ref: ImageRef, config: MirrorConfig, catalogues: Catalogues) -> MirrorForm | None:
    """``ref``'s mirror form when the route judges it as one (as ``route_image`` does)."""
    form = mirror_form(ref.pulled, catalogues.explicit_hosts)
    if form is None or (form.by_catalogue and route_hosts(ref, config).mirrors):
        return None
    return form


def mirror_name(ref: ImageRef, style: str) -> str | None:
    """``ref``'s repository in a mirror's form (no tag); None when the registry has no
    subdomain (``subdomain`` style)."""
    if style == "path":
        return f"{DAOCLOUD_PATH_HOST}/{ref.domain.lower()}/{ref.path}"
    sub = subdomain_for(ref.domain.lower())
    return f"{sub}/{ref.path}" if sub else None


def mirror_host(ref: ImageRef, style: str) -> str | None:
    """The host whose catalogue decides whether ``mirror_name(ref, style)`` is served."""
    return DAOCLOUD_PATH_HOST if style == "path" else subdomain_for(ref.domain.lower())
