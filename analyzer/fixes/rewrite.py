"""``coverage rewrite``: image references in a mirror's own form, for clusters whose nodes
cannot be configured (managed Kubernetes).

A rewritten reference has no fallback: the mirror serves it or the pull fails. So only an
image whose mirror catalogue holds it is rewritten (every tag written for that name, when
the list has tag rules), and every other use is listed with the reason it stays. Styles:
``path`` (``m.daocloud.io/<registry>/<path>``, any registry of the list) and ``subdomain``
(``<x>.m.daocloud.io/<path>``, the registries with a subdomain).

Kustomize's ``images:`` transformer matches the name as written (without tag or digest) and
rewrites container and init-container images only; other fields stay and are listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.fixes.mirror_names import mirror_host, mirror_name
from analyzer.mirrors import Catalogues
from analyzer.mirrors.mirror_form import mirror_form
from analyzer.model import ImageUse
from analyzer.reference import ImageRef

STYLES = ("path", "subdomain")
#: the fields kustomize's images transformer rewrites (containers and initContainers)
_KUSTOMIZE_FIELD = re.compile(r"(^|\.)(containers|initContainers)\[\d+\]\.image$")


@dataclass(frozen=True)
class Rewrite:
    """One name as written, the mirror's name for it, and the references it rewrites."""

    written: str  # the name as written, without tag or digest (kustomize's ``name``)
    new_name: str  # the same repository in the mirror's form
    references: tuple[tuple[str, str], ...]  # (as written, rewritten), tags kept


@dataclass(frozen=True)
class Kept:
    """A use that stays as it is, and why."""

    raw: str
    where: str
    reason: str


@dataclass(frozen=True)
class RewritePlan:
    style: str
    rewrites: tuple[Rewrite, ...]
    kept: tuple[Kept, ...]


def written_name(raw: str) -> str:
    """``nginx:1.25@sha256:...`` -> ``nginx``: the name part of a reference as written."""
    name = raw.partition("@")[0]
    head, colon, tail = name.rpartition(":")
    return head if colon and "/" not in tail else name


def suffix(ref: ImageRef) -> str:
    return (f":{ref.tag}" if ref.tag is not None else "") + (f"@{ref.digest}" if ref.digest else "")


def why_not(ref: ImageRef, style: str, catalogues: Catalogues) -> str | None:
    """Why ``ref`` cannot be written in the mirror's form (None: it can)."""
    if mirror_form(ref, catalogues.explicit_hosts) is not None:
        return "already in a mirror's form"
    host = mirror_host(ref, style)
    if host is None:
        return f"DaoCloud has no subdomain for {ref.domain} (--style path serves more registries)"
    catalogue = catalogues.for_host(host)
    if not catalogue.holds(ref):
        what = "not on its list" if catalogue.kind == "list" else f"catalogue {catalogue.kind}"
        return f"{host} does not hold {ref.name} ({what}): a rewritten image has no fallback"
    return None


def plan_rewrites(
    uses: Iterable[ImageUse], catalogues: Catalogues, *, style: str = "path", kustomize: bool
) -> RewritePlan:
    """Which written names can be rewritten, and which uses stay (with the reason)."""
    by_name: dict[str, list[ImageUse]] = {}
    kept: list[Kept] = []
    for use in uses:
        if use.image is None:
            kept.append(Kept(use.raw, use.location, use.reason or f"{use.use_class} reference"))
        elif use.use_class == "indirect":
            kept.append(Kept(use.raw, use.location, "passed to a program in args or env"))
        elif kustomize and not _KUSTOMIZE_FIELD.search(use.field):
            kept.append(
                Kept(use.raw, use.location, f"kustomize's images transformer leaves {use.field}")
            )
        else:
            by_name.setdefault(written_name(use.raw), []).append(use)
    rewrites = []
    for written, group in sorted(by_name.items()):
        reasons = {u.raw: why_not(u.image, style, catalogues) for u in group if u.image}
        blocking = next((r for r in reasons.values() if r is not None), None)
        if blocking is not None:
            why = blocking
            if any(r is None for r in reasons.values()):
                why = f"not every tag of {written} is held: {blocking}"
            kept.extend(Kept(u.raw, u.location, why) for u in group)
            continue
        ref = group[0].image
        assert ref is not None
        new_name = mirror_name(ref, style)
        assert new_name is not None  # why_not checked the host
        pairs = {u.raw: new_name + suffix(u.image) for u in group if u.image is not None}
        rewrites.append(Rewrite(written, new_name, tuple(sorted(pairs.items()))))
    return RewritePlan(style, tuple(rewrites), tuple(kept))
