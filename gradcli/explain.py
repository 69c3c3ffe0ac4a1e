"""`gradcli explain`: the forward and backward passes, step by step.

The backward steps are the reverse sweep of engine.backward_sweep written out edge by
edge: for each node, last first, and each operand it was computed from,

    dL/d(operand) += dL/d(node) · ∂node/∂operand      (upstream · local = contribution)

with ∂ for the local derivative of one op, d for the total derivative of the output,

so a node feeding several others collects several `+=` steps (the seed's lesson: b = a + a
gives two steps, 1 then 2).
"""

from __future__ import annotations

from collections import Counter

from .engine import Value, describe, fmt, reaching
from .interpreter import Graph
from .ops import CONST

_SYMBOLS = {"mul": "×", "div": "/", "add": "+", "sub": "-", "pow": "^"}


def display_names(graph: Graph) -> list[str]:
    """Each node's label, made unique with `#id` where a name was assigned more than once."""
    counts = Counter(node.label for node in graph.nodes)
    return [node.label if counts[node.label] == 1 else f"{node.label}#{i}" for i, node in enumerate(graph.nodes)]


def _numbers(node: Value) -> str:
    """The node's formula with its operands' values: `2 × -3`, `tanh(0.881374)`."""
    values = [fmt(a.data) for a in node.args]
    if node.op.name in _SYMBOLS and len(values) == 2:
        return f"{values[0]} {_SYMBOLS[node.op.name]} {values[1]}"
    if node.op.name == "neg":
        return f"-({values[0]})"
    if node.op.name == "id":
        return values[0]
    return f"{node.op.name}({', '.join(values)})"


def explain(graph: Graph) -> dict:
    """{"output", "value", "forward": [...], "backward": [...], "gradients": {...}}."""
    names = display_names(graph)
    ids = {id(node): i for i, node in enumerate(graph.nodes)}
    out_name = names[ids[id(graph.output)]]

    forward = []
    for i, node in enumerate(graph.nodes):
        step = {"id": i, "node": names[i], "op": node.op.name, "value": node.data}
        if node.args:
            formula = describe(node.op, [names[ids[id(a)]] for a in node.args])
            step.update(formula=formula, inputs=[a.data for a in node.args])
            step["text"] = f"{names[i]} = {formula} = {_numbers(node)} = {fmt(node.data)}"
            if formula == names[i]:
                step["text"] = f"{formula} = {_numbers(node)} = {fmt(node.data)}"
        else:
            kind = "an input" if node.op.name == "input" else "a constant"
            value = fmt(node.data)
            step["text"] = f"{names[i]}  ({kind})" if names[i] == value else f"{names[i]} = {value}  ({kind})"
        forward.append(step)

    grad = [0.0] * len(graph.nodes)
    grad[ids[id(graph.output)]] = 1.0
    needed = {id(node) for node in reaching(graph.nodes, graph.output)}
    touched = [False] * len(graph.nodes)
    backward = []
    for i in range(len(graph.nodes) - 1, -1, -1):
        node = graph.nodes[i]
        if not node.args or id(node) not in needed:
            continue
        local = node.op.local(node.data, *[a.data for a in node.args])
        for a, d in zip(node.args, local):
            if a.op is CONST:
                continue
            j = ids[id(a)]
            contribution = grad[i] * d
            again = touched[j]
            grad[j] += contribution
            touched[j] = True
            text = (
                f"d{out_name}/d{names[j]} += d{out_name}/d{names[i]} · ∂{names[i]}/∂{names[j]}"
                f" = {fmt(grad[i])} · {fmt(d)} = {fmt(contribution)}"
            )
            if again:
                text += f"   (accumulated: d{out_name}/d{names[j]} = {fmt(grad[j])})"
            backward.append(
                {
                    "node": names[j],
                    "node_id": j,
                    "via": names[i],
                    "via_id": i,
                    "upstream": grad[i],
                    "local": d,
                    "contribution": contribution,
                    "grad_after": grad[j],
                    "text": text,
                }
            )
    return {
        "output": graph.output_name,
        "value": graph.output.data,
        "forward": forward,
        "backward": backward,
        "gradients": {name: grad[ids[id(v)]] for name, v in graph.inputs.items()},
    }
