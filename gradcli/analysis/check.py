"""`gradcli check`: verify autograd gradients against numerical derivatives.

The numerical derivative is Ridders' method.  Central differences

    D(h) = (f(x+h) - f(x-h)) / 2h = f'(x) + c1 h^2 + c2 h^4 + ...

at steps h0, h0/2, h0/4, ... (each rounded so that x +- h are exact) are extrapolated to
h = 0 by a Neville table that removes the h^2, h^4, ... terms one column at a time.  Each
entry's error is estimated from its neighbours in the table and floored by the rounding noise
of f divided by h; a linear f has no truncation error at all, so without the floor it would
claim to be exact.  On smooth functions this reaches ~1e-13 relative, where a single central
step reaches ~1e-10 at best.

The first step h0 comes from the function's own scale, found by a scan over decades of h from
0.1 max(1, |x|) down: h0 is the largest step of the first run of three decades whose quotients
behave as the Taylor series says (their changes shrink by ~h^2, or sink into rounding; the
even part f(x+h) + f(x-h) - 2 f(x) shrinks as h^2; f visibly changes).  A narrow feature
(exp(-(x/1e-3)**2), a width of 3 at x = 1000) or an SI-unit input (Planck's constant 6.6e-34)
is found on the way, where a fixed first step 0.1 max(1, |x|) saw exp(-10000) = 0 on both
sides and a flat table that looked settled.  Steps beyond |x| cross 0 (where 1/x, x**p and
exp(a/x) are singular), so a run there is used only if smaller steps find none.  Where no run
is trusted, the table starts at the smallest step and its error estimate says how little it
knows: the row is inconclusive, not a confident fail.

On a graph the rounding noise comes from the graph itself: every node n downstream of the
perturbed one rounds by eps |n|, which reaches the output multiplied by d output / d n,
the very gradient being checked (an adjoint error estimate).  So `(x + 1e15) - 1e15` is
reported inconclusive instead of confidently wrong.  The values at the steps round too
(2 eps |f(x +- h)|, which for x*x at x = 1e-30 and h = 0.1 is far above eps |f(x)|).

Kinks (relu and abs at 0, a min/max tie) are found exactly, from which piece each piecewise
op (one whose `Op.branch` is set) is on at x - h, x and x + h for the smallest step scanned
(so relu(x - 1e-9) at 0 is no kink), and also by comparing the one-sided derivatives; both are
then reported.  Where f is undefined on one side at the smallest step, the estimate is
one-sided.

Tolerance.  A row passes when |analytic - numeric| <= atol + rtol max(|analytic|, |numeric|)
and the numerical error estimate is itself below atol + rtol |numeric|.  atol is the user's
(`--atol`), or by default scaled with the problem: the estimate's own error, as long as that is
below rtol times the problem's gradient scale, max(|f(x +- h0) - f(x)| / h0, |f(x)| / max(1,
|x|)).  So a claim of -1e-12 where the gradient is 1e-17 fails, a gradient of 0 passes as 0 +-
rounding, and an estimate that is not precise on the problem's scale is inconclusive.

The forward pass is re-run on the already built graph with one value changed, downstream
of it only; the program is never parsed again.  This module imports no typer, rich or lark.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from gradcli.build.builder import Graph
from gradcli.core.engine import Value, _finite, compute, local_derivatives, number
from gradcli.core.errors import BindingError, GradcliError, MathError, NameError_, UsageError
from gradcli.lang.program import Program

EPS = 2.0**-52  # spacing of doubles at 1.0

# -- the numerical derivative -------------------------------------------------------------

TOP = 0.1  # the scan's first step, relative to max(1, |x|)
DECADES = 60  # most decades scanned (from x = 0: steps down to 1e-61)
BOTTOM = 2.0**-50  # the scan's last step relative to |x|: below, f's digits barely change
CONVERGING = {2: 0.1, 1: 0.3}  # a trusted quotient's next change, at most (D + c h^p: 10^-p)
CURVING = 0.05  # a trusted even part shrinks at least this much a decade (h^2: 0.01)
AT_NOISE = 4.0  # differences within this many rounding errors are rounding
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
    slope: float = math.nan  # |f(x +- h) - f(x)| / h at the first step of the table: f's slope scale
    size: float = math.nan  # |f(x)| / max(1, |x|): the gradient scale the function's value suggests


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
    near x (a graph knows it, see _Probe.rounding); the rounding of the values at the steps,
    2 eps |f(x +- h)|, is always added.  Points where f raises ArithmeticError/ValueError or
    is not finite count as undefined: the steps shrink, or the estimate turns one-sided.  An
    error in f(x) itself propagates.
    """
    fx = f(x)
    px = piece(x) if piece else None  # right after f(x), as the protocol requires
    if not (_finite(x) and _finite(fx)):
        return Estimate(math.nan, math.inf, note="f is not finite at x")
    differences = _Differences(f, piece, x, fx, px, noise)
    estimate = differences.estimate(at_kink)
    estimate.variation = differences.variation
    estimate.size = abs(fx) / max(1.0, abs(x))
    return estimate


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


