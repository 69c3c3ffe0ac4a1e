"""Section `codegen` (issue 21): gradcli's generated gradient code against SymPy and JAX.

    python benchmarks/run.py --only codegen [--quick] [--json results.json]
    python benchmarks/codegen_bench.py [--quick]          # this section alone

1. generation time of the gradient code of ~10,000-node programs, per target, graph build vs
   code generation; 2. the generated numpy gradient at 10^6 points against SymPy's
   lambdify(cse=True) and jax.jit(jax.vmap(jax.value_and_grad(f))); 3. the generated C (cc -O2,
   a C loop over the points, one ctypes call) against the numpy target; 4. operations of value +
   gradient against SymPy's joint cse, and generation time against SymPy's diff + cse + printer;
   5. the derivatives of softplus, sigmoid and logsumexp at x = +-1000.  SymPy and JAX are
   optional: their figures are skipped with a note.  See benchmarks/README.md, figure 7.
"""

from __future__ import annotations

import ctypes
import inspect
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import codegen_refs  # noqa: E402
from codegen_refs import (  # noqa: E402
    Prog,
    count_assignments,
    jax_function,
    jaxpr_equations,
    long_chain,
    programs,
    sympy_expr,
    wide_sum,
)
from common import PYTHON, fmt_ratio, fmt_time, heading, median, module_available, note, table  # noqa: E402

HERE = Path(__file__).resolve().parent
POINTS = 1_000_000
TARGETS = ("python", "numpy", "c", "javascript", "latex")
DEEP = ("chain30", "prod20", "reuse10", "reuse20")  # where the issue wants fewer operations than SymPy's
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-shared", "-fPIC"]


def _gradcli():
    import gradcli.session as session
    from gradcli.session import Request, Source

    def build(text: str):
        return session.diff_graph(Source(text), [], Request(None))

    def code(built, to: str) -> str:
        g, free = built
        return session.diff(g, None, 1, False, free, to)

    return build, code


def available_targets() -> tuple[list[str], list[str]]:
    """The targets whose printer imports (javascript and latex may not exist yet)."""
    found, missing = [], []
    for to in TARGETS:
        module = {"javascript": "gradcli.analysis.code_js", "latex": "gradcli.analysis.code_latex"}.get(to)
        (found if module is None or module_available(module) else missing).append(to)
    return found, missing


def generation(quick: bool) -> dict[str, Any]:
    heading("7.1 Generation time of the gradient code, ~10,000-node programs (target < 1 s)")
    build, code = _gradcli()
    targets, missing = available_targets()
    if missing:
        note(f"skipped targets (printer not importable): {', '.join(missing)}")
    rounds = 2 if quick else 5
    out: dict[str, Any] = {}
    rows = []
    for label, text in (("chain, 1,800 steps", long_chain(1800)), ("sum of 2,500 products", wide_sum(2500))):
        build(text)  # warm-up: imports, first-use caches
        builds, gens = [], {to: [] for to in targets}
        lines: dict[str, int] = {}
        failed: dict[str, str] = {}
        for _ in range(rounds):  # alternated: build, then every target, per round
            t0 = time.perf_counter()
            built = build(text)
            builds.append(time.perf_counter() - t0)
            for to in [t for t in targets if t not in failed]:
                t0 = time.perf_counter()
                try:
                    src = code(built, to)
                except Exception as exc:  # noqa: BLE001 - a printer still being written: noted, not fatal
                    failed[to] = f"{type(exc).__name__}: {exc}"
                    continue
                gens[to].append(time.perf_counter() - t0)
                lines[to] = src.count("\n")
        for to, why in failed.items():
            note(f"{label}: target {to} failed ({why[:100]}); not timed")
        nodes = len(built[0].nodes)
        b = median(builds)
        fig = {"nodes": nodes, "build": b, "codegen": {}, "total": {}, "lines": lines, "raw_codegen": gens}
        fig["failed"] = failed
        for to in [t for t in targets if t not in failed]:
            g = median(gens[to])
            fig["codegen"][to], fig["total"][to] = g, b + g
            rows.append([label, f"{nodes:,}", to, fmt_time(b), fmt_time(g), fmt_time(b + g), f"{lines[to]:,}"])
        out[label] = fig
    table(["program", "nodes", "target", "build", "codegen", "total", "lines"], rows, align="lrlrrrr")
    print(f"  medians of {rounds} rounds; build = parse + graph (session.diff_graph),")
    print("  codegen = derivative transform + listing + printer (session.diff)")
    return out


