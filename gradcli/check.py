"""`gradcli check`: verify autograd gradients against numerical derivatives.

The numerical derivative is Ridders' method.  Central differences

    D(h) = (f(x+h) - f(x-h)) / 2h = f'(x) + c1 h^2 + c2 h^4 + ...

at steps h0, h0/2, h0/4, ... (h0 = 0.1 max(1, |x|), each rounded so that x +- h are exact)
are extrapolated to h = 0 by a Neville table that removes the h^2, h^4, ... terms one
column at a time.  Each entry's error is estimated from its neighbours in the table and
floored by the rounding noise of f divided by h; a linear f has no truncation error at
all, so without the floor it would claim to be exact.  On smooth functions this reaches
~1e-13 relative, where a single central step reaches ~1e-10 at best.

On a graph the rounding noise comes from the graph itself: every node n downstream of the
perturbed one rounds by eps |n|, which reaches the output multiplied by d output / d n,
the very gradient being checked (an adjoint error estimate).  So `(x + 1e15) - 1e15` is
reported inconclusive instead of confidently wrong.

Kinks (relu and abs at 0, a min/max tie) are found exactly, from which piece each
piecewise op (one whose `Op.branch` is set) is on at x - h, x and x + h, and also by
comparing the one-sided derivatives; both are then reported.  A step where f is undefined
(log near 0 with a large h) is skipped for a smaller one; at a domain boundary the
estimate is one-sided.

The forward pass is re-run on the already built graph with one value changed, downstream
of it only; the program is never parsed again.  This module imports no typer, rich or lark.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .engine import Value, _finite, compute, local_derivatives, number
from .errors import BindingError, GradcliError, MathError, NameError_, UsageError
from .interpreter import Graph
from .program import Program

EPS = 2.0**-52  # spacing of doubles at 1.0

# -- the numerical derivative -------------------------------------------------------------

H0 = 0.1  # first step, relative to max(1, |x|)
MAX_ROWS = 40  # most steps in one table: a far too large h0 needs many halvings
MAX_COLUMNS = 8  # Richardson levels: removes h^2 ... h^16 (central), h ... h^8 (one-sided)
SHRINKS = 20  # halvings of h0 allowed to find a step where f is defined and on one piece
SETTLED = 1e-9  # relative error below which an estimate counts as settled
ROUGH = 1e-3  # relative error up to which an imprecise estimate may still show a clear failure
NOISE = 2.0 * EPS  # relative rounding error assumed in each value of f
KINK_SLACK = 1e-8  # one-sided derivatives closer than this (relative) never make a kink


@dataclass
class Estimate:
    """A numerical derivative and a bound on its error.

    At a kink `left` and `right` are the one-sided derivatives and `value` their mean (the
    limit of the central difference).  Where f is defined on one side only, the estimate is
    one-sided: `value` equals the `left` or `right` that exists.
    """

    value: float
    error: float
    left: float | None = None
    right: float | None = None
    kink: bool = False
    note: str = ""
    left_error: float = math.inf
    right_error: float = math.inf
    variation: float = math.inf  # the largest |f(t) - f(x)| over the points tried (inf: not measured)


def derivative(
    f: Callable[[float], float],
    x: float,
    *,
    piece: Callable[[float], Hashable] | None = None,
    at_kink: bool = False,
    noise: float | None = None,
) -> Estimate:
    """f'(x) by Richardson-extrapolated differences, with an error estimate.

    `piece(t)` says which piece of a piecewise f the point t is on (any comparable value);
    it is called right after f(t), so it may read state that f(t) left behind.  `at_kink`
    says x itself is a switch point.  `noise` is the absolute rounding error of f's values
    (default: 2 eps |f|; a graph knows better, see _Probe.rounding).  Points where f raises
    ArithmeticError/ValueError or is not finite count as undefined: the steps shrink, or
    the estimate turns one-sided.  An error in f(x) itself propagates.
    """
    fx = f(x)
    px = piece(x) if piece else None  # right after f(x), as the protocol requires
    if not (_finite(x) and _finite(fx)):
        return Estimate(math.nan, math.inf, note="f is not finite at x")
    best, variation = None, 0.0
    # Steps relative to max(1, |x|); if they do not settle, f may change on the scale of x
    # itself (log, sqrt, 1/x near 0): then also steps relative to |x|, and the better estimate.
    for h0 in (H0 * max(1.0, abs(x)), H0 * abs(x)):
        differences = _Differences(f, piece, x, fx, px, noise, h0)
        estimate = differences.estimate(at_kink)
        variation = max(variation, differences.variation)
        if best is None or estimate.error < best.error:
            best = estimate
        if _settled(best) or not 0.0 < abs(x) < 1.0:
            break
    best.variation = variation
    return best


def _settled(estimate: Estimate) -> bool:
    sizes = (estimate.value, estimate.left or 0.0, estimate.right or 0.0)
    return estimate.error <= SETTLED * max(map(abs, sizes))


def _step(x: float, h: float) -> float:
    """h rounded so that x + h and x - h are exact: h = (|x| + h) - |x| (exact for h <= |x|)."""
    a = abs(x)
    return (a + h) - a


class _Neville:
    """Richardson extrapolation of D(h) = D + c1 h^p + c2 h^2p + ... to h = 0 (Ridders).

    Row k holds D(h_k) and its extrapolations T[k][j] = T[k][j-1] + (T[k][j-1] - T[k-1][j-1])
    / ((h_{k-j}/h_k)^p - 1).  The error of T[k][j] is its largest distance to T[k][j-1],
    T[k-1][j-1] and T[k-1][j] (the same order one step back, so that two early rows agreeing
    by coincidence prove nothing), or the rounding noise of D(h_k) as the table amplifies it.
    The best entry so far, by that error, is `value`.  A later row none of whose entries
    comes near `value` raises `error`: smaller steps must confirm an estimate.
    """

    def __init__(self, power: int) -> None:
        self.power = power
        self.steps: list[float] = []
        self.quotients: list[float] = []  # D(h) at each step
        self.last: list[float] = []
        self.value = math.nan
        self.error = math.inf

    @property
    def rows(self) -> int:
        return len(self.steps)

    @property
    def settled(self) -> bool:
        return self.error <= SETTLED * abs(self.value)

    def add(self, h: float, d: float, noise: float) -> bool:
        """Add D(h) with its rounding noise; False once smaller steps cannot help."""
        self.steps.append(h)
        self.quotients.append(d)
        k = self.rows - 1
        row, amplified = [d], noise
        improved, closest = False, abs(d - self.value) - noise
        for j in range(1, min(k, MAX_COLUMNS) + 1):
            r = (self.steps[k - j] / h) ** self.power
            row.append(row[j - 1] + (row[j - 1] - self.last[j - 1]) / (r - 1.0))
            amplified *= (r + 1.0) / (r - 1.0)  # noise n in both terms gives n (r+1)/(r-1)
            closest = min(closest, abs(row[j] - self.value) - amplified)
            if j < len(self.last):
                spread = max(abs(row[j] - row[j - 1]), abs(row[j] - self.last[j - 1]), abs(row[j] - self.last[j]))
                error = max(spread, amplified)
                if error <= self.error:
                    self.value, self.error, improved = row[j], error, True
        if k == 0:
            self.value = d  # one row: a value, but no error estimate yet
        elif not improved and closest > self.error:
            self.error = closest  # a smaller step disagrees with the estimate
        # Ridders' stop: once settled, a row that brings no improvement means noise has taken
        # over.  (Before that, a first step far too large makes the table move a lot at first.)
        diverging = self.settled and not improved
        converged = self.error <= amplified  # at the noise floor: smaller steps only add noise
        self.last = row
        return not (diverging or converged) and self.rows < MAX_ROWS


Quotients = Callable[[float], Sequence[tuple[float, float]] | None]


def _ridders(x: float, h0: float, quotients: Quotients, powers: Sequence[int]) -> list[_Neville] | None:
    """Tables of difference quotients at steps h0/2^k, each extrapolated to h = 0.

    `quotients(h)` gives one (D(h), noise) per table, or None where the stencil is unusable
    (f undefined there, or on another piece).  A run of usable steps fills one set of tables;
    an unusable step ends the run, and unless it has settled the search goes on with smaller
    steps.  The first table leads: it says when to stop, and its error picks the best run.
    None if no step down to h0/2^SHRINKS is usable.
    """
    best: list[_Neville] | None = None
    tables: list[_Neville] | None = None
    previous = math.inf
    for k in range(SHRINKS + MAX_ROWS):
        h = _step(x, h0 * 0.5**k)
        if not 0.0 < h < previous:
            break  # below the spacing of doubles at x: no smaller step exists
        previous = h
        found = quotients(h)
        if found is None:
            if tables:
                best, tables = _better(best, tables), None
                if best[0].settled:
                    break
            elif best is None and k >= SHRINKS:
                return None
            continue
        if tables is None:
            tables = [_Neville(p) for p in powers]
        more = [table.add(h, d, noise) for table, (d, noise) in zip(tables, found)]
        if not more[0]:
            break
    best = _better(best, tables)
    if best:
        _confirm(best[0], x, quotients)
    return best


def _confirm(table: _Neville, x: float, quotients: Quotients) -> None:
    """One more step off the grid of halvings, between the last two: for a smooth f, D(h) there
    lies about as close to the estimate as at the steps around it.  Far off means aliasing (a
    fast oscillation that looks smooth on the grid), and the error estimate grows to match."""
    if table.rows < 2:
        return
    found = quotients(_step(x, table.steps[-1] * math.sqrt(2.0)))
    if found is None:
        return
    d, noise = found[0]
    value, nearby = table.value, table.quotients[-2:]
    expected = 2.0 * max(abs(q - value) for q in nearby) + table.error + 2.0 * noise
    if not abs(d - value) <= expected:
        table.error = max(table.error, abs(d - value))


def _better(a: list[_Neville] | None, b: list[_Neville] | None) -> list[_Neville] | None:
    if a is None or b is None:
        return a or b
    return a if a[0].error <= b[0].error else b


class _Differences:
    """Difference quotients of f around x: central where f is smooth, one-sided otherwise."""

    def __init__(self, f, piece, x: float, fx: float, px, noise: float | None, h0: float) -> None:
        self.f, self.piece = f, piece
        self.x, self.fx, self.px = x, fx, px
        self.noise, self.h0 = noise, h0
        self.variation = 0.0  # the largest |f(t) - f(x)| seen

    def at(self, t: float) -> tuple[float, Hashable] | None:
        """(f(t), the piece t is on), or None where f is undefined."""
        try:
            y = self.f(t)
        except (ArithmeticError, ValueError):
            return None
        if not _finite(y):
            return None
        self.variation = max(self.variation, abs(y - self.fx))
        return y, (self.piece(t) if self.piece else None)

    def rounding(self, *values: float) -> float:
        """The rounding error of f's values: as given, or 2 eps |f|."""
        return NOISE * max(map(abs, values)) if self.noise is None else self.noise

    def estimate(self, at_kink: bool) -> Estimate:
        """Central where f is smooth around x; otherwise separate estimates left and right of
        x: at a kink (both reported), or where f is defined on one side only."""
        x, px = self.x, self.px
        near = _step(x, self.h0 * 0.5**SHRINKS)  # the smallest first step: "a small h"
        below, above = self.at(x - near), self.at(x + near)
        kink = None
        if below and above:
            if not below[1] == px == above[1]:
                kink = "a piecewise op changes branch at this point"
            elif at_kink:
                kink = "a piecewise op is at its switch point"
            elif central := self.central():
                return central
        left = self.side(-1.0, below[1]) if below else None
        right = self.side(+1.0, above[1]) if above else None
        if left and right:
            if kink or _differ(left, right):
                return _kink(left, right, kink or "the one-sided derivatives differ")
            both = min(left, right, key=lambda s: s.error)
            return Estimate(both.value, both.error)
        if left:
            note = "one-sided: undefined just right of here"
            return Estimate(left.value, left.error, left=left.value, note=note, left_error=left.error)
        if right:
            note = "one-sided: undefined just left of here"
            return Estimate(right.value, right.error, right=right.value, note=note, right_error=right.error)
        return Estimate(math.nan, math.inf, note="undefined on both sides of this point")

    def central(self) -> Estimate | None:
        """Ridders' central estimate, checked against the one-sided ones from the same samples."""
        x, fx, px = self.x, self.fx, self.px

        def quotients(h: float):
            below, above = self.at(x - h), self.at(x + h)
            if below is None or above is None or not below[1] == px == above[1]:
                return None  # the stencil leaves the domain or crosses a kink
            fm, fp = below[0], above[0]
            noise = self.rounding(fm, fx, fp) / h
            return ((fp - fm) / (2.0 * h), noise), ((fx - fm) / h, 2.0 * noise), ((fp - fx) / h, 2.0 * noise)

        tables = _ridders(x, self.h0, quotients, (2, 1, 1))
        if tables is None:
            return None
        central, left, right = tables
        if _differ(left, right):
            return _kink(left, right, "the one-sided derivatives differ")
        return Estimate(central.value, central.error)

    def side(self, sign: float, piece: Hashable) -> _Neville | None:
        """Forward (sign +1) or backward (sign -1) quotients (f(x+sh) - f(x)) / sh, extrapolated."""
        x, fx = self.x, self.fx

        def quotient(h: float):
            sample = self.at(x + sign * h)
            if sample is None or sample[1] != piece:
                return None
            return (((sample[0] - fx) / (sign * h), 2.0 * self.rounding(sample[0], fx) / h),)

        tables = _ridders(x, self.h0, quotient, (1,))
        return tables[0] if tables else None


