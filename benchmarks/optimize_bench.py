"""minimize with exact derivatives (issue 23): evaluations per second through the optimizer's
callback, wall time exact vs finite differences, and evaluations saved on standard problems.

    python benchmarks/optimize_bench.py [--quick]      # or: python benchmarks/run.py --only optimize

1. value + gradient evaluations per second on the 100-input extended Rosenbrock: gradcli's
   compiled objective (analysis/objective.py), the graph re-run (forward + backward on the
   Values), a hand-written numpy objective with scipy's forward differences (n + 1 calls per
   gradient), jax.value_and_grad un-jitted and, for reference, jitted (compilation not charged;
   where jax is installed).
2. wall time of L-BFGS-B to the minimum, exact gradient (gradcli.minimize, compilation
   included) vs scipy's finite differences on the numpy objective, n = 10 and 100.
3. function evaluations with the exact gradient vs scipy's finite differences (BFGS), on
   standard test problems (Moré, Garbow, Hillstrom 1981); "calls" counts every call of f the
   optimizer made (finite differences included), for the exact run f + gradient calls.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

ROSEN_N = "f = sum(100*(x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2)"

PROBLEMS = [  # name, program, start
    ("Rosenbrock", "f = (1 - x)**2 + 100*(y - x**2)**2", {"x": -1.2, "y": 1.0}),
    ("Rosenbrock n=10", ROSEN_N, {"x": [-1.2, 1.0] * 5}),
    ("Rosenbrock n=100", ROSEN_N, {"x": [-1.2, 1.0] * 50}),
    ("Beale", "f = (1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2", {"x": 1.0, "y": 1.0}),
    ("Powell singular", "f = (a + 10*b)**2 + 5*(c - d)**2 + (b - 2*c)**4 + 10*(a - d)**4",
     {"a": 3.0, "b": -1.0, "c": 0.0, "d": 1.0}),
    ("Wood", "f = 100*(b - a**2)**2 + (1 - a)**2 + 90*(d - c**2)**2 + (1 - c)**2 + 10.1*((b - 1)**2 + (d - 1)**2)"
     " + 19.8*(b - 1)*(d - 1)", {"a": -3.0, "b": -1.0, "c": -3.0, "d": -1.0}),
    ("Brown badly scaled", "f = (x - 1e6)**2 + (y - 2e-6)**2 + (x*y - 2)**2", {"x": 1.0, "y": 1.0}),
    ("Freudenstein-Roth", "f = (-13 + x + ((5 - y)*y - 2)*y)**2 + (-29 + x + ((y + 1)*y - 14)*y)**2",
     {"x": 0.5, "y": -2.0}),
    ("Helical valley", "t = atan2(y, x)/(2*pi)\nf = 100*((z - 10*t)**2 + (sqrt(x**2 + y**2) - 1)**2) + z**2",
     {"x": -1.0, "y": 0.1, "z": 0.0}),
    ("Box 3-D (m=10)", "f = sum((exp(-a*k/10) - exp(-b*k/10) - c*(exp(-k/10) - exp(-k)))**2)",
     {"a": 0.0, "b": 10.0, "c": 20.0, "k": [float(i) for i in range(1, 11)]}),
]  # fmt: skip


def _rosen_numpy(x):
    return float(((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum())


def rates(quick: bool) -> dict:
    import numpy as np
    from scipy.optimize import approx_fprime

    from gradcli import session
    from gradcli.analysis.objective import Objective

    n = 100
    x0 = np.array([-1.2, 1.0] * (n // 2))
    g = session.evaluate(session.Source(ROSEN_N), [f"x={x0.tolist()}"], session.Request())
    o = Objective(g, list(g.inputs))
    rounds = 200 if quick else 1000
    rng = np.random.default_rng(0)
    points = [x0 + 0.01 * rng.normal(size=n) for _ in range(rounds)]
    out = {}

    def per_second(fn, pts) -> float:
        t = time.perf_counter()
        for p in pts:
            fn(p)
        return len(pts) / (time.perf_counter() - t)

    out["gradcli compiled"] = per_second(o.evaluate, points)
    inputs = list(g.inputs.values())

    def graph_rerun(p):
        for v, xi in zip(inputs, p):
            v.data = float(xi)
        g.forward()
        g.backward()

    out["gradcli graph re-run"] = per_second(graph_rerun, points[: rounds // 10])
    out["numpy + finite differences"] = per_second(lambda p: approx_fprime(p, _rosen_numpy), points[: rounds // 5])
    try:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        vg = jax.value_and_grad(lambda x: jnp.sum((1 - x[:-1]) ** 2) + 100 * jnp.sum((x[1:] - x[:-1] ** 2) ** 2))
        jvg = jax.jit(vg)

        def host(f):  # an optimizer needs a float and a numpy array; this also waits for jax's async dispatch
            def call(p):
                v, grad = f(jnp.asarray(p))
                return float(v), np.asarray(grad)

            return call

        host(vg)(x0), host(jvg)(x0)  # warm-up: jit's one compilation is not charged
        out["jax.value_and_grad (no jit)"] = per_second(host(vg), points[: rounds // 5])
        out["jax.value_and_grad (jit, for reference)"] = per_second(host(jvg), points)
    except ImportError:
        common.note("jax is not installed: its row is skipped (pip install jax)")
    return out


def wall_times(quick: bool) -> list[list[str]]:
    """Best of 3 wall times of L-BFGS-B to the minimum: gradcli with its default --tol 1e-10, with
    scipy's default gtol 1e-5 (the same stopping test as the finite-difference run), and scipy's
    finite differences on the numpy objective."""
    import numpy as np
    from scipy.optimize import minimize as scipy_minimize

    from gradcli.api import minimize

    minimize("f = (x - 1)**2", {"x": 0.0}, method="lbfgsb")  # one-time imports are not charged to n = 10

    def best(fn):
        times, out = [], None
        for _ in range(1 if quick else 3):
            t = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t)
        return min(times), out

    rows = []
    for n in (10, 20, 50, 100):
        x0 = [-1.2, 1.0] * (n // 2)
        exact, r = best(lambda x0=x0: minimize(ROSEN_N, {"x": x0}, method="lbfgsb"))
        same, r5 = best(lambda x0=x0: minimize(ROSEN_N, {"x": x0}, method="lbfgsb", tol=1e-5))
        slow, fd = best(lambda x0=x0: scipy_minimize(_rosen_numpy, np.array(x0), method="L-BFGS-B",
                                                     options={"maxfun": 10**6}))  # fmt: skip
        rows.append([f"Rosenbrock n={n}", f"{exact * 1e3:.0f} ms", f"{r.value:.1e}", f"{same * 1e3:.0f} ms",
                     f"{r5.value:.1e}", f"{slow * 1e3:.0f} ms", f"{fd.fun:.1e}", f"{fd.nfev:,}"])  # fmt: skip
    return rows


def counts(quick: bool) -> list[list[str]]:
    from scipy.optimize import minimize as scipy_minimize

    from gradcli import session
    from gradcli.analysis.minimize import Options, prepare
    from gradcli.api import minimize

    rows = []
    for name, program, start in PROBLEMS:
        if quick and name == "Rosenbrock n=100":
            continue
        fix = ("k",) if "k" in start else ()
        r = minimize(program, start, method="bfgs", fix=fix)
        problem = prepare(session.load(session.Source(program)), start, Options(fix=fix))  # the same objective
        o = problem.objective
        fd = scipy_minimize(o.value, o.start(), method="BFGS", options={"maxiter": 10**5})
        exact = r.evaluations["f"] + r.evaluations["grad"]
        rows.append([name, str(len(r.x)), str(fd.nfev), f"{fd.fun:.2g}", str(exact), f"{r.value:.2g}", r.verdict])
    return rows


def run(quick: bool = False) -> dict:
    common.heading("Optimize: value + gradient per second, 100-input Rosenbrock (issue 23)")
    r = rates(quick)
    base = r["gradcli compiled"]
    common.table(["objective", "evaluations/s", "gradcli compiled is"],
                 [[k, f"{v:,.0f}", f"{base / v:.1f}x" if k != "gradcli compiled" else ""] for k, v in r.items()],
                 align="lrr")  # fmt: skip
    common.heading("Optimize: L-BFGS-B wall time, exact gradient vs finite differences")
    w = wall_times(quick)
    common.table(["problem", "exact, tol 1e-10", "f", "exact, tol 1e-5", "f", "finite diff.", "f", "FD calls"], w,
                 align="lrrrrrrr")  # fmt: skip
    common.heading("Optimize: BFGS function calls, finite differences vs exact gradient")
    c = counts(quick)
    common.table(["problem", "n", "FD calls", "FD f", "exact calls", "exact f", "verdict"], c, align="lrrrrrl")
    return {"rates": r, "wall": w, "counts": c}


if __name__ == "__main__":
    run("--quick" in sys.argv)
