"""`gradcli fit` (DESIGN §7.2): nonlinear least squares with the exact Jacobian.

The program's output is the model; PARAM=START bindings are the unknowns; a CSV's columns bind the
program's other inputs, a column named like the output holds the observations (gradcli.analysis.
fit_data).  Every step evaluates the model and its gradient at all rows at once with the array
interpreter (gradcli.analysis.batch: one numpy pass forward and one backward, the op table's own
derivative rules), so the Jacobian d model / d parameter is exact, and scipy.optimize.least_squares
(trust region reflective) is handed both.  The covariance of the parameters is curve_fit's:
(JᵀJ)⁻¹ of the weighted Jacobian at the solution (a Moore-Penrose inverse through the SVD),
scaled by the residual variance χ²/dof, or absolute with --sigma.

scipy is imported inside `run` only (the optional extra `gradcli[optimize]`).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from gradcli.analysis.batch import BLOCK, ArrayGraph, Batch, RowExplainer
from gradcli.analysis.extras import optimize
from gradcli.analysis.fit_data import (
    Data,
    check_rows,
    from_mapping,
    output_name,
    plan_columns,
    read_csv,
    unknown_column,
)
from gradcli.analysis.points import CsvPoints
from gradcli.build.graph import Graph
from gradcli.core.errors import GradcliError, MathError, NameError_, UsageError
from gradcli.core.formula import fmt
from gradcli.lang.program import Program
from gradcli.lang.suggest import suggest

TOL = 1e-12  # ftol, xtol, gtol: the answer to ~1e-12, not scipy's 1e-8 (each step is cheap)


class FitOptions(NamedTuple):
    """fit's options: the --sigma column, the output (--of), the most model evaluations."""

    sigma: str | None = None
    of: str | None = None
    max_evaluations: int | None = None  # None: scipy's default (100 per parameter)


@dataclass
class FitResult:
    """A fit's outcome: the fields are fit's JSON keys (gradcli.render.fit.to_dict writes them);
    the rest (repr=False) is for the table, the residual plot and the bindings."""

    output: str
    converged: bool
    parameters: dict[str, dict[str, float]]  # name -> {"value", "u"}
    correlation: list[list[float]]  # in the parameters' order
    rss: float  # the residual sum of squares, Σ (observed - model)²
    dof: int  # rows - parameters
    chi2_dof: float  # Σ ((observed - model)/sigma)² / dof (sigma 1 without --sigma)
    iterations: int  # accepted steps
    evaluations: dict[str, int]  # {"f": model evaluations, "jac": Jacobian evaluations}, all rows each
    message: str = field(default="", repr=False, compare=False)  # the optimizer's reason for stopping
    covariance: list[list[float]] = field(default_factory=list, repr=False, compare=False)
    residuals: np.ndarray | None = field(default=None, repr=False, compare=False)  # observed - model, by row
    against: tuple[str, np.ndarray] | None = field(default=None, repr=False, compare=False)  # the plot's x
    warnings: list[str] = field(default_factory=list, repr=False, compare=False)

    @property
    def point(self) -> dict[str, float]:
        return {name: p["value"] for name, p in self.parameters.items()}


# -- the problem: the graph, the data, the parameters ------------------------------------------


