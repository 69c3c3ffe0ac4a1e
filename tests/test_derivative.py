"""Higher-order derivatives: Hessians and nth derivatives against SymPy, and `diff`'s programs
evaluated again (the round trip)."""

import math

import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gradcli.analysis.diff import derivative_name, nth_derivative, to_program
from gradcli.analysis.hessian import hessian
from gradcli.build.standard import evaluate
from gradcli.core.errors import MathError, UsageError
from gradcli.core.ops import OPS
from gradcli.lang.parser import parse

SYM = {
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "sech": sp.sech,
    "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
    "softplus": lambda x: sp.log(1 + sp.exp(x)),
    "erf": sp.erf,
    "erfc": sp.erfc,
    "log10": lambda x: sp.log(x, 10),
    "log2": lambda x: sp.log(x, 2),
    "log1p": lambda x: sp.log(1 + x),
    "expm1": lambda x: sp.exp(x) - 1,
    "cbrt": lambda x: sp.cbrt(x),
    "atan2": sp.atan2,
    "hypot": lambda x, y: sp.sqrt(x**2 + y**2),
    "pow": lambda x, y: x**y,
}

# A second-derivative sample for every smooth op: (program in x [and y], point).  Piecewise ops
# (relu, abs, min, max, floor, ...) have zero second derivative away from their kinks: checked below.
SECOND = {
    "exp": ("exp(x)", 0.7),
    "log": ("log(x)", 0.7),
    "sqrt": ("sqrt(x)", 0.7),
    "sin": ("sin(x)", 0.7),
    "cos": ("cos(x)", 0.7),
    "tan": ("tan(x)", 0.7),
    "asin": ("asin(x)", 0.3),
    "acos": ("acos(x)", 0.3),
    "atan": ("atan(x)", 0.7),
    "sinh": ("sinh(x)", 0.7),
    "cosh": ("cosh(x)", 0.7),
    "tanh": ("tanh(x)", 0.7),
    "sech": ("sech(x)", 0.7),
    "sigmoid": ("sigmoid(x)", 0.7),
    "softplus": ("softplus(x)", 0.7),
    "erf": ("erf(x)", 0.7),
    "erfc": ("erfc(x)", 0.7),
    "log10": ("log10(x)", 0.7),
    "log2": ("log2(x)", 0.7),
    "log1p": ("log1p(x)", 0.7),
    "expm1": ("expm1(x)", 0.7),
    "cbrt": ("cbrt(x)", 0.7),
    "atan2": ("atan2(x, y)", 0.7),
    "hypot": ("hypot(x, y)", 0.7),
    "pow": ("pow(x, y)", 0.7),
}
PIECEWISE = {"relu", "abs", "min", "max", "floor", "ceil", "round", "sign", "lt", "le", "gt", "ge", "eq", "ne"}
ARITHMETIC = {"add", "sub", "mul", "div", "neg", "id", "where"}
Y = 1.3


def sympy_hessian(expr, names, point):
    syms = [sp.Symbol(n) for n in names]
    subs = dict(zip(syms, point))
    return [[float(sp.diff(expr, a, b).evalf(30, subs=subs)) for b in syms] for a in syms]


def test_every_op_has_a_second_derivative_sample():
    names = {op.name for op in OPS}
    assert names == set(SECOND) | PIECEWISE | ARITHMETIC


@pytest.mark.parametrize("name", sorted(SECOND))
def test_second_derivatives_of_each_op_match_sympy(name):
    text, x = SECOND[name]
    two = "y" in text
    graph = evaluate(f"out = {text}", {"x": x, "y": Y} if two else {"x": x})
    sx, sy = sp.Symbol("x"), sp.Symbol("y")
    expr = SYM[name](sx, sy) if two else SYM[name](sx)
    names = ["x", "y"] if two else ["x"]
    want = sympy_hessian(expr, names, [x, Y][: len(names)])
    got = hessian(graph).matrix
    for row_got, row_want in zip(got, want):
        assert row_got == pytest.approx(row_want, rel=1e-12, abs=1e-14), (name, got, want)


