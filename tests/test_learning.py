"""explain, graph export (dot, mermaid), --expand and the examples."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gradcli import MathError
from gradcli.analysis.expand import expand
from gradcli.analysis.explain import explain
from gradcli.build.standard import evaluate
from gradcli.core.ops import BY_NAME, PRIMITIVES

EXAMPLES = Path(__file__).parent.parent / "examples"
from seed import SEED  # noqa: E402 - the one copy of the seed's program


def explain_json(gradcli, *args):
    result = gradcli("explain", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_explain_steps_are_upstream_times_local(gradcli):
    doc = explain_json(gradcli, SEED)
    assert [s["text"] for s in doc["forward"]][4] == "e = a*b = 2 × -3 = -6"
    for step in doc["backward"]:
        assert step["contribution"] == step["upstream"] * step["local"]
    first = doc["backward"][0]
    assert (first["node"], first["via"], first["upstream"], first["local"]) == ("f", "L", 1.0, -1.0)
    a_step = next(s for s in doc["backward"] if s["node"] == "a")
    assert a_step["text"] == "dL/da += dL/de · ∂e/∂a = -2 · -3 = 6"


def flat(gradients: dict) -> dict:
    """eval's gradients with array inputs spread into their elements' labels: x -> x[0], W -> W[1,0]."""
    out = {}

    def walk(label, value, index):
        if isinstance(value, list):
            for i, v in enumerate(value):
                walk(label, v, (*index, i))
        else:
            out[f"{label}[{','.join(map(str, index))}]" if index else label] = value

    for name, value in gradients.items():
        walk(name, value, ())
    return out


def test_explain_last_grad_after_equals_eval(gradcli, eval_json):
    for path in sorted(EXAMPLES.glob("*.grad")):
        doc = explain_json(gradcli, "-f", path)
        grads = flat(eval_json("-f", path)["gradients"])
        last = {}
        for step in doc["backward"]:
            last[step["node"]] = step["grad_after"]
        for name, g in grads.items():
            assert last.get(name, 0.0) == pytest.approx(g, rel=1e-15, abs=0), (path.name, name)
        assert doc["gradients"] == pytest.approx(grads, rel=1e-15)


def test_explain_shows_accumulation(gradcli):
    doc = explain_json(gradcli, "b = a + a", "a=3")
    steps = [s for s in doc["backward"] if s["node"] == "a"]
    assert [s["grad_after"] for s in steps] == [1.0, 2.0]
    assert "accumulated" in steps[1]["text"]


def test_explain_pretty_is_plain_when_piped(gradcli):
    result = gradcli("explain", "-f", EXAMPLES / "seed.grad")
    assert result.exit_code == 0 and "\x1b[" not in result.stdout
    assert "forward pass" in result.stdout and "backward pass" in result.stdout
    assert "dL/da = 6" in result.stdout


def test_explain_distinguishes_reassigned_names(gradcli):
    doc = explain_json(gradcli, "x = 2.0\ny = x * x\ny = y + x")
    nodes = {s["node"] for s in doc["forward"]}
    assert {"y#1", "y#2"} <= nodes


def test_dot_output(gradcli):
    result = gradcli("eval", "-f", EXAMPLES / "seed.grad", "--format", "dot")
    assert result.exit_code == 0 and result.stdout.startswith("digraph")
    doc = json.loads(gradcli("eval", "-f", EXAMPLES / "seed.grad", "--format", "json").stdout)
    for node in doc["nodes"]:
        label = f"{{ {node['label']} | data {node['value']:g} | grad {node['grad']:g} }}"
        assert label in result.stdout
    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed: the dot syntax was not checked by Graphviz itself")
    svg = subprocess.run(["dot", "-Tsvg"], input=result.stdout, capture_output=True, text=True, check=True).stdout
    assert "<svg" in svg and "grad 6" in svg


def test_dot_escapes_record_characters():
    from gradcli import Value
    from gradcli.build.graph import Graph
    from gradcli.render.export import to_dot

    a = Value(1.0, label='a|b<c>{"q"}')
    y = a * 2.0
    y.label = "y"
    graph = Graph([a, y.b, y], {"a": a}, y, "y")
    graph.backward()
    dot = to_dot(graph)
    assert r"a\|b\<c\>\{\"q\"\}" in dot
    if shutil.which("dot"):
        svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True).stdout
        assert "a|b&lt;c&gt;{&quot;q&quot;}" in svg


def test_mermaid_output(gradcli, eval_json):
    program = "a = 3.0\nb = a + a\nc = b * tanh(a)"
    out = gradcli("eval", program, "--format", "mermaid").stdout
    doc = eval_json(program)
    assert out.splitlines()[0] == "flowchart LR"
    edges = re.findall(r"^\s+n(\d+) --> n(\d+)$", out, re.M)
    expected = [(str(i), str(n["id"])) for n in doc["nodes"] for i in n["inputs"]]
    assert sorted(edges) == sorted(expected)  # one arrow per graph edge (a + a: two)
    assert sum(1 for line in out.splitlines() if re.match(r'\s+n\d+\["', line)) == len(doc["nodes"])


COMPOSITE = [op.name for op in BY_NAME.values() if op.expand is not None]


def test_expand_leaves_no_composite_op(gradcli, eval_json):
    program = "y = tanh(x) + sigmoid(x) - softplus(x) / sinh(x) + cosh(x) * tan(x) + sqrt(x)"
    plain = eval_json(program, "x=0.7")
    broken = eval_json(program, "x=0.7", "--expand")
    assert {n["op"] for n in broken["nodes"]} <= {op.name for op in PRIMITIVES} | {"input", "const"}
    assert len(broken["nodes"]) > len(plain["nodes"])
    assert broken["value"] == pytest.approx(plain["value"], rel=1e-12)
    assert broken["gradients"]["x"] == pytest.approx(plain["gradients"]["x"], rel=1e-12)


def test_expand_in_explain(gradcli):
    doc = explain_json(gradcli, "y = tanh(x)", "x=0.5", "--expand")
    assert {s["op"] for s in doc["forward"]} >= {"exp", "mul", "pow", "add"}


atoms = st.sampled_from(["x", "y", "0.5", "2"])
# The textbook formulas cancel where the composite ops do not (tanh(1e-104) expands to
# (e^2e-104 - 1)/(...) = 0): values and gradients agree away from such points.
moderate = st.floats(-2, 2).filter(lambda v: v == 0 or abs(v) > 1e-3)


def _combine(children):
    unary = st.tuples(st.sampled_from(["tanh", "sigmoid", "softplus", "sinh", "cosh", "atan", "exp"]), children)
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children)
    return unary.map(lambda p: f"{p[0]}({p[1]})") | binary.map(lambda p: f"({p[0]} {p[1]} {p[2]})")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=st.recursive(atoms, _combine, max_leaves=10), x=moderate, y=moderate)
def test_expand_gives_the_same_value_and_gradients(expr, x, y):
    try:
        plain = evaluate(f"out = {expr}", {"x": x, "y": y})
        broken = expand(plain)
        broken.backward()
    except MathError:
        assume(False)
    assume(abs(plain.output.data) < 1e6)
    assert broken.output.data == pytest.approx(plain.output.data, rel=1e-12, abs=1e-12)
    for name in ("x", "y"):
        want = plain.gradients()[name]
        assume(abs(want) < 1e8)
        assert broken.gradients()[name] == pytest.approx(want, rel=1e-9, abs=1e-9)
    assert all(node.op.expand is None for node in broken.nodes)
    if any(node.op.name in COMPOSITE for node in plain.nodes):
        assert len(broken.nodes) > len(plain.nodes)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.grad")), ids=lambda p: p.name)
def test_examples_run_and_check(gradcli, path):
    for command in ("eval", "explain", "check"):
        result = gradcli(command, "-f", path)
        assert result.exit_code == 0, (command, result.stderr)


def test_examples_values():
    assert evaluate((EXAMPLES / "accumulate.grad").read_text()).gradients() == {"a": 2.0}
    neuron = evaluate((EXAMPLES / "neuron.grad").read_text())
    assert neuron.output.data == pytest.approx(2**-0.5, rel=1e-14)
    assert neuron.gradients()["w1"] == pytest.approx(1.0, rel=1e-14)
    assert neuron.gradients()["x1"] == pytest.approx(-1.5, rel=1e-14)
    pendulum = evaluate((EXAMPLES / "pendulum.grad").read_text())
    g, T = pendulum.output.data, 2.006
    assert pendulum.gradients()["T"] == pytest.approx(-2 * g / T, rel=1e-14)
    assert pendulum.gradients()["L"] == pytest.approx(g, rel=1e-14)  # L = 1: dg/dL = g / L


def test_explain_module_matches_engine_on_every_example():
    for path in EXAMPLES.glob("*.grad"):
        graph = evaluate(path.read_text())
        assert explain(graph)["gradients"] == graph.gradients()


def test_explain_with_allow_nonfinite_does_not_crash(gradcli):
    doc = explain_json(gradcli, "y = log(x)", "x=0", "--allow-nonfinite")
    assert doc["value"] == "-Infinity" and doc["gradients"] == {"x": "Infinity"}
    result = gradcli("explain", "y = x**-1", "x=1e-200", "--allow-nonfinite")
    assert result.exit_code == 0


def test_explain_names_a_reassigned_output_consistently(gradcli):
    doc = explain_json(gradcli, "x = a*2; x = x*x", "a=3")
    assert doc["output"] == "x" and doc["output_node"] == "x#3"
    assert all(step["text"].startswith("dx#3/") for step in doc["backward"])
    out = gradcli("explain", "x = a*2; x = x*x", "a=3").stdout
    assert "dx#3/dx#3 = 1" in out and "dx#3/da = 24" in out


def test_explain_precision(gradcli):
    out = gradcli("explain", "y = x/3", "x=1", "--precision", "2").stdout
    assert "0.33" in out and "0.333" not in out
    doc = explain_json(gradcli, "y = x/3", "x=1", "--precision", "2")
    assert doc["backward"][0]["local"] == 1 / 3  # JSON keeps full precision


def test_constants_are_not_renamed(gradcli):
    doc = explain_json(gradcli, "y = 2*a + 2*b", "a=1", "b=2")
    assert [s["node"] for s in doc["forward"]].count("2") == 2


def test_of_with_expand(eval_json):
    args = ("h = tanh(x*w); y = h*h", "x=0.5", "w=2", "--of", "h")
    plain, broken = eval_json(*args), eval_json(*args, "--expand")
    assert broken["output"] == "h" and broken["value"] == pytest.approx(plain["value"], rel=1e-14)
    assert broken["gradients"] == pytest.approx(plain["gradients"], rel=1e-12)
    assert len(broken["nodes"]) > len(plain["nodes"])
