"""Issue 20 (hardening 2), where a sweep's points come from: each test failed before its fix.

- item 20: `--points` read cells with float() (`1_000`, full-width digits, `inf`, `1e-400` as 0
  were accepted) while bindings refused them: one number reader (lang/numbers.py) for every path;
- item 19: a tab- or `;`-delimited points file got "unknown column 'x\\ty'": the header line
  decides the delimiter;
- item 21: an array sweep's CSV did not read back (`unknown column 'x[0]'`), and an array output
  could not be swept at all: one column per element, and the CSV reads back to the same CSV.
"""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

# -- item 20: one number reader for bindings, --bindings strings, --points cells, sweeps, counts ----

INF = math.inf
# text -> its value, as the README's bindings contract has it: the language's NUMBER (ASCII digits,
# no `_`), optionally signed, blanks around it ignored; NaN, Infinity, -Infinity as gradcli writes
# them (non-finite: only with --allow-nonfinite); None: refused everywhere.
NUMBERS = {
    "1": 1.0,
    " 1": 1.0,
    "1 ": 1.0,
    "1e5": 1e5,
    "1E+2": 100.0,
    "2.5e-3": 0.0025,
    "1.": 1.0,
    ".5": 0.5,
    "-0": -0.0,
    "+1": 1.0,
    "-7.25": -7.25,
    "0e-400": 0.0,
    "1_000": None,
    "１２": None,  # full-width digits
    "٣": None,  # an Arabic-Indic digit
    "inf": None,
    "nan": None,
    "0x10": None,
    "1e": None,
    "e5": None,
    ".": None,
    "1.2.3": None,
    "1e-400": None,  # not zero, but its double is: never silently 0
    "-2e-999": None,
}
NONFINITE = {"Infinity": INF, "-Infinity": -INF, "+Infinity": INF, "NaN": math.nan, "1e999": INF, "-1e400": -INF}


def _as_float(value) -> float:
    return float(value)  # JSON's "NaN", "Infinity" strings and CSV's texts alike


def _binding(gradcli, tmp_path, text, allow):
    return gradcli("eval", "y = x", f"x={text}", "--format", "json", *allow)


def _bindings_file(gradcli, tmp_path, text, allow):
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"x": text}), encoding="utf-8")
    return gradcli("eval", "y = x", "--bindings", path, "--format", "json", *allow)


def _points_cell(gradcli, tmp_path, text, allow):
    path = tmp_path / "p.csv"
    path.write_text(f"x,c\n{text},1\n", encoding="utf-8")
    return gradcli("sweep", "y = x*c", "--points", path, *allow)


def _sweep_list(gradcli, tmp_path, text, allow):
    return gradcli("sweep", "y = x", f"x={text},2", *allow)


def _sweep_range(gradcli, tmp_path, text, allow):
    return gradcli("sweep", "y = x", f"x={text}:{text}:2", *allow)


PATHS = [_binding, _bindings_file, _points_cell, _sweep_list, _sweep_range]


def _value_read(path, result) -> float:
    if path in (_binding, _bindings_file):
        return _as_float(json.loads(result.stdout)["nodes"][0]["value"])
    return _as_float(next(csv.DictReader(io.StringIO(result.stdout)))["x"])


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.__name__.strip("_"))
@pytest.mark.parametrize("text", [*NUMBERS, *NONFINITE])
@pytest.mark.parametrize("allow", [(), ("--allow-nonfinite",)], ids=["finite", "allow-nonfinite"])
def test_every_path_reads_a_number_alike(gradcli, tmp_path, path, text, allow):
    expected = NUMBERS[text] if text in NUMBERS else (NONFINITE[text] if allow else None)
    result = path(gradcli, tmp_path, text, allow)
    if expected is None:
        assert result.exit_code == 2, (result.stdout, result.stderr)
        assert "error" in result.stderr and "Traceback" not in result.stderr
        assert "internal error" not in result.stderr and result.stdout.count("\n") <= 1
        return
    assert result.exit_code == 0, result.stderr
    assert _same(_value_read(path, result), expected)


@pytest.mark.parametrize(
    ("text", "hint"),
    [("1_000", "write 1000"), ("１２", "write 12 (with ASCII digits)"), ("inf", "Infinity"), ("nan", "NaN")],
)
def test_a_refused_cell_says_what_to_write_as_a_binding_does(gradcli, tmp_path, text, hint):
    cell = _points_cell(gradcli, tmp_path, text, ())
    binding = _binding(gradcli, tmp_path, text, ())
    assert f"line 2, column 'x': {text!r} is not a number" in cell.stderr
    assert hint in cell.stderr and hint in binding.stderr


def test_an_expression_cell_is_refused_with_the_reason(gradcli, tmp_path):
    result = _points_cell(gradcli, tmp_path, "pi/4", ())
    assert result.exit_code == 2
    assert "'pi/4' is not a number" in result.stderr and "not an expression" in result.stderr


