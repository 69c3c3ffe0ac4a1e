"""Issue 20 (hardening 2), the derivative rules' items; each test failed before its fix.

- item 3: tanh'(x) for 355 < |x| <= 710 overflowed in cosh(x)**2 (eval exit 3; diff, hessian,
  check, arrays, user functions too); sech is a function with an overflow-free derivative.
  The per-op audit against mpmath is tests/test_h20_extremes.py.
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
