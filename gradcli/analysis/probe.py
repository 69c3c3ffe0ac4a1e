"""A graph as a function of one of its nodes, for the numerical derivative (gradcli.analysis.numdiff).

The forward pass is re-run on the already built graph with one value changed, downstream
of it only; the program is never parsed again.

On a graph the rounding noise comes from the graph itself: every node n downstream of the
perturbed one rounds by eps |n|, which reaches the output multiplied by d output / d n,
the very gradient being checked (an adjoint error estimate).  So `(x + 1e15) - 1e15` is
reported inconclusive instead of confidently wrong.
"""

from __future__ import annotations

import math

from gradcli.analysis.numdiff import EPS, Estimate, derivative
from gradcli.build.graph import Graph
from gradcli.core.engine import Value, compute
from gradcli.core.transform import tangent_inputs


class Probe:
    """f(t) = the graph's output with `node` set to t and only the nodes downstream of it
    recomputed (the node's own operands stay as they are).  `graph` is anything with `nodes`
    (in creation order) and `output`: a Graph, or the gradient program (check --order 2)."""

    def __init__(
        self, graph: Graph, node: Value, needed: set[int], index: dict[int, int], allow_nonfinite: bool = False
    ) -> None:
        self.node = node
        self.allow_nonfinite = allow_nonfinite
        self.output = graph.output
        moved = {id(node)}
        self.downstream: list[Value] = []
        for later in graph.nodes[index[id(node)] + 1 :]:
            if id(later) in needed and any(id(a) in moved for a in later.args):
                moved.add(id(later))
                self.downstream.append(later)
        self.switches = [n for n in self.downstream if n.op.branch is not None]
        self.reaches = id(self.output) in moved

    def __call__(self, t: float) -> float:
        self.node.data = t
        for n in self.downstream:
            n.data = compute(n.op, n.args, n.label, self.allow_nonfinite)
        return self.output.data

    def piece(self, t: float | None = None) -> tuple[int, ...]:
        """The branch each piecewise op downstream is on, as the last call left them."""
        return branches(self.switches)

    def rounding(self) -> float:
        """The rounding error of the output: each node n that moves with the probed value
        rounds by up to eps |n|, which reaches the output times d output / d n (its grad).
        Whether n moves comes from forward-mode tangents; ops that select or negate an
        operand (relu, abs, min, max, neg, id) are exact and add nothing."""
        moving, total = {id(self.node)}, 0.0
        for n in self.downstream:
            for a, _ in tangent_inputs(n):
                if id(a) in moving:
                    moving.add(id(n))
                    if not n.op.exact:  # a result that is an operand or its negation adds no rounding
                        total += abs(n.data * n.grad)
                    break
        return EPS * total if math.isfinite(total) else math.inf

    def derivative(self, jumps: bool = False) -> Estimate:
        """d output / d node at the node's current value (`jumps`: the output may jump at a
        kink, as a gradient does: see numdiff.derivative)."""
        if not self.reaches:
            return Estimate(0.0, 0.0)  # the output does not depend on this node
        changed = [self.node, *self.downstream]
        saved = [n.data for n in changed]
        at_kink = 0 in self.piece()  # a piecewise op sits exactly on its switch point
        try:
            return derivative(self, saved[0], piece=self.piece, at_kink=at_kink, noise=self.rounding(), jumps=jumps)
        finally:  # put back every value the probe changed, even on an exception
            for n, data in zip(changed, saved):
                n.data = data


def needed_ids(graph: Graph) -> set[int]:
    """ids of the nodes the output depends on, itself included."""
    return {id(node) for node in graph.needed()}


def branches(switches: list[Value]) -> tuple[int, ...]:
    """The piece each piecewise op is on at its operands' current values: a change between two
    points means a kink between them."""
    return tuple(n.op.branch(*[a.data for a in n.args]) for n in switches)
