"""Issue 20 (hardening 2), item 21, array OUTPUTS in sweep (DESIGN §6.6): a swept program whose
output is an array has a column per element, labelled as in eval (`y[0]`, `Y[1,0]`), and the
Jacobian's columns row by row (`dy[0]/dx[0]`, `dy[0]/dx[1]`, ..., `dy[1]/dw`: eval's JSON
`jacobian` order) in every format; the CSV reads back.  Before: exit 2 "this command needs a
scalar output".

The oracle is eval itself at each point (`--format json`: `value` and `jacobian.matrix`),
within the sweep-vs-eval bound the suite uses (SWEEP_ULPS: numpy's vectorised math against the
C library's), plus hand-derived values where the program is simple enough.
"""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
from test_sweep import SWEEP_ULPS, ulps_apart


def _flat(nested) -> list:
    if isinstance(nested, list):
        return [v for item in nested for v in _flat(item)]
    return [nested]


def _number(cell) -> float:
    return float({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}.get(cell, cell))


def _eval_json(gradcli, program, point: dict, *extra):
    result = gradcli("eval", program, *(f"{k}={v}" for k, v in point.items()), "--format", "json", *extra)
    return result, json.loads(result.stdout if result.exit_code == 0 else result.stderr)  # an error: on stderr


def _csv(gradcli, *args):
    result = gradcli("sweep", *args, "--format", "csv")
    return result, list(csv.DictReader(io.StringIO(result.stdout)))


def _assert_rows_equal_eval(gradcli, program, rows, arrays: dict, *extra):
    """Each ok row's outputs and Jacobian equal eval's at that point (within SWEEP_ULPS)."""
    for row in rows:
        point = {k: v for k, v in row.items() if "[" not in k and "/" not in k and k != "status" and k in arrays}
        point.update({name: value for name, value in arrays.items() if name not in point})
        result, doc = _eval_json(gradcli, program, point, *extra)
        assert result.exit_code == 0, result.stderr
        outputs, inputs = doc["jacobian"]["outputs"], doc["jacobian"]["inputs"]
        expected = dict(zip(outputs, _flat(doc["value"])))
        for out, jrow in zip(outputs, doc["jacobian"]["matrix"]):
            expected.update({f"d{out}/d{x}": d for x, d in zip(inputs, jrow)})
        assert row["status"] == "ok"
        assert [k for k in row if k in expected] == list(expected)  # eval's order: value, then row by row
        for key, want in expected.items():
            want, got = _number(want), _number(row[key])
            assert ulps_apart(want, got) <= SWEEP_ULPS, (key, want, got, point)


# -- a vector output: an array input and a swept scalar ------------------------------------------


VECTOR = "y = sin(x*w) + x**2 * w"


def test_a_vector_output_has_a_column_per_element_and_the_jacobian(gradcli):
    result, rows = _csv(gradcli, VECTOR, "x=[0.5,1.5]", "w=-1:2:4")
    assert result.exit_code == 0, result.stderr
    header = result.stdout.splitlines()[0]
    assert header == ("x[0],x[1],w,y[0],y[1],dy[0]/dx[0],dy[0]/dx[1],dy[0]/dw,dy[1]/dx[0],dy[1]/dx[1],dy[1]/dw,status")
    assert [float(r["w"]) for r in rows] == [-1.0, 0.0, 1.0, 2.0]
    # hand-derived: y_i = sin(x_i w) + x_i^2 w; dy_i/dx_i = w cos(x_i w) + 2 x_i w, dy_i/dx_j = 0,
    # dy_i/dw = x_i cos(x_i w) + x_i^2
    for r in rows:
        w = float(r["w"])
        for i, x in enumerate((0.5, 1.5)):
            assert math.isclose(float(r[f"y[{i}]"]), math.sin(x * w) + x * x * w, rel_tol=1e-15, abs_tol=1e-300)
            assert math.isclose(float(r[f"dy[{i}]/dx[{i}]"]), w * math.cos(x * w) + 2 * x * w, abs_tol=1e-15)
            assert float(r[f"dy[{i}]/dx[{1 - i}]"]) == 0.0
            assert math.isclose(float(r[f"dy[{i}]/dw"]), x * math.cos(x * w) + x * x, rel_tol=1e-15)
    _assert_rows_equal_eval(gradcli, VECTOR, rows, {"x": "[0.5,1.5]", "w": None})


# -- a matrix output -------------------------------------------------------------------------------

MATRIX = "W = [[1, 2], [3, 4]]; Y = exp(W*w) / (1 + w*w)"


