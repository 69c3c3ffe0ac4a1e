"""Issue 24, deliverable 1 (DESIGN §7.3): `sweep --points FILE.parquet` and `--out FILE.csv|FILE.parquet`.

Oracles: the CSV sweep (its text, read with the csv module) for the Parquet output (read back
with pyarrow, an independent reader); numpy for the values where the program is simple enough.
Parquet columns are the CSV's, `status` kept; numbers float64, a failed row's numbers null.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

PROGRAMS = {
    "scalar": ("y = a*x*sin(x) + exp(-x/2)", "x=0:3:7", "a=1,-2.5"),
    "array": ("x = [1, 2]; y = sin(x*w) + x**2 * w", "w=-1:2:5"),  # y[i], dy[i]/dx[j], dy[i]/dw columns
    "failing": ("y = log(x) + sqrt(x - 1)", "x=-1:3:9"),  # rows at x < 1 fail (exit 3)
}


def _csv_rows(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def _same_values(header, rows, table) -> None:
    """The Parquet table equals the CSV value for value: names, order, numbers, nulls, status."""
    assert table.column_names == header
    for name in header:
        expected = pa.string() if name == "status" else pa.float64()
        assert table.schema.field(name).type == expected, name
    columns = table.to_pydict()
    assert len(columns["status"]) == len(rows)
    for i, row in enumerate(rows):
        for name, cell in zip(header, row):
            got = columns[name][i]
            if name == "status":
                assert got == cell
            elif cell == "":
                assert got is None, (i, name, got)
            else:
                assert got == float(cell) and repr(got) == cell, (i, name, got, cell)


@pytest.mark.parametrize("kind", list(PROGRAMS))
def test_csv_and_parquet_outputs_are_equal_value_for_value(gradcli, tmp_path, kind):
    args = PROGRAMS[kind]
    stdout = gradcli("sweep", *args)
    to_csv = gradcli("sweep", *args, "--out", tmp_path / "rows.csv")
    to_parquet = gradcli("sweep", *args, "--out", tmp_path / "rows.parquet")
    expected_code = 3 if kind == "failing" else 0
    for result in (stdout, to_csv, to_parquet):
        assert result.exit_code == expected_code, result.stderr
    assert to_csv.stdout == to_parquet.stdout == ""  # --out: nothing on stdout
    text = (tmp_path / "rows.csv").read_text()
    assert text == stdout.stdout  # --out FILE.csv is the stdout CSV, byte for byte
    header, rows = _csv_rows(text)
    table = pq.read_table(tmp_path / "rows.parquet")
    _same_values(header, rows, table)
    if kind == "array":
        assert "dy[1]/dx[0]" in header and "y[1]" in header
    if kind == "failing":
        status = table.column("status").to_pylist()
        assert status[0] == "log(x) is undefined at x = -1" and status[-1] == "ok"
        assert table.column("y").null_count == sum(s != "ok" for s in status) > 0


def test_parquet_output_reads_back_as_points(gradcli, tmp_path):
    """A sweep's Parquet output, fed back as --points (several row groups: --chunk 4), gives the
    same rows: its output columns are skipped, the inputs read in the file's order."""
    args = PROGRAMS["array"]
    first, again = tmp_path / "first.parquet", tmp_path / "again.parquet"
    assert gradcli("sweep", *args, "--out", first, "--chunk", "2").exit_code == 0
    assert pq.ParquetFile(first).metadata.num_row_groups == 3  # 5 rows, a row group a chunk
    result = gradcli("sweep", args[0], "--points", first, "--out", again, "--chunk", "4")
    assert result.exit_code == 0, result.stderr
    assert pq.read_table(again).equals(pq.read_table(first))
    as_csv = gradcli("sweep", args[0], "--points", first)
    assert as_csv.stdout == gradcli("sweep", *args).stdout


def test_row_order_is_kept_across_row_groups(gradcli, tmp_path):
    rng = np.random.default_rng(24)
    x, c = rng.uniform(-3, 3, 1000), rng.integers(-5, 5, 1000)  # an integer column reads as float64
    pq.write_table(pa.table({"x": x, "c": c}), tmp_path / "in.parquet", row_group_size=70)
    result = gradcli("sweep", "y = x*x*c", "--points", tmp_path / "in.parquet", "--out", tmp_path / "out.parquet",
                     "--chunk", "33")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    out = pq.read_table(tmp_path / "out.parquet").to_pydict()
    assert out["x"] == x.tolist() and out["c"] == c.astype(float).tolist()
    assert out["y"] == (x * x * c).tolist() and out["dy/dx"] == (2 * x * c).tolist()
    assert out["dy/dc"] == (x * x).tolist()


