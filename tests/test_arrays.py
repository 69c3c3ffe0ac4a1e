"""Arrays and Jacobians (issue 13, DESIGN §6.4): values, gradients and Jacobians against SymPy
(NumPy object arrays of SymPy symbols run the same program text with NumPy's own broadcasting,
@, indexing and slicing), broadcasting against NumPy for every pair of shapes up to 2-D, the
matrix MLP against micrograd's nn.MLP, bad input, and the CLI's contract (JSON keys, --of y[0],
--bindings FILE)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from gradcli import Value
from gradcli.build.array_values import ShapeError
from gradcli.build.bindings import parse_bindings
from gradcli.build.standard import build, evaluate
from gradcli.core.errors import BindingError, GradcliError, NameError_, UsageError
from gradcli.lang.parser import parse

ROOT = Path(__file__).resolve().parent.parent

# -- the SymPy oracle --------------------------------------------------------------------------


def _vec(fn):
    return np.vectorize(fn, otypes=[object])


def _softmax(a, axis=-1):
    e = _vec(sp.exp)(a)
    return e / np.sum(e, axis=axis, keepdims=True)


ORACLE_FUNCTIONS = {
    "tanh": _vec(sp.tanh),
    "exp": _vec(sp.exp),
    "log": _vec(sp.log),
    "sqrt": _vec(sp.sqrt),
    "sin": _vec(sp.sin),
    "sigmoid": _vec(lambda v: 1 / (1 + sp.exp(-v))),
    "sum": lambda a, axis=None: np.sum(a, axis=axis),
    "mean": lambda a, axis=None: np.sum(a, axis=axis) / (np.size(a) if axis is None else np.shape(a)[axis]),
    "prod": lambda a, axis=None: np.prod(a, axis=axis),
    "norm": lambda a: sp.sqrt(np.sum(a * a)),
    "dot": np.dot,
    "transpose": np.transpose,
    "len": len,
    "softmax": _softmax,
    "logsumexp": lambda a, axis=None: _vec(sp.log)(np.sum(_vec(sp.exp)(a), axis=axis)),
}


def symbols_for(name: str, value) -> np.ndarray:
    shape = np.shape(value)
    flat = [sp.Symbol(name + ("[" + ",".join(map(str, i)) + "]" if shape else "")) for i in np.ndindex(*shape)]
    return np.array(flat, dtype=object).reshape(shape) if shape else flat[0]


def oracle(expr: str, inputs: dict) -> tuple[np.ndarray, dict[str, float], list[str]]:
    """The expression's value and its Jacobian (outputs x input elements), exactly, by SymPy."""
    env = {name: symbols_for(name, v) for name, v in inputs.items()}
    out = np.asarray(eval(expr, {"__builtins__": {}}, {**ORACLE_FUNCTIONS, **env}), dtype=object)
    subs = {}
    labels = []
    for name, v in inputs.items():
        syms = np.asarray(env[name], dtype=object).ravel()
        for s, x in zip(syms, np.ravel(v)):
            subs[s] = sp.Float(float(x), 40)
            labels.append(s.name)
    value = np.array([float(sp.N(e.xreplace(subs), 30)) for e in out.ravel()]).reshape(out.shape)
    symbols = [sp.Symbol(label) for label in labels]
    jac = np.array([[float(sp.N(sp.diff(e, s).xreplace(subs), 30)) for s in symbols] for e in out.ravel()])
    return value, jac, labels


def literal(value) -> str:
    return json.dumps(np.asarray(value).tolist()) if np.ndim(value) else repr(float(value))


def program(expr: str, inputs: dict) -> str:
    return "\n".join(f"{name} = {literal(v)}" for name, v in inputs.items()) + f"\ny = {expr}"


def assert_close(got, want, rtol=1e-12, atol=1e-13):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float), rtol=rtol, atol=atol)


