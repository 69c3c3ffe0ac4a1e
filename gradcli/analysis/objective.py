"""A program as a function of its varying inputs, for the optimizers (minimize, solve, fit).

The graph is built once from text (gradcli.session); its value and exact derivatives are then
compiled once into one straight-line Python function (the body `gradcli diff --to python`
prints: analysis/code_listing.py + code_python.py) and called at every new point.  Measured on
a 100-input Rosenbrock (896 nodes): re-running forward + backward on the graph's Values gives
~400 evaluations (value + gradient) per second, the compiled function ~6,800, the same doubles;
the compilation costs ~0.14 s once.  A program the printer cannot write falls back to the graph.

- `Objective(graph, vary)`: value(x), gradient(x), hessian(x) (exact), hessp(x, p) (an exact
  Hessian-vector product: the gradient of g(x)·v, compiled with v as inputs), counters
  {"f", "grad", "hess"} of what the optimizer asked for.  x is the varying inputs in eval's
  `gradients` order (an array input flattened: w[0], w[1], ...); the fixed ones keep their values.
- `Outputs(graph, nodes, vary)`: several outputs at x -> their values and the Jacobian
  (solve's residuals, fit's model), the same way.

Where the program is undefined at x (log of a negative number), value() is inf (an optimizer
rejects the step) and the derivatives NaN; the start point is checked by the session's own
evaluation (a math error there is the user's: exit 3) before any of this runs.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

from gradcli.build.graph import Graph
from gradcli.core.engine import Value
from gradcli.core.errors import GradcliError, UsageError
from gradcli.core.transform import Builder, gradient

_FAILS = (ArithmeticError, ValueError)  # the compiled code's math errors (gradcli's message in a ValueError)


def compiled(graph: Graph, builder: Builder, targets: Sequence[Value], extra: Sequence[Value] = ()) -> Callable:
    """One Python function of the graph's inputs (eval's order), then the `extra` leaves,
    returning the targets' values as a flat tuple.  Falls back to re-running the graph."""
    from gradcli.analysis.code_listing import Emission, listing
    from gradcli.analysis.code_python import python_code, rename

    g = graph
    if extra:
        inputs = {**graph.inputs, **{v.label: v for v in extra}}
        g = dataclasses.replace(graph, inputs=inputs, nodes=list(extra) + graph.nodes, _order=None)
    names = [f"out_{k}" for k in range(len(targets))]
    try:
        steps = listing(g, builder, list(zip(names, targets)), (), rename)
        source = python_code(steps, Emission(names[0], "grad", (tuple(names[1:]),) if len(names) > 1 else ()))
        namespace: dict = {}
        exec(compile(source, "<gradcli objective>", "exec"), namespace)  # noqa: S102 - code gradcli generated
        function = namespace["out_0_grad" if len(names) > 1 else "out_0"]
    except (GradcliError, SyntaxError, RecursionError, KeyError):
        return _on_graph(g, builder, targets)
    if len(names) == 1:
        return lambda *xs: (function(*xs),)
    return lambda *xs: _flat(function(*xs))


def _flat(result: tuple) -> tuple:
    return (result[0], *result[1])


def _on_graph(graph: Graph, builder: Builder, targets: Sequence[Value]) -> Callable:
    """The slow, always-right way: set the leaves' data, recompute every node (program's and
    derivative transform's) in creation order, read the targets."""
    from gradcli.core.engine import forward

    leaves = list(graph.inputs.values())
    nodes = graph.nodes + builder.nodes

    def run(*xs: float) -> tuple:
        for leaf, x in zip(leaves, xs):
            leaf.data = float(x)
        forward(nodes, allow_nonfinite=True)
        return tuple(t.data for t in targets)

    return run


class _Point:
    """The full argument list at x: the fixed inputs' values with the varying ones replaced."""

    def __init__(self, graph: Graph, vary: Sequence[str]) -> None:
        labels = list(graph.inputs)
        unknown = [n for n in vary if n not in graph.inputs]
        if unknown:
            raise UsageError(f"{unknown[0]} is not an input of the program (inputs: {', '.join(labels) or 'none'})")
        self.base = [v.data for v in graph.inputs.values()]
        self.index = [labels.index(n) for n in vary]
        self.names = list(vary)

    def args(self, x) -> list[float]:
        full = list(self.base)
        for i, xi in zip(self.index, x):
            full[i] = float(xi)
        return full

    def start(self) -> list[float]:
        return [self.base[i] for i in self.index]


