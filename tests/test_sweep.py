"""gradcli sweep: the array interpreter against eval, point sources, formats, bad input."""

import csv
import io
import json
import math
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from gradcli.build.standard import build, evaluate
from gradcli.core.errors import MathError
from gradcli.core.ops import OPS
from gradcli.lang.parser import parse


@pytest.fixture
def sweep():
    """Run `gradcli sweep ARGS...` in-process."""
    from gradcli.cli.app import make_app

    runner, app = CliRunner(), make_app()

    def run(*args, input=None):
        return runner.invoke(app, ["sweep", *[str(a) for a in args]], input=input)

    return run


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def eval_at(source: str, point: dict, of=None, allow=False):
    graph = evaluate(source, point, of, allow)
    return graph.output.data, graph.gradients()


# sweep's numpy forms of exp, log, pow, tanh, cbrt, ... are not the C library's (numpy has its
# own SIMD code, AVX-512 among others): a few ulps apart per op, added up through a program.
# Measured over every function's program below at 6,000 points: at most 5 ulps of the size of
# the terms a number is made of with AVX-512, 6 without (README, "Many points at once").
SWEEP_ULPS = 8


def ulps_apart(a: float, b: float, scale: float = 0.0) -> float:
    """|a - b| in units in the last place of the largest of |a|, |b| and scale (the size of the
    terms a result is summed from: where they cancel, ulps of the result itself mean little)."""
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0.0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(a - b) / math.ulp(max(abs(a), abs(b), abs(scale)) or 5e-324)


def assert_close_ulps(expected: float, got: float, max_ulps: float, scale: float = 0.0, where=None):
    distance = ulps_apart(expected, got, scale)
    assert distance <= max_ulps, (
        f"sweep {got!r} vs eval {expected!r}: {distance:.3g} ulps of {max(abs(expected), abs(got), scale)!r} "
        f"apart (allowed {max_ulps}){f' at {where}' if where else ''}"
    )


def test_ulps_apart():
    assert ulps_apart(1.0, 1.0 + 2**-52) == 1 and ulps_apart(1.0, 1.0 - 2**-53) == 0.5
    assert ulps_apart(0.0, -0.0) == 0 and ulps_apart(math.nan, math.nan) == 0
    assert ulps_apart(1e-3, 1e-3 + 2**-52, scale=1.0) == 1  # in ulps of the terms, not of 1e-3
    assert ulps_apart(math.inf, 1e308) == math.inf and ulps_apart(math.nan, 1.0) == math.inf
    with pytest.raises(AssertionError, match=r"sweep 1.25 vs eval 1.0: 1.13e\+15 ulps of 1.25 apart \(allowed 8\)"):
        assert_close_ulps(1.0, 1.25, 8)


# -- the array interpreter equals eval --------------------------------------------------------

EXACT = "y = sin(a)*exp(b) + log(c*c + 1)/(a + 2.5) + relu(a - b) + max(a, b)*min(b, c) + abs(c)**1.5 + cos(a*b)"


def test_values_and_gradients_equal_eval_bit_for_bit(sweep):
    # ops whose numpy forms are libm's or IEEE arithmetic: the very same doubles as eval,
    # kinks included (relu at a = b, max/min ties at a = b and b = c, abs at 0)
    result = sweep(EXACT, "a=-1.5:1.5:7", "b=-1,0,0.5,1.5", "c=-1:1:5")
    assert result.exit_code == 0, result.stderr
    rows = rows_of(result.stdout)
    assert len(rows) == 7 * 4 * 5
    for row in rows:
        point = {k: float(row[k]) for k in "abc"}
        value, grads = eval_at(EXACT, point)
        assert float(row["y"]) == value
        assert {k: float(row[f"dy/d{k}"]) for k in "abc"} == grads
        assert row["status"] == "ok"


