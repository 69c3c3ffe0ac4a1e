"""eval's node table: every node in creation order (id, label, op, value, u, gradient), in as
many columns as fit the width, or one block a node when no table fits.  A number is never
cut to fit: columns are dropped, or numbers stacked on lines of their own, and the output
says so."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gradcli.build.graph import Graph
from gradcli.core.engine import Value, positions
from gradcli.core.formula import describe
from gradcli.render.text import DEFAULT, OutputOptions, capped, fits, grad_style, pack, plural, short

if TYPE_CHECKING:
    from rich.console import RenderableType


def _array_title(graph: Graph) -> str | None:
    """An array output's table title: its gradients are those of the sum of its elements."""
    info = getattr(graph, "arrays", None)
    if info is None or info.output is None:
        return None
    name = graph.output_name
    return f"{name}: shape {info.output.shape}; grad: d sum({name})/dnode"


def _formula(node: Value, ids: dict[int, int]) -> str:
    if not node.args:
        return ""
    return describe(node.op, [a.label if len(a.label) <= 12 else f"#{ids[id(a)]}" for a in node.args])


# Columns the node table gives up, in order, when it does not fit the width; then it stacks.
_NODE_NARROWING = ((), ("formula",), ("formula", "op"), ("formula", "op", "#"))


def table(graph: Graph, options: OutputOptions = DEFAULT) -> RenderableType:
    """Every node in creation order: id, label, op, value, grad (capped at max_rows), in as
    many of these columns as fit the width."""
    rows = _node_rows(graph, options)
    big = len(rows) > _MEASURED_ROWS
    for dropped in _NODE_NARROWING:
        natural = _natural_width(graph, rows, dropped)
        if natural <= options.width or not big:
            t = _node_table(graph, rows, dropped, options)
            if natural <= options.width or fits(t, options.width):
                return t
    return _node_stack(graph, rows, options)


_MEASURED_ROWS = 300  # above this, a table is only drawn at its natural width (rich's measuring is slow)


def _has_u(rows: list) -> bool:
    return any(isinstance(r, dict) and "u" in r for r in rows)


def _natural_width(graph: Graph, rows: list, dropped: tuple) -> int:
    """The width of the node table with no cell wrapped: the widest cell of each column, plus
    rich's padding and borders (3 a column, 1 more), computed from the cells' text."""
    from rich.cells import cell_len

    def widest(key, header: str) -> int:
        return max([cell_len(header)] + [cell_len(key(r)) for r in rows if not isinstance(r, int)])

    def op(r: dict) -> str:
        return r["op"] + (f"  {r['formula']}" if r["formula"] and "formula" not in dropped else "")

    columns = [widest(lambda r: r["node"], "node"), widest(lambda r: r["value"], "value")]
    if _has_u(rows):
        columns.append(widest(lambda r: r["u"], "u"))
    columns.append(widest(lambda r: r["grad"], f"d{_short_name(graph.output_name)}/dnode"))
    if "#" not in dropped:
        columns.append(widest(lambda r: r["#"], "#"))
    if "op" not in dropped:
        columns.append(widest(op, "op"))
    return sum(columns) + 3 * len(columns) + 1


def _node_rows(graph: Graph, options: OutputOptions) -> list:
    """The cells of each node drawn (a dict), or the number of nodes left out (an int)."""
    nodes, ids, p = graph.nodes, positions(graph.nodes), options.precision
    unc = getattr(graph, "uncertainty", None)
    us = unc.nodes if unc is not None and unc.nodes is not None else None  # each node's first-order u
    rows: list = []
    for i in capped(len(nodes), options.max_rows):
        if i < 0:
            rows.append(-i)
            continue
        node = nodes[i]
        formula = _formula(node, ids)
        rows.append(
            {
                "#": str(i),
                "node": node.label,
                "style": "bold" if node is graph.output else ("cyan" if node.op.name == "input" else ""),
                "op": node.op.name,
                "formula": formula if formula != node.label else "",
                "value": short(node.data, p),
                "grad": short(node.grad, p),
                "g": node.grad,
                **({"u": short(us[i], p)} if us is not None else {}),
            }
        )
    return rows


def _left_out_caption(graph: Graph, rows: list) -> str:
    left_out = sum(r for r in rows if isinstance(r, int))
    if not left_out:
        return ""
    shown = len(graph.nodes) - left_out
    return (
        f"... {plural(left_out, 'node')} not shown ...: {shown:,} of {len(graph.nodes):,} shown; "
        "--max-rows 0 shows all, --format json lists all"
    )


def _node_table(graph: Graph, rows: list, dropped: tuple, options: OutputOptions) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    t = Table(
        title=_array_title(graph) or f"{graph.output_name} = {short(graph.output.data, options.precision)}",
        title_justify="left",
        caption_justify="left",
    )
    if "#" not in dropped:
        t.add_column("#", justify="right", style="dim", no_wrap=True)
    t.add_column("node", overflow="fold")
    if "op" not in dropped:
        t.add_column("op", overflow="fold")
    t.add_column("value", justify="right", no_wrap=True)
    with_u = _has_u(rows)
    if with_u:
        t.add_column("u", justify="right", no_wrap=True)  # the node's standard uncertainty (first order)
    t.add_column(f"d{_short_name(graph.output_name)}/dnode", justify="right", no_wrap=True)
    for row in rows:
        if isinstance(row, int):
            t.add_row(*["⋮"] * len(t.columns))  # how many: in the caption, which has the width
            continue
        op = row["op"] + (f"  {row['formula']}" if row["formula"] and "formula" not in dropped else "")
        t.add_row(
            *([row["#"]] if "#" not in dropped else []),
            Text(row["node"], style=row["style"]),
            *([op] if "op" not in dropped else []),
            row["value"],
            *([row["u"]] if with_u else []),
            Text(row["grad"], style=grad_style(row["g"])),
        )
    notes = [_left_out_caption(graph, rows)]
    if dropped:
        words = {"formula": "formulas", "op": "ops", "#": "ids"}
        notes.append(f"{options.width} columns: no {', '.join(words[d] for d in dropped)} (--format json has all)")
    t.caption = "\n".join(n for n in notes if n) or None
    return t


def _node_stack(graph: Graph, rows: list, options: OutputOptions) -> RenderableType:
    """One block a node, its numbers on lines of their own: for terminals too narrow for any table."""
    from rich.console import Group
    from rich.text import Text

    out = f"d{_short_name(graph.output_name)}/dnode"
    parts: list = [
        Text(f"{graph.output_name} = {short(graph.output.data, options.precision)}", style="italic"),
        Text(f"(one block a node: a table does not fit {options.width} columns)", style="dim"),
    ]
    for row in rows:
        if isinstance(row, int):
            parts.append(Text(f"... {plural(row, 'node')} not shown ...", style="italic"))
            continue
        head = Text(f"#{row['#']} ", style="dim")
        head.append(row["node"], style=row["style"])
        head.append(f"  {row['op']}" + (f"  {row['formula']}" if row["formula"] else ""), style="dim")
        items = [("value", row["value"], ""), *([("u", row["u"], "")] if "u" in row else []),
                 (out, row["grad"], grad_style(row["g"]))]  # fmt: skip
        parts += [head, *pack(items, options.width, indent=4)]
    caption = _left_out_caption(graph, rows)
    if caption:
        parts.append(Text(caption, style="dim"))
    return Group(*parts)


def _short_name(name: str) -> str:
    return name if len(name) <= 12 else "out"
