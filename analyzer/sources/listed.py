"""The items of a ``List`` document, extracted one by one as the parser ends each.

``kubectl get -A -o yaml`` prints one document: a ``List`` whose ``items`` are every
object of the cluster, often tens of megabytes. Its tree would take some twenty times its
size; instead ``build_yaml`` hands each item of the root ``items`` sequence to ``take``,
which keeps only the item's uses. Whether the document really is a ``List`` is known at
its end (``kind`` comes after ``items`` in kubectl's output); when it is not, or when an
item needs what only the ``List`` says (an item without ``kind`` or ``apiVersion``),
``uses`` answers None and the document is read again, whole, the ordinary way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from analyzer.model import ImageUse, SourceWarning
from analyzer.sources.extract import Origin, extract
from analyzer.sources.kinds import Rule
from analyzer.sources.limits import Limits
from analyzer.sources.tree import MERGE_KEY, MapNode, Node, ScalarNode, get, share, text


class ListedItems:
    """Collects the uses of the items handed over while one document is built."""

    def __init__(self, origin: Origin, limits: Limits, rules: Sequence[Rule] = ()) -> None:
        self.origin = origin
        self.limits = limits
        self.rules = rules
        self.taken = 0
        self.whole_needed = False
        self._uses: list[ImageUse | SourceWarning] = []

    def take(self, index: int, item: Node) -> None:
        self.taken += 1
        if self.whole_needed or not isinstance(item, MapNode):
            return  # items that are not mappings are not objects (as in extract)
        if not (text(get(item, "kind")) and text(get(item, "apiVersion"))):
            self._give_up()
            return
        try:
            found = extract(item, self.origin, self.limits, self.rules)
        except RecursionError:  # the whole reading reports it, with its line
            self._give_up()
            return
        prefix = f"items[{index}]."
        self._uses.extend(
            replace(use, field=share(prefix + use.field)) if isinstance(use, ImageUse) else use
            for use in found
        )

    def uses(self, roots: list[Node | None]) -> list[ImageUse | SourceWarning] | None:
        """The uses of the document whose ``roots`` were built, or None when it must be
        read again whole (it is no ``List``, or its items need the ``List``)."""
        if self.whole_needed or len(roots) != 1 or not isinstance(roots[0], MapNode):
            return None
        root = roots[0]
        keys = [key for key, _ in root.pairs if isinstance(key, ScalarNode)]
        if [key.value for key in keys].count("items") != 1:
            return None
        if any(key.value == MERGE_KEY and key.plain for key in keys):
            return None
        kind = text(get(root, "kind"))
        if not kind or not kind.endswith("List"):
            return None
        return self._uses

    def _give_up(self) -> None:
        self.whole_needed = True
        self._uses = []
