"""Image references, parsed and normalised exactly as Docker's distribution/reference does.

``parse_image`` has ``ParseNormalizedNamed`` semantics; ``ImageRef.pull_ref`` is what CRI
pulls (``ParseDockerRef``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzer.frozen import Frozen

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_REPO_PREFIX = "library/"
NAME_TOTAL_LENGTH_MAX = 255  # limit on the path, counting an added "library/"

# The grammar of distribution/reference (regexp.go), with two deliberate differences that keep
# Python's backtracking engine linear: the separator is written ``(?:[._]|__|-+)`` and every
# pattern is applied with ``fullmatch`` (Go's ``$`` does not accept a trailing newline).
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_REMOTE_NAME = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_IPV6_ADDRESS = r"\[[a-fA-F0-9:]+\]"
_DOMAIN_AND_PORT = rf"(?:{_DOMAIN_NAME}|{_IPV6_ADDRESS})(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN_AND_PORT}/)?{_REMOTE_NAME}"
_TAG = r"\w[\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"

_REFERENCE_RE = re.compile(rf"({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?", re.ASCII)
_NAME_RE = re.compile(rf"(?:({_DOMAIN_AND_PORT})/)?({_REMOTE_NAME})", re.ASCII)
_IDENTIFIER_RE = re.compile(r"[a-f0-9]{64}", re.ASCII)
_DOMAIN_RE = re.compile(_DOMAIN_AND_PORT, re.ASCII)

# go-digest v1.0.0: the grammar of a digest, and the hex length of each algorithm it knows
# (sha384 and sha512 count as available, as they are in docker and containerd binaries).
_GO_DIGEST_RE = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+", re.ASCII)
_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}
_LOWER_HEX_RE = re.compile(r"[a-f0-9]+", re.ASCII)

ERROR_KINDS = (
    "name_empty",  # Parse("") upstream; parse_image("") says invalid_format, as Docker does
    "invalid_format",
    "name_contains_uppercase",
    "name_too_long",
    "digest_invalid_format",
    "digest_invalid_length",
    "digest_unsupported",
    "identifier_as_name",
)


class InvalidImageReference(ValueError):
    """``text`` is not an image reference; ``kind`` is one of ``ERROR_KINDS``."""

    def __init__(self, text: str, kind: str, message: str) -> None:
        super().__init__(message)
        self.text = text
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class ImageRef(Frozen):
    """A parsed, normalised image reference."""

    # "docker.io", "registry.k8s.io", "localhost:5000", "[::1]:5000"; "" in the one case
    # distribution/reference yields no domain (``foo_bar.com/baz``: not a valid host name).
    domain: str
    path: str  # "library/nginx"
    tag: str | None = None
    digest: str | None = None
    # the repository as written when it is a short name (``nginx``, ``library/nginx``) and
    # the runtime resolves short names itself (CRI-O, Podman); None otherwise
    short: str | None = None

    @property
    def name(self) -> str:
        """The canonical repository name: ``docker.io/library/nginx``."""
        return f"{self.domain}/{self.path}" if self.domain else self.path

    def __str__(self) -> str:
        return self.name + self._suffix(self.tag, self.digest)

    @property
    def familiar_name(self) -> str:
        """Docker's short name: ``nginx``, ``foo/bar``, ``quay.io/x/y``."""
        if self.domain != DEFAULT_DOMAIN:
            return self.name
        if self.path.startswith(OFFICIAL_REPO_PREFIX):
            rest = self.path[len(OFFICIAL_REPO_PREFIX) :]
            if "/" not in rest:
                return rest
        return self.path

    @property
    def familiar(self) -> str:
        """Docker's short form with tag and digest as written: ``nginx:1.25``."""
        return self.familiar_name + self._suffix(self.tag, self.digest)

    @property
    def pulled(self) -> ImageRef:
        """What CRI pulls (``ParseDockerRef``): ``:latest`` when untagged, digest over tag."""
        if self.digest is not None:
            if self.tag is None:
                return self  # already the pulled form (frozen: sharing is safe)
            return ImageRef(self.domain, self.path, digest=self.digest, short=self.short)
        if self.tag:
            return self
        return ImageRef(self.domain, self.path, tag="latest", short=self.short)

    @property
    def pull_ref(self) -> str:
        """``str(self.pulled)``: ``docker.io/library/nginx:latest``, ``quay.io/x/y@sha256:...``."""
        return str(self.pulled)

    @property
    def repository(self) -> str:
        """The path the Registry API uses (``/v2/<repository>/manifests/...``)."""
        return self.path

    @property
    def reference(self) -> str:
        """What is asked for by ``pull_ref``: the digest if present, else the tag."""
        if self.digest is not None:
            return self.digest
        return self.tag or "latest"

    @staticmethod
    def _suffix(tag: str | None, digest: str | None) -> str:
        return (f":{tag}" if tag is not None else "") + (f"@{digest}" if digest else "")


