"""analysis/objective.py: a program as f(x), its exact gradient, Hessian and Hessian-vector
products compiled once; several outputs' Jacobian.  Oracles: closed forms and central differences."""

from __future__ import annotations

import math

import pytest

from gradcli import session
from gradcli.analysis.objective import Objective, Outputs, named_outputs
from gradcli.core.errors import UsageError

np = pytest.importorskip("numpy")

ROSEN = "f = (1 - x)**2 + 100*(y - x**2)**2"


def _graph(text, *bindings):
    return session.evaluate(session.Source(text), list(bindings), session.Request())


def test_rosenbrock_value_gradient_hessian_closed_form():
    o = Objective(_graph(ROSEN, "x=1", "y=1"), ["x", "y"])
    x, y = -1.2, 1.0
    f, g = o.evaluate([x, y])
    assert f == pytest.approx((1 - x) ** 2 + 100 * (y - x**2) ** 2, rel=1e-15)
    assert g == pytest.approx([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)], rel=1e-14)
    assert o.hessian([1.0, 1.0]).tolist() == [[802.0, -400.0], [-400.0, 200.0]]
    h = o.hessian([x, y])
    assert h == pytest.approx(np.array([[1200 * x**2 - 400 * y + 2, -400 * x], [-400 * x, 200]]), rel=1e-14)
    p = np.array([0.3, -0.7])
    assert o.hessp([x, y], p) == pytest.approx(h @ p, rel=1e-14)
    assert o.counts == {"f": 0, "grad": 0, "hess": 2 + 1}


def test_the_compiled_function_equals_the_graph_bit_for_bit():
    text = "f = sum(100*(w[1:] - w[:-1]**2)**2 + (1 - w[:-1])**2) + a*exp(-a)"
    g = _graph(text, "w=[0.5, -1.2, 1, 2]", "a=0.3")
    o = Objective(g, list(g.inputs))
    assert o.evaluate(o.start()) == (g.output.data, list(g.gradients().values()))
    rng = np.random.default_rng(1)
    for _ in range(5):
        x = rng.normal(size=len(o.names)).tolist()
        g2 = _graph(text, f"w={x[:4]}", f"a={x[4]!r}")
        assert o.evaluate(x) == (g2.output.data, list(g2.gradients().values()))


def test_fixed_inputs_keep_their_values_and_hessian_matches_differences():
    g = _graph("f = a*sin(x*y) + x**2*c", "x=0.4", "y=-0.3", "a=2", "c=5")
    o = Objective(g, ["x", "y"])  # a and c fixed
    x = np.array([0.7, 0.2])
    h = o.hessian(x)
    eps = 1e-6
    fd = np.array([(o.gradient(x + eps * e) - o.gradient(x - eps * e)) / (2 * eps) for e in np.eye(2)])
    assert h == pytest.approx(fd, rel=1e-6, abs=1e-7)
    assert o.evaluate(x)[0] == pytest.approx(2 * math.sin(0.14) + 0.49 * 5, rel=1e-15)


def test_undefined_point_is_inf_value_and_nan_gradient():
    o = Objective(_graph("f = log(x) + y", "x=1", "y=1"), ["x"])
    assert o.value([-1.0]) == math.inf
    assert math.isnan(o.gradient([-1.0])[0])
    assert o.counts["f"] == 1 and o.counts["grad"] == 1


def test_outputs_values_and_jacobian():
    g = _graph("r = x**2 + y**2 - 4\ns = x*y - 1", "x=1", "y=1")
    u = Outputs(g, named_outputs(g, ["r", "s"]), ["x", "y"])
    assert u.values([1.0, 2.0]).tolist() == [1.0, 1.0]
    assert u.jacobian([1.0, 2.0]).tolist() == [[2.0, 4.0], [2.0, 1.0]]
    with pytest.raises(UsageError, match="rr is not a value the program computes") as info:
        named_outputs(g, ["rr"])
    assert "'r'" in info.value.hint


def test_array_output_is_its_elements():
    g = _graph("y = w*w\nz = sum(y)", "w=[1, 2]")
    u = Outputs(g, named_outputs(g, ["y"]), ["w[0]", "w[1]"])
    assert u.evaluate([3.0, 4.0]) == ([9.0, 16.0], [[6.0, 0.0], [0.0, 8.0]])
