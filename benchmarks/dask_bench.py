"""--engine dask vs local (issue 24): a 10^7-row sweep to Parquet and Monte Carlo 10^8 draws,
on one machine with 2 dask worker processes (a LocalCluster started here, reached with
--scheduler).  Prints seconds, rows (draws) per second and peak RSS per process (the gradcli
client's, each worker's).  Run: python benchmarks/dask_bench.py [ROWS] [DRAWS]"""

import os
import resource
import subprocess
import sys
import tempfile
import time

PROGRAM = "y = sin(x) * exp(-w*x) + log(1 + x*x)"


def run(args):
    """gradcli ARGS in a child process: (seconds, the child's peak RSS in MB)."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "gradcli", *args], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0, args
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def _worker_peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(rows: int = 10**7, draws: int = 10**8) -> None:
    import distributed

    side = int(round(rows**0.5))
    sweep = ["sweep", PROGRAM, f"x=0:3:{side}", f"w=0:1:{rows // side}"]
    mc = ["eval", "y = 4*pi**2*L/T**2", "L=1±0.002", "T=2.007±0.003", "--mc", str(draws), "--format", "json"]
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "rows.parquet")
        for name, args in (("sweep local", [*sweep, "--out", out]), ("sweep dask", [*sweep, "--out", out]),
                           ("mc local", mc), ("mc dask", mc)):  # fmt: skip
            n = rows if name.startswith("sweep") else draws
            if "local" in name:
                seconds, rss = run(args)
                print(f"{name:12s} {seconds:7.2f} s  {n / seconds:12,.0f} /s  peak RSS {rss:.0f} MB", flush=True)
                continue
            with (
                distributed.LocalCluster(
                    n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
                ) as cluster,
                distributed.Client(cluster) as client,
            ):  # noqa: E501 fmt: skip
                seconds, rss = run([*args, "--engine", "dask", "--scheduler", cluster.scheduler_address])
                workers = ", ".join(f"{v:.0f}" for v in client.run(_worker_peak).values())
            print(f"{name:12s} {seconds:7.2f} s  {n / seconds:12,.0f} /s  peak RSS client {rss:.0f} MB, "
                  f"workers {workers} MB", flush=True)  # fmt: skip


if __name__ == "__main__":
    main(*(int(float(a)) for a in sys.argv[1:3]))
