"""eval's pretty uncertainty output for an array output (gradcli.analysis.array_uncertainty):
each element's value ± u (GUM rounding), the elements' correlation matrix, the uncertain
inputs, and Monte Carlo per element; capped to the width and --max-rows as the Jacobian is.

rich is imported inside the functions (render layer)."""

from __future__ import annotations

from gradcli.render.text import OutputOptions, short


def array_renderables(result, options: OutputOptions) -> list:
    from rich.text import Text

    from gradcli.analysis.gum import plus_minus

    m = len(result.outputs)
    limit = min(options.max_rows or m, m)
    head = f"{result.output} ± u, element by element (first order, JCGM 102: U_y = J U_x Jᵀ)"
    if result.k != 1.0:
        head += f"; U = k·u, k = {result.k:g}"
    lines = []
    for label, v, u, big in list(zip(result.outputs, result.values, result.standard, result.expanded))[:limit]:
        lines.append(f"  {label} = {plus_minus(v, u)}" + (f"   (U: {plus_minus(v, big)})" if result.k != 1.0 else ""))
    if limit < m:
        lines.append(f"  ... {m - limit:,} more elements: --max-rows 0 shows all, --format json lists all")
    return [
        Text(head, style="bold"),
        Text("\n".join(lines)),
        *_correlation(result, options),
        _inputs(result, options),
        *(_monte_carlo(result, options) if result.monte_carlo is not None else []),
    ]


def _matrix(labels: list[str], matrix: list[list[float]], options: OutputOptions):
    """A square matrix as a table, its columns cut to the width and its rows to --max-rows."""
    from rich.table import Table

    p = min(options.precision, 4)
    cell = p + 6
    room = max(1, (options.width - max(map(len, labels)) - 4) // (cell + 3))
    limit = options.max_rows or len(labels)
    table = Table()
    table.add_column("", style="bold", no_wrap=True)
    for label in labels[:room]:
        table.add_column(label, justify="right", no_wrap=True)
    for label, row in list(zip(labels, matrix))[:limit]:
        table.add_row(label, *[short(v, p) if v else "0" for v in row[:room]])
    left = [f"{len(labels) - room} of {len(labels)} columns"] if len(labels) > room else []
    left += [f"{len(labels) - limit} of {len(labels)} rows"] if len(labels) > limit else []
    if left:
        table.caption = f"not shown: {' and '.join(left)}; --format json lists the whole matrix"
    return table


def _correlation(result, options: OutputOptions) -> list:
    from rich.text import Text

    corr = result.correlation
    if corr is None:
        return [Text(f"correlation of {result.output}'s elements: not computed ({len(result.outputs):,} elements)")]
    title = Text(f"correlation of {result.output}'s elements, r_ij = u(y_i, y_j) / (u_i u_j):")
    return [title, _matrix(result.outputs, corr, options)]


def _inputs(result, options: OutputOptions):
    """The uncertain inputs (their sensitivities are the Jacobian's columns)."""
    from rich.table import Table
    from rich.text import Text

    p = options.precision
    t = Table(title="inputs with an uncertainty", title_justify="left", caption_justify="left")
    for heading in ("input", "value", "u", "distribution"):
        t.add_column(heading, justify="left" if heading in ("input", "distribution") else "right", no_wrap=True)
    for row in result.rows:
        t.add_row(Text(row.name, style="cyan"), short(row.value, p), short(row.u, p), row.distribution)
    for term in result.correlations:
        t.add_row(f"r({term.a},{term.b})", short(term.r, p), "", "")
    t.caption = "sensitivities: the Jacobian above"
    return t


def _monte_carlo(result, options: OutputOptions) -> list:
    from rich.table import Table
    from rich.text import Text

    from gradcli.analysis.gum import K95

    mc, p = result.monte_carlo, min(options.precision, 5)
    first = mc.elements[0]
    parts = [Text(f"Monte Carlo (JCGM 101), {first.samples:,} samples, seed {first.seed}, every element at once:")]
    if first.invalid:
        parts.append(Text(f"  {first.reason}\n  statistics over the {first.valid:,} valid samples (--mc-valid-only)",
                          style="yellow"))  # fmt: skip
    t = Table()
    for heading in ("element", "mean", "u", "95 % interval", "linear y ± 1.96·u", "agree"):
        t.add_column(heading, justify="left" if heading in ("element", "agree") else "right", no_wrap=True)
    limit = options.max_rows or len(result.outputs)
    rows = list(zip(result.outputs, result.values, result.standard, mc.elements))
    for label, y, u, e in rows[:limit]:
        t.add_row(label, short(e.mean, p), short(e.standard, p),
                  f"[{short(e.interval[0], p)}, {short(e.interval[1], p)}]",
                  f"[{short(y - K95 * u, p)}, {short(y + K95 * u, p)}]",
                  Text("ok", style="green") if e.agrees else Text("NO", style="bold red"))  # fmt: skip
    if limit < len(rows):
        t.caption = f"not shown: {len(rows) - limit:,} of {len(rows):,} elements; --format json lists all"
    parts.append(t)
    bad = sum(not e.agrees for e in mc.elements)
    words = "(each element's endpoints within its tolerance δ, JCGM 101 8.1)"
    if not bad:
        parts.append(Text(f"  agree: the linear result is validated for every element {words}", style="green"))
    else:
        parts.append(Text(f"  disagree: the linear result is NOT validated for {bad:,} of {len(rows):,} elements "
                          f"{words}", style="bold red"))  # fmt: skip
    return parts
