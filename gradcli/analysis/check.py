"""`gradcli check`: verify autograd gradients against numerical derivatives.

Each input's gradient (each claim, and with --nodes each intermediate node's) is compared
with the numerical derivative of the graph as a function of that node (gradcli.analysis.probe,
gradcli.analysis.numdiff), at the given point and at samples near it; each comparison is a
row with a status: pass, fail, kink or inconclusive.

Tolerance.  A row passes when |analytic - numeric| <= atol + rtol max(|analytic|, |numeric|)
and the numerical error estimate is itself below atol + rtol |numeric|.  atol is the user's
(`--atol`), or by default scaled with the problem: the estimate's own error, as long as that is
below rtol times the problem's gradient scale, max(|f(x +- h0) - f(x)| / h0, |f(x)| / max(1,
|x|)).  So a claim of -1e-12 where the gradient is 1e-17 fails, a gradient of 0 passes as 0 +-
rounding, and an estimate that is not precise on the problem's scale is inconclusive.

This module imports no typer, rich or lark.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from gradcli.analysis.check_claims import Claim, evaluate_claim, parse_claim
from gradcli.analysis.numdiff import Estimate
from gradcli.analysis.probe import Probe, needed_ids
from gradcli.build.graph import Graph
from gradcli.core.brackets import split_top_level
from gradcli.core.engine import Value, positions
from gradcli.core.errors import MathError, UsageError
from gradcli.core.formula import number

ROUGH = 1e-3  # relative error up to which an imprecise estimate may still show a clear failure

STATUSES = ("pass", "fail", "kink", "inconclusive")
SPREAD = 0.25  # sample points: each input moves uniformly within +-SPREAD max(1, |x|)
MAX_DRAWS = 100  # draws per sample point before giving up on finding a defined one
KINK_REDRAWS = 10  # draws per sample point that may land on a kink before one is kept


@dataclass
class Row:
    """One gradient compared.  For a kink, abs_error is the distance of `analytic` from the
    interval between `left` and `right` (0 inside it) and `numeric` is their mean."""

    point: int  # 0: the given point; 1..N: samples
    name: str  # an input; "expect:NAME" for a claim; "node:LABEL" for an intermediate
    value: float  # the value of the input or node
    analytic: float  # autograd's gradient, or the claimed one
    numeric: float
    error_estimate: float
    abs_error: float
    rel_error: float
    status: str  # one of STATUSES
    left: float | None = None
    right: float | None = None
    note: str = ""


@dataclass
class Report:
    output: str
    ok: bool
    rows: list[Row]
    points: list[dict[str, float]] = field(default_factory=list)  # the inputs at each point


class Tolerance(NamedTuple):
    rtol: float
    atol: float | None  # None: scaled with the problem
    allow_nonfinite: bool = False


@dataclass(frozen=True)
class CheckOptions:
    """What check compares, where, and how strictly (the defaults are `gradcli check`'s)."""

    rtol: float = 1e-6
    atol: float | None = None  # None: scaled with the problem (see verdict); a number overrides it
    samples: int = 0  # random points near the given one, checked besides it
    seed: int = 0  # of those points
    expect: dict[str, str] | None = None  # claims: input name -> a hand-derived d output / d input
    nodes: bool = False  # every intermediate node's gradient too
    allow_nonfinite: bool = False  # NaN/inf carried through the forward passes (a row is then inconclusive)


class _Plan(NamedTuple):
    """What is compared at every point: (row name, node, probe) targets, claims, the tolerance."""

    targets: list[tuple[str, Value, Probe]]
    claims: list[Claim]
    tolerance: Tolerance


def check(graph: Graph, options: CheckOptions = CheckOptions()) -> Report:
    """Compare every input's gradient (and each claim, and with `nodes` every intermediate
    node's) with a numerical derivative, at the graph's point and `samples` points near it.

    Raises MathError where the program or a claim is undefined at the given point, and
    BindingError/UsageError for a bad claim.  The graph's values are restored afterwards and
    its grads are those of graph.backward() at the given point.
    """
    o = options
    if o.samples < 0:
        raise UsageError(f"the number of samples must be at least 0, got {o.samples}")
    if not (o.rtol >= 0.0 and (o.atol is None or o.atol >= 0.0)):
        raise UsageError("the tolerances must be non-negative numbers")
    claims = [parse_claim(graph, name, text) for name, text in (o.expect or {}).items()]
    plan = _Plan(_targets(graph, o.nodes, o.allow_nonfinite), claims, Tolerance(o.rtol, o.atol, o.allow_nonfinite))
    given = {name: node.data for name, node in graph.inputs.items()}
    saved = [(n.data, n.grad) for n in graph.nodes]
    points, rows = [given], []
    try:
        rows += _check_point(graph, 0, plan)
        saved = [(n.data, n.grad) for n in graph.nodes]  # grads of backward() at the given point
        rng = random.Random(o.seed)
        for i in range(1, o.samples + 1):
            point, point_rows = _check_sample(graph, i, rng, given, plan)
            points.append(point)
            rows += point_rows
    finally:
        for n, (data, grad) in zip(graph.nodes, saved):
            n.data, n.grad = data, grad
    ok = all(row.status in ("pass", "kink") for row in rows)
    return Report(graph.output_name, ok, rows, points)


MAX_NODE_ROWS = 2000  # --nodes re-runs the forward pass downstream of each node: O(n^2)


def _targets(graph: Graph, nodes: bool, allow_nonfinite: bool = False) -> list[tuple[str, Value, Probe]]:
    """(row name, node, probe) for every input, then (with `nodes`) every intermediate the
    output needs.  A probe's structure does not depend on the values: built once."""
    targets = list(graph.inputs.items())
    needed = needed_ids(graph)
    if nodes:
        names = graph.display_names()
        inner = [(f"node:{names[i]}", n) for i, n in enumerate(graph.nodes) if n.args and id(n) in needed]
        inner = [(name, n) for name, n in inner if n is not graph.output]
        if len(inner) > MAX_NODE_ROWS:
            raise UsageError(
                f"--nodes would check {len(inner):,} intermediate nodes, each by re-running the forward pass "
                f"downstream of it (time grows as the square of the graph); the limit is {MAX_NODE_ROWS:,}",
                hint="check the inputs without --nodes, or a smaller part of the program with --of",
            )
        targets += inner
    index = positions(graph.nodes)
    return [(name, node, Probe(graph, node, needed, index, allow_nonfinite)) for name, node in targets]


def _check_point(graph: Graph, point: int, plan: _Plan) -> list[Row]:
    """Rows for the inputs' current values (MathError where the program is undefined)."""
    targets, claims, tolerance = plan
    graph.forward(tolerance.allow_nonfinite)
    graph.backward(tolerance.allow_nonfinite)
    rows, estimates = [], {}
    for name, node, probe in targets:
        estimate = probe.derivative(jumps=True)
        estimates[id(node)] = estimate
        rows.append(verdict(point, name, node.data, node.grad, estimate, tolerance))
    for claim in claims:
        if point and claim.constant:
            continue
        node = graph.inputs[claim.name]
        claimed = evaluate_claim(graph, claim)
        rows.append(verdict(point, f"expect:{claim.name}", node.data, claimed, estimates[id(node)], tolerance))
    return rows


def _check_sample(graph: Graph, point: int, rng: random.Random, given: dict[str, float], plan: _Plan):
    """A random point near the given one, redrawn where the program is undefined or on a kink."""
    for draw in range(MAX_DRAWS):
        values = {name: x + SPREAD * max(1.0, abs(x)) * rng.uniform(-1.0, 1.0) for name, x in given.items()}
        for name, x in values.items():
            graph.inputs[name].data = x
        try:
            rows = _check_point(graph, point, plan)
        except MathError:
            continue
        if draw < KINK_REDRAWS and any(row.status == "kink" for row in rows):
            continue
        return values, rows
    nan = math.nan
    note = f"no point near the given one where the program is defined ({MAX_DRAWS} draws)"
    row = Row(point, "sample", nan, nan, nan, math.inf, nan, nan, "inconclusive", note=note)
    return values, [row]


def verdict(point: int, name: str, value: float, analytic: float, estimate: Estimate, tolerance: Tolerance) -> Row:
    """The row for one gradient.  With allowed = rtol max(|analytic|, |numeric|) + atol:

    pass:  |analytic - numeric| <= allowed, and the numerical derivative is itself known that
           well: error estimate <= atol + rtol |numeric|.
    fail:  the difference exceeds the tolerance, and the numerical derivative is known that
           well, or at least to 3 digits (error <= 1e-3 |numeric|) and the difference exceeds
           tolerance plus error.
    inconclusive: otherwise: the numerical derivative is too uncertain to decide; or, instead
           of a fail, the analytic slope is so steep that f would change more between
           neighbouring doubles than it does over all the steps tried (sin of a huge number:
           f cannot be sampled finely enough).
    At a kink the interval between the one-sided derivatives takes the place of `numeric`,
    and the one-sided derivative nearer the analytic value supplies the error (status `kink`).
    Where f itself jumps at the kink (check --order 2: dy/dx of relu(x)*y at 0) no derivative
    exists to compare with: a finite analytic value is a `kink` row with the one-sided values.
    Where f is defined on one side only, see _at_edge.  `atol` is the user's, or else _auto_atol's.
    """
    numeric, error, passed = estimate.value, estimate.error, "pass"
    nearest = numeric
    gap = abs(analytic - numeric)
    scale = max(abs(analytic), abs(numeric))
    if estimate.kink:
        sides = [(estimate.left, estimate.left_error), (estimate.right, estimate.right_error)]
        lo, hi = sorted((estimate.left, estimate.right))
        gap = max(lo - analytic, analytic - hi, 0.0)  # distance from [lo, hi]
        scale = max(abs(analytic), abs(lo), abs(hi))
        nearest, error = min(sides, key=lambda side: abs(analytic - side[0]))
        passed = "kink"
    rtol = tolerance.rtol
    atol = _auto_atol(rtol, estimate, error) if tolerance.atol is None else tolerance.atol
    allowed = atol + rtol * scale
    known = atol + rtol * abs(nearest)
    status = _status(analytic, nearest, error, gap, allowed, known)
    if status == "pass" or (estimate.jump and math.isfinite(analytic)):
        status = passed  # "kink" at a kink; where f jumps (a gradient at relu's 0) no derivative exists to refute
    note = estimate.note
    if status == "fail" and math.isfinite(analytic) and abs(analytic) * math.ulp(value) > estimate.variation:
        status = "inconclusive"
        note = "f changes faster than neighbouring doubles at this value can resolve"
    rel = gap / scale if scale else 0.0
    if not estimate.kink and (estimate.left is None) != (estimate.right is None):
        status, note = _at_edge(name, value, status, estimate)
    if status == "inconclusive" and not note:
        note = f"the numerical error estimate {error:.2g} exceeds the tolerance {known:.2g}"
    return Row(point, name, value, analytic, numeric, error, gap, rel, status, estimate.left, estimate.right, note)


def _at_edge(name: str, value: float, status: str, estimate: Estimate) -> tuple[str, str]:
    """(status, note) where f is defined on one side of the point only.  A one-sided difference
    may confirm a gradient there, never refute it: at the edge of its domain f need not have a
    Taylor series (x**1.5 at 0), so no error estimate from its quotients is to be trusted
    enough for a `fail` (which becomes `inconclusive`)."""
    side = "right" if estimate.right is not None else "left"
    edge = f"defined only on one side of {_variable(name)} = {value:.6g}: one-sided differences from the {side}"
    if status == "pass":
        return status, edge
    return "inconclusive", f"{edge} ({estimate.value:.2g} ± {estimate.error:.2g}) cannot decide at the domain's edge"


def _variable(name: str) -> str:
    """The input or node a row's numerical derivative moves: `x` for x, expect:x, node:x and d2:w,x."""
    kind, sep, rest = name.partition(":")
    if not sep:
        return name
    return second_order_pair(rest)[1] if kind == "d2" else rest


def second_order_pair(rest: str) -> tuple[str, str]:
    """`a,b` of a row `d2:a,b` as (a, b): the comma outside brackets (`W[0,1],x[2]`)."""
    first, *after = split_top_level(rest)
    return (first, ",".join(after)) if after else (rest, rest)


def _auto_atol(rtol: float, estimate: Estimate, error: float) -> float:
    """The absolute tolerance, scaled with the problem: the numerical estimate's own error, as
    long as that is below rtol times the problem's gradient scale, the larger of f's slope over
    the table's first step and |f(x)| / max(1, |x|).  So a gradient of 0 passes as 0 +- rounding
    (cos at 0, a constant piece), a claim of -1e-12 where the gradient is 1e-17 fails, and an
    estimate whose error is large on the problem's scale stays inconclusive."""
    slope = estimate.slope if math.isfinite(estimate.slope) else 0.0
    size = estimate.size if math.isfinite(estimate.size) else 0.0
    return min(error, rtol * max(slope, size))


def _status(analytic: float, nearest: float, error: float, gap: float, allowed: float, known: float) -> str:
    if not math.isfinite(analytic) and math.isfinite(nearest):
        return "fail"  # a non-finite gradient or claim never agrees with a finite slope
    if not math.isfinite(nearest):
        return "inconclusive"
    if error <= known:
        return "pass" if gap <= allowed else "fail"
    if error <= ROUGH * abs(nearest) and not gap <= allowed + error:
        return "fail"
    return "inconclusive"


# -- JSON -----------------------------------------------------------------------------------


def to_dict(report: Report) -> dict[str, Any]:
    """The JSON document of `gradcli check` (DESIGN §3); non-finite numbers as strings."""
    return {
        "output": report.output,
        "ok": report.ok,
        "results": [_row_dict(row) for row in report.rows],
        "points": [{name: number(x) for name, x in point.items()} for point in report.points],
    }


def _row_dict(row: Row) -> dict[str, Any]:
    out: dict[str, Any] = {"point": row.point, "name": row.name}
    for key in ("value", "analytic", "numeric", "error_estimate", "abs_error", "rel_error"):
        out[key] = number(getattr(row, key))
    out["status"] = row.status
    if row.left is not None:
        out["left"] = number(row.left)
    if row.right is not None:
        out["right"] = number(row.right)
    if row.note:
        out["note"] = row.note
    return out


__all__ = ["CheckOptions", "Report", "Row", "STATUSES", "Tolerance", "check", "second_order_pair", "to_dict", "verdict"]
