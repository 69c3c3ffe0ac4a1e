"""`gradcli hessian`: the gradient and the matrix of second partials, with its definiteness.

The Hessian is reverse-over-reverse: one symbolic gradient (gradcli.core.transform, O(graph)
nodes), then one float backward sweep per input over it, n sweeps in all rather than n^2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from gradcli.build.graph import Graph
from gradcli.core.errors import MathError
from gradcli.core.formula import undefined_or_infinite
from gradcli.core.transform import Builder, gradient, partials


@dataclass
class Hessian:
    output: str
    value: float
    inputs: list[str]
    gradient: list[float]
    matrix: list[list[float]]
    structural: list[list[bool]]  # True where no path joins the two inputs: zero by structure
    eigenvalues: list[float] | None = field(default_factory=list)  # None: an entry is not finite
    definiteness: str | None = ""  # None: no verdict, and `reason` says why
    reason: str | None = None

    def to_dict(self) -> dict:
        from gradcli.core.formula import number

        return {
            "output": self.output,
            "value": number(self.value),
            "inputs": self.inputs,
            "gradient": [number(g) for g in self.gradient],
            "hessian": [[number(h) for h in row] for row in self.matrix],
            "eigenvalues": None if self.eigenvalues is None else [number(e) for e in self.eigenvalues],
            "definiteness": self.definiteness,
            **({"definiteness_reason": self.reason} if self.reason else {}),  # only beside a null verdict
            "structural_zeros": self.structural,
        }


def hessian(graph: Graph, allow_nonfinite: bool = False) -> Hessian:
    """The gradient and the matrix of second partials of graph.output over its inputs."""
    P = Builder()
    inputs = list(graph.inputs.values())
    grads = gradient(graph.nodes, graph.output, inputs, P)
    everything = graph.nodes + P.nodes
    n = len(inputs)
    matrix = [[0.0] * n for _ in range(n)]
    reached = [[False] * n for _ in range(n)]
    for i, gi in enumerate(grads):
        for j, d in enumerate(partials(everything, gi, inputs)):
            if d is not None:
                matrix[i][j], reached[i][j] = d, True
    for i in range(n):  # exactly symmetric: the two mixed partials are equal up to rounding
        for j in range(i):
            h = 0.5 * (matrix[i][j] + matrix[j][i])
            matrix[i][j] = matrix[j][i] = h
            reached[i][j] = reached[j][i] = reached[i][j] or reached[j][i]
    values = [g.data for g in grads]
    if not allow_nonfinite:
        require_finite_hessian(graph.output_name, list(graph.inputs), matrix, "--allow-nonfinite shows it anyway")
    graph.backward(allow_nonfinite=allow_nonfinite)  # the graph's own grads, as eval leaves them
    out = Hessian(graph.output_name, graph.output.data, list(graph.inputs), values, matrix,
                  [[not r for r in row] for row in reached])  # fmt: skip
    out.reason = _not_finite(out)
    if out.reason is None:
        out.eigenvalues, out.definiteness = _definiteness(matrix)
    else:  # a NaN or inf entry has no eigenvalues: a verdict would be made up
        out.eigenvalues, out.definiteness = None, None
    return out


def _not_finite(h: Hessian) -> str | None:
    """Why the matrix gets no verdict (its first non-finite entry, and how many there are), or None."""
    bad = [(i, j) for i, row in enumerate(h.matrix) for j, x in enumerate(row) if not math.isfinite(x)]
    if not bad:
        return None
    i, j = bad[0]
    n = len(h.matrix)
    entry = f"d2{h.output}/d{h.inputs[i]}d{h.inputs[j]} is {undefined_or_infinite(h.matrix[i][j])}"
    count = f"{len(bad):,} of {n * n:,} entries not finite"
    return f"no definiteness verdict: {entry} ({count}); eigenvalues need them all finite"


def require_finite_hessian(output: str, names: list[str], matrix: list[list[float]], hint: str) -> None:
    """MathError at the first second derivative that is NaN or infinite (`hint`: how to see it anyway)."""
    for i, row in enumerate(matrix):
        for j, h in enumerate(row):
            if not math.isfinite(h):
                raise MathError(
                    f"the second derivative d2{output}/d{names[i]}d{names[j]} is {undefined_or_infinite(h)} "
                    "at this point",
                    hint=hint,
                )


# An eigenvalue counts as 0 when |lambda| <= ZERO_TOLERANCE * n * max|lambda|: a symmetric eigensolver's
# rounding error is about n * eps * ||H||, so a singular matrix's 0 comes out as ~1e-17 * ||H||, never
# exactly.  The scale is the matrix's own: 1e-17*x**2 alone is positive definite (its curvature is
# 2e-17 exactly), and only a matrix that is exactly 0 is "zero".
ZERO_TOLERANCE = 64 * 2.0**-52


def _definiteness(matrix: list[list[float]]) -> tuple[list[float], str]:
    """Eigenvalues (ascending) and the verdict; eigenvalues within rounding of 0 count as 0."""
    if not matrix:
        return [], "zero"  # the 0x0 matrix, as for no inputs
    import numpy as np  # only hessian needs it; eigvalsh is LAPACK's symmetric solver

    eig = [float(e) for e in np.linalg.eigvalsh(np.array(matrix, dtype=float))]
    tiny = ZERO_TOLERANCE * len(eig) * max(abs(e) for e in eig)
    pos = sum(e > tiny for e in eig)
    neg = sum(e < -tiny for e in eig)
    if neg and pos:
        return eig, "indefinite"
    if not neg and not pos:  # every eigenvalue 0: both positive and negative semidefinite
        return eig, "zero"
    if pos == len(eig):
        return eig, "positive definite"
    if neg == len(eig):
        return eig, "negative definite"
    return eig, "negative semidefinite" if neg else "positive semidefinite"