class _Quotient(NamedTuple):
    """A difference quotient at one decade of the scan."""

    decade: int  # k: the step is TOP max(1, |x|) / 10^k
    h: float
    value: float
    noise: float  # its rounding error: that of f's values over h
    rounding: float  # the rounding error of f's values there
    change: float  # the largest |f(x +- h) - f(x)| it uses
    even: float | None  # central: (f(x+h) + f(x-h))/2 - f(x), the curvature's share


def _trusted(run: Sequence[_Quotient], power: int, *, moving: bool = False) -> bool:
    """Three quotients at consecutive decades behave as D(h) = D + c h^power + ... does: their
    changes shrink by a decade's factor or sink into rounding; a central one's even part
    shrinks as h^2 or is rounding.  With `moving`, f must also visibly change over the largest
    step: a flat stretch (exp(-10000) = 0 on both sides of a narrow peak) proves nothing."""
    a, b, c = run
    if not a.decade + 2 == b.decade + 1 == c.decade:
        return False
    first, second = b.value - a.value, c.value - b.value
    rounding = abs(second) <= AT_NOISE * (b.noise + c.noise)
    if not (rounding or abs(second) <= CONVERGING[power] * abs(first)):
        return False
    if moving and not a.change > AT_NOISE * a.rounding:
        return False
    if a.even is None:
        return True
    return all(
        abs(q.even) <= CURVING * abs(p.even) or abs(q.even) <= AT_NOISE * q.rounding for p, q in ((a, b), (b, c))
    )


def _start(series: Sequence[_Quotient], power: int) -> _Quotient | None:
    """The largest step of the trusted run that ends the scan: the first step of a Richardson
    table.  Without one, the smallest step (its table will say how little it knows).  The run
    never grows to a step with more rounding error than the next smaller one: where f(x +- h)
    grows faster than h ((x/s)**2 with h >> s), larger steps only look alike in their noise."""
    if not series:
        return None
    k = len(series) - 1
    while k >= 2 and _trusted(series[k - 2 : k + 1], power) and series[k - 1].noise <= series[k].noise:
        k -= 1
    if k == len(series) - 1:
        return series[-1]
    a, b = series[k - 1], series[k]
    same = b.decade == a.decade + 1 and abs(b.value - a.value) <= AT_NOISE * (a.noise + b.noise)
    return a if same and a.noise <= b.noise else b  # a larger step that agrees to rounding, less noisy


