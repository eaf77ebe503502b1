"""The store of refreshed catalogue lists: ``analyzer.online`` writes it (``coverage catalog
update``), ``analyzer.mirrors`` reads it (a scan uses the downloaded ``allows.txt``). It sits
below both, so neither imports the other; the atomic, locked file writing lives here too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from analyzer.store.defaults import DEFAULT_ALLOWS_URL, DEFAULT_NAME

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.store.cache import CachedList


def cached_daocloud_allows() -> CachedList | None:
    """The copy of DaoCloud's ``allows.txt`` that ``coverage catalog update`` downloaded, if
    there is one and it is intact (newer than the embedded snapshot, as a rule)."""
    # imported here: the CLI names analyzer.store.defaults at start-up, and the cache
    # module (json, tempfile, datetime, filelock) is only for commands that read the cache
    from analyzer.store.cache import load_cached

    entry = load_cached(DEFAULT_NAME)
    return entry if entry is not None and entry.source == DEFAULT_ALLOWS_URL else None