def _differ(left: _Neville, right: _Neville) -> bool:
    """The one-sided derivatives disagree by more than their errors (a kink)."""
    gap = abs(left.value - right.value)
    return gap > 2.0 * (left.error + right.error) + KINK_SLACK * max(abs(left.value), abs(right.value))


def _kink(left: _Neville, right: _Neville, note: str) -> Estimate:
    mean = 0.5 * (left.value + right.value)
    error = max(left.error, right.error)
    return Estimate(mean, error, left.value, right.value, True, note, left.error, right.error)


# -- probing a graph ----------------------------------------------------------------------

EXACT_OPS = frozenset({"neg", "id", "abs", "relu", "min", "max"})  # results without rounding


class _Probe:
    """f(t) = the graph's output with `node` set to t and only the nodes downstream of it
    recomputed (the node's own operands stay as they are)."""

    def __init__(self, graph: Graph, node: Value, needed: set[int], index: dict[int, int]) -> None:
        self.node = node
        self.output = graph.output
        moved = {id(node)}
        self.downstream: list[Value] = []
        for later in graph.nodes[index[id(node)] + 1 :]:
            if id(later) in needed and any(id(a) in moved for a in later.args):
                moved.add(id(later))
                self.downstream.append(later)
        self.switches = [n for n in self.downstream if n.op.branch is not None]
        self.reaches = id(self.output) in moved

    def __call__(self, t: float) -> float:
        self.node.data = t
        for n in self.downstream:
            n.data = compute(n.op, n.args, n.label)
        return self.output.data

    def piece(self, t: float | None = None) -> tuple[int, ...]:
        """The branch each piecewise op downstream is on, as the last call left them."""
        return tuple(n.op.branch(*[a.data for a in n.args]) for n in self.switches)

    def rounding(self) -> float:
        """The rounding error of the output: each node n that moves with the probed value
        rounds by up to eps |n|, which reaches the output times d output / d n (its grad).
        Whether n moves comes from forward-mode tangents; ops that select or negate an
        operand (relu, abs, min, max, neg, id) are exact and add nothing."""
        moving, total = {id(self.node)}, 0.0
        for n in self.downstream:
            local = local_derivatives(n)
            if any(id(a) in moving and d != 0.0 for a, d in zip(n.args, local)):  # nan moves too
                moving.add(id(n))
                if n.op.name not in EXACT_OPS:
                    total += abs(n.data * n.grad)
        return EPS * total if _finite(total) else math.inf

    def derivative(self) -> Estimate:
        """d output / d node at the node's current value."""
        if not self.reaches:
            return Estimate(0.0, 0.0)  # the output does not depend on this node
        changed = [self.node, *self.downstream]
        saved = [n.data for n in changed]
        at_kink = 0 in self.piece()  # a piecewise op sits exactly on its switch point
        try:
            return derivative(self, saved[0], piece=self.piece, at_kink=at_kink, noise=self.rounding())
        finally:  # put back every value the probe changed, even on an exception
            for n, data in zip(changed, saved):
                n.data = data


