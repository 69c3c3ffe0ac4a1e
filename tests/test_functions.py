"""User functions (gradcli.build.functions): values and gradients against SymPy, exact f' and f'',
labels, every error with its message, libraries given with -f twice, eval's start-up."""

import json
import math
import os
import subprocess
import sys

import pytest
import sympy as sp

from gradcli.build.standard import evaluate
from gradcli.core.errors import GradcliError, MathError, NameError_, SyntaxError_

a_, b_ = sp.symbols("a b")


def _grads(graph) -> dict:
    return graph.gradients()


def _close(x: float, y: float) -> None:
    assert x == pytest.approx(float(y), rel=1e-12, abs=1e-14)


def _against_sympy(program: str, point: dict, expr) -> None:
    graph = evaluate(program, point)
    subs = {sp.Symbol(k): v for k, v in point.items()}
    _close(graph.output.data, expr.subs(subs).evalf(30))
    for name, g in _grads(graph).items():
        _close(g, sp.diff(expr, sp.Symbol(name)).subs(subs).evalf(30))


def test_composition_against_sympy():
    f = lambda x, y: x * y + sp.tanh(x)  # noqa: E731
    g = lambda x: sp.exp(-x) * f(x, 2)  # noqa: E731
    program = "f(x, y) = x*y + tanh(x)\ng(x) = exp(-x)*f(x, 2)\nL = g(f(a, b)) + f(g(b), a)"
    _against_sympy(program, {"a": 0.7, "b": -1.3}, g(f(a_, b_)) + f(g(b_), a_))


def test_shared_arguments_against_sympy():
    """One node passed as both arguments, and an argument used twice in the body."""
    program = "h(x, y) = x**2*y - sin(x*y) + x\nu = a*b\nL = h(u, u) + h(a, a)"
    h = lambda x, y: x**2 * y - sp.sin(x * y) + x  # noqa: E731
    _against_sympy(program, {"a": 1.1, "b": 0.4}, h(a_ * b_, a_ * b_) + h(a_, a_))


def test_one_function_reused_many_times_against_sympy():
    lines = ["step(x, w) = tanh(w*x + 0.1)", "y0 = a"]
    expr = a_
    for i in range(1, 31):
        lines.append(f"y{i} = step(y{i - 1}, b)")
        expr = sp.tanh(b_ * expr + sp.Rational(1, 10))
    _against_sympy("\n".join(lines), {"a": 0.3, "b": 1.7}, expr)


def test_derivatives_are_exact_and_differentiable_again():
    program = "f(x) = x**3 * exp(-x) + log(1 + x*x)\nd1 = f'(a)\nd2 = f''(a)\nL = d1 * d2"
    f = a_**3 * sp.exp(-a_) + sp.log(1 + a_ * a_)
    graph = evaluate(program, {"a": 0.8})
    d1, d2 = sp.diff(f, a_), sp.diff(f, a_, 2)
    _close(graph.names["d1"].data, d1.subs(a_, 0.8).evalf(30))
    _close(graph.names["d2"].data, d2.subs(a_, 0.8).evalf(30))
    _close(graph.gradients()["a"], sp.diff(d1 * d2, a_).subs(a_, 0.8).evalf(30))  # through f' and f''


def test_derivative_of_a_built_in_and_of_a_constant_argument():
    graph = evaluate("y = tanh'(a) + sin''(2)", {"a": 0.5})
    _close(graph.output.data, 1 / math.cosh(0.5) ** 2 - math.sin(2))
    _close(graph.gradients()["a"], sp.diff(1 / sp.cosh(a_) ** 2, a_).subs(a_, 0.5).evalf(30))


def test_hessian_through_calls_against_sympy():
    from gradcli.analysis.hessian import hessian

    graph = evaluate("f(x, y) = x*y**2 + exp(x)\nL = f(a, b) * f(b, a)", {"a": 0.3, "b": -0.6})
    expr = (a_ * b_**2 + sp.exp(a_)) * (b_ * a_**2 + sp.exp(b_))
    h = hessian(graph)
    for i, x in enumerate((a_, b_)):
        for j, y in enumerate((a_, b_)):
            _close(h.matrix[i][j], sp.diff(expr, x, y).subs({a_: 0.3, b_: -0.6}).evalf(30))


