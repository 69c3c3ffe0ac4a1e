"""4. A large generated program through the CLI, against micrograd building the same graph through
its Python API; 5. time per node as programs grow from 10^3 to 10^6 nodes.

The CLI side is a whole process, `gradcli eval -f FILE --format json` with stdout to a pipe
(start-up, reading, parsing, building, backward, JSON).  The micrograd side is the same graph as
straight-line Python (compiled before timing, so Python's own parsing is not counted) run
in-process, plus the start-up of `python -c "import micrograd.engine"` measured as a subprocess:
what a user pays to get the same gradients from micrograd's API.  The CLI's JSON gradients must
equal micrograd's (rtol 1e-9).

The stage breakdown runs gradcli's pipeline in-process: read + decode, lex alone (best effort:
Lark's `lex`), parse (lexing included), build, backward, JSON.
"""

from __future__ import annotations

import gc
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import programs
from common import (
    PYTHON,
    fmt_num,
    fmt_ratio,
    fmt_time,
    gradcli_command,
    heading,
    in_big_stack_thread,
    median,
    note,
    quiet_env,
    ratio,
    run_once,
    table,
)
from impls import Impl

RTOL = 1e-9


# -- gradcli's pipeline, stage by stage, in-process --------------------------------------------


def _lexer() -> Callable[[str], int] | None:
    """A function that lexes a text and returns the token count: gradcli.lang.parser.tokenize if there
    is one, else the lexer of the Lark object it builds; None if neither can run alone."""
    try:
        from gradcli.lang import parser
    except ImportError:
        return None
    lex: Callable[[str], int] | None = None
    if callable(getattr(parser, "tokenize", None)):
        lex = lambda text: len(parser.tokenize(text))
    elif callable(getattr(parser, "_get_parser", None)):
        try:
            lark = parser._get_parser()
            lex = lambda text: sum(1 for _ in lark.lex(text))
        except Exception:  # noqa: BLE001
            return None
    try:
        if lex is not None:
            lex("a = 1\nb = a*2\n")
    except Exception:  # noqa: BLE001 - a lexer that cannot run alone: no lexing figure
        return None
    return lex


def stages(path: Path, lex: Callable[[str], int] | None, collect: bool = False) -> dict[str, Any]:
    """Seconds per stage of `gradcli eval -f path --format json`, run in this process.

    The cyclic garbage collector is off during the stages, as `gradcli eval` runs them; with
    `collect` it is on, as for a library user calling parse/build/backward.
    """
    from gradcli.build.standard import build
    from gradcli.lang.parser import parse
    from gradcli.render.export import to_json

    out: dict[str, Any] = {}
    gc.collect()
    was_on = gc.isenabled()
    if collect:
        gc.enable()
    else:
        gc.disable()
    try:
        t = time.perf_counter()
        text = path.read_bytes().decode("utf-8-sig")
        out["read"] = time.perf_counter() - t
        if lex is not None:
            t = time.perf_counter()
            out["tokens"] = lex(text)
            out["lex (alone)"] = time.perf_counter() - t
        t0 = time.perf_counter()
        program = parse(text)
        t1 = time.perf_counter()
        graph = build(program)
        t2 = time.perf_counter()
        graph.backward()
        t3 = time.perf_counter()
        doc = to_json(graph)
        t4 = time.perf_counter()
    finally:
        if was_on:
            gc.enable()
    out |= {"parse": t1 - t0, "build": t2 - t1, "backward": t3 - t2, "json": t4 - t3}
    out["total"] = out["read"] + t4 - t0
    out["nodes"] = len(graph.nodes)
    out["json_bytes"] = len(doc)
    out["gradients"] = graph.gradients()
    out["value"] = graph.output.data
    del program, graph, doc
    gc.collect()
    return out


def cli_run(path: Path) -> tuple[float, dict]:
    dt, stdout = run_once(gradcli_command() + ["eval", "-f", str(path), "--format", "json"], env=quiet_env())
    return dt, json.loads(stdout)


def api_run(impl: Impl, builder) -> tuple[float, float, list[float], float]:
    """(build s, backward s, input gradients, output value) through a Python API."""
    gc.collect()
    t0 = time.perf_counter()
    out, leaves = builder(impl.leaf)
    t1 = time.perf_counter()
    impl.backward(out)
    t2 = time.perf_counter()
    grads = [impl.grad(v) for v in leaves]
    value = impl.value(out)
    del out, leaves
    return t1 - t0, t2 - t1, grads, value


def _compare(name: str, ref: list[float], got: list[float], ref_name: str) -> float:
    scale = max(abs(x) for x in ref + got) or 1.0
    worst = 0.0
    for i, (a, b) in enumerate(zip(ref, got)):
        if abs(a - b) > RTOL * max(abs(a), abs(b)) + 1e-12 * scale:
            raise AssertionError(f"{name} disagrees with {ref_name} on the gradient of x{i}: {b!r} vs {a!r}")
        worst = max(worst, abs(a - b) / max(abs(a), abs(b), 1e-300))
    return worst


