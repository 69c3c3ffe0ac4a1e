"""eval's tree: the graph rooted at the output, drawn in reading order; a user function's
call is one node over its arguments unless --expand opens it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gradcli.build.graph import Graph
from gradcli.core.engine import Value, positions
from gradcli.render.text import DEFAULT, OutputOptions, grad_style, plural, short

if TYPE_CHECKING:
    from rich.console import RenderableType

_GUIDE = 4  # columns of indentation a tree level takes (rich's guides)
_ROOM = 26  # columns a tree entry needs beside its guides: a 17-digit number never wraps


def tree(graph: Graph, options: OutputOptions = DEFAULT, max_depth: int = 40) -> RenderableType:
    """The graph as a tree rooted at the output, drawn in reading order: the first time a
    node is met it gets its full entry, later times a one-line reference.  A branch that
    would not fit the width ends in a marker instead of wrapping."""
    from rich.text import Text
    from rich.tree import Tree

    ids, max_rows = positions(graph.nodes), options.max_rows

    def label(node: Value, again: bool) -> Text:
        text = Text()
        text.append(f"#{ids[id(node)]} ", style="dim")
        text.append(node.label or "?", style="bold" if node is graph.output else "")
        text.append(f"  {node.op.name}" if id(node) not in calls else f"  call {calls[id(node)][0]}", style="dim")
        if again:
            text.append("  (drawn above)", style="italic dim")
            return text
        text.append(f"  = {short(node.data, options.precision)}")
        text.append("  grad ")
        text.append(short(node.grad, options.precision), style=grad_style(node.grad))
        return text

    calls = {} if options.open_calls else _call_results(graph)

    def children(node: Value) -> tuple:
        return calls[id(node)][1] if id(node) in calls else node.args

    root = Tree(label(graph.output, False))
    drawn, marked = {id(graph.output)}, set()
    count = cut = 0
    # Pre-order with an explicit stack (no recursion, however deep the graph): the order a reader meets nodes.
    stack = [(arg, root, 1) for arg in reversed(children(graph.output))]
    while stack:
        node, parent, depth = stack.pop()
        again = id(node) in drawn
        text = label(node, again)
        if (max_rows > 0 and count + 1 >= max_rows) or depth > max_depth:
            cut += 1
            continue
        if depth > 1 and depth * _GUIDE + _ROOM > options.width:
            cut += 1
            if id(parent) not in marked:  # once a parent: "the rest is further right than the screen"
                marked.add(id(parent))
                parent.add(Text("⋯ deeper", style="italic dim"))
            continue
        branch = parent.add(text)
        count += 1
        if not again:
            drawn.add(id(node))
            stack.extend((arg, branch, depth + 1) for arg in reversed(children(node)))
    if cut:
        limits = [f"{max_rows:,} nodes"] if max_rows > 0 else []
        limits += [f"depth {max_depth}", f"{options.width} columns"]
        root.add(
            Text(f"... {plural(cut, 'branch', 'branches')} not drawn (limits: {', '.join(limits)})", style="italic")
        )
    return root


def _call_results(graph: Graph) -> dict[int, tuple[str, tuple]]:
    """id of each user-function call's result node -> ("f#1", the nodes the call reads from
    outside it): the tree draws a call as one node over its arguments (--expand opens it)."""
    from gradcli.build.graph import call_key

    calls = getattr(graph, "calls", None) or {}
    out: dict[int, tuple[str, tuple]] = {}
    for node in graph.nodes:
        keys = {k for a in node.args if (k := call_key(a.label))}
        key = next((k for k in keys if k in calls and not node.label.startswith(k + ".")), None)
        if key is None:
            continue
        outside, stack, seen = [], list(node.args), set()
        while stack:
            n = stack.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            if n.label.startswith(key + "."):
                stack.extend(n.args)
            elif n.op.name != "const":
                outside.append(n)
        out[id(node)] = (key, tuple(reversed(outside)))
    return out