def test_labels_name_the_call():
    graph = evaluate("f(x, y) = x*y + tanh(x)\ng(x) = f(x, x)\nL = f(a, 2) + g(a)", {"a": 0.5})
    labels = [n.label for n in graph.nodes]
    assert labels == [
        "a", "2", "f#1.x*y", "f#1.tanh(x)", "f(a, 2)",  # the first call of f, its result named as written
        "g#1.f#1.x*y", "g#1.f#1.tanh(x)", "g(a)",  # g's first call, inside it f's first call
        "L",
    ]  # fmt: skip


def test_a_body_that_is_a_parameter_returns_the_argument():
    graph = evaluate("f(x, y) = y\nL = f(a, b)", {"a": 1.0, "b": 2.0})
    assert graph.output.data == 2.0 and graph.gradients() == {"a": 0.0, "b": 1.0}


ERRORS = [
    ("f(x) = x*a\ny = f(2)", NameError_, "'a' is not a parameter of f: a body sees only its parameters, pi, tau and "
     "earlier functions", (1, 10), "add it as a parameter: f(x, a) = ..."),
    ("f(x) = f(x) + 1\ny = f(2)", NameError_, "f calls itself: there is no recursion", (1, 8),
     "a body may call only functions defined before it, so recursion, direct or mutual, cannot be written"),
    ("f(x) = g(x)\ng(x) = f(x)\ny = f(1)", NameError_, "f calls g, which is defined after it (line 2)", (1, 8),
     "define g before f (a body may call only functions defined before it, so recursion, direct or mutual, "
     "cannot be written)"),
    ("f(sin) = sin*2\ny = f(1)", NameError_, "parameter 'sin' of f is named like the function sin", (1, 3),
     "rename the parameter, e.g. sin_"),
    ("f(pi) = pi\ny = f(1)", NameError_, "parameter 'pi' of f is named like the constant pi", (1, 3),
     "rename the parameter, e.g. pi_"),
    ("f(x, x) = x\ny = f(1, 2)", NameError_, "parameter 'x' appears twice in f(x, x)", (1, 6),
     "give each parameter its own name"),
    ("f(x, y) = x*y\ny = f(1)", NameError_, "f takes 2 arguments (x, y), got 1", (2, 5), None),
    ("sin(x) = x\ny = sin(1)", NameError_, "'sin' is a built-in function and cannot be redefined", (1, 1),
     "give your function another name, such as my_sin"),
    ("f(x) = x\nf = 2", NameError_, "'f' is both a function and a variable (assigned on line 2)", (1, 1),
     "a name is either a function or a variable: rename one of them"),
    ("f(x, y) = x*y\nz = f'(1)", NameError_, "f'(...) differentiates a function of one argument, but f takes 2",
     (2, 5), "for several inputs, :grad and :hessian in the repl, or gradcli hessian / diff --wrt"),
    ("f(x+1) = x\ny = f(1)", SyntaxError_, "a function's parameters must be names", (1, 3),
     "write f(x) = ... and use x in the body"),
    ("y = f(1)\nf(x) = x", NameError_, "'f' is called before its definition (line 2)", (1, 5),
     "move the definition above its first use"),
    ("f(x) = x\nf(x) = 2*x\ny = f(1)", SyntaxError_, "'f' is already defined (line 1)", (2, 1),
     "give the new function another name"),
    ("f() = 2\ny = f()", NameError_, "f() has no parameters: a function needs at least one", (1, 1),
     "for a constant, assign it: f = ..."),
    ("f(x) = x\ny = f + 1", NameError_, "'f' is a function: call it as f(...)", (2, 5), None),
    ("sq(x) = x*x\ny = sqq(2)", NameError_, "unknown function 'sqq'", (2, 5), "did you mean 'sq'?"),
    ("f(x) = x\ny = f'''''''''''(2)", NameError_, "f''''''''''': derivatives of order above 10 are not supported",
     (2, 5), None),
]  # fmt: skip