def test_a_matrix_output_is_labelled_as_eval_labels_it(gradcli):
    result, rows = _csv(gradcli, MATRIX, "w=-0.5,0.25,1")
    assert result.exit_code == 0, result.stderr
    header = next(csv.reader([result.stdout.splitlines()[0]]))
    inputs = ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "w"]
    outputs = ["Y[0,0]", "Y[0,1]", "Y[1,0]", "Y[1,1]"]
    assert header == [*inputs, *outputs, *(f"d{y}/d{x}" for y in outputs for x in inputs), "status"]
    assert '"dY[1,0]/dW[1,0]"' in result.stdout.splitlines()[0]  # quoted: the label holds a comma
    # hand-derived at w = 1: Y[1,0] = e^3 / 2, dY[1,0]/dW[1,0] = w e^(3w) / (1 + w^2) = e^3 / 2,
    # dY[1,0]/dw = 3 e^3 / 2 - e^3 * 2 / 4 = e^3
    last = rows[-1]
    e3 = math.exp(3)
    assert math.isclose(float(last["Y[1,0]"]), e3 / 2, rel_tol=1e-15)
    assert math.isclose(float(last["dY[1,0]/dW[1,0]"]), e3 / 2, rel_tol=1e-15)
    assert math.isclose(float(last["dY[1,0]/dw"]), e3, rel_tol=1e-15)
    assert float(last["dY[1,0]/dW[0,1]"]) == 0.0
    _assert_rows_equal_eval(gradcli, MATRIX, rows, {"w": None})


def test_a_matrix_product_output_against_eval(gradcli):
    program = "A = [[1, 2], [3, 4]]; z = tanh(A @ v * s)"
    result, rows = _csv(gradcli, program, "v=[0.3,-0.2]", "s=0:1.5:4")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("A[0,0],") or '"A[0,0]"' in result.stdout.splitlines()[0]
    _assert_rows_equal_eval(gradcli, program, rows, {"v": "[0.3,-0.2]", "s": None})


# -- every format says the same -------------------------------------------------------------------


def test_jsonl_json_and_table_carry_the_csvs_numbers(gradcli):
    args = [VECTOR, "x=[0.5,1.5]", "w=-1:2:3"]
    _, rows = _csv(gradcli, *args)
    jsonl = gradcli("sweep", *args, "--format", "jsonl")
    assert jsonl.exit_code == 0, jsonl.stderr
    lines = [json.loads(line) for line in jsonl.stdout.splitlines()]
    doc = gradcli("sweep", *args, "--format", "json")
    assert doc.exit_code == 0, doc.stderr
    whole = json.loads(doc.stdout)
    assert whole["output"] == "y" and whole["outputs"] == ["y[0]", "y[1]"]
    assert whole["inputs"] == ["x[0]", "x[1]", "w"] and whole["failed"] == 0
    assert whole["rows"] == lines
    for row, line in zip(rows, lines):
        assert line["point"] == {k: float(row[k]) for k in ("x[0]", "x[1]", "w")}
        assert line["value"] == {k: float(row[k]) for k in ("y[0]", "y[1]")}  # flat keys, as the CSV's
        assert list(line["gradients"]) == [k for k in row if k.startswith("dy[")]
        assert line["gradients"] == {k: float(v) for k, v in row.items() if k.startswith("dy[")}
        assert line["status"] == "ok"
    table = gradcli("sweep", *args, "--format", "table", "--max-rows", "0", env={"COLUMNS": "400"})
    assert table.exit_code == 0, table.stderr
    head = [cell for cell in table.stdout.splitlines()[0].split() if cell != "┃"]
    assert head[:6] == ["x[0]", "x[1]", "w", "y[0]", "y[1]", "dy[0]/dx[0]"] and head[-1] == "status"
    assert "dy[1]/dw" in head


def test_a_scalar_outputs_json_keeps_its_form(gradcli):
    result = gradcli("sweep", "y = x*w", "x=2", "w=3", "--format", "json")
    assert json.loads(result.stdout) == {
        "output": "y",
        "inputs": ["x", "w"],
        "rows": [{"point": {"x": 2.0, "w": 3.0}, "value": 6.0, "gradients": {"x": 3.0, "w": 2.0}, "status": "ok"}],
        "failed": 0,
    }


# -- the CSV reads back ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("program", "swept"),
    [(VECTOR, ["x=[0.5,1.5]", "w=-1:2:4"]), (MATRIX, ["w=-0.5,0.25,1"]), ("y = x*w", ["x=[1,2]", "w=0:1:3"])],
)
def test_an_array_outputs_csv_reads_back(sweep_round_trip, program, swept):
    sweep_round_trip(program, *swept)


# -- a row where one element is undefined ----------------------------------------------------------


def test_a_row_with_an_undefined_element_fails_with_evals_message(gradcli):
    program = "y = log(x*w)"
    result, rows = _csv(gradcli, program, "x=[1,2]", "w=-1:1:3")
    assert result.exit_code == 3
    assert "2 of 3 rows failed" in result.stderr
    for row in rows[:2]:
        w = row["w"]
        failed, doc = _eval_json(gradcli, program, {"x": "[1,2]", "w": w})
        assert failed.exit_code == 3
        assert row["status"] == doc["error"]["message"] == f"(log(x*w))[0] is undefined at (x*w)[0] = {w[:-2]}"
        assert all(row[k] == "" for k in row if k.startswith(("y[", "dy[")))  # empty numbers
    assert rows[2]["status"] == "ok"
    assert float(rows[2]["y[1]"]) == math.log(2) and float(rows[2]["dy[1]/dw"]) == 1.0  # d log(2w)/dw = 1/w
    _assert_rows_equal_eval(gradcli, program, rows[2:], {"x": "[1,2]", "w": None})


