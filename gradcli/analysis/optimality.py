"""What minimize says about its answer: multipliers, the KKT residual, the (reduced) Hessian's
eigenvalues and the verdict from exact second-order conditions.

Sign convention: every constraint is c(x) >= 0 (or == 0), c = B - A for `A <= B` and `A == B`,
A - B for `A >= B`, an upper bound `x <= 2` is 2 - x, a lower `x >= 0` is x.  The multipliers λ
solve ∇f = Σ λ_i ∇c_i over the active constraints (least squares); at a minimum an inequality's
λ is >= 0 (λ_i is how fast the best value falls as constraint i is relaxed by one unit).  The
KKT residual is the largest of: |∇f - Σ λ_i ∇c_i| (∞-norm), the worst violation of a
constraint or bound, and the most negative inequality multiplier.

The second-order test is on the Lagrangian's Hessian ∇²f - Σ λ_i ∇²c_i restricted to the
tangent space of the active constraints (the null space of their gradients); with none active,
the Hessian itself.  An inequality whose multiplier is within the tolerance of 0 (weakly active)
is left out of that null space: a positive definite reduced Hessian there still proves a strict
minimum, but negative curvature may point into the infeasible side, so it is inconclusive.
An eigenvalue counts as 0 when |λ| <= max(rounding, √g), g the KKT
residual: near a point where a direction's curvature vanishes (x**4 at 0), a point whose
gradient is g still shows a curvature of about 4.8 g^(2/3) there, below √g for g < 1e-4, so it
is not mistaken for a strict minimum; at an exact stationary point only rounding counts.
"""

from __future__ import annotations

import math
from typing import NamedTuple

STRICT_MIN = "strict local minimum"
SADDLE = "saddle point"
INCONCLUSIVE = "stationary, second-order test inconclusive"
NOT_STATIONARY = "not stationary"
STRICT_MAX = "strict local maximum"  # only when started at one: every direction descends
ACTIVE = 1e-6  # a constraint within this of its edge (relative to its size, at least 1) is active


class Active(NamedTuple):
    text: str
    equality: bool
    value: float  # c(x): 0 on the edge, > 0 inside
    gradient: list[float]
    hessian: object  # an n x n array, or None for a bound (linear)


class Verdict(NamedTuple):
    multipliers: list[float]
    kkt_residual: float
    eigenvalues: list[float]
    verdict: str


def examine(gradient, hessian, active: list[Active], violation: float, tol: float) -> Verdict:
    """The multipliers, KKT residual, eigenvalues (ascending) and verdict at a point whose
    objective gradient and Hessian are given (numpy arrays), `active` its active constraints,
    `violation` the worst violation of any constraint there, `tol` the stationarity tolerance."""
    import numpy as np

    g = np.asarray(gradient, dtype=float)
    n = g.size
    if not np.all(np.isfinite(g)) or not np.all(np.isfinite(hessian)):
        return Verdict([math.nan] * len(active), math.nan, [], NOT_STATIONARY)
    A = np.array([a.gradient for a in active], dtype=float).reshape(len(active), n)  # noqa: N806
    lam = np.linalg.lstsq(A.T, g, rcond=None)[0] if len(active) else np.zeros(0)
    stationarity = float(np.max(np.abs(g - A.T @ lam))) if n else 0.0
    wrong_sign = max([-float(m) for m, a in zip(lam, active) if not a.equality] + [0.0])
    residual = max(stationarity, violation, wrong_sign)
    lagrangian = np.array(hessian, dtype=float)
    for m, a in zip(lam, active):
        if a.hessian is not None:
            lagrangian = lagrangian - m * np.asarray(a.hessian)
    # an inequality whose multiplier is ~0 (weakly active) does not pin its direction: the test is on
    # the null space of the others, and only its positive definiteness is conclusive (x*y at a corner)
    strong = [a.equality or m > tol for m, a in zip(lam, active)]
    Z = _null_space(A[np.array(strong, dtype=bool)] if active else A, n)  # noqa: N806
    reduced = Z.T @ lagrangian @ Z
    eig = [float(e) for e in np.linalg.eigvalsh(0.5 * (reduced + reduced.T))] if reduced.size else []
    return Verdict([float(m) for m in lam], residual, eig, _verdict(eig, residual, tol, not all(strong)))


def _null_space(A, n: int):  # noqa: N803
    import numpy as np

    if not A.shape[0]:
        return np.eye(n)
    _, s, vt = np.linalg.svd(A)
    rank = int(np.sum(s > max(A.shape) * np.finfo(float).eps * (s[0] if s.size else 0.0)))
    return vt[rank:].T


def _verdict(eig: list[float], residual: float, tol: float, weak: bool) -> str:
    if not residual <= tol:
        return NOT_STATIONARY
    scale = max((abs(e) for e in eig), default=0.0)
    zero = max(64 * 2.0**-52 * max(len(eig), 1) * scale, math.sqrt(residual))
    pos = sum(e > zero for e in eig)
    neg = sum(e < -zero for e in eig)
    if pos == len(eig):
        return STRICT_MIN  # an empty tangent space: a vertex whose multipliers are all > 0
    if weak:
        return INCONCLUSIVE  # negative curvature may point out of the feasible side of a weak constraint
    if neg and pos:
        return SADDLE
    if neg == len(eig):
        return STRICT_MAX
    return INCONCLUSIVE


def violations(values: list[float], equality: list[bool]) -> float:
    """The worst violation of constraints c >= 0 (c == 0 where equality) at their values."""
    worst = 0.0
    for c, eq in zip(values, equality):
        worst = max(worst, abs(c) if eq else -c)
    return worst


def is_active(c: float, equality: bool, size: float) -> bool:
    """A constraint whose value c is within ACTIVE of its edge (an equality always is)."""
    return equality or c <= ACTIVE * max(1.0, size)