@pytest.mark.parametrize(("program", "kind", "message", "where", "hint"), ERRORS)
def test_errors_have_a_message_a_caret_and_a_hint(program, kind, message, where, hint):
    with pytest.raises(GradcliError) as info:
        evaluate(program, {"a": 1.0})
    exc = info.value
    assert (type(exc), exc.message, (exc.line, exc.column), exc.hint) == (kind, message, where, hint)


def test_a_math_error_inside_a_call_points_at_the_call():
    with pytest.raises(MathError) as info:
        evaluate("f(x) = log(x)\ny = 2 + f(a)", {"a": -1.0})
    assert (info.value.line, info.value.column, info.value.end_column) == (2, 9, 13)


def test_definitions_alone_are_a_usage_error(gradcli):
    result = gradcli("eval", "f(x) = x*x")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: the program only defines functions: add a statement that uses them",
        "hint: for example: y = f(1.0)",
    ]


# -- libraries: -f twice --------------------------------------------------------------------


@pytest.fixture
def library(tmp_path):
    lib = tmp_path / "lib.grad"
    lib.write_text("sq(x) = x*x\n# cubes\ncube(x) = x*sq(x)")  # no newline at the end
    return lib


def test_a_library_then_a_program(gradcli, library, tmp_path):
    main = tmp_path / "main.grad"
    main.write_text("y = cube(a) + sq(a)\n")
    result = gradcli("eval", "-f", library, "-f", main, "a=2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["value"], doc["gradients"]) == (12.0, {"a": 16.0})  # a^3 + a^2, 3a^2 + 2a


def test_errors_name_the_right_file_and_line(gradcli, library, tmp_path):
    main = tmp_path / "main.grad"
    main.write_text("y = cube(a)\nz = y + q\n")
    result = gradcli("eval", "-f", library, "-f", main, "a=2")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:4] == [
        "error: 'q' has no value",
        f"  --> {main}:2:9",
        "   | z = y + q",
        "   |         ^",
    ]
    bad = tmp_path / "bad.grad"
    bad.write_text("ok(x) = x\nsq(x) = 2*x\n")
    result = gradcli("eval", "-f", library, "-f", bad, "-f", main, "a=2", "--format", "json")
    error = json.loads(result.stderr)["error"]
    assert (error["message"], error["line"], error["column"]) == (f"'sq' is already defined ({library}:1:1)", 2, 1)
    broken = tmp_path / "broken.grad"
    broken.write_text("h(x) = x *\n")
    result = gradcli("eval", "-f", broken, "-f", main, "a=2")
    assert result.stderr.splitlines()[1] == f"  --> {broken}:1:11"


def test_a_single_file_reads_as_before(gradcli, tmp_path):
    main = tmp_path / "p.grad"
    main.write_text("e = a*b\nL = e + q\n")
    result = gradcli("eval", "-f", main, "a=2", "b=3")
    assert result.stderr.splitlines()[1] == f"  --> {main}:2:9"


def test_eval_does_not_import_prompt_toolkit():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    program = "f(x) = x*x\ny = f(a)"
    argv = [sys.executable, "-X", "importtime", "-m", "gradcli", "eval", program, "a=3", "--format", "json"]
    run = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
    assert json.loads(run.stdout)["value"] == 9.0
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if "|" in line}
    assert "gradcli.build.functions" in imported
    assert not any(name.startswith("prompt_toolkit") for name in imported)


# -- functions with arrays: a call with an array argument expands the body ------------------


def _matrix(name: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}[{i},{j}]"))


def _vector(name: str, n: int) -> sp.Matrix:
    return sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"{name}[{i}]"))


def _point(name: str, value) -> dict:
    if isinstance(value[0], list):
        return {sp.Symbol(f"{name}[{i},{j}]"): v for i, row in enumerate(value) for j, v in enumerate(row)}
    return {sp.Symbol(f"{name}[{i}]"): v for i, v in enumerate(value)}


