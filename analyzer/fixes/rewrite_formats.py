"""``coverage rewrite`` output: a kustomize ``images:`` block, a JSON map, Helm ``--set``
values; the uses that stay are listed after (as YAML comments, JSON, or text)."""

from __future__ import annotations

import json
import shlex

from analyzer.fixes.rewrite import Kept, RewritePlan
from analyzer.formats.textgrid import printable

FORMATS = ("kustomize", "helm", "json")


def _quoted(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid YAML double-quoted scalar


def _one_line(text: str) -> str:
    """One line, control characters from the input shown escaped."""
    return printable(" ".join(text.split()))


def kept_lines(kept: tuple[Kept, ...] | list[Kept], comment: str) -> list[str]:
    if not kept:
        return []
    out = [f"{comment}stay as they are ({len(kept)}):"]
    out += [f"{comment}  {k.raw!r} at {_one_line(k.where)}: {_one_line(k.reason)}" for k in kept]
    return out


def render_kustomize(plan: RewritePlan) -> str:
    out = [f"# coverage rewrite: images in DaoCloud's {plan.style} form (only those it holds)"]
    if plan.rewrites:
        out.append("images:")
        for rewrite in plan.rewrites:
            out.append(f"- name: {_quoted(rewrite.written)}")
            out.append(f"  newName: {_quoted(rewrite.new_name)}")
    else:
        out.append("images: []")
    out += kept_lines(plan.kept, "# ")
    return "\n".join(out) + "\n"


def render_json(plan: RewritePlan) -> str:
    data = {
        "style": plan.style,
        "images": {old: new for r in plan.rewrites for old, new in r.references},
        "kept": [{"reference": k.raw, "where": k.where, "reason": k.reason} for k in plan.kept],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_helm(sets: list[str], kept: list[Kept]) -> str:
    out = ["# coverage rewrite: helm upgrade ... with these values"]
    # keys come from the values file: quoted for the shell whenever they need it
    out += [f"--set {shlex.quote(s)} \\" for s in sets]
    if sets:
        out[-1] = out[-1].removesuffix(" \\")
    else:
        out.append("# no image field the mirror holds")
    out += kept_lines(kept, "# ")
    return "\n".join(out) + "\n"
