"""Graph -> output: plain dicts and text (json, csv) and rich renderables (table, tree).

rich is imported only by the functions that build renderables, so json and csv output
never pay for it.  Nothing here decides exit codes.  The pretty renderables are built for a
width and never cut a number to fit it: they drop columns, or stack each row's numbers on
lines of their own, and say so.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from typing import TYPE_CHECKING, Any, TextIO

from gradcli.build.builder import Graph
from gradcli.core.engine import Value, describe, fmt, number
from gradcli.render.writers import OutputOptions

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.text import Text

DEFAULT = OutputOptions()


def short(x: float, precision: int | None = 6) -> str:
    """A readable number: `precision` significant digits (None: all), no trailing noise;
    non-finite values spelled as in the JSON: NaN, Infinity, -Infinity."""
    if x - x != 0.0:
        return str(number(x))
    if precision is None:
        return fmt(x)
    if x == 0.0:
        return "0"
    return f"{x:.{precision}g}"


def full(x: float) -> str:
    """Every digit of x (repr), non-finite values spelled as in the JSON."""
    return repr(x) if x - x == 0.0 else str(number(x))


def plural(n: int, word: str, words: str | None = None) -> str:
    """`1 node`, `2 nodes`, `3 branches` (with words="branches")."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


@functools.cache
def _console_class():
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # rich's default exits with status 1; the CLI decides (a closed pipe is not an error).
            raise BrokenPipeError

    return _Console


def console(out: TextIO, width: int = 80, no_color: bool = False) -> Console:
    """A rich console on `out`, `width` columns wide; colour only on a terminal (and not
    with --no-color or NO_COLOR)."""
    return _console_class()(file=out, width=width, no_color=no_color or None, highlight=False, soft_wrap=False)


def fits(renderable: RenderableType, width: int) -> bool:
    """Whether rich draws `renderable` in `width` columns without cutting anything short: at
    its natural width it always does; narrower, every cell needs at least its longest word
    (else rich squeezes columns to nothing or cuts numbers with "…"), so draw it once to see."""
    from rich.measure import Measurement

    probe = console(io.StringIO(), width, True)
    natural = Measurement.get(probe, probe.options.update(max_width=1 << 20), renderable)
    if natural.maximum <= width:
        return True
    if natural.minimum > width or _narrowest(probe, renderable) > width:
        return False
    with probe.capture() as captured:
        probe.print(renderable)
    return "…" not in captured.get()


def _narrowest(probe: Console, renderable: RenderableType) -> int:
    """The narrowest a table can be with each wrapping column at least its longest word (rich
    itself would squeeze it further, to a letter or two a line) and the others whole."""
    from rich.table import Table

    if not isinstance(renderable, Table):
        return 0
    options = probe.options.update(max_width=1 << 20)
    measures = [renderable._measure_column(probe, options, column) for column in renderable.columns]
    widths = [m.maximum if column.no_wrap else m.minimum for m, column in zip(measures, renderable.columns)]
    return sum(widths) + renderable._extra_width


def pack(items: list[tuple[str, str, str]], width: int, indent: int = 2) -> list[Text]:
    """(name, number, style) items as `name number` pairs, as many to a line as fit in
    `width`: the stacked layout, where a number is never split."""
    from rich.text import Text

    lines: list[Text] = []
    line = Text(" " * indent)
    for name, value, style in items:
        cell = len(name) + 1 + len(value)
        if line.cell_len > indent and line.cell_len + 3 + cell > width:
            lines.append(line)
            line = Text(" " * indent)
        if line.cell_len > indent:
            line.append("   ")
        line.append(f"{name} ", style="dim")
        line.append(value, style=style)
    lines.append(line)
    return lines