# Each: an expression of x (n,), W (m, n), b (m,), s (a scalar), P (n, m).
TEMPLATES = [
    "tanh(W @ x + b)",
    "softmax(W @ x + b)",
    "logsumexp(W @ x * s) + sum(b**2)",
    "mean(exp(-x)) * norm(W)",
    "sum(sigmoid(W) * b[0], 0) - x",
    "prod(x[1:] + 2) / (1 + s**2)",
    "W @ transpose(W) @ b",
    "transpose(P) @ x + b / s",
    "dot(x, x) * W[-1] + W[0, 0]",
    "softmax(W * s, 0)",
    "sum(log(W * W + 1), 1) + len(x)",
    "(P @ W)[1:, ::2] * s",
    "x @ P + b - W[:, 0]",
    "sqrt(x * x + s * s) ** 2",
    "sum(softmax(P)) + mean(P, 0) @ b",
    "logsumexp(W, 1) - b",
    "sin(x[::-1] * x[-1])",
]


def random_inputs(rng: random.Random) -> dict:
    n, m = rng.choice([2, 3]), 3
    draw = lambda *shape: np.array([rng.uniform(-1.5, 1.5) for _ in range(int(np.prod(shape)))]).reshape(shape)  # noqa: E731
    return {"x": draw(n), "W": draw(m, n), "b": draw(m), "s": rng.uniform(0.5, 1.5), "P": draw(n, m)}


@pytest.mark.parametrize("expr", TEMPLATES)
def test_random_programs_against_sympy(expr):
    """Values, gradients (shaped like the inputs) and Jacobians to ~1e-12, at random points."""
    rng = random.Random(expr)
    for _ in range(2):
        inputs = random_inputs(rng)
        used = {k: v for k, v in inputs.items() if re.search(rf"\b{k}\b", expr)}
        value, jac, labels = oracle(expr, used)
        graph = evaluate(program(expr, used))
        info = graph.arrays
        if value.ndim:
            assert info.output.shape == value.shape
            assert_close(info.output.data, value)
            assert [y.label for y in info.output.items] == [f"y{s}" for s in _suffixes(value.shape)]
            assert list(graph.inputs) == labels
            assert_close(info.jacobian, jac)
            assert_close([x.grad for x in graph.inputs.values()], jac.sum(axis=0))  # d sum(y) / d input
        else:
            assert_close(graph.output.data, value)
            assert_close([graph.inputs[label].grad for label in labels], jac[0])


def _suffixes(shape):
    return ["[" + ",".join(map(str, i)) + "]" for i in np.ndindex(*shape)]


# -- broadcasting against NumPy ---------------------------------------------------------------

SHAPES = [(), (1,), (2,), (3,), (1, 1), (1, 2), (2, 1), (2, 2), (1, 3), (3, 1), (2, 3), (3, 2)]


def _numbers(shape, start: float) -> np.ndarray:
    return np.arange(start, start + max(1, int(np.prod(shape)))).reshape(shape) / 7.0 + 0.25


@pytest.mark.parametrize("op", ["+", "*", "/", "-", "**"])
def test_broadcasting_every_pair_of_shapes_as_numpy(op):
    for sa, sb in itertools.product(SHAPES, SHAPES):
        a, b = _numbers(sa, 1.0), _numbers(sb, 3.0)
        try:
            want = eval(f"a {op} b")
        except ValueError:
            want = None
        src = f"a = {literal(a)}\nb = {literal(b)}\ny = a {op} b"
        if want is None:
            with pytest.raises(ShapeError) as info:
                evaluate(src)
            assert str(sa) in info.value.message and str(sb) in info.value.message
            assert info.value.column == src.splitlines()[2].index(op) + 1  # the caret is on the operator
            continue
        graph = evaluate(src)
        array = graph.arrays.output if graph.arrays is not None else None
        got = array.data if array is not None else graph.output.data
        assert np.shape(got) == np.shape(want), (sa, sb)
        assert_close(got, want, rtol=1e-15, atol=0)


def test_functions_of_two_and_three_arguments_broadcast():
    graph = evaluate("x = [1, -2, 3]\nW = [[0.5], [-1]]\ny = max(x, W) + atan2(W, x) + where(x > 0, W, x)")
    x, W = np.array([1.0, -2, 3]), np.array([[0.5], [-1]])
    want = np.maximum(x, W) + np.arctan2(W, x) + np.where(x > 0, W, x)
    assert_close(graph.arrays.output.data, want, rtol=1e-15)


