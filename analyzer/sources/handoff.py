"""The items of a root ``items`` sequence handed over as they end, and the bound on the
nodes a builder holds besides them.

Kept apart from ``tree`` (which is compiled by mypyc when built so): ``Handoff`` is a
``list`` subclass whose ``append`` is overridden, which a native class cannot be, and a
compiled caller would append to its list storage without calling the override. Compiled
builders (``json_tree``) use ``Handover`` and call its ``hand`` themselves.
"""

from __future__ import annotations

from analyzer.sources.limits import DocumentError, Limits
from analyzer.sources.tree import Node, TakeItem


class Handover:
    """Hands the items of a root ``items`` sequence over as they end (``hand``), and
    counts them: a plain class with an explicit method, which compiled builders can use."""

    def __init__(self, take_item: TakeItem) -> None:
        self.take_item = take_item
        self.taken = 0
        # nodes in the items handed over, no longer held (aliases in them counted as what
        # they expand to: at most ``max_alias_nodes`` more than were held)
        self.handed = 0

    def hand(self, node: Node) -> None:
        self.take_item(self.taken, node)
        self.taken += 1
        self.handed += node.size


class Handoff(list[Node], Handover):
    """The items of a root ``items`` sequence: handed over as they end, never kept.

    The interpreted builders use it in place of the sequence's list of items (see
    ``listed``): ``append`` hands the item over.
    """

    def __init__(self, take_item: TakeItem) -> None:
        list.__init__(self)
        Handover.__init__(self, take_item)

    def append(self, node: Node, /) -> None:
        self.hand(node)


def held_budget(count: int, handoff: Handover | None, line: int, limits: Limits) -> int:
    """Refuse a document that holds more than ``limits.max_nodes`` nodes (``count`` of them
    were built, the items handed over are not held); else the count to check again at."""
    handed = handoff.handed if handoff is not None else 0
    if count - handed > limits.max_nodes:
        raise DocumentError(
            line,
            f"more than {limits.max_nodes:,} values outside a List's items: no Kubernetes "
            "object is that large (etcd stores 1.5 MiB at most); skipped",
        )
    return handed + limits.max_nodes