def parse_image(text: str) -> ImageRef:
    """Parse ``text`` as Docker's ``ParseNormalizedNamed`` does; raise ``InvalidImageReference``."""
    if _IDENTIFIER_RE.fullmatch(text):
        raise InvalidImageReference(
            text,
            "identifier_as_name",
            f"a 64-character hexadecimal image id is not a repository name: {_shown(text)}",
        )
    domain, remainder = split_docker_domain(text)
    remote = _remote_of(remainder)
    if remote.lower() != remote:
        raise InvalidImageReference(text, "name_contains_uppercase", _uppercase_problem(text))
    return _parse(text, f"{domain}/{remainder}")


def short_name(text: str) -> str | None:
    """The repository as written (no tag or digest) when containers/image takes ``text`` for
    a short name (``pkg/shortnames`` ``parseUnnormalizedShortName``: the first component
    is not a host: no ``.`` or ``:``, not ``localhost``), so CRI-O and Podman resolve it
    through aliases and search registries: ``nginx:1.25`` -> ``nginx``, ``library/nginx``
    -> ``library/nginx``, ``nginx@sha256:...`` -> ``nginx`` (the code calls that short,
    whatever its comment says); ``quay.io/x``, ``localhost/x`` -> None. A first component
    with capital letters is None here: Docker's rule, which ``parse_image`` follows, takes
    it for a host."""
    name = text.partition("@")[0]
    first, slash, _ = name.partition("/")
    if slash and is_domain_component(first):
        return None
    colon = name.rfind(":")
    return name[:colon] if colon > name.rfind("/") else name


def with_short_name(text: str, image: ImageRef) -> ImageRef:
    """``image`` (parsed from ``text``) with ``short`` set when ``text`` is a short name."""
    short = short_name(text)
    if short is None or image.domain != DEFAULT_DOMAIN:
        return image
    if image.path not in (short, OFFICIAL_REPO_PREFIX + short):
        return image  # not the text it was parsed from (an image an operator derives)
    return ImageRef(image.domain, image.path, image.tag, image.digest, short)


def is_registry_domain(text: str) -> bool:
    """``reference.DomainRegexp`` anchored: a host name or bracketed IPv6, optional port."""
    return _DOMAIN_RE.fullmatch(text) is not None


def is_domain_component(first: str) -> bool:
    """Docker's rule (``splitDockerDomain``) for the first path component of a name: a
    registry host when it has ``.`` or ``:``, is ``localhost``, or has upper-case letters.
    The one "is this a host" test of the project."""
    return first == "localhost" or "." in first or ":" in first or first.lower() != first


def split_docker_domain(text: str) -> tuple[str, str]:
    """Docker's heuristic: ``(domain, remainder)``, with ``docker.io`` and ``library/`` added."""
    first, slash, rest = text.partition("/")
    if slash and is_domain_component(first):
        domain, remainder = first, rest
    else:
        domain, remainder = DEFAULT_DOMAIN, text
    if domain == LEGACY_DEFAULT_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_REPO_PREFIX + remainder
    return domain, remainder


