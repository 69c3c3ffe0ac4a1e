"""6. `check` cost per input: finite-difference verification of every input's gradient.

On a generated program of medium size, `gradcli.analysis.check.check(graph)` runs in-process on the built
and differentiated graph; its time is divided by the number of inputs, and expressed in units of
one full forward pass (`graph.forward()`, every node recomputed) so that the figure does not
depend on the machine: "check costs N forward passes per input".  If the CLI has a `check`
command, `gradcli check -f FILE --format json` is timed too.  Skipped with a note when
gradcli/check.py or its `check` function does not exist.
"""

from __future__ import annotations

import gc
import importlib
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import programs
from common import fmt_num, fmt_time, gradcli_command, heading, median, note, quiet_env, run_once, table


def run(quick: bool) -> dict[str, Any]:
    statements = 500 if quick else 2_000
    heading(f"6. check: cost per input, {statements:,}-statement program")
    try:
        check_mod = importlib.import_module("gradcli.analysis.check")
    except ImportError:
        note("skipped: gradcli/check.py does not exist yet")
        return {"skipped": "no gradcli.analysis.check"}
    check = getattr(check_mod, "check", None)
    if not callable(check):
        note("skipped: gradcli.analysis.check has no check(graph, ...) function")
        return {"skipped": "no check()"}
    from gradcli.build.standard import evaluate

    gen = programs.generate(statements)
    graph = evaluate(gen.text)
    n_inputs = len(graph.inputs)
    nodes = len(graph.nodes)

    rounds = 3 if quick else 5
    fwd = []
    for _ in range(max(rounds, 5)):
        gc.collect()
        t = time.perf_counter()
        graph.forward()
        fwd.append(time.perf_counter() - t)
    graph.backward()
    times, report = [], None
    for _ in range(rounds):
        gc.collect()
        t = time.perf_counter()
        try:
            report = check(graph)
        except Exception as exc:  # noqa: BLE001 - an API in flux: report, do not crash the suite
            note(f"skipped: check(graph) raised {exc.__class__.__name__}: {exc}")
            return {"skipped": f"check raised {exc!r}"}
        times.append(time.perf_counter() - t)
    t_check, t_fwd = median(times), median(fwd)
    statuses: dict[str, int] = {}
    for row in getattr(report, "rows", []) or []:
        statuses[row.status] = statuses.get(row.status, 0) + 1
    rows = [
        ["graph", f"{nodes:,} nodes, {n_inputs} inputs"],
        ["one forward pass (graph.forward())", fmt_time(t_fwd)],
        ["check(graph), all inputs", fmt_time(t_check)],
        ["check per input", fmt_time(t_check / n_inputs)],
        ["check per input, in forward passes", fmt_num(t_check / n_inputs / t_fwd, 1)],
        ["rows by status", ", ".join(f"{k} {v}" for k, v in statuses.items()) or "-"],
    ]
    result: dict[str, Any] = {
        "nodes": nodes,
        "inputs": n_inputs,
        "forward": t_fwd,
        "check": t_check,
        "per_input": t_check / n_inputs,
        "forward_passes_per_input": t_check / n_inputs / t_fwd,
        "statuses": statuses,
    }
    cmd = gradcli_command()
    has_cli = subprocess.run(cmd + ["check", "--help"], capture_output=True, env=quiet_env()).returncode == 0
    if has_cli:
        with tempfile.TemporaryDirectory(prefix="gradcli-bench-") as tmp:
            path = Path(tmp) / "check.gc"
            path.write_text(gen.text, encoding="utf-8")
            try:
                argv = cmd + ["check", "-f", str(path), "--format", "json"]
                cli = median([run_once(argv, env=quiet_env())[0] for _ in range(3)])
                rows.append(["gradcli check -f FILE --format json (process)", fmt_time(cli)])
                result["cli"] = cli
            except RuntimeError as exc:
                rows.append(["gradcli check -f FILE (process)", f"failed: {exc}"[:70]])
    table(["what", "figure"], rows, align="lr")
    if not has_cli:
        note("the CLI has no `check` command yet: in-process figures only")
    return result