class Problem:
    """The model over every row as a function of the parameters: residuals and their Jacobian,
    weighted by 1/sigma, from one array pass per distinct point."""

    def __init__(self, graph: Graph, data: Data, params: list[str]) -> None:
        self.graph, self.data, self.params = graph, data, params
        self.arrays = ArrayGraph(graph)
        names = list(graph.inputs)
        n = data.rows
        self.columns = [data.inputs[k] if k in data.inputs else np.full(n, graph.inputs[k].data) for k in names]
        self.at = [names.index(p) for p in params]
        self.start = np.array([graph.inputs[p].data for p in params], dtype=float)
        self.weight = 1.0 / data.sigma if data.sigma is not None else None
        self.evaluations = 0
        self._last: tuple[bytes, Batch] | None = None

    def batch(self, x: np.ndarray) -> Batch:
        key = np.asarray(x, dtype=float).tobytes()
        if self._last is None or self._last[0] != key:
            n = self.data.rows
            columns = list(self.columns)
            for k, value in zip(self.at, x):
                columns[k] = np.full(n, float(value))
            self.evaluations += 1
            self._last = (key, self.arrays.run(columns, n))
        return self._last[1]

    def model(self, x: np.ndarray) -> np.ndarray:
        return self.batch(x).value

    def residuals(self, x: np.ndarray) -> np.ndarray:
        """(model - observed) / sigma; NaN where eval would refuse the row (the optimizer then
        shortens its step)."""
        b = self.batch(x)
        r = b.value - self.data.observed
        if self.weight is not None:
            r = r * self.weight
        if b.failed is not None:
            r = np.where(b.failed, np.nan, r)
        return r

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        b = self.batch(x)
        j = np.column_stack([b.grads[k] for k in self.at])
        return j * self.weight[:, None] if self.weight is not None else j

    def first_failure(self, x: np.ndarray) -> MathError | None:
        """exit 3 when the model fails at the start at some row, with eval's message there."""
        b = self.batch(x)
        if b.failed is None:
            return None
        row = int(np.flatnonzero(b.failed)[0])
        point = [float(c[row]) for c in self.columns]
        for k, value in zip(self.at, x):
            point[k] = float(value)
        message = RowExplainer(self.graph)(point).message or "a value is not finite"
        start = ", ".join(f"{p} = {fmt(float(v))}" for p, v in zip(self.params, x))
        given = ", ".join(f"{k} = {fmt(float(v[row]))}" for k, v in self.data.inputs.items())
        count = int(b.failed.sum())
        return MathError(
            f"at the start ({start}) the model fails at {count} of {self.data.rows} data rows; the first, "
            f"row {row + 1}{f' ({given})' if given else ''}: {message}",
            hint="start the parameters where the model is defined at every row",
        )


def prepare(program: Program, starts: dict, data: CsvPoints | Mapping, options: FitOptions) -> Problem:
    """The problem, checked: parameters, columns, the graph, the rows (bad input: UsageError)."""
    from gradcli.analysis.sweep import nonfinite_constant
    from gradcli.build.standard import build, check_names

    params = list(starts)
    if not params:
        raise UsageError("fit needs at least one parameter to fit: PARAM=START, e.g. k=0.5")
    values = {}
    for name, value in starts.items():
        if not isinstance(value, float):
            raise UsageError(f"the parameter {name} must be a number: fit's parameters are scalars")
        values[name] = float(value)  # a start written 1.0±0.1: its uncertainty plays no part
    output = output_name(program, options.of)
    header = list(data.header) if isinstance(data, CsvPoints) else list(data)
    where = data.where if isinstance(data, CsvPoints) else "the data"
    columns = plan_columns(header, where, program, output, params, options.sigma)
    bindings = {**values, **dict.fromkeys(columns.inputs, 1.0)}  # the columns' stand-ins: the structure
    try:
        check_names(program, bindings)
    except NameError_ as exc:
        if exc.message.endswith("has no value"):
            exc.hint = _misspelt(exc.message.split("'")[1], params, columns.inputs, where)
        raise
    g = build(program, bindings, options.of, allow_nonfinite=True)
    if nonfinite_constant(g):
        build(program, bindings, options.of)  # fails at every row: eval's own message (raises)
    if g.arrays is not None and g.arrays.output is not None:
        raise UsageError(f"the output {g.output_name} is an array: fit needs a scalar output (pick one with --of)")
    read = [n for n in g.inputs if n not in g.unused]
    for name in columns.inputs:
        if name in g.unused or name not in g.inputs:
            raise unknown_column(name, where, read)
    for name in params:
        if name in g.unused or name not in g.inputs:
            raise UsageError(
                f"the parameter '{name}' is not an input of the program (its inputs: {', '.join(read) or 'none'})",
                hint=suggest(name, [n for n in read if n not in params]),
            )
    rows = read_csv(data, columns) if isinstance(data, CsvPoints) else from_mapping(data, columns)
    check_rows(rows, params)
    return Problem(g, rows, params)


