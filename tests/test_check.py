"""gradcli.analysis.check: the numerical derivative, the verdicts, kinks, claims, samples, nodes."""

import json
import math

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from seed import HAND, SEED

from gradcli.analysis.check import STATUSES, CheckOptions, check, to_dict
from gradcli.analysis.numdiff import derivative
from gradcli.build.standard import evaluate
from gradcli.core import ops
from gradcli.core.errors import BindingError, GradcliError, MathError, UsageError


def rows_by_name(report, point=0):
    return {row.name: row for row in report.rows if row.point == point}


def node_with_op(graph, name):
    return next(node for node in graph.nodes if node.op.name == name)


def times(factor, vjp):
    """A deliberately wrong rule: `factor` times the right vector-Jacobian product."""
    return lambda g, out, *rest: tuple(factor * d for d in vjp(g, out, *rest))


# -- the seed -------------------------------------------------------------------------------


def test_seed_example_passes_and_agrees_with_the_hand_derived_gradients():
    report = check(evaluate(SEED))
    assert report.ok and report.output == "L"
    rows = rows_by_name(report)
    assert list(rows) == ["a", "b", "c", "f"]
    for name, grad in HAND.items():
        row = rows[name]
        assert row.status == "pass"
        assert row.analytic == grad
        assert abs(row.numeric - grad) <= 1e-10
        assert row.abs_error == abs(row.analytic - row.numeric)
        assert 0.0 < row.error_estimate < 1e-11


# -- accuracy against SymPy -----------------------------------------------------------------

SMOOTH = [  # (gradcli source, the same function for SymPy), in x and y
    ("tanh(x)", sp.tanh(sp.Symbol("x"))),
    ("exp(x) * y", sp.exp(sp.Symbol("x")) * sp.Symbol("y")),
    ("log(x*x + y)", sp.log(sp.Symbol("x") ** 2 + sp.Symbol("y"))),
    ("sin(x) * cos(y)", sp.sin(sp.Symbol("x")) * sp.cos(sp.Symbol("y"))),
    ("tanh(sin(3*x) + y*y)", sp.tanh(sp.sin(3 * sp.Symbol("x")) + sp.Symbol("y") ** 2)),
    ("exp(-x*x) / (1 + y*y)", sp.exp(-(sp.Symbol("x") ** 2)) / (1 + sp.Symbol("y") ** 2)),
    ("atan(x / y) + sqrt(y)", sp.atan(sp.Symbol("x") / sp.Symbol("y")) + sp.sqrt(sp.Symbol("y"))),
    ("x ** y", sp.Symbol("x") ** sp.Symbol("y")),
    ("log(sigmoid(x * y))", sp.log(1 / (1 + sp.exp(-sp.Symbol("x") * sp.Symbol("y"))))),
    ("sin(cos(tan(x))) * y", sp.sin(sp.cos(sp.tan(sp.Symbol("x")))) * sp.Symbol("y")),
    ("sin(10*x) + cosh(y)", sp.sin(10 * sp.Symbol("x")) + sp.cosh(sp.Symbol("y"))),
]
# Points where the functions are well conditioned: not tanh(7), whose slope 3e-6 is below
# the rounding of tanh's value near 1, so no difference quotient can find it to 1e-11.
POINTS = [(0.3, 0.7), (1.5, 2.0), (-0.8, 1.1), (2.5, 0.4), (0.05, 0.5), (3.0, 0.9)]


def exact_gradient(expr, x, y):
    at = {sp.Symbol("x"): sp.Float(x, 40), sp.Symbol("y"): sp.Float(y, 40)}
    return {name: float(sp.diff(expr, sp.Symbol(name)).evalf(40, subs=at)) for name in "xy"}


def test_numeric_derivative_is_within_1e_11_of_sympy_on_smooth_functions():
    worst, checked = 0.0, 0
    for source, expr in SMOOTH:
        for x, y in POINTS:
            if source == "x ** y" and x < 0:
                continue  # negative base, fractional exponent
            report = check(evaluate(source, {"x": x, "y": y}))
            exact = exact_gradient(expr, x, y)
            for name, row in rows_by_name(report).items():
                if exact[name] == 0.0:  # y in tanh(x): an unused binding
                    assert row.numeric == 0.0 and row.status == "pass"
                    continue
                rel = abs(row.numeric - exact[name]) / abs(exact[name])
                assert rel <= 1e-11, (source, x, y, name, row)
                assert row.status == "pass", (source, x, y, name, row)
                assert abs(row.numeric - exact[name]) <= max(row.error_estimate, 1e-15)  # an honest estimate
                worst, checked = max(worst, rel), checked + 1
    assert checked > 100 and worst < 1e-11  # measured: worst 7e-13