class Objective:
    """The output of `graph` (or another of its nodes) as f(x) over the inputs named in `vary`."""

    def __init__(self, graph: Graph, vary: Sequence[str], output: Value | None = None) -> None:
        self.graph = graph
        self.point = _Point(graph, vary)
        self.names = self.point.names
        self.counts = {"f": 0, "grad": 0, "hess": 0}
        output = graph.output if output is None else output  # another node of the graph: a constraint's
        self._xs = [graph.inputs[n] for n in vary]
        self._P = Builder()
        self._grads = gradient(graph.nodes, output, self._xs, self._P)
        self._fg = compiled(graph, self._P, [output, *self._grads])
        self._hvp: Callable | None = None
        self._last: tuple = (None, None)  # (x as a tuple, (value, gradient)): scipy asks for f and g at one x

    def start(self) -> list[float]:
        return self.point.start()

    def evaluate(self, x) -> tuple[float, list[float]]:
        """(value, gradient) at x, uncounted; NaN where the program is undefined there."""
        key = tuple(float(v) for v in x)
        if self._last[0] == key:
            return self._last[1]
        try:
            out = self._fg(*self.point.args(key))
            result = (float(out[0]), [float(v) for v in out[1:]])
        except _FAILS:
            result = (math.nan, [math.nan] * len(key))
        self._last = (key, result)
        return result

    def value(self, x) -> float:
        self.counts["f"] += 1
        f = self.evaluate(x)[0]
        return math.inf if f != f else f

    def gradient(self, x):
        import numpy as np

        self.counts["grad"] += 1
        return np.array(self.evaluate(x)[1], dtype=float)

    def hessp(self, x, p):
        """H(x) @ p, exactly: one compiled pass (the gradient of g(x)·v, v = p)."""
        import numpy as np

        self.counts["hess"] += 1
        return np.array(self._hessian_vector(x, p), dtype=float)

    def hessian(self, x):
        """The exact Hessian at x: n Hessian-vector products with the unit vectors, symmetrized."""
        import numpy as np

        self.counts["hess"] += 1
        n = len(self.names)
        columns = np.array([self._hessian_vector(x, [1.0 if j == i else 0.0 for j in range(n)]) for i in range(n)])
        return 0.5 * (columns + columns.T) if n else columns.reshape(0, 0)

    def _hessian_vector(self, x, p) -> list[float]:
        if self._hvp is None:
            vs = [Value(0.0, label=f"hvp_v{i}") for i in range(len(self._xs))]
            b = self._P
            s = b.const(0.0)
            for g, v in zip(self._grads, vs):
                s = b.add(s, b.mul(g, v)).node
            hv = gradient(self.graph.nodes + b.nodes, s, self._xs, b)
            self._hvp = compiled(self.graph, b, [s, *hv], vs)
        try:
            out = self._hvp(*self.point.args(x), *(float(v) for v in p))
            return [float(v) for v in out[1:]]
        except _FAILS:
            return [math.nan] * len(self._xs)


class Outputs:
    """Several outputs of `graph` (nodes) at x: their values and the Jacobian d output_i / d x_j."""

    def __init__(self, graph: Graph, nodes: Sequence[Value], vary: Sequence[str]) -> None:
        self.point = _Point(graph, vary)
        self.names = self.point.names
        self.counts = {"f": 0, "jac": 0}
        xs = [graph.inputs[n] for n in vary]
        b = Builder()
        rows = [gradient(graph.nodes + b.nodes, node, xs, b) for node in nodes]
        self._m, self._n = len(nodes), len(xs)
        self._run = compiled(graph, b, [*nodes, *(d for row in rows for d in row)])
        self._last: tuple = (None, None)

    def start(self) -> list[float]:
        return self.point.start()

    def evaluate(self, x) -> tuple[list[float], list[list[float]]]:
        """(values, Jacobian rows) at x, uncounted; NaN where the program is undefined there."""
        key = tuple(float(v) for v in x)
        if self._last[0] == key:
            return self._last[1]
        m, n = self._m, self._n
        try:
            out = [float(v) for v in self._run(*self.point.args(key))]
        except _FAILS:
            out = [math.nan] * (m + m * n)
        result = (out[:m], [out[m + i * n : m + (i + 1) * n] for i in range(m)])
        self._last = (key, result)
        return result

    def values(self, x):
        import numpy as np

        self.counts["f"] += 1
        return np.array(self.evaluate(x)[0], dtype=float)

    def jacobian(self, x):
        import numpy as np

        self.counts["jac"] += 1
        return np.array(self.evaluate(x)[1], dtype=float).reshape(self._m, self._n)


def fixed_inputs(inputs: Sequence[str], shapes: dict, fix: Sequence[str]) -> set[str]:
    """The inputs --fix names: an input, or an array input's every element (A fixes A[0,0], ...);
    a UsageError with "did you mean" for a name that is not an input."""
    from gradcli.lang.suggest import suggest

    fixed: set[str] = set()
    for name in fix:
        if name in inputs:
            fixed.add(name)
        elif name in shapes:
            fixed.update(n for n in inputs if n.startswith(name + "["))
        else:
            names = [*shapes, *(n for n in inputs if "[" not in n)]
            raise UsageError(
                f"--fix {name}: '{name}' is not an input of the program (inputs: {', '.join(names) or 'none'})",
                hint=suggest(name, names),
            )
    return fixed


def named_outputs(graph: Graph, names: Sequence[str]) -> list[Value]:
    """The nodes of the outputs named (a program's names; an array name: its elements, row-major);
    a UsageError with "did you mean" for one that is not there."""
    from gradcli.lang.suggest import suggest

    arrays = graph.arrays.names if graph.arrays is not None else {}
    array_inputs = graph.arrays.shapes if graph.arrays is not None else {}
    known = [k for k in [*graph.names, *arrays] if k not in graph.inputs and k not in array_inputs]
    nodes = []
    for name in names:
        if name in arrays and name not in array_inputs:  # an array output: every element, row-major
            nodes.extend(arrays[name].items)
            continue
        node = graph.names.get(name)
        if name in graph.inputs or name in array_inputs:
            raise UsageError(
                f"{name} is an input of the program, not a value it computes (its names: {', '.join(known) or 'none'})",
                hint="name a statement's target: in a = x**2, a is an output",
            )
        if node is None:
            raise UsageError(
                f"{name} is not a value the program computes (its names: {', '.join(known) or 'none'})",
                hint=suggest(name, known),
            )
        nodes.append(node)
    return nodes
