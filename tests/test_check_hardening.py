"""gradcli.analysis.check, issue 9 §2: check is never confidently wrong.

Narrow features and SI-unit scales, a tolerance that scales with the problem, an honest error
estimate near 1e-30, and notes that say what is true.  Exact derivatives come from SymPy.
"""

import math

import pytest
import sympy as sp

from gradcli.analysis.check import CheckOptions, check
from gradcli.analysis.numdiff import derivative
from gradcli.build.standard import evaluate


def rows_by_name(report, point=0):
    return {row.name: row for row in report.rows if row.point == point}


def exact_gradient(source, bindings):
    """d output / d input for every input, from SymPy at 50 digits (`source` is one expression)."""
    names = {name: sp.Symbol(name) for name in bindings}
    expr = sp.sympify(source.replace("**", "^").replace("^", "**"), locals=names)
    at = {names[name]: sp.Float(value, 50) for name, value in bindings.items()}
    return {name: float(sp.diff(expr, names[name]).evalf(50, subs=at)) for name in bindings}


# -- 1. narrow features and SI units ----------------------------------------------------------

PLANCK = "2*h*c**2/lam**5 / (exp(h*c/(lam*k*T)) - 1)"
SI = {"h": 6.62607015e-34, "c": 299792458.0, "k": 1.380649e-23, "lam": 2e-6, "T": 5000.0}


@pytest.mark.parametrize(
    "source, bindings",
    [
        ("exp(-(x/1e-3)**2)", {"x": 0.0005}),  # a feature 1e-3 wide: the first step 0.1 sees a flat 0
        ("exp(-((x - 1000)/3)**2)", {"x": 1001.5}),  # 3 wide at 1000: the first step 100 sees nothing
        ("x*exp(-(x/1e-3)**2)", {"x": 0.0}),  # a bump: f(0 +- h) = f(0) = 0 for every large h
        ("tanh((x - 1e6)/1e-3)", {"x": 1e6 + 2e-4}),
        (PLANCK, SI),  # SI units: h ~ 6.6e-34, lam ~ 2e-6, c ~ 3e8
    ],
)
def test_narrow_features_and_si_units_pass_with_the_exact_gradient(source, bindings):
    report = check(evaluate(f"y = {source}", bindings))
    exact = exact_gradient(source, bindings)
    for name, row in rows_by_name(report).items():
        assert row.status == "pass", (name, row)
        assert abs(row.numeric - exact[name]) <= 1e-9 * abs(exact[name]), (name, row, exact[name])
        assert abs(row.numeric - exact[name]) <= row.error_estimate  # an honest estimate
    assert report.ok


def test_a_flat_table_far_from_the_feature_is_never_a_confident_fail():
    # A wrong rule inside the narrow feature still fails; a right one passes.  Before: the first
    # step 0.1 saw exp(-10000) = 0 on both sides, settled at numeric 0 and failed the right -778.8.
    estimate = derivative(lambda t: math.exp(-((t / 1e-3) ** 2)), 5e-4)
    exact = -2 * 5e-4 / 1e-6 * math.exp(-0.25)
    assert abs(estimate.value - exact) <= min(estimate.error, 1e-9 * abs(exact))


# -- 2. the tolerance scales with the problem -------------------------------------------------


def test_a_wrong_claim_on_a_tiny_gradient_fails():
    graph = evaluate("y = c*1e-17*x", {"c": 1.0, "x": 1.0})
    rows = rows_by_name(check(graph, CheckOptions(expect={"c": "-1e-12", "x": "1e-17"})))
    assert rows["expect:c"].status == "fail"  # truth 1e-17: before, atol 1e-9 let it through
    assert rows["expect:x"].status == "pass" and rows["c"].status == rows["x"].status == "pass"


def test_a_claim_of_zero_fails_where_the_gradient_is_6e_12():
    graph = evaluate("y = c*6e-12*x", {"c": 1.0, "x": 1.0})
    rows = rows_by_name(check(graph, CheckOptions(expect={"c": "0"})))
    assert rows["expect:c"].status == "fail" and rows["c"].status == "pass"


def test_an_explicit_atol_overrides_the_automatic_one():
    graph = evaluate("y = c*1e-17*x", {"c": 1.0, "x": 1.0})
    rows = rows_by_name(check(graph, CheckOptions(expect={"c": "-1e-12"}, atol=1e-9)))
    assert rows["expect:c"].status == "pass"  # the user asked for 1e-9 absolute


def test_zero_gradients_still_pass_with_the_automatic_tolerance():
    # cos at 0, x*x at 0, a constant piece: numeric 0 up to rounding; the tolerance is relative
    # to the slopes f shows over the steps, not to the (zero) gradient itself.
    for source, bindings in [("cos(x)", {"x": 0.0}), ("x*x", {"x": 0.0}), ("relu(x) + y", {"x": -1.0, "y": 2.0})]:
        report = check(evaluate(f"y = {source}", bindings))
        assert report.ok, (source, report.rows)


