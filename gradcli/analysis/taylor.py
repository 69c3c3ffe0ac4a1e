"""`gradcli taylor`: the Taylor coefficients c_k = f^(k)(x0) / k! of the output in one input.

Each derivative is exact: the derivative transform (gradcli.core.transform) applied k times,
as `gradcli diff --order k` builds it (gradcli.analysis.diff.nth_derivative), evaluated at the
point; the other inputs stay at their bindings.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from gradcli.analysis.diff import derivative_name, nth_derivative, require_finite
from gradcli.build.graph import Graph
from gradcli.core.errors import MathError, UsageError
from gradcli.core.transform import MAX_ORDER

DEFAULT_ORDER = 5


class Taylor(NamedTuple):
    """The output's Taylor coefficients in `wrt` at the point `at` (every input's value)."""

    output: str
    wrt: str
    at: dict[str, float]
    derivatives: list[float]  # f^(k)(x0), k = 0..order
    coefficients: list[float]  # f^(k)(x0) / k!

    @property
    def x0(self) -> float:
        return self.at[self.wrt]


def taylor(graph: Graph, wrt: str, order: int = DEFAULT_ORDER, allow_nonfinite: bool = False) -> Taylor:
    """c_0..c_order of the graph's output in the input `wrt` (UsageError: not an input, or an order
    outside 1..MAX_ORDER; MathError: a derivative that is not finite, unless allow_nonfinite)."""
    if not 1 <= order <= MAX_ORDER:
        raise UsageError(f"--order must be between 1 and {MAX_ORDER}, got {order}")
    derivatives = [graph.output.data]
    for k in range(1, order + 1):
        builder, target = nth_derivative(graph, wrt, k)
        if not allow_nonfinite:
            try:
                require_finite(graph, builder, target, derivative_name(graph.output_name, wrt, k))
            except MathError as exc:
                raise MathError(exc.message, hint="--allow-nonfinite shows the coefficients anyway") from None
        derivatives.append(target.data)
    coefficients = [d / math.factorial(k) for k, d in enumerate(derivatives)]
    at = {name: v.data for name, v in graph.inputs.items()}
    return Taylor(graph.output_name, wrt, at, derivatives, coefficients)
