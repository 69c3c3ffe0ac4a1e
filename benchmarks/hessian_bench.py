"""Hessians: `gradcli hessian` against `gradcli eval` of the same program through the CLI, and
gradcli's in-process Hessian against torch.autograd.functional.hessian and jax.hessian
(un-jitted), on the unrolled n-dimensional Rosenbrock function, as ratios in one run.

    python benchmarks/hessian_bench.py [--sizes 10,30,100] [--rounds 5]

torch and jax are optional: their columns say "n/a" when they are not installed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import best, gradcli_command, median, run_once  # noqa: E402


def rosenbrock(n: int) -> str:
    """f = sum (1 - x_i)^2 + 100 (x_{i+1} - x_i^2)^2, unrolled, at x_i = 1.2 - 0.1 i (about 10 nodes a term)."""
    lines = [f"x{i} = {1.2 - 0.1 * (i % 7)}" for i in range(n)]
    terms = [f"(1 - x{i})**2 + 100*(x{i + 1} - x{i}**2)**2" for i in range(n - 1)]
    lines += [f"t{i} = {term}" for i, term in enumerate(terms)]
    lines.append("f = " + " + ".join(f"t{i}" for i in range(n - 1)))
    return "\n".join(lines) + "\n"


def cli(n: int, rounds: int) -> tuple[float, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".grad", delete=False) as f:
        f.write(rosenbrock(n))
    cmd = gradcli_command()
    ev = median([run_once([*cmd, "eval", "-f", f.name, "--format", "json"])[0] for _ in range(rounds)])
    he = median([run_once([*cmd, "hessian", "-f", f.name, "--format", "json"])[0] for _ in range(rounds)])
    return ev, he


def ours(n: int, rounds: int) -> float:
    from gradcli.analysis.hessian import hessian
    from gradcli.build.standard import evaluate

    source = rosenbrock(n)
    return best(lambda: hessian(evaluate(source)), rounds)


def point(n: int) -> list[float]:
    return [1.2 - 0.1 * (i % 7) for i in range(n)]


def torch_time(n: int, rounds: int) -> float | None:
    try:
        import torch
    except ImportError:
        return None

    def f(x):
        return sum((1 - x[i]) ** 2 + 100 * (x[i + 1] - x[i] ** 2) ** 2 for i in range(n - 1))

    x = torch.tensor(point(n), dtype=torch.float64)
    return best(lambda: torch.autograd.functional.hessian(f, x), rounds)


def jax_time(n: int, rounds: int) -> float | None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def f(x):
        return sum((1 - x[i]) ** 2 + 100 * (x[i + 1] - x[i] ** 2) ** 2 for i in range(n - 1))

    x = jnp.array(point(n))
    hess = jax.hessian(f)
    return best(lambda: hess(x).block_until_ready(), rounds)


def show(x: float | None, unit: float = 1e3, fmt: str = "{:8.1f} ms") -> str:
    return "     n/a" if x is None else fmt.format(x * unit)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,30,100")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print("Through the CLI (median wall time, start-up included): hessian / eval of the same program")
    for n in sizes:
        ev, he = cli(n, args.rounds)
        print(f"  n = {n:3d}:  eval {ev * 1e3:7.1f} ms   hessian {he * 1e3:7.1f} ms   ratio {he / ev:4.2f}x")
    print("In process (best of rounds): gradcli's Hessian vs torch.autograd.functional.hessian and jax.hessian")
    for n in sizes:
        g, t, j = ours(n, args.rounds), torch_time(n, args.rounds), jax_time(n, args.rounds)
        rt = f"{t / g:5.1f}x" if t else "  n/a"
        rj = f"{j / g:5.1f}x" if j else "  n/a"
        print(f"  n = {n:3d}:  gradcli {show(g)}  torch {show(t)} ({rt})  jax {show(j)} ({rj})")


if __name__ == "__main__":
    main()