# -- the matrix MLP against micrograd's nn.MLP --------------------------------------------------


class Neuron:  # micrograd/nn.py (MIT), transcribed: the same arithmetic in the same order
    def __init__(self, nin, rng, value, nonlin=True):
        self.w = [value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = value(0)
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act


class MLP:
    def __init__(self, nin, nouts, rng, value):
        sz = [nin] + nouts
        self.layers = [
            [Neuron(sz[i], rng, value, nonlin=i != len(nouts) - 1) for _ in range(sz[i + 1])] for i in range(len(nouts))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = [n(x) for n in layer]
        return x[0] if len(x) == 1 else x


def _mlp_program(model, xs, ys) -> str:
    lines = []
    for k, layer in enumerate(model.layers, 1):
        lines.append(f"W{k} = {json.dumps([[w.data for w in n.w] for n in layer])}")
        lines.append(f"b{k} = {json.dumps([n.b.data for n in layer])}")
    lines += [
        f"X = {json.dumps(xs)}",
        f"Y = {json.dumps(ys)}",
        "H1 = relu(X @ transpose(W1) + b1)",
        "H2 = relu(H1 @ transpose(W2) + b2)",
        "out = (H2 @ transpose(W3) + b3)[:, 0]",
        "loss = sum((out - Y)**2)",
    ]
    return "\n".join(lines)


def _micrograd_values():
    yield "gradcli.Value", Value
    try:
        from micrograd.engine import Value as MicrogradValue
    except ImportError:
        return
    yield "micrograd", MicrogradValue


@pytest.mark.parametrize("impl, value", list(_micrograd_values()))
def test_matrix_mlp_matches_micrograds_nn_mlp(impl, value):
    rng = random.Random(1)
    model = MLP(3, [4, 4, 1], rng, value)
    xs = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(5)]
    ys = [rng.choice((-1.0, 1.0)) for _ in range(5)]
    loss = sum(((model(x) - y) ** 2 for x, y in zip(xs, ys)), value(0.0))
    loss.backward()
    graph = evaluate(_mlp_program(model, xs, ys))
    assert graph.output.data == pytest.approx(loss.data, rel=1e-14)
    for k, layer in enumerate(model.layers, 1):
        for i, neuron in enumerate(layer):
            for j, w in enumerate(neuron.w):
                assert graph.inputs[f"W{k}[{i},{j}]"].grad == pytest.approx(w.grad, rel=1e-12, abs=1e-15)
            assert graph.inputs[f"b{k}[{i}]"].grad == pytest.approx(neuron.b.grad, rel=1e-12, abs=1e-15)


def test_mlp_example_equals_the_unrolled_one():
    matrix = evaluate((ROOT / "examples/mlp.grad").read_text())
    unrolled = evaluate((ROOT / "examples/mlp_unrolled.grad").read_text())
    assert matrix.output.data == pytest.approx(unrolled.output.data, rel=1e-15)
    pairs = {"W1[0,0]": "w11", "W1[0,1]": "w12", "W1[1,0]": "w21", "W1[1,1]": "w22", "b1[0]": "b1", "b1[1]": "b2"}
    pairs |= {"v[0]": "v1", "v[1]": "v2", "c": "c", "x[0]": "x1", "x[1]": "x2", "t": "t"}
    for label, name in pairs.items():
        assert matrix.inputs[label].grad == pytest.approx(unrolled.inputs[name].grad, rel=1e-14)


def test_softmax_example_cross_entropy_gradient_is_p_minus_onehot():
    graph = evaluate((ROOT / "examples/softmax.grad").read_text())
    W, x, b = (np.array(graph.arrays.names[n].data) for n in ("W", "x", "b"))
    target = int(re.search(r"z\[(\d+)\]", (ROOT / "examples/softmax.grad").read_text())[1])
    z = W @ x + b
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    assert graph.output.data == pytest.approx(-np.log(p[target]), rel=1e-14)
    onehot = np.eye(len(z))[target]
    dz = p - onehot
    assert_close([graph.inputs[f"b[{i}]"].grad for i in range(len(z))], dz, rtol=1e-13, atol=1e-16)
    dW = np.outer(dz, x)
    assert_close([[graph.inputs[f"W[{i},{j}]"].grad for j in range(len(x))] for i in range(len(z))], dW, rtol=1e-12)


# -- the language: literals, indexing, reductions ----------------------------------------------


def test_indexing_negative_indices_slices_rows_and_columns():
    graph = evaluate(
        "W = [[1, 2, 3],\n     [4, 5, 6]]\n"
        "y = [W[1, -1], W[-2, 0], sum(W[0]), sum(W[:, 1]), sum(W[1, ::2]), sum(W[:, 1:][1]), len(W), len(W[0])]"
    )
    assert graph.arrays.output.data == [6, 1, 6, 7, 10, 11, 2, 3]


def test_each_element_is_a_labelled_node_and_the_json_nests_gradients(eval_json):
    doc = eval_json("W = [[1, 2], [3, 4]]\nx = [0.5, -1]\nh = tanh(W @ x)\nL = sum(h)")
    labels = [n["label"] for n in doc["nodes"]]
    assert labels[:6] == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "x[0]", "x[1]"]
    assert {"W[0,0]*x[0]", "(W @ x)[0]", "h[0]", "h[1]", "L"} <= set(labels)
    z = np.array([[1, 2], [3, 4]]) @ np.array([0.5, -1])
    dz = 1 - np.tanh(z) ** 2
    assert doc["value"] == pytest.approx(np.tanh(z).sum(), rel=1e-15)
    assert_close(doc["gradients"]["W"], np.outer(dz, [0.5, -1]), rtol=1e-14)
    assert_close(doc["gradients"]["x"], np.array([[1, 2], [3, 4]]).T @ dz, rtol=1e-14)
    assert doc["shapes"] == {"W": [2, 2], "x": [2]}
    assert "jacobian" not in doc


