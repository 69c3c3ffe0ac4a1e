"""The notebook display's HTML: small escaped tables (the node table, arrays grouped, an array
output's Jacobian, the uncertainty budget), shared by gradcli.render.notebook's result objects.

Every user-written string (labels, names) goes through `esc`; numbers are written as eval's JSON
writes them (every digit; NaN, Infinity, -Infinity), so a cell read back with float() equals the
JSON's value.  No rich, no numpy: plain strings."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from gradcli.render.text import capped, full, output_text, plural

MAX_ROWS = 200  # rows of a node table before the middle is left out (first rows and the output kept)

# One small stylesheet, scoped to the display's class: tables read as eval's pretty output.
STYLE = (
    "<style>.gc-nb table{border-collapse:collapse;margin:.3em 0}"
    ".gc-nb th,.gc-nb td{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}"
    ".gc-nb td.num{text-align:right;font-family:monospace}.gc-nb .pos{color:#1a7f37}"
    ".gc-nb .neg{color:#c62828}.gc-nb .out{font-weight:bold}.gc-nb caption{text-align:left;color:#666}"
    ".gc-nb .dim{color:#888}</style>"
)


def esc(text: object) -> str:
    """Text for HTML content or a quoted attribute: & < > " ' escaped."""
    return escape(str(text), quote=True)


def sign(g: float) -> str:
    """The gradient's class: which way the input should move to increase the output."""
    return "pos" if g > 0 else ("neg" if g < 0 else "")


def cell(text: str, cls: str = "") -> str:
    return f'<td class="{cls}">{esc(text)}</td>' if cls else f"<td>{esc(text)}</td>"


def number(x: float, cls: str = "") -> str:
    """A number cell: every digit, non-finite values as the JSON spells them."""
    return cell(full(x), ("num " + cls).strip())


def table(headers: Sequence[str], rows: Sequence[str], caption: str = "") -> str:
    """A <table>: `rows` are <tr> strings already made (their cells escaped by `cell`/`number`)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def left_out(n: int, columns: int, what: str = "node") -> str:
    return f'<tr><td colspan="{columns}" class="dim">… {esc(plural(n, what))} not shown …</td></tr>'


def node_table(graph, max_rows: int = MAX_ROWS) -> str:
    """eval's node table: #, node (label), op, value, u (when an input is uncertain), gradient."""
    nodes, names = graph.nodes, graph.display_names()
    unc = getattr(graph, "uncertainty", None)
    us = unc.nodes if unc is not None and unc.nodes is not None else None
    out = graph.output_name
    headers = ["#", "node", "op", "value", *(["u"] if us is not None else []), f"d{out}/dnode"]
    rows = []
    for i in capped(len(nodes), max_rows):
        if i < 0:
            rows.append(left_out(-i, len(headers)))
            continue
        node = nodes[i]
        u = [number(us[i])] if us is not None else []
        label = cell(names[i], "out" if node is graph.output else "")
        g = number(node.grad, sign(node.grad))
        rows.append(f"<tr>{cell(str(i), 'dim')}{label}{cell(node.op.name)}{number(node.data)}{''.join(u)}{g}</tr>")
    return table(headers, rows, f"{out} = {output_text(graph)}")


def arrays_html(graph, max_rows: int = MAX_ROWS) -> str:
    """Arrays grouped (one row an array: shape, values, d output / d element), then an array
    output's Jacobian (a row per element of the output, a column per input)."""
    info = getattr(graph, "arrays", None)
    if info is None:
        return ""
    parts = []
    if info.names:
        rows = [
            f"<tr>{cell(name)}{cell(str(a.shape))}{cell(_nested([v.data for v in a.items], a.shape))}"
            f"{cell(_nested([v.grad for v in a.items], a.shape))}</tr>"
            for name, a in info.names.items()
        ]
        parts.append(table(["array", "shape", "value", f"d{graph.output_name}/d"], rows, "arrays"))
    if info.output is not None:
        parts.append(jacobian_html(graph, max_rows))
    return "".join(parts)


