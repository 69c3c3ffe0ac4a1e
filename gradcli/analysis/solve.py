"""`gradcli solve` (DESIGN §7.2): inputs where the `--zero` outputs are all 0, with the exact Jacobian.

The outputs are statements of the program; their values and Jacobian d output_i / d input_j come
from gradcli.analysis.objective.Outputs (the derivative transform, compiled once).  A square
system goes to scipy.optimize.root with the exact Jacobian: MINPACK's hybrid Powell method (a
Newton-type method), and Levenberg-Marquardt from the best point if that stalls.  A non-square
one is solved by least squares (scipy.optimize.least_squares, exact Jacobian).  The answer is
reported with its residuals, their norm, the Jacobian's condition number there and whether the
Jacobian is singular there (a multiple or non-isolated root: the point is less accurate than the
residuals suggest, and nearby points solve the system as well).

scipy is imported inside `solve` only (the optional extra `gradcli[optimize]`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from gradcli.analysis.objective import Outputs, fixed_inputs, named_outputs
from gradcli.build.array_values import nest_by_name
from gradcli.build.graph import Graph
from gradcli.core.engine import reaching
from gradcli.core.errors import UsageError

ZERO_RTOL = 1e-10  # the residuals count as 0 when their norm is at most this times (1 + the start's)
SINGULAR_RTOL = 1e-6  # the (equilibrated) Jacobian is singular when s_min <= this times s_max


@dataclass
class SolveResult:
    """A solve's outcome: the fields are solve's JSON keys (gradcli.render.solve.to_dict writes
    them); the rest (repr=False) is for the table and the exit status."""

    converged: bool
    flat_point: dict[str, float]  # x[0], x[1], ... one key an element (the table's rows)
    flat_residuals: dict[str, float]
    residual_norm: float
    condition: float  # the Jacobian's 2-norm condition number at the point (inf: singular)
    singular: bool
    message: str = field(default="", repr=False, compare=False)  # the optimizer's reason, or why not converged
    method: str = field(default="", repr=False, compare=False)
    evaluations: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    warnings: list[str] = field(default_factory=list, repr=False, compare=False)
    shapes: dict = field(default_factory=dict, repr=False, compare=False)  # arrays' shapes, to nest the JSON

    @property
    def point(self) -> dict:
        """{NAME: x}, an array's elements nested in its shape (the JSON's `point`)."""
        return nest_by_name(list(self.flat_point), list(self.flat_point.values()), self.shapes)

    @property
    def residuals(self) -> dict:
        """{NAME: r}, an array output's elements nested in its shape (the JSON's `residuals`)."""
        return nest_by_name(list(self.flat_residuals), list(self.flat_residuals.values()), self.shapes)


def unknowns(graph: Graph, zero: Sequence, fixed: Sequence[str]) -> tuple[list[str], list[str]]:
    """(the inputs that vary: every input not fixed that reaches some --zero output, the inputs
    left as given because they reach none).  An array input in `fixed` fixes every element."""
    shapes = graph.arrays.shapes if graph.arrays is not None else {}
    fixed = fixed_inputs(list(graph.inputs), shapes, fixed)
    reached = {id(n) for node in zero for n in reaching(graph.nodes, node)}
    free = [name for name in graph.inputs if name not in fixed and name not in graph.unused]
    vary = [name for name in free if id(graph.inputs[name]) in reached]
    if not vary:
        raise UsageError(
            "no inputs to vary: "
            + ("every input is fixed" if not free else "no free input reaches the --zero outputs"),
            hint="give the unknowns a starting guess (x=1) and leave them out of --fix",
        )
    return vary, [name for name in free if name not in vary]


def zero_labels(graph: Graph, names: Sequence[str]) -> list[str]:
    """A label per residual: the name, or an array output's element labels (y[0], y[1], ...)."""
    labels = []
    for name in names:
        nodes = named_outputs(graph, [name])
        if len(nodes) == 1:
            labels.append(name)
        else:
            labels += [getattr(node, "label", "") or f"{name}[{i}]" for i, node in enumerate(nodes)]
    return labels


