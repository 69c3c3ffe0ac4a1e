"""`gradcli check --order 2`: every second derivative against a numerical one.

The analytic value is the Hessian (gradcli.analysis.hessian).  The numerical one differentiates
the exact gradient numerically: d2 f / dx_i dx_j = d/dx_j (df/dx_i), by the same Richardson
differences as first-order check, never f twice with one fixed step.  df/dx_i is a node of the
gradient program (the backward pass written as equations, gradcli.core.transform), so it is
probed as first-order check probes the output (gradcli.analysis.probe): only the equations
downstream of x_j are recomputed; the rounding noise of df/dx_i comes from that program's own
nodes (at a stationary point df/dx_i is 0, which says nothing of how it rounds: (x + 2y - 7)
rounds like 7); and its kinks are its piecewise ops (the comparisons in relu's and min's rules).

Rows are named `d2:a,b` for the upper triangle with the diagonal and carry the same fields and
statuses as first-order rows.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from gradcli.analysis.check import Row, Tolerance, verdict
from gradcli.analysis.hessian import hessian
from gradcli.analysis.numdiff import JUMPS, Estimate
from gradcli.analysis.probe import Probe
from gradcli.build.graph import Graph
from gradcli.core.engine import Value, positions, reaching
from gradcli.core.transform import Builder, gradient, partials


class _Program(NamedTuple):
    """The gradient program seen as a graph whose output is one gradient (what a Probe reads)."""

    nodes: list[Value]
    output: Value


def second_order_rows(
    graph: Graph, point: int, rtol: float = 1e-6, atol: float | None = None, allow_nonfinite: bool = False
) -> list[Row]:
    """Rows `d2:a,b` (a before b in input order, a == b included) at the graph's current point."""
    tolerance = Tolerance(rtol, atol, allow_nonfinite)
    analytic = hessian(graph, allow_nonfinite).matrix
    names, inputs = list(graph.inputs), list(graph.inputs.values())
    builder = Builder()
    grads = gradient(graph.nodes, graph.output, inputs, builder)
    nodes = graph.nodes + builder.nodes
    index = positions(nodes)
    estimates: dict[tuple[int, int], Estimate] = {}
    try:
        for i, gi in enumerate(grads):
            partials(nodes, gi, inputs)  # every node's grad = d gi / d node: the probes' rounding estimate
            needed = {id(n) for n in reaching(nodes, gi)}
            for j in range(i, len(inputs)):
                probe = Probe(_Program(nodes, gi), inputs[j], needed, index, allow_nonfinite)
                estimates[i, j] = probe.derivative(jumps=True)  # relu'(x) jumps at 0: one-sided values
    finally:
        graph.backward(allow_nonfinite)  # the graph's own grads again
    # The scale a second derivative of 0 is judged on: the numerical Hessian's largest entry.
    # (Beale's d2f/dx2 at (1, 1): df/dx is 0 for every x, and only rounds, 3e-13 on a Hessian of 10s.)
    curvature = max((abs(e.value) for e in estimates.values() if math.isfinite(e.value)), default=0.0)
    for e in estimates.values():
        e.size = max(e.size, curvature) if math.isfinite(e.size) else curvature
    rows = []
    for j in range(len(inputs)):
        for i in range(j + 1):
            estimate = estimates[i, j]
            if estimate.jump:  # the gradient jumps here: only one-sided second derivatives exist
                gradient_name = f"d{graph.output_name}/d{names[i]}"
                crossing = f"{gradient_name} jumps as {names[j]} crosses {inputs[j].data:.6g}"
                estimate.note = estimate.note.replace(JUMPS, crossing)
                estimate.note += "; no second derivative exists here, its one-sided values are shown"
            name = f"d2:{names[i]},{names[j]}"
            rows.append(verdict(point, name, inputs[j].data, analytic[i][j], estimate, tolerance))
    return rows