@pytest.mark.parametrize("op", [op for op in OPS if op.syntax == "function"], ids=lambda op: op.name)
def test_every_function_matches_eval_at_random_points(op):
    # ops that round nothing, and sqrt (IEEE-754 rounds it correctly), give exactly eval's doubles
    # on every CPU; the others (numpy's own exp, tanh, cbrt, ...) eval's within SWEEP_ULPS
    from gradcli.analysis.batch import ArrayGraph

    max_ulps = 0 if op.exact or op.name in ("sqrt", "where") else SWEEP_ULPS

    args = ["a", "b / 3", "c"][: op.arity]
    if op.name == "where":
        args = ["a > b", "a * c", "b"]
    inner = f"u = {op.name}({', '.join(args)})"
    source = f"y = {op.name}({', '.join(args)}) * (1 + a)"
    graph = build(parse(source), {"a": 0.3, "b": 0.2, "c": 0.7}, None, allow_nonfinite=True)
    arrays = ArrayGraph(graph)
    rng = np.random.default_rng(len(op.name))
    columns = [np.round(rng.uniform(-2, 2, 60), 1) for _ in graph.inputs]  # ties and kinks come up
    batch = arrays.run(columns, 60)
    for i in range(60):
        point = {name: float(col[i]) for name, col in zip(graph.inputs, columns)}
        try:
            value, grads = eval_at(source, point)
        except Exception:
            assert batch.failed is not None and batch.failed[i], point
            continue
        assert batch.failed is None or not batch.failed[i], point
        # the size of the terms: y = u (1 + a), so dy/da = u_a (1 + a) + u, the others u_k (1 + a)
        u, du = eval_at(inner, point)
        scales = [u * (1 + point["a"]), *(abs(du[k] * (1 + point["a"])) + (abs(u) if k == "a" else 0.0) for k in grads)]
        got = [batch.value[i], *(g[i] for g in batch.grads)]
        for x, y, scale, what in zip([value, *grads.values()], got, scales, ["y", *grads]):
            assert_close_ulps(x, float(y), max_ulps, scale, where=f"{what}, {point}")


