"""`--format html`: the graph as one self-contained, interactive page (DESIGN §7.4).

One file with no network reference at all (a Content-Security-Policy forbids any load): the
graph laid out in layers from the inputs to the output (render/layout.py, render/graph_svg.py,
all text as SVG <text>); per input a slider and a number field that re-run the forward and
backward pass in the page with gradcli's own generated JavaScript (analysis/code_page.py);
selecting a node shows its local derivatives and explain's chain-rule steps (analysis/explain.py).
The style and script are Python text (render/html_style.py, render/html_script.py).

Everything the program's author wrote is escaped: labels as HTML/SVG text, and the data block
(JSON in a <script>) with `</` and `<!--` and U+2028/2029 escaped.  Big programs degrade in
steps, and the page says what it left out (LIMITS).
"""

from __future__ import annotations

import json
import re
from html import escape
from typing import NamedTuple, TextIO

from gradcli.build.graph import Graph
from gradcli.core.engine import positions
from gradcli.core.formula import describe, number
from gradcli.lang.elements import split_element
from gradcli.render.graph_svg import SvgOptions, card_size, label_of, svg_text
from gradcli.render.html_script import JS
from gradcli.render.html_style import CSS
from gradcli.render.layout import layout
from gradcli.render.text import OutputOptions, full, output_text, plural


class Limits(NamedTuple):
    cards: int = 3000  # nodes drawn; beyond, the ones nearest the output are
    live: int = 6000  # nodes the sliders recompute in the page; beyond, no sliders
    explain: int = 6000  # nodes with explain's steps embedded


LIMITS = Limits()
CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"


def script_json(data) -> str:
    """JSON safe inside <script>: no `</` (ends the block), no `<!--` (script data escape), no
    U+2028/2029 (line ends to old JavaScript)."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (
        text.replace("</", "<\\/")
        .replace("<!--", "\\u003c!--")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def write_html(graph: Graph, options: OutputOptions, out: TextIO) -> None:
    """The writer (render/writers.py): eval's and explain's --format html."""
    out.write(page(graph))


def page(graph: Graph, limits: Limits = LIMITS) -> str:
    """The page of a differentiated Graph."""
    from gradcli.analysis.explain import wrap

    nodes = graph.nodes
    names = graph.display_names()
    ids = positions(nodes)
    out = ids[id(graph.output)]
    array_output = getattr(graph, "arrays", None) is not None and graph.arrays.output is not None
    notes: list[str] = []
    drawn = _drawn(graph, out, limits.cards, notes)
    us = _uncertainties(graph)
    live, edges, locals_ = _live(graph, array_output, limits.live, notes)
    steps, texts, forward, cut = _explained(graph, names, ids, limits.explain, array_output)
    data = {
        "output": graph.output_name,
        "out": out,
        "names": names,
        "ops": [n.op.name for n in nodes],
        "values": [number(n.data) for n in nodes],
        "grads": [number(n.grad) for n in nodes],
        "u": [None if u is None else number(u) for u in us] if us else None,
        "operands": [[ids[id(a)] for a in n.args] for n in nodes],
        "wrapped": [wrap(s) for s in names],
        "formula": [describe(n.op, [names[ids[id(a)]] for a in n.args]) if n.args else None for n in nodes],
        "forward": forward,
        "steps": steps,
        "stepTexts": texts,
        "edges": edges,
        "locals": locals_,
        "inputs": [[name, ids[id(v)]] for name, v in graph.inputs.items()],
        "arrayOutput": array_output,
        "explainCut": cut,
    }
    svg = _svg(graph, drawn, names, us)
    return _document(graph, names, data, svg, live, notes)


def _drawn(graph: Graph, out: int, cap: int, notes: list[str]) -> list[int]:
    """The node positions drawn: all, or (past `cap`) the inputs and the nodes nearest the output."""
    n = len(graph.nodes)
    if n <= cap:
        return list(range(n))
    ids = positions(graph.nodes)
    needed = [ids[id(v)] for v in graph.needed()]
    inputs = {ids[id(v)] for v in graph.inputs.values()}
    keep = set(needed[-(cap - min(len(inputs), cap // 2)) :]) | set(list(sorted(inputs))[: cap // 2])
    drawn = sorted(keep)
    notes.append(
        f"This program has {plural(n, 'node')}: the graph shows {plural(len(drawn), 'node')} (the inputs and the "
        f"nodes nearest the output {graph.output_name}) and leaves out {plural(n - len(drawn), 'node')}; "
        "edges from nodes left out are not drawn. Every node's numbers are in gradcli eval --format json."
    )
    return drawn


def _uncertainties(graph: Graph) -> list | None:
    u = getattr(graph, "uncertainty", None)
    per_node = getattr(u, "nodes", None) if u is not None else None
    return list(per_node) if per_node else None


def _live(graph: Graph, array_output: bool, cap: int, notes: list[str]) -> tuple[str | None, list, list]:
    """The generated live function's script text, its edges and their local partials at the point."""
    from gradcli.analysis.code_page import page_code
    from gradcli.core.engine import local_derivatives

    if not graph.inputs:
        return None, [], []
    if len(graph.nodes) > cap:
        notes.append(
            f"The sliders are off: recomputing {plural(len(graph.nodes), 'node')} in the page is past its "
            f"limit of {cap:,}. Run gradcli eval with new bindings instead."
        )
        return None, [], []
    code = page_code(graph)
    locals_ = [number(local_derivatives(graph.nodes[i])[k]) for i, k in code.edges]
    text = code.text.replace("</", "< /")  # never in generated code; if it were, the block must not end
    if array_output:
        notes.append(
            "The output is an array: the sliders recompute every value; the gradients shown are eval's at the "
            "starting point (greyed once an input moves). Its Jacobian is in gradcli eval --format json."
        )
    return f"{text}\nwindow.gcReady({code.function});\n", [list(e) for e in code.edges], locals_


