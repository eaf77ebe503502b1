"""The one place a URL's user name and password are hidden before anything shows or stores it.

A mirror or list URL may carry ``user:password@`` however it is spelled: ``HTTPS://``,
`` https://`` (with a space), ``https:/`` (one slash), ``ftp://``, no scheme at all, or a
password holding ``/``, ``#``, ``?`` or ``@`` that a URL parser would cut in the wrong place.
``redact_url`` treats everything between the scheme's slashes and the **last** ``@`` as the
secret: a URL the tool shows never has a legitimate ``@`` before its host, so hiding too much
costs a few characters of a strange URL, and hiding too little would leak a password.
``redact_text`` does the same for every URL-shaped word of a message (``scheme:/...@``).

Every URL the tool prints, writes to a report or stores in its cache passes through here
(``Host.url``, catalogue sources, the cache metadata, error messages).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

REDACTED = "***"

#: leading blanks and a scheme followed by at least one slash (``https://``, ``HTTPS:/``)
_PREFIX_RE = re.compile(r"\s*(?:[A-Za-z][A-Za-z0-9+.\-]*:[/\\]+)?")
#: what ends a word of free text (a URL-shaped word never holds one)
_WORD_END_RE = re.compile(r"([\s'\"<>`]+)")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_SCHEME_CHARS = _LETTERS | frozenset("0123456789+.-")
_PIECES_RE = re.compile(r"[/?#@:]")
_MIN_PIECE = 3  # shorter pieces are hidden only where a message quotes them


def userinfo(url: str) -> str | None:
    """What ``redact_url`` hides in ``url`` (the ``user[:password]`` part), or None."""
    prefix = _PREFIX_RE.match(url)
    rest = url[prefix.end() if prefix else 0 :]
    secret, at, _ = rest.rpartition("@")
    return secret if at and secret else None


def redact_url(url: str) -> str:
    """``url`` as it may be shown: ``https://user:pw@m.example/v2`` -> ``https://***@m.example/v2``."""
    if "@" not in url:  # the usual case, on every Host.url: no regex
        return url
    prefix = _PREFIX_RE.match(url)
    start = prefix.end() if prefix else 0
    secret, at, host = url[start:].rpartition("@")
    if not at or not secret:
        return url
    return f"{url[:start]}{REDACTED}@{host}"


def redact_host(host: str) -> str:
    """A ``host[:port]`` as it may be shown: without user info, and ``***`` in place of a
    "port" that is not a number (``user:pa`` of ``user:pa/ss@host`` cut at the ``/``)."""
    shown = redact_url(host)
    if shown.startswith("["):  # an IPv6 literal, [::1]:5000
        return shown
    _, colon, port = shown.partition(":")
    if colon and not port.isdigit() and "@" not in port:
        # not host:port: the user:password of a URL cut at a ``/`` (the password itself
        # may hold more colons), shown as neither
        return REDACTED
    return shown


def redact_text(text: str, urls: Iterable[str] = ()) -> str:
    """``text`` with the userinfo of every URL-shaped word hidden, and with the secret of
    each of ``urls`` (the URLs the message was built from) hidden wherever it appears."""
    for url in urls:
        secret = userinfo(url) if "@" in url else None
        if not secret:
            continue
        text = text.replace(secret, REDACTED)
        # a parser that cut the URL at a "/", "#" or "?" of the password quotes a piece of it
        # ("port 'pa' is not a number"): hide each piece too
        _, _, password = secret.partition(":")
        for piece in sorted(set(_PIECES_RE.split(password)), key=len, reverse=True):
            if len(piece) >= _MIN_PIECE:
                text = text.replace(piece, REDACTED)
            elif piece:
                text = text.replace(f"'{piece}'", f"'{REDACTED}'")
    if "@" not in text:  # the usual case: no regex
        return text
    return _redact_words(text)


#: what follows the ``@`` of an image reference's digest (``nginx@sha256:...``)
_DIGEST_AFTER_AT = re.compile(r"sha(?:256|384|512):")


def redact_reference(text: str, reference: str) -> str:
    """``text`` (a message quoting ``reference``, an image reference as a user wrote it)
    with what may be a password hidden: unless the last ``@`` of ``reference`` starts a
    digest, what comes before it is taken for ``user:password`` (a registry URL pasted as
    an image, ``user:pw@registry.example/app:1``), as ``redact_url`` takes it."""
    at = reference.rfind("@")
    if at == -1 or _DIGEST_AFTER_AT.match(reference, at + 1):
        return redact_text(text)
    return redact_text(text, (reference,))


@functools.lru_cache(maxsize=1024)
def _redact_words(text: str) -> str:
    """Each word of ``text`` with a URL's userinfo hidden: from its first
    ``scheme:/`` (``[A-Za-z][A-Za-z0-9+.-]*:`` and slashes) to its last ``@``. Cached: a
    route repeats the same sentence for every image (a catalogue's source names its commit
    after an ``@``). Word by word in one pass: the pattern this does the work of,
    ``([A-Za-z][A-Za-z0-9+.-]*:[/\\\\]+)[^\\s'"<>`]*@``, rescanned the rest of a word from each
    letter when no ``@`` followed (quadratic: 60 KB of an object's name took 8 s)."""
    parts = _WORD_END_RE.split(text)
    for index in range(0, len(parts), 2):  # the words (separators at odd indexes)
        if "@" in parts[index]:
            parts[index] = _redact_word(parts[index])
    return "".join(parts)


def _redact_word(word: str) -> str:
    last_at = word.rfind("@")
    colon = word.find(":")
    while colon != -1 and colon < last_at:
        if word[colon + 1] in "/\\":
            start = colon  # back over the scheme's characters, then on to its first letter
            while start > 0 and word[start - 1] in _SCHEME_CHARS:
                start -= 1
            while start < colon and word[start] not in _LETTERS:
                start += 1
            if start < colon:
                slashes = colon + 1
                while word[slashes] in "/\\":
                    slashes += 1
                return f"{word[:slashes]}{REDACTED}@{word[last_at + 1 :]}"
        colon = word.find(":", colon + 1)
    return word
