"""THE op table: every operation's forward rule and derivative rule, side by side.

Each entry is an `Op`.  `forward(*xs)` computes the value on floats (with `math`: fast, and
it raises where the op is undefined).  `vjp(g, out, *xs, P=F)` is the derivative rule in
vector-Jacobian form, as HIPS autograd's `defvjp(exp, lambda ans, x: lambda g: ans * g)`:
given the upstream gradient g and the already computed `out`, it returns each operand's
contribution g * d out / d x_i.  It is written once, with Python's arithmetic operators and
the functions of `P`, a namespace holding every op of this table by name (`P.cos`,
`P.where`, `P.gt`), so the same rule runs with several interpreters:

    F        floats (the fast first-order sweep; the default)
    SAFE     floats with IEEE-754 results where `math` raises (inf, nan), the sweep's fallback
    numpy    arrays of many points (gradcli.analysis.batch)
    nodes    graph nodes, so a derivative is itself a graph (gradcli.core.transform: diff, hessian)

Piecewise rules use `P.where(cond, a, b)`, never a Python `if`, so they hold for arrays and
graphs too.  Conventions at kinks follow PyTorch: relu'(0) = 0, abs'(0) = 0, min/max ties
split evenly, pow's exponent derivative is 0 at x = 0 for y >= 0.  Rules compute g / x rather
than g * (1/x), so tiny derivatives (dy/dx = 1e300 at x = 1e-310) keep their digits.

Adding a function is one entry here plus a sample point in tests/test_ops.py.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import NamedTuple

from gradcli.core import _float_rules
from gradcli.core.floatmath import cbrt as _cbrt
from gradcli.core.floatmath import div_failure as _div_failure
from gradcli.core.floatmath import ieee_div as _ieee_div
from gradcli.core.floatmath import ieee_log as _ieee_log
from gradcli.core.floatmath import ieee_log1p as _ieee_log1p
from gradcli.core.floatmath import ieee_odd as _ieee_odd
from gradcli.core.floatmath import ieee_pow as _ieee_pow
from gradcli.core.floatmath import overflow_or_nan as _overflow_or_nan
from gradcli.core.floatmath import pow_failure as _pow_failure
from gradcli.core.floatmath import rounded as _round
from gradcli.core.floatmath import sech as _sech
from gradcli.core.floatmath import sigmoid as _sigmoid
from gradcli.core.floatmath import sign as _sign
from gradcli.core.floatmath import softplus as _softplus
from gradcli.core.vjp_rules import gauss as _gauss
from gradcli.core.vjp_rules import one_minus_square as _one_minus_square
from gradcli.core.vjp_rules import vjp_atan as _vjp_atan
from gradcli.core.vjp_rules import vjp_atan2 as _vjp_atan2
from gradcli.core.vjp_rules import vjp_hypot as _vjp_hypot
from gradcli.core.vjp_rules import vjp_max as _vjp_max
from gradcli.core.vjp_rules import vjp_min as _vjp_min
from gradcli.core.vjp_rules import vjp_pow as _vjp_pow

inf = math.inf
nan = math.nan
_ARITH = (ArithmeticError, ValueError)  # what `math` raises: domain, overflow, zero division


class Op(NamedTuple):
    name: str
    arity: int
    forward: Callable[..., float]
    vjp: Callable[..., tuple]
    syntax: str = "function"  # "function": called by name; "operator": only via its symbol
    symbol: str = ""  # infix/prefix symbol for display ("+", "*", "-", "**", "<")
    precedence: int = 9  # binding power of an operator, for printing: 9 for a call or atom
    shown: str = ""  # the symbol between two numbers in explain's arithmetic ("2 × -3"); "" : a call
    # Piecewise ops: which piece the operands are on, 0 exactly at a switch point (any other
    # hashable value names a piece).  `gradcli check` uses it to find kinks.
    branch: Callable[..., object] | None = None
    domain: str = ""  # where the forward rule is defined, for error messages ("x > 0")
    # Composite ops: the same function written with simpler ops (`--expand`).  Called as
    # expand(P, *operands) where P.add(a, b), P.exp(a), ..., P.c(2.0) build nodes.
    expand: Callable[..., object] | None = None
    exact: bool = False  # the result is one of the operands or a sign flip: no rounding
    ieee: Callable[[tuple, Exception], float] = _overflow_or_nan  # IEEE-754 result where forward raised
    array: Callable[..., object] | None = None  # forward on numpy arrays, as array(np, *xs); None: np.<name>
    failure: Callable[[tuple, Exception], str | None] | None = None  # why forward failed, in words
    floats: Callable[..., tuple] | None = None  # vjp compiled for floats (set below the namespaces)
    # Algebraic identities for the derivative transform (x*1 = x, x+0 = x, --x = x): simplify(P,
    # *operands) returns an equal node without building one, or None (gradcli.core.transform).
    simplify: Callable[..., object] | None = None
    commutative: bool = False  # op(x, y) == op(y, x) to the bit (IEEE's + and *): one node for both

    def local(self, out: float, *xs: float) -> tuple:
        """The local partial derivatives d out / d x_i (the vjp of an upstream 1)."""
        return vjp_floats(self, 1.0, out, xs)


class Namespace:
    """`P` of the rules: one attribute per op, the op applied by some interpreter."""

    def __init__(self, make: Callable[[Op], Callable]) -> None:
        for op in OPS:
            setattr(self, op.name, make(op))


def _step_branch(f: Callable[[float], float], at: Callable[[float], bool]):
    """Pieces of a step function: 0 exactly at a jump, else a value naming the step."""
    return lambda x: 0 if at(x) else f(x) + 0.5


def _where(c, a, b):
    return a if c else b


# -- composite ops, broken down (the seed: "implement tanh as an operation, or really
# break it down") -- each rule may use other composites; expansion repeats until only
# primitives remain.


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


def _x_sech(P, x):
    return P.div(P.c(2.0), P.add(P.exp(x), P.exp(P.neg(x))))  # 2 / (e^x + e^-x)


def _x_tanh(P, x):
    e2x = P.exp(P.mul(P.c(2.0), x))  # (e^2x - 1) / (e^2x + 1), as in micrograd's lecture
    return P.div(P.sub(e2x, P.c(1.0)), P.add(e2x, P.c(1.0)))


def _x_sigmoid(P, x):
    return P.div(P.c(1.0), P.add(P.c(1.0), P.exp(P.neg(x))))  # 1 / (1 + e^-x)


def _x_softplus(P, x):
    return P.log(P.add(P.c(1.0), P.exp(x)))  # log(1 + e^x)


def _x_log_base(base: float):
    return lambda P, x: P.div(P.log(x), P.c(math.log(base)))  # log_b x = ln x / ln b


def _x_log1p(P, x):
    return P.log(P.add(P.c(1.0), x))


def _x_expm1(P, x):
    return P.sub(P.exp(x), P.c(1.0))


def _x_hypot(P, x, y):
    return P.sqrt(P.add(P.mul(x, x), P.mul(y, y)))


def _compare(fn):
    return lambda x, y: 1.0 if fn(x, y) else 0.0


# -- algebraic identities: what the derivative transform's builder need not build -----------
# Operands are nodes; a rule returns an equal node (an operand, a constant P.const(v), or one
# built with P: `.node` unwraps P's result), or None to build the op as it is.


def _is(node, value: float) -> bool:
    return node.op is CONST and node.data == value


def _is_neg(node) -> bool:
    return node.op.name == "neg"


def _below_zero(node) -> bool:
    return node.op is CONST and node.data < 0.0  # a negative number (not -0.0, not NaN)


def _flipped(P, node):
    """-node as a node: the operand of a neg, or a negative number's absolute value."""
    return node.a if _is_neg(node) else P.const(-node.data)


