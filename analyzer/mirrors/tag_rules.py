"""Tag rules of ``mirror.txt`` entries and ``--ignore`` patterns (``repo:<rule>``).

A rule is a literal tag (``latest``), a glob-like tag (``24.04.*``) or an anchored regular
expression (``^v[0-9]+(\\.[0-9]+){1,2}$``). DaoCloud's sync scripts matched the regexes with
Go's ``regexp`` (RE2), so regexes and globs are matched here by RE2 too (``google-re2``):
time linear in the tag, whatever the rule (``^(a+)+b$`` cannot take exponential time), and a
rule Go would reject is rejected with the reason: more than 1000 nested groups, a repeat
count above 1000 (RE2's C++ parser would read ``a{4294967296}`` as literal text), or any RE2
syntax error (backreferences, lookarounds). ``re2`` is imported only when a rule needs it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

TagMatcher = Callable[[str], bool]

#: Go's regexp/syntax limits (``maxHeight``, ``ErrInvalidRepeatSize``)
MAX_NESTING = 1000
MAX_REPEAT = 1000
_REPEAT_RE = re.compile(r"\{(\d+)(?:,(\d*))?\}")


class TagRuleError(ValueError):
    """A tag rule that RE2 (as Go uses it) does not accept; the message says why."""


def tag_matcher(rule: str) -> TagMatcher:
    """A literal tag, an anchored regex (``^...$``) or a glob-like tag (``24.04.*``);
    ``TagRuleError`` when the rule cannot be matched."""
    if rule.startswith("^") or rule.endswith("$"):
        return _matcher(rule)
    if any(ch in rule for ch in "*?["):
        return _matcher(glob_to_regex(rule))
    return lambda tag: tag == rule


@lru_cache(maxsize=1024)  # DaoCloud's quick list used one regex for 154 repositories
def _matcher(pattern: str) -> TagMatcher:
    compiled = _compile(pattern)
    return lambda tag: compiled.fullmatch(tag) is not None


def _compile(pattern: str) -> Any:
    _check_like_go(pattern)
    import re2  # only lists with regex or glob tags pay for it

    options = re2.Options()
    options.log_errors = False  # the error is ours to report, not a line on stderr
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        raise TagRuleError(_reason(exc)) from None
    except (UnicodeError, ValueError, TypeError) as exc:  # text RE2 cannot take at all
        raise TagRuleError(f"not a regular expression RE2 accepts ({exc})") from None


def _reason(exc: Exception) -> str:
    detail = exc.args[0] if exc.args else exc
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    return str(detail)


def _check_like_go(pattern: str) -> None:
    """Go's limits that RE2's C++ parser does not share: nesting and repeat counts."""
    depth = 0
    escaped = in_class = False
    for index, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]" or pattern[index - 1] == "["
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
            if depth > MAX_NESTING:
                raise TagRuleError(f"expression nests too deeply (more than {MAX_NESTING} groups)")
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == "{":
            match = _REPEAT_RE.match(pattern, index)
            if match is not None:
                counts = [int(n) for n in match.groups() if n]
                if any(n > MAX_REPEAT for n in counts):
                    raise TagRuleError(
                        f"invalid repeat count {match.group()} (at most {MAX_REPEAT})"
                    )


def glob_to_regex(glob: str) -> str:
    """``fnmatch``'s syntax (``*``, ``?``, ``[...]``, ``[!...]``) as an RE2 expression."""
    out: list[str] = []
    index = 0
    while index < len(glob):
        ch = glob[index]
        index += 1
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "[":
            start = index + (glob[index : index + 1] == "!")
            start += glob[start : start + 1] == "]"  # a "]" first is a member, as in fnmatch
            close = glob.find("]", start)
            if close < 0:
                out.append("\\[")
                continue
            body = glob[index:close].replace("\\", "\\\\")
            index = close + 1
            if body.startswith("!"):
                body = "^" + body[1:]
            elif body.startswith("^"):
                body = "\\" + body
            out.append(f"[{body}]")
        else:
            out.append(re.escape(ch))
    return "".join(out)