def test_blocks_on_threads_equal_one_pass(monkeypatch):
    # run() splits many points into blocks computed on several threads: the same doubles,
    # and the same failed rows, as one pass over all of them (failures in every block)
    import gradcli.analysis.batch as batch

    source = "y = log(x) * z + sqrt(x - 0.5) + exp(z * x)"
    graph = build(parse(source), {"x": 1.0, "z": 1.0}, None, allow_nonfinite=True)
    n = 2 * batch.BLOCK + 123
    rng = np.random.default_rng(7)
    columns = [rng.uniform(-1, 2, n), rng.uniform(-3, 300, n)]
    blocked = batch.ArrayGraph(graph).run(columns, n)
    monkeypatch.setattr(batch, "BLOCK", 10 * n)
    whole = batch.ArrayGraph(graph).run(columns, n)
    assert whole.failed is not None and blocked.failed is not None
    assert 0 < whole.failed.sum() < n
    assert (whole.failed == blocked.failed).all()
    ok = ~whole.failed
    assert (whole.value[ok] == blocked.value[ok]).all()
    for one, other in zip(whole.grads, blocked.grads):
        assert (one[ok] == other[ok]).all()
    for i in [int(k) for k in np.flatnonzero(ok)[:: n // 40]]:
        x, z = float(columns[0][i]), float(columns[1][i])
        value, grads = eval_at(source, {"x": x, "z": z})
        # eval is the C library's exp and log, sweep numpy's: SWEEP_ULPS of the terms' size
        terms = {
            "y": abs(math.log(x) * z) + math.sqrt(x - 0.5) + math.exp(z * x),
            "x": abs(z / x) + 0.5 / math.sqrt(x - 0.5) + abs(z) * math.exp(z * x),
            "z": abs(math.log(x)) + x * math.exp(z * x),
        }
        got = [blocked.value[i], *(g[i] for g in blocked.grads)]
        for what, expected, number in zip(terms, [value, *grads.values()], got):
            assert_close_ulps(expected, float(number), SWEEP_ULPS, terms[what], where=f"{what}, x={x!r}, z={z!r}")


def _terms_z(x, y):
    # z = x^y + cbrt(xy); dz/dx = y x^(y-1) + y/(3 cbrt(xy)^2); dz/dy = x^y ln x + x/(3 cbrt(xy)^2)
    c = (x * y) ** (1 / 3)
    return [x**y + c, y * x ** (y - 1) + y / (3 * c * c), abs(x**y * math.log(x)) + x / (3 * c * c)]


def _terms_pow(a, b):
    # y = a^(b/3) (1 + a); dy/da = b/3 a^(b/3-1) (1 + a) + a^(b/3); dy/db = a^(b/3) ln(a)/3 (1 + a)
    p = a ** (b / 3)
    return [p * (1 + a), b / 3 * p / a * (1 + a) + p, abs(p * math.log(a) / 3 * (1 + a))]


@pytest.mark.parametrize(
    ("source", "point", "terms"),
    [
        # issue 20, item 33: dz/dy = -0.148 + 0.146 = -0.0022, so 2 ulps of the terms are 128 ulps
        # of dz/dy (numpy without AVX-512 gives -0.002165529699555191, eval -0.0021655296995552464)
        ("z = x**y + cbrt(x*y)", {"x": 0.156164095172524, "y": 1.3610323632649926}, _terms_z),
        # the same item: numpy's AVX-512 pow is 1 ulp from the C library's here
        ("y = pow(a, b / 3) * (1 + a)", {"a": 1.2, "b": 1.0}, _terms_pow),
    ],
)
def test_the_issues_examples_are_within_the_bound(sweep, source, point, terms):
    result = sweep(source, *(f"{k}={v!r}" for k, v in point.items()))
    assert result.exit_code == 0, result.stderr
    (row,) = rows_of(result.stdout)
    value, grads = eval_at(source, point)
    output = source.split(" =")[0]
    got = [float(row[output]), *(float(row[f"d{output}/d{k}"]) for k in grads)]
    for expected, number, scale in zip([value, *grads.values()], got, terms(*point.values())):
        assert_close_ulps(expected, number, SWEEP_ULPS, scale, where=source)


EXTREMES = [0.0, -0.0, 5e-324, -1e-300, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 700.0, 710.0, -745.0, 1e154, -1e200, 1e308]


@pytest.mark.parametrize("op", [op for op in OPS if op.arity], ids=lambda op: op.name)
def test_quick_failure_test_agrees_with_the_exact_pass(op):
    # run() skips the pass over every array when no op raised numpy's overflow, divide or
    # invalid flag; at every pair of extreme points, its verdict must be the exact pass's
    from gradcli.analysis.batch import ArrayGraph

    names = ["a", "b", "c"][: op.arity]
    if op.syntax == "function":
        source = f"y = {op.name}({', '.join(names)})"
    elif op.arity == 1:
        source = {"neg": "y = -a", "id": "y = a"}[op.name]
    else:
        source = f"y = a {op.symbol} b"
    graph = build(parse(source), dict.fromkeys(names, 0.5), None, allow_nonfinite=True)
    arrays = ArrayGraph(graph)
    grid = np.array(np.meshgrid(*[EXTREMES] * len(graph.inputs), indexing="ij")).reshape(len(graph.inputs), -1)
    columns, n = list(grid), grid.shape[1]
    quick = arrays.run(columns, n).failed
    with np.errstate(all="ignore"):
        values = arrays._forward(columns)
        exact = arrays._failed(values, arrays._backward(values, n), n)
    assert (np.zeros(n, bool) if quick is None else quick).tolist() == exact.tolist()


def test_huge_finite_values_are_not_failures():
    from gradcli.analysis.batch import ArrayGraph

    source = "y = x*0.9 - x*0.8 + x*0.7"
    points = np.array([1e308, -1.7e308, 0.5])
    batch = ArrayGraph(build(parse(source), {"x": 1.0}, None)).run([points], 3)
    assert batch.failed is None
    assert batch.value.tolist() == [x * 0.9 - x * 0.8 + x * 0.7 for x in points.tolist()]


def test_grid_order_first_name_slowest(sweep):
    result = sweep("y = 10*x + z", "x=1,2", "z=0:2:3")
    rows = rows_of(result.stdout)
    assert [(r["x"], r["z"], r["y"]) for r in rows] == [
        ("1.0", "0.0", "10.0"),
        ("1.0", "1.0", "11.0"),
        ("1.0", "2.0", "12.0"),
        ("2.0", "0.0", "20.0"),
        ("2.0", "1.0", "21.0"),
        ("2.0", "2.0", "22.0"),
    ]


def test_header_order_is_evals_gradients_order(sweep, eval_json):
    source = "L = (a*b + c) * f"
    result = sweep(source, "f=-2", "c=5", "b=-3", "a=1,2")
    header = result.stdout.splitlines()[0].split(",")
    names = list(eval_json(source, "f=-2", "c=5", "b=-3", "a=2")["gradients"])
    assert header == [*names, "L", *(f"dL/d{n}" for n in names), "status"]
    row = rows_of(result.stdout)[1]  # a = 2: the seed's example
    assert (row["L"], row["dL/da"], row["dL/db"], row["dL/dc"], row["dL/df"]) == ("2.0", "6.0", "-4.0", "-2.0", "-1.0")


def test_ranges_are_exact_decimal_steps_and_may_run_backwards(sweep):
    assert [r["x"] for r in rows_of(sweep("x", "x=0:1:11").stdout)][:4] == ["0.0", "0.1", "0.2", "0.3"]
    assert [r["x"] for r in rows_of(sweep("y = x", "x=1:0:5").stdout)] == ["1.0", "0.75", "0.5", "0.25", "0.0"]
    assert [r["x"] for r in rows_of(sweep("y = x", "x=0:pi:3").stdout)] == ["0.0", repr(math.pi / 2), repr(math.pi)]


def test_of_picks_the_output(sweep):
    rows = rows_of(sweep("e = a*b; L = e + a", "a=1,2", "b=3", "--of", "e").stdout)
    assert [(r["e"], r["de/da"], r["de/db"]) for r in rows] == [("3.0", "3.0", "1.0"), ("6.0", "3.0", "2.0")]


def test_plain_bindings_and_program_defaults_fill_the_other_inputs(sweep):
    rows = rows_of(sweep("k = 3.0\ny = k*x + c", "x=0,1", "c=0.5").stdout)
    assert [(r["k"], r["x"], r["c"], r["y"], r["dy/dk"]) for r in rows] == [
        ("3.0", "0.0", "0.5", "0.5", "0.0"),
        ("3.0", "1.0", "0.5", "3.5", "1.0"),
    ]


def test_chunks_do_not_change_the_output(sweep):
    args = ("y = log(x) * z", "x=-1:2:7", "z=1,2")
    one = sweep(*args)
    many = sweep(*args, "--chunk", "3")
    assert one.exit_code == many.exit_code == 3
    assert one.stdout == many.stdout


# -- failed rows ---------------------------------------------------------------------------


def test_domain_error_rows_say_why_and_exit_3(sweep):
    result = sweep("log(x)", "x=-1:1:5")
    assert result.exit_code == 3
    rows = rows_of(result.stdout)
    assert [r["status"] for r in rows] == [
        "log(x) is undefined at x = -1",
        "log(x) is undefined at x = -0.5",
        "log(x) is undefined at x = 0",
        "ok",
        "ok",
    ]
    assert [(r["log(x)"], r["dlog(x)/dx"]) for r in rows] == [("", "")] * 3 + [
        (repr(math.log(0.5)), "2.0"),
        ("0.0", "1.0"),
    ]
    assert "3 of 5 rows failed; the first, row 1 (x = -1): log(x) is undefined at x = -1" in result.stderr


def test_gradient_failure_is_a_failed_row_too(sweep):
    rows = rows_of(sweep("y = sqrt(x)", "x=0,4").stdout)
    assert rows[0]["status"] == "the derivative of y = sqrt(x) with respect to x is infinite at x = 0"
    assert (rows[0]["y"], rows[0]["dy/dx"]) == ("", "")
    assert (rows[1]["y"], rows[1]["dy/dx"], rows[1]["status"]) == ("2.0", "0.25", "ok")


def test_status_with_commas_is_quoted(sweep):
    result = sweep("y = x**p", "x=-8", "p=0.5,2")
    rows = rows_of(result.stdout)
    assert rows[0]["status"] == "negative base with a fractional exponent in x**p (x = -8, p = 0.5)"
    assert '"negative base with a fractional exponent in x**p (x = -8, p = 0.5)"' in result.stdout
    assert rows[1]["status"] == "the derivative of y = x**p with respect to p is undefined at x = -8, p = 2"


@pytest.mark.parametrize(
    "source",
    [
        "y = x**p",
        "y = 1/(x - p)",
        "e = acos(x/2); y = e*p",
        "y = 2; y += log(x + p)",
        "t = x*p\ny = sqrt(t) + log1p(t)",
        "u = exp(x*700*p); y = u/u",
        "y = max(x, p)**0.5 * log(p)",
        "log(x) + p",
        "q = x*x; q = log(q - 1) * p; y = -q",
        "y = -log(x - p)",
        "y = where(x > 0, sqrt(x), 0) * p",
        "z = x; y = p / z",
    ],
)
def test_every_status_is_evals_message(sweep, source):
    result = sweep(source, "x=-3:3:13", "p=-1,0,0.5,2")
    rows = rows_of(result.stdout)
    assert result.exit_code == 3
    for row in rows:
        point = {"x": float(row["x"]), "p": float(row["p"])}
        try:
            evaluate(source, point)
            expected = "ok"
        except MathError as exc:
            expected = exc.message
        assert row["status"] == expected, point


def test_allow_nonfinite_prints_ieee_values_like_eval(sweep, eval_json):
    result = sweep("y = log(x)", "x=-1:1:3", "--allow-nonfinite")
    assert result.exit_code == 0, result.stderr
    rows = rows_of(result.stdout)
    assert [(r["y"], r["dy/dx"], r["status"]) for r in rows] == [
        ("NaN", "-1.0", "ok"),
        ("-Infinity", "Infinity", "ok"),
        ("0.0", "1.0", "ok"),
    ]
    expected = eval_json("y = log(x)", "x=0", "--allow-nonfinite")
    assert (expected["value"], expected["gradients"]["x"]) == ("-Infinity", "Infinity")


def test_a_bad_constant_fails_once_like_eval(sweep):
    result = sweep("a = log(0)\ny = a*x", "x=1,2")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "log(0) is undefined" in result.stderr


# -- formats ---------------------------------------------------------------------------------


def test_csv_numbers_are_reprs_text_across_every_decade():
    # the fast CSV writer (orjson) must write what repr writes, the awkward decades
    # (1e-10..1e-4: '1e-05', '1e-07'), NaN/Infinity and failed rows included
    from types import SimpleNamespace

    from gradcli.analysis.sweep import Chunk
    from gradcli.render.sweep_writers import CsvWriter

    rng = np.random.default_rng(3)
    n = 20_000
    with np.errstate(over="ignore"):
        x = rng.standard_normal((n, 3)) * 10.0 ** rng.integers(-325, 309, (n, 3))
    x[::7, 1] = rng.uniform(1e-5, 1e-4, len(x[::7]))  # repr's exponent, orjson's positional
    x[:8, 0] = [0.0, -0.0, 5e-324, 1e-05, 1e-4, 9.999999999999999e-05, 1e16, 1e-10]
    x[8:11, 2] = [math.nan, math.inf, -math.inf]
    failed = np.zeros(n, dtype=bool)
    failed[[13, 500]] = True
    status = ["ok"] * n
    status[13] = status[500] = "log(x) is undefined, here"
    chunk = Chunk(0, [x[:, 0]], [x[:, 1]], [x[:, 2]], failed, status)  # values: one column per output element
    out = io.StringIO()
    writer = CsvWriter(out, SimpleNamespace(names=["x"], header=lambda: ["x", "y", "dy/dx", "status"]))
    writer.write(chunk)
    spelled = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
    lines = out.getvalue().splitlines()
    assert lines[0] == "x,y,dy/dx,status" and len(lines) == n + 1
    for i, line in enumerate(lines[1:]):
        cells = [spelled.get(repr(v), repr(v)) for v in x[i].tolist()]
        if failed[i]:
            cells[1:] = ["", ""]
        assert line == ",".join(cells) + (',"log(x) is undefined, here"' if failed[i] else ",ok"), i


def test_jsonl_rows(sweep):
    result = sweep("y = x*x", "x=-1,3", "--format", "jsonl")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == [
        {"point": {"x": -1.0}, "value": 1.0, "gradients": {"x": -2.0}, "status": "ok"},
        {"point": {"x": 3.0}, "value": 9.0, "gradients": {"x": 6.0}, "status": "ok"},
    ]


def test_json_document_with_a_failed_row(sweep):
    result = sweep("y = log(x)*a", "x=0,1", "a=2", "--format", "json")
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert doc["output"] == "y" and doc["inputs"] == ["x", "a"] and doc["failed"] == 1
    assert doc["rows"] == [
        {"point": {"x": 0.0, "a": 2.0}, "value": None, "gradients": None, "status": "log(x) is undefined at x = 0"},
        {"point": {"x": 1.0, "a": 2.0}, "value": 0.0, "gradients": {"x": 2.0, "a": 0.0}, "status": "ok"},
    ]
    assert json.loads(result.stderr)["error"]["kind"] == "math"  # --format json: errors as JSON


def test_json_nonfinite_values_are_strings(sweep):
    doc = json.loads(sweep("y = log(x)", "x=0,1", "--format", "json", "--allow-nonfinite").stdout)
    assert doc["rows"][0]["value"] == "-Infinity" and doc["rows"][0]["gradients"] == {"x": "Infinity"}


def test_table_is_capped(sweep):
    result = sweep("y = 2*x", "x=1:20:20", "--format", "table", "--max-rows", "6")
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if "│" in line]
    cells = [[c.strip() for c in line.split("│")] for line in lines]
    assert [c[:3] for c in cells if c[0].replace(".", "").isdigit()] == [
        ["1", "2", "2"],
        ["2", "4", "2"],
        ["3", "6", "2"],
        ["18", "36", "2"],
        ["19", "38", "2"],
        ["20", "40", "2"],
    ]
    assert "14 rows left out" in result.stdout


# -- --points ----------------------------------------------------------------------------------


def test_csv_round_trip(sweep, tmp_path):
    source = "L = (a*b + c) * f"
    first = sweep(source, "a=1,2", "b=-3:3:3", "c=5", "f=-2")
    path = tmp_path / "points.csv"
    path.write_text(first.stdout)
    again = sweep(source, "--points", path)
    assert again.exit_code == 0, again.stderr
    assert again.stdout == first.stdout
    piped = sweep(source, "--points", "-", input=first.stdout)
    assert piped.stdout == first.stdout


def test_points_with_bom_defaults_and_bindings(sweep, tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes("\ufeffx\r\n1.5\r\n\r\n-2\r\n".encode())
    rows = rows_of(sweep("k = 2.0; y = k*x + c", "c=1", "--points", path).stdout)
    assert [(r["x"], r["k"], r["c"], r["y"], r["dy/dx"]) for r in rows] == [
        ("1.5", "2.0", "1.0", "4.0", "2.0"),
        ("-2.0", "2.0", "1.0", "-3.0", "2.0"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("x,c\n", "has a header but no points"),
        ("x,c\n1,2\n3\n", "line 3: 1 field, but the header has 2"),
        ("x,c\n1,2\n3,abc\n", "line 3, column 'c': 'abc' is not a number"),
        ("x,c\n1,\n", "line 2, column 'c': '' is not a number"),
        ("x,c\n1,1e999\n", "line 2, column 'c': 1e999 is not finite"),
        ("x,c\n1,inf\n", "line 2, column 'c': 'inf' is not a number"),
        ("x,c,q\n1,2,3\n", "unknown column 'q' (the program's inputs: x, c)"),
        ("x,x\n1,2\n", "names the column 'x' twice"),
        ("x,c,e\n1,2,3\n", "the column 'e' is computed by the program"),
    ],
)
def test_bad_points_files(sweep, tmp_path, content, message):
    path = tmp_path / "p.csv"
    path.write_text(content)
    result = sweep("e = x*c; y = e + 1", "--points", path)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout.count("\n") <= 1  # nothing but maybe the header


def test_points_file_missing_or_not_utf8(sweep, tmp_path):
    assert "cannot read" in sweep("y = x", "--points", tmp_path / "nope.csv").stderr
    path = tmp_path / "p.csv"
    path.write_bytes(b"x\n\xff\n")
    result = sweep("y = x", "--points", path)
    assert result.exit_code == 2 and "not UTF-8" in result.stderr


def test_points_and_sweeps_do_not_mix(sweep, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("x\n1\n")
    result = sweep("y = x*c", "c=1,2", "--points", path)
    assert result.exit_code == 2 and "not both" in result.stderr
    result = sweep("-", "--points", "-", input="y = x")
    assert result.exit_code == 2 and "read from it already" in result.stderr


# -- bad sweeps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("binding", "message"),
    [
        ("x=0:1:1", "N must be at least 2"),
        ("x=0:1:abc", "must be a whole number >= 2, got 'abc'"),
        ("x=0:1:2.5", "must be a whole number >= 2, got '2.5'"),
        ("x=0:1", "expected NAME=START:STOP:N"),
        ("x=0:1:2:3", "expected NAME=START:STOP:N"),
        ("x=0:zz:5", "STOP 'zz'"),
        ("x=:1:5", "START '': it is missing"),
        ("x=1,,2", "an empty value in the list"),
        ("x=1,2e999", "not finite"),
        ("1x=0:1:3", "not a name"),
    ],
)
def test_bad_sweep_bindings(sweep, binding, message):
    result = sweep("y = x", binding)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_name_errors_are_evals(sweep):
    result = sweep("y = x + q", "x=0:1:3")
    assert result.exit_code == 2 and "'q' has no value" in result.stderr
    result = sweep("y = x", "x=0:1:3", "x=2")
    assert result.exit_code == 2 and "bound twice" in result.stderr


def test_a_swept_name_the_program_never_uses_warns(sweep):
    result = sweep("y = x", "x=1,2", "z=0,1")
    assert result.exit_code == 0
    assert "'z' is bound but the program never uses it" in result.stderr
    assert [r["dy/dz"] for r in rows_of(result.stdout)] == ["0.0"] * 4


def test_expression_bindings_with_commas_are_single_values(sweep):
    rows = rows_of(sweep("y = x*k", "k=atan2(1, 1)", "x=1,2").stdout)
    assert [r["k"] for r in rows] == [repr(math.atan2(1, 1))] * 2


# -- Ctrl-C, progress, start-up ------------------------------------------------------------------


def test_ctrl_c_stops_after_complete_rows(sweep, monkeypatch):
    from gradcli.analysis import batch

    run = batch.ArrayGraph.run
    calls = []

    def interrupting(self, columns, n, allow=False):
        calls.append(n)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # as if the user pressed Ctrl-C mid-sweep
        return run(self, columns, n, allow)

    monkeypatch.setattr(batch.ArrayGraph, "run", interrupting)
    result = sweep("y = x*x", "x=1:100:100", "--chunk", "10")
    assert result.exit_code == 130
    rows = rows_of(result.stdout)
    assert len(rows) == 20 and rows[-1] == {"x": "20.0", "y": "400.0", "dy/dx": "40.0", "status": "ok"}
    assert "interrupted: 20 complete rows written" in result.stderr


def test_progress_only_on_a_terminal_after_a_while(monkeypatch, capsys):
    from gradcli.cli import batch as cli_batch

    quiet = cli_batch._Progress(10)
    quiet.update(5)  # pytest's stderr is not a terminal
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(cli_batch._Progress, "DELAY", 0.0)
    shown = cli_batch._Progress(10)
    shown.enabled = True
    shown.update(5)
    shown.clear()
    err = capsys.readouterr().err
    assert "rows" in err and "5/10" in err and "━" in err  # rich's bar, then erased (transient)


def test_numpy_is_not_imported_by_the_cli():
    code = "import sys, gradcli.cli.app, gradcli.cli.batch; print('numpy' in sys.modules, 'orjson' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"


def test_sweep_reads_a_library_then_a_program(gradcli, tmp_path):
    """-f repeated, as eval: definitions first, then the program."""
    lib, prog = tmp_path / "lib.grad", tmp_path / "prog.grad"
    lib.write_text("sq(t) = t*t\n")
    prog.write_text("y = sq(x) + x\n")
    result = gradcli("sweep", "-f", lib, "-f", prog, "x=0:1:3")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["x,y,dy/dx,status", "0.0,0.0,1.0,ok", "0.5,0.75,2.0,ok", "1.0,2.0,3.0,ok"]