def _uppercase_problem(text: str) -> str:
    """Where the capital letters are, quoting the name as written (no added ``library/``)."""
    remainder = split_docker_domain(text)[1]
    written = text if remainder.endswith(text) else text.partition("/")[2]
    name, at, algorithm = _remote_of(written).partition("@")
    if at and name.lower() == name:  # "nginx@SHA256:...": the remote ParseNormalizedNamed checks
        return f"digest algorithm must be lowercase: {_shown(algorithm)}"
    return f"repository name must be lowercase: {_shown(name)}"


def _remote_of(remainder: str) -> str:
    """The remote name as ``ParseNormalizedNamed`` checks it: everything before the first ``:``."""
    return remainder.partition(":")[0]


def _parse(text: str, candidate: str) -> ImageRef:
    """distribution/reference's ``Parse`` of ``candidate``; errors name the user's ``text``."""
    match = _REFERENCE_RE.fullmatch(candidate)
    if match is None:
        # Go lowercases U+0130 to "i", Python to "i" + U+0307.
        if _REFERENCE_RE.fullmatch(candidate.replace("\u0130", "i").lower()):
            raise InvalidImageReference(
                text, "name_contains_uppercase", f"image name must be lowercase: {_shown(text)}"
            )
        raise InvalidImageReference(text, "invalid_format", _format_problem(text))
    name, tag, digest = match.group(1, 2, 3)
    name_match = _NAME_RE.fullmatch(name)
    assert name_match is not None  # the reference pattern contains the name pattern
    domain, path = name_match.group(1) or "", name_match.group(2)
    if len(path) > NAME_TOTAL_LENGTH_MAX:
        raise InvalidImageReference(
            text,
            "name_too_long",
            f"repository path is {len(path)} characters, more than {NAME_TOTAL_LENGTH_MAX}: "
            f"{_shown(text)}",
        )
    if digest is not None:
        _validate_digest(text, digest)
    return ImageRef(domain=domain, path=path, tag=tag, digest=digest)


def _validate_digest(text: str, digest: str) -> None:
    """go-digest v1.0.0's ``Digest.Validate``."""
    algorithm, _, encoded = digest.partition(":")
    expected_length = _HEX_LENGTH.get(algorithm)
    if expected_length is None:
        if _GO_DIGEST_RE.fullmatch(digest):
            raise InvalidImageReference(
                text,
                "digest_unsupported",
                f"digest algorithm {algorithm!r} is not supported (use sha256, sha384 or sha512)",
            )
        raise InvalidImageReference(
            text, "digest_invalid_format", f"digest algorithm must be lowercase: {_shown(digest)}"
        )
    if len(encoded) != expected_length:
        raise InvalidImageReference(
            text,
            "digest_invalid_length",
            f"{algorithm} digest must have {expected_length} hex characters, "
            f"not {len(encoded)}: {_shown(digest)}",
        )
    if not _LOWER_HEX_RE.fullmatch(encoded):
        raise InvalidImageReference(
            text, "digest_invalid_format", f"digest hex must be lowercase: {_shown(digest)}"
        )


def _format_problem(text: str) -> str:
    """A plain-words reason for ``invalid_format``."""
    name = text.partition("@")[0]
    if text == "":
        return "image reference is empty"
    if text != text.strip():
        problem = "image reference has leading or trailing whitespace"
    elif not text.isascii():
        problem = "image reference contains non-ASCII characters"
    elif "://" in text:
        problem = "an image reference has no URL scheme"
    elif text.endswith(":"):
        problem = "the tag after ':' is empty"
    elif text.endswith("@"):
        problem = "the digest after '@' is empty"
    elif name.startswith("/") or "//" in name or name.endswith("/"):
        problem = "image name has an empty path component"
    else:
        problem = "not a valid image reference ([host[:port]/]name[:tag][@digest])"
    return f"{problem}: {_shown(text)}"


def _shown(text: str, limit: int = 80) -> str:
    """``text`` quoted for a one-line message, cut short when long."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"
