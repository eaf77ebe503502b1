"""Host URLs read the way containerd reads them: Go's ``net/url.Parse``, then the HTTP client.

containerd accepts what ``url.Parse`` accepts (``parseHostConfig`` in
``remotes/docker/config/hosts.go``, v1.6.20 and v2.x; CRI's ``registryEndpoints`` in
``pkg/cri/server/image_pull.go``, v1.6.20). ``url.Parse`` is lenient: it checks that a port
is made of digits, not that it is below 65536; ``http://`` has an empty host; ``http:/x``
is a path with no host. Such a host is accepted into the list and only fails when a request
is built or dialled (Go's ``net/http``: "no Host in request URL", "unsupported protocol
scheme"; ``net``: "invalid port"), and containerd then tries the next host. This module
follows Go's ``net/url/url.go`` (``Parse``, ``getScheme``, ``parseAuthority``,
``parseHost``, ``validOptionalPort``, ``unescape``) rule for rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEX = "0123456789abcdefABCDEF"
# characters ``shouldEscape(c, encodeHost)`` lets through in a host (besides letters, digits)
_HOST_OK = set("-_.~!$&'()*+,;=:[]<>\"")
_USERINFO_OK = set("-._:~!$&'()*+,;=%@")


@dataclass(frozen=True)
class GoURL:
    """The parts of a parsed URL containerd uses (``u.Scheme``, ``u.Host``, ``u.Path``)."""

    scheme: str  # lower-cased, as Go does
    host: str  # host[:port], userinfo removed ("" when there is none)
    path: str  # unescaped
    opaque: str = ""

    def request_problem(self) -> str | None:
        """Why Go's HTTP client fails every request to this base URL (None: it may work)."""
        if self.scheme not in ("http", "https"):
            return f"unsupported protocol scheme {self.scheme!r}"
        if not self.host:
            return "no host in the URL"
        port = _port_of(self.host)
        # an empty port ("host:") is the scheme's: net/http's canonicalAddr takes
        # url.Port() == "" as portMap[scheme] (80 or 443), it is not an error
        if port and int(port) > 65535:
            return f"invalid port {port!r}"
        return None


def _port_of(host: str) -> str | None:
    if host.startswith("["):
        rest = host[host.find("]") + 1 :]
        return rest[1:] if rest.startswith(":") else None
    return host.rpartition(":")[2] if ":" in host else None


class GoURLError(ValueError):
    """``url.Parse`` returned an error; the message is Go's (credentials never included)."""


def _has_ctl(text: str) -> bool:
    return any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)


def _scheme(raw: str) -> tuple[str, str]:
    """``getScheme``."""
    for index, char in enumerate(raw):
        if char.isascii() and char.isalpha():
            continue
        if char.isascii() and (char.isdigit() or char in "+-."):
            if index == 0:
                return "", raw
            continue
        if char == ":":
            if index == 0:
                raise GoURLError("missing protocol scheme")
            return raw[:index], raw[index + 1 :]
        return "", raw
    return "", raw


def _unescape(text: str, *, host: bool) -> str:
    """``unescape`` (the checks only: what is returned is used for messages and paths)."""
    out = bytearray()
    index = 0
    data = text.encode("utf-8", "surrogatepass")
    while index < len(data):
        byte = data[index]
        if byte == ord("%"):
            pair = data[index + 1 : index + 3].decode("latin-1")
            if len(pair) < 2 or any(c not in _HEX for c in pair):
                shown = data[index : index + 3].decode("utf-8", "replace")
                raise GoURLError(f"invalid URL escape {shown!r}")
            out.append(int(pair, 16))
            index += 3
            continue
        if host and byte < 0x80 and not (chr(byte).isalnum() or chr(byte) in _HOST_OK):
            raise GoURLError(f"invalid character {chr(byte)!r} in host name")
        out.append(byte)
        index += 1
    return out.decode("utf-8", "replace")


def _valid_optional_port(port: str) -> bool:
    return port == "" or (port[0] == ":" and all("0" <= c <= "9" for c in port[1:]))


def _parse_host(host: str) -> str:
    """``parseHost``: only the port is checked for digits; its range is not."""
    if host.startswith("["):
        end = host.rfind("]")
        if end < 0:
            raise GoURLError("missing ']' in host")
        if not _valid_optional_port(host[end + 1 :]):
            raise GoURLError(f"invalid port {host[end + 1 :]!r} after host")
    elif ":" in host:
        colon_port = host[host.rfind(":") :]
        if not _valid_optional_port(colon_port):
            raise GoURLError(f"invalid port {colon_port!r} after host")
    return _unescape(host, host=True)


def _parse_authority(authority: str) -> str:
    """``parseAuthority``: the host; the userinfo is checked and dropped."""
    at = authority.rfind("@")
    host = _parse_host(authority[at + 1 :] if at >= 0 else authority)
    if at >= 0 and not all(
        (c.isascii() and c.isalnum()) or c in _USERINFO_OK for c in authority[:at]
    ):
        raise GoURLError("invalid userinfo")
    return host


def go_url_parse(raw: str) -> GoURL:
    """``url.Parse(raw)``; raises ``GoURLError`` where Go returns an error."""
    text, _, fragment = raw.partition("#")
    if _has_ctl(text):
        raise GoURLError("invalid control character in URL")
    scheme, rest = _scheme(text)
    scheme = scheme.lower()
    rest = rest[:-1] if rest.endswith("?") and rest.count("?") == 1 else rest.partition("?")[0]
    if not rest.startswith("/"):
        if scheme:
            return GoURL(scheme, "", "", opaque=rest)
        if ":" in rest.partition("/")[0]:
            raise GoURLError("first path segment in URL cannot contain colon")
    host = ""
    if (scheme or not rest.startswith("///")) and rest.startswith("//"):
        authority, slash, tail = rest[2:].partition("/")
        rest = slash + tail
        host = _parse_authority(authority)
    path = _unescape(rest, host=False)
    _unescape(fragment, host=False)
    return GoURL(scheme, host, path)


_HTTP_PREFIX_RE = re.compile(r"^http")


def with_default_scheme(server: str) -> str:
    """``parseHostConfig``: ``https://`` is put in front of a URL that does not start with
    ``http`` (case-sensitive: ``HTTP://x`` becomes ``https://HTTP://x``)."""
    return server if _HTTP_PREFIX_RE.match(server) else "https://" + server
