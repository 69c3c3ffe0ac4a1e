"""Each op of the op table (core/ops.py) as `diff --to` writes it in another language.

A `Spelling` per op: a template over the operands' texts {0}, {1}, {2} per target ("" : the
op's own symbol, infix, as gradcli writes it: +, -, *, /, unary -), and the helper functions a
template calls where the language has no function computing exactly what gradcli computes
(python's `math` has no sech, sigmoid, relu, ...); C's helpers are static functions gc_NAME (hypot:
CPython's algorithm, not libm's; pow through a volatile exponent so that no compiler rewrites
pow(x, 2.0) as x*x, an ulp from libm's pow); javascript's are functions gc_NAME too
(core/code_js_helpers.py: erf and erfc ported from fdlibm, CPython's hypot, round half to even).
Where gradcli has the helper as a function (core/floatmath.py's, core/ops.py's np_NAME array
forms), the helper is that function's own
definition, printed: the same formulas, the same doubles.  `raises`: python's form can raise
(a `math` function, `/`): the python target calls it through a helper that raises ValueError
with gradcli's message.  tests/test_codegen_python.py checks that every op has a spelling in
every target.
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Callable
from typing import NamedTuple

from gradcli.core import code_js_helpers as js
from gradcli.core import floatmath
from gradcli.core.errors import UsageError
from gradcli.core.ops import BY_NAME, OPS, Op, np_sech, np_sigmoid


class Spelling(NamedTuple):
    python: str
    numpy: str
    raises: bool = False
    python_def: str | Callable = ""  # the functions the python template calls: their text, or the one it prints
    numpy_def: str | Callable = ""
    c: str = ""  # C99 with math.h ("": infix, as python)
    c_helper: str = ""  # static inline functions the C template calls
    javascript: str = ""  # ES module, Math only ("": infix, as python)
    js_helper: str = ""  # functions gc_NAME the javascript template calls (core/code_js_helpers.py)

    @property
    def python_helper(self) -> str:
        """The functions the python template calls (defined once, before them)."""
        return _definition(self.python_def)

    @property
    def numpy_helper(self) -> str:
        return _definition(self.numpy_def)


def _definition(helper: str | Callable) -> str:
    """A helper's text: as given, or a function's own definition (floatmath's, ops.np_NAME) renamed
    _NAME, without annotations, comments or numpy's `np` parameter (the module imports np)."""
    if isinstance(helper, str):
        return helper
    name = "_" + helper.__name__.removeprefix("np_")
    params = [p for p in inspect.signature(helper).parameters if p != "np"]
    lines = [f"def {name}({', '.join(params)}):"]
    for line in inspect.getsource(helper).splitlines()[1:]:
        if not line.lstrip().startswith("#"):
            lines.append(re.sub(rf"\b{helper.__name__}\(", f"{name}(", re.sub(r"\s+#.*$", "", line)))
    return "\n".join(lines) + "\n"


# the languages `diff --to` writes (gradcli needs no spellings)
TARGETS = ("gradcli", "python", "numpy", "c", "javascript", "latex")


def check_target(to: str) -> None:
    """UsageError (exit 2, listing the targets) for a --to that is not one."""
    if to not in TARGETS:
        close = {"js": "javascript", "tex": "latex", "py": "python", "np": "numpy"}.get(to.lower())
        close = close or next(iter(difflib.get_close_matches(to.lower(), TARGETS, n=1, cutoff=0.6)), None)
        hint = f"did you mean '{close}'?" if close else None
        raise UsageError(f"--to {to}: not a target (targets: {', '.join(TARGETS)})", hint=hint)


_PY_RELU = "def _relu(x):\n    return x if x > 0.0 else 0.0\n"
_PY_MIN = "def _min(x, y):\n    return x if x <= y else y\n"
_PY_MAX = "def _max(x, y):\n    return x if x >= y else y\n"
_C_SECH = """static inline double gc_sech(double x) {
    double a = fabs(x);
    return a < 710.0 ? 1.0 / cosh(a) : 2.0 * exp(-a);
}
"""
_C_SIGMOID = """static inline double gc_sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double z = exp(x);
    return z / (1.0 + z);
}
"""
_C_SOFTPLUS = """static inline double gc_softplus(double x) {
    return (0.0 > x ? 0.0 : x) + log1p(exp(-fabs(x)));
}
"""
_C_SIGN = """static inline double gc_sign(double x) {
    return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : (x != x ? x : 0.0));
}
"""
_C_CBRT = """static double gc_cbrt(double x) {
    double a = fabs(x);
    if (a < 0x1p-900) return a != 0.0 ? copysign(gc_cbrt(a * 0x1p300) * 0x1p-100, x) : x;
    double r = pow(a, 1.0 / 3.0);
    if (r != HUGE_VAL) r -= (r * r * r - a) / (3.0 * r * r);
    return copysign(r, x);
}
"""
_C_POW = """static double gc_pow(double x, double y) {
    volatile double e = y; /* libm's pow, as gradcli: a compiler would write pow(x, 2.0) as x*x (1 ulp apart) */
    return pow(x, e);
}
"""
_C_HYPOT = """static double gc_hypot(double x, double y) {
    /* math.hypot as CPython computes it (3.11+, correctly rounded in practice), not libm's */
    double ax = fabs(x), ay = fabs(y), m = ax > ay ? ax : ay, v[3], csum = 1.0, f1 = 0.0, f2 = 0.0, h = 0.0, s;
    int e, i;
    if (isinf(ax) || isinf(ay)) return HUGE_VAL;
    if (ax != ax || ay != ay) return NAN;
    if (m == 0.0) return m;
    frexp(m, &e);
    if (e < -1023) return 0x1p-1022 * gc_hypot(ax / 0x1p-1022, ay / 0x1p-1022);
    s = ldexp(1.0, -e);
    v[0] = ax * s;
    v[1] = ay * s;
    for (i = 0; i < 3; i++) { /* csum + f1 + f2 += a*b, exactly: the squares, then -h*h */
        double a = i < 2 ? v[i] : -h, b = i < 2 ? v[i] : h, ta = a * 134217729.0, tb = b * 134217729.0;
        double ah = ta - (ta - a), al = a - ah, bh = tb - (tb - b), bl = b - bh;
        double p = ah * bh, q = ah * bl + al * bh, z = p + q, zz = p - z + q + al * bl, hi = csum + z;
        f2 += (csum - hi) + z;
        f1 += zz;
        csum = hi;
        if (i == 1) h = sqrt(csum - 1.0 + (f1 + f2));
    }
    return (h + (csum - 1.0 + (f1 + f2)) / (2.0 * h)) / s;
}
"""
_C_RELU = "static inline double gc_relu(double x) {\n    return x > 0.0 ? x : 0.0;\n}\n"
_C_MIN = "static inline double gc_min(double x, double y) {\n    return x <= y ? x : y;\n}\n"
_C_MAX = "static inline double gc_max(double x, double y) {\n    return x >= y ? x : y;\n}\n"
_NP_RELU = "def _relu(x):\n    return np.where(x > 0.0, x, 0.0)\n"
_NP_MIN = "def _min(x, y):\n    return np.where(x <= y, x, y)\n"
_NP_MAX = "def _max(x, y):\n    return np.where(x >= y, x, y)\n"
_NP_ERF = "def _erf(x):\n    return np.asarray(np.frompyfunc(math.erf, 1, 1)(x), dtype=float)\n"
_NP_ERFC = "def _erfc(x):\n    return np.asarray(np.frompyfunc(math.erfc, 1, 1)(x), dtype=float)\n"


def _math(name: str, numpy: str = "") -> Spelling:
    """A function of python's `math` (which raises where gradcli does) and numpy's ufunc."""
    args = _args(name)
    return Spelling(
        f"math.{name}({args})",
        f"np.{numpy or name}({args})",
        raises=True,
        c=f"{name}({args})",
        javascript=f"Math.{name}({args})",
    )


def _args(name: str) -> str:
    """The template's operands, {0}, {1}, ..., as many as the op table gives the op."""
    return ", ".join(f"{{{i}}}" for i in range(BY_NAME[name].arity))


def _compare(symbol: str) -> Spelling:
    return Spelling(
        f"(1.0 if {{0}} {symbol} {{1}} else 0.0)",
        f"np.where({{0}} {symbol} {{1}}, 1.0, 0.0)",
        c=f"({{0}} {symbol} {{1}} ? 1.0 : 0.0)",
        javascript=f"({{0}} {symbol + '=' if symbol in ('==', '!=') else symbol} {{1}} ? 1.0 : 0.0)",
    )


def _helper(
    name: str, python: str, numpy: str, python_def: str | Callable, numpy_def: str | Callable, c_helper: str
) -> Spelling:
    """An op computed by a helper function in python (and numpy where given), in C and in
    javascript (gc_NAME, the javascript helper code_js_helpers.JS_NAME)."""
    call = f"gc_{name}({_args(name)})"
    return Spelling(
        python, numpy, False, python_def, numpy_def, call, c_helper, call, getattr(js, f"JS_{name.upper()}")
    )


def _js(name: str, helper: str) -> dict:
    """The javascript spelling of an op computed by the helper gc_NAME."""
    return {"javascript": f"gc_{name}({_args(name)})", "js_helper": helper}


_INFIX = Spelling("", "")

_BY_NAME: dict[str, Spelling] = {
    "add": _INFIX,
    "sub": _INFIX,
    "mul": _INFIX,
    "div": Spelling("{0} / {1}", "", raises=True),  # C and javascript: infix, IEEE's quotient
    "neg": _INFIX,
    "id": _INFIX,
    "pow": _math("pow", "power")._replace(c="gc_pow({0}, {1})", c_helper=_C_POW),  # javascript: Math.pow
    "exp": _math("exp"),
    "log": _math("log"),
    "sqrt": _math("sqrt"),
    "abs": Spelling("abs({0})", "np.abs({0})", c="fabs({0})", javascript="Math.abs({0})"),
    "sin": _math("sin"),
    "cos": _math("cos"),
    "tan": _math("tan"),
    "asin": _math("asin", "arcsin"),
    "acos": _math("acos", "arccos"),
    "atan": _math("atan", "arctan"),
    "sinh": _math("sinh"),
    "cosh": _math("cosh"),
    "sech": _helper("sech", "_sech({0})", "_sech({0})", floatmath.sech, np_sech, _C_SECH),
    "tanh": _math("tanh"),
    "sigmoid": _helper("sigmoid", "_sigmoid({0})", "_sigmoid({0})", floatmath.sigmoid, np_sigmoid, _C_SIGMOID),
    "relu": _helper("relu", "_relu({0})", "_relu({0})", _PY_RELU, _NP_RELU, _C_RELU),
    "softplus": _helper("softplus", "_softplus({0})", "np.logaddexp(0.0, {0})", floatmath.softplus, "", _C_SOFTPLUS),
    "min": _helper("min", "_min({0}, {1})", "_min({0}, {1})", _PY_MIN, _NP_MIN, _C_MIN),
    "max": _helper("max", "_max({0}, {1})", "_max({0}, {1})", _PY_MAX, _NP_MAX, _C_MAX),
    "erf": Spelling("math.erf({0})", "_erf({0})", True, numpy_def=_NP_ERF, c="erf({0})", **_js("erf", js.JS_ERF)),
    "erfc": Spelling(
        "math.erfc({0})", "_erfc({0})", True, numpy_def=_NP_ERFC, c="erfc({0})", **_js("erfc", js.JS_ERFC)
    ),
    "log10": _math("log10"),
    "log2": _math("log2"),
    "log1p": _math("log1p"),
    "expm1": _math("expm1"),
    "atan2": _math("atan2", "arctan2"),
    "hypot": _math("hypot")._replace(c="gc_hypot({0}, {1})", c_helper=_C_HYPOT, **_js("hypot", js.JS_HYPOT)),
    "cbrt": _helper("cbrt", "_cbrt({0})", "np.cbrt({0})", floatmath.cbrt, "", _C_CBRT),
    # javascript: + 0 makes -0 +0, as python's float(int) (Math.ceil(-0.5) is -0)
    "floor": Spelling(
        "float(math.floor({0}))", "np.floor({0})", True, c="(floor({0}) + 0.0)", javascript="(Math.floor({0}) + 0)"
    ),
    "ceil": Spelling(
        "float(math.ceil({0}))", "np.ceil({0})", True, c="(ceil({0}) + 0.0)", javascript="(Math.ceil({0}) + 0)"
    ),
    "round": Spelling(
        "float(round({0}))", "np.round({0})", True, c="(nearbyint({0}) + 0.0)", **_js("round", js.JS_ROUND)
    ),  # half to even
    "sign": _helper("sign", "_sign({0})", "np.sign({0})", floatmath.sign, "", _C_SIGN),
    "lt": _compare("<"),
    "le": _compare("<="),
    "gt": _compare(">"),
    "ge": _compare(">="),
    "eq": _compare("=="),
    "ne": _compare("!="),
    "where": Spelling(
        "({1} if {0} else {2})",
        "np.where({0} != 0.0, {1}, {2})",
        c="({0} != 0.0 ? {1} : {2})",
        javascript="({0} !== 0.0 ? {1} : {2})",
    ),
}

SPELLINGS: dict[Op, Spelling] = {op: _BY_NAME[op.name] for op in OPS if op.name in _BY_NAME}


def spelling(op: Op) -> Spelling:
    """op's spellings (an op given another derivative rule, ops.with_rule, is spelled as its own)."""
    return _BY_NAME[op.name]
