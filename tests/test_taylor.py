"""`gradcli taylor`: Taylor coefficients from exact derivatives, against SymPy's `series`."""

import json
import math

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcli.core.transform import MAX_ORDER

X, H = sp.symbols("x h")


def series_coefficients(expr, x0, order: int, symbol=X) -> list[float]:
    """c_0..c_order of expr about symbol = x0, by SymPy's series (exact x0: a Rational)."""
    poly = sp.Poly(sp.series(expr.subs(symbol, x0 + H), H, 0, order + 1).removeO(), H)
    return [float(poly.coeff_monomial(H**k)) for k in range(order + 1)]


def taylor_json(gradcli, *args):
    result = gradcli("taylor", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr + result.stdout
    return json.loads(result.stdout)


def assert_close(got: list, want: list, rel: float = 1e-13) -> None:
    assert len(got) == len(want)
    scale = max(abs(w) for w in want)
    for k, (g, w) in enumerate(zip(got, want)):
        # a zero coefficient (sin at 0, even k) must come out zero to rounding of the largest one
        tol = rel * abs(w) if w != 0 else 1e-15 * scale
        assert abs(g - w) <= tol, f"c_{k}: {g!r} vs SymPy {w!r}"


CASES = [
    ("exp(x)", sp.exp(X)),
    ("sin(x)", sp.sin(X)),
    ("log(1 + x)", sp.log(1 + X)),
    ("1/(1 - x)", 1 / (1 - X)),
    ("exp(sin(x))*cos(2*x)", sp.exp(sp.sin(X)) * sp.cos(2 * X)),
]


@pytest.mark.parametrize(("text", "expr"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize(("x0", "exact"), [("0", sp.Integer(0)), ("0.3", sp.Rational(3, 10))], ids=["at0", "at0.3"])
def test_coefficients_match_sympy_series(gradcli, text, expr, x0, exact):
    doc = taylor_json(gradcli, f"y = {text}", f"x={x0}", "--wrt", "x", "--order", "6")
    assert doc["output"] == "y" and doc["wrt"] == "x" and doc["at"] == {"x": float(x0)}
    assert_close(doc["coefficients"], series_coefficients(expr, exact, 6))


def test_default_order_is_five_and_lower_orders_are_prefixes(gradcli):
    full = taylor_json(gradcli, "y = exp(sin(x))*cos(2*x)", "x=0.3", "--wrt", "x")["coefficients"]
    assert len(full) == 6
    two = taylor_json(gradcli, "y = exp(sin(x))*cos(2*x)", "x=0.3", "--wrt", "x", "--order", "2")["coefficients"]
    assert two == full[:3]


def test_two_inputs_the_other_stays_at_its_binding(gradcli):
    a = sp.Symbol("a")
    program = "t = a*x\ny = exp(t) * sin(x) + a**2 * x**3"
    doc = taylor_json(gradcli, program, "a=0.7", "x=-1.2", "--wrt", "x", "--order", "6")
    assert doc["at"] == {"a": 0.7, "x": -1.2}
    expr = (sp.exp(a * X) * sp.sin(X) + a**2 * X**3).subs(a, sp.Rational(7, 10))
    assert_close(doc["coefficients"], series_coefficients(expr, sp.Rational(-12, 10), 6))
    # and in the other input: x fixed at -1.2
    doc = taylor_json(gradcli, program, "a=0.7", "x=-1.2", "--wrt", "a", "--order", "4")
    expr = (sp.exp(a * X) * sp.sin(X) + a**2 * X**3).subs(X, sp.Rational(-12, 10))
    assert_close(doc["coefficients"], series_coefficients(expr, sp.Rational(7, 10), 4, symbol=a))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(-9, 9), min_size=4, max_size=4),
    st.integers(-20, 20),
)
def test_a_cubic_is_its_own_taylor_polynomial(coeffs, tenths):
    """The coefficients of a cubic about x0 are those of p(x0 + h) (exact in binary for small
    integers and x0 = n/4), then zeros up to the order."""
    from gradcli import session
    from gradcli.analysis.taylor import taylor
    from gradcli.session import Request, Source

    x0 = tenths / 4
    text = "y = " + " + ".join(f"({c})*x**{k}" for k, c in enumerate(coeffs))
    g = session.evaluate(Source(text=text), [f"x={x0}"], Request())
    got = taylor(g, "x", 6).coefficients
    poly = sp.Poly(sum(c * (sp.Rational(tenths, 4) + H) ** k for k, c in enumerate(coeffs)), H)
    assert got == [float(poly.coeff_monomial(H**k)) for k in range(7)]


def test_table_lists_k_derivative_and_coefficient(gradcli):
    result = gradcli("taylor", "y = exp(sin(x))", "x=0", "--wrt", "x", "--order", "4", "--no-color")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Taylor coefficients of y in x at x = 0" in out
    rows = [[c.strip() for c in line.strip("│ ").split("│")] for line in out.splitlines() if line.startswith("│")]
    # exp(sin x) = 1 + x + x^2/2 - x^4/8 + ...: f''''(0) = -3
    assert rows == [["0", "1", "1"], ["1", "1", "1"], ["2", "1", "0.5"], ["3", "0", "0"], ["4", "-3", "-0.125"]]


def test_table_names_every_input_of_the_point(gradcli):
    result = gradcli("taylor", "y = a*x**2", "a=2", "x=0.5", "--wrt", "x", "--order", "2")
    assert result.exit_code == 0, result.stderr
    assert "at a = 2, x = 0.5" in result.stdout


def test_json_shape(gradcli):
    doc = taylor_json(gradcli, "y = x**3", "x=2", "--wrt", "x", "--order", "4")
    assert list(doc) == ["output", "wrt", "at", "coefficients"]
    assert doc == {"output": "y", "wrt": "x", "at": {"x": 2.0}, "coefficients": [8.0, 12.0, 6.0, 1.0, 0.0]}


def test_of_picks_the_output(gradcli):
    doc = taylor_json(gradcli, "u = x**2\ny = u + 1", "x=1", "--wrt", "x", "--order", "2", "--of", "u")
    assert doc["output"] == "u" and doc["coefficients"] == [1.0, 2.0, 1.0]


def test_unknown_wrt_is_exit_2_with_did_you_mean(gradcli):
    result = gradcli("taylor", "y = x*z", "x=1", "z=2", "--wrt", "zz")
    assert result.exit_code == 2
    assert "--wrt zz: not an input of the program (inputs: x, z)" in result.stderr
    assert "did you mean 'z'?" in result.stderr


@pytest.mark.parametrize("order", ["0", str(MAX_ORDER + 1), "-1"])
def test_order_outside_1_to_max_is_exit_2_naming_the_limit(gradcli, order):
    result = gradcli("taylor", "y = exp(x)", "x=0", "--wrt", "x", "--order", order)
    assert result.exit_code == 2
    assert f"--order must be between 1 and {MAX_ORDER}, got {order}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_max_order_is_accepted(gradcli):
    doc = taylor_json(gradcli, "y = exp(x)", "x=0", "--wrt", "x", "--order", str(MAX_ORDER))
    assert_close(doc["coefficients"], [1 / math.factorial(k) for k in range(MAX_ORDER + 1)], rel=1e-15)


def test_missing_binding_or_wrt_is_exit_2(gradcli):
    result = gradcli("taylor", "y = x*z", "x=1", "--wrt", "x")
    assert result.exit_code == 2 and "'z' has no value" in result.stderr
    result = gradcli("taylor", "y = exp(x)", "x=1")
    assert result.exit_code == 2 and "--wrt" in result.stderr


def test_nonfinite_derivative_is_exit_3(gradcli):
    # sqrt(x) at 0: the first derivative is already infinite
    result = gradcli("taylor", "y = sqrt(x)", "x=0", "--wrt", "x")
    assert result.exit_code == 3 and "infinite" in result.stderr
    # x**2.5 at 0: value and two derivatives finite, the third (1.875/sqrt(x)) infinite
    result = gradcli("taylor", "y = x**2.5", "x=0", "--wrt", "x")
    assert result.exit_code == 3
    assert "d3y_dx3 is infinite at this point" in result.stderr
    assert "--allow-nonfinite" in result.stderr
    result = gradcli("taylor", "y = x**2.5", "x=0", "--wrt", "x", "--format", "json")
    assert result.exit_code == 3 and json.loads(result.stderr.splitlines()[0])["error"]["kind"] == "math"


def test_allow_nonfinite_writes_them_as_gradcli_does(gradcli):
    doc = taylor_json(gradcli, "y = x**2.5", "x=0", "--wrt", "x", "--order", "4", "--allow-nonfinite")
    assert doc["coefficients"] == [0.0, 0.0, 0.0, "Infinity", "-Infinity"]


def test_help_lists_an_example(gradcli):
    result = gradcli("taylor", "--help")
    assert result.exit_code == 0
    assert "gradcli taylor 'y = exp(sin(x))' x=0 --wrt x --order 4" in result.stdout
    assert "taylor" in gradcli("--help").stdout


# -- --to gradcli: the polynomial as a program ----------------------------------------------------


def polynomial_program(gradcli, *args):
    result = gradcli("taylor", *args, "--to", "gradcli")
    assert result.exit_code == 0, result.stderr + result.stdout
    return result.stdout


@pytest.mark.parametrize(
    ("text", "x0_text", "order"),
    [("exp(sin(x))*cos(2*x)", "0.3", 6), ("log(1 + x)", "0.5", 3), ("sin(x)", "0", 5), ("1/(1 - x)", "-1.25", 4)],
)
def test_polynomial_program_round_trip(gradcli, eval_json, text, x0_text, order):
    """eval of the written program at x0 + h is the polynomial sum c_k (x - x0)^k with taylor's
    own coefficients, and close to f(x0 + h) (the remainder is O(h^(N+1)))."""
    x0 = float(x0_text)
    args = (f"y = {text}", f"x={x0_text}", "--wrt", "x", "--order", str(order))
    program = polynomial_program(gradcli, *args)
    lines = program.splitlines()
    assert len(lines) == 2 and lines[0] == f"x = {x0_text}"
    assert lines[1].startswith("y_taylor = ")
    coefficients = taylor_json(gradcli, *args)["coefficients"]
    assert eval_json(program)["value"] == coefficients[0]  # at x0 itself: c_0 exactly
    for h in (1e-3, -0.02, 0.05):
        x = x0 + h
        got = eval_json(program, f"x={x!r}")["value"]
        want = sum(c * (x - x0) ** k for k, c in enumerate(coefficients))
        assert got == pytest.approx(want, rel=1e-14, abs=1e-300)
        exact = float(sp.sympify(text).subs(X, sp.Rational(x)).evalf(30))
        assert abs(got - exact) <= 4 * abs(h) ** (order + 1) * max(1.0, abs(exact)) + 1e-15


def test_polynomial_program_writes_signs_and_skips_zero_terms(gradcli):
    program = polynomial_program(gradcli, "y = sin(x)", "x=0", "--wrt", "x")
    assert program == "x = 0\ny_taylor = x - 0.16666666666666666*x**3 + 0.008333333333333333*x**5\n"
    program = polynomial_program(gradcli, "y = 2 - x**2", "x=-3", "--wrt", "x", "--order", "3")
    assert program == "x = -3\ny_taylor = -7 + 6*(x + 3) - (x + 3)**2\n"
    program = polynomial_program(gradcli, "u = 0*x", "x=1", "--wrt", "x", "--order", "2")
    assert program == "x = 1\nu_taylor = 0\n"


def test_polynomial_program_in_one_input_of_two(gradcli, eval_json):
    program = polynomial_program(gradcli, "y = exp(a*x)", "a=2", "x=0", "--wrt", "x", "--order", "3")
    assert program == "x = 0\ny_taylor = 1 + 2*x + 2*x**2 + 1.3333333333333333*x**3\n"
    assert eval_json(program, "x=0.5")["value"] == 1 + 2 * 0.5 + 2 * 0.25 + 1.3333333333333333 * 0.125


def test_to_bad_target_or_nonfinite_coefficient(gradcli):
    result = gradcli("taylor", "y = exp(x)", "x=0", "--wrt", "x", "--to", "fortran")
    assert result.exit_code == 2
    assert "--to fortran: not a target (targets: gradcli, python, numpy, c, javascript, latex)" in result.stderr
    result = gradcli("taylor", "y = x**2.5", "x=0", "--wrt", "x", "--allow-nonfinite", "--to", "gradcli")
    assert result.exit_code == 3 and "c_3 is infinite" in result.stderr


def test_to_and_format_json_together_are_refused(gradcli):
    # --to writes a program: --format json was silently ignored
    result = gradcli("taylor", "y = exp(x)", "x=0", "--wrt", "x", "--to", "gradcli", "--format", "json")
    assert result.exit_code == 2
    assert "--format json does not apply" in result.stderr


def test_polynomial_in_every_target_computes_the_gradcli_programs_value(gradcli, eval_json, tmp_path):
    """--to python|numpy|c|javascript|latex: the gradcli polynomial program, printed by diff's printers as
    one function y_taylor(x=x0) returning the value: equal to `gradcli eval` of the program, bit for bit
    (python, C: the same libm; numpy within the sweep's ulps; JavaScript through node where installed)."""
    import ctypes
    import shutil
    import subprocess

    import numpy as np
    from test_sweep import SWEEP_ULPS, ulps_apart

    args = ("y = log(1 + x)", "x=0.5", "--wrt", "x", "--order", "4")
    program = polynomial_program(gradcli, *args)
    code = {to: gradcli("taylor", *args, "--to", to).stdout for to in ("python", "numpy", "c", "javascript", "latex")}
    points = [0.5, 0.6, 0.37, 1.25, -0.2]
    expected = [eval_json(program, f"x={x!r}")["value"] for x in points]
    for to in ("python", "numpy"):
        namespace: dict = {}
        exec(code[to], namespace)
        assert namespace["y_taylor"]() == expected[0]  # x0 is the default
        got = [namespace["y_taylor"](x) for x in points]
        if to == "python":
            assert got == expected
        else:
            assert max(ulps_apart(float(g), e) for g, e in zip(got, expected)) <= SWEEP_ULPS
            assert np.shape(namespace["y_taylor"](np.array(points))) == (len(points),)
    if shutil.which("cc"):
        src, lib = tmp_path / "t.c", tmp_path / "t.so"
        src.write_text(code["c"])
        flags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-shared", "-fPIC"]
        done = subprocess.run(["cc", *flags, str(src), "-o", str(lib), "-lm"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        f = ctypes.CDLL(str(lib)).y_taylor
        f.restype, f.argtypes = ctypes.c_double, [ctypes.POINTER(ctypes.c_double), ctypes.c_void_p]
        assert [f((ctypes.c_double * 1)(x), None) for x in points] == expected
    if shutil.which("node"):
        script = code["javascript"] + f"\nconsole.log(JSON.stringify({[*points]}.map(x => y_taylor(x))));\n"
        (tmp_path / "t.mjs").write_text(script)
        done = subprocess.run(["node", str(tmp_path / "t.mjs")], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        got = json.loads(done.stdout)
        assert max(ulps_apart(g, e) for g, e in zip(got, expected)) <= 4
    assert "y_{\\mathrm{taylor}} &= 0.4054651081081644 + 0.6666666666666666 t_{1} - " in code["latex"]


def test_a_constant_polynomial_is_a_function_of_the_input_alone(gradcli):
    """`y_taylor = 2` alone reads as an input of the program: the function must still take x only
    (the review found def y_taylor(x=1.0, y_taylor=2.0), and C reading in[1] past the caller's array)."""
    code = gradcli("taylor", "y = 2", "x=1", "--wrt", "x", "--to", "python").stdout
    namespace: dict = {}
    exec(code, namespace)
    assert namespace["y_taylor"](5.0) == 2.0
    assert "def y_taylor(x=1.0):" in code
    c = gradcli("taylor", "y = 2", "x=1", "--wrt", "x", "--to", "c").stdout
    assert "in[1]: x (" in c and "= in[0];" in c and "= in[1];" not in c  # one input


@pytest.mark.parametrize(
    "program, point, warned",
    [
        ("y = abs(x) + x**2", "x=0", True),  # abs at its switch point: the series is one side's
        ("y = relu(x - 1)", "x=1", True),
        ("y = max(x, 2*x)", "x=0", True),
        ("y = abs(x) + x**2", "x=0.5", False),  # a kink elsewhere is no matter here
        ("y = relu(a) + x", "x=0", False),  # a = 1 by default; x moves no switch
    ],
)
def test_a_kink_at_the_point_is_warned_not_hidden(gradcli, program, point, warned):
    # newcomer trial: taylor of relu(x) at 0 printed a polynomial without a word
    res = gradcli("taylor", program, point, "a=0", "--wrt", "x", "--format", "json")
    assert res.exit_code == 0
    assert ("is at its switch point at x = " in res.stderr) == warned, res.stderr
    assert json.loads(res.stdout)["coefficients"]  # the coefficients are still given
