"""micrograd's own engine tests (karpathy/micrograd test/test_engine.py), with its published
results (which it checks against PyTorch), as gradcli programs and through the Python API."""

import pytest

from gradcli import Value
from gradcli.build.standard import evaluate

SANITY = """
x = -4.0
z = 2 * x + 2 + x
q = relu(z) + z * x
h = relu(z * z)
y = h + q + q * x
"""

MORE_OPS = """
a = -4.0
b = 2.0
c = a + b
d = a * b + b**3
c += c + 1
c += 1 + c + (-a)
d += d * 2 + relu(b + a)
d += 3 * d + relu(b - a)
e = c - d
f = e**2
g = f / 2.0
g += 10.0 / f
"""


def test_sanity_check_program():
    graph = evaluate(SANITY)
    assert graph.output.data == -20.0
    assert graph.gradients() == {"x": 46.0}


def test_more_ops_program():
    graph = evaluate(MORE_OPS)
    assert graph.output.data == pytest.approx(24.70408163265306, rel=1e-15)
    grads = graph.gradients()
    assert grads["a"] == pytest.approx(138.83381924198252, rel=1e-15)
    assert grads["b"] == pytest.approx(645.5772594752186, rel=1e-15)


def test_more_ops_through_the_cli(eval_json):
    doc = eval_json(MORE_OPS)
    assert doc["output"] == "g"
    assert doc["value"] == pytest.approx(24.70408163265306, rel=1e-15)
    assert doc["gradients"]["a"] == pytest.approx(138.83381924198252, rel=1e-15)
    assert doc["gradients"]["b"] == pytest.approx(645.5772594752186, rel=1e-15)


def test_sanity_check_api():
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert (y.data, x.grad) == (-20.0, 46.0)


def test_more_ops_api():
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    tol = 1e-6  # micrograd's own tolerance
    assert abs(g.data - 24.70408163265306) < tol
    assert abs(a.grad - 138.83381924198252) < tol
    assert abs(b.grad - 645.5772594752186) < tol


def test_api_has_every_op_table_function():
    x = Value(0.5)
    for name in ["tanh", "exp", "log", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh"]:
        assert getattr(x, name)().data == pytest.approx(__import__("math").__dict__[name](0.5))
    assert x.sigmoid().data == pytest.approx(1 / (1 + __import__("math").exp(-0.5)))
    assert x.max(2.0).data == 2.0 and x.min(2.0).data == 0.5
    assert (2 ** Value(3.0)).data == 8.0
    assert (1 - x).data == 0.5 and (1 / x).data == 2.0 and (-x).data == -0.5


def test_deep_chain_backward_is_not_recursive():
    x = Value(1.0)
    y = x
    for _ in range(50_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0
