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
            for j in range(len(inputs)):
                probe = Probe(_Program(nodes, gi), inputs[j], needed, index, allow_nonfinite)
                if j >= i or probe.switches:  # below the diagonal only the partner's kinks are wanted
                    estimates[i, j] = probe.derivative(jumps=True)  # relu'(x) jumps at 0: one-sided values
    finally:
        graph.backward(allow_nonfinite)  # the graph's own grads again
    # The scale a second derivative of 0 is judged on: the numerical Hessian's largest entry.
    # (Beale's d2f/dx2 at (1, 1): df/dx is 0 for every x, and only rounds, 3e-13 on a Hessian of 10s.)
    curvature = max((abs(e.value) for e in estimates.values() if math.isfinite(e.value)), default=0.0)
    for e in estimates.values():
        e.size = max(e.size, curvature) if math.isfinite(e.size) else curvature
    for (a, b), e in estimates.items():
        if e.jump:  # the gradient jumps here: only one-sided second derivatives exist
            crossing = f"d{graph.output_name}/d{names[a]} jumps as {names[b]} crosses {inputs[b].data:.6g}"
            e.note = e.note.replace(JUMPS, crossing)
            e.note += "; no second derivative exists here, its one-sided values are shown"
    rows = []
    for j in range(len(inputs)):
        for i in range(j + 1):
            estimate = _pair_estimate(estimates, i, j)
            if estimate.kink and estimate is not estimates[i, j]:
                estimate.note = _partner_note(graph.output_name, names, (i, j), estimate, estimates)
            name = f"d2:{names[i]},{names[j]}"
            rows.append(verdict(point, name, inputs[j].data, analytic[i][j], estimate, tolerance))
    return rows


def _rough(e: Estimate | None) -> bool:
    return e is not None and (e.kink or e.jump)


def _pair_estimate(estimates: dict[tuple[int, int], Estimate], i: int, j: int) -> Estimate:
    """The estimate row (i, j) is judged on.  d2f/dx_i dx_j is d(df/dx_i)/dx_j and, by symmetry,
    d(df/dx_j)/dx_i: where either gradient of the pair is not smooth in x_i or x_j at the point,
    the row is a kink with one-sided values, never a `pass` on one side's number (relu(x)*y at
    x = 0: df/dx = y relu'(x) is smooth in y, but df/dy = relu(x) bends in x: 0 left, 1 right)."""
    own, partner = estimates[i, j], estimates.get((j, i))
    if i == j or _rough(own):
        return own
    if _rough(partner):
        return partner
    if not (_rough(estimates[i, i]) or _rough(estimates[j, j])):
        return own
    # a gradient of the pair jumps or bends along its own variable: no Hessian here, but the mixed
    # derivative across that variable is smooth (above), so both one-sided values are the same
    across = partner if _rough(estimates[i, i]) and partner is not None else own
    return Estimate(
        across.value, across.error, across.value, across.value, True, "", across.error, across.error,
        across.variation, across.slope, across.size,
    )  # fmt: skip


def _partner_note(output: str, names: list[str], pair: tuple[int, int], estimate: Estimate, estimates) -> str:
    """Why row (i, j) is a kink when d(df/dx_i)/dx_j alone looks smooth."""
    i, j = pair
    mixed = f"d2{output}/d{names[i]}d{names[j]}"
    if estimates.get((j, i)) is estimate:  # the partner d(df/dx_j)/dx_i is the one with one-sided values
        return f"{mixed} taken as d/d{names[i]} of d{output}/d{names[j]}: {estimate.note}"
    rough = i if _rough(estimates[i, i]) else j
    e = estimates[rough, rough]
    why = e.note.split(";")[0] if e.jump else f"d{output}/d{names[rough]} has a kink in {names[rough]}"
    return f"{why}: the Hessian does not exist here; {mixed} is the same on both sides"