# -- 10^6 points: numpy target, lambdify, JAX, C --------------------------------------------


def _points(p: Prog, n: int):
    import numpy as np

    rng = np.random.default_rng(0)
    return [rng.uniform(0.2, 1.8, n) for _ in p.inputs]


def _flat(result) -> list:
    """(f, (df_dx, ...)) or [f, df_dx, ...] as one list of arrays."""
    value, *rest = result
    if len(rest) == 1 and isinstance(rest[0], (tuple, list)):
        rest = list(rest[0])
    return [value, *rest]


def _max_rel(a: list, b: list) -> float:
    """The largest over the outputs of max|a - b| / max|b| (over the points): normwise, so a
    gradient crossing 0 does not turn an ulp of libm difference into a large relative one."""
    import numpy as np

    worst = 0.0
    for x, y in zip(a, b, strict=True):
        x, y = np.broadcast_to(np.asarray(x, float), np.shape(y)), np.asarray(y, float)
        worst = max(worst, float(np.max(np.abs(x - y)) / (np.max(np.abs(y)) or 1e-300)))
    return worst


def _implementations(p: Prog, xs: list) -> tuple[dict, dict, list[str]]:
    """name -> (call, setup seconds): gradcli's numpy target, lambdify, JAX; notes for the missing."""
    from gradcli import compile_gradient

    runs, setup, notes = {}, {}, []
    t0 = time.perf_counter()
    ours = compile_gradient(p.text(), to="numpy")
    setup["gradcli numpy"] = time.perf_counter() - t0
    if tuple(inspect.signature(ours).parameters) != p.inputs:  # every implementation takes p.inputs' order
        raise RuntimeError(f"{p.name}: gradcli's inputs are {tuple(inspect.signature(ours).parameters)}")
    runs["gradcli numpy"] = lambda: ours(*xs)
    if module_available("sympy"):
        import sympy

        t0 = time.perf_counter()
        syms, f = sympy_expr(p)
        lam = sympy.lambdify(syms, [f, *(sympy.diff(f, s) for s in syms)], "numpy", cse=True)
        setup["SymPy lambdify"] = time.perf_counter() - t0
        runs["SymPy lambdify"] = lambda: lam(*xs)
    else:
        notes.append("SymPy not installed: no lambdify")
    fj = jax_function(p)
    if fj is not None:
        import jax
        import jax.numpy as jnp

        both = jax.jit(jax.vmap(jax.value_and_grad(fj, argnums=tuple(range(len(p.inputs))))))
        js = [jnp.asarray(x) for x in xs]
        t0 = time.perf_counter()
        jax.block_until_ready(both(*js))  # tracing and compilation, outside the per-call time
        setup["JAX jit(vmap(value_and_grad))"] = time.perf_counter() - t0
        runs["JAX jit(vmap(value_and_grad))"] = lambda: jax.block_until_ready(both(*js))
    else:
        notes.append("JAX not installed")
    return runs, setup, notes


def _c_batch(p: Prog, tmp: Path):
    """The generated C with a loop over the points, compiled: (call(cols, n) -> outputs, compile s)."""
    import numpy as np

    from gradcli import diff

    src = diff(p.text(), None, to="c")
    fn = re.search(r"double (\w+)\(const double \*in, double \*d\)", src).group(1)
    k = len(p.inputs)
    src += f"""
void batch(long n, const double *cols, double *vals, double *grads) {{
    double in[{k}], d[{k}];
    for (long i = 0; i < n; i++) {{
        for (int j = 0; j < {k}; j++) in[j] = cols[(long)j * n + i];
        vals[i] = {fn}(in, d);
        for (int j = 0; j < {k}; j++) grads[(long)j * n + i] = d[j];
    }}
}}
"""
    c_file, lib_file = tmp / f"{p.name}.c", tmp / f"{p.name}.so"
    c_file.write_text(src)
    t0 = time.perf_counter()
    subprocess.run(["cc", *CFLAGS, "-o", str(lib_file), str(c_file), "-lm"], check=True, capture_output=True)
    compile_s = time.perf_counter() - t0
    lib = ctypes.CDLL(str(lib_file))
    lib.batch.restype = None
    ptr = np.ctypeslib.ndpointer(dtype=np.float64, flags="C_CONTIGUOUS")
    lib.batch.argtypes = [ctypes.c_long, ptr, ptr, ptr]

    def call(cols, n: int) -> list:
        vals, grads = np.empty(n), np.empty((k, n))
        lib.batch(n, cols, vals, grads)
        return [vals, *grads]

    return call, compile_s


