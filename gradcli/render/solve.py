"""Writers of `gradcli solve` (table, json); listed in gradcli.render.writers' format table."""

from __future__ import annotations

import json
from typing import TextIO

from gradcli.core.formula import number
from gradcli.render.text import OutputOptions, capped, plural, print_all, short


def to_dict(r) -> dict:
    """solve's JSON (DESIGN §7.2): {"converged", "point", "residuals", "residual_norm", "condition",
    "singular"} (r: analysis.solve.SolveResult; non-finite numbers as "NaN", "Infinity")."""
    return {
        "converged": r.converged,
        "point": _nested(r.flat_point, r.shapes),
        "residuals": _nested(r.flat_residuals, r.shapes),
        "residual_norm": number(r.residual_norm),
        "condition": number(r.condition),
        "singular": r.singular,
    }


def _nested(flat: dict, shapes: dict) -> dict:
    """{NAME: x}; an array's elements nested in its shape, as eval's JSON writes them."""
    from gradcli.build.array_values import nest_by_name

    return nest_by_name(list(flat), [number(x) for x in flat.values()], shapes)


def solve_json(r, options: OutputOptions, out: TextIO) -> None:
    out.write(json.dumps(to_dict(r), allow_nan=False) + "\n")  # full precision


def solve_table(r, options: OutputOptions, out: TextIO) -> None:
    """The verdict, the point, the residuals, the residual norm and the Jacobian's condition."""
    from rich.table import Table
    from rich.text import Text

    p = options.precision
    verdict = "solved" if r.converged else "not solved"
    parts = [Text(f"{verdict}: {r.message}" if r.message else verdict, style="bold")]
    point = Table(title="point", title_justify="left")
    point.add_column("input")
    point.add_column("value", justify="right")
    residuals = Table(title="residuals", title_justify="left")
    residuals.add_column("output")
    residuals.add_column("value", justify="right")
    for table, items in ((point, list(r.flat_point.items())), (residuals, list(r.flat_residuals.items()))):
        parts.append(table)
        for i in capped(len(items), options.max_rows):
            if i < 0:
                table.add_row(Text("...", style="dim"))
                parts.append(Text(f"... {plural(-i, 'row')} not shown ...: --max-rows 0 shows all", style="dim"))
                continue
            table.add_row(items[i][0], short(items[i][1], p))
    parts.append(Text(f"residual norm: {short(r.residual_norm, p)}"))
    parts.append(Text(f"Jacobian condition number: {short(r.condition, p)}"))
    if r.singular and r.converged:
        parts.append(Text("singular: the Jacobian is singular here (a multiple or non-isolated root)", style="bold"))
        parts.append(Text("the point is less accurate than its residuals suggest", style="dim"))
    elif r.singular:
        parts.append(Text("singular: the Jacobian is singular here (Newton steps cannot leave this point)"))
    print_all(parts, options, out)


__all__ = ["solve_json", "solve_table", "to_dict"]