def _needed(graph: Graph) -> set[int]:
    """ids of the nodes the output depends on, itself included."""
    return {id(node) for node in graph.needed()}


# -- the check ----------------------------------------------------------------------------

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


@dataclass
class _Claim:
    name: str
    text: str
    program: Program
    constant: bool  # no names in it (a number): checked at the given point only


def check(
    graph: Graph,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    samples: int = 0,
    seed: int = 0,
    expect: dict[str, str] | None = None,
    nodes: bool = False,
) -> Report:
    """Compare every input's gradient (and each claim, and with `nodes` every intermediate
    node's) with a numerical derivative, at the graph's point and `samples` points near it.

    Raises MathError where the program or a claim is undefined at the given point, and
    BindingError/UsageError for a bad claim.  The graph's values are restored afterwards and
    its grads are those of graph.backward() at the given point.
    """
    if samples < 0:
        raise UsageError(f"the number of samples must be at least 0, got {samples}")
    if not (rtol >= 0.0 and atol >= 0.0):
        raise UsageError("the tolerances must be non-negative numbers")
    claims = [_parse_claim(graph, name, text) for name, text in (expect or {}).items()]
    targets = _targets(graph, nodes)
    given = {name: node.data for name, node in graph.inputs.items()}
    saved = [(n.data, n.grad) for n in graph.nodes]
    tolerance = (rtol, atol)
    points, rows = [given], []
    try:
        rows += _check_point(graph, 0, targets, claims, tolerance)
        saved = [(n.data, n.grad) for n in graph.nodes]  # grads of backward() at the given point
        rng = random.Random(seed)
        for i in range(1, samples + 1):
            point, point_rows = _check_sample(graph, i, rng, given, targets, claims, tolerance)
            points.append(point)
            rows += point_rows
    finally:
        for n, (data, grad) in zip(graph.nodes, saved):
            n.data, n.grad = data, grad
    ok = all(row.status in ("pass", "kink") for row in rows)
    return Report(graph.output_name, ok, rows, points)