# -- 3. an honest error estimate at 1e-30 -----------------------------------------------------

TINY = ["x*x", "x**3", "tanh(x)*x", "sin(x)*x", "x/(1 + x*x)", "x*x*x*x", "sin(x)", "exp(x)", "cos(x) - 1",
        "log(x)", "sqrt(x)", "1/x", "x + 1", "exp(x) - 1 - x"]  # fmt: skip


@pytest.mark.parametrize("source", TINY)
@pytest.mark.parametrize("x", [1e-30, 3e-31])
def test_the_error_estimate_bounds_the_error_near_1e_30(source, x):
    row = check(evaluate(f"y = {source}", {"x": x})).rows[0]
    exact = exact_gradient(source, {"x": x})["x"]
    assert abs(row.numeric - exact) <= row.error_estimate, (row, exact)
    assert row.status == "pass", row


# -- 4. notes that are true -------------------------------------------------------------------


def test_asin_of_a_steep_argument_is_not_undefined_on_both_sides():
    # asin(x*1e12) is defined for |x| <= 1e-12: small enough steps find 1e12.
    row = rows_by_name(check(evaluate("y = asin(x*1e12)", {"x": 0.0})))["x"]
    assert "undefined on both sides" not in row.note
    assert row.status == "pass" and row.numeric == pytest.approx(1e12, rel=1e-9)


def test_a_kink_1e_9_away_is_not_at_this_point():
    row = rows_by_name(check(evaluate("y = relu(x - 1e-9)", {"x": 0.0})))["x"]
    assert row.status == "pass" and row.numeric == 0.0 and row.left is None and row.right is None
    assert "kink" not in row.note and "branch" not in row.note


def test_a_kink_at_the_point_is_still_a_kink():
    row = rows_by_name(check(evaluate("y = relu(x - 1e-9)", {"x": 1e-9})))["x"]
    assert row.status == "kink" and row.left == 0.0 and row.right == pytest.approx(1.0, abs=1e-12)


# -- 5. options -------------------------------------------------------------------------------


def test_allow_nonfinite_carries_inf_on_and_the_rows_are_inconclusive():
    from gradcli.core.errors import MathError

    report = check(evaluate("y = x*x", {"x": 3.0}), CheckOptions(allow_nonfinite=True))
    assert report.ok and report.rows[0].numeric == pytest.approx(6.0, rel=1e-12)
    graph = evaluate("y = log(x) + z", {"x": 0.0, "z": 1.0}, allow_nonfinite=True)  # y = -inf
    report = check(graph, CheckOptions(allow_nonfinite=True))
    assert [row.status for row in report.rows] == ["inconclusive", "inconclusive"] and not report.ok
    with pytest.raises(MathError):
        check(graph)


def test_atol_none_is_the_default_and_negative_atol_is_refused():
    from gradcli.core.errors import UsageError

    graph = evaluate("y = x*x", {"x": 3.0})
    assert check(graph, CheckOptions(atol=None)).ok
    with pytest.raises(UsageError):
        check(graph, CheckOptions(atol=-1.0))


# -- property: every scale from 1e-30 to 1e30 --------------------------------------------------

SHAPES = ["sin(@)", "exp(-@*@)", "tanh(@)", "log(1 + @*@)", "@**3 - @", "atan(@)", "1/(1 + @*@)", "@*exp(-@*@)", "@**2"]


def test_scaled_functions_pass_and_wrong_claims_fail_at_every_scale():
    # f(x/s) at x = u s for s = 1e-30 ... 1e30: the scan must find the scale s.  A claim 0.1 %
    # off must fail; the true gradient must pass, within 1e-9 of SymPy.
    import random

    rng = random.Random(3)
    for shape in SHAPES:
        for _ in range(4):
            s, u = 10.0 ** rng.uniform(-30, 30), rng.uniform(-2.5, 2.5)
            source = shape.replace("@", f"(x/{s!r})")
            graph = evaluate(f"y = {source}", {"x": u * s})
            claim = graph.inputs["x"].grad * 1.001
            rows = rows_by_name(check(graph, CheckOptions(expect={"x": repr(claim)})))
            exact = exact_gradient(source, {"x": u * s})["x"]
            assert rows["x"].status == "pass", (source, u * s, rows["x"])
            assert abs(rows["x"].numeric - exact) <= 1e-9 * abs(exact), (source, u * s, rows["x"], exact)
            assert rows["expect:x"].status == "fail", (source, u * s, rows["expect:x"])


def test_a_huge_claim_at_a_flat_point_of_a_steep_parabola_fails():
    # (x/1e-27)**2 at 0: numeric 0; the slope over a step of 1e-3 is 1e48, which must not
    # become a tolerance.
    rows = rows_by_name(check(evaluate("y = (x/1e-27)**2", {"x": 0.0}), CheckOptions(expect={"x": "1e40"})))
    assert rows["x"].status == "pass" and rows["expect:x"].status == "fail"
