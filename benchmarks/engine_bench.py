"""1. Engine forward + backward: the same graph code on gradcli, micrograd and PyTorch scalar tensors.

For each graph: one untimed run per implementation checks that every implementation gets the same
output and the same leaf gradients (rtol 1e-9) -- a mismatch stops the benchmark.  Then `repeats`
rounds, alternating implementations inside each round (gradcli, micrograd, torch, gradcli, ...);
forward = building the graph (values computed as it is built), backward = `out.backward()`.
Medians are reported.  Garbage from the previous run is collected before each run, outside the
timing; the cyclic garbage collector stays on, as it is for a user.
"""

from __future__ import annotations

import gc
import time
from typing import Any

import graphs
from common import fmt_num, fmt_ratio, fmt_time, heading, in_big_stack_thread, median, note, ratio, table
from impls import Impl

RTOL = 1e-9


class Mismatch(AssertionError):
    pass


def _close(a: float, b: float, scale: float) -> bool:
    # relative, plus an absolute floor at 1e-12 of the largest gradient: gradients that are sums
    # of cancelling terms (or that decay to ~0 along a long chain) differ by rounding only
    return abs(a - b) <= RTOL * max(abs(a), abs(b)) + 1e-12 * scale


def verify(impls: list[Impl], build, size: int) -> dict[str, Any]:
    """Run each implementation once, compare output values and gradients with the first; node counts."""
    ref = None
    counts: dict[str, int] = {}
    worst: dict[str, float] = {}
    for impl in impls:
        out, leaves = build(impl.leaf, size)
        impl.backward(out)
        got = [impl.value(out)] + [impl.grad(v) for v in leaves]
        try:
            counts[impl.name] = impl.count_nodes(out)
        except Exception:  # noqa: BLE001 - node counting is informative only
            counts[impl.name] = -1
        del out, leaves
        gc.collect()
        if ref is None:
            ref = got
            continue
        scale = max(abs(g) for g in ref[1:] + got[1:]) or 1.0
        diffs = [abs(a - b) / max(abs(a), abs(b), 1e-300) for a, b in zip(ref, got)]
        worst[impl.name] = max(diffs)
        bad = [i for i, (a, b) in enumerate(zip(ref, got)) if not _close(a, b, scale)]
        if bad:
            i = bad[0]
            what = "output value" if i == 0 else f"gradient of leaf {i - 1}"
            raise Mismatch(f"{impl.name} disagrees with {impls[0].name} on {what}: {got[i]!r} vs {ref[i]!r}")
    return {"nodes": counts, "max_rel_diff": worst, "grads": ref}


def time_rounds(
    impls: list[Impl], build, size: int, repeats: int, collector: bool = True
) -> dict[str, dict[str, list[float]]]:
    """Alternating rounds; with collector=False the cyclic garbage collector is off during each run."""
    runs: dict[str, dict[str, list[float]]] = {i.name: {"forward": [], "backward": []} for i in impls}
    for _ in range(repeats):
        for impl in impls:
            gc.collect()
            if not collector:
                gc.disable()
            try:
                t0 = time.perf_counter()
                out, leaves = build(impl.leaf, size)
                t1 = time.perf_counter()
                impl.backward(out)
                t2 = time.perf_counter()
            finally:
                gc.enable()
            runs[impl.name]["forward"].append(t1 - t0)
            runs[impl.name]["backward"].append(t2 - t1)
            del out, leaves
    gc.collect()
    return runs


def _medians(runs: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, float]]:
    return {
        name: {k: median(v) for k, v in r.items()} | {"total": median([a + b for a, b in zip(*r.values())])}
        for name, r in runs.items()
    }


def workloads(quick: bool) -> list[tuple[str, str, Any, int, int]]:
    """(key, description, builder, size, repeats); the key is also the short label.  The full run
    has two sizes of chain and MLP: ratios against micrograd grow with the graph (its collector
    costs grow faster than linearly)."""
    chain_ops = "(+ - * / ** relu)"
    if quick:
        return [
            ("chain 10k", f"chain, 10k steps {chain_ops}", graphs.chain, 10_000, 3),
            ("tanh chain 10k", "chain, 10k steps (tanh exp log)", graphs.chain_tanh, 10_000, 3),
            ("MLP 10 points", "MLP 3-16-16-1 relu, MSE over 10 points", graphs.mlp, 10, 5),
        ]
    return [
        ("chain 10k", f"chain, 10k steps {chain_ops}", graphs.chain, 10_000, 7),
        ("chain 100k", f"chain, 100k steps {chain_ops}", graphs.chain, 100_000, 5),
        ("tanh chain 100k", "chain, 100k steps (tanh exp log)", graphs.chain_tanh, 100_000, 5),
        ("MLP 10 points", "MLP 3-16-16-1 relu, MSE over 10 points", graphs.mlp, 10, 9),
        ("MLP 40 points", "MLP 3-16-16-1 relu, MSE over 40 points", graphs.mlp, 40, 7),
    ]