class _Differences:
    """Difference quotients of f around x: central where f is smooth, one-sided otherwise.

    A scan over decades of h, from TOP max(1, |x|) down, finds the scale of f: the largest
    steps where the quotients behave as a Taylor series says (see _trusted).  Ridders' table
    starts there.  The scan stops at the first trusted run, or at steps BOTTOM |x| (or DECADES
    decades down): a feature narrower than the first step, an SI-unit input (h ~ 6.6e-34) or a
    domain 1e-12 wide is found on the way.
    """

    def __init__(self, f, piece, x: float, fx: float, px, noise: float | None) -> None:
        self.f, self.piece = f, piece
        self.x, self.fx, self.px = x, fx, px
        self.noise = noise or 0.0
        self.variation = 0.0  # the largest |f(t) - f(x)| seen
        self.decades: list[tuple[float, tuple | None, tuple | None]] = []  # (h, f(x-h), f(x+h)) samples

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
        """The rounding error of f's values: the given noise near x, and at least 2 eps |f| at
        each value (f(x +- h) may be far larger than f(x): x*x at 1e-30 with h = 0.1)."""
        return max(self.noise, NOISE * max(map(abs, values)))

    # -- the scan ----------------------------------------------------------------------------

    def scan(self, at_kink: bool) -> None:
        """Samples at x +- h for h = TOP max(1, |x|) / 10^k, down to the first trusted run of
        steps smaller than |x|.  A run of steps beyond |x| (which cross 0, where SI-unit formulas
        are singular: Planck's law is linear in k far from its k) is kept only if smaller steps
        find none (x + 1 at x = 1e-30 has nothing but rounding below 1e-30)."""
        x, top = self.x, TOP * max(1.0, abs(self.x))
        previous, candidate = math.inf, None
        for k in range(DECADES):
            h = _step(x, top * 10.0**-k)
            if not 0.0 < h < previous or (self.decades and h < BOTTOM * abs(x)):
                break  # below the spacing of doubles at x, or too few digits of f left to change
            previous = h
            self.decades.append((h, self.at(x - h), self.at(x + h)))
            if self._found(at_kink):
                if x == 0.0 or self.decades[-3][0] < abs(x):
                    return
                candidate = candidate or len(self.decades)
        if candidate:
            del self.decades[candidate:]

    def _found(self, at_kink: bool) -> bool:
        """The last three decades are a trusted run: centrally, or (at a switch point the graph
        announces) on each side.  A side alone never ends the scan: far from x it can look
        linear in a regime of its own (Planck's law for h < 0, where exp(h c/(lam k T)) -> 0),
        and smaller steps may still find both sides defined."""
        if len(self.decades) < 3:
            return False
        if not at_kink:
            central = self.central_series(-3)
            return len(central) == 3 and _trusted(central, 2, moving=True)
        sides = [self.side_series(sign, -3) for sign in (-1.0, 1.0)]
        defined = [s for sign, s in zip((-1.0, 1.0), sides) if self._sample(-1, sign) is not None]
        return bool(defined) and all(len(s) == 3 and _trusted(s, 1) for s in defined)

    def _sample(self, k: int, sign: float) -> tuple[float, Hashable] | None:
        return self.decades[k][2 if sign > 0 else 1]

    def central_series(self, first: int = 0) -> list[_Quotient]:
        """Central quotients (f(x+h) - f(x-h)) / 2h where both points are on x's piece."""
        out = []
        for k in range(len(self.decades))[first:]:
            h, below, above = self.decades[k]
            if below and above and below[1] == self.px == above[1]:
                fm, fp = below[0], above[0]
                rounding = self.rounding(fm, self.fx, fp)
                change = max(abs(fm - self.fx), abs(fp - self.fx))
                even = 0.5 * (fp + fm) - self.fx
                out.append(_Quotient(k, h, (fp - fm) / (2.0 * h), rounding / h, rounding, change, even))
        return out

    def side_series(self, sign: float, first: int = 0) -> list[_Quotient]:
        """One-sided quotients (f(x + sign h) - f(x)) / sign h on the piece of the smallest step."""
        last = self._sample(-1, sign)
        out = []
        for k in range(len(self.decades))[first:]:
            h, sample = self.decades[k][0], self._sample(k, sign)
            if sample and last and sample[1] == last[1]:
                rounding = self.rounding(sample[0], self.fx)
                change = abs(sample[0] - self.fx)
                out.append(
                    _Quotient(k, h, (sample[0] - self.fx) / (sign * h), 2.0 * rounding / h, rounding, change, None)
                )
        return out

    # -- the estimate ------------------------------------------------------------------------

    def estimate(self, at_kink: bool) -> Estimate:
        """Central where f is smooth around x; otherwise separate estimates left and right of
        x: at a kink (both reported), or where f is defined on one side only.  Which case it
        is, the smallest step scanned says: a kink 1e-9 away is stepped around."""
        self.scan(at_kink)
        if not self.decades:
            return Estimate(math.nan, math.inf, note="no step h where x +- h differ from x")
        _, below, above = self.decades[-1]
        kink = None
        if below and above:
            if not below[1] == self.px == above[1]:
                kink = "a piecewise op changes branch at this point"
            elif at_kink:
                kink = "a piecewise op is at its switch point"
            elif central := self.central():
                return central
        left = self.side(-1.0) if below else None
        right = self.side(+1.0) if above else None
        if left and right:
            if kink or _differ(left[0], right[0]):
                return _kink(left, right, kink or "the one-sided derivatives differ")
            table, slope = min(left, right, key=lambda side: side[0].error)
            return Estimate(table.value, table.error, slope=slope)
        if left or right:
            return _one_sided(left, right)
        return Estimate(math.nan, math.inf, note="undefined on both sides of this point")

    def central(self) -> Estimate | None:
        """Ridders' central estimate, checked against the one-sided ones from the same samples."""
        x, fx, px = self.x, self.fx, self.px
        start = _start(self.central_series(), 2)
        if start is None:
            return None

        def quotients(h: float):
            below, above = self.at(x - h), self.at(x + h)
            if below is None or above is None or not below[1] == px == above[1]:
                return None  # the stencil leaves the domain or crosses a kink
            fm, fp = below[0], above[0]
            noise = self.rounding(fm, fx, fp) / h
            return ((fp - fm) / (2.0 * h), noise), ((fx - fm) / h, 2.0 * noise), ((fp - fx) / h, 2.0 * noise)

        tables = _ridders(x, start.h, quotients, (2, 1, 1))
        if tables is None:
            return None
        central, left, right = tables
        slope = start.change / start.h
        if _differ(left, right):
            return _kink((left, slope), (right, slope), "the one-sided derivatives differ")
        return Estimate(central.value, central.error, slope=slope)

    def side(self, sign: float) -> tuple[_Neville, float] | None:
        """Forward (sign +1) or backward (sign -1) quotients (f(x+sh) - f(x)) / sh, extrapolated;
        with the slope of f over the first step."""
        x, fx = self.x, self.fx
        piece = self._sample(-1, sign)[1]
        start = _start(self.side_series(sign), 1)
        if start is None:
            return None

        def quotient(h: float):
            sample = self.at(x + sign * h)
            if sample is None or sample[1] != piece:
                return None
            return (((sample[0] - fx) / (sign * h), 2.0 * self.rounding(sample[0], fx) / h),)

        tables = _ridders(x, start.h, quotient, (1,))
        return (tables[0], start.change / start.h) if tables else None


