"""Fuzzing the whole command in-process: no input gives a traceback or an undocumented
exit code.  GRADCLI_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py runs a longer campaign."""

import json
import math
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradcli.core.ops import FUNCTIONS

N = int(os.environ.get("GRADCLI_FUZZ_EXAMPLES", "0"))
fuzz = settings(
    max_examples=N or 600, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=not N
)

TOKENS = [
    "x", "y", "a", "e", "pi", "tau", "foo", "_z", "tanh", "exp", "log", "max", "pow", "sqrt", "relu",
    "0", "1", "2.5", ".5", "7.", "1e308", "1e-320", "9", "-1",
    "+", "-", "*", "/", "**", "^", "(", ")", ",", "=", "+=", "-=", "*=", "/=", ";", "\n", "# c\n",
    " ", "  ", "\t", "$", "×", "\x00", "é", '"', "'", "[", "]", "==", "!", "\r\n", "\ufeff",
]  # fmt: skip
BINDINGS = ["x=1", "y=-2", "a=0", "x=1e308", "q=3", "x", "=1", "x=foo", "pi=1", "y=pi/2", "x=nan", "e=2"]

soups = st.lists(st.sampled_from(TOKENS), max_size=25).map("".join)


def _assert_clean(result, allowed):
    assert result.exit_code in allowed, (result.exit_code, result.stderr, result.stdout)
    assert "Traceback" not in result.stderr + result.stdout
    assert "internal error" not in result.stderr


@fuzz
@given(program=soups, bindings=st.lists(st.sampled_from(BINDINGS), max_size=3))
def test_token_soup_never_crashes(gradcli, program, bindings):
    result = gradcli("eval", "--", program, *bindings)
    _assert_clean(result, {0, 2, 3})
    if result.exit_code:
        assert result.stderr.startswith(("error: ", "warning: ")), result.stderr


@fuzz
@given(program=soups, bindings=st.lists(st.sampled_from(BINDINGS), max_size=3))
def test_token_soup_json_errors_are_one_json_line(gradcli, program, bindings):
    result = gradcli("eval", "--format", "json", "--", program, *bindings)
    _assert_clean(result, {0, 2, 3})
    lines = [json.loads(line) for line in result.stderr.splitlines()]  # every line is JSON
    if result.exit_code:
        (error,) = [line["error"] for line in lines if "error" in line]
        assert error["message"]
    else:
        json.loads(result.stdout)


UNARY = sorted(name for name, op in FUNCTIONS.items() if op.arity == 1)
BINARY = ["+", "-", "*", "/", "**", "max", "min", "pow"]


@st.composite
def programs(draw):
    """Well-formed programs over inputs x, y: any outcome but a name or syntax error."""
    names = ["x", "y"]
    lines = []
    for i in range(draw(st.integers(1, 6))):

        def operand():
            if draw(st.booleans()):
                return draw(st.sampled_from(names))
            return repr(draw(st.sampled_from([0.0, 1.0, 2.0, 0.5, 3.0, 1e300, 1e-300])))

        kind = draw(st.sampled_from(["unary", "binary", "binary"]))
        if kind == "unary":
            expr = f"{draw(st.sampled_from(UNARY))}({operand()})"
        else:
            op = draw(st.sampled_from(BINARY))
            expr = f"{op}({operand()}, {operand()})" if op.isalpha() else f"({operand()}) {op} ({operand()})"
        lines.append(f"v{i} = {expr}")
        names.append(f"v{i}")
    return "\n".join(lines)


values = st.sampled_from([0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-8, 700.0, -700.0, 1e200])


@settings(max_examples=N or 400, deadline=None, suppress_health_check=list(HealthCheck), database=None,
          derandomize=not N)  # fmt: skip
@given(program=programs(), x=values, y=values)
def test_random_programs_exit_0_or_3(gradcli, program, x, y):
    result = gradcli("eval", program, f"x={x!r}", f"y={y!r}", "--format", "json")
    _assert_clean(result, {0, 3})
    if result.exit_code == 0:
        doc = json.loads(result.stdout)
        # x, y, and any v_i assigned a constant expression (an input with that default, like a binding)
        assert all(name in ("x", "y") or name.startswith("v") for name in doc["gradients"])
        assert all(isinstance(g, float) and math.isfinite(g) for g in doc["gradients"].values())
    result = gradcli("eval", program, f"x={x!r}", f"y={y!r}", "--format", "json", "--allow-nonfinite")
    _assert_clean(result, {0})
    json.loads(result.stdout)  # strict JSON, NaN/Infinity as strings
