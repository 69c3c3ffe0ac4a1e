"""`gradcli explain --order 2`: second derivatives, forward over reverse, step by step.

Reverse: the derivative transform (gradcli.core.transform) runs the backward pass with nodes
instead of floats, so the gradient is itself a program: equations t1, t2, ... over the
program's own nodes, each with its value at the point, ending in dy/dx_i for every input.

Forward over it: one forward-mode sweep per input x_j carries tangents, the total derivative
of every node with respect to x_j (dx_j/dx_j = 1, the other inputs 0), through the program
and its derivative program alike, edge by edge:

    d(node)/dx_j = Σ ∂node/∂operand · d(operand)/dx_j

The tangent of dy/dx_i is d²y/dx_i dx_j: one sweep gives one Hessian-vector product H·e_j,
a column of the Hessian (`gradcli hessian` computes the same numbers reverse over reverse).
"""

from __future__ import annotations

from typing import NamedTuple

from gradcli.analysis.explain import explain, operand_values, spell, wrap
from gradcli.analysis.hessian import require_finite_hessian
from gradcli.build.graph import Graph
from gradcli.core.engine import reaching
from gradcli.core.formula import describe
from gradcli.core.ops import CONST
from gradcli.core.transform import Builder, gradient, tangent_inputs


class SecondOrder(NamedTuple):
    """What `explain --order 2` hands its writers in place of the graph: analysis.explain.explain
    calls `explain` here, which adds "order2" to the first-order document."""

    graph: Graph
    allow_nonfinite: bool = False

    def explain(self, precision: int | None = None) -> dict:
        doc = explain(self.graph, precision)
        order2 = second_order(self.graph, self.graph.display_names(), wrap(doc["output_node"]), spell(precision))
        if not self.allow_nonfinite:
            hint = "--allow-nonfinite shows it anyway, with the steps that lead to it"
            require_finite_hessian(self.graph.output_name, order2["inputs"], order2["hessian"], hint)
        doc["order2"] = order2
        return doc


def second_order(graph: Graph, names: list[str], out: str, num) -> dict:
    """{"program", "gradient", "directions", "inputs", "hessian"}: the derivative program's
    equations with their values, then one forward sweep of tangents per input.  `names`: the
    graph's display names; `out`: the output as written after d; `num`: the number format."""
    builder = Builder()
    inputs, in_names = list(graph.inputs.values()), list(graph.inputs)
    grads = gradient(graph.nodes, graph.output, inputs, builder)
    everything = graph.nodes + builder.nodes
    needed = reaching(everything, *grads)
    label = {id(n): names[i] for i, n in enumerate(graph.nodes)}
    reached = {id(n) for n in needed}
    derived = [n for n in builder.nodes if id(n) in reached]  # the derivative program's equations
    label.update({id(n): f"t{k}" for k, n in enumerate(derived, 1)})

    def name(node) -> str:
        return label.get(id(node)) or num(node.data)  # a constant of the derivative program: its value

    program = [_equation(node, name, num) for node in derived]
    d_of = [f"d{out}/d{wrap(x)}" for x in in_names]
    grad_rows = [{"wrt": x, "node": name(g), "value": g.data, "text": f"{d_of[i]} = {name(g)} = {num(g.data)}"
                  if name(g) != num(g.data) else f"{d_of[i]} = {num(g.data)}"}  # a constant: `dy/dx = 1`
                 for i, (x, g) in enumerate(zip(in_names, grads))]  # fmt: skip
    directions, hessian = [], [[0.0] * len(inputs) for _ in inputs]
    for j, (x, leaf) in enumerate(zip(in_names, inputs)):
        tangent, steps = _forward(needed, leaf, name, wrap(x), num)
        column = []
        for i, g in enumerate(grads):
            value = tangent.get(id(g), 0.0)
            hessian[i][j] = value
            second = f"d²{out}/d{wrap(x)}²" if i == j else f"d²{out}/d{wrap(in_names[i])} d{wrap(x)}"
            column.append({"of": in_names[i], "wrt": x, "value": value,
                           "text": f"{second} = d({d_of[i]})/d{wrap(x)} = {num(value)}"})  # fmt: skip
        directions.append({"wrt": x, "steps": steps, "column": column})
    return {"program": program, "gradient": grad_rows, "directions": directions, "inputs": in_names,
            "hessian": hessian}  # fmt: skip


def _equation(node, name, num) -> dict:
    """One equation of the derivative program with its values: `t2 = t1*x = 4 × 2 = 8`."""
    operands = [name(a) for a in node.args]
    formula = describe(node.op, operands)
    numbers = operand_values(node, num)  # as the forward pass writes them: `0.731689 × 0.5`
    text = f"{name(node)} = {formula} = {num(node.data)}"
    if numbers not in (formula, num(node.data)):
        text = f"{name(node)} = {formula} = {numbers} = {num(node.data)}"
    return {"node": name(node), "op": node.op.name, "formula": formula, "operands": operands,
            "value": node.data, "text": text}  # fmt: skip


def _forward(order: list, leaf, name, x: str, num) -> tuple[dict, list[dict]]:
    """Forward mode in direction `leaf`: tangents by node id, and one step per node reached
    (nodes the direction does not reach keep no tangent: zero by structure)."""
    tangent = {id(leaf): 1.0}
    steps = [{"node": name(leaf), "tangent": 1.0, "terms": [], "text": f"d{x}/d{x} = 1   (the direction)"}]
    for node in order:
        if node.op is CONST or node is leaf:
            continue
        terms = [(a, d) for a, d in tangent_inputs(node) if id(a) in tangent]
        if not terms:
            continue
        value = sum(d * tangent[id(a)] for a, d in terms)
        tangent[id(node)] = value
        me = wrap(name(node))
        symbols = " + ".join(f"∂{me}/∂{wrap(name(a))} · d{wrap(name(a))}/d{x}" for a, _ in terms)
        numbers = " + ".join(f"{num(d)} · {num(tangent[id(a)])}" for a, d in terms)
        steps.append({"node": name(node), "tangent": value,
                      "terms": [{"operand": name(a), "local": d, "tangent": tangent[id(a)]} for a, d in terms],
                      "text": f"d{me}/d{x} = {symbols} = {numbers} = {num(value)}"})  # fmt: skip
    return tangent, steps