def test_array_output_reports_the_jacobian_in_json(eval_json):
    doc = eval_json("x = [1, 2, 3]\na = 2\ny = a * x**2")
    assert doc["output"] == "y" and doc["value"] == [2.0, 8.0, 18.0] and doc["shape"] == [3]
    jac = doc["jacobian"]
    assert jac["outputs"] == ["y[0]", "y[1]", "y[2]"]
    assert jac["inputs"] == ["x[0]", "x[1]", "x[2]", "a"]
    assert jac["matrix"] == [[4.0, 0, 0, 1.0], [0, 8.0, 0, 4.0], [0, 0, 12.0, 9.0]]
    assert doc["gradients"] == {"x": [4.0, 8.0, 12.0], "a": 14.0}  # d sum(y) / d input


def test_of_one_element_makes_a_scalar_output(eval_json):
    doc = eval_json("x = [1, 2, 3]\ny = x**2", "--of", "y[-1]")
    assert doc["output"] == "y[2]" and doc["value"] == 9.0 and "jacobian" not in doc
    assert doc["gradients"] == {"x": [0.0, 0.0, 6.0]}
    whole = eval_json("x = [1, 2, 3]\ny = x**2\nz = sum(y)", "--of", "y")
    assert whole["jacobian"]["matrix"] == [[2.0, 0, 0], [0, 4.0, 0], [0, 0, 6.0]]


def test_bindings_on_the_command_line_and_from_a_file(gradcli, eval_json, tmp_path):
    doc = eval_json("y = sum(W @ x) * a", "x=[1, 2]", "W=[[1,0],[0,2]]", "a=pi/4")
    assert doc["value"] == pytest.approx(5 * np.pi / 4, rel=1e-15)
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"x": [1, 2], "W": [[1, 0], [0, 2]], "a": "pi/4"}))
    assert eval_json("y = sum(W @ x) * a", "--bindings", path)["value"] == doc["value"]
    assert eval_json("y = sum(W @ x) * a", "--bindings", path, "a=2")["value"] == 10.0  # arguments override
    many = {f"x{i}": i for i in range(20000)}  # more than the OS allows as arguments
    path.write_text(json.dumps(many))
    assert eval_json(" + ".join(f"x{i}" for i in range(200)), "--bindings", path)["value"] == sum(range(200))


