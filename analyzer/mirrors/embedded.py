"""The data shipped in the package: DaoCloud's ``allows.txt`` and its subdomain hosts.

``allows.txt`` is checked against the sha256 in ``allows.json`` every time it is loaded: a
corrupt or edited package data file is an ``EmbeddedDataError``, not a wrong answer.
``registry.ollama.ai`` (``ollama.m.daocloud.io``) is left out of the mirror set: it serves
Ollama models, which Kubernetes never pulls as container images.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType

from analyzer.mirrors.daocloud_lists import PatternList, parse_allows
from analyzer.mirrors.errors import CatalogueError
from analyzer.mirrors.upstream import upstream_host
from analyzer.model import Host, RegistryHosts

DAOCLOUD_PATH_HOST = "m.daocloud.io"  # the path-prefix form: m.daocloud.io/<registry>/<path>
NOT_CONTAINER_IMAGES = frozenset({"registry.ollama.ai"})


class EmbeddedDataError(CatalogueError):
    """A data file inside the package is missing or does not match its recorded sha256."""


@dataclass(frozen=True)
class AllowsMetadata:
    repository: str
    path: str
    commit: str
    date: str
    sha256: str

    def describe(self) -> str:
        return (
            f"embedded DaoCloud allows.txt ({self.repository} {self.path} @ "
            f"{self.commit[:12]}, {self.date})"
        )


def _read_data(name: str) -> bytes:
    try:
        return resources.files("analyzer").joinpath("data").joinpath(name).read_bytes()
    except OSError as exc:
        raise EmbeddedDataError(
            f"package data file analyzer/data/{name} cannot be read: "
            f"{exc}; reinstall image-coverage"
        ) from exc


@lru_cache(maxsize=1)
def allows_metadata() -> AllowsMetadata:
    try:
        meta = json.loads(_read_data("allows.json"))
        return AllowsMetadata(
            meta["repository"], meta["path"], meta["commit"], meta["date"], meta["sha256"]
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise EmbeddedDataError(
            f"package data file analyzer/data/allows.json is corrupt: "
            f"{exc}; reinstall image-coverage"
        ) from exc


def verify_allows(data: bytes, meta: AllowsMetadata) -> str:
    """The text of ``data`` if its sha256 is the recorded one, else an error."""
    digest = hashlib.sha256(data).hexdigest()
    if digest != meta.sha256:
        raise EmbeddedDataError(
            f"package data file analyzer/data/allows.txt has sha256 {digest[:16]}..., "
            f"expected {meta.sha256[:16]}... (corrupt or edited); reinstall image-coverage"
        )
    return data.decode("utf-8")


def embedded_allows_text() -> str:
    """The shipped ``allows.txt`` as it is in the file, verified."""
    return verify_allows(_read_data("allows.txt"), allows_metadata())


@lru_cache(maxsize=1)
def embedded_allows() -> PatternList:
    """The shipped ``allows.txt``, verified and parsed."""
    return parse_allows(embedded_allows_text(), "analyzer/data/allows.txt")


@lru_cache(maxsize=1)
def daocloud_domains() -> tuple[tuple[str, str], ...]:
    """``(upstream registry, mirror host)`` rows of ``daocloud_domains.tsv``, container image
    registries only."""
    text = _read_data("daocloud_domains.tsv").decode("utf-8")
    rows: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if number == 1 or not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != 2:
            raise EmbeddedDataError(
                f"analyzer/data/daocloud_domains.tsv:{number}: expected 2 tab-separated columns"
            )
        if cells[0] not in NOT_CONTAINER_IMAGES:
            rows.append((cells[0].strip(), cells[1].strip()))
    return tuple(rows)


def daocloud_host_registries() -> Mapping[str, str]:
    """mirror host -> the one upstream registry it serves (built once, read-only)."""
    return _daocloud_host_registries()


@lru_cache(maxsize=1)
def _daocloud_host_registries() -> Mapping[str, str]:
    return MappingProxyType({mirror: upstream for upstream, mirror in daocloud_domains()})


def daocloud_mirror_config() -> dict[str, RegistryHosts]:
    """One ``https://<x>.m.daocloud.io`` host (pull+resolve) per registry, upstream last."""
    config: dict[str, RegistryHosts] = {}
    for registry, mirror in daocloud_domains():
        host = Host(
            scheme="https", host=mirror, path="/v2", capabilities=frozenset({"pull", "resolve"})
        )
        config[registry] = RegistryHosts(
            registry=registry, hosts=(host, upstream_host(registry)), origin="embedded"
        )
    return config
