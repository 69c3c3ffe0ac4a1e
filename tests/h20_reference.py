"""mpmath's values of each op and its derivatives at the extremes of its domain (issue 20, item 3).

The oracle for tests/test_h20_extremes.py and tests/test_h20_rules.py: 50 significant digits,
each op's value, first and second derivative written out by hand (no numerical differentiation),
and a classification of a true value as a double: "normal" (the engine must be within BOUND
ulps), "tiny" (below the smallest normal double: the engine must give a finite number no larger
than the smallest normal), "huge" (past the largest double: the engine may say it overflows) or
"undefined" (not finite: the only case where the engine may call it undefined).
"""

from __future__ import annotations

import math

import mpmath as mp

mp.mp.dps = 50

BOUND = 4  # ulps: value and derivatives on the float path, arrays, sweep and diff's programs
BOUND2 = 8  # ulps: second derivatives (a derivative graph rounds a few more times)
TINY = 2.2250738585072014e-308  # the smallest normal double
HUGE = 1.7976931348623157e308

EXTREMES = [1e-300, 1e-10, 1.0, 20.0, 354.0, 400.0, 709.0, 710.0, 1e10, 1e300, 0.75, 26.3, 710.4]
POINTS = [0.0] + EXTREMES + [-x for x in EXTREMES]

sech = mp.sech


def _sig(x):
    return 1 / (1 + mp.exp(-x))


def _erfc(x):
    if x > 1e6:  # mpmath's series check overflows at 1e300: the asymptotic series' first term
        return mp.exp(-(x**2)) / (x * mp.sqrt(mp.pi))
    return mp.erfc(x)


def _cbrt(x):
    return mp.sign(x) * mp.cbrt(abs(x))


# name -> (f, f', f'') on mpf, and the points where the op is defined as a real function
UNARY = {
    "exp": (mp.exp, mp.exp, mp.exp),
    "log": (mp.log, lambda x: 1 / x, lambda x: -1 / x**2),
    "sqrt": (mp.sqrt, lambda x: 1 / (2 * mp.sqrt(x)), lambda x: -1 / (4 * x * mp.sqrt(x))),
    "sin": (mp.sin, mp.cos, lambda x: -mp.sin(x)),
    "cos": (mp.cos, lambda x: -mp.sin(x), lambda x: -mp.cos(x)),
    "tan": (mp.tan, lambda x: 1 + mp.tan(x) ** 2, lambda x: 2 * mp.tan(x) * (1 + mp.tan(x) ** 2)),
    "asin": (mp.asin, lambda x: 1 / mp.sqrt(1 - x**2), lambda x: x / (1 - x**2) ** 1.5),
    "acos": (mp.acos, lambda x: -1 / mp.sqrt(1 - x**2), lambda x: -x / (1 - x**2) ** 1.5),
    "atan": (mp.atan, lambda x: 1 / (1 + x**2), lambda x: -2 * x / (1 + x**2) ** 2),
    "sinh": (mp.sinh, mp.cosh, mp.sinh),
    "cosh": (mp.cosh, mp.sinh, mp.cosh),
    "tanh": (mp.tanh, lambda x: sech(x) ** 2, lambda x: -2 * mp.tanh(x) * sech(x) ** 2),
    "sigmoid": (_sig, lambda x: sech(x / 2) ** 2 / 4, lambda x: -(sech(x / 2) ** 2) * mp.tanh(x / 2) / 4),
    "softplus": (lambda x: mp.log1p(mp.exp(x)), _sig, lambda x: sech(x / 2) ** 2 / 4),
    "sech": (sech, lambda x: -sech(x) * mp.tanh(x), lambda x: sech(x) * (mp.tanh(x) ** 2 - sech(x) ** 2)),
    "erf": (
        mp.erf,
        lambda x: 2 / mp.sqrt(mp.pi) * mp.exp(-(x**2)),
        lambda x: -4 * x / mp.sqrt(mp.pi) * mp.exp(-(x**2)),
    ),
    "erfc": (
        lambda x: _erfc(x),
        lambda x: -2 / mp.sqrt(mp.pi) * mp.exp(-(x**2)),
        lambda x: 4 * x / mp.sqrt(mp.pi) * mp.exp(-(x**2)),
    ),
    "log10": (lambda x: mp.log(x, 10), lambda x: 1 / (x * mp.log(10)), lambda x: -1 / (x**2 * mp.log(10))),
    "log2": (lambda x: mp.log(x, 2), lambda x: 1 / (x * mp.log(2)), lambda x: -1 / (x**2 * mp.log(2))),
    "log1p": (mp.log1p, lambda x: 1 / (1 + x), lambda x: -1 / (1 + x) ** 2),
    "expm1": (mp.expm1, mp.exp, mp.exp),
    "cbrt": (_cbrt, lambda x: 1 / (3 * _cbrt(x) ** 2), lambda x: -2 / (9 * _cbrt(x) ** 5)),
    "relu": (lambda x: max(x, 0), lambda x: 1 if x > 0 else 0, lambda x: 0),
    "abs": (abs, lambda x: mp.sign(x), lambda x: 0),
    "neg": (lambda x: -x, lambda x: -1, lambda x: 0),
}

