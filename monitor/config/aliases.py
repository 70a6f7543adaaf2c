"""YAML aliases and nesting kept in bounds before the monitor file is built into data.

An alias repeats the value of an anchor, so a few hundred bytes of anchors that repeat each
other (a "billion laughs" file) expand to billions of values, and an anchor whose value holds
its own alias never ends. Both are measured on the composed YAML nodes, where every value
exists once, and reported as one problem on the line of the key that uses the alias. Values
nested deeper than any monitor file needs (`[[[[…]]]]`) are refused the same way, before the
recursive steps that build and validate the data could run out of stack.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

# Values a monitor file may gain through aliases (beyond the values written in it). A file
# that shares a block of settings among hundreds of integrations stays far below this.
MAX_ALIAS_VALUES = 100_000
# Levels of nesting (a route's child routes take two each); real files stay below 20.
MAX_DEPTH = 100

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class AliasProblem:
    """Where aliases go out of bounds, and in what words."""

    loc: Loc
    line: int
    message: str


def alias_problem(root: yaml.Node) -> AliasProblem | None:
    """The problem of a document whose aliases recurse or expand past MAX_ALIAS_VALUES, or
    whose values nest deeper than MAX_DEPTH."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # the nodes whose values are being measured: the ancestors
    stack: list[tuple[yaml.Node, Loc, int, bool]] = [(root, (), 1, False)]
    while stack:
        node, loc, line, measured = stack.pop()
        key = id(node)
        if measured:
            sizes[key] = 1 + sum(sizes[id(c[1])] for c in _children(node, line))
            open_nodes.discard(key)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            return AliasProblem(
                loc,
                line,
                "this alias repeats a value that contains the alias itself, so the value never "
                "ends; write the value out instead",
            )
        if len(loc) > MAX_DEPTH:
            return AliasProblem(
                loc[:4],  # where the nesting starts; the line is where it goes too deep
                line,
                f"values nested more than {MAX_DEPTH} levels deep; a monitor file needs far "
                "fewer (check the brackets and the indentation)",
            )
        open_nodes.add(key)
        stack.append((node, loc, line, True))
        for step, child, child_line, _ in _children(node, line):
            stack.append((child, (*loc, step), child_line, False))
    expanded = sizes[id(root)] - len(sizes)
    if expanded <= MAX_ALIAS_VALUES:
        return None
    loc, line, size = _largest_alias(root, sizes)
    return AliasProblem(
        loc,
        line,
        f"YAML aliases here expand to {size:,} values, more than the {MAX_ALIAS_VALUES:,} a "
        "monitor file may build from aliases; write the values out or use fewer aliases",
    )


def _children(node: yaml.Node, line: int) -> list[tuple[str | int, yaml.Node, int, int]]:
    """(key or index, value node, line where it is used, where it is used in the text): keys
    count as values too. A value whose node starts before where it is used is an alias."""
    if isinstance(node, yaml.MappingNode):
        found: list[tuple[str | int, yaml.Node, int, int]] = []
        for key_node, value_node in node.value:
            key, key_line = str(key_node.value), key_node.start_mark.line + 1
            found.append((key, key_node, key_line, key_node.start_mark.index))
            found.append((key, value_node, key_line, key_node.end_mark.index))
        return found
    if isinstance(node, yaml.SequenceNode):
        found = []
        for index, item in enumerate(node.value):
            before = node.value[index - 1] if index else None
            used_at = before.start_mark.index + 1 if before else node.start_mark.index
            item_line = item.start_mark.line + 1
            if item.start_mark.index < used_at:  # an alias: just after the item before it
                item_line = _line_after(node, before) if before else node.start_mark.line + 1
            found.append((index, item, item_line, used_at))
        return found
    return []


def _line_after(sequence: yaml.SequenceNode, before: yaml.Node) -> int:
    """The line of the item after `before`: the same line in `[a, b]`, the next in a block
    list (a block collection's end is already on that next line)."""
    line = before.end_mark.line + 1
    if sequence.flow_style or isinstance(before, yaml.MappingNode | yaml.SequenceNode):
        return line
    return line + 1


def _largest_alias(root: yaml.Node, sizes: dict[int, int]) -> tuple[Loc, int, int]:
    """Follow the values too large for the bound down from the root, to the first alias on
    the way or to the value whose parts are each within the bound: its path, line and size."""
    node, line = root, 1
    loc: Loc = ()
    while True:
        children = _children(node, line)
        if not children:
            return loc, line, sizes[id(node)]
        step, child, child_line, used_at = max(children, key=lambda c: sizes[id(c[1])])
        if sizes[id(child)] <= MAX_ALIAS_VALUES:
            return loc, line, sizes[id(node)]
        if child.start_mark.index < used_at:
            return (*loc, step), child_line, sizes[id(child)]
        node, loc, line = child, (*loc, step), child_line