def at_points(quick: bool) -> tuple[dict, dict]:
    """Figures 7.2 (numpy vs lambdify, JAX) and 7.3 (C vs numpy), one set of rounds."""
    import numpy as np

    codegen_refs.warm_up_references()
    heading(f"7.2 / 7.3 Value + gradient at {POINTS:,} points (per call; setup apart)")
    rounds = 3 if quick else 7
    fig2, fig3, notes = {}, {}, set()
    has_cc = subprocess.run(["sh", "-c", "command -v cc"], capture_output=True).returncode == 0
    if not has_cc:
        notes.add("no C compiler (cc): figure 7.3 skipped")
    with tempfile.TemporaryDirectory() as tmpdir:
        for name in ("exp_sin", "neuron7", "smooth", "chain10"):
            p = programs()[name]
            xs = _points(p, POINTS)
            runs, setup, missing = _implementations(p, xs)
            notes.update(missing)
            if has_cc:
                call, setup["gradcli C"] = _c_batch(p, Path(tmpdir))
                cols = np.ascontiguousarray(np.stack(xs))  # the points as C reads them, laid out once
                runs["gradcli C"] = lambda call=call, cols=cols: call(cols, POINTS)
            ref = _flat(runs["gradcli numpy"]())
            agree = {k: _max_rel(_flat(run()), ref) for k, run in runs.items() if k != "gradcli numpy"}
            times: dict[str, list[float]] = {k: [] for k in runs}
            for _ in range(rounds):  # alternated, so a slow moment hits all alike
                for k, run in runs.items():
                    t0 = time.perf_counter()
                    run()
                    times[k].append(time.perf_counter() - t0)
            med = {k: median(v) for k, v in times.items()}
            ours = med["gradcli numpy"]
            fig2[name] = {
                "inputs": len(p.inputs),
                "per_call": med,
                "setup": setup,
                "max_rel_diff_vs_gradcli_numpy": agree,
                "ratio_vs_gradcli_numpy": {k: ours and med[k] / ours for k in med},
                "raw": times,
            }
    rows = []
    for name, r in fig2.items():
        for k, t in r["per_call"].items():
            diff = r["max_rel_diff_vs_gradcli_numpy"].get(k)
            rows.append(
                [
                    name,
                    k,
                    fmt_time(t),
                    fmt_ratio(r["ratio_vs_gradcli_numpy"][k]),
                    fmt_time(r["setup"][k]),
                    "-" if diff is None else f"{diff:.1e}",
                ]
            )
    table(["program", "implementation", "per call", "/ gradcli numpy", "setup", "max rel diff"], rows, align="llrrrr")
    print(f"  medians of {rounds} alternated rounds; '/ gradcli numpy' above 1: gradcli's numpy target is faster.")
    print("  setup: gradcli = generate + exec; lambdify = diff + cse + lambdify; JAX = first call (trace + compile);")
    print("  C = cc -O2 of the generated code and its loop.  max rel diff: against gradcli's numpy output,")
    print("  max|a - b| / max|b| over the points, the largest over the value and the gradient's entries.")
    for name, r in fig2.items():
        for k, d in r["max_rel_diff_vs_gradcli_numpy"].items():
            if d > 1e-9:
                notes.add(f"{name}: {k} differs from gradcli's numpy output by {d:.1e} (normwise relative)")
    for n in sorted(notes):
        note(n)
    for name, r in fig2.items():
        if "gradcli C" in r["per_call"]:
            fig3[name] = {
                "c": r["per_call"]["gradcli C"],
                "numpy": r["per_call"]["gradcli numpy"],
                "numpy_over_c": r["per_call"]["gradcli numpy"] / r["per_call"]["gradcli C"],
                "compile": r["setup"]["gradcli C"],
            }
    return fig2, fig3


# -- operation counts and generation time against SymPy ------------------------------------


def _sympy_worker(name: str, timeout: float) -> dict[str, Any]:
    cmd = [PYTHON, str(HERE / "codegen_refs.py"), "--sympy-worker", name]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout)