def _misspelt(name: str, params: list[str], columns: list[str], where: str) -> str:
    """The hint for an input without a value: a parameter or column given under a near name, or
    how to give it one."""
    from gradcli.lang.suggest import edits

    near = [(edits(name, c), kind, c) for kind, given in (("parameter", params), ("column", columns)) for c in given]
    near = [t for t in near if 0 < t[0] <= max(1, len(name) // 3)]
    if near:
        _, kind, given = min(near)
        return f"the {kind} '{given}' is given, which the program never reads: did you mean '{name}'?"
    return f"give it a column in {where}, or fit it: {name}=START"


# -- the fit ------------------------------------------------------------------------------------


def run(problem: Problem, options: FitOptions | None = None) -> FitResult:
    """Fit: least squares from the start, then the covariance at the solution."""
    so = optimize()
    options = options or FitOptions()
    error = problem.first_failure(problem.start)
    if error is not None:
        raise error
    with problem.arrays.threads() if problem.data.rows > BLOCK else contextlib.nullcontext():
        try:
            res = so.least_squares(
                problem.residuals,
                problem.start,
                jac=problem.jacobian,
                method="trf",
                max_nfev=options.max_evaluations,
                ftol=TOL,
                xtol=TOL,
                gtol=TOL,
            )
        except ValueError as exc:  # scipy's own refusal (residuals not finite at x0 cannot happen: checked)
            raise GradcliError(f"the optimizer refused the problem: {exc}") from None
    return result(problem, res)


def covariance(jac: np.ndarray) -> tuple[np.ndarray, int]:
    """(JᵀJ)⁻¹ as curve_fit computes it (the SVD, singular values below eps·max(shape)·s₀ dropped),
    and J's numerical rank."""
    p = jac.shape[1]
    if jac.size == 0 or not np.isfinite(jac).all():
        return np.full((p, p), np.inf), 0
    _, s, vt = np.linalg.svd(jac, full_matrices=False)
    threshold = np.finfo(float).eps * max(jac.shape) * s[0]
    keep = s > threshold
    s, vt = s[keep], vt[: int(keep.sum())]
    return (vt.T / s**2) @ vt, int(keep.sum())


def result(problem: Problem, res) -> FitResult:
    """The FitResult of scipy's answer."""
    params, data = problem.params, problem.data
    x = np.asarray(res.x, dtype=float)
    jac = problem.jacobian(x)
    model = problem.model(x)
    residuals = data.observed - model
    weighted = residuals * problem.weight if problem.weight is not None else residuals
    n, p = data.rows, len(params)
    dof = n - p
    chi2 = float(np.dot(weighted, weighted))
    chi2_dof = chi2 / dof if dof > 0 else math.nan
    cov, rank = covariance(jac)
    warnings = []
    free = _free(jac, rank)
    if free.any():
        warnings.append(_undetermined([q for q, f in zip(params, free) if f]))
    if problem.weight is None:
        if dof > 0:
            cov = cov * chi2_dof
        else:
            cov = np.full((p, p), np.inf)
            warnings.append(f"{n} rows for {p} parameters: no residual scatter is left to estimate the "
                            "uncertainties from (give more rows, or --sigma)")  # fmt: skip
    cov[free, :] = np.inf  # the others' (JᵀJ)⁺ entries stand: each is a determined combination
    cov[:, free] = np.inf
    cov = 0.5 * (cov + cov.T)  # symmetric to the last bit (the SVD product is only to rounding)
    u = np.sqrt(np.diag(cov))
    with np.errstate(all="ignore"):
        corr = cov / np.outer(u, u)
    corr = np.where(np.isfinite(corr), np.clip(corr, -1.0, 1.0), np.nan)
    np.fill_diagonal(corr, np.where(np.isfinite(u), 1.0, np.nan))
    against = next(iter(data.inputs.items()), None)
    return FitResult(
        output=problem.graph.output_name,
        converged=res.status > 0,
        parameters={name: {"value": float(v), "u": float(e)} for name, v, e in zip(params, x, u)},
        correlation=corr.tolist(),
        rss=float(np.dot(residuals, residuals)),
        dof=dof,
        chi2_dof=chi2_dof,
        iterations=max(int(res.njev or 1) - 1, 0),
        evaluations={"f": int(res.nfev), "jac": int(res.njev or 0)},
        message=str(res.message),
        covariance=cov.tolist(),
        residuals=residuals,
        against=against,
        warnings=warnings,
    )


def _free(jac: np.ndarray, rank: int) -> np.ndarray:
    """Per parameter: does it move along the Jacobian's null space (the data do not determine it)?
    A parameter orthogonal to it is determined, and (JᵀJ)⁺ gives its variance."""
    p = jac.shape[1]
    if rank >= p:
        return np.zeros(p, dtype=bool)
    if not np.isfinite(jac).all():
        return np.ones(p, dtype=bool)
    _, _, vt = np.linalg.svd(jac, full_matrices=True)
    return np.linalg.norm(vt[rank:], axis=0) > 1e-8


def _undetermined(names: list[str]) -> str:
    """The data do not determine every parameter: which ones are free."""
    one = len(names) == 1
    return (
        f"the data do not determine every parameter (the Jacobian is rank-deficient): {', '.join(names)} "
        + ("can change" if one else "can change together")
        + " without changing the model at any row, so "
        + ("its uncertainty is" if one else "their uncertainties are")
        + " infinite"
    )


__all__ = ["FitOptions", "FitResult", "Problem", "covariance", "prepare", "result",
           "run"]  # fmt: skip
