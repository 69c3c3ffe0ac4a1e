"""Writers of `gradcli hessian` (table, json, csv) and `gradcli diff` (a program); listed in
gradcli.render.writers' format table."""

from __future__ import annotations

import json
from typing import TextIO

from gradcli.render.text import OutputOptions, full, print_all, short

STRUCTURAL = "·"  # a zero because no path joins the two inputs (a computed zero prints as 0)


def hessian_table(h, options: OutputOptions, out: TextIO) -> None:
    from rich.table import Table
    from rich.text import Text

    p = options.precision
    cells = [[STRUCTURAL if s else short(x, p) for x, s in zip(row, srow)] for row, srow in zip(h.matrix, h.structural)]
    widest = max([len(c) for row in cells for c in row] + [len(n) for n in h.inputs] + [1])
    fits = 4 + max(map(len, h.inputs), default=1) + (len(h.inputs) + 1) * (widest + 3) <= options.width
    title = f"Hessian of {h.output} = {short(h.value, p)}"
    if fits:
        t = Table(title=title, title_justify="left")
        t.add_column("", style="bold")
        t.add_column(f"d{h.output}/d·", justify="right")
        for name in h.inputs:
            t.add_column(name, justify="right")
        for name, g, row in zip(h.inputs, h.gradient, cells):
            t.add_row(name, short(g, p), *[Text(c, style="dim" if c == STRUCTURAL else "") for c in row])
        parts = [t]
    else:  # too wide for the terminal: one line per entry of the upper triangle, never a cut number
        parts = [Text(title + " (stacked: the matrix is wider than the terminal)")]
        for i, a in enumerate(h.inputs):
            parts.append(Text(f"  d{h.output}/d{a} = {short(h.gradient[i], p)}"))
        for i, a in enumerate(h.inputs):
            for j in range(i, len(h.inputs)):
                parts.append(Text(f"  d2{h.output}/d{a}d{h.inputs[j]} = {cells[i][j]}"))
    if h.definiteness is None:  # an entry is NaN or infinite: no eigenvalues, no verdict, and why
        parts.append(Text("eigenvalues: not computed"))
        parts.append(Text(h.reason, style="bold"))
    else:
        eig = ", ".join(short(e, p) for e in h.eigenvalues)
        parts.append(Text(f"eigenvalues: {eig}" if eig else "eigenvalues: none (no inputs)"))
        parts.append(Text(f"{h.definiteness}{_meaning(h.definiteness)}", style="bold"))
    if any(s for row in h.structural for s in row):
        parts.append(Text(f"{STRUCTURAL} = zero by structure: no path joins the two inputs", style="dim"))
    print_all(parts, options, out)


def _meaning(verdict: str) -> str:
    return {
        "positive definite": ": a local minimum if the gradient is 0",
        "negative definite": ": a local maximum if the gradient is 0",
        "indefinite": ": a saddle point if the gradient is 0",
    }.get(verdict, "")


def hessian_json(h, options: OutputOptions, out: TextIO) -> None:
    out.write(json.dumps(h.to_dict(), allow_nan=False) + "\n")


def hessian_csv(h, options: OutputOptions, out: TextIO) -> None:
    """One row per input: its name, the gradient, then the row of the Hessian (full precision)."""
    import csv  # here, not at the top: the format table imports this module on every start-up

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["input", f"d{h.output}", *h.inputs])
    for name, g, row in zip(h.inputs, h.gradient, h.matrix):
        writer.writerow([name, full(g), *[full(x) for x in row]])


def diff_program(text: str, options: OutputOptions, out: TextIO) -> None:
    out.write(text)
