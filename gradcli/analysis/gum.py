"""The GUM's numbers and its way of writing them: the 95 % coverage factor, u rounded to two
significant digits with the value to the same decimal place (GUM 7.2.6), and JCGM 101's
numerical tolerance of a standard uncertainty (7.9.2)."""

from __future__ import annotations

import math

K95 = 1.959963984540054  # the normal distribution's 97.5 % quantile: a 95 % interval is y ± K95·u


def _last_digit(u: float, digits: int) -> int:
    """l in u = c × 10^l with `digits` significant digits in c (u > 0): 0.0996 -> 0.10, not 0.100."""
    exponent = math.floor(math.log10(u)) - (digits - 1)
    return exponent + 1 if round(u / 10.0**exponent) >= 10**digits else exponent


def tolerance(u: float, digits: int = 2) -> float:
    """JCGM 101 7.9.2: write u as c × 10^l with `digits` significant digits in c; δ = 10^l / 2."""
    if not (u > 0 and math.isfinite(u)):
        return 0.0
    return 0.5 * 10.0 ** _last_digit(u, digits)


def round_gum(value: float, u: float, digits: int = 2) -> tuple[str, str]:
    """(value, u) as text: u to `digits` significant digits, the value to the same decimal
    place (GUM 7.2.6): 9.81073 ± 0.021934 -> ("9.811", "0.022").  Very large or small
    magnitudes share an exponent: ("(6.02214 ± 0.00012)e23" is written by `plus_minus`)."""
    if not (math.isfinite(u) and u > 0 and math.isfinite(value)):
        return f"{value:.6g}", f"{u:.2g}"
    exponent = _last_digit(u, digits)
    decimals = max(-exponent, 0)
    scale = 10.0**exponent
    return f"{round(value / scale) * scale:.{decimals}f}", f"{round(u / scale) * scale:.{decimals}f}"


def plus_minus(value: float, u: float, digits: int = 2) -> str:
    """`9.811 ± 0.022`; `(6.02214 ± 0.00012)e23` when the numbers would be long."""
    if u > 0 and math.isfinite(u) and math.isfinite(value):
        big = max(abs(value), u)
        shift = math.floor(math.log10(big))
        if shift >= 6 or math.floor(math.log10(u)) <= -6:
            v, e = round_gum(value / 10.0**shift, u / 10.0**shift, digits)
            return f"({v} ± {e})e{shift}"
    v, e = round_gum(value, u, digits)
    return f"{v} ± {e}"