def jacobian_html(graph, max_rows: int = MAX_ROWS) -> str:
    info = graph.arrays
    outputs, inputs = info.output.items, list(graph.inputs)
    jac = info.jacobian or [[0.0] * len(inputs) for _ in outputs]
    rows = []
    for k in capped(len(outputs), max_rows):
        if k < 0:
            rows.append(left_out(-k, len(inputs) + 2, "row"))
            continue
        y = outputs[k]
        rows.append(f"<tr>{cell(y.label, 'out')}{number(y.data)}{''.join(number(v, sign(v)) for v in jac[k])}</tr>")
    name = graph.output_name
    caption = f"{name}: shape {info.output.shape}; Jacobian d{name}/d(inputs), a row per element"
    return table(["element", "value", *inputs], rows, caption)


def _nested(values: list[float], shape: tuple) -> str:
    cells = [full(v) for v in values]
    if len(shape) == 1:
        return "[" + ", ".join(cells) + "]"
    n = shape[1]
    return "[" + ", ".join("[" + ", ".join(cells[i : i + n]) + "]" for i in range(0, len(cells), n)) + "]"


def budget_html(result) -> str:
    """The uncertainty: `g = 9.811 ± 0.022`, the expanded line, the budget table and Monte Carlo's line."""
    from gradcli.analysis.gum import plus_minus

    if hasattr(result, "outputs"):  # an array output: a line per element
        rows = [
            f"<tr>{cell(name, 'out')}{number(v)}{number(u)}{number(result.k * u)}</tr>"
            for name, v, u in zip(result.outputs, result.values, result.standard)
        ]
        return table(["element", "value", "u", "U = k·u"], rows, f"uncertainty of {result.output}, k = {result.k:g}")
    name = result.output
    head = [f"<p><b>{esc(name)} = {esc(plus_minus(result.value, result.standard))}</b> (standard uncertainty u)</p>"]
    if result.k != 1.0:
        head.append(
            f"<p>{esc(name)} = {esc(plus_minus(result.value, result.expanded))} (U = k·u, k = {result.k:g})</p>"
        )
    rows = [
        f"<tr>{cell(r.name)}{number(r.value)}{number(r.u)}{cell(r.distribution)}"
        f"{number(r.sensitivity, sign(r.sensitivity))}"
        f"{number(r.contribution)}{cell(f'{100 * r.share:.1f} %', 'num')}</tr>"
        for r in result.rows
    ]
    rows += [
        f"<tr>{cell(f'r({t.a},{t.b})')}{number(t.r)}<td></td><td></td><td></td><td></td>"
        f"{cell(f'{100 * t.share:.1f} %', 'num')}</tr>"
        for t in result.correlations
    ]
    headers = ["input", "value", "u", "distribution", f"c = d{name}/dx", "|c·u|", "share"]
    parts = [*head, table(headers, rows, f"uncertainty budget of {name}; share: part of u²")]
    mc = result.monte_carlo
    if mc is not None:
        verdict = "agrees" if mc.agrees else "does NOT agree"
        parts.append(
            f"<p>Monte Carlo, {mc.samples:,} samples: mean {esc(full(mc.mean))}, u {esc(full(mc.standard))}; "
            f"95 % interval [{esc(full(mc.interval[0]))}, {esc(full(mc.interval[1]))}]; "
            f"{verdict} with the linear result</p>"
        )
    return "".join(parts)


def uncertainty_by_position(graph) -> dict[int, float]:
    """Each node's first-order u by its position (for the graph's cards), when known."""
    unc = getattr(graph, "uncertainty", None)
    if unc is None or unc.nodes is None:
        return {}
    return dict(enumerate(unc.nodes))


def figure(*parts: str) -> str:
    """The display's outer <div>, with its stylesheet."""
    return f'<div class="gc-nb">{STYLE}{"".join(parts)}</div>'
