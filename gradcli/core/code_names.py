"""Each op of the op table (core/ops.py) as `diff --to` writes it in another language.

A `Spelling` per op: a template over the operands' texts {0}, {1}, {2} per target ("" : the
op's own symbol, infix, as gradcli writes it: +, -, *, /, unary -), and the helper functions a
template calls where the language has no function computing exactly what gradcli computes
(python's `math` has no sech, sigmoid, relu, ...).  The helpers are core/floatmath.py's
definitions (python) and the op table's `array` forms (numpy), the same formulas: the same
doubles.  `raises`: python's form can raise (a `math` function, `/`): the python target calls
it through a helper that raises ValueError with gradcli's message.  tests/test_codegen_python.py
checks that every op has a spelling in every target.
"""

from __future__ import annotations

from typing import NamedTuple

from gradcli.core.ops import OPS, Op


class Spelling(NamedTuple):
    python: str
    numpy: str
    raises: bool = False
    python_helper: str = ""  # functions the python template calls (defined once, before them)
    numpy_helper: str = ""


TARGETS = ("gradcli", "python", "numpy")  # the languages `diff --to` writes (gradcli needs no spellings)

_PY_SECH = """def _sech(x):
    a = abs(x)
    return 1.0 / math.cosh(a) if a < 710.0 else 2.0 * math.exp(-a)
"""
_PY_SIGMOID = """def _sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)
"""
_PY_SOFTPLUS = """def _softplus(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))
"""
_PY_SIGN = """def _sign(x):
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else (x if x != x else 0.0))
"""
_PY_CBRT = """def _cbrt(x):
    a = abs(x)
    if a < 2.0**-900:
        return math.copysign(_cbrt(a * 2.0**300) * 2.0**-100, x) if a else x
    r = a ** (1.0 / 3.0)
    if r != math.inf:
        r -= (r * r * r - a) / (3.0 * r * r)
    return math.copysign(r, x)
"""
_PY_RELU = "def _relu(x):\n    return x if x > 0.0 else 0.0\n"
_PY_MIN = "def _min(x, y):\n    return x if x <= y else y\n"
_PY_MAX = "def _max(x, y):\n    return x if x >= y else y\n"
_NP_SECH = """def _sech(x):
    a = np.abs(x)
    return np.where(a < 710.0, 1.0 / np.cosh(np.minimum(a, 710.0)), 2.0 * np.exp(-a))
"""
_NP_SIGMOID = """def _sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))
"""
_NP_RELU = "def _relu(x):\n    return np.where(x > 0.0, x, 0.0)\n"
_NP_MIN = "def _min(x, y):\n    return np.where(x <= y, x, y)\n"
_NP_MAX = "def _max(x, y):\n    return np.where(x >= y, x, y)\n"
_NP_ERF = "def _erf(x):\n    return np.asarray(np.frompyfunc(math.erf, 1, 1)(x), dtype=float)\n"
_NP_ERFC = "def _erfc(x):\n    return np.asarray(np.frompyfunc(math.erfc, 1, 1)(x), dtype=float)\n"


def _math(name: str, numpy: str = "") -> Spelling:
    """A function of python's `math` (which raises where gradcli does) and numpy's ufunc."""
    args = "{0}, {1}" if name in ("atan2", "hypot", "pow") else "{0}"
    return Spelling(f"math.{name}({args})", f"np.{numpy or name}({args})", raises=True)


def _compare(symbol: str) -> Spelling:
    return Spelling(f"(1.0 if {{0}} {symbol} {{1}} else 0.0)", f"np.where({{0}} {symbol} {{1}}, 1.0, 0.0)")


_INFIX = Spelling("", "")

_BY_NAME: dict[str, Spelling] = {
    "add": _INFIX,
    "sub": _INFIX,
    "mul": _INFIX,
    "div": Spelling("{0} / {1}", "", raises=True),
    "neg": _INFIX,
    "id": _INFIX,
    "pow": _math("pow", "power"),
    "exp": _math("exp"),
    "log": _math("log"),
    "sqrt": _math("sqrt"),
    "abs": Spelling("abs({0})", "np.abs({0})"),
    "sin": _math("sin"),
    "cos": _math("cos"),
    "tan": _math("tan"),
    "asin": _math("asin", "arcsin"),
    "acos": _math("acos", "arccos"),
    "atan": _math("atan", "arctan"),
    "sinh": _math("sinh"),
    "cosh": _math("cosh"),
    "sech": Spelling("_sech({0})", "_sech({0})", python_helper=_PY_SECH, numpy_helper=_NP_SECH),
    "tanh": _math("tanh"),
    "sigmoid": Spelling("_sigmoid({0})", "_sigmoid({0})", python_helper=_PY_SIGMOID, numpy_helper=_NP_SIGMOID),
    "relu": Spelling("_relu({0})", "_relu({0})", python_helper=_PY_RELU, numpy_helper=_NP_RELU),
    "softplus": Spelling("_softplus({0})", "np.logaddexp(0.0, {0})", python_helper=_PY_SOFTPLUS),
    "min": Spelling("_min({0}, {1})", "_min({0}, {1})", python_helper=_PY_MIN, numpy_helper=_NP_MIN),
    "max": Spelling("_max({0}, {1})", "_max({0}, {1})", python_helper=_PY_MAX, numpy_helper=_NP_MAX),
    "erf": Spelling("math.erf({0})", "_erf({0})", raises=True, numpy_helper=_NP_ERF),
    "erfc": Spelling("math.erfc({0})", "_erfc({0})", raises=True, numpy_helper=_NP_ERFC),
    "log10": _math("log10"),
    "log2": _math("log2"),
    "log1p": _math("log1p"),
    "expm1": _math("expm1"),
    "atan2": _math("atan2", "arctan2"),
    "hypot": _math("hypot"),
    "cbrt": Spelling("_cbrt({0})", "np.cbrt({0})", python_helper=_PY_CBRT),
    "floor": Spelling("float(math.floor({0}))", "np.floor({0})", raises=True),
    "ceil": Spelling("float(math.ceil({0}))", "np.ceil({0})", raises=True),
    "round": Spelling("float(round({0}))", "np.round({0})", raises=True),
    "sign": Spelling("_sign({0})", "np.sign({0})", python_helper=_PY_SIGN),
    "lt": _compare("<"),
    "le": _compare("<="),
    "gt": _compare(">"),
    "ge": _compare(">="),
    "eq": _compare("=="),
    "ne": _compare("!="),
    "where": Spelling("({1} if {0} else {2})", "np.where({0} != 0.0, {1}, {2})"),
}

SPELLINGS: dict[Op, Spelling] = {op: _BY_NAME[op.name] for op in OPS if op.name in _BY_NAME}


def spelling(op: Op) -> Spelling:
    """op's spellings (an op given another derivative rule, ops.with_rule, is spelled as its own)."""
    return SPELLINGS.get(op) or _BY_NAME[op.name]
