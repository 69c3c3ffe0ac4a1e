"""eval's uncertainty output: `g = 9.811 ± 0.022`, the budget table and Monte Carlo's lines
(pretty, after eval's table and tree), and the `"uncertainty"` key of eval's JSON.

rich is imported only by the pretty writer."""

from __future__ import annotations

import json
import math

from gradcli.render.text import OutputOptions, fits, short


def json_text(graph_json: str, result) -> str:
    """eval's JSON document with `"uncertainty": {...}` added as its last key."""
    return f'{graph_json[:-1]}, "uncertainty": {json.dumps(result.to_dict(), allow_nan=False)}}}'


def renderables(result, options: OutputOptions) -> list:
    """The headline, the budget and Monte Carlo's summary, as rich renderables."""
    from rich.text import Text

    if hasattr(result, "outputs"):  # an array output (gradcli.analysis.array_uncertainty)
        from gradcli.render.array_uncertainty import array_renderables

        return array_renderables(result, options)

    from gradcli.analysis.gum import K95, plus_minus

    name = result.output
    order = "second order, GUM 5.1.2 note" if result.order == 2 else "first order, GUM 5.1.2"
    parts: list = [
        Text.assemble((f"{name} = {plus_minus(result.value, result.standard)}", "bold"),
                      (f"   (standard uncertainty u, {order})", "dim"))
    ]  # fmt: skip
    if result.k != 1.0:
        expanded = plus_minus(result.value, result.expanded)
        parts.append(Text(f"{name} = {expanded}   (expanded uncertainty U = k·u, k = {result.k:g})"))
    parts.append(_budget(result, options))
    mc = result.monte_carlo
    if mc is not None:
        p = options.precision
        lo, hi = result.value - K95 * result.standard, result.value + K95 * result.standard
        parts.append(Text(f"Monte Carlo (JCGM 101), {mc.samples:,} samples, seed {mc.seed}:"))
        if mc.invalid:
            parts.append(Text(f"  {mc.reason}\n  statistics over the {mc.valid:,} valid samples (--mc-valid-only)",
                              style="yellow"))  # fmt: skip
        parts += [
            Text(f"  mean {mc.mean:.{p}g}, u {mc.standard:.{p}g}, "
                 f"95 % interval [{mc.interval[0]:.{p}g}, {mc.interval[1]:.{p}g}]"),
            Text(f"  linear: y ± 1.96·u = [{lo:.{p}g}, {hi:.{p}g}]"),
            _verdict(mc),
        ]  # fmt: skip
    return parts


def _verdict(mc):
    from rich.text import Text

    words = f"(endpoints differ by {mc.d_low:.2g} and {mc.d_high:.2g}; tolerance δ = {mc.tolerance:.2g}, JCGM 101 8.1)"
    if mc.agrees:
        return Text(f"  agree: the linear result is validated {words}", style="green")
    return Text(f"  disagree: the linear result is NOT validated {words}", style="bold red")


def _budget(result, options: OutputOptions):
    """The budget table; without its distribution column when the width is too small."""
    table = _budget_table(result, options, with_distribution=True)
    return table if fits(table, options.width) else _budget_table(result, options, with_distribution=False)


def _budget_table(result, options: OutputOptions, with_distribution: bool):
    from rich.table import Table
    from rich.text import Text

    p = options.precision
    out = result.output if len(result.output) <= 12 else "y"
    t = Table(title=f"uncertainty budget of {result.output}", title_justify="left", caption_justify="left")
    headings = ["input", "value", "u", "distribution", f"c = d{out}/dx", "|c·u|", "share"]
    for heading in headings if with_distribution else [h for h in headings if h != "distribution"]:
        left = heading in ("input", "distribution")
        t.add_column(heading, justify="left" if left else "right", no_wrap=heading != "input", overflow="fold")
    dist = (lambda d: [d]) if with_distribution else (lambda d: [])
    for row in result.rows:
        cells = [short(row.value, p), short(row.u, p), *dist(row.distribution)]
        t.add_row(Text(row.name, style="cyan"), *cells, short(row.sensitivity, p), short(row.contribution, p),
                  _percent(row.share))  # fmt: skip
    for term in result.correlations:
        t.add_row(f"r({term.a},{term.b})", short(term.r, p), "", *dist(""), "", "", _percent(term.share))
    if result.order == 2:
        v2 = result.second_order_variance or 0.0
        share = v2 / result.standard**2 if result.standard > 0 else 0.0
        t.add_row("2nd order", "", "", *dist(""), "", short(math.sqrt(max(v2, 0.0)), p), _percent(share))
    notes = [f"u({result.output}) = {short(result.standard, p)}; share: part of u²"]
    if result.correlations:
        notes.append("r(a,b) rows: the correlation's term 2·c_a·c_b·r·u_a·u_b (may be < 0)")
    if result.order == 2:
        notes.append("2nd order: GUM 5.1.2 note's terms, |c·u| column = their square root")
    t.caption = "\n".join(notes)
    return t


def _percent(share: float) -> str:
    return f"{100 * share:.1f} %"
