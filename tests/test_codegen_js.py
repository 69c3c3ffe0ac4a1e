"""`gradcli diff --to javascript` (issue 21; DESIGN §7.1): one ES module function
`export function L_grad(a, b)` returning `[L, [dL_da, dL_db]]`, run by node (one process for all
the programs and points: the modules as .mjs files, a driver reading the calls as JSON) and
compared with `gradcli eval` (session.evaluate) over programs using every op of the op table.

V8's Math.sin/cos/tan/exp/log/pow/asin/acos/atan/atan2/log2/log1p/expm1 are fdlibm ports, not the
glibc functions Python's math calls: 1 ulp apart at 1-10% of points (sinh, cosh, log10: 2; tanh:
3).  A derivative summing terms that cancel carries those ulps of its terms: measured at 1,000
points per program (tests/every_op_programs.py), the worst distance is 4 ulps of the largest of the
point's value and derivatives (and 1): JS_ULPS, the contract's; in ulps of each result itself, up to
512 where a derivative is near 0.  The helpers' measured bounds are HELPER_ULPS.  Skipped where node
is not installed (.ci/run installs none)."""

import json
import math
import random
import shutil
import subprocess

import pytest
from every_op_programs import PROGRAMS
from test_codegen_python import bits, eval_at, random_points
from test_sweep import ulps_apart

from gradcli import session
from gradcli.core.code_names import TARGETS, spelling
from gradcli.core.ops import BY_NAME, OPS
from gradcli.session import Request, Source

JS_ULPS = 4  # the contract's; the measured worst per program is in WORST below
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="no node on PATH: the javascript target's code cannot be run")

_DRIVER = """import { readFileSync } from "node:fs";
const special = (k, v) => (["NaN", "Infinity", "-Infinity"].includes(v) ? Number(v) : v);
const calls = JSON.parse(readFileSync(0, "utf8"), special);
const modules = {};
for (const [file] of calls) modules[file] ??= await import("./" + file + ".mjs");
const text = (v) => (Number.isFinite(v) ? (Object.is(v, -0) ? "-0" : v) : String(v));
const out = calls.map(([file, name, args]) => modules[file][name](...args).flat().map(text));
process.stdout.write(JSON.stringify(out));
"""


def js_source(text: str, order: int = 1, wrt=None, texts=()) -> tuple[str, list[str]]:
    g, free = session.diff_graph(Source(text), list(texts), Request())
    return session.diff(g, wrt, order, False, free, "javascript"), list(g.inputs)


def exported(code: str) -> str:
    return next(line.split("(")[0].split()[-1] for line in code.splitlines() if line.startswith("export function "))


