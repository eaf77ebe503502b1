"""User names and passwords written into mirror URLs (``https://user:pw@m.example``).

containerd keeps only ``u.Host`` of a host URL (``parseHostConfig``, CRI's
``registryHosts``): the userinfo is dropped, never sent, and the host is ``m.example``.
Credentials come from the CRI registry auth configuration (or a ``header``), never from the
URL. Whatever we print names such a URL as ``https://***@m.example``: the password must not
reach a report, a log or a terminal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_AUTHORITY_END_RE = re.compile(r"[/?#]")
REDACTED = "***"


def userinfo(url: str) -> str | None:
    """The ``user[:password]`` of ``url``'s authority (with or without a scheme), or None.
    Like Go's ``url.Parse``, it runs up to the last ``@`` of the authority."""
    rest = _SCHEME_RE.sub("", url, count=1)
    authority = _AUTHORITY_END_RE.split(rest, maxsplit=1)[0]
    if "@" not in authority:
        return None
    return authority.rpartition("@")[0]


def strip_userinfo(netloc: str) -> str:
    """``user:pw@host:port`` -> ``host:port`` (Go's ``u.Host``)."""
    return netloc.rpartition("@")[2]


def redact(text: str, urls: Iterable[str]) -> str:
    """``text`` with the userinfo of each of ``urls`` replaced by ``***``."""
    for url in urls:
        secret = userinfo(url)
        if secret:
            text = text.replace(secret + "@", REDACTED + "@")
    return text


def redacted(url: str) -> str:
    """``url`` as it may be shown: ``https://***@m.example``."""
    return redact(url, (url,))


def credentials_warning(subject: str) -> str:
    """The warning for a URL with userinfo; ``subject`` names it (already redacted)."""
    return (
        f"{subject} has a user name or password in its URL: containerd does not use it "
        "(it keeps only host and port, and sends nothing from the URL); give credentials "
        "in the CRI registry auth configuration instead, and remove them from the URL"
    )