@pytest.mark.parametrize("name", sorted(PIECEWISE - {"abs", "relu", "min", "max"}))
def test_steps_and_comparisons_have_zero_second_derivatives(name):
    op = next(op for op in OPS if op.name == name)
    args = "x" if op.arity == 1 else "x, y" if op.symbol == "" else None
    text = f"{name}({args})" if args else f"(x {op.symbol} y)"
    graph = evaluate(f"out = {text} + x*y", {"x": 0.3, "y": 1.7})
    assert hessian(graph).matrix == [[0.0, 1.0], [1.0, 0.0]]


def test_rosenbrock_hessian_is_the_published_one():
    h = hessian(evaluate("f = (1 - x)**2 + 100*(y - x**2)**2", {"x": 1.0, "y": 1.0}))
    assert h.matrix == [[802.0, -400.0], [-400.0, 200.0]]
    assert h.gradient == [0.0, 0.0]
    assert h.definiteness == "positive definite"


@pytest.mark.parametrize(
    "program, verdict",
    [
        ("f = x**2 + y**2", "positive definite"),
        ("f = -x**2 - y**2", "negative definite"),
        ("f = x**2 - y**2", "indefinite"),
        ("f = x**2 + 0*y", "positive semidefinite"),
        ("f = -(x + y)**2", "negative semidefinite"),
    ],
)
def test_definiteness_verdicts(program, verdict):
    assert hessian(evaluate(program, {"x": 0.5, "y": -0.25})).definiteness == verdict


def test_structural_zeros_are_told_apart_from_computed_ones():
    # x and z never meet: structural zero.  d2/dxdy of x*y at ... is 1; of (x*y)*(y - y): computed 0.
    h = hessian(evaluate("f = x*x + z*z + x*y*(w - w)", {"x": 1.0, "y": 2.0, "z": 3.0, "w": 4.0}))
    names = h.inputs
    xz = h.structural[names.index("x")][names.index("z")]
    xy = h.structural[names.index("x")][names.index("y")]
    assert xz is True and xy is False
    assert h.matrix[names.index("x")][names.index("y")] == 0.0


def test_hessian_is_exactly_symmetric():
    h = hessian(evaluate("f = sin(a*b) * exp(c/a) + a**b", {"a": 1.3, "b": 0.7, "c": -0.4}))
    n = len(h.inputs)
    assert all(h.matrix[i][j] == h.matrix[j][i] for i in range(n) for j in range(n))


# -- random programs against SymPy -----------------------------------------------------------

UNARY = ["exp", "sin", "cos", "tanh", "atan", "sigmoid", "softplus", "erf"]


@st.composite
def expressions(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(["a", "b", "c", "0.5", "2"]))
    kind = draw(st.sampled_from(["+", "-", "*", "/", "f", "pow"]))
    left = draw(expressions(depth=depth - 1))
    if kind == "f":
        return f"{draw(st.sampled_from(UNARY))}({left})"
    right = draw(expressions(depth=depth - 1))
    if kind == "/":
        return f"({left})/(2 + ({right})**2)"
    if kind == "pow":
        return f"(1.5 + ({left})**2)**({right})"  # a variable exponent on a positive base
    return f"({left}){kind}({right})"


def to_sympy(text):
    a, b, c = sp.symbols("a b c")
    ns = {"a": a, "b": b, "c": c, **{k: SYM[k] for k in UNARY}}
    return sp.sympify(text.replace("**", "^").replace("^", "**"), locals=ns)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(), st.tuples(*[st.floats(-1.5, 1.5)] * 3))
