"""`gradcli minimize`: scipy.optimize fed gradcli's exact gradient, Hessian (or Hessian-vector
products) and constraint Jacobians, and a verdict from exact second-order conditions at the answer.

    problem = prepare(program, values, Options(subject_to=("x**2 + y**2 == 1",)))
    result = solve(problem)          # a Result; result.to_dict() is the JSON of DESIGN §7.2

The graph is built once (the program with each constraint appended as a statement, see
analysis/constraints.py) and compiled once (analysis/objective.py).  scipy is imported here,
inside the functions, never by `import gradcli`.  Methods (`--method`): auto picks trust-exact
(trust-krylov above 50 unknowns: Hessian-vector products) without bounds or constraints, L-BFGS-B
with bounds only, SLSQP with constraints; trust with bounds or constraints is trust-constr (exact
Hessians of the objective and of each constraint).  The rest of the answer (multipliers, KKT
residual, eigenvalues, verdict) is analysis/optimality.py's.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

from gradcli.analysis import optimality
from gradcli.analysis.minimize_finish import infeasibility, polish
from gradcli.analysis.minimize_problem import METHODS, Options, Problem, prepare, scipy_method
from gradcli.analysis.minimize_result import Result
from gradcli.core.errors import UsageError

__all__ = ["METHODS", "Options", "Problem", "Result", "prepare", "scipy_method", "solve"]


class _Run(NamedTuple):
    x: list[float]
    message: str
    success: bool
    iterations: int
    limit: bool  # stopped at the iteration limit


def solve(problem: Problem) -> Result:
    """Run the optimizer from the problem's start and examine the point it returns."""
    o = problem.objective
    run = _optimize(problem)
    counts = dict(o.counts)
    f, g = o.evaluate(run.x)
    return _result(problem, run, f, g, counts)


def _optimize(problem: Problem) -> _Run:
    import numpy as np
    from scipy.optimize import minimize

    o, opts = problem.objective, problem.options
    method = problem.method
    x0 = np.array(o.start(), dtype=float)
    trace = problem.trace
    if trace is not None:
        _record(problem, 0, x0)

    def callback(xk, *_):
        if trace is not None:
            _record(problem, len(trace), getattr(xk, "x", xk))

    kwargs: dict = {"method": method, "callback": callback, "options": _options(method, opts, len(x0))}
    if method != "Nelder-Mead":
        kwargs["jac"] = o.gradient
    if method in ("trust-exact", "trust-constr"):
        kwargs["hess"] = o.hessian
    elif method in ("trust-krylov", "Newton-CG"):
        kwargs["hessp"] = o.hessp
    if problem.bounded:
        kwargs["bounds"] = problem.scipy_bounds()
    if problem.constraints:
        kwargs["constraints"] = problem.scipy_constraints(method == "trust-constr")
    with warnings.catch_warnings(), np.errstate(all="ignore"):  # scipy's warnings are not the user's
        warnings.simplefilter("ignore")  # RuntimeWarning (overflow...), UserWarning ("Singular Jacobian matrix")
        res = minimize(o.value, x0, **kwargs)
    iterations = int(getattr(res, "nit", 0) or 0) or (len(trace) - 1 if trace else 0)
    said = str(res.message).lower()  # "Maximum number of iterations ...", SLSQP's "Iteration limit reached"
    limit = opts.max_iter is not None and iterations >= opts.max_iter or "maximum number" in said or "limit" in said
    return _Run([float(v) for v in res.x], str(res.message), bool(res.success), iterations, limit)


def _record(problem: Problem, k: int, x) -> None:
    f, g = problem.objective.evaluate(x)
    problem.trace.append((k, [float(v) for v in x], f, max((abs(v) for v in g), default=0.0)))