def jsonable(doc):
    """A copy of a nested dict/list with non-finite floats as "NaN"/"Infinity"/"-Infinity"."""
    if isinstance(doc, float):
        return number(doc)
    if isinstance(doc, dict):
        return {k: jsonable(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [jsonable(v) for v in doc]
    return doc


def node_ids(graph: Graph) -> dict[int, int]:
    return {id(node): i for i, node in enumerate(graph.nodes)}


def to_dict(graph: Graph) -> dict[str, Any]:
    """The JSON document of `gradcli eval` (DESIGN §3)."""
    ids = node_ids(graph)
    nodes = [
        {
            "id": i,
            "label": node.label,
            "op": node.op.name,
            "value": number(node.data),
            "grad": number(node.grad),
            "inputs": [ids[id(a)] for a in node.args],
        }
        for i, node in enumerate(graph.nodes)
    ]
    return {
        "output": graph.output_name,
        "value": number(graph.output.data),
        "gradients": {name: number(g) for name, g in graph.gradients().items()},
        "nodes": nodes,
    } | _array_fields(graph)


def _array_title(graph: Graph) -> str | None:
    """An array output's table title: its gradients are those of the sum of its elements."""
    info = getattr(graph, "arrays", None)
    if info is None or info.output is None:
        return None
    name = graph.output_name
    return f"{name}: shape {info.output.shape}; grad: d sum({name})/dnode"


def _array_fields(graph: Graph) -> dict:
    """Arrays: gradients shaped like the inputs; an array output's value, shape and Jacobian."""
    if getattr(graph, "arrays", None) is None:
        return {}
    from gradcli.build.arrays import json_fields

    return json_fields(graph)


def to_json(graph: Graph) -> str:
    """`json.dumps(to_dict(graph))`, written directly: ~2x faster on big graphs."""
    ids = node_ids(graph)
    head = {
        "output": graph.output_name,
        "value": number(graph.output.data),
        "gradients": {name: number(g) for name, g in graph.gradients().items()},
    } | _array_fields(graph)
    text = json.dumps(head, allow_nan=False)
    string = json.encoder.encode_basestring  # the C escaper json.dumps itself uses
    parts = [text[:-1], ', "nodes": [']
    append = parts.append
    for i, node in enumerate(graph.nodes):
        data, grad = node.data, node.grad
        value = repr(data) if data - data == 0.0 else f'"{number(data)}"'
        g = repr(grad) if grad - grad == 0.0 else f'"{number(grad)}"'
        inputs = ", ".join([str(ids[id(a)]) for a in node.args])
        append(
            f'{{"id": {i}, "label": {string(node.label)}, "op": "{node.op.name}", '
            f'"value": {value}, "grad": {g}, "inputs": [{inputs}]}}, '
        )
    if graph.nodes:
        parts[-1] = parts[-1][:-2]
    append("]}")
    return "".join(parts)


def to_csv(graph: Graph) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["id", "label", "op", "value", "grad"])
    for i, node in enumerate(graph.nodes):
        writer.writerow([i, node.label, node.op.name, full(node.data), full(node.grad)])
    return buf.getvalue()


def _grad_style(g: float) -> str:
    # Which way each input should move to increase the output: the seed's "gates
    # communicating whether they want their outputs to increase or decrease".
    if g > 0:
        return "green"
    if g < 0:
        return "red"
    return "dim"


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
    nodes, ids, p = graph.nodes, node_ids(graph), options.precision
    unc = getattr(graph, "uncertainty", None)
    us = unc.nodes if unc is not None and unc.nodes is not None else None  # each node's first-order u
    rows: list = []
    for i in _rows(len(nodes), options.max_rows):
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
            Text(row["grad"], style=_grad_style(row["g"])),
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
                 (out, row["grad"], _grad_style(row["g"]))]  # fmt: skip
        parts += [head, *pack(items, options.width, indent=4)]
    caption = _left_out_caption(graph, rows)
    if caption:
        parts.append(Text(caption, style="dim"))
    return Group(*parts)


def _short_name(name: str) -> str:
    return name if len(name) <= 12 else "out"