MAX_NODE_ROWS = 2000  # --nodes re-runs the forward pass downstream of each node: O(n^2)


def _targets(graph: Graph, nodes: bool) -> list[tuple[str, Value, _Probe]]:
    """(row name, node, probe) for every input, then (with `nodes`) every intermediate the
    output needs.  A probe's structure does not depend on the values: built once."""
    targets = list(graph.inputs.items())
    if nodes:
        needed = _needed(graph)
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
    needed = _needed(graph)
    index = {id(n): i for i, n in enumerate(graph.nodes)}
    return [(name, node, _Probe(graph, node, needed, index)) for name, node in targets]


def _check_point(graph: Graph, point: int, targets, claims: list[_Claim], tolerance: tuple[float, float]) -> list[Row]:
    """Rows for the inputs' current values (MathError where the program is undefined)."""
    graph.forward()
    graph.backward()
    rows, estimates = [], {}
    for name, node, probe in targets:
        estimate = probe.derivative()
        estimates[id(node)] = estimate
        rows.append(_verdict(point, name, node.data, node.grad, estimate, tolerance))
    for claim in claims:
        if point and claim.constant:
            continue
        node = graph.inputs[claim.name]
        claimed = _evaluate_claim(graph, claim)
        rows.append(_verdict(point, f"expect:{claim.name}", node.data, claimed, estimates[id(node)], tolerance))
    return rows


