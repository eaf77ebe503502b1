"""References already written in a mirror's own form, and the upstream image they stand for.

``ghcr.m.daocloud.io/fluxcd/source-controller:v1.4.1`` (a DaoCloud subdomain host) and
``m.daocloud.io/ghcr.io/fluxcd/source-controller:v1.4.1`` (the path-prefix form) both stand
for ``ghcr.io/fluxcd/source-controller:v1.4.1``. containerd pulls them from the mirror host
itself, so there is no upstream to fall back to: the mirror's catalogue alone decides whether
the pull works. Hosts given a catalogue with ``--catalog`` count too, in the path-prefix form
only: ``harbor.example/docker.io/library/nginx`` (the first path component is a registry host)
stands for ``docker.io/library/nginx``; any other reference to such a host is an ordinary
registry whose catalogue says what it holds.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from analyzer.frozen import Frozen
from analyzer.mirrors.embedded import DAOCLOUD_PATH_HOST, daocloud_host_registries
from analyzer.reference import ImageRef, InvalidImageReference, is_domain_component, parse_image


@dataclass(frozen=True)
class MirrorForm(Frozen):
    """A reference whose registry is a known mirror host."""

    mirror_host: str  # the host the reference names (lower case)
    # the image it stands for; None when the reference names the mirror's path-prefix host
    # but not in its ``<host>/<registry>/<path>`` form (the mirror serves nothing there)
    upstream: ImageRef | None
    # known only because it was given a catalogue (not a DaoCloud host): a registry with
    # mirrors of its own in the node configuration is then an upstream, not a mirror
    by_catalogue: bool = False


def _with_reference(name: str, ref: ImageRef) -> ImageRef | None:
    text = name + (f":{ref.tag}" if ref.tag else "") + (f"@{ref.digest}" if ref.digest else "")
    try:
        return parse_image(text)
    except InvalidImageReference:
        return None


def _prefix_form(host: str, ref: ImageRef) -> MirrorForm | None:
    first, _, rest = ref.path.partition("/")
    if not rest or not is_domain_component(first):
        return None
    upstream = _with_reference(f"{first}/{rest}", ref)
    return MirrorForm(host, upstream) if upstream is not None else None


def mirror_form(ref: ImageRef, catalogue_hosts: Collection[str] = ()) -> MirrorForm | None:
    """The mirror form of ``ref``, or None when its registry is not a known mirror host.

    ``catalogue_hosts`` are the (normalised) hosts given a catalogue with ``--catalog``.
    """
    host = ref.domain.lower()
    registry = daocloud_host_registries().get(host)
    if registry is not None:
        upstream = _with_reference(f"{registry}/{ref.path}", ref)
        return MirrorForm(host, upstream) if upstream is not None else None
    if host == DAOCLOUD_PATH_HOST:
        return _prefix_form(host, ref) or MirrorForm(host, None)
    if host in catalogue_hosts:
        form = _prefix_form(host, ref)
        return MirrorForm(host, form.upstream, by_catalogue=True) if form else None
    return None
