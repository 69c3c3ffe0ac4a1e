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


def sign(x: float) -> float:
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else (x if x != x else 0.0))


def cbrt(x: float) -> float:
    # The real cube root, negative arguments too (math.cbrt is new in Python 3.11).
    r = abs(x) ** (1.0 / 3.0)
    if r:
        r -= (r * r * r - abs(x)) / (3.0 * r * r)  # one Newton step: correctly rounded in practice
    return math.copysign(r, x)


def rounded(x: float) -> float:
    return float(round(x))  # half to even, as PyTorch and numpy
