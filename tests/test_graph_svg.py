"""The layered layout (gradcli.render.layout) and the graph as SVG (gradcli.render.graph_svg).

Oracles: the layout's properties checked directly on its boxes (every edge goes to a later
layer, no two cards overlap, same input -> same output), and for the SVG, eval's JSON document:
every node's value and gradient as `gradcli eval --format json` writes them appears as text.
"""

import json
import time
import xml.etree.ElementTree as ET

import pytest
from seed import SEED

from gradcli.core.engine import Value, topological_order
from gradcli.render.export import to_json
from gradcli.render.graph_svg import SvgOptions, graph_svg
from gradcli.render.layout import layout
from gradcli.session import Request, Source, evaluate

SVG = "{http://www.w3.org/2000/svg}"


def build(text: str, *bindings: str, allow: bool = False):
    return evaluate(Source(text), list(bindings), Request(allow_nonfinite=allow))


def wide(n: int) -> str:
    """A program of about n nodes with long and short edges, shared operands and constants."""
    lines = ["x0 = 0.5", "w = 1.5"]
    for i in range(1, n // 6):
        lines.append(f"x{i} = tanh(x{i - 1} * w + x{max(0, i - 5)} * 0.25) + sin(x{i // 2})")
    return "\n".join(lines)


def overlaps(a, b) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def check_layout(nodes, placed) -> None:
    assert len(placed.boxes) == len(nodes)
    for a, b in placed.edges:
        assert placed.layers[a] < placed.layers[b], (a, b)
    boxes = sorted(placed.boxes, key=lambda b: b.x)
    for k, a in enumerate(boxes):  # sweep by x: only boxes starting before a's right edge can overlap it
        for b in boxes[k + 1 :]:
            if b.x >= a.x + a.w:
                break
            assert not overlaps(a, b), (a, b)
    assert all(b.x >= 0 and b.y >= 0 and b.x + b.w <= placed.width and b.y + b.h <= placed.height
               for b in placed.boxes)  # fmt: skip


@pytest.mark.parametrize("text", [SEED, wide(300), "y = where(a < b/c, a, -a)\nz = y*y + 2*y", "x = 1.0\ny = x"])
@pytest.mark.parametrize("direction", ["LR", "TB"])
def test_layout_properties(text, direction):
    g = build(text, "a=1", "b=2", "c=3") if "where" in text else build(text)
    placed = layout(g.nodes, direction=direction)
    check_layout(g.nodes, placed)
    again = layout(g.nodes, direction=direction)
    assert again == placed  # deterministic
    assert {placed.layers[i] for i, n in enumerate(g.nodes) if n.op.name == "input"} == {0}
    assert placed.layers[g.nodes.index(g.output)] == max(placed.layers)


def test_layout_of_the_seed_is_its_chain():
    g = build(SEED)
    names = g.display_names()
    layers = dict(zip(names, layout(g.nodes).layers))
    assert layers == {"a": 0, "b": 0, "c": 0, "f": 0, "e": 1, "d": 2, "L": 3}


def test_layout_sizes_and_time():
    g = build(wide(6000))
    assert len(g.nodes) >= 1000
    nodes = g.nodes[:1000]
    start = time.perf_counter()
    placed = layout(nodes, [(100.0 + i % 7 * 10, 50.0 + i % 3 * 16) for i in range(1000)])
    took = time.perf_counter() - start
    check_layout(nodes, placed)
    assert took < 1.0, f"1,000 nodes laid out in {took:.3f} s"  # measured 0.05-0.37 s (loaded)


def test_layout_refuses_unordered_nodes():
    g = build(SEED)
    with pytest.raises(ValueError, match="topological"):
        layout(list(reversed(g.nodes)))
    with pytest.raises(ValueError, match="direction"):
        layout(g.nodes, direction="RL")


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter(SVG + "text")]


def json_number(x) -> str:
    return json.dumps(x) if not isinstance(x, str) else x  # "NaN" etc. as the document spells them


@pytest.mark.parametrize(
    "text,bindings",
    [(SEED, []), ("y = where(a < b/c, a, -a)\nz = log(y) / 3", ["a=0.3", "b=2", "c=5"]),
     ("y = log(x) * x", ["x=0"]), ("p = 2.0\ns = p**0.5 - 1e-300 + 1e22", [])],
)  # fmt: skip
def test_svg_has_every_value_and_gradient_as_json(text, bindings):
    g = build(text, *bindings, allow=True)
    doc = json.loads(to_json(g))
    svg = graph_svg(g.nodes, SvgOptions(names=g.display_names(), output=g.output))
    shown = texts(svg)
    root = ET.fromstring(svg)
    cards = [e for e in root.iter(SVG + "g") if "gc-card" in e.get("class", "").split()]
    assert len(cards) == len(doc["nodes"])
    for card, node in zip(cards, doc["nodes"]):
        words = ["".join(t.itertext()) for t in card.iter(SVG + "text")]
        assert words[2].split() == ["value", json_number(node["value"])]
        assert words[3].split() == ["grad", json_number(node["grad"])]
    assert any(t == "value NaN" or t == "value -Infinity" for t in shown) == ("log(x)" in text)
    assert "<script" not in svg


def test_svg_escapes_labels_and_shows_uncertainty():
    a = Value(1.0, label="<b>&'\"</b>")
    b = Value(2.0, label="ü/π")
    y = a * b + a
    y.label = "y</svg><script>"
    y.backward()
    nodes = topological_order(y)
    svg = graph_svg(nodes, SvgOptions(uncertainty={0: 0.125}, interactive=True))
    assert "<script" not in svg and "<b>" not in svg
    shown = texts(svg)
    assert "<b>&'\"</b>" in shown and "y</svg><script>" in shown and "ü/π" in shown
    assert "± 0.125" in " ".join(" ".join(t.split()) for t in shown)
    root = ET.fromstring(svg)
    focusable = [e for e in root.iter(SVG + "g") if e.get("tabindex") == "0"]
    assert len(focusable) == len(nodes) and all(e.get("aria-label") for e in focusable)


def test_svg_of_a_bare_value_graph_micrograd_style():
    x = Value(3.0)
    y = (x * x).tanh()
    y.backward()
    svg = graph_svg(topological_order(y))  # unlabelled nodes show their op
    shown = texts(svg)
    assert "tanh" in shown and "mul" in shown
    assert f"grad {json.dumps(x.grad)}" in [" ".join(t.split()) for t in shown]
