"""Correlated inputs (GUM 5.2): `--corr A,B=R` parsed and checked, the correlation matrix and
its Cholesky factor (for Monte Carlo's correlated normals, and to prove the matrix possible)."""

from __future__ import annotations

import math

from gradcli.build.uncertain import Spec
from gradcli.core.errors import BindingError, UsageError


def parse_correlations(texts: list[str], specs: dict[str, Spec], inputs) -> dict[tuple[str, str], float]:
    """{(a, b): r} from `--corr A,B=R` options (a before b in the uncertainty order), checked:
    two different inputs with uncertainties, -1 <= r <= 1, each pair once, the matrix PSD."""
    from gradcli.build.bindings import parse_binding

    order = list(specs)
    out: dict[tuple[str, str], float] = {}
    for text in texts:
        names, sep, r_text = text.partition("=")
        pair = [n.strip() for n in names.split(",")]
        if not sep or len(pair) != 2 or not all(pair) or not r_text.strip():
            raise UsageError(f"bad --corr {text!r}: expected A,B=R, e.g. --corr R,I=0.5")
        for name in pair:
            _check_correlated_name(text, name, specs, inputs)
        a, b = sorted(pair, key=order.index)
        if a == b:
            raise UsageError(f"bad --corr {text!r}: an input is fully correlated with itself; name two inputs")
        try:
            r = parse_binding(f"r={r_text.strip()}")[1]
        except BindingError:
            raise UsageError(f"bad --corr {text!r}: R must be a number between -1 and 1, got {r_text!r}") from None
        if not -1.0 <= r <= 1.0:
            raise UsageError(f"bad --corr {text!r}: a correlation coefficient lies in [-1, 1], got {r:g}")
        if (a, b) in out:
            raise UsageError(f"--corr {a},{b} is given twice")
        out[(a, b)] = r
    if out:
        cholesky(correlation_matrix(order, out), order)  # raises when not positive semidefinite
    return out


def _check_correlated_name(text: str, name: str, specs: dict, inputs) -> None:
    if name in specs:
        return
    if name in inputs:
        raise UsageError(
            f"bad --corr {text!r}: '{name}' has no uncertainty, so it cannot be correlated",
            hint=f"give it one: {name}=VALUE±U",
        )
    known = ", ".join(specs) or "none"
    raise UsageError(f"bad --corr {text!r}: '{name}' is not an input with an uncertainty (those are: {known})")


def correlation_matrix(order: list[str], corr: dict[tuple[str, str], float]) -> list[list[float]]:
    index = {name: i for i, name in enumerate(order)}
    r = [[float(i == j) for j in range(len(order))] for i in range(len(order))]
    for (a, b), value in corr.items():
        r[index[a]][index[b]] = r[index[b]][index[a]] = value
    return r


def cholesky(r: list[list[float]], names: list[str]) -> list[list[float]]:
    """Lower-triangular L with L L^T = r, for a positive SEMIdefinite r too (a zero pivot
    leaves a zero column; it must then have nothing left to carry).  Plain Python: the same
    factor, bit for bit, on every machine, so Monte Carlo is reproducible anywhere."""
    n = len(r)
    low = [[0.0] * n for _ in range(n)]
    tol = 1e-12 * n
    for k in range(n):
        d = r[k][k] - sum(low[k][j] ** 2 for j in range(k))
        if d < -tol:
            raise _not_psd(r, names)
        pivot = math.sqrt(max(d, 0.0))
        low[k][k] = pivot
        for i in range(k + 1, n):
            rest = r[i][k] - sum(low[i][j] * low[k][j] for j in range(k))
            if pivot <= 1e-7:  # a zero pivot: the column must be zero as well
                if abs(rest) > 1e-6:
                    raise _not_psd(r, names)
                continue
            low[i][k] = rest / pivot
    return low


def _not_psd(r: list[list[float]], names: list[str]) -> UsageError:
    involved = [n for i, n in enumerate(names) if any(r[i][j] for j in range(len(names)) if j != i)]
    return UsageError(
        f"the correlation matrix of {', '.join(involved)} is not positive semidefinite: "
        "no quantities can have these correlations together",
        hint="e.g. r(a,b) = 0.9 and r(b,c) = 0.9 force r(a,c) >= 0.62; check the --corr values",
    )
