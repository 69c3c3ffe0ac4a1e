"""Writers of `gradcli taylor` (table, json); listed in gradcli.render.writers' format table."""

from __future__ import annotations

import json
from typing import TextIO

from gradcli.core.formula import number
from gradcli.render.text import OutputOptions, capped, plural, print_all, short


def to_dict(t) -> dict:
    """{"output", "wrt", "at": {name: value}, "coefficients": [c_0, ...]} (t: analysis.taylor.Taylor;
    non-finite numbers as the strings "NaN", "Infinity", "-Infinity")."""
    return {
        "output": t.output,
        "wrt": t.wrt,
        "at": {name: number(x) for name, x in t.at.items()},
        "coefficients": [number(c) for c in t.coefficients],
    }


def taylor_json(t, options: OutputOptions, out: TextIO) -> None:
    out.write(json.dumps(to_dict(t), allow_nan=False) + "\n")  # full precision


def taylor_table(t, options: OutputOptions, out: TextIO) -> None:
    """A row per order k: k, f^(k)(x0), c_k = f^(k)(x0)/k!; the point in the title."""
    from rich.table import Table
    from rich.text import Text

    p = options.precision
    point = ", ".join(f"{name} = {short(x, p)}" for name, x in t.at.items())
    title = Text(f"Taylor coefficients of {t.output} in {t.wrt} at {point}")
    table = Table()
    table.add_column("k", justify="right")
    table.add_column(f"d^k {t.output}/d{t.wrt}^k", justify="right")
    table.add_column("c_k", justify="right")
    parts = [title, table]
    for k in capped(len(t.coefficients), options.max_rows):
        if k < 0:
            table.add_row(Text("...", style="dim"))
            parts.append(Text(f"... {plural(-k, 'row')} not shown ...: --max-rows 0 shows all, --format json lists all",
                              style="dim"))  # fmt: skip
            continue
        table.add_row(str(k), short(t.derivatives[k], p), short(t.coefficients[k], p))
    print_all(parts, options, out)
