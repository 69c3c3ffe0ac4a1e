"""User functions: 10,000 calls of a 10-node function, built and differentiated, against the same
graph written out inline (no function), per node.  Also f'(x) over 10,000 calls.

    python benchmarks/functions_bench.py [--calls N] [--repeat R]

Both programs make the same nodes (the call's are labelled `f#k.x*y`); the call side replays
the body's template (built once), the inline side runs the interpreter's usual loop.  Parsing is
timed separately: a call is a few tokens, the inlined body many.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradcli.build.standard import build  # noqa: E402
from gradcli.core.engine import paused_gc  # noqa: E402
from gradcli.lang.parser import parse  # noqa: E402


def body(x: str, y: str) -> str:
    return f"tanh({x}*{y} + 0.5) * exp(-{x}) + {y}/2"  # 10 nodes a call (constants included)


def programs(calls: int) -> tuple[str, str]:
    called = [f"f(x, y) = {body('x', 'y')}", "s0 = a"]
    inline = ["s0 = a"]
    for i in range(1, calls + 1):
        called.append(f"s{i} = f(s{i - 1}, b)")
        inline.append(f"s{i} = " + body(f"s{i - 1}", "b"))
    return "\n".join(called), "\n".join(inline)


def derivative_program(calls: int) -> str:
    lines = ["g(x) = tanh(x)*exp(-x*x) + x", "s0 = a"]
    lines += [f"s{i} = g'(s{i - 1}) * 0.5" for i in range(1, calls + 1)]
    return "\n".join(lines)


def run(source: str, point: dict, repeat: int) -> dict:
    program = parse(source)
    parse_times, build_times, backward_times = [], [], []
    for _ in range(repeat):
        with paused_gc():
            t0 = time.perf_counter()
            program = parse(source)
            t1 = time.perf_counter()
            graph = build(program, point)
            t2 = time.perf_counter()
            graph.backward()
            t3 = time.perf_counter()
        parse_times.append(t1 - t0)
        build_times.append(t2 - t1)
        backward_times.append(t3 - t2)
    return {
        "nodes": len(graph.nodes),
        "parse": statistics.median(parse_times),
        "build": statistics.median(build_times),
        "backward": statistics.median(backward_times),
        "value": graph.output.data,
        "grads": graph.gradients(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    called, inline = programs(args.calls)
    point = {"a": 0.3, "b": 0.7}
    rows = [("calls of f", run(called, point, args.repeat)), ("inlined", run(inline, point, args.repeat)),
            ("calls of g'", run(derivative_program(args.calls), point, args.repeat))]  # fmt: skip
    same = rows[0][1]["grads"] == rows[1][1]["grads"] and rows[0][1]["value"] == rows[1][1]["value"]
    print(f"{args.calls:,} calls; same value and gradients, calls vs inline: {same}")
    print(f"{'program':<12} {'nodes':>8} {'parse us/node':>14} {'build us/node':>14} {'backward us/node':>17}")
    for name, r in rows:
        n = r["nodes"]
        print(f"{name:<12} {n:>8,} {1e6 * r['parse'] / n:>14.2f} {1e6 * r['build'] / n:>14.2f} "
              f"{1e6 * r['backward'] / n:>17.2f}")  # fmt: skip
    c, i = rows[0][1], rows[1][1]
    per_node = [(r["build"] + r["backward"]) / r["nodes"] for r in (c, i)]
    print(f"build + backward per node, calls / inline: {per_node[0] / per_node[1]:.2f}x")


if __name__ == "__main__":
    main()
