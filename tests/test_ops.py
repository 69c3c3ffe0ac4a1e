"""Every op of the table, checked numerically at sample points.

SAMPLES must name every op: a new op without sample points fails `test_every_op_has_samples`.
"""

import math
import re
from importlib.resources import files
from pathlib import Path

import pytest

from gradcli import MathError, Value
from gradcli.core.engine import apply
from gradcli.core.ops import BY_NAME, FUNCTIONS, OPS

# op name -> points (one tuple of operands each) where the op is smooth
SAMPLES = {
    "add": [(1.5, -2.25), (0.0, 3.0)],
    "sub": [(1.5, -2.25), (-4.0, 3.0)],
    "mul": [(1.5, -2.25), (0.5, 8.0)],
    "div": [(1.5, -2.25), (-3.0, 0.7)],
    "neg": [(1.5,), (-0.3,)],
    "id": [(2.5,)],
    "pow": [(1.7, 2.3), (0.4, -1.5), (-2.0, 3.0), (2.0, 0.5)],
    "exp": [(0.3,), (-2.0,), (5.0,)],
    "log": [(0.3,), (2.0,), (100.0,)],
    "sqrt": [(0.3,), (2.0,), (1e4,)],
    "abs": [(1.3,), (-2.0,)],
    "sin": [(0.3,), (-2.0,), (10.0,)],
    "cos": [(0.3,), (-2.0,), (10.0,)],
    "tan": [(0.3,), (-1.2,)],
    "asin": [(0.3,), (-0.9,)],
    "acos": [(0.3,), (-0.9,)],
    "atan": [(0.3,), (-5.0,)],
    "sinh": [(0.3,), (-2.0,)],
    "cosh": [(0.3,), (-2.0,)],
    "tanh": [(0.3,), (-2.0,), (4.0,)],
    "sech": [(0.3,), (-2.0,), (400.0,)],
    "sigmoid": [(0.3,), (-2.0,), (30.0,), (-30.0,)],
    "relu": [(1.3,), (-2.0,)],
    "softplus": [(0.3,), (-2.0,), (40.0,), (-40.0,)],
    "min": [(1.0, 2.0), (3.0, -1.0)],
    "max": [(1.0, 2.0), (3.0, -1.0)],
    "erf": [(0.3,), (-1.5,), (3.0,)],
    "erfc": [(0.3,), (-1.5,), (3.0,)],
    "log10": [(0.3,), (250.0,)],
    "log2": [(0.3,), (250.0,)],
    "log1p": [(0.3,), (-0.5,), (1e-8,)],
    "expm1": [(0.3,), (-2.0,), (1e-8,)],
    "atan2": [(1.0, 2.0), (-1.5, -0.5), (2.0, -3.0)],
    "hypot": [(3.0, 4.0), (-1.5, 0.5)],
    "cbrt": [(27.0,), (-8.0,), (0.3,)],
    "floor": [(1.3,), (-2.5,)],
    "ceil": [(1.3,), (-2.5,)],
    "round": [(1.3,), (-2.7,)],
    "sign": [(1.3,), (-2.0,)],
    "lt": [(1.0, 2.0), (3.0, -1.0)],
    "le": [(1.0, 2.0), (3.0, -1.0)],
    "gt": [(1.0, 2.0), (3.0, -1.0)],
    "ge": [(1.0, 2.0), (3.0, -1.0)],
    "eq": [(1.0, 2.0), (3.0, -1.0)],
    "ne": [(1.0, 2.0), (3.0, -1.0)],
    "where": [(1.0, 2.0, 3.0), (0.0, 2.0, 3.0)],
}

