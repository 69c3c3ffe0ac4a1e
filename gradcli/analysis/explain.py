"""`gradcli explain`: the forward and backward passes, step by step.

The backward steps are the reverse sweep of engine.backward_sweep written out edge by
edge: for each node, last first, and each operand it was computed from,

    dL/d(operand) += dL/d(node) · ∂node/∂operand      (upstream · local = contribution)

with ∂ for the local derivative of one op, d for the total derivative of the output,

so a node feeding several others collects several `+=` steps (the seed's lesson: b = a + a
gives two steps, 1 then 2).
"""

from __future__ import annotations

import math
import re

from gradcli.build.graph import Graph
from gradcli.core.engine import Value, backward_sweep, local_derivatives, positions
from gradcli.core.formula import describe, fmt, number

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(#[0-9]+)?\Z")
_ATOM = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(#[0-9]+)?\Z|[0-9.]+([eE][-+]?[0-9]+)?\Z")


def wrap(name: str) -> str:
    """A node's name as it reads after d or ∂: a name or a number as it is, anything else in
    parentheses, so `dy/d(x1*w1 + x2*w2)` and `dy/d(-1)` cannot be misread."""
    return name if _ATOM.match(name) else f"({name})"


def spell(precision: int | None):
    """The number format of the step texts: `precision` significant digits (None: all);
    NaN and infinities spelled as everywhere else (NaN, Infinity, -Infinity)."""

    def num(x: float) -> str:
        if not math.isfinite(x):
            return str(number(x))
        return fmt(x) if precision is None else f"{x:.{precision}g}"

    return num


def operand_values(node: Value, num) -> str:
    """The node's formula with its operands' values: `2 × -3`, `tanh(0.881374)`."""
    values = [num(a.data) for a in node.args]
    if node.op.shown and len(values) == 2:
        return f"{values[0]} {node.op.shown} {values[1]}"
    if node.op.name == "neg":
        return f"-({values[0]})"
    if node.op.name == "id":
        return values[0]
    return f"{node.op.name}({', '.join(values)})"


def explain(graph: Graph, precision: int | None = None) -> dict:
    """{"output", "output_node", "value", "forward": [...], "backward": [...], "gradients": {...}}.

    Numbers in the `text` of each step have `precision` significant digits (all by default);
    the numeric fields always carry full precision."""
    if not isinstance(graph, Graph):  # explain --order 2: gradcli.analysis.explain_order2.SecondOrder
        return graph.explain(precision)
    num = spell(precision)
    names = graph.display_names()
    ids = positions(graph.nodes)
    backward = _backward_steps(graph, names, ids, num)
    return {
        "output": graph.output_name,
        "output_node": names[ids[id(graph.output)]],
        "value": graph.output.data,
        "forward": _name_calls(graph, [_forward_step(graph, i, names, ids, num) for i in range(len(graph.nodes))]),
        "backward": backward,
        "gradients": {name: v.grad for name, v in graph.inputs.items()},  # as the traced sweep left them
    }


def _name_calls(graph: Graph, steps: list[dict]) -> list[dict]:
    """Steps inside a user function's call get `call` ("f#1"); the first one of each call also
    says which call it is, as written: `(in f#1 = f(a, 2), line 2)`."""
    from gradcli.build.graph import call_key

    introduced: set = set()
    for step in steps:
        key = call_key(step["node"])
        if key is None or key not in graph.calls:
            continue
        step["call"] = key
        if key not in introduced:
            introduced.add(key)
            text, line = graph.calls[key]
            step["text"] += f"   (in {key} = {text}, line {line})"
    return steps


def _forward_step(graph: Graph, i: int, names: list[str], ids: dict[int, int], num) -> dict:
    node = graph.nodes[i]
    step = {"id": i, "node": names[i], "op": node.op.name, "value": node.data}
    value = num(node.data)
    if not node.args:
        kind = "an input" if node.op.name == "input" else "a constant"
        step["text"] = f"{names[i]}  ({kind})" if names[i] == value else f"{names[i]} = {value}  ({kind})"
        return step
    formula = describe(node.op, [names[ids[id(a)]] for a in node.args])
    values = [a.data for a in node.args]
    # `operands`/`operand_ids`: the values and ids this node is computed from.  `inputs` is the
    # same list, kept for scripts written before; it is not eval's `inputs` (the program's leaves).
    step.update(formula=formula, operands=values, operand_ids=[ids[id(a)] for a in node.args], inputs=values)
    # A name shows its formula (`y = tanh(x)`); an unnamed node's label is its formula already.
    head = f"{names[i]} = {formula}" if _NAME.match(names[i]) and formula != names[i] else names[i]
    numbers = operand_values(node, num)
    step["text"] = f"{head} = {value}" if numbers == value else f"{head} = {numbers} = {value}"  # b = a = 2
    return step


def _backward_steps(graph: Graph, names: list[str], ids: dict[int, int], num) -> list[dict]:
    """engine.backward_sweep itself, traced: one step per edge; leaves every node's grad."""
    order = graph.needed()
    for node in graph.nodes:  # all of them, needed or not: an unused input's gradient is 0
        node.grad = 0.0
    graph.output.grad = 1.0
    out_d = wrap(names[ids[id(graph.output)]])
    touched = [False] * len(graph.nodes)
    steps: list[dict] = []

    def edge(node: Value, k: int, upstream: float, contribution: float) -> None:
        i, j = ids[id(node)], ids[id(node.args[k])]
        local = local_derivatives(node)[k]
        again, touched[j] = touched[j], True
        after = node.args[k].grad
        node_d, via_d = wrap(names[j]), wrap(names[i])
        text = (
            f"d{out_d}/d{node_d} += d{out_d}/d{via_d} · ∂{via_d}/∂{node_d}"
            f" = {num(upstream)} · {num(local)} = {num(contribution)}"
        )
        if again:
            text += f"   (accumulated: d{out_d}/d{node_d} = {num(after)})"
        steps.append(
            {"node": names[j], "node_id": j, "via": names[i], "via_id": i, "upstream": upstream, "local": local,
             "contribution": contribution, "grad_after": after, "text": text}
        )  # fmt: skip

    backward_sweep(order, allow_nonfinite=True, trace=edge)
    return steps
