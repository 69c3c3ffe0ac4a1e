"""Forward rules on floats that need more than one `math` call (the op table uses them)."""

from __future__ import annotations

import math


def sigmoid(x: float) -> float:
    # Two branches so that exp never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def softplus(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|), exact and overflow-free.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def sech(x: float) -> float:
    # 1/cosh(x), and past cosh's overflow (|x| >= 710) 2e^-|x| (e^-2|x| is then far below an ulp of 1).
    a = abs(x)
    return 1.0 / math.cosh(a) if a < 710.0 else 2.0 * math.exp(-a)


def sign(x: float) -> float:
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else (x if x != x else 0.0))


def cbrt(x: float) -> float:
    # The real cube root, negative arguments too (math.cbrt is new in Python 3.11).
    a = abs(x)
    if a < 2.0**-900:  # r*r*r below would be subnormal (few digits): cbrt(a) = cbrt(a 2^300) 2^-100
        return math.copysign(cbrt(a * 2.0**300) * 2.0**-100, x) if a else x
    r = a ** (1.0 / 3.0)
    if r != math.inf:
        r -= (r * r * r - a) / (3.0 * r * r)  # one Newton step: correctly rounded in practice
    return math.copysign(r, x)


def rounded(x: float) -> float:
    return float(round(x))  # half to even, as PyTorch and numpy


# -- IEEE-754 results where `math` raises (--allow-nonfinite, and the rules' SAFE floats) --

inf = math.inf
nan = math.nan


def overflow_or_nan(xs: tuple, exc: Exception) -> float:
    """The default IEEE result where `math` raised: inf for an overflow, else NaN."""
    return inf if isinstance(exc, OverflowError) else nan


def div_failure(xs: tuple, exc: Exception) -> str | None:
    return "division by zero" if xs[1] == 0.0 else None


def pow_failure(xs: tuple, exc: Exception) -> str | None:
    x, y = xs
    if x == 0.0 and y < 0.0:
        return "zero to a negative power"
    if x < 0.0 and isinstance(exc, ValueError) and y != 0.0:
        return "negative base with a fractional exponent"
    return None


def ieee_div(xs: tuple, exc: Exception) -> float:
    x, y = xs
    if y == 0.0:
        return nan if x == 0.0 or x != x else math.copysign(inf, x) * math.copysign(1.0, y)
    return overflow_or_nan(xs, exc)


def ieee_log(xs: tuple, exc: Exception) -> float:
    return -inf if xs[0] == 0.0 else nan  # log 0 = -inf; log of a negative number = NaN


def ieee_log1p(xs: tuple, exc: Exception) -> float:
    return -inf if xs[0] == -1.0 else nan


def ieee_pow(xs: tuple, exc: Exception) -> float:
    x, y = xs
    odd = math.isfinite(y) and y == int(y) and int(y) % 2 == 1
    if x == 0.0:  # 0 ** negative: inf, signed like x for odd y
        return math.copysign(inf, x) if odd else inf
    if isinstance(exc, OverflowError):
        return -inf if x < 0.0 and odd else inf
    return nan


def ieee_odd(xs: tuple, exc: Exception) -> float:
    return math.copysign(inf, xs[0]) if isinstance(exc, OverflowError) else nan  # sinh
