"""`gradcli check --order 2`: every second derivative against a numerical one.

The analytic value is the Hessian (gradcli.analysis.hessian).  The numerical one differentiates
the exact gradient numerically: d2 f / dx_i dx_j = d/dx_j (df/dx_i), by the same Richardson
differences as first-order check (numdiff.derivative), never f twice with one fixed step.  Rows
are named `d2:a,b` for the upper triangle with the diagonal and carry the same fields and
statuses as first-order rows; kinks are recognised the same way (a piecewise op changing
branch between the sample points).
"""

from __future__ import annotations

from gradcli.analysis.check import Row, Tolerance, verdict
from gradcli.analysis.hessian import hessian
from gradcli.analysis.numdiff import derivative
from gradcli.analysis.probe import branches
from gradcli.build.graph import Graph
from gradcli.core.engine import Value


def second_order_rows(graph: Graph, point: int, rtol: float = 1e-6, atol: float | None = None) -> list[Row]:
    """Rows `d2:a,b` (a before b in input order, a == b included) at the graph's current point."""
    tolerance = Tolerance(rtol, atol)
    h = hessian(graph)
    names = list(graph.inputs)
    switches = [n for n in graph.needed() if n.op.branch is not None]

    def piece(t: float | None = None) -> tuple:
        return branches(switches)

    rows = []
    for j, xj in enumerate(graph.inputs.values()):
        for i in range(j + 1):
            xi = graph.inputs[names[i]]
            estimate = _second(graph, xi, xj, piece)
            name = f"d2:{names[i]},{names[j]}"
            rows.append(verdict(point, name, xj.data, h.matrix[i][j], estimate, tolerance))
    graph.forward()
    graph.backward()
    return rows


def _second(graph: Graph, xi: Value, xj: Value, piece):
    """d/dxj of the exact d output/d xi, numerically."""
    saved = xj.data

    def gradient_at(t: float) -> float:
        xj.data = t
        graph.forward()
        graph.backward()
        return xi.grad

    at_kink = 0 in piece()
    try:
        return derivative(gradient_at, saved, piece=piece, at_kink=at_kink)
    finally:
        xj.data = saved