def op_counts(quick: bool) -> dict[str, Any]:
    heading("7.4 Operations in value + gradient, and generation time, against SymPy's diff + joint cse")
    build, code = _gradcli()
    has_sympy, timeout = module_available("sympy"), 15.0 if quick else 60.0
    if not has_sympy:
        note("SymPy not installed: its columns are skipped")
    out, rows = {}, []
    for p in programs().values():
        text = p.text()
        code(build(text), "python")  # warm-up
        gens = []
        for _ in range(3 if quick else 5):
            t0 = time.perf_counter()
            src = code(build(text), "python")
            gens.append(time.perf_counter() - t0)
        ours = count_assignments(src, "f_grad")
        sym = _sympy_worker(p.name, timeout) if has_sympy else {"skipped": True}
        eqns = jaxpr_equations(p)
        out[p.name] = {"about": p.about, "gradcli_ops": ours, "gradcli_time": median(gens), "sympy": sym, "jaxpr": eqns}
        if "timeout" in sym:
            s_ops = s_count = f"> {timeout:.0f} s"
            s_time = f"> {timeout:.0f} s"
        elif "total" in sym:
            s_ops, s_count, s_time = str(sym["ops_ast"]), str(sym["count_ops"]), fmt_time(sym["total"])
        else:
            s_ops = s_count = s_time = "-"
        rows.append([p.name, str(ours), s_ops, s_count, "-" if eqns is None else str(eqns)])
        rows[-1] += [fmt_time(median(gens)), s_time]
    heads = ["program", "gradcli ops", "SymPy ops", "SymPy count_ops", "jaxpr eqns", "gradcli gen", "SymPy gen"]
    table(heads, rows, align="lrrrrrr")
    for p in programs().values():
        print(f"    {p.name}: {p.about}")
    print("  ops: BinOp/UnaryOp/Call/Compare/IfExp nodes of both printed as Python (gradcli's python target, SymPy's")
    print("  pycode of cse); gradcli gen = parse + graph + transform + python printer (median); SymPy gen = sympify")
    print("  + diff + cse + pycode, one run in a fresh process after a warm-up;")
    print("  jaxpr eqns: value_and_grad's jaxpr, top-level equations")
    return out


# -- numerical stability at +-1000 ---------------------------------------------------------

_STABILITY = (
    ("softplus(x)", "softplus(x)", {"x": 1000.0}),
    ("sigmoid(x), x = 1000", "sigmoid(x)", {"x": 1000.0}),
    ("sigmoid(x), x = -1000", "sigmoid(x)", {"x": -1000.0}),
    ("log(1 + exp(x)) as written", "log(1 + exp(x))", {"x": 1000.0}),
    ("logsumexp([a, b]), a = 1000", "logsumexp([a, b])", {"a": 1000.0, "b": 0.0}),
    ("log(exp(a) + exp(b)) as written", "log(exp(a) + exp(b))", {"a": 1000.0, "b": 0.0}),
)


def _safe(fn) -> str:
    try:
        v = float(fn())
    except (ValueError, ArithmeticError) as exc:
        return f"{type(exc).__name__}"
    return repr(v)


def _derivative_at(p: Prog, xs: list[float], tmp: Path, has_cc: bool) -> dict[str, str]:
    """d f / d(first input) at xs in each target and reference, as text (nan, or the error's type)."""
    import numpy as np

    from gradcli import compile_gradient

    r = {
        "python": _safe(lambda: compile_gradient(p.text(), to="python")(*xs)[1][0]),
        "numpy": _safe(lambda: compile_gradient(p.text(), to="numpy")(*xs)[1][0]),
    }
    if has_cc:
        call, _ = _c_batch(p, tmp)
        r["c"] = _safe(lambda: call(np.array([[x] for x in xs]), 1)[1][0])
    if module_available("sympy"):
        import sympy

        syms, f = sympy_expr(p)
        d = sympy.diff(f, syms[0])
        lam = sympy.lambdify(syms, d, "numpy")
        with np.errstate(all="ignore"):
            r["sympy"] = _safe(lambda: lam(*[np.float64(x) for x in xs]))
        r["sympy_printed"] = str(d)
    fj = jax_function(p)
    if fj is not None:
        import jax

        r["jax"] = _safe(lambda: jax.grad(fj)(*xs))
    return r


