"""The notebook display (issue 22, DESIGN §7.4): gc.evaluate / uncertainty / sweep /
hessian / diff / draw return objects whose _repr_html_, _repr_svg_ and _repr_latex_ are valid
(parsed: html.parser, xml.etree, matplotlib's mathtext) and show eval's own numbers: every
value is read back from the HTML/SVG and compared with `gradcli eval --format json` (or sweep's
/ hessian's JSON), the oracle.  User-written text is escaped; non-finite values read as in JSON."""

import json
import math
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

import gradcli as gc  # the module; `gradcli` is conftest's fixture running the CLI
from gradcli.analysis.hessian import Hessian

SEED = "L = (a*b + c) * f"
SEED_POINT = {"a": 2, "b": -3, "c": 5, "f": -2}
NASTY = "y = where(a < b/c, a, -a) + where(a > c, 1, 0)"  # labels holding <, >, /
VOID = {"br", "hr", "img", "input", "meta", "link", "col", "wbr"}


class Tables(HTMLParser):
    """Parses an HTML fragment: checks every element closes in order, and collects each table's
    rows as lists of cell texts (entities decoded, as a browser shows them)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None
        self.tags: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in VOID:
            return
        self.stack.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()
        if tag in ("td", "th"):
            self.tables[-1][-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data):
        self.texts.append(data)
        if self.cell is not None:
            self.cell.append(data)


def parse_html(text: str) -> Tables:
    parser = Tables()
    parser.feed(text)
    parser.close()
    assert parser.stack == [], f"unclosed elements: {parser.stack}"
    assert "script" not in parser.tags
    return parser


def node_rows(html: str) -> list[list[str]]:
    """The node table's body rows (#, node, op, value[, u], grad): the table whose head starts '#', 'node'."""
    for t in parse_html(html).tables:
        if t[0][:2] == ["#", "node"]:
            return t[1:]
    raise AssertionError("no node table")


def as_float(text: str) -> float:
    return float(text.replace("Infinity", "inf"))


def json_number(x) -> float:
    return as_float(x) if isinstance(x, str) else float(x)