def _check_sample(graph: Graph, point: int, rng: random.Random, given, targets, claims, tolerance):
    """A random point near the given one, redrawn where the program is undefined or on a kink."""
    for draw in range(MAX_DRAWS):
        values = {name: x + SPREAD * max(1.0, abs(x)) * rng.uniform(-1.0, 1.0) for name, x in given.items()}
        for name, x in values.items():
            graph.inputs[name].data = x
        try:
            rows = _check_point(graph, point, targets, claims, tolerance)
        except MathError:
            continue
        if draw < KINK_REDRAWS and any(row.status == "kink" for row in rows):
            continue
        return values, rows
    nan = math.nan
    note = f"no point near the given one where the program is defined ({MAX_DRAWS} draws)"
    row = Row(point, "sample", nan, nan, nan, math.inf, nan, nan, "inconclusive", note=note)
    return values, [row]


def _verdict(
    point: int, name: str, value: float, analytic: float, estimate: Estimate, tolerance: tuple[float, float]
) -> Row:
    """The row for one gradient, given tolerance = (rtol, atol).

    pass:  |analytic - numeric| <= atol + rtol max(|analytic|, |numeric|), and the numerical
           derivative is itself known that well: error estimate <= atol + rtol |numeric|.
    fail:  the difference exceeds the tolerance, and the numerical derivative is known that
           well, or at least to 3 digits (error <= 1e-3 |numeric|) and the difference exceeds
           tolerance plus error.
    inconclusive: otherwise: the numerical derivative is too uncertain to decide; or, instead
           of a fail, the analytic slope is so steep that f would change more between
           neighbouring doubles than it does over all the steps tried (sin of a huge number:
           f cannot be sampled finely enough).
    At a kink the interval between the one-sided derivatives takes the place of `numeric`,
    and the one-sided derivative nearer the analytic value supplies the error (status `kink`).
    """
    rtol, atol = tolerance
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
    allowed = atol + rtol * scale
    known = atol + rtol * abs(nearest)
    note = estimate.note
    if not _finite(analytic) and _finite(nearest):
        status = "fail"  # a non-finite gradient or claim never agrees with a finite slope
    elif not _finite(nearest):
        status = "inconclusive"
    elif error <= known:
        status = passed if gap <= allowed else "fail"
    elif error <= ROUGH * abs(nearest) and not gap <= allowed + error:
        status = "fail"
    else:
        status = "inconclusive"
    if status == "fail" and _finite(analytic) and abs(analytic) * math.ulp(value) > estimate.variation:
        status = "inconclusive"
        note = "f changes faster than neighbouring doubles at this value can resolve"
    rel = gap / scale if scale else 0.0
    if status == "inconclusive" and not note:
        note = f"the numerical error estimate {error:.2g} exceeds the tolerance {known:.2g}"
    return Row(point, name, value, analytic, numeric, error, gap, rel, status, estimate.left, estimate.right, note)


