"""``Answers``: which runtime answers for an image and with which hosts, kept per registry
(or per name, for a ``registries.conf``), for ``MirrorConfig``. Compiled by mypyc: a scan
asks it several times for every image (its route, the mirror coverage, the configured name).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from analyzer.model import RegistryHosts
from analyzer.reference import ImageRef

if TYPE_CHECKING:  # interpreted, and imports the readers
    from analyzer.mirrors.runtime import MirrorRuntime

Answer = tuple[RegistryHosts, "MirrorRuntime | None"]


class Answers:
    """``lookup``'s answer for each image, made once per key: the registry, or, when
    ``by_reference`` (``registries.conf`` answers by the whole name, and by whether it is
    pulled by digest: mirror-by-digest-only, pull-from-mirror), the name and ``@``."""

    def __init__(self, by_reference: bool, lookup: Callable[[ImageRef], Answer]) -> None:
        self.by_reference = by_reference
        self.lookup = lookup
        self.cache: dict[str, Answer] = {}

    def answer(self, ref: ImageRef) -> Answer:
        if self.by_reference:
            key = ref.name + ("@" if ref.digest is not None else "")
        else:
            key = ref.domain
        found = self.cache.get(key)
        if found is None:
            found = self.lookup(ref)
            self.cache[key] = found
        return found

    def hosts(self, ref: ImageRef) -> RegistryHosts:
        return self.answer(ref)[0]