def _against_sympy_arrays(program: str, bindings: dict, expr) -> None:
    """Value and every element's gradient against SymPy (symbols named like gradcli's labels)."""
    graph = evaluate(program, bindings)
    subs = {k: v for name, value in bindings.items() for k, v in _point(name, value).items()}
    _close(graph.output.data, expr.subs(subs).evalf(30))
    grads = graph.gradients()
    assert set(grads) == {str(s) for s in subs}
    for label, g in grads.items():
        _close(g, sp.diff(expr, sp.Symbol(label)).subs(subs).evalf(30))


def test_a_loss_of_arrays_against_sympy():
    W, x, t = _matrix("W1", 3, 2), _vector("x", 2), _vector("t", 3)
    expr = sum(((W * x).applyfunc(sp.tanh) - t).applyfunc(lambda e: e**2))
    program = "loss(W, x, t) = sum((tanh(W @ x) - t)**2)\nL = loss(W1, x, t)"
    point = {"W1": [[0.1, -0.2], [0.3, 0.4], [0.5, -0.6]], "x": [1.0, 2.0], "t": [0.5, -0.5, 0.1]}
    _against_sympy_arrays(program, point, expr)


def test_array_functions_in_a_body_against_sympy():
    """softmax, mean, dot, indexing (negative too), a nested call, the same function twice."""
    x = _vector("x", 3)
    exps = [sp.exp(e) for e in x]
    softmax0 = exps[0] / sum(exps)
    f = lambda v: softmax0 if v is x else None  # noqa: E731
    sq = lambda v: v.applyfunc(lambda e: e * e)  # noqa: E731
    g = lambda v: sum(sq(v)) + (v.T * v)[0] + sp.Add(*v) / 3  # noqa: E731
    expr = f(x) + x[2] + g(x) + g(2 * x)
    program = (
        "sq(v) = v*v\nf(v) = softmax(v)[0] + v[-1]\ng(v) = sum(sq(v)) + dot(v, v) + mean(v)\ny = f(x) + g(x) + g(2*x)"
    )
    _against_sympy_arrays(program, {"x": [0.3, -1.2, 0.7]}, expr)


def test_an_elementwise_function_of_an_array_gives_an_array():
    graph = evaluate("sq(v) = v*v\ny = sq(x)", {"x": [1.0, 2.0, 3.0]})
    assert graph.arrays.output.data == [1.0, 4.0, 9.0]
    assert graph.arrays.jacobian == [[2.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 6.0]]
    assert [n.label for n in graph.nodes[3:]] == ["y[0]", "y[1]", "y[2]"]


def test_a_function_returning_an_array_labels_its_elements_as_the_call():
    graph = evaluate("g(v, w) = v @ w\ny = sum(g(W, x))", {"W": [[1.0, 2.0], [3.0, 4.0]], "x": [1.0, -1.0]})
    labels = [n.label for n in graph.nodes[6:]]
    assert labels == ["g#1.W[0,0]*x[0]", "g#1.W[0,1]*x[1]", "(g(W, x))[0]",
                      "g#1.W[1,0]*x[0]", "g#1.W[1,1]*x[1]", "(g(W, x))[1]", "y"]  # fmt: skip
    assert graph.output.data == -2.0
    assert graph.gradients() == {"W[0,0]": 1.0, "W[0,1]": -1.0, "W[1,0]": 1.0, "W[1,1]": -1.0,
                                 "x[0]": 4.0, "x[1]": 6.0}  # fmt: skip


def test_scalar_calls_of_a_body_with_arrays_still_replay_a_template():
    from gradcli.build.standard import build
    from gradcli.lang.parser import parse

    program = parse("f(a) = sum([a, 2*a]) + softmax([a, 0])[0]\ny = f(x) * f(x + 1)")
    graph = build(program, {"x": 1.5})
    graph.backward()
    s = lambda a: 3 * a + 1 / (1 + math.exp(-a))  # noqa: E731
    ds = lambda a: 3 + math.exp(-a) / (1 + math.exp(-a)) ** 2  # noqa: E731
    _close(graph.output.data, s(1.5) * s(2.5))
    _close(graph.gradients()["x"], ds(1.5) * s(2.5) + s(1.5) * ds(2.5))
    assert 0 in program.functions["f"].templates  # built once, replayed by both calls