# -- claims (--expect NAME=CLAIM) ---------------------------------------------------------


def _parse_claim(graph: Graph, name: str, text: str) -> _Claim:
    """A hand-derived dL/dNAME: a number or an expression in the program's names."""
    from .interpreter import check_names, parse_expression

    where = f"expect {name}={text}"
    if name not in graph.inputs:
        inputs = ", ".join(graph.inputs) or "none"
        raise BindingError(f"{where}: '{name}' is not an input of the program (inputs: {inputs})")
    try:
        program = parse_expression(text)
        used, _ = check_names(program, _bindings(graph))
    except NameError_ as exc:
        names = ", ".join(graph.names)
        raise UsageError(f"{where}: {exc.message}", hint=f"a claim can use the program's names: {names}") from None
    except GradcliError as exc:
        raise UsageError(f"{where}: {exc.message}", hint=exc.hint) from None
    return _Claim(name, text, program, constant=not used)


def _evaluate_claim(graph: Graph, claim: _Claim) -> float:
    from .interpreter import build

    try:
        return build(claim.program, _bindings(graph)).output.data
    except MathError as exc:
        raise MathError(f"expect {claim.name}={claim.text}: {exc.message}") from None


def _bindings(graph: Graph) -> dict[str, float]:
    return {name: node.data for name, node in graph.names.items()}


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


__all__ = ["Estimate", "Report", "Row", "STATUSES", "check", "derivative", "to_dict"]
