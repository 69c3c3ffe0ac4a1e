"""The web page's live function: every node's value, adjoint and local partials as one JavaScript
function, printed by the `javascript` target (analysis/code_js.py) from the straight-line
listing (analysis/code_listing.py) — so when a slider moves, the page recomputes the forward and
backward pass with gradcli's own formulas and rules, not with a second implementation.

    page_code(graph) -> PageCode(text, function, inputs, edges)

`text` defines `function NAME(inputs...)` (an ES module function: the page runs it in a
<script type="module">) returning `[output, [value per node], [adjoint per node], [local per
edge]]`: the nodes in graph.nodes order, the edges (node, operand position k) in `edges` order.
Adjoints come from the derivative transform (core/transform.gradient), which runs the op table's
vjp rules on nodes in the float sweep's order; a local partial ∂node/∂operand is the same rule
with upstream 1.  A node the output does not depend on has adjoint 0.
"""

from __future__ import annotations

from typing import NamedTuple

from gradcli.analysis.code_js import js_code, rename
from gradcli.analysis.code_listing import Emission, listing
from gradcli.build.graph import Graph
from gradcli.core.engine import Value
from gradcli.core.transform import Builder, Sym, gradient


class PageCode(NamedTuple):
    text: str  # the JavaScript (helpers, then the function)
    function: str  # its name
    inputs: tuple[str, ...]  # eval's input names, in the function's parameter order
    edges: tuple[tuple[int, int], ...]  # (node position, operand index k) of each local partial returned


def page_code(graph: Graph) -> PageCode:
    """The live function of `graph` (a scalar output: an array output's page shows values only)."""
    builder = Builder()
    nodes = graph.nodes
    adjoints = gradient(nodes, graph.output, nodes, builder)
    locals_, edges = _local_partials(graph, builder)
    targets = [(f"gc_v{i}", n) for i, n in enumerate(nodes)]
    targets += [(f"gc_g{i}", a) for i, a in enumerate(adjoints)]
    targets += [(f"gc_l{k}", d) for k, d in enumerate(locals_)]
    value = "gc_out"
    targets.append((value, graph.output))  # last: listing writes it as it is
    emission = Emission(
        value,
        "page",
        (tuple(f"gc_v{i}" for i in range(len(nodes))), tuple(f"gc_g{i}" for i in range(len(nodes))),
         tuple(f"gc_l{k}" for k in range(len(edges)))),
    )  # fmt: skip
    text = js_code(listing(graph, builder, targets, (), rename), emission)
    return PageCode(text, emission.function, tuple(graph.inputs), tuple(edges))


def _local_partials(graph: Graph, builder: Builder) -> tuple[list[Value], list[tuple[int, int]]]:
    """∂node/∂operand for every operand of every node the output depends on, as nodes: the op's
    vjp rule with upstream 1 (as engine.local_derivatives runs it on floats)."""
    same = builder.node
    one = Sym(builder.const(1.0), builder)
    needed = {id(n) for n in graph.needed()}
    partials: list[Value] = []
    edges: list[tuple[int, int]] = []
    for i, node in enumerate(graph.nodes):
        if node.a is None or id(node) not in needed:
            continue
        args = node.args
        rule = node.op.vjp(one, Sym(same(node), builder), *[Sym(same(a), builder) for a in args], builder)
        for k, d in enumerate(rule):
            partials.append(builder.node(d))
            edges.append((i, k))
    return partials, edges