def eval_doc(gradcli, *args) -> dict:
    result = gradcli("eval", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# -- import cost ------------------------------------------------------------------------------------


def test_import_gradcli_imports_no_numpy_rich_ipython_or_matplotlib():
    code = (
        "import sys, gradcli\n"
        "heavy = ('numpy', 'rich', 'IPython', 'matplotlib', 'ipykernel')\n"
        "print([m for m in heavy if m in sys.modules])\n"
        "r = gradcli.evaluate('L = (a*b + c) * f', a=2, b=-3, c=5, f=-2); r._repr_html_(); r._repr_svg_()\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "[]"]  # nor does evaluating and displaying a program


# -- evaluate: the node table and the graph equal eval's JSON ----------------------------------------


def test_evaluate_equals_eval_json_and_its_table_shows_the_seed_gradients(gradcli):
    r = gc.evaluate(SEED, **SEED_POINT)
    doc = eval_doc(gradcli, SEED, "a=2", "b=-3", "c=5", "f=-2")
    assert r.to_dict() == doc
    assert r.value == 2.0 and r.gradients == {"a": 6.0, "b": -4.0, "c": -2.0, "f": -1.0} == doc["gradients"]
    rows = node_rows(r._repr_html_())
    assert [(row[1], row[2], as_float(row[3]), as_float(row[4])) for row in rows] == [
        (n["label"], n["op"], n["value"], n["grad"]) for n in doc["nodes"]
    ]
    assert [row[4] for row in rows[:4]] == ["6.0", "-4.0", "-2.0", "-1.0"]  # the seed's gradients, every digit


def test_evaluate_svg_is_xml_with_every_node_value_and_gradient(gradcli):
    r = gc.evaluate(SEED, **SEED_POINT)
    root = ET.fromstring(r._repr_svg_())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = "".join(root.itertext())
    for node in r.to_dict()["nodes"]:
        assert node["label"] in text
    assert "grad  6.0" in text and "grad  -4.0" in text  # a's and b's cards
    html = r._repr_html_()
    assert "<svg" in html  # the graph is inline above the table (Jupyter shows one mimetype: HTML)
    parse_html(html)


def test_labels_are_escaped_in_html_and_svg(gradcli):
    r = gc.evaluate(NASTY, a=1, b=4, c=2)
    html = r._repr_html_()
    assert "a < b/c" not in html and "a &lt; b/c" in html and "a &gt; c" in html
    labels = [row[1] for row in node_rows(html)]
    assert "where(a < b/c, a, -a)" in labels and "a > c" in labels  # decoded back to the label
    assert [n["label"] for n in eval_doc(gradcli, NASTY, "a=1", "b=4", "c=2")["nodes"]] == labels
    svg_text = "".join(ET.fromstring(r._repr_svg_()).itertext())
    assert "a < b/c" in svg_text


def test_value_labels_with_markup_unicode_and_plus_minus_are_escaped():
    weird = '</table><script>alert("x")</script> & θ±∂ <!--'
    a = gc.Value(2.0, label=weird)
    y = a * a
    y.label = "ŷ ± u"
    y.backward()
    svg = gc.draw(y, engine="builtin")._repr_svg_()
    root = ET.fromstring(svg)
    assert "<script" not in svg and "<!--" not in svg
    text = "".join(root.itertext())
    assert "ŷ ± u" in text and "θ±∂" in text


def test_non_finite_values_display_as_in_json(gradcli):
    r = gc.evaluate("y = log(x)", x=0, allow_nonfinite=True)
    doc = r.to_dict()
    assert doc["value"] == "-Infinity" and doc["gradients"] == {"x": "Infinity"}
    rows = node_rows(r._repr_html_())
    assert [(row[3], row[4]) for row in rows] == [("0.0", "Infinity"), ("-Infinity", "1.0")]
    assert "-Infinity" in "".join(ET.fromstring(r._repr_svg_()).itertext())
    with pytest.raises(gc.MathError):
        gc.evaluate("y = log(x)", x=0)  # as eval without --allow-nonfinite


def test_bindings_as_keywords_a_dict_lists_and_strings(gradcli):
    r = gc.evaluate("y = k*sum(x) + of", {"k": 2, "of": 1}, x=[1, 2.5])  # option names through the dict
    assert r.to_dict() == eval_doc(gradcli, "y = k*sum(x) + of", "k=2", "of=1", "x=[1, 2.5]")
    assert gc.evaluate("y = x*x", x="pi/4").value == (math.pi / 4) ** 2
    with pytest.raises(TypeError, match="a number, a string or a list"):
        gc.evaluate("y = x", x=object())
    with pytest.raises(gc.GradcliError, match="no value"):
        gc.evaluate("y = x*z", x=1)


def test_array_programs_show_arrays_grouped_and_the_jacobian(gradcli):
    r = gc.evaluate("y = x*W", x=2, W=[[1, 2], [3, 4]])
    doc = eval_doc(gradcli, "y = x*W", "x=2", "W=[[1, 2], [3, 4]]")
    assert r.to_dict() == doc and r.value == [[2.0, 4.0], [6.0, 8.0]]
    tables = parse_html(r._repr_html_()).tables
    arrays = next(t for t in tables if t[0][0] == "array")
    assert arrays[1][:3] == ["W", "(2, 2)", "[[1.0, 2.0], [3.0, 4.0]]"]
    jac = next(t for t in tables if t[0][0] == "element")
    assert jac[0][2:] == doc["jacobian"]["inputs"]
    assert [[float(c) for c in row[2:]] for row in jac[1:]] == doc["jacobian"]["matrix"]


# -- uncertainty ----------------------------------------------------------------------------------


def test_uncertainty_budget_equals_eval_json(gradcli):
    program = "g = 4*pi**2*L/T**2"
    u = gc.uncertainty(program, L="1.000±0.002", T="2.007+/-0.003", k=2)
    doc = eval_doc(gradcli, program, "L=1.000±0.002", "T=2.007+/-0.003", "-k", "2")
    assert u.to_dict() == doc
    assert u.standard == doc["uncertainty"]["standard"] and u.expanded == doc["uncertainty"]["expanded"]
    html = u._repr_html_()
    budget = next(t for t in parse_html(html).tables if t[0][0] == "input")
    entries = doc["uncertainty"]["budget"]
    assert [row[0] for row in budget[1:]] == ["L", "T"]
    assert [float(row[2]) for row in budget[1:]] == [e["u"] for e in entries]
    assert [float(row[4]) for row in budget[1:]] == [e["sensitivity"] for e in entries]
    texts = parse_html(html).texts
    assert "g = 9.801 ± 0.035" in texts and "g = 9.801 ± 0.071 (U = k·u, k = 2)" in texts  # GUM-rounded, as eval
    rows = node_rows(gc.evaluate(program, L="1.000±0.002", T="2.007+/-0.003")._repr_html_())
    assert [float(row[4]) for row in rows] == doc["uncertainty"]["nodes"]  # the u column: every node's u


def test_uncertainty_without_an_uncertain_input_says_so():
    with pytest.raises(gc.GradcliError, match="no input has an uncertainty"):
        gc.uncertainty("y = x*x", x=2)


# -- hessian, diff ------------------------------------------------------------------------------------


def test_hessian_keeps_the_api_and_shows_matrix_eigenvalues_and_verdict(gradcli):
    from gradcli import api

    h = gc.hessian(SEED, SEED_POINT)
    assert isinstance(h, Hessian) and h.to_dict() == api.hessian(SEED, SEED_POINT).to_dict()
    result = gradcli("hessian", SEED, "a=2", "b=-3", "c=5", "f=-2", "--format", "json")
    doc = json.loads(result.stdout)
    html = h._repr_html_()
    tables = parse_html(html).tables
    assert [float(row[1]) for row in tables[0][1:]] == doc["gradient"]
    assert [[float(c) for c in row[1:]] for row in tables[1][1:]] == doc["hessian"]
    assert doc["definiteness"] == "indefinite" and "verdict: indefinite" in "".join(parse_html(html).texts)
    for e in doc["eigenvalues"]:
        assert repr(e) in html


def for_mathtext(latex: str) -> list[str]:
    """The display math's aligned lines, each as mathtext reads it (no environments)."""
    assert latex.startswith("$$\\begin{aligned}\n") and latex.endswith("\n\\end{aligned}$$")
    body = latex[len("$$\\begin{aligned}\n") : -len("\n\\end{aligned}$$")]
    return ["$" + line.removesuffix(" \\\\").replace("&=", "=") + "$" for line in body.splitlines()]


def test_diff_keeps_the_api_and_shows_latex():
    mathtext = pytest.importorskip("matplotlib.mathtext", reason="the plot extra (matplotlib) is not installed")
    from gradcli import api

    parser = mathtext.MathTextParser("path")
    d = gc.diff("y = x**3 * exp(-x)", "x", {"x": 2.0}, order=2)
    assert d == api.diff("y = x**3 * exp(-x)", "x", {"x": 2.0}, order=2) and isinstance(d, float)
    lines = for_mathtext(d._repr_latex_())
    assert lines[-1].endswith(f"= {d!r} \\quad \\mathrm{{at}}\\ x = 2.0$")
    code = gc.diff(SEED, None, to="latex")
    assert code == api.diff(SEED, None, to="latex") and "%" not in code._repr_latex_()
    for line in lines + for_mathtext(code._repr_latex_()):
        parser.parse(line)
    assert type(gc.diff(SEED, "a", to="python")) is str
    assert "x = 3.0" in gc.diff(lambda x: x * x * x, "x", {"x": 3.0})._repr_latex_()


# -- sweep -------------------------------------------------------------------------------------------


def test_sweep_equals_the_cli_and_shows_head_and_tail(gradcli):
    s = gc.sweep("y = x*sin(x)", x="0:3:31")
    result = gradcli("sweep", "y = x*sin(x)", "x=0:3:31", "--format", "json")
    doc = json.loads(result.stdout)
    assert s.to_dict() == doc and len(s) == 31
    assert s.columns["dy/dx"].tolist() == [row["gradients"]["x"] for row in doc["rows"]]
    rows = parse_html(s._repr_html_()).tables[0]
    assert rows[0] == ["#", "x", "y", "dy/dx", "status"]
    assert [r[0] for r in rows[1:]] == [*map(str, range(1, 11)), "… 16 rows not shown …", *map(str, range(27, 32))]
    assert float(rows[-1][3]) == doc["rows"][-1]["gradients"]["x"]


def test_sweep_points_as_a_tuple_a_grid_and_failed_rows(gradcli):
    s = gc.sweep("L = (a*b + c) * f", a=(1, 2), b="-3:3:3", c=5, f=-2)
    assert s.to_dict() == json.loads(
        gradcli("sweep", "L = (a*b + c) * f", "a=1,2", "b=-3:3:3", "c=5", "f=-2", "--format", "json").stdout
    )
    with pytest.warns(UserWarning, match="1 of 3 rows"):
        bad = gc.sweep("y = log(x)", x=(1, 0, 2))
    assert bad.status[1] != "ok" and math.isnan(bad.columns["y"][1])
    assert "log" in parse_html(bad._repr_html_()).tables[0][2][-1]


def test_sweep_plot_is_an_svg():
    pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")
    plot = gc.sweep("y = x*sin(x)", x="0:3:31").plot()
    root = ET.fromstring(plot._repr_svg_())
    assert root.tag.endswith("svg")


# -- draw -------------------------------------------------------------------------------------------


def seed_values():
    a, b, c, f = (gc.Value(v, label=n) for v, n in [(2.0, "a"), (-3.0, "b"), (5.0, "c"), (-2.0, "f")])
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    L.backward()
    return L


def test_draw_builtin_shows_every_value_and_grad(tmp_path):
    drawing = gc.draw(seed_values(), engine="builtin")
    assert drawing.engine == "builtin"
    text = "".join(ET.fromstring(drawing._repr_svg_()).itertext())
    for label, grad in [("a", "6.0"), ("b", "-4.0"), ("c", "-2.0"), ("f", "-1.0"), ("e", "-2.0"), ("d", "-2.0")]:
        assert label in text and f"grad  {grad}" in text
    assert drawing.save(tmp_path / "g.svg").read_text() == drawing._repr_svg_()
    assert drawing.save(tmp_path / "g.dot").read_text().startswith("digraph")
    with pytest.raises(ValueError, match=".svg, .dot or .gv"):
        drawing.save(tmp_path / "g.png")
    with pytest.raises(TypeError, match="gradcli.Value"):
        gc.draw(2.0)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)")
def test_draw_with_graphviz():
    drawing = gc.draw(seed_values())
    assert drawing.engine == "dot"
    root = ET.fromstring(drawing._repr_svg_())
    text = "".join(root.itertext())
    assert "grad 6" in text and "data -3" in text  # micrograd's records: label | data | grad


def test_draw_falls_back_to_the_builtin_layout_when_dot_fails(tmp_path, monkeypatch):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'dot: broken' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    drawing = gc.draw(seed_values())
    assert drawing.engine == "dot"
    with pytest.warns(UserWarning, match="dot: broken"):
        svg = drawing._repr_svg_()
    assert drawing.engine == "builtin" and "grad  6.0" in "".join(ET.fromstring(svg).itertext())


def test_a_big_graph_leaves_out_the_middle_rows_and_the_inline_graph(gradcli):
    program = "t0 = x\n" + "".join(f"t{i} = t{i - 1}*1.5 + x\n" for i in range(1, 200))
    r = gc.evaluate(program, x=0.5)
    html = r._repr_html_()
    nodes = r.to_dict()["nodes"]
    assert len(nodes) > 400 and "<svg" not in html and "the graph is not drawn inline" in html
    rows = node_rows(html)
    gap = next(i for i, row in enumerate(rows) if len(row) == 1)
    assert rows[gap] == [f"… {len(nodes) - 200:,} nodes not shown …"]
    assert [float(row[4]) for row in rows[gap + 1 :]] == [n["grad"] for n in nodes[-(len(rows) - gap - 1) :]]
    ET.fromstring(r._repr_svg_())  # the graph is still there on its own


def test_an_array_output_is_shown_whole_not_its_last_element(gradcli):
    """The newcomer trial saw <Evaluation y = 4.0> and a page titled y = 2.0 for array outputs."""
    import gradcli as api

    r = api.evaluate("y = x*x", x="[1, 2]")
    assert repr(r).startswith("<Evaluation y = [1.0, 4.0],") and "y = [1.0, 4.0]" in r._repr_html_()
    page = gradcli("eval", "y = x*x*s", "x=[1,2]", "s=1±0.1", "--format", "html").stdout
    assert '<span id="gc-value">[1.0, 4.0]</span>' in page and "<title>gradcli: y = [1.0, 4.0]</title>" in page
