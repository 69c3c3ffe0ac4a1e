"""The Python API's derivatives: `gradcli.hessian` and `gradcli.derivative` at a point, of
program text or of a Python function of Values."""

from __future__ import annotations

from gradcli.analysis.diff import nth_derivative
from gradcli.analysis.hessian import Hessian, hessian
from gradcli.build.graph import Graph
from gradcli.core.engine import Value


def graph_of(f, point: dict[str, float] | None = None, of: str | None = None) -> Graph:
    """A Graph from program text (`"y = x*x"`) or a Python function of Values (`lambda x: x*x`,
    called with one Value per name of `point`, by keyword)."""
    from gradcli.build.standard import evaluate
    from gradcli.core.engine import topological_order

    point = dict(point or {})
    if isinstance(f, str):
        return evaluate(f, point, of)
    inputs = {name: Value(value, label=name) for name, value in point.items()}
    out = f(**inputs)
    if not isinstance(out, Value):
        raise TypeError(f"the function must return a Value, not {type(out).__name__}")
    nodes = topological_order(out)
    known = {id(n) for n in nodes}
    nodes = [v for v in inputs.values() if id(v) not in known] + nodes
    graph = Graph(nodes, inputs, out, out.label or "f")
    graph.backward()
    return graph


def hessian_at(f, point: dict[str, float] | None = None, of: str | None = None) -> Hessian:
    """`gradcli.hessian`: the gradient and Hessian of f at point (program text or a function)."""
    return hessian(graph_of(f, point, of))


def derivative_at(f, wrt: str, point: dict[str, float] | None = None, order: int = 1, of: str | None = None) -> float:
    """`gradcli.derivative`: d^order f / d wrt^order at point, exactly."""
    _, target = nth_derivative(graph_of(f, point, of), wrt, order)
    return target.data
