"""gradcli sweep against a hand-written NumPy script (np.savetxt), and its memory at 10^7 points.

    python benchmarks/sweep_bench.py                 # 10^6 points vs NumPy, RSS at 10^7 points
    python benchmarks/sweep_bench.py --points 100000 --big 1000000   # quicker

Both sides run as fresh processes writing the same columns (3 inputs, the output, 3
gradients) for the same grid to a CSV file; the figure is wall time, best of --rounds,
alternated.  Memory is the peak resident set (ru_maxrss) of a process that streams the big
sweep to /dev/null, read in a wrapper process so nothing else is counted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import best as _best  # noqa: E402

PROGRAM = "y = a*sin(b) + exp(-c*c)*b + log(1 + a*a)*c"

# The CLI (sweep is one of its commands).
LAUNCH = "from gradcli.cli.app import main; main()"

NUMPY_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    n = int(sys.argv[1]); out = sys.argv[2]
    a, b, c = (x.ravel() for x in np.meshgrid(
        np.linspace(0, 1, n), np.linspace(-1, 1, n), np.linspace(1, 2, n), indexing="ij"))
    e = np.exp(-c * c)
    y = a * np.sin(b) + e * b + np.log1p(a * a) * c
    dya = np.sin(b) + 2 * a / (1 + a * a) * c
    dyb = a * np.cos(b) + e
    dyc = -2 * c * e * b + np.log1p(a * a)
    np.savetxt(out, np.column_stack([a, b, c, y, dya, dyb, dyc]), fmt="%.17g", delimiter=",",
               header="a,b,c,y,dy/da,dy/db,dy/dc", comments="")
    """
)


def side(n: int) -> int:
    """Grid side for about n points (a cube)."""
    return max(2, round(n ** (1 / 3)))


def sweep_args(k: int) -> list[str]:
    return [sys.executable, "-c", LAUNCH, "sweep", PROGRAM, f"a=0:1:{k}", f"b=-1:1:{k}", f"c=1:2:{k}"]


def timed(cmd: list[str], out_path: str | None) -> float:
    start = time.perf_counter()
    if out_path is None:
        subprocess.run(cmd, check=True)
    else:
        with open(out_path, "w") as out:
            subprocess.run(cmd, stdout=out, check=True)
    return time.perf_counter() - start


def versus_numpy(points: int, rounds: int) -> None:
    k = side(points)
    with tempfile.TemporaryDirectory() as tmp:
        ours, theirs = os.path.join(tmp, "sweep.csv"), os.path.join(tmp, "numpy.csv")
        script = os.path.join(tmp, "by_hand.py")
        with open(script, "w") as f:
            f.write(NUMPY_SCRIPT)
        t_ours, t_numpy = [], []
        for _ in range(rounds):
            t_ours.append(timed(sweep_args(k), ours))
            t_numpy.append(timed([sys.executable, script, str(k), theirs], None))
        rows = sum(1 for _ in open(ours)) - 1
        size_ours, size_numpy = os.path.getsize(ours), os.path.getsize(theirs)
    best_ours, best_numpy = min(t_ours), min(t_numpy)
    print(f"{rows:,} points ({k}^3), 3 inputs, every gradient, to CSV (best of {rounds}, wall time, fresh processes)")
    print(f"  gradcli sweep           {best_ours:7.2f} s   {size_ours / 1e6:6.1f} MB (shortest round-trip text)")
    print(f"  NumPy + np.savetxt      {best_numpy:7.2f} s   {size_numpy / 1e6:6.1f} MB (%.17g)")
    print(f"  ratio (NumPy / gradcli) {best_numpy / best_ours:7.2f}x  (target: >= 2x)")


def peak_memory(points: int) -> None:
    k = side(points)
    wrapper = textwrap.dedent(
        f"""
        import resource, subprocess, sys, time
        start = time.perf_counter()
        with open("/dev/null", "w") as null:
            subprocess.run({sweep_args(k)!r}, stdout=null, check=True)
        took = time.perf_counter() - start
        print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, took)
        """
    )
    out = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, check=True).stdout.split()
    kib, took = int(out[0]), float(out[1])
    print(f"{k**3:,} points streamed to /dev/null: peak RSS {kib / 1024:.0f} MB in {took:.1f} s (target: < 400 MB)")


def compute_only(points: int, rounds: int) -> None:
    """In-process compute only (no text): gradcli's array interpreter against JAX vmap(grad)
    (jitted, float64) and a PyTorch batched backward, on the same formula and points.  All
    three use every core; rounds alternate between them and each keeps its best."""
    import numpy as np

    from gradcli.analysis.batch import ArrayGraph
    from gradcli.build.standard import build
    from gradcli.lang.parser import parse

    rng = np.random.default_rng(0)
    a, b, c = rng.uniform(0, 1, points), rng.uniform(-1, 1, points), rng.uniform(1, 2, points)
    compiled = ArrayGraph(build(parse(PROGRAM), {"a": 0.5, "b": 0.5, "c": 1.5}, allow_nonfinite=True))
    runs = {"gradcli": lambda: compiled.run([a, b, c], points)}  # eval's failure checks on
    try:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)

        def f(a, b, c):
            return a * jnp.sin(b) + jnp.exp(-c * c) * b + jnp.log(1 + a * a) * c

        both = jax.jit(jax.vmap(jax.value_and_grad(f, argnums=(0, 1, 2))))
        ja, jb, jc = (jnp.asarray(x) for x in (a, b, c))
        jax.block_until_ready(both(ja, jb, jc))  # compile outside the timing
        runs["jax"] = lambda: jax.block_until_ready(both(ja, jb, jc))
    except ImportError:
        print("  JAX: not installed")
    try:
        import torch

        def torch_run():
            ta, tb, tc = (torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (a, b, c))
            y = ta * torch.sin(tb) + torch.exp(-tc * tc) * tb + torch.log(1 + ta * ta) * tc
            y.sum().backward()
            return y, ta.grad, tb.grad, tc.grad

        runs["torch"] = torch_run
    except ImportError:
        print("  PyTorch: not installed")
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, fn in runs.items():
            times[name].append(_best(fn, 1))
    t = {name: min(ts) for name, ts in times.items()}
    ours = t["gradcli"]
    print(f"{points:,} points, value and 3 gradients, in process (best of {rounds}, alternated):")
    print(f"  gradcli array interpreter      {ours * 1e3:8.1f} ms")
    if "jax" in t:
        jax_ms, ratio = t["jax"] * 1e3, ours / t["jax"]
        print(f"  JAX jit(vmap(value_and_grad))  {jax_ms:8.1f} ms   gradcli / JAX = {ratio:5.2f}x (target <= 2x)")
    if "torch" in t:
        torch_ms, ratio = t["torch"] * 1e3, ours / t["torch"]
        print(f"  PyTorch batched backward       {torch_ms:8.1f} ms   gradcli / torch = {ratio:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=1_000_000, help="points for the CSV figure (0: skip)")
    parser.add_argument("--big", type=int, default=10_000_000, help="points for the memory figure (0: skip)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compute", type=int, default=1_000_000, help="points for the in-process figure (0: skip)")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f} (timings on a shared machine are noisy)")
    if args.compute:
        compute_only(args.compute, args.rounds)
    if args.points:
        versus_numpy(args.points, args.rounds)
    if args.big:
        peak_memory(args.big)


if __name__ == "__main__":
    main()