def test_a_tiny_cell_is_refused_as_a_binding_is(gradcli, tmp_path):
    result = _points_cell(gradcli, tmp_path, "1e-400", ())
    assert "line 2, column 'x': 1e-400 is too small for a double and would become 0" in result.stderr


# Counts (a sweep's N, --mc N): a number as above that is a whole number; `1e3` is 1000.
COUNTS = {"12": 12, " 12": 12, "1.2e1": 12, "12.": 12, "12.0": 12, "+12": 12, "1_2": None, "１２": None,
          "12.5": None, "0x10": None, "inf": None, "Infinity": None, "1e999": None, "NaN": None}  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), COUNTS.items())
def test_counts_read_alike_in_sweep_and_monte_carlo(gradcli, text, expected):
    swept = gradcli("sweep", "y = x", f"x=0:1:{text}")
    mc = gradcli("eval", "y = x", "x=1±0.1", "--mc", text, "--format", "json")
    if expected is None:
        assert swept.exit_code == mc.exit_code == 2, (swept.stderr, mc.stderr)
        assert "whole number" in swept.stderr and "whole number" in mc.stderr
        return
    assert swept.exit_code == 0 and mc.exit_code == 0, (swept.stderr, mc.stderr)
    rows = list(csv.DictReader(io.StringIO(swept.stdout)))
    assert [float(r["x"]) for r in rows] == [k / (expected - 1) for k in range(expected)][:-1] + [1.0]
    assert json.loads(mc.stdout)["uncertainty"]["monte_carlo"]["samples"] == expected


# -- item 19: a tab- or `;`-separated points file: the header line decides the delimiter --------

COMMA = "a,b\n1,-3\n2.5,0\n-1e-3,7\n"


@pytest.mark.parametrize("delimiter", ["\t", ";"], ids=["tab", "semicolon"])
def test_tab_and_semicolon_files_give_the_comma_files_rows(gradcli, tmp_path, delimiter):
    comma, other = tmp_path / "comma.csv", tmp_path / "other.csv"
    comma.write_text(COMMA)
    other.write_text(COMMA.replace(",", delimiter))
    expected = gradcli("sweep", "L = a*b + a", "--points", comma)
    result = gradcli("sweep", "L = a*b + a", "--points", other)
    assert expected.exit_code == 0 and result.exit_code == 0, result.stderr
    assert result.stdout == expected.stdout
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    # hand-derived: L = a*b + a, dL/da = b + 1, dL/db = a
    assert [(float(r["L"]), float(r["dL/da"]), float(r["dL/db"])) for r in rows] == [
        (-2.0, -2.0, 1.0),
        (2.5, 1.0, 2.5),
        (-1e-3 * 7 - 1e-3, 8.0, -1e-3),
    ]


def test_a_semicolon_file_with_blanks_and_quotes(gradcli, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text('"a"; b\n 1 ;"-3"\n')
    result = gradcli("sweep", "L = a*b + a", "--points", path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == "1.0,-3.0,-2.0,-2.0,1.0,ok"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a,b\n1,2\n3;4\n", "line 3: 1 field, but the header has 2 (separated by commas); found ';'"),
        ("a\tb\n1\t2\n3,4\n", "line 3: 1 field, but the header has 2 (separated by tabs); found ','"),
        ("a;b\n1;2\n3\t4\n", "line 3: 1 field, but the header has 2 (separated by semicolons); found a tab"),
        ("a,b;c\n1,2;3\n", "line 1: the header mixes delimiters: ',' and ';'"),
        ("a\tb,c\n1\t2,3\n", "line 1: the header mixes delimiters: a tab and ','"),
        ("a;b\n1;2,5\n", "line 2, column 'b': '2,5' is not a number"),
        ("a b\n1 2\n", "line 1: the header 'a b' has no comma, tab or semicolon"),
    ],
)
def test_mixed_delimiters_are_exit_2_naming_the_line_and_what_was_found(gradcli, tmp_path, content, message):
    path = tmp_path / "p.csv"
    path.write_text(content)
    result = gradcli("sweep", "L = a*b + a", "--points", path)
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr, result.stderr
    assert result.stderr.count("\n") <= 2 and "Traceback" not in result.stderr


