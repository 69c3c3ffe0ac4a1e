# ruff: noqa: N803 - P: the rules' namespace, as in ops.py
"""The op table's derivative rules that need more than one line (gradcli.core.ops names them).

Each is a vjp rule as the table's: rule(g, out, *xs, P) -> each operand's contribution, written
with Python's operators and P's ops so that floats, numpy arrays and graph nodes all run it.
Piecewise rules use P.where, and where a branch is masked its operand is made harmless too
(the "double where"): a derivative program printed as code computes both branches, and the
derivative of a masked branch must not be 0 * inf.
"""

from __future__ import annotations


def vjp_pow(g, out, x, y, P):
    # d/dx x^y = y x^(y-1), 0 at x = y = 0 (PyTorch);  d/dy x^y = x^y log x, whose limit at x = 0 is
    # 0 for y > 0 (at y = 0 it is log x -> -inf), NaN for x < 0 where x^y exists only at integer y.
    # The masks apply at x = 0 only, so that away from it the rules stay differentiable (a mask on
    # y = 0 alone would zero d2/dxdy at y = 0), and where one applies, the expression it hides is
    # computed at x = 1 (no 0^-1, no log 0): so diff's programs, which compute both branches,
    # evaluate there, and the Hessian differentiates 0, not 0 * inf (d2/dxdy of x^3 at 0 is 0).
    at_zero = P.eq(x, 0.0)
    dx = g * y * P.pow(P.where(at_zero, P.where(P.eq(y, 0.0), 1.0, x), x), y - 1.0)
    vanishes = P.where(at_zero, P.gt(y, 0.0), 0.0)  # x = 0 and y > 0: x^y log x -> 0
    dy = g * out * P.log(P.where(vanishes, 1.0, x))
    return P.where(at_zero, P.where(P.eq(y, 0.0), 0.0, dx), dx), P.where(vanishes, 0.0, dy)


def one_minus_square(P, x):
    # 1 - x^2: as (1 - x)(1 + x) near |x| = 1, where it is exact, and as 1 - x*x near 0, whose
    # derivative -2x has no cancellation (the product's -(1 + x) + (1 - x) loses x's digits)
    return P.where(P.lt(P.abs(x), 0.5), 1.0 - x * x, (1.0 - x) * (1.0 + x))


def gauss(P, x):
    # e^(-x^2) to a few ulps: x^2 rounded costs x^2 ulps of e^(-x^2) (400 at x = 20).  Split x
    # = h + (x - h) with h on a 2^-20 grid, so h^2 is exact: e^(-x^2) = e^(-h^2) e^(-(x-h)(x+h)).
    # Past |x| = 28, e^(-x^2) < e^-784 is 0 in doubles (the smallest is e^-744.4), and x stops
    # there (x*x would overflow at 1e155); stopping short of 27.3 would leave a false tail.
    x = P.where(P.lt(P.abs(x), 28.0), x, 28.0)
    h = P.round(x * 1048576.0) / 1048576.0
    return P.exp(-(h * h)) * P.exp(-((x - h) * (x + h)))


def _vjp_minmax(pick):
    # d max(x, y) = (1, 0) where x wins, (0, 1) where y wins, (1/2, 1/2) at a tie (PyTorch).
    def vjp(g, out, x, y, P):
        w = P.where(P.eq(x, y), 0.5, P.where(pick(P, x, y), 1.0, 0.0))
        return g * w, g * (1.0 - w)

    return vjp


def vjp_atan(g, out, x, P):
    r = P.hypot(1.0, x)  # atan' = 1/(1 + x^2) = 1/r^2, divided twice: 1 + x*x overflows at x = 1.4e154
    return (g / r / r,)


def vjp_atan2(g, out, y, x, P):
    r = P.hypot(y, x)  # d atan2(y, x) = (x, -y) / (x^2 + y^2), scaled by r to avoid overflow
    return g * (x / r) / r, -g * (y / r) / r


def vjp_hypot(g, out, x, y, P):
    zero = P.eq(out, 0.0)  # at the origin: 0 (PyTorch masks it), and the masked x/r divides by 1
    r = P.where(zero, 1.0, out)
    return P.where(zero, 0.0, g * x / r), P.where(zero, 0.0, g * y / r)


def _gt(P, x, y):
    return P.gt(x, y)


def _lt(P, x, y):
    return P.lt(x, y)


vjp_min = _vjp_minmax(_lt)
vjp_max = _vjp_minmax(_gt)