def test_a_null_input_is_a_failed_row_with_a_message(gradcli, tmp_path):
    points = tmp_path / "in.parquet"
    pq.write_table(pa.table({"x": pa.array([1.0, None, 4.0]), "a": pa.array([2.0, 3.0, None])}), points)
    to_parquet = gradcli("sweep", "y = a*sqrt(x)", "--points", points, "--out", tmp_path / "out.parquet")
    to_csv = gradcli("sweep", "y = a*sqrt(x)", "--points", points)
    assert to_parquet.exit_code == to_csv.exit_code == 3
    assert "2 of 3 rows failed; the first, row 2" in to_parquet.stderr
    out = pq.read_table(tmp_path / "out.parquet")
    assert out.to_pydict() == {
        "x": [1.0, None, 4.0], "a": [2.0, 3.0, None], "y": [2.0, None, None], "dy/dx": [1.0, None, None],
        "dy/da": [1.0, None, None],
        "status": ["ok", "no value for x (a null in the points)", "no value for a (a null in the points)"],
    }  # fmt: skip
    _same_values(*_csv_rows(to_csv.stdout), out)  # the CSV: empty cells where Parquet has nulls
    jsonl = gradcli("sweep", "y = a*sqrt(x)", "--points", points, "--format", "jsonl")
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [r["point"] for r in rows] == [{"x": 1.0, "a": 2.0}, {"x": None, "a": 3.0}, {"x": 4.0, "a": None}]


def test_an_existing_file_is_replaced_only_when_the_run_completes(gradcli, tmp_path, monkeypatch):
    """An exception mid-write (a disk that fills up after the first row group) leaves the old
    file as it was and no temporary file beside it; a complete run replaces it."""
    from gradcli.render import sweep_parquet

    target = tmp_path / "rows.parquet"
    target.write_bytes(b"old")
    append, calls = sweep_parquet.ParquetWriter.append, []

    def filling_up(self, *args):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return append(self, *args)

    monkeypatch.setattr(sweep_parquet.ParquetWriter, "append", filling_up)
    result = gradcli("sweep", "y = x*x", "x=1:100:100", "--chunk", "10", "--out", target)
    assert result.exit_code == 2 and "cannot write output: No space left on device" in result.stderr
    assert os.listdir(tmp_path) == ["rows.parquet"] and target.read_bytes() == b"old"
    monkeypatch.undo()
    assert gradcli("sweep", "y = x*x", "x=1:100:100", "--out", target).exit_code == 0
    assert os.listdir(tmp_path) == ["rows.parquet"] and pq.read_table(target).num_rows == 100
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())  # as open() makes a file, not 0600


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_ctrl_c_or_a_later_bad_point_leaves_no_file(gradcli, tmp_path, monkeypatch, suffix):
    from gradcli.analysis import batch

    run, calls = batch.ArrayGraph.run, []

    def interrupting(self, columns, n, allow=False):
        calls.append(n)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # as if the user pressed Ctrl-C mid-sweep
        return run(self, columns, n, allow)

    monkeypatch.setattr(batch.ArrayGraph, "run", interrupting)
    target = tmp_path / f"rows.{suffix}"
    result = gradcli("sweep", "y = x*x", "x=1:100:100", "--chunk", "10", "--out", target)
    assert result.exit_code == 130 and f"interrupted: nothing written to {target}" in result.stderr
    assert os.listdir(tmp_path) == []
    monkeypatch.undo()
    points = tmp_path / "in.parquet"  # a NaN in row 25: refused (exit 2) after 2 chunks were written
    pq.write_table(pa.table({"x": [*range(24), float("nan"), 1.0]}), points)
    result = gradcli("sweep", "y = x*x", "--points", points, "--chunk", "10", "--out", target)
    assert result.exit_code == 2 and "in.parquet, row 25, column 'x': NaN is not a finite number" in result.stderr
    assert os.listdir(tmp_path) == ["in.parquet"]


def _bad(gradcli, *args) -> str:
    result = gradcli("sweep", *args)
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    return result.stderr


def test_bad_parquet_points_are_exit_2_with_a_message(gradcli, tmp_path):
    def table(name, **columns):
        pq.write_table(pa.table(columns), tmp_path / name)
        return tmp_path / name

    xs = table("xs.parquet", x=[1.0, 2.0])
    err = _bad(gradcli, "y = a*x", "--points", xs)  # a missing column: `a` has no value
    assert "error: 'a' has no value" in err
    extra = table("extra.parquet", x=[1.0], z=[2.0])
    assert "unknown column 'z' (the program's inputs: x)" in _bad(gradcli, "y = x*x", "--points", extra)
    text = table("text.parquet", x=["1", "2"])
    assert "column 'x' holds string, not numbers" in _bad(gradcli, "y = x*x", "--points", text)
    flags = table("bool.parquet", x=[True, False])
    assert "column 'x' holds bool, not numbers" in _bad(gradcli, "y = x*x", "--points", flags)
    (tmp_path / "junk.parquet").write_text("x\n1\n")
    assert "not a readable Parquet file" in _bad(gradcli, "y = x*x", "--points", tmp_path / "junk.parquet")
    assert "no such file" in _bad(gradcli, "y = x*x", "--points", tmp_path / "absent.parquet")
    empty = table("empty.parquet", x=pa.array([], type=pa.float64()))
    assert "no rows" in _bad(gradcli, "y = x*x", "--points", empty)
    inf = table("inf.parquet", x=[1.0, float("inf")])
    assert "row 2, column 'x': Infinity is not a finite number" in _bad(gradcli, "y = x*x", "--points", inf)
    carried = gradcli("sweep", "y = x*x", "--points", inf, "--allow-nonfinite")
    assert carried.exit_code == 0 and carried.stdout.splitlines()[-1] == "Infinity,Infinity,Infinity,ok"