def _s_add(P, x, y):
    if _is(x, 0.0) or _is(y, 0.0):
        return y if _is(x, 0.0) else x
    if x is y:  # a + a = 2*a (exactly, overflow included: both round the real 2a once)
        return P.mul(2.0, x).node
    if _is_neg(y) or _below_zero(y):  # a + -b = a - b (exactly: IEEE's sum and difference agree)
        return P.sub(x, _flipped(P, y)).node
    if _is_neg(x) or _below_zero(x):
        return P.sub(y, _flipped(P, x)).node
    return None


def _s_sub(P, x, y):
    if _is(y, 0.0):
        return x
    if _is_neg(y) or _below_zero(y):  # a - -b = a + b
        return P.add(x, _flipped(P, y)).node
    return P.neg(y).node if _is(x, 0.0) else None


def _s_mul(P, x, y):
    if _is(x, 0.0) or _is(y, 0.0):
        return P.const(0.0)
    if _is(x, 1.0) or _is(y, 1.0):
        return y if _is(x, 1.0) else x
    if _is(x, -1.0) or _is(y, -1.0):
        return P.neg(y if _is(x, -1.0) else x).node
    # -a*b = -(a*b) (exactly: rounding is symmetric), so that sums read a - b, never a - -2*b
    if _is_neg(x) or _below_zero(x):
        return P.neg(P.mul(_flipped(P, x), y)).node
    if _is_neg(y) or _below_zero(y):
        return P.neg(P.mul(x, _flipped(P, y))).node
    return _fold_scale(P, x, y) or _fold_scale(P, y, x)


