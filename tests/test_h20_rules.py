"""Issue 20 (hardening 2), the derivative rules' items; each test failed before its fix.

- item 3: tanh'(x) for 355 < |x| <= 710 overflowed in cosh(x)**2 (eval exit 3; diff, hessian,
  check, arrays, user functions too); sech is a function with an overflow-free derivative.
  The per-op audit against mpmath is tests/test_h20_extremes.py.
- item 11: `hessian 'f = x**y' x=0 y=3` called the mixed partial undefined (0 * inf along a
  masked branch); second derivatives at x = 0 are now the limits (SymPy's), finite or not.
- item 30: diff's program failed where eval's gradient is 0 by a mask (hypot at the origin,
  norm of a zero vector, d/dz x**z at x = 0): the masks compute what they hide at a harmless
  operand, and for every op diff's program equals eval's gradient at edge points.
- item 28 (diff's part): diff's programs printed `- -1/x*t4`, `3/-x`, computed sin(x) twice
  (the program's and the rule's) and t1*t2 beside t2*t1; a program's own repeated sin(x) was
  two nodes (`sin(x)*t1 + sin(x)*t1`), a + a was not 2*a, and `2*t1*2` was not folded to 4*t1.
"""

from __future__ import annotations

import json
import math

import mpmath as mp
import pytest

mp.mp.dps = 50


def _json(result):
    assert result.exit_code == 0, result.stderr + result.stdout
    return json.loads(result.stdout)


# -- item 3: tanh' past cosh(x)**2's overflow ----------------------------------------------------


@pytest.mark.parametrize("x", ["400", "-400", "356", "709", "710", "-710.4"])
def test_tanh_gradient_past_the_square_overflow(eval_json, x):
    doc = eval_json("y = tanh(x)", f"x={x}")
    assert doc["value"] == math.copysign(1.0, float(x))
    exact = mp.sech(float(x)) ** 2  # 2.4e-309 at 356 (subnormal), 0 as a double from 373 on
    assert abs(doc["gradients"]["x"] - exact) <= 2**-1074


def test_tanh_gradient_just_below_the_overflow_keeps_its_digits(eval_json):
    doc = eval_json("y = tanh(x)", "x=354")
    exact = mp.sech(354) ** 2  # 1.32e-307, a normal double
    assert doc["gradients"]["x"] == pytest.approx(float(exact), rel=4e-16)


def test_tanh_of_2x_arrays_and_user_functions(eval_json):
    assert eval_json("y = tanh(2*x)", "x=200")["gradients"]["x"] == 0.0
    doc = eval_json("y = tanh(x)", "x=[400, -400, 0.5]")
    assert doc["gradients"]["x"][:2] == [0.0, 0.0]
    assert doc["gradients"]["x"][2] == pytest.approx(float(mp.sech(0.5) ** 2), rel=4e-16)
    doc = eval_json("f(t) = tanh(t)\ny = f(x)", "x=400")
    assert doc["gradients"]["x"] == 0.0