def _rows(n: int, max_rows: int):
    """Which of n rows to draw: yields a row's index, or a negative -k for "k rows left out".
    The first rows and the last few (which hold the output) are kept."""
    if max_rows <= 0 or n <= max_rows:
        yield from range(n)
        return
    tail = max(1, min(5, max_rows // 2))
    yield from range(max_rows - tail)
    yield -(n - max_rows)
    yield from range(n - tail, n)


_GUIDE = 4  # columns of indentation a tree level takes (rich's guides)
_ROOM = 26  # columns a tree entry needs beside its guides: a 17-digit number never wraps


def tree(graph: Graph, options: OutputOptions = DEFAULT, max_depth: int = 40) -> RenderableType:
    """The graph as a tree rooted at the output, drawn in reading order: the first time a
    node is met it gets its full entry, later times a one-line reference.  A branch that
    would not fit the width ends in a marker instead of wrapping."""
    from rich.text import Text
    from rich.tree import Tree

    ids, max_rows = node_ids(graph), options.max_rows

    def label(node: Value, again: bool) -> Text:
        text = Text()
        text.append(f"#{ids[id(node)]} ", style="dim")
        text.append(node.label or "?", style="bold" if node is graph.output else "")
        text.append(f"  {node.op.name}" if id(node) not in calls else f"  call {calls[id(node)][0]}", style="dim")
        if again:
            text.append("  (drawn above)", style="italic dim")
            return text
        text.append(f"  = {short(node.data, options.precision)}")
        text.append("  grad ")
        text.append(short(node.grad, options.precision), style=_grad_style(node.grad))
        return text

    calls = {} if options.open_calls else _call_results(graph)

    def children(node: Value) -> tuple:
        return calls[id(node)][1] if id(node) in calls else node.args

    root = Tree(label(graph.output, False))
    drawn, marked = {id(graph.output)}, set()
    count = cut = 0
    # Pre-order with an explicit stack (no recursion, however deep the graph): the order a reader meets nodes.
    stack = [(arg, root, 1) for arg in reversed(children(graph.output))]
    while stack:
        node, parent, depth = stack.pop()
        again = id(node) in drawn
        text = label(node, again)
        if (max_rows > 0 and count + 1 >= max_rows) or depth > max_depth:
            cut += 1
            continue
        if depth > 1 and depth * _GUIDE + _ROOM > options.width:
            cut += 1
            if id(parent) not in marked:  # once a parent: "the rest is further right than the screen"
                marked.add(id(parent))
                parent.add(Text("⋯ deeper", style="italic dim"))
            continue
        branch = parent.add(text)
        count += 1
        if not again:
            drawn.add(id(node))
            stack.extend((arg, branch, depth + 1) for arg in reversed(children(node)))
    if cut:
        limits = [f"{max_rows:,} nodes"] if max_rows > 0 else []
        limits += [f"depth {max_depth}", f"{options.width} columns"]
        root.add(
            Text(f"... {plural(cut, 'branch', 'branches')} not drawn (limits: {', '.join(limits)})", style="italic")
        )
    return root


def _call_results(graph: Graph) -> dict[int, tuple[str, tuple]]:
    """id of each user-function call's result node -> ("f#1", the nodes the call reads from
    outside it): the tree draws a call as one node over its arguments (--expand opens it)."""
    from gradcli.build.functions import call_key

    calls = getattr(graph, "calls", None) or {}
    out: dict[int, tuple[str, tuple]] = {}
    for node in graph.nodes:
        keys = {k for a in node.args if (k := call_key(a.label))}
        key = next((k for k in keys if k in calls and not node.label.startswith(k + ".")), None)
        if key is None:
            continue
        outside, stack, seen = [], list(node.args), set()
        while stack:
            n = stack.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            if n.label.startswith(key + "."):
                stack.extend(n.args)
            elif n.op.name != "const":
                outside.append(n)
        out[id(node)] = (key, tuple(reversed(outside)))
    return out


# -- graph export: Graphviz and Mermaid ------------------------------------------------------


def _dot_escape(text: str) -> str:
    # record labels treat { } | < > and quotes specially
    return "".join("\\" + ch if ch in '{}|<>"\\' else ch for ch in text)


def to_dot(graph: Graph, precision: int = 6) -> str:
    """Graphviz, drawn as micrograd's draw_dot does: value nodes as records (label, data,
    grad), an op node in front of each computed value.  Fill colour: the gradient's sign."""
    ids = node_ids(graph)
    lines = [
        "digraph gradcli {",
        "  rankdir=LR;",
        '  node [shape=record, fontname="Helvetica"];',
    ]
    for i, node in enumerate(graph.nodes):
        fill = "#d8f5d0" if node.grad > 0 else ("#f8d7d4" if node.grad < 0 else "#f2f2f2")
        label = (
            f"{{ {_dot_escape(node.label)} | data {_dot_escape(short(node.data, precision))}"
            f" | grad {_dot_escape(short(node.grad, precision))} }}"
        )
        bold = ", penwidth=2" if node is graph.output else ""
        lines.append(f'  n{i} [label="{label}", style=filled, fillcolor="{fill}"{bold}];')
        if node.args:
            symbol = node.op.symbol if node.op.symbol and node.op.name != "id" else node.op.name
            lines.append(f'  n{i}_op [label="{_dot_escape(symbol)}", shape=circle];')
            lines.append(f"  n{i}_op -> n{i};")
            for a in node.args:
                lines.append(f"  n{ids[id(a)]} -> n{i}_op;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(graph: Graph, precision: int = 6) -> str:
    """A Mermaid flowchart (renders on GitHub and in Markdown viewers): one box per node
    (label, op, value, grad), one arrow per operand edge."""
    ids = node_ids(graph)
    lines = ["flowchart LR"]
    for i, node in enumerate(graph.nodes):
        text = (
            f"{_mermaid_text(node.label)}<br/>{node.op.name}<br/>value {short(node.data, precision)}"
            f"<br/>grad {short(node.grad, precision)}"
        )
        lines.append(f'  n{i}["{text}"]')
    for i, node in enumerate(graph.nodes):
        for a in node.args:
            lines.append(f"  n{ids[id(a)]} --> n{i}")
    positive = [f"n{i}" for i, node in enumerate(graph.nodes) if node.grad > 0]
    negative = [f"n{i}" for i, node in enumerate(graph.nodes) if node.grad < 0]
    lines.append("  classDef up fill:#d8f5d0,stroke:#3a7d2c")
    lines.append("  classDef down fill:#f8d7d4,stroke:#a33a2c")
    if positive:
        lines.append(f"  class {','.join(positive)} up")
    if negative:
        lines.append(f"  class {','.join(negative)} down")
    return "\n".join(lines) + "\n"


# -- explain ----------------------------------------------------------------------------------


def explanation(doc: dict, options: OutputOptions = DEFAULT) -> RenderableType:
    """The forward and backward passes as text: a rule line, then one line per step; each
    list capped at max_rows."""
    from rich.console import Group
    from rich.rule import Rule
    from rich.text import Text

    from gradcli.analysis.explain import wrap

    def capped(items: list, what: str, line_of) -> list:
        return [
            Text(f"  ... {plural(-i, what)} not shown ...", style="italic") if i < 0 else line_of(items[i])
            for i in _rows(len(items), options.max_rows)
        ]

    def gradient_line(item) -> Text:
        name, g = item
        line = Text(f"  d{out}/d{wrap(name)} = ")
        line.append(short(g, options.precision), style=_grad_style(g))
        return line

    def heading(title: str):
        # A rule with its title, where the title fits in it; else the title alone (rich would cut it with "…").
        return Rule(title, align="left") if len(title) + 6 <= options.width else Text(title, style="bold")

    out = wrap(doc.get("output_node", doc["output"]))
    parts: list = [heading("forward pass: every node's value, in creation order")]
    parts += capped(
        doc["forward"], "step", lambda s: Text("  " + s["text"], style="cyan" if s["op"] == "input" else "")
    )
    parts.append(heading(f"backward pass: d{out}/d{out} = 1, then the chain rule, last node first"))
    parts.append(Text("  each step: upstream gradient · local derivative = contribution, added with +=", style="dim"))
    parts += capped(doc["backward"], "step", lambda s: Text("  " + s["text"], style=_grad_style(s["contribution"])))
    parts.append(heading("gradients of the inputs"))
    parts += capped(list(doc["gradients"].items()), "input", gradient_line)
    return Group(*parts)


# -- check -------------------------------------------------------------------------------------

_STATUS_STYLE = {"pass": "green", "kink": "cyan", "fail": "bold red", "inconclusive": "yellow"}
_STATUS_WORDS = {"pass": "passed", "kink": "at a kink", "fail": "failed", "inconclusive": "inconclusive"}
# Columns the check table gives up, in order, when it does not fit the width; then it stacks.
_CHECK_NARROWING = ((), ("rel err",), ("rel err", "abs err"), ("rel err", "abs err", "value"))
_CHECK_NUMBERS = ("value", "analytic", "numeric", "abs err", "rel err", "±est")


def _g2(x: float) -> str:
    """Two significant digits, as check's notes write errors and tolerances."""
    return f"{x:.2g}" if x - x == 0.0 else str(number(x))


def _check_rows(report, options: OutputOptions) -> tuple[list, dict[str, int]]:
    """The cells of each row drawn (a dict) or the number left out (an int), and the notes' numbers."""
    p, notes, rows = options.precision, {}, []
    for i in _rows(len(report.rows), options.max_rows):
        if i < 0:
            rows.append(-i)
            continue
        row = report.rows[i]
        numeric = short(row.numeric, p)
        if row.left is not None and row.right is not None:
            numeric = f"{short(row.left, p)}..{short(row.right, p)}"
        mark = f" [{notes.setdefault(row.note, len(notes) + 1)}]" if row.note else ""
        cells = [row.value, row.analytic, None, row.abs_error, row.rel_error, row.error_estimate]
        numbers = dict(zip(_CHECK_NUMBERS, [short(cells[0], p), short(cells[1], p), numeric, *map(_g2, cells[3:])]))
        rows.append({"pt": str(row.point), "gradient": _gradient_of(report.output, row.name), "status": row.status,
                     "note": mark, **numbers})  # fmt: skip
    return rows, notes


def _gradient_of(output: str, name: str) -> str:
    """A row's name as the gradient it compares: `dL/da`, `dL/da claimed`, `dL/de (node)`."""
    from gradcli.analysis.explain import wrap

    kind, sep, rest = name.partition(":")
    if sep and kind == "expect":
        return f"d{wrap(output)}/d{wrap(rest)} claimed"
    if sep and kind == "node":
        return f"d{wrap(output)}/d{wrap(rest)} (node)"
    if sep and kind == "d2":  # d2:a,b -> d2L/dadb, d2L/da2
        a, _, b = rest.partition(",")
        return f"d2{wrap(output)}/d{wrap(a)}2" if a == b else f"d2{wrap(output)}/d{wrap(a)}d{wrap(b)}"
    if name == "sample":
        return "(no defined point)"
    return f"d{wrap(output)}/d{wrap(name)}"


def _status(row: dict) -> Text:
    from rich.text import Text

    text = Text(row["status"], style=_STATUS_STYLE.get(row["status"], ""))
    text.append(row["note"], style="dim")
    return text


def _check_grid(report, rows: list, dropped: tuple, several: bool) -> RenderableType:
    from rich.table import Table

    t = Table()
    columns = (["pt"] if several else []) + ["gradient"] + [c for c in _CHECK_NUMBERS if c not in dropped]
    for name in columns:
        t.add_column(
            name,
            justify="left" if name == "gradient" else "right",
            overflow="fold" if name == "gradient" else "ellipsis",
            no_wrap=name != "gradient",
        )
    t.add_column("status", no_wrap=True)
    for row in rows:
        if isinstance(row, int):
            t.add_row(*["⋮"] * len(t.columns))  # how many: in a line below, which has the width
        else:
            t.add_row(*[row[c] for c in columns], _status(row))
    return t


def _check_stack(rows: list, several: bool, options: OutputOptions) -> list:
    from rich.text import Text

    parts: list = []
    for row in rows:
        if isinstance(row, int):
            parts.append(Text(f"... {plural(row, 'row')} not shown ...", style="italic"))
            continue
        head = Text((f"pt {row['pt']}  " if several else "") + row["gradient"] + "  ")
        head.append_text(_status(row))
        parts += [head, *pack([(c, row[c], "") for c in _CHECK_NUMBERS], options.width)]
    return parts


def check_table(report, options: OutputOptions = DEFAULT) -> RenderableType:
    """A title, one row per gradient compared (as many columns as fit the width), the
    notes, then a one-line verdict."""
    from rich.console import Group
    from rich.text import Text

    parts: list = []
    if report.rows:
        several = len(report.points) > 1
        rows, notes = _check_rows(report, options)
        parts.append(Text(f"gradients of {report.output}: analytic against finite differences"))
        for dropped in _CHECK_NARROWING:
            grid = _check_grid(report, rows, dropped, several)
            if fits(grid, options.width):
                parts.append(grid)
                left_out = sum(r for r in rows if isinstance(r, int))
                if left_out:
                    parts.append(
                        Text(f"... {plural(left_out, 'row')} not shown ...: --max-rows 0 shows all", style="dim")
                    )
                if dropped:
                    parts.append(
                        Text(f"{options.width} columns: no {', '.join(dropped)} (--format json has all)", style="dim")
                    )
                break
        else:
            parts.append(Text(f"(one block a row: a table does not fit {options.width} columns)", style="dim"))
            parts += _check_stack(rows, several, options)
        parts += [Text(f"[{i}] {note}", style="dim") for note, i in notes.items()]
        if any(row.name.startswith("expect:") for row in report.rows):
            parts.append(Text("analytic: autograd's gradient, or in a 'claimed' row the claim", style="dim"))
    parts.append(_verdict(report))
    return Group(*parts)


def _verdict(report) -> Text:
    from collections import Counter

    from rich.text import Text

    if not report.rows:
        return Text("nothing to check: the program has no inputs", style="yellow")
    counts = Counter(row.status for row in report.rows)
    summary = ", ".join(
        f"{counts[s]:,} {_STATUS_WORDS[s]}" for s in ("pass", "kink", "fail", "inconclusive") if counts[s]
    )
    if report.ok:
        return Text(f"ok: every gradient confirmed ({summary})", style="bold green")
    return Text(f"NOT CONFIRMED: {summary}", style="bold red")