def _fold_scale(P, c, m):
    # (p*a)*c = (p*c)*a for p = 2^k >= 1, |c| >= 1: p*a is exact; both round p*c*a once or both overflow
    if c.op is CONST and abs(c.data) >= 1.0 and m.op.name == "mul":
        for p, a in (m.args, m.args[::-1]):
            if p.op is CONST and p.data >= 1.0 and math.frexp(p.data)[0] == 0.5 and math.isfinite(p.data * c.data):
                return P.mul(p.data * c.data, a).node
    return None


def _s_div(P, x, y):
    if _is(y, 1.0) or _is(x, 0.0):
        return x if _is(y, 1.0) else P.const(0.0)
    if _is_neg(x) or _below_zero(x):  # -a/b = -(a/b), as for products
        return P.neg(P.div(_flipped(P, x), y)).node
    if _is_neg(y) or _below_zero(y):
        return P.neg(P.div(x, _flipped(P, y))).node
    return None


def _s_pow(P, x, y):
    return x if _is(y, 1.0) else (P.const(1.0) if _is(y, 0.0) else None)


def _s_neg(P, x):
    return x.a if _is_neg(x) else None


def _s_where(P, c, a, b):
    if c.op is CONST or a is b:
        return a if c.data else b
    if _is(a, 1.0) and _is(b, 0.0) and c.op.precedence == 2:
        return c  # a comparison is already 1 or 0
    return None


_NO_GRAD2 = lambda g, out, x, y, P: (0.0, 0.0)  # noqa: E731 - comparisons: zero almost everywhere
_NO_GRAD1 = lambda g, out, x, P: (0.0,)  # noqa: E731 - steps: zero almost everywhere
_SIGN_BRANCH = lambda x, y: _sign(x - y)  # noqa: E731 - which side of x = y

TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
LN2, LN10 = math.log(2.0), math.log(10.0)

# -- the table --------------------------------------------------------------------------
#   name, arity, forward,  vjp (g, out, *xs, P) -> contributions,  then what else it needs

