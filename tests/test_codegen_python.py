"""`gradcli diff --to python|numpy` (issue 21, deliver 2; DESIGN §7.1): one function returning the
value and the derivatives, from the straight-line program the gradcli target prints.

The oracle is `gradcli eval` (the float backward sweep, session.evaluate) and `gradcli hessian`:
the python target bit for bit (the same formulas, the same libm), the numpy target within the
SWEEP_ULPS tests/test_sweep.py allows numpy's SIMD math, called once with arrays of all the points
(broadcasting); SymPy for a third derivative."""

import math
import random

import numpy as np
import pytest
import sympy as sp
from every_op_programs import PROGRAMS
from test_sweep import SWEEP_ULPS, ulps_apart

from gradcli import session
from gradcli.core import floatmath
from gradcli.core.code_names import SPELLINGS, TARGETS, spelling
from gradcli.core.engine import Value, math_error
from gradcli.core.ops import BY_NAME, OPS
from gradcli.session import Request, Source

POINTS = 200


def generated(text: str, to: str, order: int = 1, wrt=None, texts=()):
    """The generated module's function (exec'd) and the program's inputs, in the signature's order."""
    g, free = session.diff_graph(Source(text), list(texts), Request())
    code = session.diff(g, wrt, order, False, free, to)
    namespace: dict = {}
    exec(compile(code, f"<{to}>", "exec"), namespace)
    (name,) = [k for k in namespace if k.endswith(("_grad", "_hessian")) or "_d" in k and not k.startswith("_")]
    return namespace[name], list(g.inputs), code


def eval_at(text: str, point: dict):
    g = session.evaluate(Source(text), [f"{k}={v!r}" for k, v in point.items()], Request())
    return g.output.data, g.gradients()


def bits(x: float) -> str:
    return "nan" if x != x else float(x).hex()


def random_points(text: str, names: list[str], n: int = POINTS) -> list[dict]:
    rng = random.Random(text)
    return [{k: rng.uniform(0.2, 1.8) for k in names} for _ in range(n)]


def test_the_programs_use_every_op_of_the_op_table():
    used = set()
    for text in PROGRAMS:
        g, _ = session.diff_graph(Source(text), [], Request())
        used |= {node.op.name for node in g.nodes}
    assert {op.name for op in OPS} - used - {"const", "input"} == set()
    assert len(PROGRAMS) >= 20


def test_every_op_has_a_spelling_in_every_target():
    assert set(SPELLINGS) == set(OPS) and TARGETS[:3] == ("gradcli", "python", "numpy")
    for op in OPS:
        s = spelling(op)
        assert s.numpy or op.syntax == "operator"
        assert s.python or op.syntax == "operator"
        for form in (s.python, s.numpy):
            assert all(f"{{{i}}}" in form for i in range(op.arity)) or not form


@pytest.mark.parametrize("name", ["sech", "sigmoid", "softplus", "sign", "cbrt", "relu", "min", "max"])
def test_python_helpers_are_gradclis_formulas_bit_for_bit(name):
    namespace: dict = {"math": math}
    exec(spelling(BY_NAME[name]).python_helper, namespace)
    helper, op = namespace[f"_{name}"], BY_NAME[name]
    rng = random.Random(name)
    xs = [rng.uniform(-800, 800) for _ in range(300)] + [0.0, -0.0, 709.9, 710.0, -1e-300, 5e-324, 1e300]
    for x in xs:
        args = (x, rng.choice([x, x + 1.0, x - 1.0])) if op.arity == 2 else (x,)
        assert bits(helper(*args)) == bits(op.forward(*args)), (name, args)
    if name == "cbrt":
        assert op.forward is floatmath.cbrt


@pytest.mark.parametrize("text", PROGRAMS)
def test_python_gradient_equals_eval_bit_for_bit(text):
    grad, inputs, code = generated(text, "python")
    assert "import numpy" not in code and code.startswith("import math\n")
    for point in random_points(text, inputs):
        value, gradient = eval_at(text, point)
        got_value, got = grad(*(point[k] for k in inputs))
        assert bits(got_value) == bits(value), (text, point)
        assert [bits(x) for x in got] == [bits(gradient[k]) for k in inputs], (text, point)


@pytest.mark.parametrize("text", PROGRAMS)
def test_numpy_gradient_broadcasts_and_equals_eval_within_sweep_ulps(text):
    grad, inputs, code = generated(text, "numpy")
    points = random_points(text, inputs)
    value, gradient = grad(*(np.array([p[k] for p in points]) for k in inputs))  # all points in one call
    assert value.shape == (POINTS,) and all(d.shape == (POINTS,) for d in gradient)
    for i, point in enumerate(points):
        expected_value, expected = eval_at(text, point)
        scale = max([abs(expected_value), *map(abs, expected.values()), 1.0])
        assert ulps_apart(expected_value, float(value[i]), scale) <= SWEEP_ULPS, (text, point)
        for k, d in zip(inputs, gradient):
            assert ulps_apart(expected[k], float(d[i]), scale) <= SWEEP_ULPS, (text, point, k)


