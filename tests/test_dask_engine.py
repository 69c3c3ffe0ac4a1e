"""--engine dask (DESIGN §7.3) against its oracle, the local engine: sweep row for row and exit
code for exit code on a distributed.LocalCluster of 2 worker processes started here; Monte Carlo's
numbers the same on 1, 2 and 4 workers and locally; the faults (an unreachable scheduler, a
killed worker, a missing extra).  One module-scoped cluster keeps the cost down."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
pa_parquet = pytest.importorskip("pyarrow.parquet")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0", silence_logs=40
    ) as c:
        yield c


def _both(gradcli, cluster, *args):
    """The same command on the local engine and on the cluster."""
    local = gradcli(*args)
    dask = gradcli(*args, "--engine", "dask", "--scheduler", cluster.scheduler_address, "--partition-rows", "7")
    return local, dask


@pytest.mark.parametrize(
    "args",
    [
        ("sweep", "y = x*sin(x) + a", "x=0:3:50", "a=1,2"),  # scalar, a grid over 2 axes: 100 rows, 15 partitions
        ("sweep", "y = [x*x, exp(w*x)]", "x=-1:1:21", "w=2"),  # array output: elements and Jacobian columns
        ("sweep", "y = log(x) + sqrt(1 - x)", "x=-2:3:40"),  # failing rows on both sides: exit 3, messages
    ],
)
def test_sweep_equals_local_row_for_row(gradcli, cluster, args):
    local, dask = _both(gradcli, cluster, *args)
    assert local.exit_code in (0, 3)
    assert (dask.exit_code, dask.stdout, dask.stderr) == (local.exit_code, local.stdout, local.stderr)
    assert len(local.stdout.splitlines()) > 20


def test_sweep_points_and_out_parquet(gradcli, cluster, tmp_path):
    """CSV points (shipped from the client) -> --out FILE.parquet and --out DIR/: pyarrow reads
    back the local engine's rows, in order; the folder's parts sort in row order."""
    points = tmp_path / "p.csv"
    points.write_text("x,w\n" + "".join(f"{i / 10 - 1},{i % 3}\n" for i in range(30)))
    args = ("sweep", "y = log(x + 1) * w", "--points", points)
    local = gradcli(*args, "--out", tmp_path / "local.parquet")
    dask = gradcli(*args, "--engine", "dask", "--scheduler", cluster.scheduler_address, "--partition-rows", "8",
                   "--out", tmp_path / "dask.parquet")  # fmt: skip
    folder = gradcli(*args, "--engine", "dask", "--scheduler", cluster.scheduler_address, "--partition-rows", "8",
                     "--out", f"{tmp_path / 'parts'}/")  # fmt: skip
    assert local.exit_code == dask.exit_code == folder.exit_code == 3  # x = -1: log(0)
    expected = pa_parquet.read_table(tmp_path / "local.parquet")
    assert pa_parquet.read_table(tmp_path / "dask.parquet").equals(expected)
    parts = sorted(os.listdir(tmp_path / "parts"))
    assert parts == [f"part-{i:06d}.parquet" for i in range(4)]  # 30 rows, 8 a partition
    import pyarrow as pa

    assert pa.concat_tables([pa_parquet.read_table(tmp_path / "parts" / p) for p in parts]).equals(expected)


def test_monte_carlo_same_on_any_number_of_workers(eval_json, cluster):
    """Seed 7: locally, on the 2-process cluster, and on in-process clusters of 1 and 4 workers:
    identical mean, standard deviation and interval (chunk i from child i of SeedSequence(7))."""
    args = ("y = exp(a) * b / (1 + c**2)", "a=0.3±0.05", "b=2±rect(0.1)", "c=1.5±tri(0.2)", "--mc", "300000",
            "--seed", "7")  # fmt: skip
    results = [eval_json(*args)["uncertainty"]["monte_carlo"]]
    results.append(eval_json(*args, "--engine", "dask", "--scheduler", cluster.scheduler_address,
                             "--partition-rows", "100000")["uncertainty"]["monte_carlo"])  # fmt: skip
    for workers in (1, 4):
        with distributed.LocalCluster(n_workers=workers, processes=False, threads_per_worker=1,
                                      dashboard_address=":0", silence_logs=40) as c:  # fmt: skip
            results.append(eval_json(*args, "--engine", "dask", "--scheduler", c.scheduler_address,
                                     "--partition-rows", "65536")["uncertainty"]["monte_carlo"])  # fmt: skip
    keys = ("mean", "standard", "interval", "samples", "valid")
    assert all({k: r[k] for k in keys} == {k: results[0][k] for k in keys} for r in results[1:])
    assert 0.5 < results[0]["mean"] < 1.5  # exp(0.3)*2/3.25 = 0.83: real numbers, not a shared default


def test_chunks_are_seedsequence_children():
    """The contract, independently: chunk 2's first normal is child 2 of SeedSequence(seed)'s."""
    from gradcli.analysis.monte_carlo import CHUNK, chunk_rng

    child = np.random.SeedSequence(5).spawn(3)[2]
    assert chunk_rng(5, 2).standard_normal(4).tolist() == np.random.default_rng(child).standard_normal(4).tolist()
    assert CHUNK == 65_536


def test_monte_carlo_invalid_samples_as_locally(gradcli, cluster):
    args = ("eval", "y = sqrt(x)", "x=0.1±0.1", "--mc", "200000")
    local, dask = _both(gradcli, cluster, *args)
    assert local.exit_code == 3 and (dask.exit_code, dask.stderr) == (local.exit_code, local.stderr)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_exit_2_within_timeout(gradcli):
    address = f"tcp://127.0.0.1:{_closed_port()}"
    start = time.monotonic()
    result = gradcli("sweep", "y = x", "x=0:1:3", "--engine", "dask", "--scheduler", address, "--timeout", "2")
    assert result.exit_code == 2 and address in result.stderr and "within 2 s" in result.stderr
    assert time.monotonic() - start < 8


@pytest.mark.parametrize(
    "args, words",
    [
        (("--scheduler", "tcp://127.0.0.1:1"), "--scheduler is the dask engine's"),
        (("--engine", "dask", "--partition-rows", "0"), "--partition-rows"),
        (("--engine", "spark"), "expected local or dask"),
        (("--out", "rows/"), "a folder of partitions is the dask engine's"),
    ],
)
def test_bad_engine_options_exit_2(gradcli, args, words):
    result = gradcli("sweep", "y = x", "x=0:1:3", *args)
    assert result.exit_code == 2 and words in result.stderr


def test_missing_extra_exit_2_naming_it(gradcli, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` raises ImportError
    result = gradcli("sweep", "y = x", "x=0:1:3", "--engine", "dask")
    assert result.exit_code == 2 and "pip install 'gradcli[dask]'" in result.stderr
    result = gradcli("eval", "y = x", "x=1±0.1", "--mc", "1000", "--engine", "dask")
    assert result.exit_code == 2 and "pip install 'gradcli[dask]'" in result.stderr


def test_eval_without_engine_imports_no_dask():
    code = (
        "import sys; from gradcli.cli.app import main\n"
        "sys.argv = ['gradcli', 'eval', 'y = x', 'x=1±0.1', '--mc', '1000']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', 'pyarrow')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


@pytest.mark.slow
def test_worker_killed_mid_run(cluster, tmp_path):
    """A worker process killed while the sweep runs: the run completes with the local engine's
    rows (dask re-runs the lost partitions), or exits 4; either way no partial --out file."""
    client = distributed.Client(cluster, set_as_default=False)
    pids = list(client.run(os.getpid).values())
    out = tmp_path / "rows.parquet"
    args = ["sweep", "y = sin(x) * exp(-w*x)", "x=0:10:2000", "w=0:1:1000", "--partition-rows", "50000"]
    command = [sys.executable, "-m", "gradcli", *args, "--engine", "dask", "--scheduler",
               cluster.scheduler_address, "--out", str(out)]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    killer = threading.Timer(1.0, os.kill, (pids[0], signal.SIGKILL))
    killer.start()
    _, stderr = process.communicate(timeout=300)
    killer.join()
    client.close()
    leftovers = [p for p in os.listdir(tmp_path) if p != "rows.parquet"]
    assert not leftovers  # no temporary file either
    print("worker killed; exit", process.returncode)
    if process.returncode == 4:
        assert not out.exists() and "dask cluster failed" in stderr
        return
    assert process.returncode == 0, stderr
    local = tmp_path / "local.parquet"
    subprocess.run([sys.executable, "-m", "gradcli", *args[:-2], "--out", str(local)], check=True)
    assert pa_parquet.read_table(out).equals(pa_parquet.read_table(local))
    assert json.dumps(pa_parquet.read_metadata(out).num_rows) == "2000000"


def _parquet_points(path, rows: int = 40, group: int = 9):
    """Points with a null and a NaN, in row groups of `group` rows (partitions cut across them)."""
    import pyarrow as pa

    x = [i / 8 - 1 for i in range(rows)]
    x[5], x[17] = None, float("nan")
    pa_parquet.write_table(pa.table({"x": x, "w": [float(i % 4) for i in range(rows)]}), path, row_group_size=group)


@pytest.mark.parametrize("points", ["grid", "parquet"])
def test_workers_read_and_write_dir_equal_local(gradcli, cluster, tmp_path, points):
    """A grid made and a Parquet file read on the workers (read -> map_partitions -> write): --out
    DIR/ written by the workers, one part a partition, equals the local engine's --out FILE.parquet;
    a null fails its row, a NaN is carried on (--allow-nonfinite), the first failure's row and
    message are the local engine's."""
    import pyarrow as pa

    if points == "grid":
        args = ("sweep", "y = sqrt(x) * w", "x=-1:3:20", "w=0,1")
    else:
        _parquet_points(tmp_path / "in.parquet")
        args = ("sweep", "y = sqrt(x) * w", "--points", tmp_path / "in.parquet", "--allow-nonfinite")
    local = gradcli(*args, "--out", tmp_path / "local.parquet")
    dask_args = ("--engine", "dask", "--scheduler", cluster.scheduler_address, "--partition-rows", "7")
    folder = gradcli(*args, *dask_args, "--out", f"{tmp_path / 'parts'}/")
    stdout = gradcli(*args, *dask_args)
    assert (folder.exit_code, folder.stderr) == (local.exit_code, local.stderr)
    assert local.exit_code == 3  # sqrt of a negative x; a null
    parts = sorted(os.listdir(tmp_path / "parts"))
    assert parts == [f"part-{i:06d}.parquet" for i in range(len(parts))] and len(parts) >= 6
    expected = pa_parquet.read_table(tmp_path / "local.parquet")
    got = pa.concat_tables([pa_parquet.read_table(tmp_path / "parts" / p) for p in parts])
    assert got.schema.equals(expected.schema) and got.num_rows == expected.num_rows
    for name in expected.column_names:  # NaN == NaN here; a null only where the local file has one
        a, b = got.column(name).combine_chunks(), expected.column(name).combine_chunks()
        assert a.is_null().equals(b.is_null()), name
        assert [str(v) for v in a.to_pylist()] == [str(v) for v in b.to_pylist()], name
    assert (stdout.exit_code, stdout.stdout) == (local.exit_code, gradcli(*args).stdout)
    if points == "parquet":
        assert "row 6" in local.stderr and "null" in local.stderr