def startup_of(code: str, runs: int) -> float:
    return median([run_once([PYTHON, "-c", code], env=quiet_env())[0] for _ in range(runs)])


# -- 4. the large program ------------------------------------------------------------------------


def run_large(impls: list[Impl], skipped: dict[str, str], quick: bool, workdir: Path) -> dict[str, Any]:
    n = 10_000 if quick else 50_000
    rounds = 1 if quick else 3
    heading(f"4. A {n:,}-statement program: gradcli's CLI against micrograd's Python API, same graph")
    for why in skipped.values():
        note(f"skipped: {why}")
    gen = programs.generate(n)
    path = workdir / f"program_{n}.gc"
    path.write_text(gen.text, encoding="utf-8")
    builder = programs.compile_builder(gen)
    by_name = {i.name: i for i in impls}
    lex = _lexer()

    # correctness first: the CLI's JSON against every API
    _, doc = cli_run(path)
    cli_grads = [doc["gradients"][x] for x in gen.inputs]
    print(f"  program: {path.name}, {len(gen.text) / 1e6:.2f} MB, {n:,} statements, {len(gen.inputs)} inputs")

    def api_pass():
        rows = {}
        for impl in impls:
            rows[impl.name] = api_run(impl, builder)
        return rows

    checked = in_big_stack_thread(api_pass)
    diffs = {}
    for name, (_, _, grads, value) in checked.items():
        diffs[name] = _compare(name, cli_grads, grads, "the CLI")
        if abs(value - doc["value"]) > RTOL * abs(value):
            raise AssertionError(f"{name} output {value!r} differs from the CLI's {doc['value']!r}")

    # timed rounds, alternating: CLI, then each API
    cli_t: list[float] = []
    api_t: dict[str, dict[str, list[float]]] = {i.name: {"build": [], "backward": []} for i in impls}
    for _ in range(rounds):
        cli_t.append(cli_run(path)[0])

        def one_round():
            for impl in impls:
                b, w, _, _ = api_run(impl, builder)
                api_t[impl.name]["build"].append(b)
                api_t[impl.name]["backward"].append(w)

        in_big_stack_thread(one_round)
    st = stages(path, lex)
    start_runs = 5 if quick else 11
    start = {"python": startup_of("pass", start_runs), "gradcli": startup_of("import gradcli", start_runs)}
    if "micrograd" in by_name:
        start["micrograd"] = startup_of("import micrograd.engine", start_runs)

    cli = median(cli_t)
    rows = [["gradcli eval -f FILE --format json (whole process)", fmt_time(cli), "", "", fmt_time(cli), "1.00x"]]
    totals = {"cli": cli}
    for name, t in api_t.items():
        b, w = median(t["build"]), median(t["backward"])
        s = start.get(name, start["python"]) if name != "torch" else None
        total = b + w + (s or 0.0)
        totals[name] = total
        label = {
            "micrograd": "micrograd API (+ python start-up and import micrograd)",
            "gradcli": "gradcli's Python API, same code (+ python start-up and import gradcli)",
            "torch": "torch scalar tensors, same code (import not counted)",
        }[name]
        rows.append([label, fmt_time(s) if s else "-", fmt_time(b), fmt_time(w), fmt_time(total)])
        rows[-1].append(fmt_ratio(ratio(total, cli)))
    print(f"  gradcli nodes: {st['nodes']:,};  median of {rounds} alternating round(s)")
    table(["way", "start-up", "build", "backward", "total", "x CLI"], rows)
    m = totals.get("micrograd")
    if m:
        r = m / cli
        verdict = "faster" if r >= 1 else "SLOWER"
        print(f"  micrograd / CLI = {r:.2f}  (the CLI is {verdict} than micrograd's API on the same graph)")
    diff_text = ", ".join(f"{k} {v:.1e}" for k, v in diffs.items())
    print(f"  CLI JSON gradients equal each API's (rtol {RTOL:g}); largest relative difference: {diff_text}")

    print()
    print("  where the CLI's time goes (the same pipeline in-process, garbage collector off as in the CLI, one run):")
    srows = []
    keys = ["read", "lex (alone)", "parse", "build", "backward", "json"]
    for k in keys:
        if k in st:
            srows.append([k, fmt_time(st[k]), fmt_num(st[k] / st["nodes"] * 1e9), fmt_ratio(st[k] / cli)])
    srows.append(["total in-process", fmt_time(st["total"]), fmt_num(st["total"] / st["nodes"] * 1e9), ""])
    srows.append(["CLI minus in-process: start-up, output", fmt_time(cli - st["total"]), "", ""])
    table(["stage", "time", "ns/node", "share of CLI"], srows)
    if lex is None:
        note("no lexing figure: gradcli.lang.parser has no tokenize() nor a Lark object whose lexer runs alone")
    else:
        print(f"  lex (alone) = the lexer alone over the text, {st['tokens']:,} tokens; parse includes lexing.")
    st.pop("gradients", None)
    return {
        "statements": n,
        "nodes": st["nodes"],
        "cli_runs": cli_t,
        "api_runs": api_t,
        "startup": start,
        "totals": totals,
        "ratio_micrograd_vs_cli": ratio(m, cli) if m else None,
        "stages": st,
        "max_rel_diff": diffs,
    }


