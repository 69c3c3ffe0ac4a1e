"""Big sweeps (issue 24): 10^7 rows Parquet -> Parquet, gradcli's local engine against a
hand-written pandas/NumPy script computing the same value and gradients.

    python benchmarks/bigsweep_bench.py                  # 10^7 rows, best of 1
    python benchmarks/bigsweep_bench.py --rows 1000000 --rounds 3   # quicker

Every side runs as a fresh process reading the same Parquet file (two float64 columns x and a,
written in row groups of 2^20 rows) and writing the same columns (x, a, y, dy/dx, dy/da,
status) to a Parquet file; the figures are wall time (best of --rounds, sides alternated),
rows per second and the peak resident set of that process (ru_maxrss, read inside it at
exit, so nothing else is counted).  Each side's output is checked against the local engine's
(the same columns and rows, the values within 1e-13 relative: the hand-written derivatives
round differently).

A new side is one function `NAME_parquet_to_parquet(points, out) -> list[str]` (the command)
added to SIDES.  `--dask` adds --engine dask's sides on a 2-worker LocalCluster started here
(to one file, to DIR/, and with a cluster the run starts itself), and prints the workers' peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

PROGRAM = "y = a*sin(x)*exp(-x/2) + log(x)"

# The CLI, in a process that reports its own peak RSS (KB on Linux) on stderr at exit.
PEAK = textwrap.dedent(
    """
    import atexit, sys
    def peak():  # VmHWM: this process's own high-water mark (ru_maxrss keeps the forking parent's across exec)
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    atexit.register(lambda: print("peak-rss-kb", peak(), file=sys.stderr))
    kind, sys.argv = sys.argv[1], sys.argv[1:]
    if kind == "gradcli":
        from gradcli.cli.app import main
        main()
    else:
        exec(open(kind).read())
    """
)

PANDAS_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import pandas as pd
    points, out = sys.argv[1], sys.argv[2]
    df = pd.read_parquet(points)
    x, a = df["x"].to_numpy(), df["a"].to_numpy()
    s, e = np.sin(x), np.exp(-x / 2)
    df = pd.DataFrame({"a": a, "x": x})  # gradcli's order: the inputs as the program first names them
    df["y"] = a * s * e + np.log(x)
    df["dy/da"] = s * e
    df["dy/dx"] = a * (np.cos(x) - s / 2) * e + 1 / x
    df["status"] = "ok"
    df.to_parquet(out, index=False)
    """
)


def make_points(path: str, rows: int, seed: int = 24) -> None:
    """x in [0.1, 3], a in [-1, 1]: every row defined (log(x) needs x > 0)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    schema = pa.schema([("x", pa.float64()), ("a", pa.float64())])
    with pq.ParquetWriter(path, schema) as writer:
        for lo in range(0, rows, 1 << 20):
            n = min(1 << 20, rows - lo)
            writer.write_table(pa.table({"x": rng.uniform(0.1, 3, n), "a": rng.uniform(-1, 1, n)}, schema=schema))


def local_parquet_to_parquet(points: str, out: str, work: str) -> list[str]:
    """gradcli sweep --points FILE.parquet --out FILE.parquet on the local engine."""
    return ["gradcli", "sweep", PROGRAM, "--points", points, "--out", out]


def pandas_parquet_to_parquet(points: str, out: str, work: str) -> list[str]:
    """The same value and gradients by hand: pd.read_parquet, NumPy, DataFrame.to_parquet."""
    script = os.path.join(work, "by_hand.py")
    Path(script).write_text(PANDAS_SCRIPT)
    return [script, points, out]


SIDES: dict[str, Callable[[str, str, str], list[str]]] = {
    "gradcli local engine": local_parquet_to_parquet,
    "pandas + numpy by hand": pandas_parquet_to_parquet,
}


def dask_sides(scheduler: str) -> dict[str, Callable[[str, str, str], list[str]]]:
    """--engine dask on a running cluster (its start-up not charged: a cluster serves many runs),
    to one file (rows brought to the client, which writes them) and to DIR/ (each worker writes
    its partitions); and to one file with a LocalCluster the run starts itself."""

    def one_file(points: str, out: str, work: str) -> list[str]:
        return [*local_parquet_to_parquet(points, out, work), "--engine", "dask", "--scheduler", scheduler]

    def folder(points: str, out: str, work: str) -> list[str]:
        return ["gradcli", "sweep", PROGRAM, "--points", points, "--out", out[: -len(".parquet")] + "/",
                "--engine", "dask", "--scheduler", scheduler]  # fmt: skip

    def own_cluster(points: str, out: str, work: str) -> list[str]:
        return [*local_parquet_to_parquet(points, out, work), "--engine", "dask"]

    return {"dask 2 workers -> FILE": one_file, "dask 2 workers -> DIR/": folder,
            "dask, own LocalCluster -> FILE": own_cluster}  # fmt: skip


def run_side(command: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", PEAK, *command], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{command[:2]} failed ({proc.returncode}):\n{proc.stderr}")
    return seconds, int(proc.stderr.split("peak-rss-kb")[-1]) / 1024


def same_rows(reference: str, other: str, rel: float = 1e-13) -> bool:
    """The same columns in the same order, the same rows; numbers within `rel` (a formula written
    by hand rounds differently: dy/dx differs by up to ~8 ulps here)."""
    import numpy as np
    import pyarrow.parquet as pq

    if not os.path.exists(other):  # --out DIR/: the parts, in name order
        import pyarrow as pa

        folder = other[: -len(".parquet")]
        got = pa.concat_tables([pq.read_table(os.path.join(folder, p)) for p in sorted(os.listdir(folder))])
        other = None
    want = pq.read_table(reference)
    got = pq.read_table(other) if other is not None else got
    if want.column_names != got.column_names or want.num_rows != got.num_rows:
        return False
    for name in want.column_names:
        w, g = want.column(name).to_numpy(), got.column(name).to_numpy()
        if name == "status":
            if not (w == g).all():
                return False
        elif not np.allclose(g, w, rtol=rel, atol=0.0):
            return False
    return True


def bigsweep(rows: int, rounds: int, sides: dict | None = None) -> dict:
    """Each side's best seconds, rows/s and peak RSS for `rows` rows Parquet -> Parquet."""
    sides = sides or SIDES
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as work:
        points = os.path.join(work, "points.parquet")
        make_points(points, rows)
        outs = {}
        for _ in range(rounds):
            for label, side in sides.items():
                out = outs.setdefault(label, os.path.join(work, f"out-{len(outs)}.parquet"))
                folder = out[: -len(".parquet")]
                if os.path.isdir(folder):  # --out DIR/ takes no existing folder
                    shutil.rmtree(folder)
                seconds, peak = run_side(side(points, out, work))
                best = results.setdefault(label, {"seconds": seconds, "peak_rss_mb": peak})
                best["seconds"] = min(best["seconds"], seconds)
                best["peak_rss_mb"] = max(best["peak_rss_mb"], peak)
        reference = outs[next(iter(sides))]
        for label, r in results.items():
            r["rows_per_second"] = rows / r["seconds"]
            r["same_rows_as_local"] = same_rows(reference, outs[label])
    return results