def test_a_derivative_of_an_array_is_elementwise_for_a_scalar_function():
    graph = evaluate("g(v) = tanh(v)\ny = g'(x) + tanh'(x)", {"x": [0.5, -1.0]})
    sech2 = [1 / math.cosh(v) ** 2 for v in (0.5, -1.0)]
    for got, want in zip(graph.arrays.output.data, sech2):
        _close(got, 2 * want)
    for i, v in enumerate((0.5, -1.0)):  # d/dx 2 sech^2 x = -4 sech^2 x tanh x
        _close(graph.arrays.jacobian[i][i], -4 * sech2[i] * math.tanh(v))


ARRAY_ERRORS = [
    ("g(v) = sum(v)**2\ny = g'(x)", "g'(...) of an array: g's body uses arrays, so g' is not elementwise", (2, 5)),
    ("g(v) = [v, 2*v]\ny = g'(x[0])", "g'(...): g returns an array, so it has no derivative g'", (2, 5)),
    ("g(v) = v[5]\ny = g(x)", "index 5 is out of range for axis 0 of v[5] (shape (2,))", (1, 8)),
    ("g(v) = sum(v, 1, 2)\ny = g(x)", "sum takes 1 or 2 argument(s), got 3", (1, 8)),
    ("g(v, w) = v @ w\ny = g(x, 2)", "@ needs arrays on both sides, but its right operand is a scalar in v @ w",
     (1, 13)),
]  # fmt: skip


@pytest.mark.parametrize(("program", "message", "where"), ARRAY_ERRORS)
def test_array_errors_in_a_body_point_into_it(program, message, where):
    with pytest.raises(GradcliError) as info:
        evaluate(program, {"x": [1.0, 2.0]})
    assert (info.value.message, (info.value.line, info.value.column)) == (message, where)


def test_eval_cli_with_an_array_argument(gradcli):
    program = "loss(W, x) = sum(tanh(W @ x))\nL = loss(M, v)"
    result = gradcli("eval", program, "M=[[1, 0], [0, 2]]", "v=[0.5, -0.5]", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    _close(doc["value"], math.tanh(0.5) + math.tanh(-1.0))
    s0, s1 = 1 / math.cosh(0.5) ** 2, 1 / math.cosh(-1.0) ** 2
    assert doc["gradients"]["M"] == [[pytest.approx(0.5 * s0), pytest.approx(-0.5 * s0)],
                                     [pytest.approx(0.5 * s1), pytest.approx(-0.5 * s1)]]  # fmt: skip
    assert doc["gradients"]["v"] == [pytest.approx(s0), pytest.approx(2 * s1)]


PAIR = "f(x, y) = x*y + tanh(x)\nz = f(a, 2) + f(a, b)"


def test_explain_names_each_call(gradcli):
    import json

    doc = json.loads(gradcli("explain", PAIR, "a=0.5", "b=2", "--format", "json").stdout)
    inside = [s for s in doc["forward"] if "call" in s]
    assert [s["call"] for s in inside] == ["f#1", "f#1", "f#2", "f#2"]
    assert inside[0]["text"].endswith("(in f#1 = f(a, 2), line 2)")
    assert inside[2]["text"].endswith("(in f#2 = f(a, b), line 2)")


def test_tree_draws_a_call_as_one_node_and_expand_opens_it(gradcli):
    lines = gradcli("eval", PAIR, "a=0.5", "b=2", "--format", "tree").stdout.splitlines()
    wanted = ["f(a, 2)  call f#1", "a  input", "f(a, b)  call f#2", "b  input", "a  input  (drawn above)"]
    assert len(lines) == 6 and all(w in line for w, line in zip(wanted, lines[1:])), lines
    assert not any("f#1." in line for line in lines)  # the body's nodes are folded away
    opened = gradcli("eval", PAIR, "a=0.5", "b=2", "--format", "tree", "--expand").stdout
    assert "f#1.x*y" in opened
