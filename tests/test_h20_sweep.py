"""Issue 20 (hardening 2), sweep and plot: each test failed before its fix.

- item 9: `plot` drew a `where()` branch where eval refuses the point (the value of the
  branch taken, though the other branch is undefined there);
- item 18: `sweep x=0:1:1e9` was refused ("N ... must be a whole number") while `--mc 1e6` was
  accepted: N is read as --mc's count is, and a sweep streams, so only 2^53 points are too many
  (plot, which holds its points, draws at most 10^7);
- item 26: `sweep --format table` cut numbers with "…" at 80 or 40 columns; it now draws eval's
  way: the table where it fits, else one block a row, every number whole;
- item 31 (first half): `sweep` and `plot` did not take `--bindings FILE`; they take it as eval
  does (NAME=VALUE arguments, swept ones included, win over the file).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import subprocess
import sys
from pathlib import Path

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


# -- item 18: N may be written 1e9; a streamed sweep takes it, in flat memory ---------------------


def _gradcli() -> list[str]:
    exe = Path(sys.executable).with_name("gradcli")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "gradcli"]


def _rss(pid: int) -> int:
    """The resident memory of a running process, in bytes (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")  # pragma: no cover


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads memory from /proc")
def test_a_billion_point_sweep_streams_in_flat_memory():
    """x=1:2:1e9: rows come out at once and in order; the reader stops after 1.2M rows (a
    billion would take ~20 minutes), memory stays flat meanwhile, and leaving is exit 0."""
    n = 10**9
    proc = subprocess.Popen(
        [*_gradcli(), "sweep", "y = x*x", "x=1:2:1e9"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        first = proc.stdout.read(1 << 20).decode().split("\n")
        assert first[0] == "x,y,dy/dx,status"
        for k in (0, 1, 3, 9_999):  # x_k = k (STOP - START) / (N - 1), exactly as points.Axis computes it
            x, y, dy, status = first[1 + k].split(",")
            exact = 1.0 + k * 1.0 / (n - 1)
            assert (float(x), float(y), float(dy), status) == (exact, exact * exact, 2 * exact, "ok")
        rows, rss = len(first) - 1, {}
        while rows < 1_200_000:
            rows += proc.stdout.read(1 << 20).count(b"\n")
            if not rss and rows >= 200_000:
                rss["early"] = _rss(proc.pid)
        rss["late"] = _rss(proc.pid)
    finally:
        proc.stdout.close()  # the reader leaves: a broken pipe, exit 0 quietly
        err = proc.stderr.read()
        proc.wait(timeout=60)
    assert proc.returncode == 0 and err == b""
    assert rss["late"] - rss["early"] < 20 * 2**20, rss  # a million rows later, < 20 MB more


@pytest.mark.parametrize("count", ["1e1", "1E1", "1e+1", "10.0", "1.0e1"])
def test_n_in_scientific_notation_is_the_same_sweep(gradcli, count):
    expected = gradcli("sweep", "y = x*x", "x=0:1:10")
    result = gradcli("sweep", "y = x*x", f"x=0:1:{count}")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected.stdout and result.stdout.count("\n") == 11


@pytest.mark.parametrize(
    "count, says",
    [
        ("1.5", "whole number"),
        ("2.5e0", "whole number"),
        ("1e-3", "whole number"),
        ("1e400", "whole number"),
        ("inf", "whole number"),
        ("nan", "whole number"),
        ("-3", "at least 2"),
        ("0x10", "whole number"),
        ("", "whole number"),
        ("1", "at least 2"),
        ("0", "at least 2"),
        ("0e5", "at least 2"),
    ],
)
def test_a_bad_n_is_refused(gradcli, count, says):
    result = gradcli("sweep", "y = x*x", f"x=0:1:{count}")
    assert result.exit_code == 2 and says in result.stderr, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


@pytest.mark.parametrize("axes", [["x=0:1:1e16"], ["x=0:1:1e8", "z=0:1:1e8"]])
def test_more_than_2_to_the_53_points_is_refused_saying_why(gradcli, axes):
    result = gradcli("sweep", "y = x*x + z", "z=0", *axes) if len(axes) == 1 else gradcli("sweep", "y = x*z", *axes)
    assert result.exit_code == 2, result.stderr
    assert "2^53" in result.stderr and "exact" in result.stderr  # the limit, and why


def test_plot_takes_1e3_and_refuses_more_points_than_it_can_hold(gradcli):
    """plot keeps every point to draw them (sweep streams): N = 1e3 is 1000 points, 1e9 is
    refused at once with the limit, not a MemoryError after minutes."""
    x, _, _ = plot_samples(_plan("y = x*x", "x=0:1:1e3"), "x")
    assert len(x) == 1000 and x[-1] == 1.0
    assert gradcli("plot", "y = x*x", "x=0:1:1e3").exit_code == 0
    result = gradcli("plot", "y = x*x", "x=0:1:1e9")
    assert result.exit_code == 2 and "at most 10,000,000 points" in result.stderr, result.stderr


# -- item 26: sweep's table never cuts a number: a table where it fits, else one block a row -------

_WIDE = ["L = (a*b + c) * f", "a=1.23456789,2", "b=-3.123456789:3:3", "c=5", "f=-2"]


def _float_tokens(text: str) -> list[float]:
    """Every number printed (a token that parses as a float), in order; lines in parentheses
    (the note naming the width) are not data."""
    out = []
    for line in text.splitlines():
        if line.lstrip().startswith("("):
            continue
        for token in re.split(r"[\s│┃]+", line):
            try:
                out.append(float(token))
            except ValueError:
                pass
    return out


@pytest.mark.parametrize("width", [40, 80])
@pytest.mark.parametrize("precision", [6, 17])
@pytest.mark.parametrize(
    "args",
    [["y = x*x", "x=0.123456789:1:3"], _WIDE, ["y = exp(x) * 1e-7", "x=-1.5:700.25:4"]],
)
def test_the_sweep_table_prints_every_number_whole(gradcli, args, width, precision):
    """Every number of the CSV, at --precision digits, is printed whole, in row order, and
    nothing else is: no "…", no line wider than the terminal."""
    csv_rows = gradcli("sweep", *args).stdout.splitlines()[1:]
    expected = [float(f"{float(cell):.{precision}g}") for row in csv_rows for cell in row.split(",")[:-1]]
    result = gradcli(
        "sweep", *args, "--format", "table", "--precision", precision, "--no-color", env={"COLUMNS": str(width)}
    )
    assert result.exit_code == 0, result.stderr
    assert "…" not in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= width
    assert _float_tokens(result.stdout) == expected


def test_narrow_sweep_blocks_keep_row_numbers_statuses_and_the_left_out_count(gradcli):
    args = ["y = sqrt(x) * 1.23456789", "x=-1:1:30", "--format", "table", "--max-rows", "6", "--no-color"]
    result = gradcli("sweep", *args, env={"COLUMNS": "40"})
    assert result.exit_code == 3  # rows failed, as in every format
    lines = result.stdout.splitlines()
    heads = [line for line in lines if line.startswith("#")]
    assert [h.split()[0] for h in heads] == ["#1", "#2", "#3", "#28", "#29", "#30"]
    assert heads[0].startswith("#1  sqrt(x) is undefined at x = -1") and heads[-1] == "#30  ok"
    assert "24 rows left out" in result.stdout
    last = [float(t) for t in lines[-1].split()[1::2]]  # x 1   y 1.23457   dy/dx 0.617284
    assert last == [1.0, float(f"{1.23456789:.6g}"), float(f"{1.23456789 / 2:.6g}")]


# -- item 31: sweep and plot take --bindings FILE, as eval does ------------------------------------


def _json_file(tmp_path, doc: dict) -> str:
    path = tmp_path / "bindings.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_sweep_with_a_bindings_file_equals_the_same_bindings_inline(gradcli, tmp_path):
    path = _json_file(tmp_path, {"a": 1.5, "c": "pi/4", "f": -2})
    inline = gradcli("sweep", "L = (a*b + c) * f", "a=1.5", "c=pi/4", "f=-2", "b=0:1:3")
    from_file = gradcli("sweep", "L = (a*b + c) * f", "--bindings", path, "b=0:1:3")
    assert from_file.exit_code == 0, from_file.stderr
    assert from_file.stdout == inline.stdout
    rows = [line.split(",") for line in from_file.stdout.splitlines()[1:]]
    for row, b in zip(rows, (0.0, 0.5, 1.0)):  # L = (a b + c) f and dL/db = a f, by hand
        assert float(row[4]) == pytest.approx((1.5 * b + math.pi / 4) * -2, rel=1e-15)
        assert float(row[6]) == -3.0


def test_array_bindings_from_a_file_equal_inline_ones(gradcli, tmp_path):
    program = "y = sum(W @ x) * a"
    path = _json_file(tmp_path, {"W": [[1, 2], [3, 4]], "x": "[0.5, -1]"})
    inline = gradcli("sweep", program, "W=[[1,2],[3,4]]", "x=[0.5,-1]", "a=0:1:3")
    from_file = gradcli("sweep", program, "--bindings", path, "a=0:1:3")
    assert from_file.exit_code == 0, from_file.stderr
    assert from_file.stdout == inline.stdout
    last = list(csv.DictReader(io.StringIO(from_file.stdout)))[-1]
    assert float(last["W[1,0]"]) == 3.0 and float(last["x[1]"]) == -1.0
    assert float(last["y"]) == -4.0 and float(last["dy/da"]) == -4.0  # sum(W @ x) = -1.5 - 2.5 at a = 1
    assert float(last["dy/dx[1]"]) == 6.0  # a (W[0,1] + W[1,1])


def test_the_command_line_wins_over_the_file_swept_names_too(gradcli, tmp_path):
    """As eval: NAME=VALUE arguments override the file's; a name the file binds and the command
    line sweeps is swept (it is not 'bound twice')."""
    path = _json_file(tmp_path, {"a": 7, "b": 100, "c": 0.25, "f": -2})
    expected = gradcli("sweep", "L = (a*b + c) * f", "a=1.5", "c=0.25", "f=-2", "b=0:1:3")
    result = gradcli("sweep", "L = (a*b + c) * f", "--bindings", path, "a=1.5", "b=0:1:3")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected.stdout
    assert gradcli("sweep", "L = a*b", "a=1", "a=0:1:3").exit_code == 2  # twice on the command line: still refused


def test_points_columns_win_over_the_file(gradcli, tmp_path):
    points = tmp_path / "points.csv"
    points.write_text("a,b\n1,2\n3,4\n")
    path = _json_file(tmp_path, {"a": 100, "c": 5})
    result = gradcli("sweep", "L = a*b + c", "--bindings", path, "--points", points)
    assert result.exit_code == 0, result.stderr
    assert [line.split(",")[:4] for line in result.stdout.splitlines()[1:]] == [
        ["1.0", "2.0", "5.0", "7.0"],
        ["3.0", "4.0", "5.0", "17.0"],
    ]


def test_plot_with_a_bindings_file_equals_the_same_bindings_inline(gradcli, tmp_path):
    path = _json_file(tmp_path, {"k": 2.5, "w": [1, -1]})
    program = "y = sin(k*x) + sum(w)*x"
    inline = gradcli("plot", program, "k=2.5", "w=[1,-1]", "x=-2:2:41", "--width", "60")
    from_file = gradcli("plot", program, "--bindings", path, "x=-2:2:41", "--width", "60")
    assert from_file.exit_code == 0, from_file.stderr
    assert from_file.stdout == inline.stdout and from_file.stdout.startswith("y\n")


def test_a_bad_bindings_file_is_exit_2_in_sweep_and_plot(gradcli, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    for command in ("sweep", "plot"):
        result = gradcli(command, "y = a*x", "--bindings", bad, "x=0:1:3")
        assert result.exit_code == 2 and "expected a JSON object of bindings" in result.stderr, result.stderr


def test_array_columns_of_points_win_over_the_files_array(gradcli, tmp_path):
    """The file binds x = [9, 9]; the --points columns x[0], x[1] give x at each point."""
    points = tmp_path / "points.csv"
    points.write_text("x[0],x[1],a\n1,2,3\n4,5,6\n")
    path = _json_file(tmp_path, {"x": [9, 9], "a": 1})
    result = gradcli("sweep", "y = sum(x*x)*a", "--bindings", path, "--points", points)
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(float(r["y"]), float(r["dy/dx[1]"])) for r in rows] == [(15.0, 12.0), (246.0, 60.0)]  # (x0²+x1²)a, 2 x1 a
