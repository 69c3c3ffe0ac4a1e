"""Issue 20, found on the way: the pretty array table dropped arrays past --max-rows without saying so."""

from __future__ import annotations

import json

import pytest

PROGRAM = "a=[1,2,3]; b=a*2; c=b+1; d=c*c; y=sum(d)"


def test_arrays_past_max_rows_are_named(gradcli):
    out = gradcli("eval", PROGRAM, "--max-rows", "2").stdout
    assert "[12, 20, 28]" in out  # a's gradient dy/da = 2*2*(2a+1) is shown
    assert "not shown: 2 arrays (c, d); --max-rows 0 shows all" in out


def test_all_arrays_shown_when_they_fit(gradcli):
    out = gradcli("eval", PROGRAM, "--max-rows", "0").stdout
    assert "not shown" not in out and "[6, 10, 14]" in out and "[9, 25, 49]" in out


def test_a_json_jacobian_too_large_for_one_document_is_refused(gradcli, tmp_path, monkeypatch):
    # a 40,000-element output has a 1.6e9-entry Jacobian: refused (exit 2) before it is built, never a MemoryError
    from gradcli.build import jacobian

    monkeypatch.setattr(jacobian, "JSON_JACOBIAN_LIMIT", 5)  # the same rule, at a size a test can afford
    result = gradcli("eval", "W = [[1, 2], [3, 4]]; y = W*x", "x=2", "--format", "json")
    assert result.exit_code == 2
    error = json.loads(result.stderr)["error"]
    assert error["message"] == "the Jacobian of y has 4 x 5 = 20 entries, more than one JSON document holds (5)"
    assert "--of y[0,0]" in error["hint"]
    doc = json.loads(
        gradcli("eval", "W = [[1, 2], [3, 4]]; y = W*x", "x=2", "--of", "y[1,0]", "--format", "json").stdout
    )
    assert doc["value"] == 6 and doc["gradients"]["x"] == 3


@pytest.mark.parametrize(
    ("program", "message"),
    [
        ("y = [1, 2", "missing ']' to close the '[' at column 5"),  # was "unexpected the end of the program"
        ("y = [[1, 2], [3", "missing ']' to close the '[' at column 14"),
        ("y = max(1, [2", "missing ']' to close the '[' at column 12"),
        ("y = [1, (2", "missing ')' to close the '(' at column 9"),
        ("y = (1 + 2", "missing ')' to close the '(' at column 5"),
    ],
)
def test_an_unclosed_bracket_names_the_bracket_and_where_it_opened(gradcli, program, message):
    result = gradcli("eval", program)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == f"error: {message}"


@pytest.mark.parametrize("x", ["26.9", "27.2", "-27.2", "27.3", "28", "30", "100", "400"])
@pytest.mark.parametrize("op", ["erf", "erfc"])
def test_erf_gradient_in_the_subnormal_tail_matches_mpmath(gradcli, op, x):
    # erf' = 2/sqrt(pi) e^(-x^2) reaches the subnormals near |x| = 27 and 0 at 27.3; the rule once
    # stopped x at 27 and gave 2.8e-317 for every |x| > 27 (1e300*erfc(x) at 100: -2.8e-17, not 0)
    import mpmath

    mpmath.mp.dps = 40
    exact = float((1 if op == "erf" else -1) * 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-(mpmath.mpf(x) ** 2)))
    got = json.loads(gradcli("eval", f"y = {op}(x)", f"x={x}", "--format", "json").stdout)["gradients"]["x"]
    assert abs(got - exact) <= 5e-324 * 4  # a few of the smallest subnormal's steps
    scaled = json.loads(gradcli("eval", f"y = 1e300*{op}(x)", f"x={x}", "--format", "json").stdout)["gradients"]["x"]
    assert scaled == pytest.approx(1e300 * exact, rel=1e-6, abs=1e300 * 5e-324 * 4)


@pytest.mark.parametrize("program", ["a = 1+-0.1; y = a*2", "y = x+-1", "a = 2.5+-rect(0.1); y = a"])
def test_plus_minus_in_a_program_is_refused_as_in_a_binding(gradcli, program):
    # issue 20 item 8 in programs: `a = 1+-0.1` was silently 0.9 (now that +/- means ± there, even less clear)
    result = gradcli("eval", program, "x=1")
    assert result.exit_code == 2
    assert "'+-' is ambiguous" in result.stderr and "±" in result.stderr and "+/-" in result.stderr


def test_plus_minus_with_a_blank_or_in_a_comment_is_plain_arithmetic(gradcli):
    doc = json.loads(gradcli("eval", "a = 1 + -0.1 # 1+-0.1 here is a comment\ny = a*2", "--format", "json").stdout)
    assert doc["value"] == 2 * (1 + -0.1)


@pytest.mark.parametrize(
    ("binding", "message"),
    [
        ("x=[1,2", "bad binding 'x=[1,2': missing ']' to close the '[' at column 1 in '[1,2'"),
        ("x=[[1,2],[3,4]", "missing ']' to close the '[' at column 1"),
        ("x=[1,2]]", "bad binding 'x=[1,2]]': unexpected ']' in '[1,2]]'"),
        ("x=[1,,2]", "expected an expression after ',', found ','"),
    ],
)
def test_an_array_binding_written_wrong_says_what_is_wrong(gradcli, binding, message):
    # it said "the value must be a number or a constant expression such as pi/4"
    result = gradcli("eval", "y = sum(x)", binding)
    assert result.exit_code == 2
    assert message in result.stderr.splitlines()[0]


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "table"])
def test_a_bad_points_cell_is_an_error_alone_never_half_a_document(gradcli, tmp_path, fmt):
    # the header (or '{"output": ..., "rows": [') was written before the first chunk's bad cell
    path = tmp_path / "p.csv"
    path.write_text("x\n1\n2\n1_000\n4\n")
    result = gradcli("sweep", "y = x*2", "--points", str(path), "--format", fmt)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "line 4, column 'x': '1_000' is not a number" in result.stderr


def test_a_sweep_whose_output_is_named_like_an_input_reads_back(gradcli, sweep_round_trip, tmp_path):
    # `y = x*y`: the header is x,y,y (the input y, then the output y); --points refused it ('y' twice)
    text = sweep_round_trip("y = x*y", "x=0:1:3", "y=2")
    assert text.splitlines()[:2] == ["x,y,y,dy/dx,dy/dy,status", "0.0,2.0,0.0,2.0,0.0,ok"]
    path = tmp_path / "p.csv"
    path.write_text("x,x\n1,2\n")  # any other repeated column is still refused
    assert "names the column 'x' twice" in gradcli("sweep", "y = x*2", "--points", str(path)).stderr


def test_unary_plus_before_a_minus_is_not_the_ambiguous_plus_minus(gradcli):
    doc = json.loads(gradcli("eval", "y = -+-a", "a=3", "--format", "json").stdout)
    assert doc["value"] == 3 and doc["gradients"]["a"] == 1
