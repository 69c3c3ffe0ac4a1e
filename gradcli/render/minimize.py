"""Writers of `gradcli minimize` (table, json) and its --trace CSV; listed in
gradcli.render.writers' format table."""

from __future__ import annotations

import csv
import io
import json
from typing import TextIO

from gradcli.render.text import OutputOptions, capped, plural, print_all, short


def minimize_json(r, options: OutputOptions, out: TextIO) -> None:
    """DESIGN §7.2's object (r: analysis.minimize_result.Result), at full precision."""
    out.write(json.dumps(r.to_dict(), allow_nan=False) + "\n")


def minimize_table(r, options: OutputOptions, out: TextIO) -> None:
    """The status and verdict, the point with the gradient there, then the second-order and
    constraint facts, the counts."""
    from rich.table import Table
    from rich.text import Text

    p = options.precision
    head = f"{r.status}: {r.verdict}" if r.converged else f"{r.status} ({r.reason}); best point: {r.verdict}"
    parts = [Text(head, style="bold")]
    point = Table(title=f"{r.output} = {short(r.value, p)} at", title_justify="left")
    for name, justify in (("input", "left"), ("value", "right"), (f"d{r.output}/dinput", "right")):
        point.add_column(name, justify=justify)
    for i in capped(len(r.names), options.max_rows):
        if i < 0:
            point.add_row(Text("...", style="dim"))
            parts.append(Text(f"... {plural(-i, 'row')} not shown ...: --max-rows 0 shows all", style="dim"))
            continue
        point.add_row(r.names[i], short(r.x[i], p), short(r.grad[i], p))
    parts.insert(1, point)
    parts.append(Text(f"gradient norm (max |g|): {short(r.gradient_norm, p)}"))
    which = "reduced Hessian of the Lagrangian" if r.active else "Hessian"
    eig = ", ".join(short(e, p) for e in r.eigenvalues[: max(options.max_rows, 0) or None])
    more = len(r.eigenvalues) - (options.max_rows or len(r.eigenvalues))
    parts.append(Text(f"eigenvalues of the {which}: [{eig}{', ...' if more > 0 else ''}]"))
    if r.active:
        table = Table(title="active constraints", title_justify="left")
        table.add_column("constraint")
        table.add_column("multiplier", justify="right")
        for a in r.active:
            table.add_row(a["constraint"], short(a["multiplier"], p))
        parts.append(table)
    parts.append(Text(f"KKT residual: {short(r.kkt_residual, p)}"))
    e = r.evaluations
    counts = f"{e['f']} f, {e['grad']} gradient, {e['hess']} Hessian"
    parts.append(Text(f"{r.method}: {plural(r.iterations, 'iteration')}; evaluations: {counts}", style="dim"))
    print_all(parts, options, out)


def trace_csv(r) -> str:
    """--trace's CSV: one row per iterate (0: the start): iteration, each unknown, value, gradient norm."""
    buffer = io.StringIO()
    w = csv.writer(buffer, lineterminator="\n")
    w.writerow(["iteration", *r.names, "value", "gradient_norm"])
    for k, x, f, gnorm in r.trace or []:
        w.writerow([k, *map(repr, x), repr(f), repr(gnorm)])
    return buffer.getvalue()


__all__ = ["minimize_json", "minimize_table", "trace_csv"]
