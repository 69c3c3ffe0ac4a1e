"""Correlated inputs (GUM 5.2): `--corr A,B=R` parsed and checked, the correlation matrix and
its Cholesky factor (for Monte Carlo's correlated normals, and to prove the matrix possible)."""

from __future__ import annotations

import math

from gradcli.build.uncertain import Spec
from gradcli.core.errors import BindingError, MathError, UsageError


def parse_correlations(texts: list[str], specs: dict[str, Spec], inputs, declared=()) -> dict[tuple[str, str], float]:
    """{(a, b): r} from `--corr A,B=R` options (a before b in the uncertainty order), checked:
    two different inputs with uncertainties, -1 <= r <= 1, each pair once, the matrix PSD.
    `declared`: the pairs the program's corr() statements gave (their texts are among `texts`)."""
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
        try:
            cholesky(correlation_matrix(order, out), order)  # raises when not positive semidefinite
        except UsageError as exc:  # say where the values came from: the program, --corr, or both
            from_program = {tuple(sorted(pair)) for pair in declared}
            sources = {tuple(sorted(pair)) in from_program for pair in out}
            where = {True: "the program's corr() statements", False: "the --corr values"}
            exc.hint = PSD_HINT.format(" and ".join(where[s] for s in sorted(sources)))
            raise
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


def propagation_terms(output: str, c: dict[str, float], specs: dict[str, Spec], corr: dict) -> tuple[dict, list, float]:
    """The law of propagation for one output with sensitivities c (GUM 5.1.2, 5.2.2): each input's
    (c_i u_i)^2, each correlation's (a, b, r, 2 c_a c_b r u_a u_b), and u_c^2, their sum (>= 0).
    One function for a scalar output and each element of an array output, so they agree bit for bit.
    A c·u that is not finite is a MathError naming the input (exit 3)."""
    for name, s in specs.items():
        if not math.isfinite(c[name] * s.u):
            raise MathError(
                f"the uncertainty of {output} is not finite: input '{name}' contributes c·u = {c[name]:g} × {s.u:g}",
            )
    terms = {name: (c[name] * s.u) * (c[name] * s.u) for name, s in specs.items()}  # (`** 2` raises on overflow)
    cross = [(a, b, r, 2.0 * c[a] * c[b] * r * specs[a].u * specs[b].u) for (a, b), r in corr.items()]
    variance = max(sum(terms.values()) + sum(t[3] for t in cross), 0.0)
    if not math.isfinite(variance):
        raise MathError(f"the uncertainty of {output} overflows: u² = Σ (c·u)² is beyond the largest double")
    return terms, cross, variance


def share(part: float, total: float) -> float:
    """A term's part of u_c^2 (0 when u_c is 0)."""
    return part / total if total > 0 else 0.0


def covariance(ci: dict[str, float], cj: dict[str, float], specs: dict[str, Spec], corr: dict) -> float:
    """u(y_i, y_j) = c_iᵀ U_x c_j (JCGM 102 6.2.1.3) for two outputs' sensitivities:
    sum_k ci_k cj_k u_k^2 + sum_(a,b) r_ab u_a u_b (ci_a cj_b + ci_b cj_a)."""
    own = sum((ci[name] * s.u) * (cj[name] * s.u) for name, s in specs.items())
    return own + sum(r * specs[a].u * specs[b].u * (ci[a] * cj[b] + ci[b] * cj[a]) for (a, b), r in corr.items())


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


PSD_HINT = "e.g. r(a,b) = 0.9 and r(b,c) = 0.9 force r(a,c) >= 0.62; check {}"


def _not_psd(r: list[list[float]], names: list[str]) -> UsageError:
    involved = [n for i, n in enumerate(names) if any(r[i][j] for j in range(len(names)) if j != i)]
    return UsageError(
        f"the correlation matrix of {', '.join(involved)} is not positive semidefinite: "
        "no quantities can have these correlations together",
        hint=PSD_HINT.format("the --corr values"),
    )
