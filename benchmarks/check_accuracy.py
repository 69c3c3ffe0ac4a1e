"""How accurate `gradcli check`'s numerical derivatives are, and whether it ever fails a right gradient.

Runs check (first order, and the second-order rows of `check --order 2`) over standard test
functions of optimisation (Rosenbrock, Himmelblau, Booth, Beale, Matyas, sphere, ...) and
tanh/exp/log/sin compositions, at several points each, stationary points included, plus
`--samples` random points near each.  Every row's numeric value is compared with the exact
derivative from SymPy (50 digits at the very doubles checked):

    relative error = |numeric - exact| / max(|exact|, tiny)

where tiny = 1e-10 (the functions are of order 1: below that, an exact value is the rounding
of a stationary point given to 8 digits, and a relative error means nothing), over the rows
whose exact value is not 0 (rows where it is 0 are listed apart: their largest |numeric|).
A false fail is a row with status `fail` although autograd's value is right (it is checked
against SymPy too); `inconclusive` rows are counted apart.

    python benchmarks/check_accuracy.py [--samples N] [--order 1|2|both] [--verbose]

Prints median and p90 (and max) of the relative error, the status counts, and for first order
the mean number of evaluations of f per row.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections import Counter
from dataclasses import dataclass

import sympy as sp

TINY = 1e-10  # the functions are of order 1: an exact value below this is a stationary point's rounding

# name, program (gradcli syntax, also read by SymPy), points (stationary ones first where known)
FUNCTIONS = [
    ("rosenbrock", "(1 - x)**2 + 100*(y - x**2)**2", [(1, 1), (1.2, 0.7), (-1.5, 2)]),
    ("himmelblau", "(x**2 + y - 11)**2 + (x + y**2 - 7)**2", [(3, 2), (-0.270845, -0.923039), (1, 1)]),
    ("booth", "(x + 2*y - 7)**2 + (2*x + y - 5)**2", [(1, 3), (0, 0), (-2.5, 4.25)]),
    ("beale", "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2", [(3, 0.5), (1, 1), (-1, 1.5)]),
    ("matyas", "0.26*(x**2 + y**2) - 0.48*x*y", [(0, 0), (1, -2), (7.5, 3.25)]),
    ("sphere", "x**2 + y**2 + z**2", [(0, 0, 0), (1, 2, 3), (-0.5, 1e-3, 40)]),
    ("three_hump_camel", "2*x**2 - 1.05*x**4 + x**6/6 + x*y + y**2", [(0, 0), (1, -0.5), (-1.7, 0.9)]),
    ("mccormick", "sin(x + y) + (x - y)**2 - 1.5*x + 2.5*y + 1", [(-0.54719755, -1.54719755), (1, 1), (3, -2)]),
    ("styblinski_tang", "(x**4 - 16*x**2 + 5*x + y**4 - 16*y**2 + 5*y)/2", [(-2.903534, -2.903534), (0, 0), (1, 2)]),
    ("easom", "-cos(x)*cos(y)*exp(-((x - pi)**2 + (y - pi)**2))", [(math.pi, math.pi), (3, 3.5), (2.5, 4)]),
    (
        "levi",
        "sin(3*pi*x)**2 + (x - 1)**2*(1 + sin(3*pi*y)**2) + (y - 1)**2*(1 + sin(2*pi*y)**2)",
        [(1, 1), (0.3, -0.2)],
    ),
    (
        "goldstein_price_part",
        "(1 + (x + y + 1)**2*(19 - 14*x + 3*x**2 - 14*y + 6*x*y + 3*y**2))",
        [(0, -1), (0.5, 0.3)],
    ),
    ("tanh_exp", "tanh(x*y) + exp(-x)", [(0.3, 0.7), (0, 0), (-2, 1.5)]),
    ("log_sin", "log(1 + x**2)*sin(y)", [(1.5, 0.4), (0, 0), (-3, 2.5)]),
    ("exp_sin_cos", "exp(sin(x))*cos(y)", [(0.2, 1.1), (math.pi / 2, 0), (4, -1)]),
    ("softplus_product", "log(1 + exp(x*y)) - x*y/2", [(0.5, -1.2), (0, 0), (3, 2)]),
    ("gaussian_bump", "x*exp(-(x**2 + y**2 + z**2))", [(0.5, -0.3, 0.8), (1 / math.sqrt(2), 0, 0), (2, 1, -1)]),
    ("sigmoid_chain", "1/(1 + exp(-(x*y - z)))", [(0.4, 2, 0.8), (1, 1, 1), (-3, 2, 0.5)]),
]


@dataclass
class Sample:
    function: str
    row: str
    exact: float
    analytic: float
    numeric: float
    status: str


def exact_derivatives(program: str, names: list[str], point: dict[str, float], order: int) -> dict[str, float]:
    """Row name -> exact derivative (SymPy at 50 digits, at the given doubles)."""
    symbols = {n: sp.Symbol(n) for n in names}
    expr = sp.sympify(program, locals={**symbols, "pi": sp.pi})
    at = {symbols[n]: sp.Rational(point[n]) for n in names}  # the very doubles, exactly
    out = {}
    for j, b in enumerate(names):
        if order == 1:
            out[b] = float(sp.diff(expr, symbols[b]).subs(at).evalf(50))
        else:
            for a in names[: j + 1]:
                out[f"d2:{a},{b}"] = float(sp.diff(expr, symbols[a], symbols[b]).subs(at).evalf(50))
    return out


def first_order(name: str, program: str, point: dict[str, float], samples: int, counter: list[int]) -> list[Sample]:
    from gradcli.analysis import probe
    from gradcli.analysis.check import CheckOptions, check
    from gradcli.build.standard import evaluate

    graph = evaluate(f"f = {program}", point)
    original = probe.Probe.__call__

    def counted(self, t):
        counter[0] += 1
        return original(self, t)

    probe.Probe.__call__ = counted
    try:
        report = check(graph, CheckOptions(samples=samples, seed=1))
    finally:
        probe.Probe.__call__ = original
    counter[1] += sum(1 for row in report.rows if row.name in point)
    names = list(point)
    exact = [exact_derivatives(program, names, p, 1) for p in report.points]
    return [
        Sample(name, row.name, exact[row.point][row.name], row.analytic, row.numeric, row.status)
        for row in report.rows
        if row.name in point
    ]


def second_order(name: str, program: str, point: dict[str, float], samples: int) -> list[Sample]:
    import random

    from gradcli.analysis.check_order2 import second_order_rows
    from gradcli.build.standard import evaluate

    rng = random.Random(1)
    points = [point] + [
        {n: x + 0.25 * max(1.0, abs(x)) * rng.uniform(-1, 1) for n, x in point.items()} for _ in range(samples)
    ]
    out = []
    for p in points:
        graph = evaluate(f"f = {program}", p)
        exact = exact_derivatives(program, list(p), p, 2)
        for row in second_order_rows(graph, 0):
            out.append(Sample(name, row.name, exact[row.name], row.analytic, row.numeric, row.status))
    return out


def summary(title: str, rows: list[Sample], verbose: bool) -> None:
    nonzero = [r for r in rows if r.exact != 0.0 and math.isfinite(r.numeric)]
    rel = sorted(abs(r.numeric - r.exact) / max(abs(r.exact), TINY) for r in nonzero)
    zeros = [abs(r.numeric) for r in rows if r.exact == 0.0]
    wrong_analytic = [r for r in rows if abs(r.analytic - r.exact) > 1e-9 * max(1.0, abs(r.exact))]
    false_fails = [r for r in rows if r.status == "fail" and r not in wrong_analytic]
    statuses = Counter(r.status for r in rows)
    print(f"\n{title}: {len(rows)} rows ({len(nonzero)} with exact != 0, {len(zeros)} exact zeros)")
    if rel:
        p90 = rel[min(len(rel) - 1, int(0.9 * len(rel)))]
        print(f"  relative error: median {statistics.median(rel):.2g}, p90 {p90:.2g}, max {rel[-1]:.2g}")
    if zeros:
        print(f"  exact zeros: largest |numeric| {max(zeros):.2g}")
    print(f"  statuses: {dict(statuses)}")
    print(f"  false fails: {len(false_fails)}; autograd differing from SymPy: {len(wrong_analytic)}")
    for r in false_fails + [r for r in rows if r.status == "inconclusive"] if verbose else false_fails:
        print(f"    {r.function} {r.row}: exact {r.exact!r} analytic {r.analytic!r} numeric {r.numeric!r} {r.status}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3, help="random points near each point (default 3)")
    parser.add_argument("--order", choices=("1", "2", "both"), default="both")
    parser.add_argument("--verbose", action="store_true", help="also list every inconclusive row")
    args = parser.parse_args(argv)
    first, second, counter = [], [], [0, 0]
    for name, program, points in FUNCTIONS:
        names = ["x", "y", "z"][: len(points[0])]
        for p in points:
            point = dict(zip(names, map(float, p)))
            if args.order in ("1", "both"):
                first += first_order(name, program, point, args.samples, counter)
            if args.order in ("2", "both"):
                second += second_order(name, program, point, args.samples)
    print(f"check accuracy over {len(FUNCTIONS)} functions, {args.samples} samples near each point")
    if first:
        summary("first order", first, args.verbose)
        print(f"  evaluations of f per row: {counter[0] / max(1, counter[1]):.1f}")
    if second:
        summary("second order (check --order 2)", second, args.verbose)
    fails = sum(r.status == "fail" for r in first + second)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
