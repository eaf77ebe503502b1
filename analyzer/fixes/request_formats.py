"""``coverage request`` output: ``text`` for people, ``json`` for machines, ``patch`` and
``issue`` (in ``patch`` and ``issue``), all from one ``RequestPlan``."""

from __future__ import annotations

import json
from typing import Any

from analyzer.fixes.issue import TEMPLATE, issue_bodies
from analyzer.fixes.patch import PatchError, make_patch
from analyzer.fixes.request import Broader, ListRequest, RequestPlan
from analyzer.formats.textgrid import printable

FORMATS = ("text", "patch", "issue", "json")


def _broader_text(item: Broader) -> list[str]:
    replaced = ", ".join(str(p) for p in item.replaces)
    head = (
        f"  {item.line} replaces {replaced}"
        if item.applied
        else f"  a broader line {item.line} would replace {replaced} (--wildcard)"
    )
    opens = ", ".join(item.also_opens) if item.also_opens else "no other image of this scan"
    lines = [
        head,
        f"    it would also open up every other repository directly under "
        f"{item.line.host}/{item.line.path}/, and of this scan: {opens}",
    ]
    if item.makes_redundant:
        lines.append(
            "    it makes these lines of the list redundant (the patch removes them): "
            + ", ".join(str(p) for p in item.makes_redundant)
        )
    return lines


def _list_text(lr: ListRequest) -> list[str]:
    out = [f"{lr.name} ({lr.format}; used by {', '.join(lr.hosts)})"]
    if lr.lines:
        out.append("  add:")
        for requested in lr.lines:
            out.append(f"    {requested.line}    # {', '.join(requested.images)}")
    for item in lr.broader:
        out.extend(_broader_text(item))
    for covered in lr.covered:
        out.append(
            f"  no request for {covered.image}: already covered by {covered.pattern} on "
            f"{covered.host}; it is not served anyway: {covered.why}"
        )
    return out


def render_text(plan: RequestPlan) -> str:
    out: list[str] = []
    for lr in plan.lists:
        out.extend(_list_text(lr))
        out.append("")
    if plan.elsewhere:
        out.append("no list can fix these (advice):")
        out.extend(f"  {e.image}: {e.advice}" for e in plan.elsewhere)
        out.append("")
    if plan.refused:
        out.append("refused (not a name a list can hold):")
        out.extend(f"  {r}" for r in plan.refused)
        out.append("")
    if not plan.lists and not plan.elsewhere:
        out.append("nothing to request: no image of the scan falls back or is blocked")
    return "\n".join(printable(line) for line in out).rstrip("\n") + "\n"


def render_json(plan: RequestPlan) -> str:
    data: dict[str, Any] = {
        "lists": [
            {
                "list": lr.name,
                "catalogue": lr.listed.source,
                "format": lr.format,
                "hosts": list(lr.hosts),
                "add": [
                    {"line": str(r.line), "kind": r.line.kind, "images": list(r.images)}
                    for r in lr.lines
                ],
                "broader": [
                    {
                        "line": str(b.line),
                        "applied": b.applied,
                        "replaces": [str(p) for p in b.replaces],
                        "also_opens": list(b.also_opens),
                        "makes_redundant": [str(p) for p in b.makes_redundant],
                    }
                    for b in lr.broader
                ],
                "covered": [
                    {"image": c.image, "pattern": c.pattern, "host": c.host, "why": c.why}
                    for c in lr.covered
                ],
            }
            for lr in plan.lists
        ],
        "elsewhere": [{"image": e.image, "advice": e.advice} for e in plan.elsewhere],
        "refused": [{"text": r.text, "where": r.where, "reason": r.reason} for r in plan.refused],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_patch(plan: RequestPlan) -> str:
    """Every list's diff, one after the other (``PatchError`` if a list has no text)."""
    parts = []
    for lr in plan.lists:
        if lr.lines:
            parts.append(make_patch(lr).diff)
    return "".join(parts)


def render_issue(plan: RequestPlan) -> str:
    out = []
    for lr in plan.lists:
        for number, issue in enumerate(issue_bodies(lr), start=1):
            template = TEMPLATE if lr.listed.daocloud else f"a request to {lr.name}"
            out.append(f"<!-- issue {number} for {issue.organisation}: {template} -->")
            out.append(f"title: {issue.title}")
            out.append("")
            out.append(issue.body.rstrip("\n"))
            out.append("")
    return "\n".join(out)


def render(plan: RequestPlan, fmt: str) -> str:
    """``plan`` in ``fmt`` (one of ``FORMATS``); ``PatchError`` for a patch without a list."""
    if fmt == "json":
        return render_json(plan)
    if fmt == "patch":
        return render_patch(plan)
    if fmt == "issue":
        return render_issue(plan)
    return render_text(plan)


__all__ = ["FORMATS", "PatchError", "render"]