def test_hessian_flattens_array_inputs_row_major(gradcli):
    result = gradcli("hessian", "W = [[1, 2], [3, 4]]\nx = [1, -1]\nL = sum((W @ x)**2)", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["inputs"] == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "x[0]", "x[1]"]
    W = np.array([[1.0, 2], [3, 4]])
    assert_close(np.array(doc["hessian"])[4:, 4:], 2 * W.T @ W, rtol=1e-15)


def test_check_and_explain_work_on_array_programs(gradcli):
    src = "W = [[1, 2], [3, 4]]\nx = [0.5, -1]\nL = logsumexp(W @ x) + norm(x)"
    result = gradcli("check", src, "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert [r["name"] for r in json.loads(result.stdout)["results"]][:2] == ["W[0,0]", "W[0,1]"]
    assert gradcli("explain", src).exit_code == 0
    assert gradcli("eval", src, "--expand", "--format", "json").exit_code == 0


def test_check_claims_name_elements_and_read_arrays(gradcli):
    """--expect x[0]=..., x[-1] (read as x[2]), W[1, 0]; claims that read elements and reduce arrays;
    at the given point and at sample points (where the claims are evaluated again)."""
    src = "L = sum(x**3) + a*x[1] + sum(W @ x)"
    claims = ["x[0]=3*x[0]**2 + W[0,0] + W[1,0]", "x[-1]=3*x[2]**2 + W[0,2] + W[1,2]",
              "a=x[1]", "W[1, 0]=x[0]", "x[1]=3*x[1]**2 + a + sum(transpose(W)[1])"]  # fmt: skip
    args = ["check", src, "x=[1, 2, -0.5]", "a=3", "W=[[1, 0, 2], [0.5, -1, 1]]", "--samples", "2", "--format", "json"]
    result = gradcli(*args, *(f"--expect={c}" for c in claims))
    assert result.exit_code == 0, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    rows = [r for r in doc["results"] if r["name"].startswith("expect:")]
    assert [r["name"] for r in rows[:5]] == ["expect:x[0]", "expect:x[2]", "expect:a", "expect:W[1,0]", "expect:x[1]"]
    assert len(rows) == 15 and all(r["status"] == "pass" for r in rows) and doc["ok"]
    assert [r["analytic"] for r in rows[:5]] == [4.5, 3.75, 2.0, 1.0, 14.0]  # 3+1+0.5, 0.75+2+1, 2, 1, 12+3-1


@pytest.mark.parametrize(
    ("claim", "message"),
    [
        ("x=1", "expect x=1: 'x' is an array of shape (2,): claim one element's gradient"),
        ("x[2]=1", "expect x[2]=1: no element x[2] in 'x' (shape (2,))"),
        ("x[0]=2*x", "expect x[0]=2*x: the claim is an array of shape (2,), not a number"),
    ],
)
def test_bad_claims_on_arrays_exit_2(gradcli, claim, message):
    result = gradcli("check", "L = sum(x*x)", "x=[1, 2]", "--expect", claim, "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stderr)["error"]["message"] == message


def test_check_of_a_function_called_with_arrays(gradcli):
    src = "loss(W, x) = sum(tanh(W @ x)**2)\nL = loss(M, v)"
    result = gradcli("check", src, "M=[[1, 0.5], [-0.3, 2]]", "v=[0.5, -0.5]", "--samples", "2", "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    assert doc["ok"] and len(doc["results"]) == 18  # 6 elements at 3 points


def test_expand_keeps_the_jacobian(eval_json):
    plain = eval_json("x = [0.3, -0.2]\ny = tanh(x) / (1 + x)")
    expanded = eval_json("x = [0.3, -0.2]\ny = tanh(x) / (1 + x)", "--expand")
    assert_close(expanded["jacobian"]["matrix"], plain["jacobian"]["matrix"], rtol=1e-14)


def test_min_and_max_reduce_with_ties_split():
    graph = evaluate("x = [1, 3, 3]\ny = max(x) + min(x)")
    assert graph.output.data == 4.0
    assert [graph.inputs[f"x[{i}]"].grad for i in range(3)] == [1.0, 0.5, 0.5]


def test_softmax_and_logsumexp_do_not_overflow():
    graph = evaluate("x = [1000, 1001, 999]\ny = logsumexp(x) + softmax(x)[1]")
    x = np.array([1000.0, 1001, 999])
    lse = 1001 + np.log(np.exp(x - 1001).sum())
    assert graph.output.data == pytest.approx(lse + np.exp(0) / np.exp(x - 1001).sum(), rel=1e-15)


def test_scalar_programs_are_unchanged():
    graph = evaluate("a = 2.0\nb = -3.0\nL = a*b")
    assert graph.arrays is None and graph.gradients() == {"a": -3.0, "b": 2.0}


# -- bad input: exit 2 with the shapes, a caret --------------------------------------------------


@pytest.mark.parametrize(
    "src, cls, message, caret",
    [
        ("x = [[1, 2], [3]]", ShapeError, "ragged array: element 1 has shape (2,) but element 2 has shape (1,)", "["),
        ("x = [1, 2]\ny = x + [1, 2, 3]", ShapeError, "shapes (2,) and (3,) do not broadcast", "+"),
        ("W = [[1, 2]]\nx = [1, 2, 3]\ny = W @ x", ShapeError, "shapes (1, 2) and (3,) do not match for @", "@"),
        ("x = [1, 2]\ny = x[2]", ShapeError, "index 2 is out of range for axis 0", "x"),
        ("x = [1, 2]\ny = x[-3]", ShapeError, "index -3 is out of range", "x"),
        ("x = [1, 2]\ny = x[0, 0]", ShapeError, "too many indices", "x"),
        ("x = [1, 2]\ny = x[::0]", ShapeError, "slice step 0", ":"),
        ("x = [1, 2]\ny = 2 @ x", ShapeError, "left operand is a scalar", "@"),
        ("a = 2\ny = len(a)", ShapeError, "len of a scalar", "l"),
        ("a = 2\ny = a[0]", ShapeError, "cannot index a scalar", "a"),
        ("x = [1, 2]\ny = x[x]", ShapeError, "an index must be a whole number, not an array of shape (2,)", "x"),
        ("x = [1, 2]\ni = 1\ny = x[i]", ShapeError, "an index must be a number written in the program", "x"),
        ("x = [1, 2]\ny = x[0.5]", ShapeError, "whole number, got 0.5", "x"),
        ("x = [[[1]]]", ShapeError, "at most 2 dimensions", "["),
        ("x = []", ShapeError, "empty array", "["),
        ("x = [1, 2]\ny = sum(x, 1)", ShapeError, "axis 1 is out of range for shape (2,)", "s"),
        ("y = sum(1, 2, 3)", NameError_, "sum takes 1 or 2 argument(s), got 3", "s"),
        ("a = 1\ny = max(a)", NameError_, "max takes 2 arguments, got 1", "m"),
    ],
)
def test_bad_array_programs(src, cls, message, caret):
    with pytest.raises(cls) as info:
        evaluate(src)
    exc = info.value
    assert message in exc.message
    line = src.splitlines()[exc.line - 1]
    assert line[exc.column - 1] == caret


def test_a_binding_of_another_shape_than_the_default_is_refused():
    program = parse("x = [1, 2, 3]\ny = sum(x)")
    with pytest.raises(BindingError, match=r"'x' is bound to a value of shape \(2,\), but the program's default"):
        build(program, parse_bindings(["x=[1, 2]"]))
    with pytest.raises(BindingError, match="a scalar"):
        build(program, parse_bindings(["x=2"]))
    assert build(program, parse_bindings(["x=[4, 5, 6]"])).output.data == 15.0


@pytest.mark.parametrize(
    "args, message",
    [
        (["y = x * 2", "x=[[1,2],[3]]"], "ragged"),
        (["x = [1, 2]\ny = x * 2", "--of", "y[5]"], "index 5 is out of range"),
        (["x = [1, 2]\ny = sum(x)", "--of", "y[0]"], "'y' is a scalar"),
    ],
)
def test_bad_bindings_and_of_exit_2(gradcli, args, message):
    result = gradcli("eval", *args)
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["check", "explain", "hessian"])
def test_commands_that_need_a_scalar_refuse_an_array_output(gradcli, command):
    result = gradcli(command, "x = [1, 2]\ny = x * 2")
    assert result.exit_code == 2
    assert "y is an array of shape (2,)" in result.stderr and "--of y[0]" in result.stderr


def test_bindings_file_errors(gradcli, tmp_path):
    path = tmp_path / "b.json"
    for text, message in [
        ("[1, 2]", "expected a JSON object"),
        ("{", "not valid JSON"),
        ('{"x": [1, "a"]}', "expected a number or a list of numbers"),
        ('{"x": [[1, 2], [3]]}', "ragged"),
        ('{"pi": 3}', "built-in"),
        ('{"x": true}', "expected a number"),
    ]:
        path.write_text(text)
        result = gradcli("eval", "y = x * 2", "--bindings", path)
        assert result.exit_code == 2 and message in result.stderr, (text, result.stderr)
    result = gradcli("eval", "y = x * 2", "--bindings", tmp_path / "missing.json")
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_errors_are_gradcli_errors_never_tracebacks(gradcli):
    for src in [
        "y = [1, 2",
        "y = [1, 2]]",
        "y = x[",
        "y = [1,,2]",
        "y = @x",
        "y = x[1:2:3:4]",
        "y = [1, 2] @ [[1], [2], [3]]",
    ]:
        result = gradcli("eval", src, "x=[1, 2, 3]")
        assert result.exit_code == 2 and "Traceback" not in result.stderr and "internal error" not in result.stderr, (
            src,
            result.stderr,
        )
    assert issubclass(ShapeError, UsageError) and issubclass(ShapeError, GradcliError)


def test_pretty_output_groups_each_array_on_one_row(gradcli):
    result = gradcli("eval", "-f", ROOT / "examples/mlp.grad", "--no-color", env={"COLUMNS": "100"})
    assert result.exit_code == 0
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.count("│") == 5}
    cells = [c.strip() for c in rows["W1"].split("│")[2:4]]
    assert cells == ["(2, 2)", "[[0.1, -0.4], [0.7, 0.2]]"]
    assert set(rows) >= {"x", "W1", "b1", "h", "v"}


# -- sweep and plot: an array binding is one value, not a swept list ----------------------------


def test_is_swept_reads_a_bracketed_value_as_an_array():
    from gradcli.analysis.points import is_swept

    texts = ("x=[1,2]", "W=[[1, 2], [3, 4]]", "a=1,2", "a=0:1:3", "a=max(1,2)", "a=sum([1,2])")
    assert [is_swept(t) for t in texts] == [False, False, True, True, False, False]


def test_sweep_with_an_array_binding(gradcli):
    result = gradcli("sweep", "L = sum(x*x)*a", "x=[1, 2]", "a=0:1:3")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["x[0]", "x[1]", "a", "L", "dL/dx[0]", "dL/dx[1]", "dL/da", "status"]
    assert [[float(v) for v in row[:-1]] for row in rows[1:]] == [
        [1, 2, 0, 0, 0, 0, 5], [1, 2, 0.5, 2.5, 1, 2, 5], [1, 2, 1, 5, 2, 4, 5],
    ]  # fmt: skip


def test_plot_with_an_array_binding(gradcli):
    result = gradcli("plot", "L = sum(x*x)*a", "x=[1, 2]", "a=0:1", "--width", "60")
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x = [1, 2]\nL = sum(x*x)*a", "x=0:1:3", "a=1"], "'x' is an array: sweeping an array input is not supported"),
        (["L = sum(x*x)*a", "x=[1, 2]", "x[0]=0:1:3", "a=1"],
         "bad sweep 'x[0]=0:1:3': sweeping one element of an array is not supported"),
    ],
)  # fmt: skip
def test_sweeping_an_array_is_a_clear_error(gradcli, args, message):
    result = gradcli("sweep", *args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == f"error: {message}"