def _explained(graph: Graph, names: list[str], ids: dict, cap: int, array_output: bool) -> tuple:
    """explain's data per node: its chain-rule steps ([node, via, k]) and their texts, its forward text."""
    from gradcli.analysis.explain import explain

    n = len(graph.nodes)
    if n > cap or array_output:
        why = "the output is an array" if array_output else f"the program has more than {cap:,} nodes"
        return [[] for _ in range(n)], [[] for _ in range(n)], [""] * n, f"explain's steps are left out: {why}."
    grads = [v.grad for v in graph.nodes]
    doc = explain(graph)
    for v, g in zip(graph.nodes, grads):  # explain's traced sweep leaves the same gradients; keep eval's exactly
        v.grad = g
    steps: list[list] = [[] for _ in range(n)]
    texts: list[list[str]] = [[] for _ in range(n)]
    used: dict[tuple[int, int], int] = {}  # (node, via) -> operand slots already matched
    for s in doc["backward"]:
        j, via = s["node_id"], s["via_id"]
        slots = [k for k, a in enumerate(graph.nodes[via].args) if ids[id(a)] == j]
        k = slots[min(used.get((j, via), 0), len(slots) - 1)]
        used[(j, via)] = used.get((j, via), 0) + 1
        steps[j].append([j, via, k])
        texts[j].append(s["text"])
    return steps, texts, [s["text"] for s in doc["forward"]], None


def _svg(graph: Graph, drawn: list[int], names: list[str], us: list | None) -> str:
    nodes = [graph.nodes[i] for i in drawn]
    shown = [label_of(graph.nodes[i], names[i]) for i in drawn]
    u = [us[i] if us else None for i in drawn]
    placed = layout(nodes, [card_size(n, shown[k], u[k]) for k, n in enumerate(nodes)])
    options = SvgOptions(names=shown, output=graph.output, interactive=True, style=False)
    svg = svg_text(nodes, placed, shown, u, options)
    if drawn != list(range(len(graph.nodes))):  # cards are numbered by position in the drawn list: renumber
        svg = re.sub(
            r'(data-(?:i|from|to)="|id="gc-n)([0-9]+)"', lambda m: f'{m.group(1)}{drawn[int(m.group(2))]}"', svg
        )
    # Inline SVG needs no namespace declaration (HTML's parser gives it one), and the page holds no URL at all
    svg = svg.replace(' xmlns="http://www.w3.org/2000/svg"', "", 1)
    groups = _groups(names)
    if groups:
        grouped = {i for members in groups.values() for i in members}
        svg = re.sub(r'class="gc-card ([^"]*)" data-i="([0-9]+)"',
                     lambda m: f'class="gc-card {m.group(1)}{" gc-grouped" if int(m.group(2)) in grouped else ""}" '
                     f'data-i="{m.group(2)}"', svg)  # fmt: skip
    return svg


