"""A "how to fix" line for one image of a report, whatever its status is called.

The advice follows the route, not the status name: no mirror for the registry (add one),
a mirror whose list lacks the image (the line to request), a mirror that holds it and is
still not used (the route's reason), a mirror that holds it but may not resolve tags
(containerd ``capabilities = ["pull"]``), mirrors that serve pulls by digest only
(``registries.conf`` ``pull-from-mirror = "digest-only"``, ``mirror-by-digest-only``; or by
tag only), a mirror that serves another registry only, or a hosts file containerd cannot
use. Every advice ends with the ``--ignore`` pattern, for an image
that is meant to come from upstream, except for a blocked image (the pull fails: no
upstream serves it, and ``--ignore`` does not pass it).
"""

from __future__ import annotations

from dataclasses import replace

from analyzer.fixes.catalogue_list import host_list
from analyzer.fixes.lines import request_line
from analyzer.fixes.mirror_names import judged_form, subdomain_for
from analyzer.mirrors import Catalogues, MirrorConfig
from analyzer.mirrors.catalogue import PathPrefixHost
from analyzer.mirrors.mirror_form import MirrorForm
from analyzer.model import Host
from analyzer.report import Advice, ImageResult, Report
from analyzer.route import asked_paths, route_hosts

#: what the advice asks for
ACTIONS = ("request", "add_mirror", "check_mirror", "fix_config")


def _add_mirror(registry: str, why: str, ignore: str) -> Advice:
    sub = subdomain_for(registry)
    how = (
        f"coverage mirrors init DIR --preset daocloud (https://{sub}) or --mirror {registry}=URL"
        if sub
        else f"coverage mirrors init DIR --mirror {registry}=URL"
    )
    return Advice("add_mirror", f"{why}: add a mirror for {registry} with {how}", ignore)


def _mirror_form_advice(result: ImageResult, form: MirrorForm, catalogues: Catalogues) -> Advice:
    """An image written in a mirror's own form has no fallback: the mirror's list decides."""
    host = form.mirror_host
    if form.upstream is None:
        return Advice(
            "fix_config",
            f"{result.name} is not a reference {host} can serve (write "
            f"{host}/<registry>/<path>, e.g. {host}/docker.io/library/nginx)",
            result.name,
            host=host,
        )
    catalogue = catalogues.for_host(host)
    listed = host_list(host, catalogue)
    if catalogue.holds(form.upstream) or listed is None:
        return Advice(
            "check_mirror",
            f"{host} serves {form.upstream.name} ({catalogue.kind}); {result.route.reason or ''}",
            result.name,
            host=host,
        )
    line = str(request_line(form.upstream))
    return Advice(
        "request",
        f"ask {host} to add the line {line} to its list (coverage request writes the "
        "request); a reference in a mirror's form has no fallback",
        result.name,
        line=line,
        host=host,
    )


def advise(result: ImageResult, config: MirrorConfig, catalogues: Catalogues) -> Advice:
    """How to make ``result`` come from a mirror (or accept that it does not: not for a
    blocked image, which comes from nowhere, so ``--ignore`` does not pass it)."""
    advice = _advise(result, config, catalogues)
    return replace(advice, upstream=False) if result.status == "blocked" else advice


def _advise(result: ImageResult, config: MirrorConfig, catalogues: Catalogues) -> Advice:
    ref = result.ref
    registry = result.registry
    ignore = result.name
    form = judged_form(ref, config, catalogues)
    if form is not None:
        return _mirror_form_advice(result, form, catalogues)
    resolution = config.resolve_short(ref)
    if resolution is not None and resolution.error is not None:
        return Advice(
            "fix_config",
            f"write the full name of {resolution.written} (e.g. {ref.pull_ref}) or add an "
            f'[aliases] entry "{ref.short}" = "<registry>/<repository>" to a registries.conf.d '
            f"drop-in: {resolution.error}",
            ignore,
        )
    hosts = route_hosts(ref, config)  # what the route was decided on
    if hosts.fatal is not None:
        where = hosts.file or registry
        return Advice("fix_config", f"fix {where}: {hosts.fatal}", ignore)
    if not hosts.mirrors:
        by_form = _form_only(result, config)
        if by_form is not None:
            return by_form
        return _add_mirror(registry, f"no mirror is configured for {registry}", ignore)
    lacking = []
    for host, asked in zip(hosts.mirrors, asked_paths(ref.path, hosts.mirrors), strict=True):
        catalogue = catalogues.for_host(host.host)
        if catalogue.holds(ref):
            mirror = catalogues.for_mirror(host.host, host.path)
            if isinstance(mirror, PathPrefixHost) and not mirror.holds(
                replace(ref, path=asked.path)
            ):
                url_path = host.path.rstrip("/")
                return Advice(
                    "fix_config",
                    f"{host.host} holds {ref.name}, but "
                    f"{mirror.refusal(url_path + '/' + asked.path)}",
                    ignore,
                    host=host.host,
                )
            if result.status == "partial" and ref.digest is None and not host.can("resolve"):
                return _cannot_resolve(result, host, hosts.file)
            listed = host_list(host.host, catalogue)
            pattern = listed.patterns.covering(ref) if listed is not None else None
            held = f"already covered by {pattern}" if pattern else f"holds it ({catalogue.kind})"
            why = result.route.reason or f"its status is {result.status}"
            return Advice(
                "check_mirror",
                f"{host.host} {held}, yet the image is {result.status}: {why}",
                ignore,
                host=host.host,
            )
        lacking.append((host, catalogue))
    for host, catalogue in lacking:
        listed = host_list(host.host, catalogue)
        if listed is None:
            continue
        if listed.registry is not None and listed.registry != registry.lower():
            right = subdomain_for(registry)
            instead = f"use https://{right}" if right else "use a mirror that serves it"
            return Advice(
                "fix_config",
                f"{host.host} serves only {listed.registry} images, never {registry}: {instead}",
                ignore,
                host=host.host,
            )
        line = str(request_line(ref))
        tags = (
            ""
            if ref.digest is not None or host.can("resolve")
            else '; it may not resolve tags either (no "resolve" capability): the tag would '
            "still be resolved upstream unless the image is pinned by digest"
        )
        return Advice(
            "request",
            f"ask {host.host} to add the line {line} to its list (coverage request writes "
            f"the request){tags}",
            ignore,
            line=line,
            host=host.host,
        )
    names = ", ".join(f"{h.host} ({c.kind})" for h, c in lacking)
    return _add_mirror(registry, f"no configured mirror holds it ({names})", ignore)


