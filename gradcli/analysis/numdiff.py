"""Numerical derivatives of a function of one float, with an error estimate to be trusted.

The derivative is Ridders' method (gradcli.analysis.richardson): central differences at
steps h0, h0/2, ... extrapolated to h = 0, each entry with an error estimate.

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

The values at the steps round: 2 eps |f(x +- h)| (which for x*x at x = 1e-30 and h = 0.1 is
far above eps |f(x)|), plus whatever rounding noise the caller knows f to carry.

Kinks (relu and abs at 0, a min/max tie) are found exactly, from which piece each piecewise
op (one whose `Op.branch` is set) is on at x - h, x and x + h for the smallest step scanned
(so relu(x - 1e-9) at 0 is no kink), and also by comparing the one-sided derivatives; both are
then reported.  Where f is undefined on one side at the smallest step, the estimate is
one-sided.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from gradcli.analysis.richardson import Neville, exact_step, ridders

EPS = 2.0**-52  # spacing of doubles at 1.0
TOP = 0.1  # the scan's first step, relative to max(1, |x|)
DECADES = 60  # most decades scanned (from x = 0: steps down to 1e-61)
BOTTOM = 2.0**-50  # the scan's last step relative to |x|: below, f's digits barely change
CONVERGING = {2: 0.1, 1: 0.3}  # a trusted quotient's next change, at most (D + c h^p: 10^-p)
CURVING = 0.05  # a trusted even part shrinks at least this much a decade (h^2: 0.01)
AT_NOISE = 4.0  # differences within this many rounding errors are rounding
NOISE = 2.0 * EPS  # relative rounding error assumed in each value of f
KINK_SLACK = 1e-8  # one-sided derivatives closer than this (relative) never make a kink
ONE_SIDED = "defined only on one side of this point"  # the note of a one-sided estimate
JUMPS = "the function jumps here"  # the note where f's one-sided limits are not f(x)


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
    jump: bool = False  # (with `jumps`) f's one-sided limits at a kink are not both f(x): no derivative exists


def derivative(
    f: Callable[[float], float],
    x: float,
    *,
    piece: Callable[[float], Hashable] | None = None,
    at_kink: bool = False,
    noise: float | None = None,
    jumps: bool = False,
) -> Estimate:
    """f'(x) by Richardson-extrapolated differences, with an error estimate.

    `piece(t)` says which piece of a piecewise f the point t is on (any comparable value);
    it is called right after f(t), so it may read state that f(t) left behind.  `at_kink`
    says x itself is a switch point.  `noise` is the absolute rounding error of f's values
    near x (a graph knows it, see Probe.rounding); the rounding of the values at the steps,
    2 eps |f(x +- h)|, is always added.  Points where f raises ArithmeticError/ValueError or
    is not finite count as undefined: the steps shrink, or the estimate turns one-sided.  An
    error in f(x) itself propagates.  `jumps` says f may jump at a switch point (a gradient
    at a kink: relu' is 0 at 0 and 1 just right of it): one-sided quotients then never use
    f(x), only two points on the side, and `Estimate.jump` says whether it did jump.
    """
    fx = f(x)
    px = piece(x) if piece else None  # right after f(x), as the protocol requires
    if not (math.isfinite(x) and math.isfinite(fx)):
        return Estimate(math.nan, math.inf, note="f is not finite at x")
    differences = _Differences(f, piece, x, fx, px, noise)
    differences.jumps = jumps
    estimate = differences.estimate(at_kink)
    estimate.variation = differences.variation
    estimate.size = abs(fx) / max(1.0, abs(x))
    return estimate


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
    # The run's largest step, not its second: Ridders' table removes the h^2, h^4 terms the
    # run has shown to shrink, and its rounding error, eps |f| / h, is the smallest there
    # (starting a decade lower cost a factor 4 in median accuracy: 4.3e-14 against 1.0e-14).
    return series[k - 1]


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
        self.seen: dict[float, tuple[float, Hashable] | None] = {}  # t -> at(t): the table's first step was scanned
        self.jumps = False  # f may jump at x: one-sided quotients from two points on the side
        self.limits: dict[float, tuple[float, float]] = {}  # (with jumps) side -> f's limit there and its error

    def at(self, t: float) -> tuple[float, Hashable] | None:
        """(f(t), the piece t is on), or None where f is undefined."""
        if t in self.seen:
            return self.seen[t]
        try:
            y = self.f(t)
        except (ArithmeticError, ValueError):
            y = math.nan
        sample = None
        if math.isfinite(y):
            self.variation = max(self.variation, abs(y - self.fx))
            sample = y, (self.piece(t) if self.piece else None)
        self.seen[t] = sample
        return sample

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
            h = exact_step(x, top * 10.0**-k)
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
        run = 4 if at_kink and self.jumps else 3  # decades: a jump's quotients take two each
        if len(self.decades) < run:
            return False
        if not at_kink:
            central = self.central_series(-3)
            return len(central) == 3 and _trusted(central, 2, moving=True)
        sides = [self.side_series(sign, -run) for sign in (-1.0, 1.0)]
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
        """One-sided quotients (f(x + sign h) - f(x)) / sign h on the piece of the smallest step;
        with `jumps`, (f(x + sign h) - f(x + sign h')) / sign (h - h') with h' the next decade's."""
        last = self._sample(-1, sign)
        out = []
        for k in range(len(self.decades))[first:]:
            h, sample = self.decades[k][0], self._sample(k, sign)
            if not (sample and last and sample[1] == last[1]):
                continue
            base, step = self.fx, h
            if self.jumps:
                inner = self._sample(k + 1, sign) if k + 1 < len(self.decades) else None
                if not (inner and inner[1] == last[1]):
                    continue
                base, step = inner[0], h - self.decades[k + 1][0]
            rounding = self.rounding(sample[0], base)
            quotient = (sample[0] - base) / (sign * step)
            out.append(_Quotient(k, h, quotient, 2.0 * rounding / step, rounding, abs(sample[0] - base), None))
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
        self.jumps = self.jumps and bool(below and above)  # at a domain's edge f is continuous from its side
        left = self.side(-1.0) if below else None
        right = self.side(+1.0) if above else None
        if left and right:
            if kink or _differ(left[0], right[0]):
                return self.jumped(_kink(left, right, kink or "the one-sided derivatives differ"))
            table, slope = min(left, right, key=lambda side: side[0].error)
            return Estimate(table.value, table.error, slope=slope)
        if left or right:
            steepest = max((abs(q.value) for q in self.side_series(-1.0 if left else 1.0)), default=0.0)
            return _one_sided(left, right, steepest)
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

        tables = ridders(x, start.h, quotients, (2, 1, 1))
        if tables is None:
            return None
        central, left, right = tables
        slope = start.change / start.h
        if _differ(left, right):
            return _kink((left, slope), (right, slope), "the one-sided derivatives differ")
        return Estimate(central.value, central.error, slope=slope)

    def jumped(self, estimate: Estimate) -> Estimate:
        """With `jumps`: whether f's one-sided limits (extrapolated) differ from f(x), and the note."""
        if len(self.limits) < 2:
            return estimate
        (below, below_error), (above, above_error) = self.limits[-1.0], self.limits[1.0]
        estimate.jump = any(
            abs(limit - self.fx) > 2.0 * error + AT_NOISE * self.rounding(limit, self.fx)
            for limit, error in ((below, below_error), (above, above_error))
        )
        if estimate.jump:
            estimate.note = f"{JUMPS}: {below:.6g} below, {self.fx:.6g} at the point, {above:.6g} above"
        return estimate

    def side(self, sign: float) -> tuple[Neville, float] | None:
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
            if not self.jumps:
                return (((sample[0] - fx) / (sign * h), 2.0 * self.rounding(sample[0], fx) / h),)
            # f(x) may be neither limit: (f(x+sh) - f(x+sh/2)) / (sh/2) = f'(x+-) + 3/4 f'' sh + ...,
            # and f(x + sh) itself extrapolates to the limit f(x+-)
            half = exact_step(x, 0.5 * h)
            inner = self.at(x + sign * half)
            if inner is None or inner[1] != piece or not 0.0 < half < h:
                return None
            rounding = self.rounding(sample[0], inner[0])
            return ((sample[0] - inner[0]) / (sign * (h - half)), 2.0 * rounding / (h - half)), (sample[0], rounding)

        tables = ridders(x, start.h, quotient, (1, 1) if self.jumps else (1,))
        if not tables:
            return None
        if self.jumps:
            self.limits[sign] = (tables[1].value, tables[1].error)
        return tables[0], start.change / start.h


def _differ(left: Neville, right: Neville) -> bool:
    """The one-sided derivatives disagree by more than their errors (a kink)."""
    gap = abs(left.value - right.value)
    return gap > 2.0 * (left.error + right.error) + KINK_SLACK * max(abs(left.value), abs(right.value))


def _one_sided(left: tuple[Neville, float] | None, right: tuple[Neville, float] | None, steepest: float) -> Estimate:
    """The estimate where f is defined on one side of x only, from that side's (table, slope).
    Its slope scale is the steepest quotient the scan saw on that side: a table that had to
    start at the smallest step (x**1.5 at 0: 1e-60) sees slopes of 1e-30 there, not f's.

    At the edge of its domain f rarely has a Taylor series (x**1.5 at 0: the quotients go as
    h**0.5, which Richardson's integer powers do not remove), so the table's own error is not
    trusted: the estimate is no closer to the limit than twice its distance from the smallest
    step's plain quotient (for c h**a with a >= 1/2 that bounds the error), nor than its
    distance from Aitken's limit of the last three quotients (exact for D + c h**a, any a)."""
    table, slope = left or right
    side = "left" if left else "right"
    error = max(table.error, 2.0 * abs(table.value - table.quotients[-1]))
    limit = _aitken(table.quotients[-3:])
    if limit is not None:
        error = max(error, abs(table.value - limit))
    estimate = Estimate(table.value, error, note=f"{ONE_SIDED} (from the {side})", slope=max(slope, steepest))
    if left:
        estimate.left, estimate.left_error = table.value, error
    else:
        estimate.right, estimate.right_error = table.value, error
    return estimate


def _aitken(q: Sequence[float]) -> float | None:
    """The limit of q(h), q(h/2), q(h/4) for q(h) = D + c h**a, whatever a > 0 (Aitken's delta
    squared: a geometric approach to D), or None unless they approach it monotonically."""
    if len(q) < 3:
        return None
    first, second = q[1] - q[0], q[2] - q[1]
    if not (first and 0.0 < second / first < 1.0):
        return None
    return q[2] - second * second / (second - first)


def _kink(left: tuple[Neville, float], right: tuple[Neville, float], note: str) -> Estimate:
    """The estimate at a kink from (table, slope) on each side."""
    (lo, lo_slope), (hi, hi_slope) = left, right
    mean = 0.5 * (lo.value + hi.value)
    error = max(lo.error, hi.error)
    slope = max(lo_slope, hi_slope)
    return Estimate(mean, error, lo.value, hi.value, True, note, lo.error, hi.error, slope=slope)
