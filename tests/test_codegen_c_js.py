"""`gradcli diff --to c` (issue 21; DESIGN §7.1): one C99 function `double L_grad(const double *in,
double *d)`, compiled with the system C compiler (-std=c99 -Wall -Wextra -Werror -O2, no fast-math),
loaded with ctypes and compared with `gradcli eval` (session.evaluate) at 200 seeded points per
program, over programs using every op of the op table: within C_ULPS; measured: bit for bit at 1,000
points (the slow test; the C library is the one Python's math calls).  Skipped where no C compiler is installed (.ci/run
installs none)."""

import ctypes
import math
import random
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from every_op_programs import PROGRAMS
from test_codegen_python import bits, eval_at, random_points
from test_sweep import ulps_apart

from gradcli import session
from gradcli.core.code_names import TARGETS, spelling
from gradcli.core.ops import BY_NAME, OPS
from gradcli.session import Request, Source

C_ULPS = 4
CC = shutil.which("cc")
needs_cc = pytest.mark.skipif(CC is None, reason="no C compiler (cc) on PATH: the C target's code cannot be compiled")


def c_source(text: str, order: int = 1, wrt=None, texts=()) -> tuple[str, list[str]]:
    g, free = session.diff_graph(Source(text), list(texts), Request())
    return session.diff(g, wrt, order, False, free, "c"), list(g.inputs)


