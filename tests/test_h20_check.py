"""Issue 20 (hardening 2), check's items: each test failed before its fix.

- item 4: at the edge of a domain (`x**1.5` at 0) check said `fail` though the gradient is right;
- item 5: `--order 2` at stationary points was inconclusive (a gradient of 0 taken as the scale
  of its own rounding); first-order accuracy back to wave 1's;
- item 6: `--order 2` at a kink showed absurd numbers (1.2e61, -6.7e15);
- `--order 2 --allow-nonfinite` exited 3 where first-order check carries NaN/inf on.

Exact values come from SymPy or by hand.
"""

from __future__ import annotations

import json

import pytest
import sympy as sp


def check_json(gradcli, *args):
    result = gradcli("check", *args, "--format", "json")
    assert result.exit_code in (0, 1), result.stderr + result.stdout
    doc = json.loads(result.stdout)
    return result.exit_code, {row["name"]: row for row in doc["results"] if row["point"] == 0}


def edge_derivative(power: str, order: int) -> float:
    """d^order/dx^order x**power at x = 0, from the right (SymPy's limit)."""
    x = sp.Symbol("x", positive=True)
    return float(sp.limit(sp.diff(x ** sp.Rational(power), x, order), x, 0, "+"))


# -- item 4: a one-sided domain is never a fail ---------------------------------------------------


@pytest.mark.parametrize("power, order", [(1.5, 1), (1.75, 1), (2.5, 2), (1.25, 1), (3.5, 2)])
def test_at_the_edge_of_the_domain_a_right_gradient_passes_on_one_side(gradcli, power, order):
    code, rows = check_json(gradcli, f"y = x**{power}", "x=0", "--order", str(order))
    names = ["x"] + (["d2:x,x"] if order == 2 else [])
    for name in names:
        row = rows[name]
        exact = edge_derivative(str(power), 1 if name == "x" else 2)
        assert exact == 0.0 and row["analytic"] == exact
        assert row["status"] == "pass", row  # before: fail (6.1e-37 +- 2.5e-37 against 0)
        assert "defined only on one side of x = 0" in row["note"]
        assert "left" not in row and "right" in row  # one-sided, from the right
        assert abs(row["numeric"] - exact) <= row["error_estimate"]  # the estimate bounds its error
    assert code == 0


def test_at_the_edge_of_the_domain_a_wrong_claim_is_not_confirmed(gradcli):
    code, rows = check_json(gradcli, "y = x**1.5", "x=0", "--expect", "x=1")
    assert rows["expect:x"]["status"] == "inconclusive" and code == 1  # never a pass; a one-sided edge cannot refute
    assert "defined only on one side of x = 0" in rows["expect:x"]["note"]


def test_an_infinite_gradient_at_the_edge_is_inconclusive_not_fail(gradcli):
    code, rows = check_json(gradcli, "y = sqrt(x)", "x=0", "--allow-nonfinite")
    assert rows["x"]["analytic"] == "Infinity" and rows["x"]["status"] == "inconclusive" and code == 1


def test_a_smooth_function_at_the_edge_still_passes_tightly(gradcli):
    code, rows = check_json(gradcli, "y = x**2.5 + 3*x", "x=0")
    assert rows["x"]["status"] == "pass" and code == 0
    assert rows["x"]["numeric"] == pytest.approx(3.0, rel=1e-9)
