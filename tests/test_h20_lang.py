"""Issue 20 (hardening 2), the language items: each test failed before its fix.

- item 31: `+/-` inside programs (`T = 2.006 +/- 0.002`) was a syntax error at '/';
- item 23: a name or a function defined in two `-f` files did not say where the first one was;
- item 15: a malformed `--of` element (`W[0,]`, `y[`) was 'no such name in the program', without a caret;
- item 32 (second part): `corr(a, b) = 0.5` in a program silently defined an unused function `corr`;
- item 32 (third part): `explain --order 2` did not exist (no such option).
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcli.core.errors import SyntaxError_
from gradcli.lang.parser import parse

# -- item 31: `+/-` is `±` in program literals -----------------------------------------------------


def test_plus_slash_minus_in_a_program_is_an_uncertainty(eval_json):
    doc = eval_json("T = 2.006 +/- 0.002; y = T*2")
    assert doc["value"] == 4.012
    assert doc["uncertainty"]["standard"] == pytest.approx(0.004, rel=1e-15)  # |dy/dT| u(T) = 2 * 0.002
    assert doc["uncertainty"]["budget"][0]["distribution"] == "normal"


@pytest.mark.parametrize(("dist", "divisor"), [("rect", math.sqrt(3)), ("tri", math.sqrt(6))])
def test_plus_slash_minus_takes_rect_and_tri(eval_json, dist, divisor):
    doc = eval_json(f"T = 2 +/- {dist}(0.1); y = T*2")
    assert doc["uncertainty"]["standard"] == pytest.approx(2 * 0.1 / divisor, rel=1e-14)  # GUM 4.3.7, 4.3.9
    assert doc["uncertainty"]["budget"][0]["distribution"] == dist


def test_plus_slash_minus_in_a_file_with_constant_expressions(eval_json, tmp_path):
    path = tmp_path / "p.grad"
    path.write_text("L = 1/2 +/- 0.001*2\nT = 2.006 +/- 0.002\ng = 4*pi**2*L/T**2\n")
    doc = eval_json("-f", str(path))
    ref = eval_json("-f", str(path), "L=0.5±0.002", "T=2.006±0.002")
    assert doc["value"] == ref["value"] and doc["uncertainty"]["standard"] == ref["uncertainty"]["standard"]


def _error_of(gradcli, program):
    result = gradcli("eval", program)
    assert result.exit_code == 2, result.stdout
    return result.stderr


def test_a_non_constant_side_gives_the_same_error_as_with_pm(gradcli):
    with_pm = _error_of(gradcli, "T = 2.006 ± x; y = T*2")
    with_ascii = _error_of(gradcli, "T = 2.006 +/- x; y = T*2")
    assert "both sides of ± must be constant expressions, but 'x' is a name" in with_ascii
    assert with_ascii.splitlines()[0] == with_pm.splitlines()[0]  # the message, word for word
    assert with_ascii.splitlines()[-1] == with_pm.splitlines()[-1]  # the hint
    assert "  --> line 1, column 15" in with_ascii  # the caret under the x


@pytest.mark.parametrize(
    ("program", "message", "column"),
    [
        ("y = a + /b", "expected an expression after '+', found '/'", 9),
        ("y = a +/ b", "expected an expression after '+', found '/'", 8),
        ("y = a + /-b", "expected an expression after '+', found '/'", 9),
        ("y = (1 +/- 2)*3", "'±' gives an input its uncertainty: it must be the whole right side", 8),
    ],
)
def test_near_misses_still_give_good_syntax_errors(gradcli, program, message, column):
    err = _error_of(gradcli, program)
    assert message in err and f"column {column}" in err


# Programs made of constant expressions, with `±` written in several places.
_const = st.sampled_from(["1", "2.5", "0.1", "pi", "1e-3", "(1+2)", "-3", "2*pi", "1/3", "2**-1"])
_u = st.one_of(_const, _const.map(lambda c: f"rect({c})"), _const.map(lambda c: f"tri({c})"))
_stmt = st.one_of(
    st.tuples(st.sampled_from("abcT"), _const, _u).map(lambda t: f"{t[0]} = {t[1]} ± {t[2]}"),
    st.tuples(st.sampled_from("abcT"), _const, st.sampled_from(["x", "a*2", "b"])).map(
        lambda t: f"{t[0]} = {t[1]} ± {t[2]}"  # a name on the right: refused alike
    ),
    st.sampled_from(["y = a*b + T", "z = (1 ± 2)", "w = a ± b ± c", "q = [1, 2] ± 1", "y = a"]),
)
_programs = st.lists(_stmt, min_size=1, max_size=5).map("\n".join)


def _shape(source: str):
    """What a parse gives, without the text offsets (which `+/-`, two characters longer, moves)."""
    try:
        program = parse(source)
    except SyntaxError_ as exc:
        return ("error", str(exc).replace("'+/-'", "'±'"), exc.line)
    code = [(kind, name, arg) for kind, name, arg, *_ in program.code]
    stmts = [(s.target, s.aug, s.lo, s.hi, s.uncertainty and s.uncertainty[:2]) for s in program.stmts]
    return ("program", code, stmts)


@settings(max_examples=300, deadline=None)
@given(text=_programs, spaced=st.booleans())
def test_pm_and_plus_slash_minus_parse_to_the_same_program(text, spaced):
    ascii_text = text.replace("±", "+/-" if spaced else "+/- ")
    assert _shape(ascii_text) == _shape(text)


# -- item 23: a redefinition across `-f` files names the file and line of the first one ------------


def _files(tmp_path, **texts):
    paths = []
    for name, text in texts.items():
        path = tmp_path / f"{name}.grad"
        path.write_text(text)
        paths.append(str(path))
    return paths


def test_a_value_given_in_two_files_names_the_first_file(gradcli, tmp_path):
    a, b = _files(tmp_path, A="# constants\n\nc = 3\na = 1\n", B="a = 2; y=a*x\n")
    result = gradcli("eval", "-f", a, "-f", b, "x=1")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"error: 'a' is assigned a constant but already has a value (first given a value in {a}:4:1): "
        "an input gets its value once"
    )
    assert lines[1] == f"  --> {b}:1:1"  # the caret stays on the second value


def test_a_value_given_in_the_second_of_three_files(gradcli, tmp_path):
    a, b, c = _files(tmp_path, A="\n\nb = 2\n\n", B="c = 1\n\nx = 1\na = 3\n", C="a = 2; y=a*x\n")
    result = gradcli("eval", "-f", a, "-f", b, "-f", c)
    assert result.exit_code == 2 and f"(first given a value in {b}:4:1)" in result.stderr
    assert f"  --> {c}:1:1" in result.stderr


def test_a_function_defined_in_two_files_names_the_first_file(gradcli, tmp_path):
    c, d = _files(tmp_path, C="k = 2\n\nf(t) = t*k\n", D="b = 1\nf(t) = t*3\ny = f(x)\n")
    result = gradcli("eval", "-f", c, "-f", d, "x=1")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: 'f' is already defined ({c}:3:1)"
    assert lines[1] == f"  --> {d}:2:1"


def test_one_program_keeps_naming_the_line(gradcli):
    result = gradcli("eval", "a = x*2\na = 1", "x=1")
    assert "(first given a value on line 1)" in result.stderr and result.exit_code == 2
    result = gradcli("eval", "y = a*x; a = 2", "x=1", "a=3")
    assert "(first given a value on the command line: a=...)" in result.stderr and result.exit_code == 2


def test_a_function_used_before_its_definition_in_a_later_file(gradcli, tmp_path):
    a, b = _files(tmp_path, A="y = g(x)\n", B="z = 1\ng(t) = t\n")
    result = gradcli("eval", "-f", a, "-f", b, "x=1")
    assert result.exit_code == 2 and f"'g' is called before its definition ({b}:2:1)" in result.stderr


# -- item 15: a malformed --of element is exit 2 with a caret under the bad index ------------------

_MATRIX = "W = [[1, 2], [3, 4]]; y = W*W"


@pytest.mark.parametrize(
    ("of", "message", "caret"),
    [
        ("W[0,]", "an index is missing after ','", "    ^"),
        ("W[,0]", "an index is missing before ','", "  ^"),
        ("W[0 0]", "',' is missing before 0", "    ^"),
        ("W[0", "']' is missing", "   ^"),
        ("y[", "an index is missing", "  ^"),
        ("W[0.5,1]", "an index must be a whole number, found '0.5'", "  ^^^"),
        ("y[0]]", "unexpected text after ']'", "    ^"),
    ],
)
def test_a_malformed_of_gets_a_caret_under_the_bad_index(gradcli, of, message, caret):
    result = gradcli("eval", _MATRIX, "--of", of)
    assert result.exit_code == 2, result.stdout
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: --of {of}: {message}"
    assert lines[1].startswith("  --> --of, column ")
    assert lines[2:4] == [f"   | {of}", f"   | {caret}"]
    assert "no such name" not in result.stderr and "internal error" not in result.stderr


def test_a_malformed_of_in_a_scalar_program_and_in_sweep(gradcli):
    result = gradcli("eval", "y = x*2", "x=1", "--of", "y[0")
    assert result.exit_code == 2 and result.stderr.startswith("error: --of y[0: ']' is missing\n")
    result = gradcli("eval", "y = x*2", "x=1", "--of", "y[0]")
    assert result.exit_code == 2 and result.stderr.startswith("error: --of y[0]: 'y' is a scalar, not an array\n")
    result = gradcli("sweep", "y = x*2", "x=1:2:2", "--of", "y[0,]")
    assert result.exit_code == 2 and "an index is missing after ','" in result.stderr


def test_a_malformed_of_as_a_json_error(gradcli):
    result = gradcli("eval", _MATRIX, "--of", "W[0,]", "--format", "json")
    error = json.loads(result.stderr)["error"]
    assert result.exit_code == 2 and (error["message"], error["column"]) == (
        "--of W[0,]: an index is missing after ','",
        5,
    )


@pytest.mark.parametrize(("of", "row", "col"), [("y[0,1]", 0, 1), ("y[-1,0]", 1, 0), ("y[ 1 , -1 ]", 1, 1)])
def test_valid_elements_keep_working(eval_json, of, row, col):
    import numpy as np

    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    doc = eval_json(_MATRIX, "--of", of)
    assert doc["output"] == f"y[{row},{col}]" and doc["value"] == w[row, col] ** 2
    expected = np.zeros((2, 2))
    expected[row, col] = 2 * w[row, col]  # d(W_rc^2)/dW = 2 W_rc at (r, c)
    assert doc["gradients"]["W"] == expected.tolist()


def test_an_index_out_of_range_names_the_shape(gradcli):
    result = gradcli("eval", _MATRIX, "--of", "y[2,0]")
    assert result.exit_code == 2 and "index 2 is out of range for axis 0 of 'y' (shape (2, 2))" in result.stderr
    result = gradcli("eval", "x = [1, 2, 3]; y = x*2", "--of", "y[1]", "--format", "json")
    assert json.loads(result.stdout)["value"] == 4.0


# -- item 32 (second part): correlations declared in the program --------------------------------

_AB = "a = 1 ± 0.1\nb = 2 ± 0.2\n"


def test_a_declared_correlation_is_used_like_corr(eval_json):
    declared = eval_json(_AB + "corr(a, b) = 0.5\ny = a*b")
    by_option = eval_json(_AB + "y = a*b", "--corr", "a,b=0.5")
    # y = a*b: c_a = b = 2, c_b = a = 1; u^2 = (2*0.1)^2 + (1*0.2)^2 + 2*2*1*0.5*0.1*0.2 = 0.12 (GUM 5.2.2)
    assert declared["uncertainty"]["standard"] == pytest.approx(math.sqrt(0.12), rel=1e-15)
    assert declared["uncertainty"] == by_option["uncertainty"]
    assert declared["uncertainty"]["correlations"][0]["names"] == ["a", "b"]


def test_declared_correlations_with_three_inputs_and_a_negative_r(eval_json, tmp_path):
    lib = tmp_path / "lib.grad"
    lib.write_text("R = 10 ± 0.1\nI = 2 ± 0.02\nphi = 0.5 +/- 0.01\ncorr(R, I) = -0.36\n")
    main = tmp_path / "main.grad"
    main.write_text("corr(I, phi) = 0.86\nP = I**2*R*cos(phi)\n")
    doc = eval_json("-f", str(lib), "-f", str(main))
    ref = eval_json("-f", str(lib), "-f", str(main), "--corr", "R,I=-0.36", "--corr", "I,phi=0.86")
    assert doc["uncertainty"] == ref["uncertainty"]
    r_, i_, phi = 10.0, 2.0, 0.5  # hand: c = (I^2 cos, 2 I R cos, -I^2 R sin)
    c = {"R": i_**2 * math.cos(phi), "I": 2 * i_ * r_ * math.cos(phi), "phi": -(i_**2) * r_ * math.sin(phi)}
    u = {"R": 0.1, "I": 0.02, "phi": 0.01}
    var = sum((c[n] * u[n]) ** 2 for n in c)
    var += 2 * c["R"] * c["I"] * -0.36 * u["R"] * u["I"] + 2 * c["I"] * c["phi"] * 0.86 * u["I"] * u["phi"]
    assert doc["uncertainty"]["standard"] == pytest.approx(math.sqrt(var), rel=1e-13)


def test_the_same_correlation_with_corr_is_accepted_a_different_one_refused(gradcli, eval_json):
    doc = eval_json(_AB + "corr(a, b) = 1/2\ny = a*b", "--corr", "b,a=0.5")
    assert doc["uncertainty"]["standard"] == pytest.approx(math.sqrt(0.12), rel=1e-15)
    assert len(doc["uncertainty"]["correlations"]) == 1
    result = gradcli("eval", _AB + "corr(a, b) = 0.5\ny = a*b", "--corr", "a,b=0.3")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:2] == [
        "error: corr(a, b) = 0.5 here, but --corr a,b=0.3: give one value",
        "  --> line 3, column 1",
    ]


@pytest.mark.parametrize(
    ("declaration", "message", "caret"),
    [
        ("corr(a, b) = 1.5", "a correlation coefficient lies in [-1, 1], got 1.5", "             ^^^"),
        ("corr(a, b) = -2*0.6", "a correlation coefficient lies in [-1, 1], got -1.2", "             ^^^^^^"),
        ("corr(a, a) = 0.5", "corr(a, a): an input is fully correlated with itself", "     ^^^^"),
        ("corr(a, c) = 0.5", "'c' has no uncertainty, so it cannot be correlated", "        ^"),
        ("corr(a, q) = 0.5", "'q' is not an input with an uncertainty (those are: a, b)", "        ^"),
        ("corr(a, b) = c", "a correlation must be a constant expression, but 'c' is a name", "             ^"),
        ("corr(a) = 0.5", "corr(...) names two inputs, got 1", "^^^^^^^"),
        ("corr(a, 1) = 0.5", "corr(...) takes the names of two inputs", "        ^"),
    ],
)
def test_a_bad_declaration_is_exit_2_with_a_caret(gradcli, declaration, message, caret):
    result = gradcli("eval", _AB + "c = 3\n" + declaration + "\ny = a*b*c")
    assert result.exit_code == 2, result.stdout
    assert result.stderr.splitlines()[:4] == [f"error: {message}", "  --> line 4, column " + str(
        len(caret) - len(caret.lstrip()) + 1), f"   | {declaration}", f"   | {caret}"]  # fmt: skip


def test_a_correlation_that_no_quantities_can_have_is_refused(gradcli):
    program = "a = 1 ± 0.1\nb = 1 ± 0.1\nc = 1 ± 0.1\ncorr(a, b) = 0.9\ncorr(b, c) = 0.9\ncorr(a, c) = -0.9\ny = a+b+c"
    result = gradcli("eval", program)
    assert result.exit_code == 2 and "not positive semidefinite" in result.stderr


def test_a_command_line_value_replaces_the_input_and_its_correlation(gradcli, eval_json):
    result = gradcli("eval", _AB + "corr(a, b) = 0.5\ny = a*b", "a=3", "--format", "json")
    assert result.exit_code == 0
    assert "corr(a, b) is not used: a=3 on the command line has no uncertainty" in result.stderr
    assert json.loads(result.stdout)["uncertainty"]["standard"] == pytest.approx(3 * 0.2, rel=1e-15)
    doc = eval_json(_AB + "corr(a, b) = 0.5\ny = a*b", "a=3±0.1")  # u^2 = 0.2^2 + 0.6^2 + 2*2*3*0.5*0.1*0.2
    assert doc["uncertainty"]["standard"] == pytest.approx(math.sqrt(0.52), rel=1e-15)


# -- item 32 (third part): explain --order 2, forward over reverse ---------------------------------


def _explain2(gradcli, *args):
    result = gradcli("explain", *args, "--order", "2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _tangents_add_up(direction: dict) -> None:
    """Each forward step is the chain rule: its tangent is the sum of local derivative · tangent."""
    seen = {direction["steps"][0]["node"]: 1.0}
    for step in direction["steps"][1:]:
        for term in step["terms"]:
            assert term["tangent"] == seen[term["operand"]]  # an operand's tangent, computed before
        assert step["tangent"] == sum(t["local"] * t["tangent"] for t in step["terms"])
        seen[step["node"]] = step["tangent"]


def test_explain_order_2_of_a_cube(gradcli):
    doc = _explain2(gradcli, "y = x**3", "x=2")
    order2 = doc["order2"]
    assert order2["hessian"] == [[12.0]]  # d2(x^3)/dx2 = 6x = 12 at x = 2
    assert [e["text"] for e in order2["program"]] == ["t1 = x**2 = 2 ^ 2 = 4", "t2 = 3*t1 = 3 × 4 = 12"]
    assert order2["gradient"] == [{"wrt": "x", "node": "t2", "value": 12.0, "text": "dy/dx = t2 = 12"}]
    (direction,) = order2["directions"]
    assert [s["text"] for s in direction["steps"]] == [
        "dx/dx = 1   (the direction)",
        "dt1/dx = ∂t1/∂x · dx/dx = 4 · 1 = 4",  # d(x^2)/dx = 2x = 4
        "dt2/dx = ∂t2/∂t1 · dt1/dx = 3 · 4 = 12",
    ]
    assert direction["column"][0]["text"] == "d²y/dx² = d(dy/dx)/dx = 12"
    assert doc["gradients"] == {"x": 12.0}  # the first-order document is still all there


def test_explain_order_2_pretty(gradcli):
    result = gradcli("explain", "y = x**3", "x=2", "--order", "2", "--no-color")
    assert result.exit_code == 0
    text = result.stdout
    assert "backward pass: dy/dy = 1" in text  # first order, then second
    assert "the gradient as a program" in text and "forward over it in direction x" in text
    for line in ("  t2 = 3*t1 = 3 × 4 = 12", "  dy/dx = t2 = 12", "  dt2/dx = ∂t2/∂t1 · dt1/dx = 3 · 4 = 12",
                 "  d²y/dx² = d(dy/dx)/dx = 12"):  # fmt: skip
        assert line in text.splitlines()


def test_explain_order_2_mixed_partial_against_sympy(gradcli):
    sympy = pytest.importorskip("sympy")
    x, y = sympy.symbols("x y")
    f = x**2 * y + sympy.sin(x * y)
    at = {x: sympy.Rational(3, 2), y: sympy.Rational(1, 2)}
    doc = _explain2(gradcli, "f = x**2*y + sin(x*y)", "x=1.5", "y=0.5")
    order2 = doc["order2"]
    assert order2["inputs"] == ["x", "y"]
    exact = [[float(sympy.diff(f, a, b).subs(at).evalf(30)) for b in (x, y)] for a in (x, y)]
    for row, exact_row in zip(order2["hessian"], exact):
        assert row == pytest.approx(exact_row, rel=1e-15, abs=1e-15)
    assert exact[0][1] == pytest.approx(2 * 1.5 + math.cos(0.75) - 0.75 * math.sin(0.75), rel=1e-15)  # by hand
    for direction in order2["directions"]:
        _tangents_add_up(direction)
    grads = {g["wrt"]: g["value"] for g in order2["gradient"]}
    assert grads == pytest.approx({"x": float(sympy.diff(f, x).subs(at)), "y": float(sympy.diff(f, y).subs(at))})
    hessian = json.loads(gradcli("hessian", "f = x**2*y + sin(x*y)", "x=1.5", "y=0.5", "--format", "json").stdout)
    for row, other in zip(order2["hessian"], hessian["hessian"]):
        assert row == pytest.approx(other, rel=1e-15)  # reverse over reverse agrees


def test_explain_order_2_where_no_path_joins_two_inputs(gradcli):
    order2 = _explain2(gradcli, "y = a**2 + 3*b", "a=1", "b=2")["order2"]
    assert order2["hessian"] == [[2.0, 0.0], [0.0, 0.0]]
    assert [c["text"] for c in order2["directions"][1]["column"]] == [
        "d²y/da db = d(dy/da)/db = 0",
        "d²y/db² = d(dy/db)/db = 0",
    ]


@pytest.mark.parametrize("extra", [["--order", "3"], ["--order", "0"], ["--order", "2", "--order", "1"]])
def test_explain_order_is_1_or_2_given_once(gradcli, extra):
    result = gradcli("explain", "y = x**3", "x=2", *extra)
    assert result.exit_code == 2 and "--order" in result.stderr


def test_explain_without_order_is_unchanged(gradcli):
    doc = json.loads(gradcli("explain", "y = x**3", "x=2", "--format", "json").stdout)
    assert "order2" not in doc and doc["gradients"] == {"x": 12.0}


def test_explain_order_2_of_a_nonfinite_second_derivative_is_exit_3(gradcli):
    result = gradcli("explain", "y = x**1.5", "x=0", "--order", "2")  # y'' = 0.75 x^-0.5: infinite at 0
    assert result.exit_code == 3 and "the second derivative d2y/dxdx is infinite" in result.stderr
    doc = _explain2(gradcli, "y = x**1.5", "x=0", "--allow-nonfinite")
    assert doc["order2"]["hessian"] == [["Infinity"]] and doc["order2"]["gradient"][0]["value"] == 0.0


def test_explain_order_2_of_a_linear_program(gradcli):
    order2 = _explain2(gradcli, "y = 3*x", "x=2")["order2"]
    assert order2["program"] == [] and order2["gradient"][0]["text"] == "dy/dx = 3"
    assert order2["hessian"] == [[0.0]]
