"""One runtime's mirror configuration, as the route engine asks for it: ``MirrorRuntime``.

Every way of configuring mirrors (a containerd hosts directory, containerd's legacy CRI
``registry.mirrors``, Docker's ``daemon.json``, k3s/RKE2's ``registries.yaml``, CRI-O and
Podman's ``registries.conf``, the embedded DaoCloud set) is one implementation, and answers
one question for an image: which hosts, in what order, with what capabilities and
rewrites (a ``RegistryHosts``), or ``None`` when it does not configure that image. Its
findings (``errors``: files the runtime would reject or ignore; ``warnings``) travel with it.

``MirrorConfig`` (``config.py``) asks its runtimes in order; the first answer wins, and an
image nobody configures goes to its own registry. A new runtime is one module with one
class that satisfies this protocol, plus its tests.
"""

from __future__ import annotations

from typing import Protocol

from analyzer.model import ConfigError, RegistryHosts
from analyzer.reference import ImageRef

#: ``RegistryHosts.registry`` of entries that match every registry (shown, never looked up)
CATCH_ALL_NAMES: frozenset[str] = frozenset({"*", "_default", "<registry>"})


class MirrorRuntime(Protocol):
    """The mirror configuration of one runtime (or one of its files)."""

    @property
    def origin(self) -> str:
        """``RegistryHosts.origin`` of its answers: ``hosts-dir``, ``registries-conf``, ..."""
        ...

    @property
    def by_reference(self) -> bool:
        """True when the answer depends on the whole reference (``registries.conf``
        prefixes), not only on its registry."""
        ...

    @property
    def errors(self) -> tuple[ConfigError, ...]:
        """Files (or parts) the runtime rejects or ignores, with file and line."""
        ...

    @property
    def warnings(self) -> tuple[str, ...]: ...

    def hosts_for(self, ref: ImageRef) -> RegistryHosts | None:
        """The hosts the runtime tries for ``ref`` (its ``pulled`` form), in order; None
        when this configuration says nothing about it."""
        ...

    def configured(self) -> tuple[RegistryHosts, ...]:
        """Every entry it configures, in the order the runtime consults them."""
        ...

    def configured_name(self, ref: ImageRef) -> str:
        """The ``registry`` under which ``configured()`` lists the entry that answers for
        ``ref`` (asked only when ``hosts_for(ref)`` answers): per-mirror rows count the
        image there."""
        ...