OPS: tuple[Op, ...] = (
    Op("add",      2, operator.add,     lambda g, out, x, y, P: (g, g), "operator", "+", 4, shown="+", simplify=_s_add,
       commutative=True),
    Op("sub",      2, operator.sub,     lambda g, out, x, y, P: (g, -g), "operator", "-", 4, expand=_x_sub, shown="-",
       simplify=_s_sub),
    Op("mul",      2, operator.mul,     lambda g, out, x, y, P: (g * y, g * x), "operator", "*", 5, shown="×", simplify=_s_mul,
       commutative=True),
    Op("div",      2, operator.truediv, lambda g, out, x, y, P: (g / y, -g * (out / y)), "operator", "/", 5, expand=_x_div, ieee=_ieee_div, shown="/",
       failure=_div_failure, simplify=_s_div),
    Op("neg",      1, operator.neg,     lambda g, out, x, P: (-g,), "operator", "-", 6, exact=True, simplify=_s_neg),
    Op("id",       1, lambda x: x,      lambda g, out, x, P: (g,), "operator", "=", exact=True,
       array=lambda np, x: x),
    Op("pow",      2, math.pow,         _vjp_pow, "function", "**", 7, ieee=_ieee_pow, shown="^", failure=_pow_failure,
       array=lambda np, x, y: np.power(x, y), simplify=_s_pow),
    Op("exp",      1, math.exp,         lambda g, out, x, P: (g * out,)),
    Op("log",      1, math.log,         lambda g, out, x, P: (g / x,), domain="x > 0", ieee=_ieee_log),
    Op("sqrt",     1, math.sqrt,        lambda g, out, x, P: (g / (2.0 * out),), domain="x >= 0", expand=_x_sqrt),
    Op("abs",      1, abs,              lambda g, out, x, P: (g * P.sign(x),), branch=_sign, exact=True),
    Op("sin",      1, math.sin,         lambda g, out, x, P: (g * P.cos(x),)),
    Op("cos",      1, math.cos,         lambda g, out, x, P: (-g * P.sin(x),)),
    Op("tan",      1, math.tan,         lambda g, out, x, P: (g * (1.0 + out * out),), expand=_x_tan),
    Op("asin",     1, math.asin,        lambda g, out, x, P: (g / P.sqrt(_one_minus_square(P, x)),), domain="-1 <= x <= 1",
       array=lambda np, x: np.arcsin(x)),
    Op("acos",     1, math.acos,        lambda g, out, x, P: (-g / P.sqrt(_one_minus_square(P, x)),), domain="-1 <= x <= 1",
       array=lambda np, x: np.arccos(x)),
    Op("atan",     1, math.atan,        _vjp_atan,
       array=lambda np, x: np.arctan(x)),
    Op("sinh",     1, math.sinh,        lambda g, out, x, P: (g * P.cosh(x),), expand=_x_sinh, ieee=_ieee_odd),
    Op("cosh",     1, math.cosh,        lambda g, out, x, P: (g * P.sinh(x),), expand=_x_cosh),
    # sech = 1/cosh without cosh's overflow: sech(400) = 3.8e-174, though cosh(400)^2 overflows.
    Op("sech",     1, _sech,            lambda g, out, x, P: (-g * out * P.tanh(x),), expand=_x_sech,
       array=lambda np, x: np_sech(np, x)),
    # tanh' = sech^2, not 1 - tanh^2, which is 0 once tanh rounds to 1 (x >= 19), nor 1/cosh^2,
    # whose square overflows past x = 355.
    Op("tanh",     1, math.tanh,        lambda g, out, x, P: (g * P.sech(x) ** 2,), expand=_x_tanh),
    # sigmoid' = sech(x/2)^2 / 4, not s (1 - s), which is 0 once s rounds to 1 (x >= 37), nor
    # s(x) s(-x), whose own derivative cancels near 0 (s''(1e-10) lost 8 digits).
    Op("sigmoid",  1, _sigmoid,         lambda g, out, x, P: (g * 0.25 * P.sech(0.5 * x) ** 2,), expand=_x_sigmoid,
       array=lambda np, x: np_sigmoid(np, x)),
    Op("relu",     1, lambda x: x if x > 0.0 else 0.0,
                                        lambda g, out, x, P: (P.where(P.gt(x, 0.0), g, 0.0),), branch=_sign, exact=True,
       array=lambda np, x: np.maximum(x, 0.0)),
    Op("softplus", 1, _softplus,        lambda g, out, x, P: (g * P.sigmoid(x),), expand=_x_softplus,
       array=lambda np, x: np.logaddexp(0.0, x)),
    Op("min",      2, lambda x, y: x if x <= y else y, _vjp_min, branch=_SIGN_BRANCH, exact=True,
       array=lambda np, x, y: np.minimum(x, y)),
    Op("max",      2, lambda x, y: x if x >= y else y, _vjp_max, branch=_SIGN_BRANCH, exact=True,
       array=lambda np, x, y: np.maximum(x, y)),
    Op("erf",      1, math.erf,         lambda g, out, x, P: (g * TWO_OVER_SQRT_PI * _gauss(P, x),),
       array=lambda np, x: _np_erf(np, x, math.erf)),
    Op("erfc",     1, math.erfc,        lambda g, out, x, P: (-g * TWO_OVER_SQRT_PI * _gauss(P, x),),
       array=lambda np, x: _np_erf(np, x, math.erfc)),
    Op("log10",    1, math.log10,       lambda g, out, x, P: (g / (x * LN10),), domain="x > 0", ieee=_ieee_log,
       expand=_x_log_base(10.0)),
    Op("log2",     1, math.log2,        lambda g, out, x, P: (g / (x * LN2),), domain="x > 0", ieee=_ieee_log,
       expand=_x_log_base(2.0)),
    Op("log1p",    1, math.log1p,       lambda g, out, x, P: (g / (1.0 + x),), domain="x > -1", ieee=_ieee_log1p,
       expand=_x_log1p),
    Op("expm1",    1, math.expm1,       lambda g, out, x, P: (g * P.exp(x),), expand=_x_expm1),
    Op("atan2",    2, math.atan2,       _vjp_atan2, array=lambda np, y, x: np.arctan2(y, x)),
    Op("hypot",    2, math.hypot,       _vjp_hypot, expand=_x_hypot),
    # cbrt' = 1 / (3 cbrt(x)^2): infinite at 0, as d/dx x^(1/3).
    Op("cbrt",     1, _cbrt,            lambda g, out, x, P: (g / (3.0 * out * out),)),
    Op("floor",    1, lambda x: float(math.floor(x)), _NO_GRAD1, branch=_step_branch(math.floor, lambda x: x == math.floor(x)),
       exact=True),
    Op("ceil",     1, lambda x: float(math.ceil(x)), _NO_GRAD1, branch=_step_branch(math.ceil, lambda x: x == math.ceil(x)),
       exact=True),
    Op("round",    1, _round,           _NO_GRAD1, branch=_step_branch(_round, lambda x: x - math.floor(x) == 0.5),
       exact=True, array=lambda np, x: np.round(x)),
    Op("sign",     1, _sign,            _NO_GRAD1, branch=_sign, exact=True),
    Op("lt",       2, _compare(operator.lt), _NO_GRAD2, "operator", "<", 2, branch=_SIGN_BRANCH, exact=True, shown="<",
       array=lambda np, x, y: (x < y).astype(float)),
    Op("le",       2, _compare(operator.le), _NO_GRAD2, "operator", "<=", 2, branch=_SIGN_BRANCH, exact=True, shown="<=",
       array=lambda np, x, y: (x <= y).astype(float)),
    Op("gt",       2, _compare(operator.gt), _NO_GRAD2, "operator", ">", 2, branch=_SIGN_BRANCH, exact=True, shown=">",
       array=lambda np, x, y: (x > y).astype(float)),
    Op("ge",       2, _compare(operator.ge), _NO_GRAD2, "operator", ">=", 2, branch=_SIGN_BRANCH, exact=True, shown=">=",
       array=lambda np, x, y: (x >= y).astype(float)),
    Op("eq",       2, _compare(operator.eq), _NO_GRAD2, "operator", "==", 2, branch=_SIGN_BRANCH, exact=True, shown="==",
       array=lambda np, x, y: (x == y).astype(float)),
    Op("ne",       2, _compare(operator.ne), _NO_GRAD2, "operator", "!=", 2, branch=_SIGN_BRANCH, exact=True, shown="!=",
       array=lambda np, x, y: (x != y).astype(float)),
    # where(c, a, b): a where c is nonzero, else b.  Both branches are computed (as numpy's).
    Op("where",    3, _where,           lambda g, out, c, a, b, P: (0.0, P.where(c, g, 0.0), P.where(c, 0.0, g)),
       exact=True, array=lambda np, c, a, b: np.where(c != 0.0, a, b), simplify=_s_where),
)  # fmt: skip