def stability(quick: bool) -> dict[str, Any]:
    heading("7.5 Numerical stability: d/d(first input) at +-1000")
    out, rows = {}, []
    has_cc = subprocess.run(["sh", "-c", "command -v cc"], capture_output=True).returncode == 0
    with tempfile.TemporaryDirectory() as tmpdir:
        for k, (label, expr, point) in enumerate(_STABILITY):
            r = _derivative_at(Prog(f"s{k}", tuple(point), expr, label), list(point.values()), Path(tmpdir), has_cc)
            out[label] = r
            rows.append([label] + [r.get(t, "-") for t in ("python", "numpy", "c", "sympy", "jax")])
    table(["derivative of", "gradcli python", "numpy", "C", "SymPy lambdify", "JAX grad"], rows, align="lrrrrr")
    print("  SymPy has no softplus/sigmoid/logsumexp: written log(1 + exp(u)), 1/(1 + exp(-u)), log(exp(a) + exp(b)).")
    for k, v in out.items():
        if "sympy_printed" in v:
            print(f"    SymPy's d/d(first input) of {k}: {v['sympy_printed']}")
    print("  python's ValueError is gradcli's documented domain error (exp overflows), where numpy and C give nan/inf")
    return out


# -- the section ---------------------------------------------------------------------------


def targets(results: dict[str, Any]) -> list[list[str]]:
    """Issue 21's targets next to the measured figures: [figure, target, measured, met]."""
    rows = []
    gen = results.get("generation", {})
    for label, fig in gen.items():
        worst = max(fig["total"].values())
        rows.append([f"codegen {label}: slowest target", "< 1 s", fmt_time(worst), "yes" if worst < 1 else "NO"])
    for name, r in results.get("numpy", {}).items():
        ratios = r["ratio_vs_gradcli_numpy"]
        lam, jx = ratios.get("SymPy lambdify"), ratios.get("JAX jit(vmap(value_and_grad))")
        if lam is not None:
            rows.append([f"{name}: lambdify / gradcli numpy", ">= 1x", fmt_ratio(lam), "yes" if lam >= 1 else "NO"])
        if jx:
            rows.append([f"{name}: gradcli numpy / JAX", "<= 2x", fmt_ratio(1 / jx), "yes" if 1 / jx <= 2 else "NO"])
    for name, r in results.get("ops", {}).items():
        s = r["sympy"]
        want = "<" if name in DEEP else "<="
        if "ops_ast" in s:
            ok = r["gradcli_ops"] <= s["ops_ast"] if want == "<=" else r["gradcli_ops"] < s["ops_ast"]
            shown = f"{r['gradcli_ops']} vs {s['ops_ast']}"
        elif "timeout" in s:
            ok, shown = True, f"{r['gradcli_ops']} vs (SymPy > {s['timeout']:.0f} s)"
        else:
            continue
        rows.append([f"ops {name}: gradcli vs SymPy", f"{want} SymPy's", shown, "yes" if ok else "NO"])
    for label, r in results.get("stability", {}).items():
        if "as written" in label:
            continue
        vals = [r[t] for t in ("python", "numpy", "c") if t in r]
        ok = all(v not in ("nan", "inf", "-inf") and not v.endswith("Error") for v in vals)
        rows.append([f"d {label} finite (python/numpy/C)", "finite", ", ".join(vals), "yes" if ok else "NO"])
    return rows


def versions() -> dict[str, str | None]:
    """The references' versions and the C compiler's (the figures depend on them)."""
    from importlib import metadata

    found: dict[str, str | None] = {}
    for name in ("numpy", "sympy", "jax", "jaxlib"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    cc = subprocess.run(["sh", "-c", "cc --version 2>/dev/null | head -1"], capture_output=True, text=True)
    found["cc"] = cc.stdout.strip() or None
    return found


def run(quick: bool) -> dict[str, Any]:
    v = versions()
    print("\n  codegen references: " + ", ".join(f"{k} {x or 'not installed'}" for k, x in v.items()))
    results: dict[str, Any] = {"versions": v, "generation": generation(quick)}
    if module_available("numpy"):
        results["numpy"], results["c"] = at_points(quick)
        if results["c"]:
            heading("7.3 Generated C (cc -O2, one ctypes call over the points) against the numpy target")
            rows = [
                [k, fmt_time(v["c"]), fmt_time(v["numpy"]), fmt_ratio(v["numpy_over_c"]), fmt_time(v["compile"])]
                for k, v in results["c"].items()
            ]
            table(["program", "C", "numpy target", "numpy / C", "cc -O2"], rows)
        results["ops"] = op_counts(quick)
        results["stability"] = stability(quick)
    else:
        note("numpy not installed: figures 7.2-7.5 skipped")
    results["targets"] = targets(results)  # run.py's summary prints them
    return results


if __name__ == "__main__":
    figures = run("--quick" in sys.argv)
    heading("Issue 21's targets")
    table(["figure", "target", "measured", "met"], figures["targets"], align="llrl")
