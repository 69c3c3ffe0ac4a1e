"""Writers of `gradcli fit` (table with a residual plot, json, bindings); listed in
gradcli.render.writers' format table."""

from __future__ import annotations

import json
import math
from typing import TextIO

from gradcli.core.formula import number
from gradcli.render.text import OutputOptions, full, print_all, short

PLOT_HEIGHT = 8


def to_dict(r) -> dict:
    """fit's JSON (DESIGN §7.2): {"output", "converged", "parameters": {NAME: {"value", "u"}},
    "correlation", "rss", "dof", "chi2_dof", "iterations", "evaluations"} (r: analysis.fit.FitResult;
    non-finite numbers as "NaN", "Infinity")."""
    return {
        "output": r.output,
        "converged": r.converged,
        "parameters": {name: {"value": number(p["value"]), "u": number(p["u"])} for name, p in r.parameters.items()},
        "correlation": [[number(c) for c in row] for row in r.correlation],
        "rss": number(r.rss),
        "dof": r.dof,
        "chi2_dof": number(r.chi2_dof),
        "iterations": r.iterations,
        "evaluations": dict(r.evaluations),
    }


def fit_json(r, options: OutputOptions, out: TextIO) -> None:
    out.write(json.dumps(to_dict(r), allow_nan=False) + "\n")  # full precision


def bindings(r) -> list[str]:
    """`a=VALUE±U` per parameter and `--corr a,b=R` per pair, every digit (repr): strongly
    correlated parameters lose the propagated uncertainty to any rounding.  A parameter whose
    uncertainty is not finite is written without one (eval cannot propagate it)."""
    names = list(r.parameters)
    lines = []
    for name, p in r.parameters.items():
        u = p["u"]
        lines.append(f"{name}={full(p['value'])}±{full(u)}" if math.isfinite(u) else f"{name}={full(p['value'])}")
    finite = {n for n in names if math.isfinite(r.parameters[n]["u"]) and r.parameters[n]["u"] > 0}
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            b, rho = names[j], r.correlation[i][j]
            if a in finite and b in finite and math.isfinite(rho) and rho != 0.0:
                lines.append(f"--corr {a},{b}={full(rho)}")
    return lines


def fit_bindings(r, options: OutputOptions, out: TextIO) -> None:
    """One binding or option a line, for `gradcli eval PROGRAM $(gradcli fit ... --format bindings)`."""
    out.write("".join(line + "\n" for line in bindings(r)))


def fit_table(r, options: OutputOptions, out: TextIO) -> None:
    """The parameters ± u, the correlation matrix, the statistics, then the residuals plotted."""
    from rich.table import Table
    from rich.text import Text

    p = options.precision
    verdict = "converged" if r.converged else "did not converge"
    parts = [Text(f"fit of {r.output}: {verdict}" + (f" ({r.message})" if r.message else ""), style="bold")]
    params = Table(title="parameters", title_justify="left")
    params.add_column("parameter")
    params.add_column("value", justify="right")
    params.add_column("u", justify="right")
    for name, q in r.parameters.items():
        params.add_row(name, short(q["value"], p), short(q["u"], 2 if math.isfinite(q["u"]) else p))
    parts.append(params)
    names = list(r.parameters)
    if len(names) > 1:
        corr = Table(title="correlation", title_justify="left")
        corr.add_column("")
        for name in names:
            corr.add_column(name, justify="right")
        for name, row in zip(names, r.correlation):
            corr.add_row(name, *[short(c, 4) for c in row])
        parts.append(corr)
    e = r.evaluations
    stats = f"rss = {short(r.rss, p)}   dof = {r.dof}   chi2/dof = {short(r.chi2_dof, p)}"
    counts = f"iterations = {r.iterations}   evaluations = {e.get('f', 0)} (Jacobian: {e.get('jac', 0)})"
    parts += [Text(stats), Text(counts)]
    plot = residual_plot(r, options.width)
    if plot:
        parts.append(Text(plot.rstrip("\n")))
    print_all(parts, options, out)


def residual_plot(r, width: int) -> str:
    """observed - model against the first data column (sorted), or the row number, as plot draws."""
    import numpy as np

    from gradcli.render.plot import Series, text_plot

    if r.residuals is None or len(r.residuals) < 2:
        return ""
    if r.against is not None:
        name, x = r.against
    else:
        name, x = "row", np.arange(1, len(r.residuals) + 1, dtype=float)
    order = np.argsort(x, kind="stable")
    label = f"residuals: observed {r.output} - model"
    return text_plot(x[order], [Series(label, r.residuals[order])], name, width, PLOT_HEIGHT)


__all__ = ["bindings", "fit_bindings", "fit_json", "fit_table", "residual_plot", "to_dict"]