@pytest.mark.parametrize("f, df, x", [(math.exp, math.exp, 1.0), (math.sin, math.cos, 0.7), (math.atan, None, 2.0)])
def test_richardson_beats_the_best_single_central_difference(f, df, x):
    exact = df(x) if df else 1.0 / (1.0 + x * x)
    estimate = derivative(f, x)
    ours = abs(estimate.value - exact) / abs(exact)
    best_plain = min(abs((f(x + h) - f(x - h)) / (2 * h) - exact) / abs(exact) for h in (1e-3, 1e-4, 1e-5, 1e-6, 1e-7))
    assert ours < 1e-13 < best_plain


def test_a_linear_function_has_a_rounding_floor_not_zero_error():
    estimate = derivative(lambda t: 3.0 * t + 1.0, 2.0)
    assert abs(estimate.value - 3.0) <= estimate.error
    assert 0.0 < estimate.error < 1e-12


def test_a_step_that_leaves_the_domain_is_shrunk():
    # log near 0: the first step 0.1 reaches log(-0.05), log(0); smaller steps are used instead.
    row = rows_by_name(check(evaluate("log(x)", {"x": 0.05})))["x"]
    assert row.status == "pass" and abs(row.numeric - 20.0) < 1e-10
    assert derivative(math.log, 1e-12).value == pytest.approx(1e12, rel=1e-11)


def test_at_a_domain_boundary_the_estimate_is_one_sided():
    # x**2.5 is defined for x >= 0 only: at 0 only the right-hand quotients exist.
    row = rows_by_name(check(evaluate("x ** 2.5 + 3*x", {"x": 0.0})))["x"]
    assert row.status == "pass" and row.left is None and row.right == pytest.approx(3.0, rel=1e-12)
    assert "one-sided" in row.note


# -- the checker catches wrong rules ---------------------------------------------------------


def test_a_wrong_local_derivative_in_a_built_graph_fails():
    graph = evaluate("L = tanh(x) * exp(y)", {"x": 0.4, "y": -0.3})
    node = node_with_op(graph, "tanh")
    node.op = ops.with_rule(node.op, times(1.001, node.op.vjp))
    graph.backward()
    report = check(graph)
    rows = rows_by_name(report)
    assert not report.ok
    assert rows["x"].status == "fail" and rows["x"].rel_error == pytest.approx(1e-3, rel=1e-3)
    assert rows["y"].status == "pass"


def test_a_wrong_rule_in_the_op_table_fails(monkeypatch):
    mul = ops.BY_NAME["mul"]
    monkeypatch.setitem(ops.BY_NAME, "mul", ops.with_rule(mul, times(1.001, mul.vjp)))
    report = check(evaluate(SEED))
    assert not report.ok
    assert {row.name: row.status for row in report.rows} == dict.fromkeys("abcf", "fail")


def test_nodes_pinpoint_the_wrong_step():
    # e = a*b has a wrong rule: a and b fail, but every node's own gradient is still right.
    graph = evaluate(SEED)
    e = graph.names["e"]
    e.op = ops.with_rule(e.op, times(1.001, e.op.vjp))
    graph.backward()
    rows = rows_by_name(check(graph, CheckOptions(nodes=True)))
    assert [rows[n].status for n in ("a", "b", "c", "f")] == ["fail", "fail", "pass", "pass"]
    assert rows["node:e"].status == rows["node:d"].status == "pass"


# -- kinks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, bindings, left, right, analytic",
    [
        ("relu(x)", {"x": 0.0}, 0.0, 1.0, 0.0),  # PyTorch: relu'(0) = 0
        ("abs(x)", {"x": 0.0}, -1.0, 1.0, 0.0),
        ("max(x, x)", {"x": 1.0}, 1.0, 1.0, 1.0),  # a tie that never breaks: still the switch point
        ("max(x, y)", {"x": 1.0, "y": 1.0}, 0.0, 1.0, 0.5),  # ties split evenly
        ("min(x, y) * x", {"x": 2.0, "y": 2.0}, 4.0, 2.0, 3.0),
    ],
)
def test_kinks_are_marked_and_pass_when_autograd_lies_between_the_sides(source, bindings, left, right, analytic):
    report = check(evaluate(source, bindings))
    row = rows_by_name(report)["x"]
    assert report.ok
    assert row.status == "kink"
    assert row.analytic == analytic
    assert row.left == pytest.approx(left, abs=1e-12) and row.right == pytest.approx(right, abs=1e-12)
    assert row.numeric == pytest.approx((left + right) / 2, abs=1e-12) and row.abs_error == 0.0
    assert {"left", "right"} <= set(to_dict(report)["results"][0])


def test_a_kink_fails_when_autograd_lies_outside():
    graph = evaluate("relu(x)", {"x": 0.0})
    node = node_with_op(graph, "relu")
    node.op = ops.with_rule(node.op, lambda g, out, x, P: (2.0 * g,))
    graph.backward()
    row = rows_by_name(check(graph))["x"]
    assert row.status == "fail" and row.abs_error == pytest.approx(1.0)


