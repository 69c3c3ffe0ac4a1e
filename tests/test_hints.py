"""Hints of issue 9 §4 that live in the interpreter and the engine."""

import pytest


@pytest.mark.parametrize(
    "program, hint",
    [
        ("y = xx*2", "hint: did you mean 'x'?"),  # one letter too many, near a bound name
        ("y = X*2", "hint: did you mean 'x'?"),  # another case
        ("y = sine(x)", "hint: did you mean 'sin'?"),  # not sinh
        ("y = log(x - 2)", "hint: log(x) is defined for x > 0; here x is x - 2 = 0"),
    ],
)
def test_hints(gradcli, program, hint):
    result = gradcli("eval", program, "x=2")
    assert result.exit_code in (2, 3)
    assert result.stderr.splitlines()[-1] == hint


def test_ln_is_log(eval_json):
    assert eval_json("y = ln(x)", "x=2")["gradients"] == {"x": 0.5}


def test_a_gradient_error_points_at_the_sub_expression(gradcli):
    lines = gradcli("eval", "y = 2*sqrt(x)", "x=0").stderr.splitlines()
    assert lines[1] == "  --> line 1, column 7"
    assert lines[3] == "   |       ^^^^^^^"


@pytest.mark.parametrize(
    "binding, hint", [("x=1_000", "hint: write 1000"), ("x=٣", "hint: write 3 (with ASCII digits)")]
)
def test_bindings_get_the_programs_number_hints(gradcli, binding, hint):
    result = gradcli("eval", "y = x", binding)
    assert result.exit_code == 2 and result.stderr.splitlines()[-1] == hint


def test_of_given_twice_is_an_error(gradcli):
    result = gradcli("eval", "y = x; z = y*2", "x=1", "--of", "y", "--of", "z")
    assert result.exit_code == 2 and "--of is given 2 times" in result.stderr
