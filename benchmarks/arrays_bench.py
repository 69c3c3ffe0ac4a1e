# ruff: noqa: N803, N806 - W, X, Y as the math writes them
"""Arrays (issue 13): an MLP written with @ through the CLI against micrograd, and a 100x100
matrix-vector product with its gradient (and its Jacobian) through the CLI.

    python benchmarks/arrays_bench.py                # gradcli alone (micrograd figures skipped)
    /tmp/benchvenv/bin/python benchmarks/arrays_bench.py --rounds 7   # with micrograd installed

1. MLP 3-16-16-1 (relu hidden layers, linear output), mean squared error over 40 data points:
   - gradcli's CLI on the program written with matrices (`H1 = relu(X @ transpose(W1) + b1)`),
   - gradcli's CLI on the same network unrolled weight by weight (one statement a neuron),
   - micrograd's API building the same network (its nn.MLP arithmetic) and running backward,
     in process (no start-up) and as a fresh `python -c` process (with its start-up).
   Each CLI figure is the wall time of a fresh `gradcli eval -f P --format json > /dev/null`.
2. L = sum(tanh(W @ x)) for a 100x100 W: CLI wall time, nodes, bytes per node (tracemalloc of
   the graph built and differentiated in process); and y = W @ x, whose output is an array:
   the CLI reports its 100 x 10,100 Jacobian (one reverse sweep per output element).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

SIZES = (3, 16, 16, 1)


def network(points: int = 40, seed: int = 1) -> tuple[list, list, list]:
    """Weights per layer [(W rows, b)], data X, targets Y: the same numbers for every implementation."""
    rng = random.Random(seed)
    layers = []
    for nin, nout in zip(SIZES, SIZES[1:]):
        W = [[rng.uniform(-1, 1) for _ in range(nin)] for _ in range(nout)]
        b = [rng.uniform(-0.1, 0.1) for _ in range(nout)]
        layers.append((W, b))
    X = [[rng.uniform(-2, 2) for _ in range(SIZES[0])] for _ in range(points)]
    Y = [rng.choice((-1.0, 1.0)) for _ in range(points)]
    return layers, X, Y


def matrix_program(layers, X, Y) -> str:
    lines = []
    for k, (W, b) in enumerate(layers, 1):
        lines += [f"W{k} = {json.dumps(W)}", f"b{k} = {json.dumps(b)}"]
    lines += [f"X = {json.dumps(X)}", f"Y = {json.dumps(Y)}"]
    lines += [
        "H1 = relu(X @ transpose(W1) + b1)",
        "H2 = relu(H1 @ transpose(W2) + b2)",
        "out = (H2 @ transpose(W3) + b3)[:, 0]",
        "loss = mean((out - Y)**2)",
    ]
    return "\n".join(lines) + "\n"


def unrolled_program(layers, X, Y) -> str:
    """The same network, one statement a neuron and a point (micrograd's sum(w*x) + b)."""
    lines = []
    for k, (W, b) in enumerate(layers, 1):
        for i, row in enumerate(W):
            lines += [f"w{k}_{i}_{j} = {w!r}" for j, w in enumerate(row)] + [f"b{k}_{i} = {b[i]!r}"]
    terms = []
    for p, (xs, y) in enumerate(zip(X, Y)):
        act = [repr(v) for v in xs]
        for k, (W, _) in enumerate(layers, 1):
            last = k == len(layers)
            out = []
            for i in range(len(W)):
                s = " + ".join(f"w{k}_{i}_{j}*{a}" for j, a in enumerate(act)) + f" + b{k}_{i}"
                name = f"a{k}_{i}_{p}"
                lines.append(f"{name} = {s}" if last else f"{name} = relu({s})")
                out.append(name)
            act = out
        terms.append(f"({act[0]} - {y!r})**2")
    lines.append("loss = (" + " + ".join(terms) + f") / {len(X)}")
    return "\n".join(lines) + "\n"


def micrograd_build(Value, layers, X, Y):
    params = [[([Value(w) for w in row], Value(bi)) for row, bi in zip(W, b)] for W, b in layers]
    loss = Value(0.0)
    for xs, y in zip(X, Y):
        act = xs
        for depth, layer in enumerate(params):
            out = []
            for w, b in layer:
                s = sum((wi * xi for wi, xi in zip(w, act)), b)
                out.append(s if depth == len(params) - 1 else s.relu())
            act = out
        loss = loss + (act[0] - y) ** 2
    loss = loss * (1.0 / len(X))
    loss.backward()
    return loss, params


def gradcli_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("gradcli")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "gradcli"]