def compile_c(code: str, directory, name: str):
    """The shared library of the code, compiled as the brief says; its one exported function."""
    src, lib = directory / f"{name}.c", directory / f"{name}.so"
    src.write_text(code)
    flags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-shared", "-fPIC"]
    done = subprocess.run([CC, *flags, str(src), "-o", str(lib), "-lm"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return lib


def function(lib, code: str):
    name = next(line.split("(")[0].split()[-1] for line in code.splitlines() if line.startswith("double "))
    f = getattr(ctypes.CDLL(str(lib)), name)
    f.restype = ctypes.c_double
    f.argtypes = [ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double)]

    def call(args: list[float], n: int):
        d = (ctypes.c_double * max(n, 1))()
        value = f((ctypes.c_double * max(len(args), 1))(*args), d)
        return value, list(d)[:n]

    return call


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """Every program compiled once (in parallel): text -> (call, inputs, code)."""
    if CC is None:
        pytest.skip("no C compiler (cc) on PATH")
    directory = tmp_path_factory.mktemp("c")
    sources = {text: c_source(text) for text in PROGRAMS}

    def build(k: int):
        return compile_c(sources[PROGRAMS[k]][0], directory, f"p{k}")

    with ThreadPoolExecutor(8) as pool:
        libs = dict(zip(PROGRAMS, pool.map(build, range(len(PROGRAMS)))))
    return {text: (function(libs[text], sources[text][0]), sources[text][1], sources[text][0]) for text in PROGRAMS}


def test_every_op_has_a_c_spelling():
    assert "c" in TARGETS
    for op in OPS:
        s = spelling(op)
        assert s.c or op.syntax == "operator", op.name
        assert all(f"{{{i}}}" in s.c for i in range(op.arity)) or not s.c
        assert "math." not in s.c and "np." not in s.c


def worst_ulps(call, inputs, text, points):
    worst = 0.0
    for point in points:
        value, gradient = eval_at(text, point)
        got_value, got = call([point[k] for k in inputs], len(inputs))
        expected = [value, *(gradient[k] for k in inputs)]
        for e, x in zip(expected, [got_value, *got]):
            worst = max(worst, ulps_apart(e, x))
    return worst


@needs_cc
@pytest.mark.parametrize("text", PROGRAMS)
def test_c_gradient_equals_eval_within_c_ulps(compiled, text):
    call, inputs, code = compiled[text]
    assert code.startswith("#include <math.h>\n") and code.count("#include") == 1
    assert worst_ulps(call, inputs, text, random_points(text, inputs)) <= C_ULPS


@needs_cc
@pytest.mark.slow
@pytest.mark.skipif(sys.version_info < (3, 11), reason="gc_hypot is CPython 3.11's math.hypot (3.10's: 1 ulp apart)")
def test_c_is_bit_for_bit(compiled):
    """The measured bound: the same libm, gradcli's formulas (hypot: CPython's), pow kept from
    becoming x*x, no contraction: the same bits at every point of every program."""
    for text, (call, inputs, _) in compiled.items():
        assert worst_ulps(call, inputs, text, random_points(text, inputs, 1000)) == 0, text


@needs_cc
@pytest.mark.parametrize("name", ["sech", "sigmoid", "softplus", "sign", "cbrt", "relu", "min", "max", "hypot"])
def test_c_helpers_are_gradclis_formulas_bit_for_bit(tmp_path, name):
    op = BY_NAME[name]
    code, inputs = c_source(f"y = {name}(a, b)" if op.arity == 2 else f"y = {name}(a)")
    call = function(compile_c(code, tmp_path, name), code)
    assert f"gc_{name}(" in code
    rng = random.Random(name)
    xs = [rng.uniform(-800, 800) for _ in range(300)] + [0.0, -0.0, 709.9, 710.0, -1e-300, 5e-324, 1e300, -1e-280]
    xs += [rng.uniform(-2, 2) * 10.0 ** rng.choice([-310, -300, -5, 0, 5, 300]) for _ in range(300)]
    for x in xs:
        args = [x, rng.choice([x, x + 1.0, x - 1.0])][: op.arity]
        assert bits(call(args, op.arity)[0]) == bits(op.forward(*args)), (name, args)


@needs_cc
@pytest.mark.parametrize("text", PROGRAMS[1:6] + PROGRAMS[12:14] + PROGRAMS[16:18])
def test_c_hessian_is_gradient_then_upper_triangle(tmp_path, text):
    code, inputs = c_source(text, order=2)
    assert "_hessian(const double *in, double *d)" in code
    call = function(compile_c(code, tmp_path, "h"), code)
    n = len(inputs)
    for point in random_points(text, inputs, 12):
        g = session.evaluate(Source(text), [f"{k}={v!r}" for k, v in point.items()], Request())
        h = session.hessian(g)
        triangle = [h.matrix[i][j] for i in range(n) for j in range(i, n)]
        value, d = call([point[k] for k in inputs], n + len(triangle))
        expected = [h.value, *h.gradient, *triangle]
        assert all(ulps_apart(e, x) <= C_ULPS for e, x in zip(expected, [value, *d])), (text, point)


@needs_cc
def test_third_derivative_and_renamed_c_keywords(tmp_path):
    code, inputs = c_source("y = x**3 * exp(-x)", order=3, wrt=["x"])
    call = function(compile_c(code, tmp_path, "d3"), code)
    assert "double y_d3(const double *in, double *d)" in code
    x = 0.7
    assert call([x], 1)[1][0] == pytest.approx((6 - 18 * x + 9 * x * x - x**3) * math.exp(-x), rel=1e-13)
    text = "double = 1.5\ny = double*int + auto*sin(int) + fabs*in - d/gc_sech + fmax"
    code, inputs = c_source(text)
    assert "const double int_ = in[1];" in code and "double_" in code and "gc_sech_" in code
    call = function(compile_c(code, tmp_path, "kw"), code)
    point = dict(zip(inputs, [1.5, 0.7, 1.1, 0.4, 1.3, 0.9, 0.6, 1.7]))
    value, gradient = eval_at(text, point)
    got_value, got = call(list(point.values()), len(inputs))
    assert got_value == value and got == [gradient[k] for k in inputs]


@needs_cc
@pytest.mark.parametrize(
    "text, x, expected",
    [
        ("y = log(x)", -1.0, "nan"),
        ("y = sqrt(x) + 1", -2.0, "nan"),
        ("y = 3/x", 0.0, "inf"),
        ("y = x**0.5", -1.0, "nan"),
        ("y = exp(x)", 1000.0, "inf"),
    ],
)
def test_c_domain_errors_give_nan_or_inf_where_gradcli_raises(tmp_path, text, x, expected):
    code, _ = c_source(text)
    value, _ = function(compile_c(code, tmp_path, "dom"), code)([x], 1)
    assert repr(value) == expected
    with pytest.raises(session.MathError):
        eval_at(text, {"x": x})


@needs_cc
def test_cli_to_c_compiles_with_the_documented_flags(gradcli, tmp_path):
    result = gradcli("diff", "L = a*b + sin(a)", "a=1", "b=2", "--to", "c")
    assert result.exit_code == 0, result.stderr
    assert "double L_grad(const double *in, double *d) {" in result.stdout
    call = function(compile_c(result.stdout, tmp_path, "cli"), result.stdout)
    assert call([1.0, 2.0], 2) == (2.0 + math.sin(1.0), [2.0 + math.cos(1.0), 1.0])


@needs_cc
@pytest.mark.parametrize("text, x", [("y = ceil(x)", -0.5), ("y = round(x)", -0.4), ("y = floor(x)*0 + ceil(x)", -0.0)])
def test_c_rounding_gives_evals_positive_zero(tmp_path, text, x):
    """C's ceil(-0.5) and nearbyint(-0.4) are -0; gradcli's (Python's float(math.ceil(x))) +0."""
    code, _ = c_source(text)
    value, _ = function(compile_c(code, tmp_path, "z"), code)([x], 1)
    expected, _ = eval_at(text, {"x": x})
    assert bits(value) == bits(expected) == bits(0.0)
