"""2. Memory per node: the `chain` graph built in a fresh interpreter for each implementation.

Two measurements, each in its own subprocess so that nothing else is in the heap:
- tracemalloc: Python-heap bytes still allocated after the graph is built (and the peak during
  `backward`), divided by the number of nodes.  Sees every Python object; blind to PyTorch's C++
  allocations, so it is not reported for torch.
- RSS: growth of the process's resident set while the graph is built (malloc overhead and arenas
  included, so a little above tracemalloc's figure); the only figure that sees PyTorch's memory.

"nodes" is each implementation's own count for the same graph code (micrograd makes more nodes:
a - b is a + (b * -1); PyTorch makes none for constants), so "bytes per step" (per step of the
chain) compares the whole graph, and "bytes per node" what one node of each engine costs.

Run as a script it is the worker: `python memory_bench.py IMPL MODE STEPS` prints one JSON line.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _status_kb(field: str) -> int | None:
    """A field of /proc/self/status in bytes (VmRSS, VmHWM), None where there is no /proc."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _rss_bytes() -> int:
    rss = _status_kb("VmRSS")
    if rss is not None:
        return rss
    import resource  # not Linux: peak RSS is the best there is

    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def worker(impl_name: str, mode: str, steps: int) -> dict[str, Any]:
    import warnings

    warnings.filterwarnings("ignore", message=".*NumPy.*")
    import graphs
    import impls
    from common import in_big_stack_thread

    impl = impls.FACTORIES[impl_name]()
    warm, _ = graphs.chain(impl.leaf, 10)  # first-use costs (torch's dispatcher) outside the figure
    impl.backward(warm)
    del warm
    gc.collect()
    out: dict[str, Any] = {"impl": impl_name, "mode": mode, "steps": steps}
    if mode == "tracemalloc":
        import tracemalloc

        # (backward is not traced: tracemalloc walks the whole stack on every allocation, which
        # makes micrograd's recursive backward quadratic)
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        root, leaves = graphs.chain(impl.leaf, steps)
        out["built"] = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
    else:
        before = _rss_bytes()
        root, leaves = graphs.chain(impl.leaf, steps)
        built = _rss_bytes()
        out["built"] = built - before
        hwm = _status_kb("VmHWM")
        in_big_stack_thread(lambda: impl.backward(root))
        new_hwm = _status_kb("VmHWM")
        # extra resident memory at the peak of backward, over what the built graph holds
        out["backward_peak"] = None if hwm is None else max(new_hwm - max(hwm, built), 0)
    out["nodes"] = impl.count_nodes(root)
    return out


def measure(impl_name: str, mode: str, steps: int) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(HERE / "memory_bench.py"), impl_name, mode, str(steps)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "worker failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(names: list[str], skipped: dict[str, str], quick: bool) -> dict[str, Any]:
    from common import fmt_num, heading, note, table

    steps = 10_000 if quick else 100_000
    heading(f"2. Memory: the chain graph, {steps:,} steps, built in a fresh interpreter per implementation")
    for why in skipped.values():
        note(f"skipped: {why}")
    results: dict[str, Any] = {}
    rows = []
    for name in names:
        try:
            rss = measure(name, "rss", steps)
            tm = measure(name, "tracemalloc", steps) if name != "torch" else None
        except Exception as exc:  # noqa: BLE001 - report and go on
            note(f"{name}: memory worker failed: {exc}")
            continue
        n = rss["nodes"]
        results[name] = {"rss": rss, "tracemalloc": tm}
        rows.append(
            [
                name,
                fmt_num(n),
                fmt_num(tm["built"] / n) if tm else "n/a",
                fmt_num(rss["built"] / n),
                fmt_num(rss["backward_peak"] / n) if rss.get("backward_peak") is not None else "-",
                fmt_num((tm or rss)["built"] / steps),
                fmt_num((tm or rss)["built"] / 2**20, 1),
            ]
        )
        results[name]["bytes_per_node"] = (tm or rss)["built"] / n
    table(
        [
            "impl",
            "nodes",
            "bytes/node (heap)",
            "bytes/node (RSS)",
            "backward peak/node (RSS)",
            "bytes/step",
            "graph MiB",
        ],
        rows,
    )
    g = results.get("gradcli")
    m = results.get("micrograd")
    if g and m:
        r = m["tracemalloc"]["built"] / g["tracemalloc"]["built"]
        print(f"  micrograd's graph takes {r:.2f}x the memory of gradcli's (heap, same graph code).")
        results["ratio_micrograd_vs_gradcli"] = r
    print("  heap = tracemalloc after building (not for torch: its tensors live outside the Python heap);")
    print("  backward peak = resident memory added at the peak of backward (topological order, gradients,")
    print("  micrograd's recursion), over the built graph.")
    print("  bytes/step and graph MiB use the heap figure where there is one, else RSS.")
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    print(json.dumps(worker(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