# Independent forward oracles (plain math, written differently from the table where it matters).
ORACLE = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "neg": lambda x: -x,
    "id": lambda x: x,
    "pow": lambda x, y: x**y,
    "exp": math.exp,
    "log": math.log,
    "sqrt": lambda x: x**0.5,
    "abs": lambda x: x if x >= 0 else -x,
    "sin": math.sin,
    "cos": math.cos,
    "tan": lambda x: math.sin(x) / math.cos(x),
    "asin": math.asin,
    "acos": lambda x: math.pi / 2 - math.asin(x),
    "atan": math.atan,
    "sinh": lambda x: (math.exp(x) - math.exp(-x)) / 2,
    "cosh": lambda x: (math.exp(x) + math.exp(-x)) / 2,
    "tanh": lambda x: (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1),
    "sech": lambda x: 2 / (math.exp(x) + math.exp(-x)),
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)),
    "relu": lambda x: max(x, 0.0),
    "softplus": lambda x: math.log1p(math.exp(x)) if x < 30 else x + math.exp(-x),
    "min": min,
    "max": max,
    "erf": lambda x: 1 - math.erfc(x),
    "erfc": lambda x: 1 - math.erf(x),
    "log10": lambda x: math.log(x) / math.log(10),
    "log2": lambda x: math.log(x) / math.log(2),
    "log1p": lambda x: math.log1p(x),
    "expm1": lambda x: math.expm1(x),
    "atan2": lambda y, x: math.atan2(y, x),
    "hypot": lambda x, y: math.sqrt(x * x + y * y),
    "cbrt": lambda x: math.copysign(abs(x) ** (1 / 3), x),
    "floor": lambda x: float(math.floor(x)),
    "ceil": lambda x: float(math.ceil(x)),
    "round": lambda x: float(round(x)),
    "sign": lambda x: (x > 0) - (x < 0),
    "lt": lambda x, y: float(x < y),
    "le": lambda x, y: float(x <= y),
    "gt": lambda x, y: float(x > y),
    "ge": lambda x, y: float(x >= y),
    "eq": lambda x, y: float(x == y),
    "ne": lambda x, y: float(x != y),
    "where": lambda c, a, b: a if c != 0 else b,
}


def richardson(f, x):
    """d f / dx by central differences extrapolated twice (error ~h^6)."""
    h = 1e-2 * max(1.0, abs(x))

    def central(h):
        return (f(x + h) - f(x - h)) / (2 * h)

    d1, d2, d3 = central(h), central(h / 2), central(h / 4)
    e1, e2 = (4 * d2 - d1) / 3, (4 * d3 - d2) / 3
    return (16 * e2 - e1) / 15


def test_every_op_has_samples():
    assert set(SAMPLES) == set(BY_NAME), "add sample points for every op of the table"
    assert set(ORACLE) == set(BY_NAME)


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_forward_matches_oracle(op):
    for xs in SAMPLES[op.name]:
        assert len(xs) == op.arity
        got = op.forward(*xs)
        assert got == pytest.approx(ORACLE[op.name](*xs), rel=1e-13, abs=1e-15), xs


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_local_derivatives_match_finite_differences(op):
    for xs in SAMPLES[op.name]:
        out = op.forward(*xs)
        local = op.local(out, *xs)
        assert len(local) == op.arity
        for i in range(op.arity):

            def f(t, i=i, xs=xs):
                args = list(xs)
                args[i] = t
                return op.forward(*args)

            if op.name == "where" and i == 0:
                assert local[0] == 0.0  # the condition is not differentiated
                continue
            if op.name == "pow" and i == 1 and xs[0] < 0:
                assert math.isnan(local[1])  # x^y for x < 0 is defined at integer y only
                continue
            assert local[i] == pytest.approx(richardson(f, xs[i]), rel=1e-8, abs=1e-10), (xs, i)


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_engine_applies_each_op(op):
    """Through the engine: value from the table, gradient = local derivative."""
    for xs in SAMPLES[op.name]:
        args = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
        out = apply(op, *args)
        if op.name == "pow" and xs[0] < 0:
            # d/dy x^y does not exist for x < 0: a variable exponent is an error, a constant one is not.
            with pytest.raises(MathError, match=r"derivative of x0\*\*x1 with respect to x1 is undefined"):
                out.backward()
            base = Value(xs[0])
            (base ** xs[1]).backward()
            assert base.grad == local_pow_dx(*xs)
            continue
        out.backward()
        local = op.local(out.data, *xs)
        assert out.data == op.forward(*xs)
        for a, d in zip(args, local):
            if not math.isnan(d):
                assert a.grad == d


