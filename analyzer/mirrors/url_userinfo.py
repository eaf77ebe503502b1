"""User names and passwords written into mirror URLs (``https://user:pw@m.example``).

containerd keeps only ``u.Host`` of a host URL (``parseHostConfig``, CRI's
``registryHosts``): the userinfo is dropped, never sent, and the host is ``m.example``.
Credentials come from the CRI registry auth configuration (or a ``header``), never from the
URL. Whatever we print names such a URL as ``https://***@m.example``: the password must not
reach a report, a log or a terminal.
"""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.redact import REDACTED, redact_text, redact_url, userinfo

__all__ = ["REDACTED", "credentials_warning", "redact", "redacted", "strip_userinfo", "userinfo"]


def strip_userinfo(netloc: str) -> str:
    """``user:pw@host:port`` -> ``host:port`` (Go's ``u.Host``)."""
    return netloc.rpartition("@")[2]


def redact(text: str, urls: Iterable[str]) -> str:
    """``text`` with the userinfo of each of ``urls`` (and of any URL in it) hidden."""
    return redact_text(text, urls)


def redacted(url: str) -> str:
    """``url`` as it may be shown: ``https://***@m.example``."""
    return redact_url(url)


def credentials_warning(subject: str) -> str:
    """The warning for a URL with userinfo; ``subject`` names it (already redacted)."""
    return (
        f"{subject} has a user name or password in its URL: containerd does not use it "
        "(it keeps only host and port, and sends nothing from the URL); give credentials "
        "in the CRI registry auth configuration instead, and remove them from the URL"
    )