def solve(graph: Graph, zero: Sequence[str], fixed: Sequence[str] = ()) -> SolveResult:
    """Inputs where the outputs named in `zero` vanish, starting from the graph's values."""
    from gradcli.analysis.extras import optimize

    so = optimize()
    if not zero:
        raise UsageError("--zero names no output: give the outputs to make 0, e.g. --zero f,g")
    nodes = named_outputs(graph, zero)
    vary, idle = unknowns(graph, nodes, fixed)
    labels = zero_labels(graph, zero)
    system = Outputs(graph, nodes, vary)
    x0 = np.array(system.start(), dtype=float)
    f0 = system.values(x0)
    if not np.isfinite(f0).all():
        bad = labels[int(np.flatnonzero(~np.isfinite(f0))[0])]
        raise UsageError(f"at the start, {bad} is not finite: start where every --zero output is defined")
    m, n = len(nodes), len(vary)
    warnings = [f"{name} reaches none of the --zero outputs: it stays at its value" for name in idle]
    target = ZERO_RTOL * (1.0 + _norm(f0))
    with np.errstate(all="ignore"):
        if m == n:
            x, message, ok, method = _square(so, system, x0)
        else:
            x, message, ok, method = _least_squares(so, system, x0)
        f = system.values(x)
        if _norm(f) > target:
            # MINPACK bounds its first step by 100 |x0| (x - 1e20 from x = 1 never moves): damped
            # Newton steps with the exact Jacobian from the best point so far
            better, fb = _newton(system, x, f, target)
            if _norm(fb) < _norm(f):
                x, f = better, fb
                message, method = f"reached by damped Newton steps where {method} stopped", f"{method}, then Newton"
    jac = system.jacobian(x)
    norm = _norm(f)
    converged = norm <= target  # a zero found is a zero, whatever the optimizer says
    if converged and not ok:
        message = f"the residuals are 0 to {norm:.3g} (the optimizer: {message})"
    if not converged:
        message = _why_not(f, jac, norm, m, n)
    condition, singular = conditioning(jac, system.jacobian(x0))
    return SolveResult(
        converged=converged,
        flat_point={name: float(v) for name, v in zip(vary, x)},
        flat_residuals={label: float(v) for label, v in zip(labels, f)},
        residual_norm=norm,
        condition=condition,
        singular=singular,
        message=" ".join(message.split()),  # scipy's messages carry line breaks
        method=method,
        evaluations=dict(system.counts),
        warnings=warnings,
        shapes=_shapes(graph, zero),
    )


def _square(so, system: Outputs, x0: np.ndarray) -> tuple[np.ndarray, str, bool, str]:
    """hybr (Powell's hybrid Newton method) with the exact Jacobian; lm from the better point if it stalls."""
    res = so.root(system.values, x0, jac=system.jacobian, method="hybr", options={"xtol": 1e-12})
    if res.success and np.isfinite(res.fun).all():
        return np.asarray(res.x, float), str(res.message), True, "hybr"
    start = res.x if np.isfinite(res.fun).all() and np.linalg.norm(res.fun) < np.linalg.norm(system.values(x0)) else x0
    again = so.root(system.values, start, jac=system.jacobian, method="lm", options={"xtol": 1e-12, "ftol": 1e-14})
    if np.isfinite(again.fun).all():
        return np.asarray(again.x, float), str(again.message), bool(again.success), "hybr, then lm"
    return np.asarray(start, float), str(res.message), False, "hybr, then lm"


def _shapes(graph: Graph, zero: Sequence[str]) -> dict:
    """The array inputs' shapes and the array --zero outputs'."""
    if graph.arrays is None:
        return {}
    out = dict(graph.arrays.shapes)
    out.update({name: graph.arrays.names[name].shape for name in zero if name in graph.arrays.names})
    return out


def _newton(system: Outputs, x: np.ndarray, f: np.ndarray, target: float, steps: int = 100):
    """(x, its residuals) after Newton steps x - J⁺f from x (whose residuals are f): least
    squares where J is singular or not square, each step halved until the residual norm falls;
    stops at `target`, or when no step helps."""
    x = np.asarray(x, float)
    for _ in range(steps):
        norm = _norm(f)
        if not norm > target:
            break
        step = np.linalg.lstsq(system.jacobian(x), -f, rcond=None)[0]
        for _ in range(60):
            trial = x + step
            ft = system.values(trial)
            if _norm(ft) < norm:
                x, f = trial, ft
                break
            step = step / 2
        else:
            break
    return x, f