def _differ(left: _Neville, right: _Neville) -> bool:
    """The one-sided derivatives disagree by more than their errors (a kink)."""
    gap = abs(left.value - right.value)
    return gap > 2.0 * (left.error + right.error) + KINK_SLACK * max(abs(left.value), abs(right.value))


def _one_sided(left: tuple[_Neville, float] | None, right: tuple[_Neville, float] | None) -> Estimate:
    """The estimate where f is defined on one side of x only, from that side's (table, slope)."""
    table, slope = left or right
    where = "right" if left else "left"
    estimate = Estimate(table.value, table.error, note=f"one-sided: undefined just {where} of here", slope=slope)
    if left:
        estimate.left, estimate.left_error = table.value, table.error
    else:
        estimate.right, estimate.right_error = table.value, table.error
    return estimate


def _kink(left: tuple[_Neville, float], right: tuple[_Neville, float], note: str) -> Estimate:
    """The estimate at a kink from (table, slope) on each side."""
    (lo, lo_slope), (hi, hi_slope) = left, right
    mean = 0.5 * (lo.value + hi.value)
    error = max(lo.error, hi.error)
    slope = max(lo_slope, hi_slope)
    return Estimate(mean, error, lo.value, hi.value, True, note, lo.error, hi.error, slope=slope)


