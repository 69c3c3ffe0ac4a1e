"""Where gradcli's time goes: profiles to read next to the benchmark figures (not a benchmark).

    python benchmarks/profiling.py engine    # cProfile: the chain and MLP graphs, build and backward
    python benchmarks/profiling.py program   # cProfile: a 50k-statement program, stage by stage
    python benchmarks/profiling.py startup   # python -X importtime of the json one-liner
    python benchmarks/profiling.py all

cProfile adds a fixed cost to every Python call, so it over-weights small functions: read the
rankings, and take the times from run.py.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import graphs  # noqa: E402
import programs  # noqa: E402
from common import PYTHON, gradcli_command, quiet_env  # noqa: E402


def _top(profile: cProfile.Profile, n: int, sort: str = "tottime") -> str:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.strip_dirs().sort_stats(sort).print_stats(n)
    text = out.getvalue()
    return text[text.index("   ncalls") :] if "   ncalls" in text else text


def _profiled(label: str, fn, n: int):
    """Run fn() under cProfile, print its ranking, return its result."""
    gc.collect()
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    result = fn()
    prof.disable()
    print(f"-- {label}: {time.perf_counter() - t:.3f} s under the profiler --")
    print(_top(prof, n))
    return result


def engine(steps: int, n: int) -> None:
    from gradcli import Value

    print(f"== engine: chain, {steps:,} steps, gradcli's Value ==")
    out, _ = _profiled("forward (build)", lambda: graphs.chain(Value, steps), n)
    _profiled("backward", out.backward, n)
    del out
    print("== engine: MLP 3-16-16-1 over 40 points, gradcli's Value ==")
    out, _ = _profiled("forward (build)", lambda: graphs.mlp(Value, 40), n)
    _profiled("backward", out.backward, n)


def program(statements: int, n: int) -> None:
    from gradcli.build.standard import build
    from gradcli.lang.parser import parse
    from gradcli.render.export import to_json

    print(f"== program: {statements:,} statements, in-process, collector off as in the CLI ==")
    text = programs.generate(statements).text
    gc.collect()
    gc.disable()
    try:
        prog = _profiled("parse (lex + LALR + Program nodes)", lambda: parse(text), n)
        graph = _profiled("build", lambda: build(prog), n)
        _profiled("backward", graph.backward, n)
        _profiled("json", lambda: to_json(graph), n)
    finally:
        gc.enable()


def startup(n: int) -> None:
    g = gradcli_command()
    head = [PYTHON, "-X", "importtime"] + (g[1:] if g[0] == PYTHON else [g[0]])
    argv = head + ["eval", "y = x*x", "x=3", "--format", "json"]
    print("== start-up: python -X importtime gradcli eval 'y = x*x' x=3 --format json ==")
    with tempfile.TemporaryDirectory() as prefix:
        env = quiet_env()
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = prefix  # bytecode cached, as for an installed gradcli
        subprocess.run(argv, capture_output=True, env=env)  # fills the cache
        proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if line.startswith("import time:") and len(parts) == 3 and "cumulative" not in line:
            self_us = int(parts[0].split(":")[1])
            depth = (len(parts[2]) - len(parts[2].lstrip(" ")) - 1) // 2
            rows.append((parts[2].strip(), self_us, int(parts[1]), depth))
    total = sum(r[1] for r in rows)
    print(f"all imports: {total / 1e3:.1f} ms (self times summed)")
    print("top level (cumulative):")
    for name, _, cum, _ in sorted((r for r in rows if r[3] == 0), key=lambda r: -r[2])[:n]:
        print(f"  {cum / 1e3:8.1f} ms  {name}")
    print("heaviest modules (self time):")
    for name, self_us, _, _ in sorted(rows, key=lambda r: -r[1])[:n]:
        print(f"  {self_us / 1e3:8.1f} ms  {name}")
    by_package: dict[str, int] = {}
    for name, self_us, _, _ in rows:
        by_package[name.split(".")[0]] = by_package.get(name.split(".")[0], 0) + self_us
    print("by top-level package (self times summed):")
    for name, us in sorted(by_package.items(), key=lambda kv: -kv[1])[:n]:
        print(f"  {us / 1e3:8.1f} ms  {name}")


def main() -> int:
    ap = argparse.ArgumentParser(description="profiles of gradcli's engine, pipeline and start-up")
    ap.add_argument("what", choices=("engine", "program", "startup", "all"))
    ap.add_argument("--steps", type=int, default=100_000, help="chain steps for `engine`")
    ap.add_argument("--statements", type=int, default=50_000, help="program size for `program`")
    ap.add_argument("--top", type=int, default=15, help="rows per listing")
    args = ap.parse_args()
    if args.what in ("engine", "all"):
        engine(args.steps, args.top)
    if args.what in ("program", "all"):
        program(args.statements, args.top)
    if args.what in ("startup", "all"):
        startup(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