DOMAIN = {
    "log": lambda x: x > 0,
    "log10": lambda x: x > 0,
    "log2": lambda x: x > 0,
    "sqrt": lambda x: x >= 0,
    "asin": lambda x: -1 <= x <= 1,
    "acos": lambda x: -1 <= x <= 1,
    "log1p": lambda x: x > -1,
}
EXTRA = {  # points at the edge of a bounded domain
    "asin": [1.0, -1.0, 0.5, -0.5, 1 - 2**-53, -(1 - 2**-53)],
    "acos": [1.0, -1.0, 0.5, -0.5, 1 - 2**-53, -(1 - 2**-53)],
    "log1p": [-1.0, -1 + 2**-53, -0.5],
    "tan": [math.pi / 2, 1.5],
}


def points(name: str) -> list[float]:
    return POINTS + EXTRA.get(name, [])


def true_values(name: str, x: float):
    """(value, f', f'') as mpf, None where the op or the derivative is not defined (kinks: x = 0)."""
    f, d1, d2 = UNARY[name]
    inside = DOMAIN.get(name, lambda x: True)(x)
    if not inside:
        return None, None, None
    X = mp.mpf(x)
    out = []
    for fn in (f, d1, d2):
        try:
            v = mp.mpf(fn(X))
        except (ZeroDivisionError, ValueError):
            v = None
        out.append(v if v is not None and mp.isfinite(v) else None)
    return tuple(out)


def kind(v) -> str:
    """How a true value looks as a double: normal, tiny, huge or undefined."""
    if v is None:
        return "undefined"
    if abs(v) > HUGE:
        return "huge"
    if v != 0 and abs(v) < TINY:
        return "tiny"
    return "normal"


def ulps(got: float, true) -> float:
    """|got - true| in units in the last place of the true value (rounded to a double)."""
    t = float(true)
    if t == 0.0:
        return 0.0 if got == 0.0 else math.inf
    return float(abs(mp.mpf(got) - true) / math.ulp(t))


def judge(got: float | None, true, bound: int) -> str | None:
    """None when `got` (None: the engine said undefined or overflow) is acceptable for `true`,
    else the complaint."""
    k = kind(true)
    if got is None:
        return None if k in ("undefined", "huge") else f"called undefined, true {mp.nstr(true, 17)} ({k})"
    if k == "undefined":
        return None if not math.isfinite(got) else f"gave {got!r} where the true value is undefined"
    if k == "huge":
        return None if abs(got) == math.inf or abs(got) >= HUGE * (1 - 1e-15) else f"gave {got!r}, true overflows"
    if k == "tiny":
        return None if math.isfinite(got) and abs(got) <= TINY else f"gave {got!r}, true {mp.nstr(true, 5)} is tiny"
    u = ulps(got, true)
    return None if u <= bound else f"gave {got!r}, true {mp.nstr(true, 17)}: {u:.1f} ulp"


# -- two operands: name -> (f, (df/dx, df/dy), (d2f/dx2, d2f/dxdy, d2f/dy2)) -------------------------


def _pow_parts(x, y):
    v = x**y
    return (
        v,
        (y * x ** (y - 1), v * mp.log(x)),
        (
            y * (y - 1) * x ** (y - 2),
            x ** (y - 1) * (1 + y * mp.log(x)),
            v * mp.log(x) ** 2,
        ),
    )


def _atan2_parts(y, x):
    r2 = x**2 + y**2
    return mp.atan2(y, x), (x / r2, -y / r2), (-2 * x * y / r2**2, (y**2 - x**2) / r2**2, 2 * x * y / r2**2)


def _hypot_parts(x, y):
    r = mp.sqrt(x**2 + y**2)
    return r, (x / r, y / r), (y**2 / r**3, -x * y / r**3, x**2 / r**3)


def _div_parts(x, y):
    return x / y, (1 / y, -x / y**2), (mp.mpf(0), -1 / y**2, 2 * x / y**3)


BINARY = {"pow": _pow_parts, "atan2": _atan2_parts, "hypot": _hypot_parts, "div": _div_parts}
PAIR_POINTS = [1e-300, 1e-10, 1.0, 20.0, 400.0, 710.0, 1e10, 1e300, 0.75, 2.0, 3.0, 0.5]
PAIR_POINTS = PAIR_POINTS + [-x for x in PAIR_POINTS]


def true_pair(name: str, x: float, y: float):
    """(value, (d/dx, d/dy), (d2/dx2, d2/dxdy, d2/dy2)) as mpf or None where not real and finite.
    pow at a negative base exists only at integer exponents, and its d/dy not at all."""
    X, Y = mp.mpf(x), mp.mpf(y)
    if name == "pow" and x < 0:
        if y != int(y):
            return None, (None, None), (None, None, None)
        v = X**Y
        dx = Y * X ** (Y - 1)
        return _real(v), (_real(dx), None), (_real(Y * (Y - 1) * X ** (Y - 2)), None, None)
    try:
        v, d1, d2 = BINARY[name](X, Y)
    except ZeroDivisionError:
        return None, (None, None), (None, None, None)
    return _real(v), tuple(map(_real, d1)), tuple(map(_real, d2))


def _real(v):
    return v if v is not None and isinstance(v, mp.mpf) and mp.isfinite(v) else None
