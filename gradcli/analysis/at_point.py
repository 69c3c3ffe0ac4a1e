"""A Python function of Values as a graph, for the Python API (`gradcli.hessian(lambda x, y: ...)`,
`gradcli.diff(...)`): program text goes through the session instead."""

from __future__ import annotations

from gradcli.build.graph import Graph
from gradcli.core.engine import Value, topological_order


def graph_of(f, point: dict[str, float] | None = None) -> Graph:
    """The differentiated Graph of a Python function of Values (`lambda x: x*x`), called with
    one Value per name of `point`, by keyword (a function has one output: there is no `of`)."""
    inputs = {name: Value(value, label=name) for name, value in dict(point or {}).items()}
    out = f(**inputs)
    if not isinstance(out, Value):
        raise TypeError(f"the function must return a Value, not {type(out).__name__}")
    nodes = topological_order(out)
    known = {id(n) for n in nodes}
    nodes = [v for v in inputs.values() if id(v) not in known] + nodes
    graph = Graph(nodes, inputs, out, out.label or "f")
    graph.backward()
    return graph