def test_a_decimal_comma_gets_a_hint(gradcli, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("a;b\n1;2,5\n")
    result = gradcli("sweep", "L = a*b + a", "--points", path)
    assert "write 2.5" in result.stderr


# -- item 21: an array sweep's CSV reads back: one column per element, labelled as in eval ---------


@pytest.fixture
def round_trip_rows(sweep_round_trip):
    """sweep -> CSV -> --points -> the same CSV (conftest); returns (that CSV, its rows)."""

    def run(program, *swept):
        text = sweep_round_trip(program, *swept)
        return text, list(csv.DictReader(io.StringIO(text)))

    return run


def test_a_scalar_sweeps_csv_reads_back(round_trip_rows):
    _, rows = round_trip_rows("y = x*w + sin(x)", "x=0:1:3", "w=-1,2")
    assert [(r["x"], r["w"]) for r in rows] == [(x, w) for x in ("0.0", "0.5", "1.0") for w in ("-1.0", "2.0")]


def test_a_vector_input_sweeps_csv_reads_back(round_trip_rows):
    import numpy as np

    text, rows = round_trip_rows("y = sum(x*x)*w", "x=[1,2.5]", "w=0:1:3")
    assert text.splitlines()[0] == "x[0],x[1],w,y,dy/dx[0],dy/dx[1],dy/dw,status"
    x = np.array([1.0, 2.5])
    for r, w in zip(rows, (0.0, 0.5, 1.0)):  # numpy: y = w |x|^2, dy/dx = 2 w x, dy/dw = |x|^2
        assert float(r["y"]) == w * (x @ x)
        assert [float(r["dy/dx[0]"]), float(r["dy/dx[1]"])] == (2 * w * x).tolist()
        assert float(r["dy/dw"]) == x @ x


def test_a_matrix_input_sweeps_csv_reads_back(round_trip_rows):
    import numpy as np

    text, rows = round_trip_rows("W = [[1,2],[3,4]]; y = sum(W*W)*w", "w=-1,3")
    header = text.splitlines()[0]
    assert (
        header
        == '"W[0,0]","W[0,1]","W[1,0]","W[1,1]",w,y,"dy/dW[0,0]","dy/dW[0,1]","dy/dW[1,0]","dy/dW[1,1]",dy/dw,status'
    )
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    for r, w in zip(rows, (-1.0, 3.0)):
        assert float(r["y"]) == w * (W * W).sum()
        assert float(r["dy/dW[1,0]"]) == 2 * w * W[1, 0]


def test_per_element_columns_take_other_values(gradcli, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("x[0]\tx[1]\tw\n3\t-4\t2\n0.5\t0\t1\n")  # tab-separated, hand-written
    result = gradcli("sweep", "y = norm(x)*w", "--points", path, "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["point"] == {"x[0]": 3.0, "x[1]": -4.0, "w": 2.0}
    assert first["value"] == 10.0  # 2 * |(3, -4)|
    assert first["gradients"] == {"x[0]": 2 * 3 / 5, "x[1]": 2 * -4 / 5, "w": 5.0}
    assert second["value"] == 0.5 and second["gradients"]["x[0]"] == 1.0


@pytest.mark.parametrize(
    ("program", "header", "message"),
    [
        ("y = sum(x)", "x[0],x[2]", "x[1] is missing"),
        ("W = [[1,2],[3,4]]; y = sum(W)", '"W[0,0]","W[1,1]"', "W[0,1] and W[1,0] are missing"),
        ("x = [1,2]; y = sum(x)", "x[0],x[1],x[2]", "x[2] is not an element of x"),
        ("y = sum(x)", "x[0],x[0,1]", "x[0] and x[0,1]"),
    ],
)
def test_missing_or_stray_elements_are_named(gradcli, tmp_path, program, header, message):
    path = tmp_path / "p.csv"
    cells = len(next(csv.reader([header])))  # a 1 in every column
    path.write_text(header + "\n" + ",".join(["1"] * cells) + "\n")
    result = gradcli("sweep", program, "--points", path)
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr, result.stderr


def test_an_array_given_both_ways_is_refused(gradcli, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("x[0],x[1]\n1,2\n")
    result = gradcli("sweep", "y = sum(x)", "x=[1,2]", "--points", path)
    assert result.exit_code == 2 and "'x' is both" in result.stderr


@pytest.mark.parametrize(
    ("program", "swept", "of", "expected"),
    [  # hand-derived: y = x*w, y[1] = 2w, dy[1]/dw = 2; Y = W*w, Y[1,0] = 3w, dY[1,0]/dw = 3
        ("y = x*w", ["x=[1,2]", "w=0:1:3"], "y[1]", [(0.0, 2.0), (1.0, 2.0), (2.0, 2.0)]),
        ("W = [[1,2],[3,4]]; Y = W*w", ["w=-1,2"], "Y[1,0]", [(-3.0, 3.0), (6.0, 3.0)]),
    ],
)
def test_an_array_outputs_element_sweep_reads_back(gradcli, tmp_path, program, swept, of, expected):
    first = gradcli("sweep", program, *swept, "--of", of)
    assert first.exit_code == 0, first.stderr
    path = tmp_path / "a.csv"
    path.write_text(first.stdout)
    again = gradcli("sweep", program, "--points", path, "--of", of)
    assert again.exit_code == 0, again.stderr
    assert again.stdout == first.stdout
    rows = list(csv.DictReader(io.StringIO(first.stdout)))
    assert [(float(r[of]), float(r[f"d{of}/dw"])) for r in rows] == expected
    assert {"y[1]": "dy[1]/dx[0]", "Y[1,0]": '"dY[1,0]/dW[0,0]"'}[of] in first.stdout.splitlines()[0]