def _peak_mb() -> float:
    """A worker's own high-water mark, in MB."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024


def table(rows: int, results: dict) -> str:
    lines = [f"{rows:,} rows Parquet -> Parquet ({PROGRAM}; value and 2 gradients)",
             f"{'side':<32} {'seconds':>8} {'rows/s':>12} {'peak RSS':>9}  same rows"]  # fmt: skip
    for label, r in results.items():
        lines.append(f"{label:<32} {r['seconds']:>8.2f} {r['rows_per_second']:>12,.0f} "
                     f"{r['peak_rss_mb']:>6.0f} MB  {'yes' if r['same_rows_as_local'] else 'NO'}")  # fmt: skip
    return "\n".join(lines)


def measure(rows: int, rounds: int, dask: bool) -> dict:
    """Every side's figures; with `dask`, its sides on a 2-worker LocalCluster and the workers' peak RSS."""
    if not dask:
        return bigsweep(rows, rounds)
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=40) as cluster:  # fmt: skip
        # the workers' one-time imports (numpy, pandas, pyarrow, gradcli) are not charged to the first side
        warm = ["gradcli", "sweep", "y = x", "x=0:1:3", "--engine", "dask", "--scheduler", cluster.scheduler_address]
        run_side(warm)
        results = bigsweep(rows, rounds, {**SIDES, **dask_sides(cluster.scheduler_address)})
        with distributed.Client(cluster) as client:
            results["workers"] = {"peak_rss_mb": list(client.run(_peak_mb).values())}
    return results


def run(quick: bool = False) -> dict:
    """benchmarks/run.py's section: 10^7 rows (10^6 with --quick), every side, dask included."""
    rows = 10**6 if quick else 10**7
    results = measure(rows, 1, dask=True)
    workers = results.pop("workers")
    print(table(rows, results))
    print(f"dask workers' peak RSS: {', '.join(f'{v:.0f}' for v in workers['peak_rss_mb'])} MB")
    local = results["gradcli local engine"]["seconds"]
    return {
        "rows": rows,
        "sides": results,
        "workers": workers,
        "dask_file_over_local": results["dask 2 workers -> FILE"]["seconds"] / local,
        "dask_dir_over_local": results["dask 2 workers -> DIR/"]["seconds"] / local,
        "local_over_pandas": local / results["pandas + numpy by hand"]["seconds"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10**7)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--dask", action="store_true", help="add --engine dask sides (a 2-worker LocalCluster)")
    args = parser.parse_args()
    results = measure(args.rows, args.rounds, args.dask)
    workers = results.pop("workers", None)
    print(table(args.rows, results))
    if workers:
        print(f"dask workers' peak RSS: {', '.join(f'{v:.0f}' for v in workers['peak_rss_mb'])} MB")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"rows": args.rows, "results": results, "workers": workers}, indent=2) + "\n"
        )


if __name__ == "__main__":
    main()
