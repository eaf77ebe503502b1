"""The JSON tree builder as it was before it matched one value at a time (main at 55c49dc,
``build_json`` of ``analyzer/sources/json_tree.py``), kept unchanged as the oracle of
``tests/test_sources_json_exact.py``: the new builder must give the very same trees,
lines, handed-over items and errors. Not used by the tool.

It builds the tree of a valid value with one regular-expression match per token (blanks,
commas and colons included), counting the lines of every blank.
"""

from __future__ import annotations

import json
import re

from analyzer.sources.handoff import Handoff, held_budget
from analyzer.sources.limits import DocumentError, Limits
from analyzer.sources.tree import (
    MapNode,
    Node,
    ScalarNode,
    SeqNode,
    TakeItem,
    awaits_items,
    share,
)

_TOKEN = re.compile(r'\s+|"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+')


def build_json(
    text: str,
    span: tuple[int, int],
    line: int,
    limits: Limits,
    take_item: TakeItem | None = None,
) -> Node | None:
    """The tree of the valid JSON value ``text[start:end]`` (``span``), starting on
    ``line``; ``take_item`` as in ``read_json``."""
    start, end = span
    stack: list[tuple[MapNode | SeqNode, list[Node]]] = []
    root: Node | None = None
    max_depth = limits.max_depth
    handoff: Handoff | None = None
    held = 0
    budget = limits.max_nodes  # see held_budget
    node: Node
    for match in _TOKEN.finditer(text, start, end):
        token = match.group()
        first = token[0]
        if first == '"':
            value = share(json.loads(token) if "\\" in token else token[1:-1])
            node = ScalarNode(value, line, plain=False)
            held += 1
        elif first == "{" or first == "[":
            if len(stack) >= max_depth:
                raise DocumentError(line, f"nested deeper than {max_depth} levels; skipped")
            opened: MapNode | SeqNode = MapNode(line) if first == "{" else SeqNode(line)
            items: list[Node] = opened.items if isinstance(opened, SeqNode) else []
            if (
                take_item is not None
                and len(stack) == 1
                and isinstance(stack[0][0], MapNode)
                and awaits_items(stack[0][1])
            ):
                items = handoff = Handoff(take_item)
            stack.append((opened, items))
            held += 1
            if held > budget:
                budget = held_budget(held, handoff, line, limits)
            continue
        elif first == "}" or first == "]":
            closed, flat = stack.pop()
            if isinstance(closed, MapNode):
                closed.pairs = list(zip(flat[0::2], flat[1::2], strict=False))
            node = closed
        elif first == "," or first == ":":
            continue
        elif first.isspace():
            line += token.count("\n")
            continue
        else:
            node = ScalarNode(token, line, plain=True, is_null=token == "null")
            held += 1
        if held > budget:
            budget = held_budget(held, handoff, line, limits)
        if stack:
            parent, flat = stack[-1]
            flat.append(node)
            parent.size += node.size
        else:
            root = node
    return root
