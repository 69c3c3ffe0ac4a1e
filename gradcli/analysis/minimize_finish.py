"""What minimize does after the optimizer stops, before judging the point (analysis/minimize.py):

- `polish`: without constraints (and no bound active), a few Newton steps x - H⁻¹∇f with the
  exact Hessian while it is positive definite and each step is small and lowers |∇f|.  A method
  that compares values of f stalls once f's changes fall below its rounding (trust-exact on
  Rosenbrock + 1 from (1.000001, 1.000002) stops at |∇f| = 4e-10; Nelder-Mead's simplex closes
  to ~1e-8 in x); the exact Newton step goes on to the gradient's own rounding.
- `infeasibility`: where a constraint still does not hold when the optimizer stops (not at its
  iteration limit), the least violation reachable from there (L-BFGS-B on ½Σ r_i², r_i a
  constraint's violation, exact gradient Σ r_i ∇c_i).  None if it finds a feasible point;
  otherwise the worst violated constraint, and whether its gradient vanishes there (then no
  local method can move: `x*y >= 1` from (0, 0) is not infeasible, just a bad start).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from gradcli.analysis.minimize_problem import Problem
from gradcli.analysis.numdiff import EPS

POLISH_STEPS = 5


def polish(problem: Problem, x: list[float]) -> tuple[list[float], int]:
    """(the point after Newton steps, how many were taken): see the module's docstring."""
    o = problem.objective
    if problem.constraints or problem.active(x):
        return x, 0
    f, g = o.evaluate(x)
    x = np.asarray(x, dtype=float)
    taken = 0
    for _ in range(POLISH_STEPS):
        g = np.asarray(g, dtype=float)
        hessian = o.hessian(x)
        if not (np.isfinite(g).all() and np.isfinite(hessian).all()) or np.max(np.abs(g), initial=0.0) == 0.0:
            break
        if np.max(np.abs(g)) <= problem.stationary_tol(x, hessian):
            break
        try:
            factor = np.linalg.cholesky(hessian)  # positive definite: near a minimum, not a saddle
        except np.linalg.LinAlgError:
            break
        step = -np.linalg.solve(factor.T, np.linalg.solve(factor, g))
        if np.max(np.abs(step)) > 1e-3 * max(1.0, float(np.max(np.abs(x)))):
            break  # not a polish: the optimizer stopped far from the minimum
        trial = x + step
        if any(not lo <= t <= hi for t, (lo, hi) in zip(trial, problem.bounds)):
            break
        ft, gt = o.evaluate(trial)
        o.counts["f"] += 1
        o.counts["grad"] += 1
        if not (np.max(np.abs(gt), initial=0.0) < np.max(np.abs(g)) and ft <= f + 4 * EPS * max(1.0, abs(f))):
            break
        x, f, g = trial, ft, gt
        taken += 1
    return [float(v) for v in x], taken


class Violated(NamedTuple):
    text: str  # the constraint, as given
    amount: float  # by how much it does not hold
    flat: bool  # its gradient vanishes there


def infeasibility(problem: Problem, x: list[float]) -> Violated | None:
    """The worst violated constraint at the least violation reachable from x, or None when a
    point satisfying every constraint (within rounding) is found."""
    from scipy.optimize import minimize

    equality = np.array([c.equality for c in problem.constraints], dtype=bool)

    def residual(z):
        values, rows = problem.constraint_values(z)
        c = np.asarray(values, dtype=float)
        return np.where(equality, c, np.minimum(c, 0.0)), np.asarray(rows, dtype=float).reshape(len(c), len(z))

    def phi(z):
        r, jac = residual(z)
        if not np.isfinite(r).all():
            return math.inf, np.zeros(len(z))
        return 0.5 * float(r @ r), jac.T @ r

    bounds = problem.scipy_bounds() if problem.bounded else None
    with np.errstate(all="ignore"):
        best = minimize(phi, np.asarray(x, dtype=float), jac=True, method="L-BFGS-B", bounds=bounds,
                        options={"maxiter": 2000, "gtol": 1e-14, "ftol": 1e-16})  # fmt: skip
    z = best.x if np.isfinite(best.fun) and best.fun <= phi(np.asarray(x, dtype=float))[0] else np.asarray(x, float)
    if problem.violation(z) <= problem.options.tol:
        return None
    r, jac = residual(z)
    k = int(np.argmax(np.abs(r)))
    flat = bool(np.max(np.abs(jac[k]), initial=0.0) <= 1e-8 * max(1.0, abs(float(r[k]))))
    return Violated(problem.constraints[k].text, float(abs(r[k])), flat)


__all__ = ["Violated", "infeasibility", "polish"]
