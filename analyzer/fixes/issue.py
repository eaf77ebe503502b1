"""``coverage request --format issue``: one request per organisation, in the mirror project's
issue template.

For DaoCloud's lists the body follows the "Allows Image" issue form of
DaoCloud/public-image-mirror (``.github/ISSUE_TEMPLATE/allows-image.yml``): a form issue's
body is each field's label as a ``###`` heading with the answer below. The fields the
analyser cannot know (the project's source, where it documents the image) are left for the
requester, and say so. Other lists get a plain body naming the lines to add.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.fixes.request import ListRequest, Requested
from analyzer.mirrors.daocloud_lists import Pattern
from analyzer.mirrors.upstream import DOCKER_HUB

TEMPLATE = "DaoCloud/public-image-mirror .github/ISSUE_TEMPLATE/allows-image.yml (Allows Image)"
_LEVEL = "白名单级别"
_LEVEL_ONE = "只需要这一个镜像 (如 docker.io/library/busybox)"
_LEVEL_ALL = "需要这个组织下所有镜像 (如 docker.io/library/**)"
_ADDRESS = "镜像仓库地址"
_VERIFIED = (
    "这是 **镜像仓库** 认证可信的 **验证过的发布者(Verified Publisher)**或者"
    "**赞助的项目(Sponsored OSS)** 么?"
)
_VERIFIED_NO = "不是 - 请补充下面的信息"
_SOURCE = "项目源码地址 或 组织地址"
_PROOF = "官网 或 文档 或 项目源码 中哪提及对应的镜像的地址 (需要证明这个镜像和源码有实际关联)"
_NOTES = "补充说明"
_TO_FILL = "(to fill in by the requester: {what})"


@dataclass(frozen=True)
class IssueBody:
    organisation: str  # host/org
    title: str
    body: str


def organisation(line: Pattern) -> str:
    """``quay.io/prometheus`` for ``quay.io/prometheus/node-exporter`` and ``quay.io/prometheus/*``
    (a repository at the registry's root is its own organisation)."""
    if line.kind == "exact":
        first = line.path.split("/")[0]
        return f"{line.host}/{first}"
    return f"{line.host}/{line.path.split('/')[0]}" if line.path else line.host


def address(line: Pattern) -> str:
    """Where people browse the repository (or the organisation, for a wildcard line)."""
    path = line.path
    if line.host == DOCKER_HUB:
        if line.kind == "exact" and path.startswith("library/"):
            return f"https://hub.docker.com/_/{path.removeprefix('library/')}"
        return (
            f"https://hub.docker.com/r/{path}"
            if line.kind == "exact"
            else (f"https://hub.docker.com/u/{path}")
        )
    if line.host == "quay.io":
        return (
            f"https://quay.io/repository/{path}"
            if line.kind == "exact"
            else (f"https://quay.io/organization/{path}")
        )
    return f"https://{line.host}/{path}"


def _section(label: str, value: str) -> str:
    return f"### {label}\n\n{value}\n"


def _daocloud_body(lines: list[Requested]) -> str:
    wildcard = any(r.line.kind != "exact" for r in lines)
    listed = "\n".join(str(r.line) for r in lines)
    images = "\n".join(f"- {image}" for r in lines for image in r.images)
    return "\n".join(
        [
            _section(_LEVEL, _LEVEL_ALL if wildcard else _LEVEL_ONE),
            _section(_ADDRESS, "\n".join(address(r.line) for r in lines)),
            _section(_VERIFIED, _VERIFIED_NO),
            _section(_SOURCE, _TO_FILL.format(what="the project's source or organisation")),
            _section(_PROOF, _TO_FILL.format(what="where the project names these images")),
            _section(
                _NOTES,
                f"allows.txt lines:\n\n```\n{listed}\n```\n\nImages that need them:\n\n{images}",
            ),
        ]
    )


def _plain_body(lr: ListRequest, lines: list[Requested]) -> str:
    listed = "\n".join(str(r.line) for r in lines)
    images = "\n".join(f"- {image}" for r in lines for image in r.images)
    return (
        f"Please add these lines to {lr.name} ({lr.format}):\n\n```\n{listed}\n```\n\n"
        f"Images that need them:\n\n{images}\n"
    )


def issue_bodies(lr: ListRequest) -> list[IssueBody]:
    """One body per organisation, in the order of the lines."""
    by_org: dict[str, list[Requested]] = {}
    for requested in lr.lines:
        by_org.setdefault(organisation(requested.line), []).append(requested)
    out = []
    for org, lines in by_org.items():
        title = "allows: " + ", ".join(str(r.line) for r in lines)
        body = _daocloud_body(lines) if lr.listed.daocloud else _plain_body(lr, lines)
        out.append(IssueBody(org, title, body))
    return out