@pytest.mark.parametrize("text", PROGRAMS[1:6] + PROGRAMS[12:14] + PROGRAMS[16:18])
def test_hessian_function_equals_gradcli_hessian(text):
    hess, inputs, code = generated(text, "python", order=2)
    hess_np, _, _ = generated(text, "numpy", order=2)
    assert "_hessian(" in code
    for point in random_points(text, inputs, 12):
        g = session.evaluate(Source(text), [f"{k}={v!r}" for k, v in point.items()], Request())
        h = session.hessian(g)
        triangle = [h.matrix[i][j] for i in range(len(inputs)) for j in range(i, len(inputs))]
        args = [point[k] for k in inputs]
        value, gradient, upper = hess(*args)
        assert bits(value) == bits(h.value) and [bits(x) for x in gradient] == [bits(x) for x in h.gradient]
        assert [bits(x) for x in upper] == [bits(x) for x in triangle], (text, point)
        _, _, upper_np = hess_np(*args)
        scale = max([1.0, *map(abs, triangle)])
        assert all(ulps_apart(e, float(x), scale) <= 2 * SWEEP_ULPS for e, x in zip(triangle, upper_np)), (text, point)


def test_third_derivative_in_one_input_against_sympy():
    text = "y = x**3 * exp(-x) + sin(x)*log(x)"
    f, inputs, code = generated(text, "python", order=3, wrt=["x"])
    f_np, _, _ = generated(text, "numpy", order=3, wrt=["x"])
    assert "def y_d3(x):" in code and "Returns: y, d3y_dx3" in code
    x = sp.Symbol("x")
    d3 = sp.lambdify(x, sp.diff(x**3 * sp.exp(-x) + sp.sin(x) * sp.log(x), x, 3), "mpmath")
    xs = [0.3 + 0.05 * i for i in range(30)]
    values, thirds = f_np(np.array(xs))
    for i, point in enumerate(xs):
        value, third = f(point)
        assert value == eval_at(text, {"x": point})[0]
        assert third == pytest.approx(float(d3(point)), rel=1e-12, abs=1e-12)
        assert float(thirds[i]) == pytest.approx(third, rel=1e-13, abs=1e-13)


def test_one_wrt_at_order_one_returns_a_one_tuple_and_defaults_come_from_bindings():
    f, inputs, code = generated("L = a*b + sin(a)", "python", wrt=["a"], texts=["b=2"])
    assert "def L_grad(a, b=2.0):" in code and "Returns: L, (dL_da,)" in code
    assert f(1.0) == (2.0 + math.sin(1.0), (2.0 + math.cos(1.0),))


@pytest.mark.parametrize(
    "text, point",
    [
        ("y = relu(x) + abs(x)", {"x": 0.0}),
        ("y = relu(x) * abs(x - 1)", {"x": 1.0}),
        ("y = min(a, b) + max(a, b)*a", {"a": 0.5, "b": 0.5}),
        ("y = max(a*a, b) - min(b, a)", {"a": 1.0, "b": 1.0}),
        ("y = where(a > b, a, b*b) + sign(a - b)", {"a": 2.0, "b": 2.0}),
    ],
)
def test_kinks_follow_gradclis_conventions(text, point):
    value, gradient = eval_at(text, point)
    for to in ("python", "numpy"):
        f, inputs, _ = generated(text, to)
        got_value, got = f(*(point[k] for k in inputs))
        assert float(got_value) == value and [float(x) for x in got] == [gradient[k] for k in inputs], to


def test_keyword_and_builtin_collisions_are_renamed_consistently():
    text = "lambda = 1.5\ny = lambda*int + e*sin(int) + np*math - def/e + _x*class"
    f, inputs, code = generated(text, "python")
    assert "def y_grad(lambda_, int_, e_, np_, math_, def_, _x_, class_):" in code
    assert "lambda_ (lambda)" in code  # the docstring names each renamed input
    point = dict(zip(inputs, [1.5, 0.7, 1.1, 0.4, 1.3, 0.9, 0.6, 1.7]))
    value, gradient = eval_at(text, point)
    got_value, got = f(*point.values())
    assert got_value == value and list(got) == [gradient[k] for k in inputs]
    f_np, _, _ = generated(text, "numpy")
    assert float(f_np(*point.values())[0]) == pytest.approx(value, rel=1e-14)