def test_rows_frame_meta_is_the_csv_header(tmp_path):
    """map_partitions' meta: the sweep header's columns (§6.2, array elements as §6.6), numbers
    float64, status a categorical of strings, known before anything runs; the points' partitions
    follow the row groups (each cut into equal parts)."""
    from gradcli import session
    from gradcli.analysis import dask_frames
    from gradcli.analysis.dask_engine import Settings
    from gradcli.analysis.parquet_points import ParquetPoints

    source = session.Source("y = [x*w, x + w]")
    _parquet_points(tmp_path / "in.parquet", rows=40, group=9)
    pts = ParquetPoints(str(tmp_path / "in.parquet"))
    pts.use(["x", "w"])
    assert pts.parts(7) == [(0, 4), (4, 5), (9, 4), (13, 5), (18, 4), (22, 5), (27, 4), (31, 5), (36, 4)]
    plan = session.sweep(session.load(source), [], pts, session.Request())
    rows = dask_frames.rows(plan, session.Recipe(source, plan.bindings, session.Request()).job(session.compile_sweep),
                            Settings(partition_rows=7))  # fmt: skip
    assert list(rows._meta.columns) == plan.header()
    assert plan.header() == ["x", "w", "y[0]", "y[1]", "dy[0]/dx", "dy[0]/dw", "dy[1]/dx", "dy[1]/dw", "status"]
    assert all(str(t) == "float64" for t in rows._meta.dtypes[:-1]) and str(rows._meta.dtypes.iloc[-1]) == "category"
    assert rows.npartitions == 9


