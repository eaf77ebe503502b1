"""How much one document may cost before it is refused, and the error that says so."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds that keep hostile or broken input from taking the run down.

    Kubernetes itself refuses documents nested 10,000 levels deep and aliases that expand
    without end; real manifests stay far below all of these.
    """

    #: a YAML document (or a whole JSON file) larger than this is skipped with an error
    max_document_bytes: int = 64 * MIB
    #: deepest nesting of mappings and sequences accepted
    max_depth: int = 1000
    #: nodes reachable through aliases in one document (billion laughs stops here)
    max_alias_nodes: int = 1_000_000
    #: nodes held for one document, the items of a ``List`` apart (they are read one at a
    #: time): etcd stores no object over 1.5 MiB, which cannot hold a million nodes
    max_nodes: int = 1_000_000


class DocumentError(Exception):
    """One document could not be read; ``line`` is 1-based within the file."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message