def run_js(directory, modules: dict[str, str], calls: list[tuple[str, list[float]]]) -> list[list[float]]:
    """Each call (module, arguments) in one node process: the module's exported function's
    results, flattened (the value, then the derivatives in order)."""
    for name, code in modules.items():
        (directory / f"{name}.mjs").write_text(code)
    (directory / "driver.mjs").write_text(_DRIVER)
    names = {name: exported(code) for name, code in modules.items()}
    arg = lambda x: x if math.isfinite(x) else repr(x).replace("inf", "Infinity").replace("nan", "NaN")  # noqa: E731
    data = json.dumps([[m, names[m], [arg(x) for x in args]] for m, args in calls])
    done = subprocess.run([NODE, str(directory / "driver.mjs")], input=data, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[:2000]
    special = {"-0": -0.0, "NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
    return [[special[v] if isinstance(v, str) else float(v) for v in row] for row in json.loads(done.stdout)]


def worst_per_program(directory, n: int, scaled: bool = True) -> dict[str, float]:
    """Every program at n seeded points, one node run: the worst ulp distance to eval per program,
    in ulps of the largest of the point's results and 1 (`scaled`, as the numpy target's test: a
    derivative summed from terms that cancel carries their ulps), or of each result itself."""
    modules, calls, expected = {}, [], []
    for k, text in enumerate(PROGRAMS):
        modules[f"p{k}"], inputs = js_source(text)
        for point in random_points(text, inputs, n):
            value, gradient = eval_at(text, point)
            calls.append((f"p{k}", [point[i] for i in inputs]))
            expected.append((text, [value, *(gradient[i] for i in inputs)]))
    worst = dict.fromkeys(PROGRAMS, 0.0)
    for (text, want), got in zip(expected, run_js(directory, modules, calls)):
        assert len(got) == len(want)
        scale = max(1.0, *map(abs, want)) if scaled else 0.0
        worst[text] = max(worst[text], *(ulps_apart(e, x, scale) for e, x in zip(want, got)))
    return worst


def test_every_op_has_a_javascript_spelling():
    assert "javascript" in TARGETS
    for op in OPS:
        s = spelling(op)
        assert s.javascript or op.syntax == "operator", op.name
        assert all(f"{{{i}}}" in s.javascript for i in range(op.arity)) or not s.javascript
        assert "math." not in s.javascript and "np." not in s.javascript
        assert not s.js_helper or f"function gc_{op.name}(" in s.js_helper


@needs_node
def test_javascript_gradient_equals_eval_within_js_ulps(tmp_path):
    worst = worst_per_program(tmp_path, 200)
    assert max(worst.values()) <= JS_ULPS, {t: w for t, w in worst.items() if w}


@needs_node
@pytest.mark.slow
def test_javascript_at_1000_points_per_program(tmp_path):
    worst = worst_per_program(tmp_path, 1000)
    assert max(worst.values()) <= JS_ULPS, {t: w for t, w in worst.items() if w}


def helper_points(name: str) -> list[float]:
    """Many points of the helper's domain, its branches' edges and the extremes."""
    rng = random.Random(name)
    xs = [rng.uniform(-30, 30) for _ in range(3000)] + [rng.uniform(-3, 3) for _ in range(3000)]
    xs += [rng.uniform(-2, 2) * 10.0 ** rng.choice([-320, -310, -300, -30, -10, -5, 5, 10, 300]) for _ in range(2000)]
    edges = [0.84375, 1.25, 2.8571414947509766, 2.8571434020996094, 6.0, 28.0, 2.0**-28, 2.0**-56, 709.9, 710.0, 0.5]
    xs += [s * math.nextafter(e, d) for e in edges for d in (0.0, e, math.inf) for s in (1.0, -1.0)]
    xs += [k + 0.5 for k in range(-20, 20)] + [2.0**52 + 1.0, -(2.0**52) - 1.0, 4503599627370495.5, 0.49999999999999994]
    return xs + [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e308, -1e308, math.inf, -math.inf, math.nan]


def helper_worst(tmp_path, name: str) -> dict[str, float]:
    """The op's javascript form (its helper, or Math's function) at helper_points against gradcli's
    forward rule (floatmath's formulas, math's functions): the worst ulp distance where |x| < 1.25
    and where |x| >= 1.25 (erf's ranges that call exp), NaN and infinities matching."""
    op = BY_NAME[name]
    call = spelling(op).javascript.format(*(f"x[{i}]" for i in range(op.arity)))
    code = spelling(op).js_helper + f"\nexport function f(...x) {{\n    return [{call}];\n}}\n"
    rng = random.Random(name)
    args = []
    for x in helper_points(name):
        y = rng.choice([x, -x, x + 1.0, 1.0, 0.0, x * 1e300, x * 1e-300, 5e-324, math.inf])
        args.append([x, y][: op.arity])
    worst = {"small": 0.0, "large": 0.0}
    for a, (got,) in zip(args, run_js(tmp_path, {"h": code}, [("h", a) for a in args])):
        try:
            want = op.forward(*a)
        except (ArithmeticError, ValueError):
            continue  # gradcli raises there (round(inf), ...)
        distance = 0.0 if bits(want) == bits(got) else ulps_apart(want, got)
        where = "small" if max(map(abs, a)) < 1.25 else "large"
        worst[where] = max(worst[where], distance if math.isfinite(distance) else math.inf)
    return worst


# name: the worst ulps measured where every argument's |x| < 1.25, and elsewhere.  0: bit for bit
# (-0 included): arithmetic, comparisons and sqrt only.  cbrt: a pow (V8's) corrected by a Newton
# step; sech, sigmoid, softplus: V8's cosh, exp, log1p; erf, erfc: exp, for |x| >= 1.25 only.
HELPER_ULPS = {
    "sign": (0, 0), "relu": (0, 0), "min": (0, 0), "max": (0, 0), "hypot": (0, 0), "round": (0, 0),
    "floor": (0, 0), "ceil": (0, 0), "erf": (0, 1), "erfc": (0, 3), "cbrt": (1, 1),
    "sech": (2, 2), "sigmoid": (2, 2), "softplus": (2, 2),
}  # fmt: skip


@needs_node
@pytest.mark.parametrize("name", HELPER_ULPS)
def test_javascript_helpers_are_gradclis_formulas_within_measured_ulps(tmp_path, name):
    small, large = HELPER_ULPS[name]
    worst = helper_worst(tmp_path, name)
    assert worst["small"] <= small and worst["large"] <= large, worst


@needs_node
def test_hessian_and_third_derivative_functions(tmp_path):
    """L_hessian returns [L, [gradient], [upper triangle]] equal to `gradcli hessian`'s within
    JS_ULPS of the largest entry; y_d3 returns [y, d3y_dx3] (SymPy's formula, at 1e-12)."""
    texts = PROGRAMS[1:6] + PROGRAMS[12:14] + PROGRAMS[16:18]
    modules, calls, expected = {}, [], []
    for k, text in enumerate(texts):
        modules[f"h{k}"], inputs = js_source(text, order=2)
        assert "_hessian(" in modules[f"h{k}"] and "the Hessian's upper triangle, row by row" in modules[f"h{k}"]
        for point in random_points(text, inputs, 12):
            h = session.hessian(session.evaluate(Source(text), [f"{i}={v!r}" for i, v in point.items()], Request()))
            n = len(inputs)
            calls.append((f"h{k}", [point[i] for i in inputs]))
            expected.append([h.value, *h.gradient, *(h.matrix[i][j] for i in range(n) for j in range(i, n))])
    modules["d3"], _ = js_source("y = x**3 * exp(-x)", order=3, wrt=["x"])
    assert "export function y_d3(x) {" in modules["d3"] and "Returns: [y, d3y_dx3]" in modules["d3"]
    xs = [0.3 + 0.05 * i for i in range(30)]
    got = run_js(tmp_path, modules, calls + [("d3", [x]) for x in xs])
    for want, row in zip(expected, got):
        scale = max(1.0, *map(abs, want))
        assert len(row) == len(want) and all(ulps_apart(e, x, scale) <= JS_ULPS for e, x in zip(want, row)), row
    for x, (value, third) in zip(xs, got[len(calls) :]):
        assert value == pytest.approx(x**3 * math.exp(-x), rel=1e-15)
        assert third == pytest.approx((6 - 18 * x + 9 * x * x - x**3) * math.exp(-x), rel=1e-12, abs=1e-14)


KINKS = [
    ("y = relu(x) + abs(x)", {"x": 0.0}),
    ("y = relu(x) * abs(x - 1)", {"x": 1.0}),
    ("y = min(a, b) + max(a, b)*a", {"a": 0.5, "b": 0.5}),
    ("y = max(a*a, b) - min(b, a)", {"a": 1.0, "b": 1.0}),
    ("y = where(a > b, a, b*b) + sign(a - b)", {"a": 2.0, "b": 2.0}),
    ("y = round(a) + floor(b)*ceil(a*b)", {"a": 2.5, "b": -0.5}),
]
# eval's names: lambda, e (the program's, not the constant), ... renamed where javascript reserves them
KEYWORDS = "lambda = 1.5\ny = lambda*int + e*sin(int) + var*let - function/e + Math*double + pi*NaN + gc_x"


@needs_node
def test_kinks_and_renamed_names_equal_eval(tmp_path):
    cases = [
        *KINKS,
        (
            KEYWORDS,
            dict(
                zip(
                    ["lambda", "int", "e", "var", "let", "function", "Math", "double", "NaN", "gc_x"],
                    [1.5, 0.7, 1.1, 0.4, 1.3, 0.9, 0.6, 1.7, 1.2, 0.3],
                )
            ),
        ),
    ]
    modules, calls = {}, []
    for k, (text, point) in enumerate(cases):
        modules[f"k{k}"], inputs = js_source(text)
        calls.append((f"k{k}", [point[i] for i in inputs]))
    code = modules[f"k{len(KINKS)}"]
    assert "export function y_grad(lambda, int, e, var_, let_, function_, Math_, double, NaN_, gc_x_) {" in code
    assert "var_ (var)" in code and "Math.sin(int)" in code and "dy_dNaN = 3.141592653589793;" in code
    for (text, point), got in zip(cases, run_js(tmp_path, modules, calls)):
        value, gradient = eval_at(text, point)
        _, inputs = js_source(text)
        assert [bits(x) for x in got] == [bits(x) for x in [value, *(gradient[i] for i in inputs)]], text


@needs_node
def test_domain_errors_give_nan_or_infinity_where_gradcli_raises(tmp_path):
    cases = [("y = log(x)", -1.0, "nan"), ("y = sqrt(x) + 1", -2.0, "nan"), ("y = 3/x", 0.0, "inf"),
             ("y = -3/x", 0.0, "-inf"), ("y = x**0.5", -1.0, "nan"), ("y = exp(x)", 1000.0, "inf"),
             ("y = log(x)", 0.0, "-inf"), ("y = acos(x)", 2.0, "nan")]  # fmt: skip
    modules = {f"d{k}": js_source(text)[0] for k, (text, _, _) in enumerate(cases)}
    got = run_js(tmp_path, modules, [(f"d{k}", [x]) for k, (_, x, _) in enumerate(cases)])
    for (text, x, expected), (value, _) in zip(cases, got):
        assert repr(value) == expected, text
        with pytest.raises(session.MathError):
            eval_at(text, {"x": x})


@needs_node
def test_cli_to_javascript_prints_a_module_node_accepts(gradcli, tmp_path):
    result = gradcli("diff", "L = a*b + sin(a)", "b=2", "--to", "javascript")
    assert result.exit_code == 0, result.stderr
    assert "export function L_grad(a, b = 2.0) {" in result.stdout and "return [L, [dL_da, dL_db]];" in result.stdout
    assert " * Inputs, in gradcli eval's gradients order: a, b." in result.stdout
    (tmp_path / "cli.mjs").write_text(result.stdout)
    assert subprocess.run([NODE, "--check", str(tmp_path / "cli.mjs")], capture_output=True).returncode == 0
    (value, a, b), (value2, *_) = run_js(tmp_path, {"cli": result.stdout}, [("cli", [1.0]), ("cli", [1.0, 2.0])])
    assert [value, a, b] == [2.0 + math.sin(1.0), 2.0 + math.cos(1.0), 1.0] and value2 == value


@needs_node
def test_array_inputs_are_named_by_element(tmp_path):
    text = "W = [[1, 2], [3, 4]]\ny = W[0,1]*W[1,0] + sin(W[1,1])"
    code, inputs = js_source(text)
    assert "W_0_1 (W[0,1])" in code and "export function y_grad(W_0_0 = 1.0, W_0_1 = 2.0" in code
    ((value, *gradient),) = run_js(tmp_path, {"w": code}, [("w", [])])
    want, expected = eval_at(text, {})
    assert inputs == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]"]
    assert [value, *gradient] == [want, *(expected[k] for k in inputs)]
