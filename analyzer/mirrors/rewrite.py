"""Repository rewrites: the name a host is asked for (``Host.rewrites``).

k3s's containerd (k3s-io/containerd, not upstream containerd) applies a hosts.toml
``[host."URL".rewrite]`` table to the repository path before asking that host: each entry
is a Go ``regexp`` and a replacement with Go's ``$1``/``${name}`` syntax, applied with
``ReplaceAllString``; the first entry that changes the name wins. The table is a Go map,
so when several entries would change the same name the one used is not fixed: the answer
here takes the first in the order written and says so.

Go's RE2 has no look-around and no back-references; a pattern using them (or one Python's
``re`` cannot compile) is skipped with a warning, as Go skips a pattern it cannot compile.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_GO_UNSUPPORTED = re.compile(r"\(\?<?[=!]|\\[1-9]")
_GO_TEMPLATE = re.compile(r"\$(?:\$|\{([^}]*)\}|(\w+))")


@dataclass(frozen=True)
class Rewritten:
    """The repository a host is asked for, and what a reader should know about it."""

    path: str
    pattern: str | None = None  # the pattern that applied (None: unchanged)
    warnings: tuple[str, ...] = ()


def compile_go_pattern(pattern: str) -> re.Pattern[str] | str:
    """The compiled pattern, or why it cannot be used the way Go uses it."""
    if _GO_UNSUPPORTED.search(pattern):
        return "Go's regexp has no look-around or back-references"
    try:
        return re.compile(pattern)
    except re.error as exc:
        return f"not a valid regular expression ({exc})"


def expand_go_template(match: re.Match[str], template: str) -> str:
    """Go's ``Regexp.Expand``: ``$1``, ``${1}``, ``$name``, ``${name}``, ``$$``; a name
    is as long as possible (``$1x`` is ``${1x}``) and an unknown group gives ''."""

    def group(found: re.Match[str]) -> str:
        if found.group(0) == "$$":
            return "$"
        name = found.group(1) if found.group(1) is not None else found.group(2)
        if name.isdigit():
            index = int(name)
            return (match.group(index) or "") if index <= (match.re.groups) else ""
        if name in match.re.groupindex:
            return match.group(name) or ""
        return ""

    return _GO_TEMPLATE.sub(group, template)


def rewrite_path(path: str, rewrites: Sequence[tuple[str, str]]) -> Rewritten:
    """Apply ``rewrites`` (pattern, replacement) to a repository path, as k3s's
    containerd does."""
    warnings: list[str] = []
    results: list[tuple[str, str]] = []
    for pattern, replacement in rewrites:
        compiled = compile_go_pattern(pattern)
        if isinstance(compiled, str):
            warnings.append(f"rewrite {pattern!r} is skipped: {compiled}")
            continue
        changed = compiled.sub(lambda m, r=replacement: expand_go_template(m, r), path)  # type: ignore[misc]
        if changed != path:
            results.append((pattern, changed))
    if not results:
        return Rewritten(path, None, tuple(warnings))
    pattern, changed = results[0]
    others = sorted({name for _, name in results[1:] if name != changed})
    if others:
        warnings.append(
            f"several rewrites change {path!r} ({', '.join(repr(p) for p, _ in results)}): "
            "k3s keeps them in a Go map, so which one applies is not fixed; this answer "
            f"uses the first as written ({changed!r}; also possible: {', '.join(others)})"
        )
    return Rewritten(changed, pattern, tuple(warnings))
