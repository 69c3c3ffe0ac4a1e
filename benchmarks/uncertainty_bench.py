"""Uncertainty propagation: Monte Carlo against a hand-written NumPy script, and the cost of
first- and second-order propagation for 10 and 50 inputs.

    python benchmarks/uncertainty_bench.py               # --mc 1000000, best of 5
    python benchmarks/uncertainty_bench.py --samples 200000 --rounds 3

Monte Carlo, two figures:
  - processes: `gradcli eval ... --mc N --format json` against a fresh `python script.py` that
    samples the same inputs, evaluates the formula, and takes mean, standard deviation and the
    two percentiles (both pay interpreter and numpy start-up; gradcli also builds its graph and
    prints the node table);
  - in process: gradcli.analysis.monte_carlo.monte_carlo + summarize against the script's function.
Orders: time of the first-order budget (eval's gradient, already computed: the budget itself),
of one float gradient, and of second_order_variance, for a chain of n inputs.
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

from common import best  # noqa: E402

PROGRAM = "g = 4*pi**2*L/T**2"
BINDINGS = ["L=1.0000±rect(0.0005)", "T=2.0066±0.0012"]

NUMPY_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np

    def mc(n, seed=0):
        rng = np.random.default_rng(seed)
        L = rng.uniform(1.0 - 0.0005, 1.0 + 0.0005, n)
        T = 2.0066 + 0.0012 * rng.standard_normal(n)
        g = 4 * np.pi**2 * L / T**2
        lo, hi = np.quantile(g, [0.025, 0.975])
        return {"mean": float(g.mean()), "standard": float(g.std(ddof=1)), "interval": [float(lo), float(hi)]}

    if __name__ == "__main__":
        print(json.dumps(mc(int(sys.argv[1]))))
    """
)


def processes(n: int, rounds: int) -> tuple[float, float]:
    script = "/tmp/gradcli_mc_numpy.py"
    with open(script, "w") as f:
        f.write(NUMPY_SCRIPT)
    ours = [sys.executable, "-m", "gradcli", "eval", PROGRAM, *BINDINGS, "--mc", str(n), "--format", "json"]
    theirs = [sys.executable, script, str(n)]
    # Bytecode cached, as in an installed package (PYTHONDONTWRITEBYTECODE=1 would make every
    # gradcli process recompile its ~40 modules, ~0.3 s, and measure the compiler instead).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="gradcli-pycache-")
    for cmd in (ours, theirs):  # warm-up: writes the bytecode
        subprocess.run(cmd, check=True, capture_output=True, env=env)
    t_ours, t_theirs = [], []
    for _ in range(rounds):  # alternated, so drift hits both alike
        for cmd, out in ((ours, t_ours), (theirs, t_theirs)):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env=env)
            out.append(time.perf_counter() - t0)
    return min(t_ours), min(t_theirs)


def in_process(n: int, rounds: int) -> tuple[float, float]:
    from gradcli.analysis.monte_carlo import monte_carlo, summarize
    from gradcli.build.bindings import parse_bindings
    from gradcli.build.standard import evaluate

    namespace: dict = {}
    exec(NUMPY_SCRIPT, namespace)
    graph = evaluate(PROGRAM, parse_bindings(BINDINGS))

    def ours():
        y, seed = monte_carlo(graph, graph.uncertainties, {}, n, 0)
        return summarize(y, seed)

    return best(ours, rounds), best(lambda: namespace["mc"](n), rounds)


def chain(n: int) -> tuple[str, list[str]]:
    """A smooth program of n inputs in which every pair interacts a little."""
    terms = [f"sin(x{i})*x{(i + 1) % n}" for i in range(n)]
    body = " + ".join(terms) + " + exp(0.1*(" + " + ".join(f"x{i}" for i in range(n)) + "))"
    return f"y = {body}", [f"x{i}={0.1 * (i % 7) + 0.3!r}±0.05" for i in range(n)]


def orders(n: int, rounds: int) -> tuple[float, float, float]:
    from gradcli.analysis.uncertainty import first_order, second_order_variance
    from gradcli.build.bindings import parse_bindings
    from gradcli.build.standard import evaluate

    program, bindings = chain(n)
    graph = evaluate(program, parse_bindings(bindings))
    specs = graph.uncertainties
    t_grad = best(lambda: graph.backward(), rounds)
    t_first = best(lambda: first_order(graph, specs, {}, 1.0), rounds)
    t_second = best(lambda: second_order_variance(graph, specs), rounds)
    from gradcli.analysis.hessian import hessian

    t_hessian = best(lambda: hessian(graph), rounds)
    return t_grad, t_first, t_second, t_hessian


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n = args.samples
    ours, theirs = processes(n, args.rounds)
    print(f"Monte Carlo, {n:,} samples, {PROGRAM}, best of {args.rounds}")
    print(f"  processes:  gradcli eval --mc {ours:.3f} s   numpy script {theirs:.3f} s   ratio {ours / theirs:.2f}x")
    ours, theirs = in_process(n, args.rounds)
    print(f"  in process: gradcli {ours * 1e3:.1f} ms   numpy {theirs * 1e3:.1f} ms   ratio {ours / theirs:.2f}x")
    print("Orders (in process): one float gradient, the first-order budget, the second-order terms, the Hessian")
    for k in (10, 50):
        t_grad, t_first, t_second, t_hessian = orders(k, args.rounds)
        print(
            f"  {k:>3} inputs: gradient {t_grad * 1e3:.2f} ms, first-order budget {t_first * 1e3:.3f} ms, "
            f"second order {t_second * 1e3:.1f} ms = {t_second / t_hessian:.2f} x gradcli's Hessian "
            f"({t_hessian * 1e3:.1f} ms)"
        )


if __name__ == "__main__":
    main()