def test_a_kink_nearby_is_stepped_around_not_reported():
    row = rows_by_name(check(evaluate("relu(x - 0.001) + x*x", {"x": 0.0})))["x"]
    assert row.status == "pass" and row.left is None and abs(row.numeric) < 1e-12


def test_a_kink_that_no_piecewise_op_announces_is_found_from_the_sides():
    # sqrt(x*x) = |x| without abs: at 1e-300 every usable step crosses the kink at 0.
    estimate = derivative(lambda t: math.sqrt(t * t), 1e-300)
    assert estimate.kink
    assert estimate.left == pytest.approx(-1.0) and estimate.right == pytest.approx(1.0)


# -- claims (--expect) ----------------------------------------------------------------------


def test_right_claims_pass():
    claims = {"a": "f*b", "b": "f*a", "c": "f", "f": "d"}
    report = check(evaluate(SEED), CheckOptions(expect=claims))
    rows = rows_by_name(report)
    assert report.ok
    for name, grad in HAND.items():
        row = rows[f"expect:{name}"]
        assert row.status == "pass" and row.analytic == grad and abs(row.numeric - grad) < 1e-10


def test_a_wrong_claim_fails():
    report = check(evaluate(SEED), CheckOptions(expect={"a": "f*a"}))  # should be f*b
    row = rows_by_name(report)["expect:a"]
    assert not report.ok
    assert row.status == "fail" and row.analytic == -4.0 and row.numeric == pytest.approx(6.0)


def test_number_claims_are_checked_at_the_given_point_only():
    report = check(evaluate(SEED), CheckOptions(expect={"a": "6", "b": "-4.1", "c": "f"}, samples=2))
    expect_rows = [(row.point, row.name, row.status) for row in report.rows if row.name.startswith("expect:")]
    assert expect_rows == [
        (0, "expect:a", "pass"),
        (0, "expect:b", "fail"),
        (0, "expect:c", "pass"),
        (1, "expect:c", "pass"),
        (2, "expect:c", "pass"),
    ]


@pytest.mark.parametrize(
    "claims, error",
    [
        ({"zz": "1"}, BindingError),  # not an input
        ({"e": "1"}, BindingError),  # an intermediate, not an input
        ({"a": "f*"}, UsageError),  # syntax error
        ({"a": "g*b"}, UsageError),  # unknown name
        ({"a": "tanhh(b)"}, UsageError),  # unknown function
        ({"a": "x = b"}, UsageError),  # not one expression
    ],
)
def test_bad_claims_are_usage_errors(claims, error):
    with pytest.raises(error) as info:
        check(evaluate(SEED), CheckOptions(expect=claims))
    assert info.value.exit_code == 2 and "expect" in info.value.message


def test_a_claim_undefined_at_the_point_is_a_math_error():
    with pytest.raises(MathError):
        check(evaluate(SEED), CheckOptions(expect={"a": "log(b)"}))  # b = -3


# -- samples --------------------------------------------------------------------------------


def test_samples_are_reproducible_for_a_seed_and_differ_across_seeds():
    graph = evaluate("tanh(x) * exp(y) + relu(x - y)", {"x": 0.5, "y": -0.2})
    first, again = check(graph, CheckOptions(samples=3, seed=7)), check(graph, CheckOptions(samples=3, seed=7))
    other = check(graph, CheckOptions(samples=3, seed=8))
    assert first.points == again.points and to_dict(first) == to_dict(again)
    assert first.points[0] == other.points[0] == {"x": 0.5, "y": -0.2}
    assert first.points[1:] != other.points[1:]
    assert len(first.points) == 4 and sorted({row.point for row in first.rows}) == [0, 1, 2, 3]
    assert first.ok and other.ok


def test_samples_are_redrawn_where_the_program_is_undefined_or_kinked():
    report = check(evaluate("log(x) + abs(y)", {"x": 0.01, "y": 0.0}), CheckOptions(samples=5, seed=1))
    assert all(point["x"] > 0 for point in report.points)
    assert [row.status for row in report.rows if row.point > 0] == ["pass"] * 10
    assert rows_by_name(report)["y"].status == "kink"  # the given point itself is kept


def test_when_no_sample_point_can_be_found_the_row_says_so():
    # Defined at x = 1 only: (x-1)**2.5 needs x >= 1 and (1-x)**2.5 needs x <= 1.
    report = check(evaluate("(x - 1) ** 2.5 + (1 - x) ** 2.5", {"x": 1.0}), CheckOptions(samples=1))
    (row,) = [row for row in report.rows if row.point == 1]
    assert row.name == "sample" and row.status == "inconclusive" and "no point" in row.note
    assert not report.ok
    json.dumps(to_dict(report), allow_nan=False)  # NaN becomes "NaN"