def test_bad_out_is_exit_2_before_any_work(gradcli, tmp_path):
    assert "the folder" in _bad(gradcli, "y = x*x", "x=1:2:3", "--out", tmp_path / "no" / "rows.parquet")
    assert "does not exist" in _bad(gradcli, "y = x*x", "x=1:2:3", "--out", tmp_path / "no" / "rows.csv")
    assert "must end in .csv or .parquet" in _bad(gradcli, "y = x*x", "x=1:2:3", "--out", tmp_path / "rows.txt")
    err = _bad(gradcli, "y = x*x", "x=1:2:3", "--out", tmp_path / "r.csv", "--format", "jsonl")
    assert "--out picks its format by the file's suffix" in err
    assert os.listdir(tmp_path) == []
    (tmp_path / "d.parquet").mkdir()
    assert "is a folder" in _bad(gradcli, "y = x*x", "x=1:2:3", "--out", tmp_path / "d.parquet")


def test_without_pyarrow_parquet_is_exit_2_naming_the_extra(gradcli, tmp_path, monkeypatch):
    points = tmp_path / "in.parquet"
    pq.write_table(pa.table({"x": [1.0]}), points)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    for args in (["--out", tmp_path / "rows.parquet", "x=1:2:3"], ["--points", points]):
        err = _bad(gradcli, "y = x*x", *args)
        assert "needs pyarrow, which is not installed" in err and "pip install 'gradcli[parquet]'" in err
    assert gradcli("sweep", "y = x*x", "x=1:2:3", "--out", tmp_path / "rows.csv").exit_code == 0  # CSV needs none


def test_eval_and_a_csv_sweep_import_no_pyarrow(tmp_path):
    for args in (["eval", "y = x*x", "x=3"], ["sweep", "y = x*x", "x=1:2:3", "--out", "r.csv"]):
        proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "gradcli", *args],
                              capture_output=True, text=True, timeout=60, cwd=tmp_path)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        modules = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
        assert "pyarrow" not in modules
        assert ("numpy" in modules) == (args[0] == "sweep")  # the check sees what sweep imports


_PEAK = """
import atexit, runpy, sys
def peak():  # VmHWM: this process's own high-water mark (ru_maxrss keeps the forking parent's across exec)
    kb = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    print("peak", kb, file=sys.stderr)
atexit.register(peak)
sys.argv = ["gradcli", *sys.argv[1:]]
runpy.run_module("gradcli", run_name="__main__")
"""


def _peak_rss_mb(tmp_path, rows: int) -> float:
    """A Parquet -> Parquet sweep of `rows` rows in its own process; its peak RSS in MB."""
    points, out = tmp_path / f"in{rows}.parquet", tmp_path / f"out{rows}.parquet"
    rng = np.random.default_rng(rows)
    with pq.ParquetWriter(points, pa.schema([("x", pa.float64()), ("a", pa.float64())])) as writer:
        for lo in range(0, rows, 1 << 20):
            n = min(1 << 20, rows - lo)
            writer.write_table(pa.table({"x": rng.uniform(0.1, 3, n), "a": rng.uniform(-1, 1, n)}))
    program = "y = a*sin(x)*exp(-x/2) + log(x)"
    proc = subprocess.run([sys.executable, "-c", _PEAK, "sweep", program, "--points", points, "--out", out],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert pq.ParquetFile(out).metadata.num_rows == rows
    points.unlink()
    out.unlink()
    return int(proc.stderr.split("peak")[-1]) / 1024  # VmHWM: KB


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status (Linux)")
def test_ten_million_rows_parquet_to_parquet_in_flat_memory(tmp_path):
    """Measured (2 cores, pyarrow 26): 163 MB at 10^6 rows and 165 MB at 10^7 (~3 s); before
    reading a row group at a time, 10^7 rows took 340 MB.  Asserted: 10^7 rows cost under 60 MB
    more than 10^6 and stay under 400 MB (the test takes ~5 s: slow)."""
    small, big = _peak_rss_mb(tmp_path, 10**6), _peak_rss_mb(tmp_path, 10**7)
    assert big - small < 60, (small, big)
    assert big < 400, big
