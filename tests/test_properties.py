"""Property-based: random expressions at random points, value and every gradient compared
with SymPy's symbolic derivative (evaluated with 30 significant digits)."""

import math

import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gradcli import MathError
from gradcli.build.standard import evaluate

SYMBOLS = {name: sp.Symbol(name, real=True) for name in ("x", "y", "z")}

# Smooth building blocks, each as (gradcli text, sympy expression), with arguments kept in
# the domain where the function is defined: a random expression never hits a domain error.
UNARY = [
    lambda t, s: (f"sin({t})", sp.sin(s)),
    lambda t, s: (f"cos({t})", sp.cos(s)),
    lambda t, s: (f"tanh({t})", sp.tanh(s)),
    lambda t, s: (f"atan({t})", sp.atan(s)),
    lambda t, s: (f"sigmoid({t})", 1 / (1 + sp.exp(-s))),
    lambda t, s: (f"softplus({t})", sp.log(1 + sp.exp(s))),
    lambda t, s: (f"exp(tanh({t}))", sp.exp(sp.tanh(s))),
    lambda t, s: (f"log(1 + ({t})^2)", sp.log(1 + s**2)),
    lambda t, s: (f"sqrt(({t})**2 + 1)", sp.sqrt(s**2 + 1)),
    lambda t, s: (f"asin(tanh({t}) / 2)", sp.asin(sp.tanh(s) / 2)),
    lambda t, s: (f"acos(sigmoid({t}) * 0.9)", sp.acos(sp.Rational(9, 10) / (1 + sp.exp(-s)))),
    lambda t, s: (f"sinh(tanh({t}))", sp.sinh(sp.tanh(s))),
    lambda t, s: (f"cosh(tanh({t}))", sp.cosh(sp.tanh(s))),
    lambda t, s: (f"tan(tanh({t}))", sp.tan(sp.tanh(s))),
    lambda t, s: (f"-({t})", -s),
    lambda t, s: (f"abs(({t})^2 + 1)", sp.Abs(s**2 + 1)),
]
BINARY = [
    lambda a, b: (f"({a[0]}) + ({b[0]})", a[1] + b[1]),
    lambda a, b: (f"({a[0]}) - ({b[0]})", a[1] - b[1]),
    lambda a, b: (f"({a[0]}) * ({b[0]})", a[1] * b[1]),
    lambda a, b: (f"({a[0]}) / (({b[0]})^2 + 1)", a[1] / (b[1] ** 2 + 1)),
    lambda a, b: (
        f"(softplus({a[0]}) + 0.5) ** tanh({b[0]})",
        (sp.log(1 + sp.exp(a[1])) + sp.Rational(1, 2)) ** sp.tanh(b[1]),
    ),
    lambda a, b: (f"pow(sigmoid({a[0]}) + 1, ({b[0]}) / 4)", (1 / (1 + sp.exp(-a[1])) + 1) ** (b[1] / 4)),
    lambda a, b: (f"relu(({a[0]})^2 + 1) * ({b[0]})", (a[1] ** 2 + 1) * b[1]),
    lambda a, b: (f"max(({a[0]})^2 + 2, -({b[0]})^2 - 1)", a[1] ** 2 + 2),
]

leaves = st.one_of(
    st.sampled_from(sorted(SYMBOLS)).map(lambda n: (n, SYMBOLS[n])),
    st.integers(1, 5).map(lambda k: (str(k), sp.Integer(k))),
    st.sampled_from(["0.5", "1.5", "2.25", "0.125"]).map(lambda t: (t, sp.Rational(t))),
)


def _extend(children):
    unary = st.tuples(st.sampled_from(UNARY), children).map(lambda p: p[0](*p[1]))
    binary = st.tuples(st.sampled_from(BINARY), children, children).map(lambda p: p[0](p[1], p[2]))
    return unary | binary


expressions = st.recursive(leaves, _extend, max_leaves=12)
points = st.fixed_dictionaries({n: st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 6)) for n in SYMBOLS})


def close(got: float, exact, scale: float) -> bool:
    # Relative to the size of the quantity, with an absolute floor for values that cancel to ~0.
    return abs(got - float(exact)) <= 1e-11 * max(abs(float(exact)), scale, 1.0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=expressions, point=points)
def test_random_expressions_match_sympy(expr, point):
    text, exact = expr
    used = sorted(SYMBOLS)  # all bound: a symbol sympy simplified away has gradient 0 in both
    program = f"out = {text}"
    try:
        graph = evaluate(program, point)
    except MathError:
        assume(False)
    subs = {SYMBOLS[n]: sp.Float(point[n], 30) for n in used}
    want = exact.evalf(30, subs=subs)
    assume(want.is_real and abs(float(want)) < 1e12)
    assert close(graph.output.data, want, 1.0), (program, point)
    grads = graph.gradients()
    for n in used:
        d = sp.diff(exact, SYMBOLS[n]).evalf(30, subs=subs)
        assume(d.is_real and abs(float(d)) < 1e12)
        # The gradient of an output of size |out| over inputs of size ~3: scale the floor by it.
        assert close(grads[n], d, abs(float(want))), (program, n, point, grads[n], float(d))


@settings(max_examples=100, deadline=None)
@given(expr=expressions, point=points)
def test_parser_roundtrip_of_spacing_and_parentheses(expr, point):
    """Extra whitespace, newlines inside parentheses and redundant parentheses change nothing."""
    text, exact = expr
    bindings = point
    try:
        plain = evaluate(f"out = {text}", bindings)
    except MathError:
        assume(False)
    spaced = text.replace("(", "( ").replace(")", "\n )").replace(",", " ,\n")
    other = evaluate(f"# comment\n\nout = (({spaced}))  # trailing\n", bindings)
    assert other.output.data == plain.output.data
    assert other.gradients() == plain.gradients()


@pytest.mark.parametrize("n", [2, 7])
def test_polynomial_gradient_exact(n):
    graph = evaluate(f"y = x ** {n} + 3 * x", {"x": 1.5})
    assert graph.gradients()["x"] == pytest.approx(n * 1.5 ** (n - 1) + 3, rel=1e-15)
    assert math.isclose(graph.output.data, 1.5**n + 4.5, rel_tol=1e-15)