def _needs(key: str) -> set[str]:
    return {"tanh", "exp", "log"} if key.startswith("tanh") else set()


def run(impls: list[Impl], skipped: dict[str, str], quick: bool) -> dict[str, Any]:
    heading("1. Engine: forward (build) + backward, same graph code, median of alternating runs")
    for why in skipped.values():
        note(f"skipped: {why}")
    results: dict[str, Any] = {}
    for key, desc, build, size, repeats in workloads(quick):
        use = [i for i in impls if _needs(key) <= i.has]
        left_out = [i.name for i in impls if i not in use]

        def work(use=use, build=build, size=size, repeats=repeats):
            checked = verify(use, build, size)
            runs = time_rounds(use, build, size, repeats)
            off = time_rounds(use, build, size, max(3, repeats // 2), collector=False)
            return checked, runs, off

        # micrograd's backward recurses once per level of the graph: big stack, high limit
        checked, runs, runs_off = in_big_stack_thread(work)
        med = _medians(runs)
        med_off = _medians(runs_off)
        g = med.get("gradcli")
        rows = []
        for name, m in med.items():
            n = checked["nodes"].get(name, -1)
            gn = checked["nodes"].get("gradcli", -1)
            per_node = m["total"] / gn * 1e9 if gn > 0 else None
            rows.append(
                [
                    name,
                    fmt_num(n) if n >= 0 else "?",
                    fmt_time(m["forward"]),
                    fmt_time(m["backward"]),
                    fmt_time(m["total"]),
                    fmt_num(per_node) if per_node else "-",
                    fmt_ratio(ratio(m["total"], g["total"])) if g else "-",
                    fmt_ratio(ratio(m["forward"], g["forward"])) if g else "-",
                    fmt_ratio(ratio(m["backward"], g["backward"])) if g else "-",
                ]
            )
        print()
        print(f"  {desc}  [{repeats} rounds]")
        table(
            ["impl", "nodes", "forward", "backward", "fwd+bwd", "ns/gradcli node", "x gradcli", "fwd x", "bwd x"],
            rows,
        )
        diffs = ", ".join(f"{k} {v:.1e}" for k, v in checked["max_rel_diff"].items())
        if diffs:
            print(f"  same output and gradients as gradcli (rtol {RTOL:g}); largest relative difference: {diffs}")
        else:
            print("  (no reference installed to compare gradients with)")
        g_off = med_off.get("gradcli")
        if g_off:
            parts = [
                f"{n} {fmt_time(m['total'])}"
                + (f" ({fmt_ratio(ratio(m['total'], g_off['total']))})" if n != "gradcli" else "")
                for n, m in med_off.items()
            ]
            print(f"  collector off during each run (fwd+bwd): {', '.join(parts)}")
        for name in left_out:
            note(f"{name} left out: it has no {'/'.join(sorted(_needs(key)))}")
        results[key] = {
            "description": desc,
            "size": size,
            "repeats": repeats,
            "nodes": checked["nodes"],
            "median": med,
            "runs": runs,
            "max_rel_diff": checked["max_rel_diff"],
            "ratio_total_vs_gradcli": {n: ratio(m["total"], g["total"]) for n, m in med.items()} if g else {},
            "median_collector_off": med_off,
            "ratio_total_vs_gradcli_collector_off": (
                {n: ratio(m["total"], g_off["total"]) for n, m in med_off.items()} if g_off else {}
            ),
        }
    print()
    print("  x gradcli = that implementation's time / gradcli's (above 1: gradcli is faster).")
    print("  collector off: the same rounds with Python's cyclic garbage collector disabled during each run,")
    print("  which isolates the engines' own work (micrograd's closures make it collector-bound).")
    return results