@pytest.mark.parametrize(
    "text, x, op, operands",
    [
        ("y = log(x)", -1.0, "log", [-1.0]),
        ("y = sqrt(x) + 1", -2.0, "sqrt", [-2.0]),
        ("y = acos(x)", 2.0, "acos", [2.0]),
        ("y = 3/x", 0.0, "div", [3.0, 0.0]),
        ("y = x**0.5", -1.0, "pow", [-1.0, 0.5]),
        ("y = x**-1.0", 0.0, "pow", [0.0, -1.0]),
        ("y = exp(x)", 1000.0, "exp", [1000.0]),
        ("y = log1p(x)", -3.0, "log1p", [-3.0]),
    ],
)
def test_domain_errors_raise_valueerror_with_gradclis_message_or_give_nan(text, x, op, operands):
    f, _, _ = generated(text, "python")
    overflow = op == "exp"
    expected = math_error(BY_NAME[op], [Value(v) for v in operands], OverflowError() if overflow else ValueError())
    with pytest.raises(ValueError) as caught:
        f(x)
    assert str(caught.value) == expected.message
    with pytest.raises(session.MathError):  # gradcli raises there too
        eval_at(text, {"x": x})
    f_np, _, _ = generated(text, "numpy")
    value, _ = f_np(np.array([x, 0.5]))
    assert math.isnan(value[0]) or (math.isinf(value[0]) and op in ("div", "pow", "exp"))


def test_domain_error_messages_read_as_gradclis():
    f, _, _ = generated("y = log(x)", "python")
    with pytest.raises(ValueError, match=r"^log\(x\) is undefined at x = -1$"):
        f(-1.0)
    f, _, _ = generated("y = 1/x", "python")
    with pytest.raises(ValueError, match=r"^division by zero in x1/x2 \(x1 = 1, x2 = 0\)$"):
        f(0.0)


def test_cli_to_python_and_numpy(gradcli):
    result = gradcli("diff", "L = a*b + sin(a)", "a=1", "b=2", "--to", "python")
    assert result.exit_code == 0, result.stderr
    namespace: dict = {}
    exec(result.stdout, namespace)
    assert namespace["L_grad"]() == (2.0 + math.sin(1.0), (2.0 + math.cos(1.0), 1.0))
    result = gradcli("diff", "L = a*b + sin(a)", "--order", "2", "--to", "numpy")
    assert result.exit_code == 0, result.stderr
    exec(result.stdout, namespace)
    value, gradient, upper = namespace["L_hessian"](np.array([1.0, 2.0]), 2.0)
    assert list(upper[0]) == [-math.sin(1.0), -math.sin(2.0)] and list(upper[1]) == [1.0, 1.0]
    assert list(upper[2]) == [0.0, 0.0]  # a constant derivative has the broadcast shape too
    default = gradcli("diff", "L = a*b + sin(a)")
    assert default.stdout == gradcli("diff", "L = a*b + sin(a)", "--to", "gradcli").stdout


def test_unknown_target_exits_2_listing_the_targets(gradcli):
    result = gradcli("diff", "y = x*x", "--to", "fortran")
    assert result.exit_code == 2
    assert "--to fortran: not a target (targets: gradcli, python, numpy, c, javascript, latex)" in result.stderr


def test_api_diff_to_returns_the_source_and_compile_gradient_a_callable():
    import gradcli

    text = "L = exp(a*b) + log(b)"
    g, free = session.diff_graph(Source(text), [], Request())
    assert gradcli.diff(text, None, to="python") == session.diff(g, None, 1, False, free, "python")
    assert gradcli.diff(text, "a", to="gradcli") == session.diff(g, "a", 1, False, free, "gradcli")
    grad = gradcli.compile_gradient(text)
    hess = gradcli.compile_gradient(text, order=2, to="numpy")
    for point in random_points(text, ["a", "b"], 50):
        value, gradient = eval_at(text, point)
        assert grad(point["a"], point["b"]) == (value, (gradient["a"], gradient["b"]))
        assert float(hess(point["a"], point["b"])[0]) == pytest.approx(value, rel=1e-15)
    assert gradcli.compile_gradient("y = x*x", point={"x": 3})() == (9.0, (6.0,))
    with pytest.raises(TypeError, match="program as a string"):
        gradcli.diff(lambda x: x * x, "x", to="python")
    with pytest.raises(ValueError, match="python or numpy"):
        gradcli.compile_gradient("y = x", to="gradcli")


def test_an_input_named_as_a_derivative_keeps_its_value():
    """An input dy_dx and the derivative dy/dx: the derivative's statement `dy_dx = ...` overwrote
    the input before a later derivative read it (every target; C and JavaScript declared it twice).
    The derivative takes another name; every returned number is eval's."""
    text = "y = dy_dx*dy_dx*x"
    point = {"dy_dx": 3.0, "x": 2.0}
    value, gradient = eval_at(text, point)
    f, inputs, code = generated(text, "python", wrt=["x", "dy_dx"])
    assert f(**point) == (value, (gradient["x"], gradient["dy_dx"]))
    g, free = session.diff_graph(Source(text), [f"{k}={v!r}" for k, v in point.items()], Request())
    program = session.diff(g, ["x", "dy_dx"], 1, False, free, "gradcli")
    rows = session.evaluate(Source(program), [], Request())
    assert rows.output.data == gradient["dy_dx"]
