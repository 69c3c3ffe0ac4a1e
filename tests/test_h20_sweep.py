"""Issue 20 (hardening 2), sweep and plot: each test failed before its fix.

- item 9: `plot` drew a `where()` branch where eval refuses the point (the value of the
  branch taken, though the other branch is undefined there);
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from gradcli import session
from gradcli.analysis.sweep import plot_samples

# -- item 9: plot draws exactly what eval computes at each point, a gap where eval refuses ---------


def _eval_at(gradcli, program: str, x: float) -> tuple[float, float]:
    """eval's value and dy/dx at x, or (nan, nan) where eval refuses (exit 3)."""
    result = gradcli("eval", program, f"x={x!r}", "--format", "json")
    if result.exit_code == 3:
        return math.nan, math.nan
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    return doc["value"], doc["gradients"]["x"]


def _same(drawn: float, exact: float) -> bool:
    """Equal to within 4 ulps (numpy's SIMD math may differ from libm's by an ulp), or both gaps."""
    if math.isnan(exact):
        return math.isnan(drawn)
    return math.isfinite(drawn) and abs(drawn - exact) <= 4 * math.ulp(exact)


@pytest.mark.parametrize(
    "program, sweep",
    [
        ("y = where(x > 0, sqrt(x), 0)", "x=-1:1:9"),  # sqrt(x) undefined at x < 0: eval refuses there
        ("y = where(x > 0, 1/x, 0)", "x=-1:1:5"),  # 1/x at 0 is a division by zero
        ("y = where(x > 0.5, 3, exp(1000*x))", "x=0:1:5"),  # exp(1000 x) overflows in the branch not taken
        ("y = x*sin(x)", "x=-2:2:7"),  # defined everywhere
    ],
)
def test_plot_samples_equal_eval_at_every_point(gradcli, program, sweep):
    plan = session.sweep(session.load(session.Source(program)), [sweep], None, session.Request(), default_count=200)
    x, y, dy = plot_samples(plan, "x")
    for xi, yi, dyi in zip(x.tolist(), y.tolist(), dy.tolist()):
        value, slope = _eval_at(gradcli, program, xi)
        assert _same(yi, value) and _same(dyi, slope), (xi, yi, dyi, value, slope)


def test_the_plot_of_a_rejected_where_branch_has_a_gap(gradcli):
    """x = -1 .. 0: eval refuses (sqrt(x) is undefined, at 0 its derivative), so both panels
    list that interval as undefined; before, the y panel drew the 0 of the other branch there."""
    result = gradcli("plot", "y = where(x > 0, sqrt(x), 0)", "x=-1:1:9", "--width", "60", "--height", "5")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("undefined for x in [-1, 0]") == 2  # the y panel and the dy/dx panel
    assert np.isnan(plot_samples(_plan("y = where(x > 0, sqrt(x), 0)", "x=-1:1:9"), "x")[1][:5]).all()


def _plan(program: str, sweep: str):
    return session.sweep(session.load(session.Source(program)), [sweep], None, session.Request(), default_count=200)