def _options(method: str, opts: Options, n: int) -> dict:
    """scipy's stopping options for --tol and --max-iter, per method."""
    tol = opts.tol
    out: dict = {}
    if method == "Nelder-Mead":
        out = {"xatol": tol, "fatol": tol * tol, "adaptive": n > 2, "maxfev": 10**9}
    elif method == "L-BFGS-B":
        out = {"gtol": tol, "ftol": 2.0**-52, "maxfun": 10**9}
    elif method == "SLSQP":
        out = {"ftol": tol * tol}
    elif method == "Newton-CG":
        out = {"xtol": tol}
    elif method == "trust-constr":
        out = {"gtol": tol, "xtol": tol * tol}
    else:  # BFGS, trust-exact, trust-krylov
        out = {"gtol": tol}
    if opts.max_iter is not None:
        out["maxiter"] = opts.max_iter
    elif method in ("Nelder-Mead", "SLSQP", "trust-constr", "L-BFGS-B"):
        out["maxiter"] = max(1000, 200 * n)
    return out


def _infeasible(problem: Problem, x: list[float]) -> str | None:
    """The optimizer stopped (not at its iteration limit) where a constraint does not hold.  The
    least violation reachable from there still violates one: the constraints are infeasible (exit
    2), unless that constraint's gradient vanishes there (no local method can move: a reason for
    exit 1, returned).  None: a feasible point exists; the run just failed."""
    found = infeasibility(problem, x)
    if found is None:
        return None
    if found.flat:
        return (
            f"{found.text!r} does not hold, and its gradient is 0 where the optimizer stopped: "
            "no step can fix it from there; start elsewhere"
        )
    raise UsageError(
        f"no point satisfying every constraint was found: the constraints look infeasible "
        f"(at the least violation reachable from where {problem.method} stopped, {found.text!r} is off by "
        f"{found.amount:.3g})",
        hint="check the --subject-to and --bounds for a contradiction, or start inside the feasible set",
    )


def _result(problem: Problem, run: _Run, f: float, g: list[float], counts: dict) -> Result:
    o = problem.objective
    x, polished = polish(problem, run.x)
    if polished:
        f, g = o.evaluate(x)
        counts = dict(o.counts)
    active = problem.active(x)
    hessian = o.hessian(x)
    o.counts["hess"] -= 1  # the examination's Hessian is not the optimizer's
    tol = problem.stationary_tol(x, hessian)
    violation = problem.violation(x)
    verdict = optimality.examine(g, hessian, active, violation, tol)
    stuck = None
    if violation > tol and verdict.kkt_residual > tol and not run.limit:
        stuck = _infeasible(problem, x)
    # the exact KKT test decides, not the optimizer's word: SLSQP reports success at points that
    # are not stationary ((x - 3)**2 on x**2 >= 4 from 0: x = 6).  The residual includes the violation.
    converged = verdict.kkt_residual <= tol
    if converged:
        status = "converged"
    else:
        status = "iteration limit" if run.limit else "failed"
    reason = (
        run.message
        if not polished
        else f"{run.message} (then {polished} Newton step{'s' * (polished > 1)} with the exact Hessian)"
    )
    if stuck is not None:
        reason = f"{run.message}: {stuck}"
    elif converged and not run.success:
        reason = f"{run.message} (the KKT residual is within tolerance)"
    elif run.success and not converged:
        reason = f"{run.message}, but the KKT residual there is {verdict.kkt_residual:.3g} (tolerance {tol:.3g})"
    return Result(
        output=problem.output,
        status=status,
        converged=converged,
        names=list(o.names),
        x=x,
        value=f,
        grad=list(g),
        gradient_norm=max((abs(v) for v in g), default=0.0),
        eigenvalues=verdict.eigenvalues,
        verdict=verdict.verdict,
        iterations=run.iterations,
        evaluations=counts,
        method=problem.method,
        active=[{"constraint": a.text, "multiplier": m} for a, m in zip(active, verdict.multipliers)],
        kkt_residual=verdict.kkt_residual,
        reason=reason,
        shapes=problem.shapes,
        trace=problem.trace,
    )