def _why_not(f: np.ndarray, jac: np.ndarray, norm: float, m: int, n: int) -> str:
    """Why a point is not a zero: a local minimum of the residual norm (Jᵀf ≈ 0: no exact solution
    near this start), or a stall."""
    if np.isfinite(jac).all() and np.isfinite(f).all():
        slope = float(np.max(np.abs(jac.T @ f), initial=0.0))
        if slope <= 1e-8 * max(float(np.max(np.abs(jac), initial=0.0)) * norm, 1e-300):
            where = "least-squares minimum" if m != n else "point found"
            more = " (more equations than unknowns)" if m > n else ""
            return (
                f"the {where} leaves a residual norm of {norm:.3g}: "
                f"the system has no exact solution near this start{more}"
            )
    return f"the solver stalled at a residual norm of {norm:.3g}: try another start"


def _least_squares(so, system: Outputs, x0: np.ndarray) -> tuple[np.ndarray, str, bool, str]:
    """A non-square system: the least-squares point, exact Jacobian.  Fewer equations than
    unknowns: dogbox first (trf's first step can land on a stationary point of the cost, such as
    the circle's centre); more: trust region reflective.  If the first leaves a residual, the
    other from the start, and the better answer."""
    first, second = ("dogbox", "trf") if len(system.values(x0)) < len(x0) else ("trf", "dogbox")
    best = None
    for method in (first, second):
        res = so.least_squares(
            system.values, x0, jac=system.jacobian, method=method, ftol=1e-14, xtol=1e-14, gtol=1e-14
        )
        found = (np.asarray(res.x, float), str(res.message), res.status > 0, f"least squares ({method})")
        norm = _norm(np.asarray(res.fun, float))
        if best is None or norm < best[0]:
            best = (norm, found)
        if res.status > 0 and norm <= ZERO_RTOL * (1.0 + _norm(system.values(x0))):
            break
    return best[1]


def _norm(f: np.ndarray) -> float:
    """The 2-norm without underflow (1e-204 squared is 0) or overflow."""
    return math.hypot(*f.tolist()) if np.isfinite(f).all() else math.inf


def conditioning(jac: np.ndarray, start: np.ndarray | None = None) -> tuple[float, bool]:
    """(the 2-norm condition number s_max / s_min, singular?).  Singular is judged on the
    Jacobian with its rows and columns scaled to unit largest entry (so that an equation written
    in other units, or an input measured in others, changes nothing): its smallest singular value
    at most SINGULAR_RTOL times its largest, or a row or column of zeros.  Scaling hides a Jacobian
    that shrank as a whole (x**2 = 0: f'(x) = 2x at x ~ 1e-8), so it is also singular when its
    smallest singular value is at most SINGULAR_RTOL times the largest of the Jacobian at the
    start (which a root far out on an exponential's flat tail can trip too)."""
    if not np.isfinite(jac).all():
        return math.nan, True
    s = np.linalg.svd(jac, compute_uv=False)
    k = min(jac.shape)
    condition = math.inf if k == 0 or s[k - 1] == 0.0 else float(s[0] / s[k - 1])
    if start is not None and np.isfinite(start).all() and start.size:
        if s[k - 1] <= SINGULAR_RTOL * np.linalg.svd(start, compute_uv=False)[0]:
            return condition, True
    rows = np.abs(jac).max(axis=1)
    columns = np.abs(jac).max(axis=0)
    m, n = jac.shape
    if (rows == 0).any() and m <= n or (columns == 0).any() and n <= m:
        return condition, True
    scaled = jac / np.where(rows > 0, rows, 1.0)[:, None]
    cols = np.abs(scaled).max(axis=0)
    scaled = scaled / np.where(cols > 0, cols, 1.0)[None, :]
    t = np.linalg.svd(scaled, compute_uv=False)
    return condition, bool(t[k - 1] <= SINGULAR_RTOL * t[0])


__all__ = ["SolveResult", "conditioning", "solve", "unknowns", "zero_labels"]