def test_hessian_and_check_of_tanh_at_400(gradcli):
    doc = _json(gradcli("hessian", "y = tanh(x)", "x=400", "--format", "json"))
    assert doc["gradient"] == [0.0] and doc["hessian"] == [[0.0]]
    result = gradcli("check", "y = tanh(x)", "x=400", "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["results"][0]["analytic"] == 0.0


def test_diff_of_tanh_evaluates_at_400(gradcli, eval_json):
    text = gradcli("diff", "y = tanh(x)", "x=400", "--wrt", "x")
    assert text.exit_code == 0, text.stderr
    assert eval_json("-", input=text.stdout)["value"] == 0.0
    # and at a point where it is a normal number, the same bits as eval's gradient
    text = gradcli("diff", "y = tanh(x)", "x=20", "--wrt", "x").stdout
    assert eval_json("-", input=text)["value"] == eval_json("y = tanh(x)", "x=20")["gradients"]["x"]


def test_sech_has_the_derivative_that_one_over_cosh_loses(eval_json):
    """d/dx 1/cosh(x) at 400 is -3.83e-174, a normal double; through 1/cosh the intermediate
    adjoint -1/cosh^2 = -1.5e-347 underflows (reverse mode multiplies it by sinh(400) later), so
    `1/cosh(x)` gives 0 there: sech(x) is the function to write."""
    doc = eval_json("y = sech(x)", "x=400")
    want = -mp.sech(400) * mp.tanh(400)
    assert doc["value"] == pytest.approx(float(mp.sech(400)), rel=4e-16)
    assert doc["gradients"]["x"] == pytest.approx(float(want), rel=4e-16)
    assert eval_json("y = sech(x)", "x=1e300")["gradients"]["x"] == 0.0


# -- item 11: the Hessian of x**y at x = 0 uses the first-order rules' limits -----------------------


def _sympy_hessian_at_zero(y_value):
    """The second partials of x^y at x -> 0+ (y fixed), as SymPy's limits: None where not finite."""
    import sympy as sp

    x, y = sp.symbols("x y", positive=True)
    f = x**y
    out = {}
    for name, expr in {"xx": sp.diff(f, x, 2), "xy": sp.diff(f, x, y), "yy": sp.diff(f, y, 2)}.items():
        lim = sp.limit(expr.subs(y, sp.nsimplify(y_value)), x, 0, "+")
        out[name] = float(lim) if lim.is_finite else None
    grad = [sp.limit(sp.diff(f, v).subs(y, sp.nsimplify(y_value)), x, 0, "+") for v in (x, y)]
    return out, [float(g) if g.is_finite else None for g in grad]


@pytest.mark.parametrize("y", [3, 2, 1.5, 1, 0.5])
def test_hessian_of_pow_at_zero_is_the_limit(gradcli, y):
    """y = 3: all 0 (the mixed partial was 'undefined': 0 * inf along a masked branch); y = 2:
    d2/dx2 = 2, the rest 0; y = 1.5: d2/dx2 is infinite; y = 1: the mixed partial x^0 (1 + log x)
    -> -inf; y = 0.5: the gradient itself is infinite.  Finite limits are reported, the others
    are exit 3 naming an entry whose limit is infinite."""
    want, grad = _sympy_hessian_at_zero(y)
    result = gradcli("hessian", "f = x**y", "x=0", f"y={y}", "--format", "json")
    if None not in want.values() and None not in grad:
        doc = _json(result)
        assert doc["gradient"] == grad
        assert doc["hessian"] == [[want["xx"], want["xy"]], [want["xy"], want["yy"]]]
        return
    assert result.exit_code == 3, result.stdout
    bad = [k for k, v in want.items() if v is None]
    if None in grad:
        assert "derivative of f = x**y with respect to x is infinite" in result.stderr
    else:
        named = {"xx": "d2f/dxdx", "xy": "d2f/dxdy", "yy": "d2f/dydy"}
        assert any(f"second derivative {named[k]} is infinite" in result.stderr for k in bad), result.stderr


def test_pow_exponent_derivative_at_zero_zero_is_infinite(gradcli, eval_json):
    """d/dy x^y at x = 0 is the limit of x^y log x: 0 for y > 0, but -inf at y = 0 (log x alone);
    it was a made-up 0 there, which the Hessian then differentiated into wrong mixed partials."""
    assert eval_json("f = x**y", "x=0", "y=2")["gradients"] == {"x": 0.0, "y": 0.0}
    result = gradcli("eval", "f = x**y", "x=0", "y=0")
    assert result.exit_code == 3
    assert "with respect to y is infinite" in result.stderr


# -- item 30: diff's program evaluates wherever eval's gradient does --------------------------------


@pytest.mark.parametrize(
    "program, bindings, wrt",
    [
        ("y = hypot(x, z)", ["x=0", "z=0"], "x"),
        ("y = norm(v)", ["v=[0, 0]"], "v[0]"),
        ("y = x**z", ["x=0", "z=2"], "z"),
        ("y = x**z", ["x=0", "z=3"], "x"),
        ("y = x**z", ["x=0", "z=1"], "z"),
    ],
)
def test_diff_pipes_into_eval_at_the_masked_points(gradcli, eval_json, program, bindings, wrt):
    text = gradcli("diff", program, *bindings, "--wrt", wrt)
    assert text.exit_code == 0, text.stderr
    again = gradcli("eval", "-", "--format", "json", input=text.stdout)
    assert again.exit_code == 0, text.stdout + again.stderr
    gradients = eval_json(program, *bindings)["gradients"]
    want = gradients["v"][0] if wrt == "v[0]" else gradients[wrt]
    assert json.loads(again.stdout)["value"] == want == 0.0  # eval's gradient: a limit or PyTorch's mask


EDGES = [0.0, 1e-300, -1e-300, 1.0, -1.0, 0.5, 2.0, -3.0, 400.0, -400.0, 1e300, -1e300]


def _program_of(op) -> str:
    """`y = ...` applying op to x (and z, and w for where)."""
    if op.name == "where":
        return "y = where(x, z, x*z)"
    if op.syntax == "operator":
        return f"y = {op.symbol}x" if op.arity == 1 else f"y = x {op.symbol} z"
    return f"y = {op.name}(x)" if op.arity == 1 else f"y = {op.name}(x, z)"


def _eval_and_diff(source: str, bindings: dict) -> list[tuple[str, float, float | None]]:
    """For each input where eval's gradient is finite: (input, eval's partial, diff's program's value)."""
    from gradcli.analysis.diff import nth_derivative, to_program
    from gradcli.build.standard import build
    from gradcli.core.errors import GradcliError
    from gradcli.lang.parser import parse

    try:
        graph = build(parse(source), bindings)
        graph.backward()
    except GradcliError:
        return []  # eval's gradient is not defined here: nothing to match
    rows = []
    for name in bindings:
        want = graph.inputs[name].grad
        again = build(parse(source), bindings)
        P, target = nth_derivative(again, name, 1)
        try:
            got = build(parse(to_program(again, P, target, "d")), {}).output.data
        except GradcliError:
            got = None
        rows.append((name, want, got))
    return rows


@pytest.mark.parametrize("name", sorted(op.name for op in __import__("gradcli.core.ops", fromlist=["OPS"]).OPS))
def test_diff_program_equals_eval_gradient_for_every_op(name):
    """Item 30's round trip for every op of the table at edge points (0, ±1e-300, ±1, 400, ±1e300
    and pairs of them): wherever eval's gradient is defined, diff's program evaluates (without
    --allow-nonfinite) to the same bits (but for a zero's sign: eval's gradient starts at 0.0 and
    adds -0.0 into +0.0)."""
    from gradcli.core.ops import BY_NAME

    op = BY_NAME[name]
    source = _program_of(op)
    points = [{"x": x} for x in EDGES] if op.arity == 1 else [{"x": x, "z": z} for x in EDGES for z in EDGES]
    mismatches = []
    for bindings in points:
        for wrt, want, got in _eval_and_diff(source, bindings):
            if got is None or got != want:  # a zero's sign may differ: eval accumulates 0.0 + -0.0 = 0.0
                mismatches.append((bindings, wrt, want, got))
    assert mismatches == []


# -- item 28: diff's program reads cleanly ----------------------------------------------------------

CLEAN = [
    ("y = sin(x)*cos(x) - x/w", ["x=0.5", "w=2"]),
    ("y = 1/x - x/(1 - x)", ["x=0.25", "w=2"]),
    ("y = tanh(x*w + b)**2 + x**3*exp(-x)", ["x=0.5", "w=2", "b=-1"]),
    ("y = x*(-2)*sin(x) + 3/(-x) - (-w)*x", ["x=0.5", "w=2"]),
    ("y = exp(-x) - x*cos(x) + atan2(x, w)", ["x=0.5", "w=2"]),
]


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("program, bindings", CLEAN)
def test_diff_programs_are_clean_and_still_exact(gradcli, eval_json, program, bindings, order):
    """No two signs in a row (`- -x`, `a - -b`, `x*-2`), no sub-expression computed twice (the
    program's own sin(x) is reused, t1*t2 and t2*t1 are one node), and the program still gives
    eval's / the derivative's own value to the bit."""
    import re

    result = gradcli("diff", program, *bindings, "--wrt", "x", "--order", str(order))
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert not re.search(r"[-+*/] ?-", text.replace("= -", "= ")), text
    rhs = [line.split(" = ", 1)[1] for line in text.splitlines()]
    calls = re.findall(r"\b(?:sin|cos|exp|tanh|sech|atan2)\([^()]*\)", text)
    assert len(calls) == len(set(calls)), text  # each call written once (then named)
    products = re.findall(r"(?<![*/\w])(t\d+)\*(t\d+)\b", text)  # a product node, not (2*t2)*t1
    assert not any((b, a) in products for a, b in products if a != b), text
    assert len(rhs) == len(set(rhs)), text
    value = eval_json("-", input=text)["value"]
    if order == 1:
        assert value == eval_json(program, *bindings)["gradients"]["x"]


# -- item 28, second review: repeated sub-expressions, a + a, powers of two -------------------------


def test_a_programs_repeated_call_is_one_node_and_the_sum_still_exact(gradcli, eval_json):
    """The program computes sin(x) twice: both stand for one node, so sin(x)*cos(x) is one
    temporary (it was `403.43 + sin(x)*t1 + sin(x)*t1`).  The sum stays (c + a) + a, the order
    eval's sweep adds in (c + 2a rounds differently), so the program gives eval's bits."""
    program = "y = sin(x)*sin(x) - (-x)*exp(2*3)"
    text = gradcli("diff", program, "x=1", "--wrt", "x").stdout
    assert text == "x = 1\nt1 = sin(x)*cos(x)\ndy_dx = 403.4287934927351 + t1 + t1\n"
    assert eval_json("-", input=text)["value"] == eval_json(program, "x=1")["gradients"]["x"]
    text = gradcli("diff", "y = sin(x)*sin(x)", "x=0.7", "--wrt", "x").stdout
    assert text.splitlines()[-1] == "dy_dx = 2*(sin(x)*cos(x))"  # a + a = 2*a, exactly
    assert eval_json("-", input=text)["value"] == eval_json("y = sin(x)*sin(x)", "x=0.7")["gradients"]["x"]


def test_powers_of_two_fold_and_the_second_derivative_keeps_its_bits(gradcli, eval_json):
    """d2/dx2 tanh(x)^2 printed `t3*2*t3 - 2*t1*2*t2*t2*t1`: (2*t1)*2 is 4*t1 exactly; the value
    is the derivative graph's (hessian's) to the bit and sympy's within rounding."""
    import re

    import sympy as sp

    result = gradcli("diff", "y = tanh(x)**2", "x=1", "--wrt", "x", "--order", "2")
    text = result.stdout
    assert text.splitlines()[-1] == "d2y_dx2 = 2*t3*t3 - 4*t1*t2*t2*t1", text
    assert not re.search(r"\b2\*[^-+]*\*2\b", text)
    value = eval_json("-", input=text)["value"]
    hess = _json(gradcli("hessian", "y = tanh(x)**2", "x=1", "--format", "json"))["hessian"][0][0]
    assert value == hess
    X = sp.Symbol("x")
    assert value == pytest.approx(float(sp.diff(sp.tanh(X) ** 2, X, 2).subs(X, 1).evalf(30)), rel=1e-15)


A_VALUES = [5e-324, 3e-320, 1e-310, 2.2250738585072014e-308, 1e-300, 0.1, 1.0, 3.0, 1e300, 8.98846567431158e307]
A_VALUES += [-a for a in A_VALUES] + [0.0, -0.0, math.inf, -math.inf]


def test_the_folds_are_exact_and_refused_where_they_are_not():
    """(p*a)*c -> (p*c)*a only for p = 2^k >= 1 and |c| >= 1, and a + a -> 2*a: equal to the
    unfolded value for every a (subnormal, huge, overflowing, signed zeros, infinities).  With
    p or c below 1 the fold would change bits ((2*a)*0.5 overflows at 1e308, (0.5*a)*4 rounds
    a subnormal), so there the builder keeps the product as written."""
    from gradcli.core.engine import Value
    from gradcli.core.transform import Builder

    for a in A_VALUES:
        for p in [1.0, 2.0, 4.0, 2.0**10]:
            for c in [1.0, 1.5, 2.0, 3.0, 1e300, -3.0]:
                P = Builder()
                x = Value(a, label="x")
                got = P.mul(P.mul(p, x), c).node.data
                assert got == (p * a) * c or (got != got and a * 0 != 0), (a, p, c)
                assert math.copysign(1, got) == math.copysign(1, (p * a) * c) or got != got
        P = Builder()
        x = Value(a, label="x")
        s = P.add(x, x).node
        assert s.op.name == "mul" and s.data == a + a and math.copysign(1, s.data) == math.copysign(1, a + a)
    P = Builder()
    x = Value(1e308, label="x")
    assert P.mul(P.mul(2.0, x), 0.5).node.data == math.inf  # folded, it would be 1e308
    x = Value(3 * 5e-324, label="x")
    assert P.mul(P.mul(0.5, x), 4.0).node.data == (0.5 * x.data) * 4.0 != 4.0 * 0.5 * x.data