#: a digest to ask the route of "this image, pulled by digest" with (any digest routes alike)
_ANY_DIGEST = "sha256:" + "0" * 64


def _cannot_resolve(result: ImageResult, host: Host, file: str | None) -> Advice:
    """A mirror that holds the image but may not resolve its tag (containerd: no
    ``resolve`` capability): the tag goes upstream, only the content comes from it."""
    where = f" in {file}" if file else ""
    return Advice(
        "fix_config",
        f"{host.host} holds it but may not resolve tags (its capabilities{where} lack "
        f'"resolve"), so the tag of {result.image} is resolved upstream: pin the image by '
        f'digest ({result.name}@sha256:...), or give {host.host} capabilities = ["pull", '
        '"resolve"] if it may answer for tags',
        result.name,
        host=host.host,
    )


def _form_only(result: ImageResult, config: MirrorConfig) -> Advice | None:
    """Mirrors configured for the image but used only for the other kind of reference
    (a pull by digest for a tag reference, or the reverse), None when there are none:
    then no mirror is configured at all."""
    ref = result.ref
    digested = ref.digest is not None
    other = (
        replace(ref, tag=ref.tag or "latest", digest=None)
        if digested
        else replace(ref, tag=None, digest=_ANY_DIGEST)
    )
    mirrors = route_hosts(other, config).mirrors
    if not mirrors:
        return None
    names = ", ".join(h.host for h in mirrors)
    setting, change = _form_setting(result, config)
    if digested:
        text = (
            f"the mirrors of {result.registry} ({names}) serve pulls by tag only{setting}, "
            f"and {result.image} is pulled by digest: {change or 'let them serve digests'}, "
            "or pull it by tag"
        )
    else:
        text = (
            f"the mirrors of {result.registry} ({names}) serve pulls by digest only{setting}, "
            f"and {result.image} is pulled by tag: pin it by digest ({result.name}@sha256:...)"
            f", or {change or 'let them serve tags'}"
        )
    return Advice("fix_config", text, result.name, host=mirrors[0].host)


def _form_setting(result: ImageResult, config: MirrorConfig) -> tuple[str, str]:
    """The registries.conf setting that keeps the mirrors from this kind of reference
    (`` (pull-from-mirror = "digest-only" in FILE)``) and the change that lets them serve
    it; empty strings when it is not a registries.conf entry."""
    from analyzer.mirrors.registries_conf import RegistriesConfRuntime, find_entry  # CRI-O only

    conf = next((r for r in config.runtimes if isinstance(r, RegistriesConfRuntime)), None)
    entry = find_entry(conf.entries, result.ref.name) if conf is not None else None
    if entry is None:
        return "", ""
    if entry.mirror_by_digest_only:
        return (
            f" (mirror-by-digest-only = true on prefix {entry.prefix} in {entry.file})",
            f"remove mirror-by-digest-only from the [[registry]] of prefix {entry.prefix}",
        )
    kept = "tag-only" if result.ref.digest is not None else "digest-only"
    mirrors = [m.location for m in entry.mirrors if m.pull_from_mirror == kept]
    if not mirrors:
        return "", ""
    return (
        f' (pull-from-mirror = "{kept}" in {entry.file})',
        f'set pull-from-mirror = "all" on the mirror {", ".join(mirrors)}',
    )


def attach_advice(report: Report, config: MirrorConfig, catalogues: Catalogues) -> Report:
    """The report with an advice on every image the policy fails (ignored ones never fail)."""
    failing = {r.image for r in report.failures()}
    if not failing:
        return report
    images = tuple(
        _advised(r, advise(r, config, catalogues)) if r.image in failing else r
        for r in report.images
    )
    return replace(report, images=images)


def _advised(result: ImageResult, advice: Advice) -> ImageResult:
    """``replace(result, advice=advice)``, without the generic ``replace`` (slow, one call
    per failing image) for the class itself; a subclass keeps its own fields."""
    if type(result) is not ImageResult:
        return replace(result, advice=advice)
    return ImageResult(result.ref, result.route, result.uses, result.ignored, result.probes, advice)
