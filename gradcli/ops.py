"""THE op table: every operation's forward rule and local partial derivatives, side by side.

Each entry is `Op(name, arity, forward, local)` where `forward(*xs)` computes the value and
`local(out, *xs)` returns the tuple of partial derivatives d out / d x_i, given the already
computed `out` (so rules such as exp' = exp reuse it, as HIPS autograd's `ans` does).
The engine, the interpreter, the parser's function names and the renderers all read this
table; adding a function is one entry here plus a sample point in the tests.

Rules are written with the scalar `math` functions, but only with the arithmetic a numpy
array would also support where that costs nothing.  Local derivatives never raise: where
one is undefined they return inf or nan, and the engine reports the non-finite gradient.
Conventions at kinks follow PyTorch: relu'(0) = 0, abs'(0) = 0, min/max ties split evenly.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import NamedTuple

inf = math.inf
nan = math.nan


class Op(NamedTuple):
    name: str
    arity: int
    forward: Callable[..., float]
    local: Callable[..., tuple]
    syntax: str = "function"  # "function": callable by name; "operator": only via its symbol
    symbol: str = ""  # infix/prefix symbol for display ("+", "*", "-", "**")
    # For piecewise ops: which piece the operands are on (-1, 0, 1).  A change between
    # nearby points means a kink was crossed; `gradcli check` uses it to mark kinks.
    branch: Callable[..., int] | None = None
    domain: str = ""  # where the forward rule is defined, for error messages
    # For composite ops: the same function written with simpler ops (`--expand`).  Called
    # as expand(P, *operands) where P.add(a, b), P.exp(a), ..., P.c(2.0) build nodes.
    expand: Callable[..., object] | None = None


# -- forward rules that need more than one `math` call --------------------------------


def _sigmoid(x: float) -> float:
    # Two branches so that exp never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|), exact and overflow-free.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


# -- local derivatives that need a case split -------------------------------------------


def _dpow(out: float, x: float, y: float) -> tuple:
    # d/dx x^y = y x^(y-1);  d/dy x^y = x^y log x  (defined for x > 0; 0 at x = 0 when y >= 0,
    # as PyTorch; undefined for x < 0, where x^y exists only at integer y).
    if y == 0.0:
        dx = 0.0
    elif x == 0.0 and y < 1.0:
        dx = inf
    else:
        dx = y * math.pow(x, y - 1.0)
    if x > 0.0:
        dy = out * math.log(x)
    elif x == 0.0 and y >= 0.0:
        dy = 0.0
    else:
        dy = nan
    return (dx, dy)


def _dsqrt(out: float, x: float) -> tuple:
    return (0.5 / out if out else inf,)  # d sqrt x = 1 / (2 sqrt x)


def _dasin(out: float, x: float) -> tuple:
    r = 1.0 - x * x  # d asin x = 1 / sqrt(1 - x^2)
    return (1.0 / math.sqrt(r) if r > 0.0 else inf,)


def _dacos(out: float, x: float) -> tuple:
    r = 1.0 - x * x  # d acos x = -1 / sqrt(1 - x^2)
    return (-1.0 / math.sqrt(r) if r > 0.0 else -inf,)


def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)  # also abs' (PyTorch: abs'(0) = 0)


def _dmax(out: float, x: float, y: float) -> tuple:
    return (1.0, 0.0) if x > y else ((0.0, 1.0) if x < y else (0.5, 0.5))


def _dmin(out: float, x: float, y: float) -> tuple:
    return (1.0, 0.0) if x < y else ((0.0, 1.0) if x > y else (0.5, 0.5))


# -- composite ops, broken down (the seed: "implement tanh as an operation, or really
# break it down") -- each rule may use other composites; expansion repeats until only
# primitives remain: add mul neg pow exp log sin cos asin acos atan abs relu min max.


def _x_sub(P, x, y):
    return P.add(x, P.neg(y))  # x - y = x + (-y)


def _x_div(P, x, y):
    return P.mul(x, P.pow(y, P.c(-1.0)))  # x / y = x * y^-1


def _x_sqrt(P, x):
    return P.pow(x, P.c(0.5))


def _x_tan(P, x):
    return P.div(P.sin(x), P.cos(x))


def _x_sinh(P, x):
    return P.mul(P.c(0.5), P.sub(P.exp(x), P.exp(P.neg(x))))  # (e^x - e^-x) / 2


def _x_cosh(P, x):
    return P.mul(P.c(0.5), P.add(P.exp(x), P.exp(P.neg(x))))  # (e^x + e^-x) / 2


def _x_tanh(P, x):
    e2x = P.exp(P.mul(P.c(2.0), x))  # (e^2x - 1) / (e^2x + 1), as in micrograd's lecture
    return P.div(P.sub(e2x, P.c(1.0)), P.add(e2x, P.c(1.0)))


def _x_sigmoid(P, x):
    return P.div(P.c(1.0), P.add(P.c(1.0), P.exp(P.neg(x))))  # 1 / (1 + e^-x)


def _x_softplus(P, x):
    return P.log(P.add(P.c(1.0), P.exp(x)))  # log(1 + e^x)


# -- the table --------------------------------------------------------------------------
#   name        arity  forward                           local partials (out, *xs) -> tuple

OPS: tuple[Op, ...] = (
    Op("add",      2, operator.add,                     lambda out, x, y: (1.0, 1.0), "operator", "+"),
    Op("sub",      2, operator.sub,                     lambda out, x, y: (1.0, -1.0), "operator", "-", expand=_x_sub),
    Op("mul",      2, operator.mul,                     lambda out, x, y: (y, x), "operator", "*"),
    Op("div",      2, operator.truediv,                 lambda out, x, y: (1.0 / y, -out / y), "operator", "/", expand=_x_div),
    Op("neg",      1, operator.neg,                     lambda out, x: (-1.0,), "operator", "-"),
    Op("id",       1, lambda x: x,                      lambda out, x: (1.0,), "operator", "="),
    Op("pow",      2, math.pow,                         _dpow, "function", "**"),
    Op("exp",      1, math.exp,                         lambda out, x: (out,)),
    Op("log",      1, math.log,                         lambda out, x: (1.0 / x,), domain="x > 0"),
    Op("sqrt",     1, math.sqrt,                        _dsqrt, domain="x >= 0", expand=_x_sqrt),
    Op("abs",      1, abs,                              lambda out, x: (_sign(x),), branch=_sign),
    Op("sin",      1, math.sin,                         lambda out, x: (math.cos(x),)),
    Op("cos",      1, math.cos,                         lambda out, x: (-math.sin(x),)),
    Op("tan",      1, math.tan,                         lambda out, x: (1.0 + out * out,), expand=_x_tan),
    Op("asin",     1, math.asin,                        _dasin, domain="-1 <= x <= 1"),
    Op("acos",     1, math.acos,                        _dacos, domain="-1 <= x <= 1"),
    Op("atan",     1, math.atan,                        lambda out, x: (1.0 / (1.0 + x * x),)),
    Op("sinh",     1, math.sinh,                        lambda out, x: (math.cosh(x),), expand=_x_sinh),
    Op("cosh",     1, math.cosh,                        lambda out, x: (math.sinh(x),), expand=_x_cosh),
    Op("tanh",     1, math.tanh,                        lambda out, x: (1.0 - out * out,), expand=_x_tanh),
    Op("sigmoid",  1, _sigmoid,                         lambda out, x: (out * (1.0 - out),), expand=_x_sigmoid),
    Op("relu",     1, lambda x: x if x > 0.0 else 0.0,  lambda out, x: (1.0 if x > 0.0 else 0.0,), branch=_sign),
    Op("softplus", 1, _softplus,                        lambda out, x: (_sigmoid(x),), expand=_x_softplus),
    Op("min",      2, lambda x, y: x if x <= y else y,  _dmin, branch=lambda x, y: _sign(x - y)),
    Op("max",      2, lambda x, y: x if x >= y else y,  _dmax, branch=lambda x, y: _sign(x - y)),
)  # fmt: skip

BY_NAME: dict[str, Op] = {op.name: op for op in OPS}
FUNCTIONS: dict[str, Op] = {op.name: op for op in OPS if op.syntax == "function"}

# Leaves are not computed, so they are not in OPS; they have an op name for the JSON.
INPUT = Op("input", 0, float, lambda out: (), "leaf")
CONST = Op("const", 0, float, lambda out: (), "leaf")

PRIMITIVES: tuple[Op, ...] = tuple(op for op in OPS if op.expand is None)

CONSTANTS: dict[str, float] = {"pi": math.pi, "tau": math.tau}


# -- what IEEE-754 gives where `math` raises (used only with --allow-nonfinite) --------


def ieee(op: Op, xs: tuple, exc: Exception) -> float:
    """The IEEE-754 result of `op` at `xs` where `op.forward` raised instead."""
    name = op.name
    if name == "div":
        x, y = xs
        return nan if x == 0.0 or x != x else math.copysign(inf, x) * math.copysign(1.0, y)
    if name == "log" and xs[0] == 0.0:
        return -inf
    if isinstance(exc, OverflowError):
        if name == "sinh":
            return math.copysign(inf, xs[0])
        if name == "pow":
            x, y = xs
            odd = y == int(y) and int(y) % 2 == 1 if math.isfinite(y) else False
            return -inf if x < 0.0 and odd else inf
        return inf
    if name == "pow" and xs[0] == 0.0:
        return inf  # 0 ** negative
    return nan