def np_sigmoid(np, x):
    z = np.exp(-np.abs(x))  # as floatmath.sigmoid: e^-|x| never overflows (exp(-logaddexp) lost |x| ulps)
    return np.where(x >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))


def np_sech(np, x):
    a = np.abs(x)  # as floatmath.sech; cosh's argument held below its overflow in the branch not taken
    return np.where(a < 710.0, 1.0 / np.cosh(np.minimum(a, 710.0)), 2.0 * np.exp(-a))


def _np_erf(np, x, fn):
    # numpy has no erf: math's, elementwise (correct to the last bit; slower than a ufunc).
    return np.frompyfunc(fn, 1, 1)(x).astype(float)


CONSTANTS: dict[str, float] = {"pi": math.pi, "tau": math.tau}


# -- the float namespaces of the rules ----------------------------------------------------


def _safe(op: Op) -> Callable:
    """op's forward on floats, with the IEEE result where `math` raises."""
    forward, ieee = op.forward, op.ieee

    def safe(*xs):
        try:
            return forward(*xs)
        except _ARITH as exc:
            return ieee(xs, exc)

    return safe


def _float_forward(op: Op) -> Callable:
    if op.name == "where":
        return _where  # a condition as a bool, as P.gt gives it below
    if op.name in ("lt", "le", "gt", "ge", "eq", "ne"):
        return getattr(operator, op.name)  # a bool: True * g is g
    return op.forward


