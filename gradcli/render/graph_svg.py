"""A computation graph as one SVG string: a card per node (label, op, value, gradient, `± u`
when uncertain), an arrow per operand edge, laid out by gradcli.render.layout.

Everything on a card is SVG <text>, never pixels, so it can be searched, copied and read by a
screen reader; every user-written string is escaped for XML.  Numbers have every digit, as
eval's JSON writes them (NaN, Infinity, -Infinity for non-finite ones).  Used on its own by the
notebook display (_repr_svg_, gradcli.draw) and inside the --format html page, which sets
`interactive` (focusable cards with ids and aria labels) and styles the classes itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from xml.sax.saxutils import escape, quoteattr

from gradcli.core.engine import Value
from gradcli.render.layout import Box, Layout, layout
from gradcli.render.text import full

CHAR = 7.3  # px per character of the 12px monospace text (labels: 13px bold, ~7.9)
LABEL_CHAR = 7.9
LINE = 16.0
PAD = 8.0
MIN_WIDTH = 120.0
MAX_LABEL = 36  # longer labels are cut with … on the card; the full text is in its <title>

# The standalone look (notebook, a saved .svg); the html page styles the same classes itself.
STYLE = """
.gc-card rect{fill:#fbfbfd;stroke:#8a8f98;stroke-width:1}
.gc-card.gc-up rect{fill:#e6f5e1}.gc-card.gc-down rect{fill:#fbe6e3}
.gc-card.gc-output rect{stroke:#333;stroke-width:2}
.gc-card text{font:12px ui-monospace,Menlo,Consolas,monospace;fill:#1d1f23}
.gc-card .gc-label{font-weight:bold;font-size:13px}
.gc-card .gc-op{fill:#6a6f78}
.gc-edge{fill:none;stroke:#9aa0aa;stroke-width:1.2}
.gc-arrow{fill:#9aa0aa}
"""


@dataclass
class SvgOptions:
    """What the Values alone do not say; every field is optional."""

    names: Sequence[str] | None = None  # each node's label as shown (Graph.display_names()); default: .label
    output: Value | None = None  # the node drawn bold (default: the last)
    uncertainty: dict[int, float] = field(default_factory=dict)  # node position -> standard uncertainty u
    direction: str = "LR"  # LR: inputs on the left; TB: inputs at the top
    interactive: bool = False  # ids, tabindex, role and aria-label on each card (the html page)
    style: bool = True  # embed STYLE (off when the page brings its own CSS)


def label_of(node: Value, name: str | None = None) -> str:
    """A card's title: the name given, else the node's label, else its op (micrograd's unnamed nodes)."""
    return name or node.label or node.op.name


def clean(text: str) -> str:
    """`text` with the characters XML 1.0 cannot hold (control characters, lone surrogates) replaced."""
    return "".join(
        "\ufffd" if (ord(ch) < 0x20 and ch not in "\t\n\r") or 0xD800 <= ord(ch) <= 0xDFFF or ch in "\ufffe\uffff"
        else ch
        for ch in text
    )  # fmt: skip


def xml(text: str) -> str:
    """Text escaped for an XML text node."""
    return escape(clean(text))


def attr(text: str) -> str:
    """Text as a quoted XML attribute value."""
    return quoteattr(clean(text))


def card_lines(node: Value, u: float | None) -> list[tuple[str, str]]:
    """The card's lines after its title, as (caption, number): value, grad, and ± u when uncertain."""
    lines = [("value ", full(node.data)), ("grad  ", full(node.grad))]
    if u is not None:
        lines.append(("±     ", full(u)))
    return lines


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def card_size(node: Value, name: str, u: float | None) -> tuple[float, float]:
    lines = card_lines(node, u)
    title = len(_short(name)) * LABEL_CHAR + CHAR * (len(node.op.name) + 2)
    width = max(title, *((len(c) + len(v)) * CHAR for c, v in lines)) + 2 * PAD
    return max(MIN_WIDTH, width), LINE * (1 + len(lines)) + PAD + 2


def graph_svg(nodes: Sequence[Value], options: SvgOptions | None = None) -> str:
    """The graph of `nodes` (topologically ordered) as a standalone SVG document string."""
    o = options or SvgOptions()
    names = [label_of(node, o.names[i] if o.names else None) for i, node in enumerate(nodes)]
    us = [o.uncertainty.get(i) for i in range(len(nodes))]
    placed = layout(nodes, [card_size(n, names[i], us[i]) for i, n in enumerate(nodes)], o.direction)
    return svg_text(nodes, placed, names, us, o)


def svg_text(nodes: Sequence[Value], placed: Layout, names: list[str], us: list, o: SvgOptions) -> str:
    """The SVG for a layout already made (the html page reuses its layout for other parts)."""
    o = replace(o, output=o.output if o.output is not None else (nodes[-1] if nodes else None))
    w, h = round(placed.width), round(placed.height)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="gc-graph" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" role="group" aria-label="computation graph">'
    ]
    if o.style:
        parts.append(f"<style>{STYLE}</style>")
    parts.append(
        '<defs><marker id="gc-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="8" markerHeight="8" '
        'markerUnits="userSpaceOnUse" '
        'orient="auto-start-reverse"><path class="gc-arrow" d="M0,0L8,4L0,8z"/></marker></defs>'
    )
    parts.append('<g class="gc-edges">')
    parts.extend(_edge(placed, a, b) for a, b in placed.edges)
    parts.append('</g><g class="gc-cards">')
    for i, node in enumerate(nodes):
        parts.append(_card(i, node, names[i], us[i], placed.boxes[i], o))
    parts.append("</g></svg>")
    return "".join(parts)


def _edge(placed: Layout, a: int, b: int) -> str:
    """A cubic curve from the operand's far side to the result's near side."""
    s, t = placed.boxes[a], placed.boxes[b]
    if placed.direction == "LR":
        x1, y1, x2, y2 = s.x + s.w, s.y + s.h / 2, t.x, t.y + t.h / 2
        bend = max(24.0, (x2 - x1) / 2)
        d = f"M{x1:.1f},{y1:.1f}C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    else:
        x1, y1, x2, y2 = s.x + s.w / 2, s.y + s.h, t.x + t.w / 2, t.y
        bend = max(24.0, (y2 - y1) / 2)
        d = f"M{x1:.1f},{y1:.1f}C{x1:.1f},{y1 + bend:.1f} {x2:.1f},{y2 - bend:.1f} {x2:.1f},{y2:.1f}"
    return f'<path class="gc-edge" data-from="{a}" data-to="{b}" d="{d}" marker-end="url(#gc-arrow)"/>'


def _card(i: int, node: Value, name: str, u: float | None, box: Box, o: SvgOptions) -> str:
    """Node i's card; `o.output` (resolved by svg_text) is drawn bold, `o.interactive` adds ids and aria labels."""
    sign = "gc-up" if node.grad > 0 else "gc-down" if node.grad < 0 else "gc-zero"
    classes = f"gc-card {sign}" + (" gc-output" if node is o.output else "")
    classes += " gc-uncertain" if u is not None else ""
    lines = card_lines(node, u)
    head = f'<g class="{classes}" data-i="{i}" transform="translate({box.x:.1f},{box.y:.1f})"'
    if o.interactive:
        spoken = f"{name}, {node.op.name}, " + ", ".join(c.strip() + " " + v for c, v in lines)
        head += f' id="gc-n{i}" tabindex="0" role="button" aria-label={attr(spoken)}'
    x = PAD
    texts = [
        f"<title>{xml(name)} ({xml(node.op.name)})</title>",
        f'<rect width="{box.w:.1f}" height="{box.h:.1f}" rx="6"/>',
        f'<text class="gc-label" x="{x}" y="{LINE:.0f}">{xml(_short(name))}</text>',
        f'<text class="gc-op" x="{box.w - PAD:.1f}" y="{LINE:.0f}" text-anchor="end">{xml(node.op.name)}</text>',
    ]
    fields = ("gc-value", "gc-grad", "gc-u")
    for k, (caption, number) in enumerate(lines):  # the number in a tspan the page's script rewrites
        texts.append(
            f'<text class="{fields[k]}" x="{x}" y="{LINE * (k + 2):.0f}" xml:space="preserve">'
            f"{xml(caption)}<tspan>{xml(number)}</tspan></text>"
        )
    return head + ">" + "".join(texts) + "</g>"
