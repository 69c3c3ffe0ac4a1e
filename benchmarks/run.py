"""gradcli's benchmark suite: gradcli against micrograd and PyTorch, measured in the same run.

    python benchmarks/run.py            # full run, a few minutes
    python benchmarks/run.py --quick    # smaller sizes, fewer rounds, ~30-60 s
    python benchmarks/run.py --only engine,startup --json results.json

micrograd and torch are optional: without them their rows are skipped with a note.  See
benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

SECTIONS = ("engine", "memory", "startup", "program", "check", "codegen", "optimize", "bigsweep")

# PyTorch warns once when numpy is missing; that is not a benchmark result
warnings.filterwarnings("ignore", message=".*NumPy.*")


def _version(module: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "gradcli": _version("gradcli"),
        "micrograd": _version("micrograd"),
        "torch": _version("torch"),
        "typer": _version("typer"),
        "lark": _version("lark"),
        "rich": _version("rich"),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def summary(results: dict[str, Any]) -> list[list[str]]:
    """The issue's targets next to the measured figures."""
    from common import fmt_ratio

    rows: list[list[str]] = []

    def add(what: str, target: str, value: float | None, ok: bool | None, shown: str | None = None) -> None:
        mark = "-" if ok is None else ("yes" if ok else "NO")
        rows.append([what, target, shown if shown is not None else fmt_ratio(value), mark])

    for label, r in results.get("engine", {}).items():
        for ref, goal in (("micrograd", 4.0), ("torch", 5.0)):
            v = r.get("ratio_total_vs_gradcli", {}).get(ref)
            if v is not None:
                off = r.get("ratio_total_vs_gradcli_collector_off", {}).get(ref)
                shown = f"{fmt_ratio(v)} (gc off {fmt_ratio(off)})"
                add(f"engine, {label}: {ref} / gradcli", f">= {goal:g}x", v, v >= goal, shown)
    mem = results.get("memory", {}).get("gradcli", {}).get("bytes_per_node")
    if mem is not None:
        add("bytes per node (gradcli, heap)", "<= 200", None, mem <= 200, f"{mem:.0f}")
    st = results.get("startup", {})
    key = next((k for k in st.get("ratio_to_bare", {}) if "--format json" in k), None)
    if key:
        v = st["ratio_to_bare"][key]
        add("eval one-liner --format json / bare python", "<= 6x", v, v <= 6)
        c = st.get("ratio_to_bare_bytecode_cached", {}).get(key)
        if c is not None:
            add("  same, bytecode cached", "<= 6x", c, c <= 6)
    for k, v in st.get("ratio_to_bare", {}).items():
        if "--help" in k or "pretty" in k:
            add(f"{' '.join(k.split())} / bare python", "near the above", v, None)
    prog = results.get("program", {})
    large = prog.get("large_program", {})
    v = large.get("ratio_micrograd_vs_cli")
    if v is not None:
        add(f"{large['statements']:,}-statement file: micrograd API / CLI", ">= 1x", v, v >= 1.0)
    lin = prog.get("linearity", {}).get("per_node_vs_1e4", {})
    for key, label in (("cli_minus_start", "CLI - start"), ("in_process", "in-process")):
        g = lin.get(key)
        if g:
            big = max(g, key=int)
            add(
                f"time per node, 10^{len(str(big)) - 1} vs 10^4 ({label})",
                "flat (<= 1.3)",
                g[big],
                g[big] <= 1.3,
            )
    chk = results.get("check", {})
    if "forward_passes_per_input" in chk:
        add(
            "check: cost per input",
            "(figure)",
            None,
            None,
            f"{chk['per_input'] * 1e3:.1f} ms = {chk['forward_passes_per_input']:.0f} forward passes",
        )
    rows += results.get("codegen", {}).get("targets", [])  # issue 21's, as codegen_bench.targets writes them
    big = results.get("bigsweep")
    if big:
        n = f"10^{len(str(big['rows'])) - 1}"
        v = big["dask_file_over_local"]
        add(f"{n} rows Parquet: dask 2 workers -> FILE / local", "<= 1.3x", v, v <= 1.3)
        v = big["dask_dir_over_local"]
        add(f"{n} rows Parquet: dask 2 workers -> DIR/ / local", "<= 1.3x", v, v <= 1.3)
        v = big["local_over_pandas"]
        add(f"{n} rows Parquet: local / pandas script", "< 1x", v, v < 1.0)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes and fewer rounds (~30-60 s)")
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections: {', '.join(SECTIONS)}")
    ap.add_argument("--json", metavar="PATH", help="also write every figure to this JSON file")
    args = ap.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in only if s not in SECTIONS]
    if unknown:
        ap.error(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")

    import common
    import impls

    env = environment()
    print(f"gradcli benchmarks ({'quick' if args.quick else 'full'} run)")
    print(f"  python {env['python']} ({env['executable']}), {env['platform']}, {env['cpus']} CPUs")
    versions = ", ".join(f"{k} {env[k] or 'not installed'}" for k in ("gradcli", "micrograd", "torch", "typer", "lark"))
    print(f"  {versions}")
    if env["load_average"]:
        print(f"  load average at start: {env['load_average'][0]:.2f} (other work on the machine skews timings)")

    started = time.perf_counter()
    results: dict[str, Any] = {"environment": env, "quick": args.quick}
    available, skipped = impls.available()
    # torch's import leaves ~150k objects in the heap; every full pass of the cyclic garbage
    # collector would scan them, slowing whichever implementation happens to allocate (3x on
    # gradcli's backward, measured).  Frozen objects are never scanned: the heap each run sees
    # is then the same as in a process that imported only that implementation.
    gc.collect()
    gc.freeze()
    if "engine" in only:
        import engine_bench

        results["engine"] = engine_bench.run(available, skipped, args.quick)
    if "memory" in only:
        import memory_bench

        names = [i.name for i in available]
        results["memory"] = memory_bench.run(names, skipped, args.quick)
    if "startup" in only:
        import startup_bench

        results["startup"] = startup_bench.run(args.quick)
    if "program" in only:
        import program_bench

        results["program"] = program_bench.run(available, skipped, args.quick)
    if "check" in only:
        import check_bench

        results["check"] = check_bench.run(args.quick)
    if "codegen" in only:
        import codegen_bench

        results["codegen"] = codegen_bench.run(args.quick)  # prints issue 21's targets at its end
    if "optimize" in only:
        import optimize_bench

        results["optimize"] = optimize_bench.run(args.quick)
    if "bigsweep" in only:
        import bigsweep_bench

        results["bigsweep"] = bigsweep_bench.run(args.quick)  # issue 24: local vs --engine dask vs pandas

    common.heading("Summary: the targets of issue 5 (of issue 21 for codegen, of issue 24 for bigsweep)")
    rows = summary(results)
    if rows:
        common.table(["figure", "target", "measured", "met"], rows, align="llrl")
    elapsed = time.perf_counter() - started
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n  {elapsed:.0f} s in all; load average at the end: {load:.2f}")
    results["elapsed"] = elapsed
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
        print(f"  figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