F = Namespace(_float_forward)  # fast: `math`, which raises where IEEE would give inf or NaN
SAFE = Namespace(lambda op: _float_forward(op) if op.name == "where" or op.exact else _safe(op))


# Each op's rule compiled for floats (tools/gen_float_rules.py writes _float_rules.py from
# the rules above), for the fast float sweep: op.floats(g, out, *xs) == op.vjp(g, out, *xs, F).
def _as_is(vjp: Callable[..., tuple]) -> Callable[..., tuple]:
    return lambda *xs: vjp(*xs, F)  # a rule run as written, with F (one the generator left out)


_compiled = _float_rules.make(F)
OPS = tuple(op._replace(floats=_compiled.get(op.name) or _as_is(op.vjp)) for op in OPS)


def with_rule(op: Op, vjp: Callable[..., tuple]) -> Op:
    """op with another derivative rule, which its float form follows (uncompiled)."""
    return op._replace(vjp=vjp, floats=_as_is(vjp))


BY_NAME: dict[str, Op] = {op.name: op for op in OPS}
FUNCTIONS: dict[str, Op] = {op.name: op for op in OPS if op.syntax == "function"}
ALIASES: dict[str, str] = {"ln": "log"}  # another name for a function
FUNCTIONS.update({alias: BY_NAME[name] for alias, name in ALIASES.items()})

# Leaves are not computed, so they are not in OPS; they have an op name for the JSON.
INPUT = Op("input", 0, float, lambda g, out, P: (), "leaf", exact=True)
CONST = Op("const", 0, float, lambda g, out, P: (), "leaf", exact=True)

PRIMITIVES: tuple[Op, ...] = tuple(op for op in OPS if op.expand is None)

# The array functions (gradcli.build.array_functions lowers them to the ops above) and their
# numbers of arguments; min and max with one argument reduce (with two they are the elementwise
# min and max above).  `sum(W, 0)`: an axis.  `@` (the grammar's matmul) is the matrix product.
ARRAY_FUNCTIONS: dict[str, tuple[int, ...]] = {
    "sum": (1, 2),
    "mean": (1, 2),
    "prod": (1, 2),
    "norm": (1,),
    "dot": (2,),
    "transpose": (1,),
    "len": (1,),
    "softmax": (1, 2),
    "logsumexp": (1, 2),
    "min": (1,),
    "max": (1,),
}
MATMUL = "matmul"  # the equation `A @ B` emits (an array operation, lowered to mul and add)


class IEEEFloat(float):
    """A float whose arithmetic never raises: x / 0 and overflowing ** give IEEE's inf/NaN.

    The sweep's fallback runs a rule on these (with SAFE functions) where plain floats raised."""

    def __truediv__(self, other):
        return _ieee_binary(BY_NAME["div"], self, other)

    def __rtruediv__(self, other):
        return _ieee_binary(BY_NAME["div"], other, self)

    def __pow__(self, other):
        return _ieee_binary(BY_NAME["pow"], self, other)

    def __rpow__(self, other):
        return _ieee_binary(BY_NAME["pow"], other, self)


def _ieee_binary(op: Op, x, y) -> IEEEFloat:
    try:
        return IEEEFloat(op.forward(float(x), float(y)))
    except _ARITH as exc:
        return IEEEFloat(op.ieee((float(x), float(y)), exc))


def _keep_ieee(name: str):
    method = getattr(float, name)
    return lambda self, *other: IEEEFloat(method(self, *other))


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__neg__", "__pos__"):
    setattr(IEEEFloat, _name, _keep_ieee(_name))
del _name


def vjp_floats(op: Op, g: float, out: float, xs: tuple) -> tuple:
    """op's rule on floats: fast, or where that raises, with IEEE results (inf, NaN)."""
    try:
        return op.vjp(g, out, *xs, F)
    except _ARITH:
        pass
    try:
        wrapped = [IEEEFloat(x) for x in xs]
        return tuple(float(v) for v in op.vjp(IEEEFloat(g), IEEEFloat(out), *wrapped, SAFE))
    except _ARITH:  # pragma: no cover - a rule outside what IEEEFloat covers
        return (nan,) * len(xs)
