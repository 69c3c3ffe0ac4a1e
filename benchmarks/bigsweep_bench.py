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
added to SIDES; `--engine dask` adds its own.
"""

from __future__ import annotations

import argparse
import json
import os
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
    import atexit, resource, sys
    atexit.register(lambda: print("peak-rss-kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr))
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

    want, got = pq.read_table(reference), pq.read_table(other)
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
                seconds, peak = run_side(side(points, out, work))
                best = results.setdefault(label, {"seconds": seconds, "peak_rss_mb": peak})
                best["seconds"] = min(best["seconds"], seconds)
                best["peak_rss_mb"] = max(best["peak_rss_mb"], peak)
        reference = outs[next(iter(sides))]
        for label, r in results.items():
            r["rows_per_second"] = rows / r["seconds"]
            r["same_rows_as_local"] = same_rows(reference, outs[label])
    return results


def table(rows: int, results: dict) -> str:
    lines = [f"{rows:,} rows Parquet -> Parquet ({PROGRAM}; value and 2 gradients)",
             f"{'side':<26} {'seconds':>8} {'rows/s':>12} {'peak RSS':>9}  same rows"]  # fmt: skip
    for label, r in results.items():
        lines.append(f"{label:<26} {r['seconds']:>8.2f} {r['rows_per_second']:>12,.0f} "
                     f"{r['peak_rss_mb']:>6.0f} MB  {'yes' if r['same_rows_as_local'] else 'NO'}")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10**7)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    results = bigsweep(args.rows, args.rounds)
    print(table(args.rows, results))
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": args.rows, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