def test_non_finite_parquet_cell_read_on_a_worker_exits_2_as_locally(gradcli, cluster, tmp_path, monkeypatch):
    # review: the worker's message named the resolved path (/tmp/.../in.parquet), not the one given
    _parquet_points(tmp_path / "in.parquet")
    monkeypatch.chdir(tmp_path)
    args = ("sweep", "y = x * w", "--points", "in.parquet")
    local = gradcli(*args)
    dask = gradcli(*args, "--engine", "dask", "--scheduler", cluster.scheduler_address, "--partition-rows", "7",
                   "--out", f"{tmp_path / 'parts'}/")  # fmt: skip
    assert local.exit_code == dask.exit_code == 2
    assert (
        "in.parquet, row 18, column 'x': NaN is not a finite number" in local.stderr
        and str(tmp_path) not in local.stderr
    )
    assert dask.stderr == local.stderr and not (tmp_path / "parts").exists()
    assert [p for p in os.listdir(tmp_path) if p != "in.parquet"] == []


def test_out_dir_whose_parent_is_missing_names_the_parent(gradcli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = gradcli("sweep", "y = x", "x=0:1:3", "--engine", "dask", "--out", "missing/deeper/")
    assert res.exit_code == 2 and "the folder 'missing' does not exist" in res.stderr