def _groups(names: list[str]) -> dict[str, list[int]]:
    """Array elements by array: `W` -> the positions of W[0], W[1], ..."""
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        element = split_element(name)  # an array element's label: W[0,1]
        if element:
            groups.setdefault(element[0], []).append(i)
    return groups


def _inputs(graph: Graph, names: list[str], enabled: bool) -> str:
    """A slider and a number field per input; an array's elements in one fieldset."""
    ids = positions(graph.nodes)
    off = "" if enabled else " disabled"
    rows: dict[str, list[str]] = {}
    for name, v in graph.inputs.items():
        i, x = ids[id(v)], v.data
        span = max(1.0, abs(x)) if x - x == 0.0 else 1.0
        lo, hi = (x - span, x + span) if x - x == 0.0 else (-1.0, 1.0)
        element = split_element(name)
        rows.setdefault(element[0] if element else "", []).append(
            f'<label class="gc-input"><span>{escape(name)}</span>'
            f'<input type="range" id="gc-range{i}" min="{lo!r}" max="{hi!r}" step="{(hi - lo) / 1000!r}" '
            f'value="{full(x)}" aria-label="{escape(name)} slider"{off}>'
            f'<input type="number" id="gc-num{i}" step="any" value="{full(x)}" aria-label="{escape(name)} value"{off}>'
            "</label>"
        )
    parts = []
    for group, items in rows.items():
        if group:
            parts.append(f"<fieldset><legend>{escape(group)}</legend>{''.join(items)}</fieldset>")
        else:
            parts.extend(items)
    return "".join(parts) or '<span class="sub">No inputs: the program is constants only.</span>'


def _arrays(names: list[str]) -> str:
    groups = _groups(names)
    if not groups:
        return ""
    rows = "".join(
        f'<div class="gc-array"><strong>{escape(g)}</strong> '
        + "".join(f'<button type="button" data-select="{i}">{escape(names[i])}</button>' for i in members)
        + "</div>"
        for g, members in groups.items()
    )
    return f'<section id="gc-arrays" aria-label="array elements"><h2>Array elements</h2>{rows}</section>'


def _document(graph: Graph, names: list[str], data: dict, svg: str, live: str | None, notes: list[str]) -> str:
    title = f"{graph.output_name} = {output_text(graph)}"
    note = "".join(f"<p>{escape(n)}</p>" for n in notes)
    module = f'<script type="module">{live}</script>' if live else ""
    n = len(graph.nodes)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>gradcli: {escape(title)}</title><style>{CSS}</style></head><body>"
        f'<header><h1>{escape(graph.output_name)} = <span id="gc-value">{escape(output_text(graph))}</span></h1>'
        f'<span class="sub">{plural(n, "node")} · inputs on the left, the output on the right · '
        "select a node for its chain rule</span>"
        '<button type="button" id="gc-theme" aria-label="switch between light and dark theme">Theme</button></header>'
        f'<section id="gc-inputs" aria-label="inputs">{_inputs(graph, names, False)}</section>'
        f'<div id="gc-notice" role="status">{note}<p id="gc-live" aria-live="polite"></p></div>'
        f'<main><div id="gc-graph">{svg}</div><aside id="gc-detail" aria-live="polite" aria-label="selected node">'
        "</aside></main>"
        f"{_arrays(names)}"
        f'<script type="application/json" id="gc-data">{script_json(data)}</script>'
        f"<script>{JS}</script>{module}</body></html>\n"
    )