def local_pow_dx(x, y):
    return y * x ** (y - 1)


def test_kink_conventions_follow_pytorch():
    relu, abs_, mx, mn = BY_NAME["relu"], BY_NAME["abs"], BY_NAME["max"], BY_NAME["min"]
    assert relu.local(0.0, 0.0) == (0.0,)
    assert abs_.local(0.0, 0.0) == (0.0,)
    assert mx.local(2.0, 2.0, 2.0) == (0.5, 0.5)
    assert mn.local(2.0, 2.0, 2.0) == (0.5, 0.5)


def test_every_op_is_reachable_from_the_grammar():
    """Operators appear in the grammar as `-> name` aliases; functions are called by name
    through the grammar's generic call rule, so adding a function needs no grammar edit."""
    from gradcli.lang.parser import parse

    top = Path(__file__).parent.parent / "grammar" / "gradcli.lark"
    grammar = top.read_text() if top.exists() else files("gradcli").joinpath("grammar", "gradcli.lark").read_text()
    aliases = set(re.findall(r"->\s*(\w+)", grammar))
    for op in OPS:
        if op.syntax == "operator":
            assert op.name in aliases or op.name == "id" or op.precedence == 2, op.name  # comparisons: being added
        else:
            args = ", ".join(f"x{i}" for i in range(op.arity))
            program = parse(f"y = {op.name}({args})")
            assert program.code[-1][:3] == ("call", op.name, op.arity)
    assert {"add", "sub", "mul", "div", "neg", "pow"} <= aliases
    assert set(FUNCTIONS) >= {"exp", "log", "sqrt", "abs", "sin", "cos", "tan", "asin", "acos", "atan"}
    assert set(FUNCTIONS) >= {"sinh", "cosh", "tanh", "sigmoid", "relu", "softplus", "min", "max", "pow"}


# -- the rules compiled for floats (gradcli/_float_rules.py, written by tools/gen_float_rules.py)


def _gen_float_rules():
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "tools" / "gen_float_rules.py"
    spec = importlib.util.spec_from_file_location("gen_float_rules", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_float_rules_are_generated_from_the_current_rules():
    gen = _gen_float_rules()
    assert gen.module_source() == gen.OUT.read_text(encoding="utf-8"), (
        "gradcli/_float_rules.py is stale: run python tools/gen_float_rules.py"
    )
    assert all(op.floats is not None for op in OPS)


EDGES = [0.0, -0.0, 0.5, -1.0, 1.0, 2.0, -2.5, 1e-310, 1e300, -1e300, math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_each_rule_compiled_for_floats_gives_the_rules_results(op):
    # The float sweep calls op.floats; where it raises, the sweep runs the rule itself
    # (vjp_floats).  Where it returns, its results must be the rule's, bit for bit, at the
    # sample points and at every combination of edge values (zeros, tiny, huge, inf, NaN).
    import itertools
    import struct

    from gradcli.core.ops import SAFE, vjp_floats

    def bits(x: float) -> bytes:
        return b"nan" if x != x else struct.pack("<d", x)

    points = [*SAMPLES[op.name], *itertools.product(EDGES, repeat=op.arity)]
    compared = 0
    for xs in points:
        try:
            out = getattr(SAFE, op.name)(*xs)
        except (ArithmeticError, ValueError):  # floor(inf): no node, so no rule to run
            continue
        for g in (1.0, -0.75):
            want = vjp_floats(op, g, float(out), tuple(xs))
            try:
                got = op.floats(g, float(out), *xs)
            except (ArithmeticError, ValueError):
                continue
            assert list(map(bits, map(float, got))) == list(map(bits, map(float, want))), (xs, g, got, want)
            compared += 1
    assert compared >= len(SAMPLES[op.name])
