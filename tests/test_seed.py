"""The seed's examples (shared/seed/backpropagation-notes.txt), through the API and the CLI."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gradcli import Value

SEED_PROGRAM = """\
# the seed's example, as a gradcli program
a = 2.0; b = -3.0; c = 5.0
e = a*b
d = e + c
f = -2.0
L = f * d
"""

# Hand-derived: L = f*d, d = e + c, e = a*b
#   dL/df = d = -1, dL/dd = f = -2, dL/de = dL/dd * 1 = -2, dL/dc = -2,
#   dL/da = dL/de * b = 6, dL/db = dL/de * a = -4.
HAND = {"L": 1.0, "a": 6.0, "b": -4.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": -1.0}


def test_seed_through_the_python_api_as_written():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(5.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = f * d
    L.label = "L"
    L.backward()
    assert L.data == 2.0
    assert (a.grad, b.grad, c.grad, f.grad) == (6.0, -4.0, -2.0, -1.0)
    assert (d.grad, e.grad, L.grad) == (-2.0, -2.0, 1.0)


def test_seed_manual_chain_rule_matches_backward():
    """The seed's 'manually calculating' lines: node.grad = upstream grad * local."""
    a, b, c, f = Value(2.0), Value(-3.0), Value(5.0), Value(-2.0)
    e = a * b
    d = e + c
    L = f * d
    L.backward()
    assert f.grad == 1.0 * d.data
    assert d.grad == 1.0 * f.data
    assert e.grad == d.grad
    assert a.grad == e.grad * b.data and b.grad == e.grad * a.data


def test_gradients_accumulate():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0  # 1 if implemented improperly


def test_seed_through_the_cli(eval_json):
    doc = eval_json(SEED_PROGRAM)
    assert doc["output"] == "L"
    assert doc["value"] == 2.0
    assert doc["gradients"] == {"a": 6.0, "b": -4.0, "c": -2.0, "f": -1.0}
    by_label = {n["label"]: n for n in doc["nodes"]}
    for label, grad in HAND.items():
        assert by_label[label]["grad"] == grad, label
    assert [n["id"] for n in doc["nodes"]] == list(range(7))
    assert by_label["e"] == {"id": 4, "label": "e", "op": "mul", "value": -6.0, "grad": -2.0, "inputs": [0, 1]}
    assert by_label["a"] == {"id": 0, "label": "a", "op": "input", "value": 2.0, "grad": 6.0, "inputs": []}


def test_seed_one_liner_with_bindings(eval_json):
    doc = eval_json("L = (a*b + c) * f", "a=2", "b=-3", "c=5", "f=-2")
    assert doc["value"] == 2.0
    assert doc["gradients"] == {"a": 6.0, "b": -4.0, "c": -2.0, "f": -1.0}
    labels = [n["label"] for n in doc["nodes"]]
    assert "a*b" in labels and "(a*b + c)" in labels


def test_a_plus_a_through_the_cli(eval_json):
    doc = eval_json("b = a + a", "a=3")
    assert doc["gradients"] == {"a": 2.0}


def _installed_gradcli():
    exe = Path(sys.executable).with_name("gradcli")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "gradcli"]


def test_installed_command_runs_the_seed_as_a_script_would(tmp_path):
    path = tmp_path / "seed.grad"
    path.write_text(SEED_PROGRAM)
    env = {k: v for k, v in os.environ.items() if k != "GRADCLI_DEBUG"}
    proc = subprocess.run(
        [*_installed_gradcli(), "eval", "-f", str(path), "--format", "json"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["gradients"] == {"a": 6.0, "b": -4.0, "c": -2.0, "f": -1.0}


@pytest.mark.parametrize(
    "args, code",
    [
        (["eval", "y = log(x)", "x=0"], 3),
        (["eval", "y = (x", "x=1"], 2),
        (["eval", "y = x*q", "x=1"], 2),
        (["eval", "y = x*x", "x=3"], 0),
    ],
)
def test_installed_command_exit_codes(args, code):
    proc = subprocess.run([*_installed_gradcli(), *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    if code:
        assert proc.stderr.startswith("error: ")


def test_python_dash_m_gradcli():
    proc = subprocess.run([sys.executable, "-m", "gradcli", "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("gradcli ")
