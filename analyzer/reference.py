"""Image references, parsed and normalised exactly as Docker's distribution/reference does.

``parse_image`` has ``ParseNormalizedNamed`` semantics; ``ImageRef.pull_ref`` is what CRI
pulls (``ParseDockerRef``).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_DOMAIN = "docker.io"
OFFICIAL_REPO_PREFIX = "library/"


@dataclass(frozen=True)
class ImageRef:
    """A parsed, normalised image reference."""

    domain: str  # "docker.io", "registry.k8s.io", "localhost:5000", "[::1]:5000"
    path: str  # "library/nginx"
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """The canonical repository name: ``docker.io/library/nginx``."""
        return f"{self.domain}/{self.path}"

    def __str__(self) -> str:
        return self.name + self._suffix(self.tag, self.digest)

    @property
    def familiar_name(self) -> str:
        """Docker's short name: ``nginx``, ``foo/bar``, ``quay.io/x/y``."""
        if self.domain != DEFAULT_DOMAIN:
            return self.name
        if self.path.startswith(OFFICIAL_REPO_PREFIX):
            rest = self.path[len(OFFICIAL_REPO_PREFIX):]
            if "/" not in rest:
                return rest
        return self.path

    @property
    def familiar(self) -> str:
        """Docker's short form with tag and digest as written: ``nginx:1.25``."""
        return self.familiar_name + self._suffix(self.tag, self.digest)

    @property
    def pull_ref(self) -> str:
        """What CRI pulls (``ParseDockerRef``): ``:latest`` when untagged, digest over tag."""
        if self.digest is not None:
            return f"{self.name}@{self.digest}"
        return f"{self.name}:{self.tag or 'latest'}"

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