# -- probing a graph ----------------------------------------------------------------------


class _Probe:
    """f(t) = the graph's output with `node` set to t and only the nodes downstream of it
    recomputed (the node's own operands stay as they are)."""

    def __init__(
        self, graph: Graph, node: Value, needed: set[int], index: dict[int, int], allow_nonfinite: bool = False
    ) -> None:
        self.node = node
        self.allow_nonfinite = allow_nonfinite
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
            n.data = compute(n.op, n.args, n.label, self.allow_nonfinite)
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
                if not n.op.exact:  # a result that is an operand or its negation adds no rounding
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


class _Tolerance(NamedTuple):
    rtol: float
    atol: float | None  # None: scaled with the problem
    allow_nonfinite: bool = False


def check(
    graph: Graph,
    *,
    rtol: float = 1e-6,
    atol: float | None = None,
    samples: int = 0,
    seed: int = 0,
    expect: dict[str, str] | None = None,
    nodes: bool = False,
    allow_nonfinite: bool = False,
) -> Report:
    """Compare every input's gradient (and each claim, and with `nodes` every intermediate
    node's) with a numerical derivative, at the graph's point and `samples` points near it.

    `atol` None (the default) scales the absolute tolerance with the problem (see _verdict);
    a number overrides it.  `allow_nonfinite` carries NaN/inf through the forward passes
    instead of raising MathError (a non-finite value then makes a row inconclusive).

    Raises MathError where the program or a claim is undefined at the given point, and
    BindingError/UsageError for a bad claim.  The graph's values are restored afterwards and
    its grads are those of graph.backward() at the given point.
    """
    if samples < 0:
        raise UsageError(f"the number of samples must be at least 0, got {samples}")
    if not (rtol >= 0.0 and (atol is None or atol >= 0.0)):
        raise UsageError("the tolerances must be non-negative numbers")
    claims = [_parse_claim(graph, name, text) for name, text in (expect or {}).items()]
    targets = _targets(graph, nodes, allow_nonfinite)
    given = {name: node.data for name, node in graph.inputs.items()}
    saved = [(n.data, n.grad) for n in graph.nodes]
    tolerance = _Tolerance(rtol, atol, allow_nonfinite)
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


def _targets(graph: Graph, nodes: bool, allow_nonfinite: bool = False) -> list[tuple[str, Value, _Probe]]:
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
    return [(name, node, _Probe(graph, node, needed, index, allow_nonfinite)) for name, node in targets]


def _check_point(graph: Graph, point: int, targets, claims: list[_Claim], tolerance: _Tolerance) -> list[Row]:
    """Rows for the inputs' current values (MathError where the program is undefined)."""
    graph.forward(tolerance.allow_nonfinite)
    graph.backward(tolerance.allow_nonfinite)
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


def _verdict(point: int, name: str, value: float, analytic: float, estimate: Estimate, tolerance: _Tolerance) -> Row:
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
    `atol` is the user's, or else _auto_atol's.
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
    status = _status(analytic, nearest, error, gap, allowed, known, passed)
    note = estimate.note
    if status == "fail" and _finite(analytic) and abs(analytic) * math.ulp(value) > estimate.variation:
        status = "inconclusive"
        note = "f changes faster than neighbouring doubles at this value can resolve"
    rel = gap / scale if scale else 0.0
    if status == "inconclusive" and not note:
        note = f"the numerical error estimate {error:.2g} exceeds the tolerance {known:.2g}"
    return Row(point, name, value, analytic, numeric, error, gap, rel, status, estimate.left, estimate.right, note)


