"""Richardson extrapolation of difference quotients to h = 0: Ridders' method.

Central differences

    D(h) = (f(x+h) - f(x-h)) / 2h = f'(x) + c1 h^2 + c2 h^4 + ...

at steps h0, h0/2, h0/4, ... (each rounded so that x +- h are exact) are extrapolated to
h = 0 by a Neville table that removes the h^2, h^4, ... terms one column at a time (one-sided
quotients: h, h^2, ...).  Each entry's error is estimated from its neighbours in the table and
floored by the rounding noise of f divided by h; a linear f has no truncation error at all, so
without the floor it would claim to be exact.  On smooth functions this reaches ~1e-13
relative, where a single central step reaches ~1e-10 at best.  Pure numerics on floats.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

MAX_ROWS = 40  # most steps in one table: a far too large h0 needs many halvings
MAX_COLUMNS = 8  # Richardson levels: removes h^2 ... h^16 (central), h ... h^8 (one-sided)
SHRINKS = 20  # halvings of h0 allowed to find a step where f is defined and on one piece
SETTLED = 1e-9  # relative error below which an estimate counts as settled


def exact_step(x: float, h: float) -> float:
    """h rounded so that x + h and x - h are exact: h = (|x| + h) - |x| (exact for h <= |x|)."""
    a = abs(x)
    return (a + h) - a


class Neville:
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


def ridders(x: float, h0: float, quotients: Quotients, powers: Sequence[int]) -> list[Neville] | None:
    """Tables of difference quotients at steps h0/2^k, each extrapolated to h = 0.

    `quotients(h)` gives one (D(h), noise) per table, or None where the stencil is unusable
    (f undefined there, or on another piece).  A run of usable steps fills one set of tables;
    an unusable step ends the run, and unless it has settled the search goes on with smaller
    steps.  The first table leads: it says when to stop, and its error picks the best run.
    None if no step down to h0/2^SHRINKS is usable.
    """
    best: list[Neville] | None = None
    tables: list[Neville] | None = None
    previous = math.inf
    for k in range(SHRINKS + MAX_ROWS):
        h = exact_step(x, h0 * 0.5**k)
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
            tables = [Neville(p) for p in powers]
        more = [table.add(h, d, noise) for table, (d, noise) in zip(tables, found)]
        if not more[0]:
            break
    best = _better(best, tables)
    if best:
        _confirm(best[0], x, quotients)
    return best


def _confirm(table: Neville, x: float, quotients: Quotients) -> None:
    """One more step off the grid of halvings, between the last two: for a smooth f, D(h) there
    lies about as close to the estimate as at the steps around it.  Far off means aliasing (a
    fast oscillation that looks smooth on the grid), and the error estimate grows to match."""
    if table.rows < 2:
        return
    found = quotients(exact_step(x, table.steps[-1] * math.sqrt(2.0)))
    if found is None:
        return
    d, noise = found[0]
    value, nearby = table.value, table.quotients[-2:]
    expected = 2.0 * max(abs(q - value) for q in nearby) + table.error + 2.0 * noise
    if not abs(d - value) <= expected:
        table.error = max(table.error, abs(d - value))


def _better(a: list[Neville] | None, b: list[Neville] | None) -> list[Neville] | None:
    if a is None or b is None:
        return a or b
    return a if a[0].error <= b[0].error else b