# -- inconclusive -----------------------------------------------------------------------------


def test_inconclusive_when_rounding_noise_swamps_the_differences():
    # x + 1e15 is rounded to a multiple of 0.125, so every difference quotient is noise: the
    # error estimate (the adjoint rounding eps * 1e15 / h) is far above the tolerance.
    row = rows_by_name(check(evaluate("(x + 1e15) - 1e15", {"x": 0.3})))["x"]
    assert row.status == "inconclusive" and row.error_estimate > 1e-3
    assert "error estimate" in row.note


def test_inconclusive_when_doubles_cannot_resolve_the_function():
    # sin(1e20 x) turns by ~5000 radians between neighbouring doubles near 0.3: no step can
    # sample it, so a disagreement is not a failure.
    report = check(evaluate("sin(1e20 * x)", {"x": 0.3}))
    assert rows_by_name(report)["x"].status == "inconclusive" and not report.ok


def test_undefined_on_both_sides_is_inconclusive():
    # defined at y = 2 only, where autograd's dL/dy is 0; no difference quotient exists
    row = rows_by_name(check(evaluate("L = (y - 2) ** 2.5 + (2 - y) ** 2.5", {"y": 2.0})))["y"]
    assert row.status == "inconclusive" and math.isnan(row.numeric)


# -- nodes ----------------------------------------------------------------------------------


def test_nodes_checks_every_intermediate_the_output_needs():
    report = check(evaluate(SEED + "unused = a * 3\n", {}, of="L"), CheckOptions(nodes=True))
    rows = rows_by_name(report)
    assert list(rows) == ["a", "b", "c", "f", "node:e", "node:d"]  # not L itself, not `unused`
    assert rows["node:e"].analytic == rows["node:d"].analytic == -2.0
    assert all(row.status == "pass" for row in rows.values())


def test_repeated_labels_get_the_node_id():
    report = check(evaluate("y = x * x\ny += sin(x)\nz = y * y", {"x": 0.5}), CheckOptions(nodes=True))
    names = [row.name for row in report.rows]
    assert "node:y" not in names and sum(name.startswith("node:y#") for name in names) == 2
    assert report.ok


# -- the graph is left as it was -----------------------------------------------------------


def snapshot(graph):
    return [(node.data, node.grad) for node in graph.nodes]


def test_values_and_grads_are_restored():
    graph = evaluate("tanh(x) * log(y) + relu(x)", {"x": 0.0, "y": 2.0})
    before = snapshot(graph)
    check(graph, CheckOptions(samples=3, nodes=True, expect={"y": "tanh(x)/y"}))
    assert snapshot(graph) == before


def test_a_math_error_at_the_given_point_propagates_and_restores():
    graph = evaluate("log(x)", {"x": 1.0})
    graph.inputs["x"].data = -1.0
    before = snapshot(graph)
    with pytest.raises(MathError) as info:
        check(graph)
    assert info.value.exit_code == 3
    assert snapshot(graph) == before


# -- the JSON and the API -----------------------------------------------------------------


def test_to_dict_has_the_design_keys():
    report = check(evaluate(SEED), CheckOptions(expect={"a": "f*b"}))
    document = to_dict(report)
    assert document["output"] == "L" and document["ok"] is True
    keys = ["point", "name", "value", "analytic", "numeric", "error_estimate", "abs_error", "rel_error", "status"]
    for result in document["results"]:
        assert list(result)[: len(keys)] == keys
        assert result["status"] in STATUSES
    assert document["results"][-1]["name"] == "expect:a"
    assert document["points"] == [{"a": 2.0, "b": -3.0, "c": 5.0, "f": -2.0}]
    json.dumps(document, allow_nan=False)


def test_bad_options_are_usage_errors():
    graph = evaluate(SEED)
    for options in ({"samples": -1}, {"rtol": -1.0}, {"atol": math.nan}):
        with pytest.raises(GradcliError) as info:
            check(graph, CheckOptions(**options))
        assert info.value.exit_code == 2


def test_the_core_imports_no_cli_libraries():
    import subprocess
    import sys

    code = "import sys, gradcli.analysis.check; print(sorted(m for m in ('lark', 'rich', 'typer') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


# -- property: correct gradients are never failed -------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    a=st.floats(-2, 2),
    b=st.floats(-2, 2),
    x=st.floats(-3, 3),
    y=st.floats(-3, 3),
)
def test_correct_gradients_of_smooth_programs_pass(a, b, x, y):
    source = f"L = tanh({a!r}*x) * exp({b!r}*y) + sin(x*y) - softplus(x - y)"
    report = check(evaluate(source, {"x": x, "y": y}))
    assert report.ok, [row for row in report.rows if row.status != "pass"]