def test_a_failed_gradient_of_one_element_fails_the_row(gradcli):
    program = "y = sqrt(x)*w"  # d sqrt(x[1]) / dx[1] is infinite at x[1] = 0, though every value is finite
    result, rows = _csv(gradcli, program, "x=[1,0]", "w=1,2")
    assert result.exit_code == 3
    failed, doc = _eval_json(gradcli, program, {"x": "[1,0]", "w": "1"})
    assert failed.exit_code == 3
    assert [r["status"] for r in rows] == [doc["error"]["message"]] * 2


def test_an_intermediate_array_statements_failure_names_it_as_eval_does(gradcli):
    program = "z = log(x*w); y = sum(z)"  # a scalar output; the failing node was renamed z[0] after
    result, rows = _csv(gradcli, program, "x=[1,2]", "w=-1,1")
    assert result.exit_code == 3
    _, doc = _eval_json(gradcli, program, {"x": "[1,2]", "w": "-1"})
    assert rows[0]["status"] == doc["error"]["message"] == "(log(x*w))[0] is undefined at (x*w)[0] = -1"


@pytest.mark.parametrize(
    "program",
    [
        "y = [log(w), w]",  # a literal's element is labelled as written, renamed y[0] after
        "y = [[w, 1], [sqrt(w), 2*w]]",
        "W = [[1, 2], [3, 4]]; y = [W[0,1]*w, log(w)]",
        "y = [w*x[0], log(x[1])]",
        "y = [x*w, log(x)]",  # rows that are array expressions: (log(x))[1]
        "z = [log(w), 1]; y = sum(z)",  # a scalar output
        "z = log(x)*w; y = z @ z",
    ],
)
def test_every_failing_element_is_named_as_eval_names_it(gradcli, program):
    result, rows = _csv(gradcli, program, "x=[1,-2]", "w=-1")
    assert result.exit_code == 3, result.stderr
    failed, doc = _eval_json(gradcli, program, {"x": "[1,-2]", "w": "-1"})
    assert failed.exit_code == 3
    assert rows[0]["status"] == doc["error"]["message"]


@pytest.mark.parametrize(("program", "fails"), [("y = [x*1e308, x*1e308]", True), ("y = [x*1e308, -x*1e308]", False)])
def test_a_row_fails_where_evals_gradient_of_the_sum_overflows(gradcli, program, fails):
    # eval refuses a point where d sum(y)/dx = 2e308 overflows, though each row of the Jacobian
    # (1e308) is finite; the opposite signs cancel to 0: fine
    result, rows = _csv(gradcli, program, "x=0.5")
    evaluated, doc = _eval_json(gradcli, program, {"x": "0.5"})
    assert (result.exit_code, evaluated.exit_code) == ((3, 3) if fails else (0, 0))
    if fails:
        assert rows[0]["status"] == doc["error"]["message"] == "the gradient of x is not finite"
    else:
        _assert_rows_equal_eval(gradcli, program, rows, {"x": None})


def test_allow_nonfinite_writes_evals_nonfinite_values(gradcli):
    program = "y = log(x*w)"
    result, rows = _csv(gradcli, program, "x=[1,2]", "w=0,1", "--allow-nonfinite")
    assert result.exit_code == 0, result.stderr
    _, doc = _eval_json(gradcli, program, {"x": "[1,2]", "w": "0"}, "--allow-nonfinite")
    assert [rows[0]["y[0]"], rows[0]["y[1]"]] == doc["value"] == ["-Infinity", "-Infinity"]
    got = [rows[0][f"dy[{i}]/d{x}"] for i in range(2) for x in ("x[0]", "x[1]", "w")]
    want = [v if isinstance(v, str) else repr(v) for row in doc["jacobian"]["matrix"] for v in row]
    assert got == want == ["NaN", "0.0", "Infinity", "0.0", "NaN", "Infinity"]
    _assert_rows_equal_eval(gradcli, program, rows[1:], {"x": "[1,2]", "w": None})


# -- plot still needs one curve ------------------------------------------------------------------------


def test_plot_still_refuses_an_array_output(gradcli):
    result = gradcli("plot", "y = x*w", "x=[1,2]", "w=0:1")
    assert result.exit_code == 2
    assert "needs a scalar output" in result.stderr and "--of y[0]" in result.stderr
    ok = gradcli("plot", "y = x*w", "x=[1,2]", "w=0:1", "--of", "y[1]", "--width", "60")
    assert ok.exit_code == 0, ok.stderr
