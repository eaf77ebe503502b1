"""``WWW-Authenticate`` challenges, as a registry sends them with a 401.

``Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="..."``
names the token server and what to ask it for; ``Basic realm="..."`` means credentials
are needed, which an anonymous probe does not have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# RFC 7235: auth-scheme 1*SP auth-param *( "," auth-param ), values a token or quoted-string
_SCHEME_RE = re.compile(r"\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*")
_PARAM_RE = re.compile(
    r"""\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)\s*,?"""
)


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower case: "bearer", "basic"
    params: dict[str, str] = field(default_factory=dict)

    @property
    def realm(self) -> str | None:
        return self.params.get("realm")


def parse_challenges(header: str) -> list[Challenge]:
    """Every challenge in one ``WWW-Authenticate`` value (usually there is one)."""
    challenges: list[Challenge] = []
    position = 0
    while position < len(header):
        scheme_match = _SCHEME_RE.match(header, position)
        if scheme_match is None or not scheme_match.group(1):
            break
        scheme = scheme_match.group(1).lower()
        position = scheme_match.end()
        params: dict[str, str] = {}
        while position < len(header):
            param_match = _PARAM_RE.match(header, position)
            if param_match is None:
                break
            key, value = param_match.group(1).lower(), param_match.group(2)
            if value.startswith('"'):
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            params[key] = value
            position = param_match.end()
        challenges.append(Challenge(scheme, params))
        if position < len(header) and header[position] == ",":
            position += 1
    return challenges


def bearer_challenge(header: str | None) -> Challenge | None:
    """The ``Bearer`` challenge with a realm, if the header has one."""
    for challenge in parse_challenges(header or ""):
        if challenge.scheme == "bearer" and challenge.realm:
            return challenge
    return None