def test_random_hessians_match_sympy(text, point):
    bindings = dict(zip("abc", point))
    try:
        graph = evaluate(f"out = {text} + 0*a + 0*b + 0*c", bindings)
        got = hessian(graph).matrix
    except MathError:
        assume(False)  # overflows at this point (exp of a tower of powers): nothing to compare
    # sin and cos of a large argument are ill-conditioned: the argument's own rounding (half an
    # ulp of |x|) moves sin(x) by about |x| * 1e-16, so a 1e-10 comparison means nothing there
    # (Hypothesis found sin((1.5 + (a+2)**2)**((1.5 + a**2)**2)) at a=1, argument ~1e8).
    assume(all(abs(n.args[0].data) < 1e3 for n in graph.nodes if n.op.name in ("sin", "cos")))
    want = sympy_hessian(to_sympy(text), list(graph.inputs), [bindings[n] for n in graph.inputs])
    for row_got, row_want in zip(got, want):
        for g, w in zip(row_got, row_want):
            assert g == pytest.approx(w, rel=1e-10, abs=1e-10), (text, got, want)


# -- diff: nth derivatives as programs ---------------------------------------------------------


def diff_program(source, bindings, wrt, order=1):
    graph = evaluate(source, bindings)
    P, target = nth_derivative(graph, wrt, order)
    return to_program(graph, P, target, derivative_name(graph.output_name, wrt, order)), target.data


@pytest.mark.parametrize("order", [1, 2, 3])
def test_diff_round_trip_equals_sympy(order):
    source = "y = tanh(x*w + b)**2 + x**3 * exp(-x)"
    point = {"x": 0.5, "w": 2.0, "b": -1.0}
    text, value = diff_program(source, point, "x", order)
    again = evaluate(text)  # the emitted program parses and runs with its own defaults
    sx, sw, sb = sp.symbols("x w b")
    exact = sp.diff(sp.tanh(sx * sw + sb) ** 2 + sx**3 * sp.exp(-sx), sx, order)
    want = float(exact.evalf(30, subs={sx: 0.5, sw: 2.0, sb: -1.0}))
    assert again.output.data == pytest.approx(want, rel=1e-12)
    assert value == pytest.approx(want, rel=1e-12)
    assert again.output_name == derivative_name("y", "x", order)


def test_diff_of_the_seed_is_the_hand_derived_chain_rule():
    from seed import HAND, SEED

    for name, grad in HAND.items():
        text, value = diff_program(SEED, {}, name)
        assert value == grad
        assert evaluate(text).output.data == grad
    assert diff_program(SEED, {}, "a")[0].splitlines()[-1] == "dL_da = f*b"


def test_diff_is_simplified():
    text, _ = diff_program("y = x*x + 3", {"x": 2.0}, "x")  # naively 1*x + x*1 + 0
    body = text.splitlines()[-1]
    assert "*1" not in body and "+ 0" not in body and "1*" not in body
    assert body == "dy_dx = x + x" or body == "dy_dx = 2*x", body


def test_diff_keeps_piecewise_rules_as_where():
    text, value = diff_program("y = relu(x)*x", {"x": 0.5}, "x")
    assert "where" in text or ">" in text
    program = parse(text)
    assert program.stmts
    for x in (-0.5, 0.0, 0.7):
        again = evaluate(text.replace("x = 0.5", f"x = {x}"))
        assert again.output.data == (2 * x if x > 0 else 0.0)


def test_diff_bad_input():
    graph = evaluate("y = x*x", {"x": 1.0})
    with pytest.raises(UsageError, match="not an input"):
        nth_derivative(graph, "xx", 1)
    with pytest.raises(UsageError, match="--order"):
        nth_derivative(graph, "x", 0)
    with pytest.raises(UsageError, match="--order"):
        nth_derivative(graph, "x", 1000)


def test_tiny_second_derivatives_keep_their_digits():
    h = hessian(evaluate("y = tanh(x)", {"x": 20.0}))
    exact = -2 * math.tanh(20.0) / math.cosh(20.0) ** 2
    assert h.matrix[0][0] == pytest.approx(exact, rel=1e-12)
