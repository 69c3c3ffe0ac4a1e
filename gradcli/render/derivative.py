"""Writers of `gradcli hessian` (table, json, csv) and `gradcli diff` (a program); listed in
gradcli.render.writers' format table."""

from __future__ import annotations

import json
from typing import TextIO

from gradcli.render.text import OutputOptions, capped, full, plural, print_all, short

STRUCTURAL = "·"  # a zero because no path joins the two inputs (a computed zero prints as 0)


def hessian_table(h, options: OutputOptions, out: TextIO) -> None:
    from rich.text import Text

    p = options.precision
    cells = [[STRUCTURAL if s else short(x, p) for x, s in zip(row, srow)] for row, srow in zip(h.matrix, h.structural)]
    widest = max([len(c) for row in cells for c in row] + [len(n) for n in h.inputs] + [1])
    fits = 4 + max(map(len, h.inputs), default=1) + (len(h.inputs) + 1) * (widest + 3) <= options.width
    parts = _matrix(h, cells, options) if fits else _stacked(h, cells, options)
    if h.definiteness is None:  # an entry is NaN or infinite: no eigenvalues, no verdict, and why
        parts.append(Text("eigenvalues: not computed"))
        parts.append(Text(h.reason, style="bold"))
    else:
        eig = [short(e, p) for e in h.eigenvalues]
        parts.append(
            Text(f"eigenvalues: {_capped_list(eig, options.max_rows)}" if eig else "eigenvalues: none (no inputs)")
        )
        parts.append(Text(f"{h.definiteness}{_meaning(h.definiteness)}", style="bold"))
    if fits and any(s for row in h.structural for s in row):
        parts.append(Text(f"{STRUCTURAL} = zero by structure: no path joins the two inputs", style="dim"))
    print_all(parts, options, out)


def _matrix(h, cells: list[list[str]], options: OutputOptions) -> list:
    """The matrix as a table: a row per input (at most --max-rows of them), the gradient first."""
    from rich.table import Table
    from rich.text import Text

    t = Table(title=f"Hessian of {h.output} = {short(h.value, options.precision)}", title_justify="left")
    t.add_column("", style="bold")
    t.add_column(f"d{h.output}/d·", justify="right")
    for name in h.inputs:
        t.add_column(name, justify="right")
    parts = [t]
    for i in capped(len(h.inputs), options.max_rows):
        if i < 0:  # the row marks where they were; the line under the table says how many
            t.add_row(Text("...", style="dim"))
            left_out = f"... {plural(-i, 'row')} not shown ...: --max-rows 0 shows all, --format json lists all"
            parts.append(Text(left_out, style="dim"))
            continue
        row = [Text(c, style="dim" if c == STRUCTURAL else "") for c in cells[i]]
        t.add_row(h.inputs[i], short(h.gradient[i], options.precision), *row)
    return parts


def _stacked(h, cells: list[list[str]], options: OutputOptions) -> list:
    """Too wide for the terminal: one line per gradient entry and per entry of the upper triangle
    that is not zero by structure (never a cut number), each list capped at --max-rows."""
    from rich.text import Text

    title = (
        f"Hessian of {h.output} = {short(h.value, options.precision)} (stacked: the matrix is wider than the terminal)"
    )
    lines = [title]
    gradient = [f"  d{h.output}/d{a} = {short(g, options.precision)}" for a, g in zip(h.inputs, h.gradient)]
    lines += _capped_lines(gradient, ("gradient entry", "gradient entries"), options.max_rows)
    n, entries = len(h.inputs), []
    for i, a in enumerate(h.inputs):
        entries += [f"  d2{h.output}/d{a}d{h.inputs[j]} = {cells[i][j]}" for j in range(i, n) if not h.structural[i][j]]
    lines += _capped_lines(entries, ("entry", "entries"), options.max_rows)
    structural = n * (n + 1) // 2 - len(entries)
    if structural:
        lines.append(f"{plural(structural, 'entry', 'entries')} of the upper triangle are zero by structure "
                     f"({STRUCTURAL}), not listed")  # fmt: skip
    return [Text(line) for line in lines]


def _capped_lines(lines: list[str], what: tuple[str, str], max_rows: int) -> list[str]:
    """At most max_rows of lines (the first ones and the last few), with a line saying what was left out
    in the node table's words (`what`: the noun, singular and plural)."""
    kept = []
    for i in capped(len(lines), max_rows):
        if i >= 0:
            kept.append(lines[i])
        else:
            shown = f"{len(lines) + i:,} of {len(lines):,} shown"
            kept.append(
                f"... {plural(-i, *what)} not shown ...: {shown}; --max-rows 0 shows all, --format json lists all"
            )
    return kept


def _capped_list(items: list[str], max_rows: int) -> str:
    """Items joined with commas, at most max_rows of them (the first ones and the last few)."""
    shown = [
        items[i] if i >= 0 else f"... {plural(-i, 'eigenvalue')} not shown ..." for i in capped(len(items), max_rows)
    ]
    return ", ".join(shown)


def _meaning(verdict: str) -> str:
    return {
        "positive definite": ": a local minimum if the gradient is 0",
        "negative definite": ": a local maximum if the gradient is 0",
        "indefinite": ": a saddle point if the gradient is 0",
        "zero": ": both positive and negative semidefinite (every second derivative is 0)",
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