# -- 5. linearity ---------------------------------------------------------------------------------


def run_linearity(quick: bool, workdir: Path) -> dict[str, Any]:
    sizes = [10**3, 10**4, 10**5] + ([] if quick else [10**6])
    heading("5. Linearity: time per node as the program grows (gradcli only)")
    print("  CLI = `gradcli eval -f FILE --format json` as a subprocess, start-up included (it dominates")
    print("  small programs); CLI - start = CLI minus the median start-up of the one-liner `y = x*x`,")
    print("  run alternately with it.")
    print("  in-process = read + parse + build + backward + JSON in this process, collector off as in the")
    print("  CLI, with the stages in ns per node; gc on = the same with the collector on (library use).")
    one_liner = gradcli_command() + ["eval", "y = x*x", "x=3", "--format", "json"]
    from gradcli.build.standard import evaluate

    per_stmt = len(evaluate(programs.generate(2_000).text).nodes) / 2_000  # gradcli nodes per statement
    rows, results = [], {}
    for target in sizes:
        gen = programs.generate(max(int(target / per_stmt), 10))
        path = workdir / f"linear_{target}.gc"
        path.write_text(gen.text, encoding="utf-8")
        del gen
        rounds = 9 if target <= 10**3 else (5 if target <= 10**4 else (2 if target <= 10**5 and not quick else 1))
        cli_t, start_t = [], []
        for _ in range(rounds):  # the start-up alternates with the CLI runs, so both see the same load
            start_t.append(run_once(one_liner, env=quiet_env())[0])
            cli_t.append(cli_run(path)[0])
        cli, start = median(cli_t), median(start_t)
        sts = [stages(path, None) for _ in range(rounds)]
        gc_on = median([stages(path, None, collect=True)["total"] for _ in range(rounds)])
        nodes = sts[0]["nodes"]
        inproc = median([s["total"] for s in sts])
        stage_med = {k: median([s[k] for s in sts]) for k in ("parse", "build", "backward", "json")}
        results[target] = {
            "nodes": nodes,
            "in_process": inproc,
            "in_process_gc_on": gc_on,
            "stages": stage_med,
            "cli": cli,
            "start_one_liner": start,
            "cli_minus_start": cli - start,
        }
        ns = 1e9 / nodes
        rows.append(
            [
                f"{nodes:,}",
                fmt_time(cli),
                fmt_num(cli * ns),
                fmt_num((cli - start) * ns),
                fmt_time(inproc),
                fmt_num(inproc * ns),
                *(fmt_num(stage_med[k] * ns) for k in ("parse", "build", "backward", "json")),
                fmt_num(gc_on * ns),
            ]
        )
        path.unlink()
    table(
        [
            "nodes",
            "CLI",
            "ns/node",
            "CLI - start",
            "in-process",
            "ns/node",
            "parse",
            "build",
            "backward",
            "json",
            "gc on",
        ],
        rows,
    )
    ref = results[10**4]

    def per_node(key: str) -> dict[int, float]:
        return {t: (r[key] / r["nodes"]) / (ref[key] / ref["nodes"]) for t, r in results.items()}

    growth = {k: per_node(k) for k in ("cli_minus_start", "in_process", "in_process_gc_on")}
    print("  time per node relative to the 10^4 case (flat = linear):")
    for key, label in (("cli_minus_start", "CLI - start"), ("in_process", "in-process"), ("in_process_gc_on", "gc on")):
        print(f"    {label:12} " + "  ".join(f"10^{len(str(t)) - 1}: {g:.2f}" for t, g in growth[key].items()))
    if quick:
        note("the 10^6-node case runs only in the full run")
    return {"sizes": results, "per_node_vs_1e4": growth}


def run(impls: list[Impl], skipped: dict[str, str], quick: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gradcli-bench-") as tmp:
        workdir = Path(tmp)
        large = run_large(impls, skipped, quick, workdir)
        linear = run_linearity(quick, workdir)
    return {"large_program": large, "linearity": linear}