def wall(cmd: list[str], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"})
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def in_process(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def graph_memory(source: str) -> tuple[int, int]:
    """(nodes, bytes allocated for parse + build + backward that stay alive with the graph)."""
    from gradcli.build.standard import evaluate

    gc.collect()
    tracemalloc.start()
    graph = evaluate(source)
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return len(graph.nodes), size


def mlp_section(rounds: int, tmp: Path) -> None:
    layers, X, Y = network()
    matrix, unrolled = tmp / "mlp_matrix.grad", tmp / "mlp_unrolled.grad"
    matrix.write_text(matrix_program(layers, X, Y))
    unrolled.write_text(unrolled_program(layers, X, Y))
    from gradcli.build.standard import evaluate

    g_matrix, g_unrolled = evaluate(matrix.read_text()), evaluate(unrolled.read_text())
    print("1. MLP 3-16-16-1, relu, MSE over 40 points")
    print(f"   loss: matrix {g_matrix.output.data!r}, unrolled {g_unrolled.output.data!r}")
    print(f"   nodes: matrix program {len(g_matrix.nodes):,}, unrolled program {len(g_unrolled.nodes):,}")
    t_matrix = wall([*gradcli_cmd(), "eval", "-f", str(matrix), "--format", "json"], rounds)
    t_unrolled = wall([*gradcli_cmd(), "eval", "-f", str(unrolled), "--format", "json"], rounds)
    print(f"   gradcli CLI, written with @:   {t_matrix * 1e3:8.1f} ms")
    ratio = t_matrix / t_unrolled
    print(f"   gradcli CLI, unrolled:         {t_unrolled * 1e3:8.1f} ms   (@ / unrolled = {ratio:.2f})")
    try:
        from micrograd.engine import Value
    except ImportError:
        print("   micrograd: not installed (pip install micrograd in another venv); skipped")
        return
    loss, _ = micrograd_build(Value, layers, X, Y)
    print(f"   micrograd loss {loss.data!r} (|matrix - micrograd| = {abs(loss.data - g_matrix.output.data):.1e})")
    t_api = in_process(lambda: micrograd_build(Value, layers, X, Y), rounds)
    here = str(Path(__file__).parent)
    script = (
        f"import sys;sys.path.insert(0,{here!r});import arrays_bench as a;from micrograd.engine import Value;"
        "a.micrograd_build(Value,*a.network())"
    )
    t_proc = wall([sys.executable, "-c", script], rounds)
    print(f"   micrograd API, in process:     {t_api * 1e3:8.1f} ms   (CLI @ / micrograd = {t_matrix / t_api:.2f})")
    print(f"   micrograd, as a process:       {t_proc * 1e3:8.1f} ms   (CLI @ / micrograd = {t_matrix / t_proc:.2f})")


def matvec_section(rounds: int, tmp: Path, n: int = 100) -> None:
    rng = random.Random(2)
    W = [[rng.uniform(-1, 1) for _ in range(n)] for _ in range(n)]
    x = [rng.uniform(-1, 1) for _ in range(n)]
    head = f"W = {json.dumps(W)}\nx = {json.dumps(x)}\n"
    scalar, jac = tmp / "matvec.grad", tmp / "matvec_jacobian.grad"
    scalar.write_text(head + "L = sum(tanh(W @ x))\n")
    jac.write_text(head + "y = W @ x\n")
    nodes, size = graph_memory(scalar.read_text())
    print(f"\n2. {n}x{n} matrix-vector product ({len(scalar.read_text()) / 1e3:.0f} kB of program text)")
    print(f"   L = sum(tanh(W @ x)): {nodes:,} nodes, {size / nodes:.0f} bytes/node (graph + program, tracemalloc)")
    for fmt in ("json", "grads"):
        t = wall([*gradcli_cmd(), "eval", "-f", str(scalar), "--format", fmt], rounds)
        print(f"   gradcli CLI eval --format {fmt:5}: {t * 1e3:8.1f} ms")
    t = wall([*gradcli_cmd(), "eval", "-f", str(jac), "--format", "json"], rounds)
    print(f"   y = W @ x, its {n} x {n * n + n:,} Jacobian, CLI --format json: {t * 1e3:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs, medians of {args.rounds} runs\n")
    with tempfile.TemporaryDirectory() as tmp:
        mlp_section(args.rounds, Path(tmp))
        matvec_section(args.rounds, Path(tmp))


if __name__ == "__main__":
    main()
