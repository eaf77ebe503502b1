"""Mirror configuration (containerd's hosts.toml rules) and mirror catalogues.

- ``load_mirror_config(...) -> MirrorConfig``; ``MirrorConfig.hosts_for(registry)`` is the
  ordered host list containerd uses for a registry;
- ``load_catalogues(specs) -> Catalogues``; ``Catalogues.for_host(host)`` says what a mirror
  host holds;
- ``parse_allows`` / ``parse_mirror_txt`` / ``parse_list``: DaoCloud's list formats.
"""

from __future__ import annotations

from analyzer.mirrors.catalogue import (
    Catalogue,
    EverythingCatalogue,
    ListCatalogue,
    NothingCatalogue,
    RegistryRestricted,
)
from analyzer.mirrors.catalogues import Catalogues, load_catalogues
from analyzer.mirrors.config import NODE_DEFAULT, MirrorConfig, load_mirror_config
from analyzer.mirrors.daocloud_lists import (
    Pattern,
    PatternList,
    parse_allows,
    parse_list,
    parse_mirror_txt,
)
from analyzer.mirrors.embedded import EmbeddedDataError, allows_metadata, embedded_allows
from analyzer.mirrors.errors import CatalogueError

__all__ = [
    "NODE_DEFAULT",
    "Catalogue",
    "CatalogueError",
    "Catalogues",
    "EmbeddedDataError",
    "EverythingCatalogue",
    "ListCatalogue",
    "MirrorConfig",
    "NothingCatalogue",
    "Pattern",
    "PatternList",
    "RegistryRestricted",
    "allows_metadata",
    "embedded_allows",
    "load_catalogues",
    "load_mirror_config",
    "parse_allows",
    "parse_list",
    "parse_mirror_txt",
]