def _auto_atol(rtol: float, estimate: Estimate, error: float) -> float:
    """The absolute tolerance, scaled with the problem: the numerical estimate's own error, as
    long as that is below rtol times the problem's gradient scale, the larger of f's slope over
    the table's first step and |f(x)| / max(1, |x|).  So a gradient of 0 passes as 0 +- rounding
    (cos at 0, a constant piece), a claim of -1e-12 where the gradient is 1e-17 fails, and an
    estimate whose error is large on the problem's scale stays inconclusive."""
    slope = estimate.slope if _finite(estimate.slope) else 0.0
    size = estimate.size if _finite(estimate.size) else 0.0
    return min(error, rtol * max(slope, size))


def _status(
    analytic: float, nearest: float, error: float, gap: float, allowed: float, known: float, passed: str
) -> str:
    if not _finite(analytic) and _finite(nearest):
        return "fail"  # a non-finite gradient or claim never agrees with a finite slope
    if not _finite(nearest):
        return "inconclusive"
    if error <= known:
        return passed if gap <= allowed else "fail"
    if error <= ROUGH * abs(nearest) and not gap <= allowed + error:
        return "fail"
    return "inconclusive"


# -- claims (--expect NAME=CLAIM) ---------------------------------------------------------


def _parse_claim(graph: Graph, name: str, text: str) -> _Claim:
    """A hand-derived dL/dNAME: a number or an expression in the program's names."""
    from gradcli.build.builder import check_names, parse_expression

    where = f"expect {name}={text}"
    if name not in graph.inputs and graph.arrays is not None:  # x[0], x[-1], W[1, 0]: an array input's element
        name = _element_label(graph, name, where)
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
    from gradcli.build.builder import build

    try:
        claimed = build(claim.program, _bindings(graph))
    except MathError as exc:
        raise MathError(f"expect {claim.name}={claim.text}: {exc.message}") from None
    if claimed.arrays is not None and claimed.arrays.output is not None:
        shape = tuple(claimed.arrays.output.shape)
        raise UsageError(f"expect {claim.name}={claim.text}: the claim is an array of shape {shape}, not a number",
                         hint="claim one element's gradient with a scalar expression, e.g. 2*x[0]")  # fmt: skip
    return claimed.output.data


def _bindings(graph: Graph) -> dict[str, float]:
    """Each name's current value; an array's as nested lists (a claim may read x[0], sum(x))."""
    out = {name: node.data for name, node in graph.names.items()}
    if graph.arrays is not None:
        out.update({name: array.data for name, array in graph.arrays.names.items()})
    return out


def _element_label(graph: Graph, name: str, where: str) -> str:
    """`x[-1]` or `W[1, 0]` as the input's label (`x[2]`, `W[1,0]`); `x` alone is refused."""
    from gradcli.build.arrays import shape_text

    shapes = graph.arrays.shapes
    if name in shapes:
        first = ",".join("0" * len(shapes[name]))
        raise UsageError(f"{where}: '{name}' is an array of {shape_text(shapes[name])}: claim one element's gradient",
                         hint=f"for example --expect '{name}[{first}]=...'")  # fmt: skip
    m = re.fullmatch(r"([A-Za-z_]\w*)\[\s*([-+]?\d+(?:\s*,\s*[-+]?\d+)*)\s*\]", name)
    if m is None or m[1] not in shapes:
        return name
    shape, index = shapes[m[1]], [int(t) for t in m[2].split(",")]
    if len(index) != len(shape) or not all(-n <= i < n for i, n in zip(index, shape)):
        raise UsageError(f"{where}: no element {name} in '{m[1]}' ({shape_text(shape)})")
    return m[1] + "[" + ",".join(str(i % n) for i, n in zip(index, shape)) + "]"


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
