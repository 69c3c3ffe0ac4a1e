"""explain's wording (issue 9 §4): compound names in parentheses, no repeated values, one
spelling of NaN and infinity; and check's table: headers that fit every row."""

import json
import re

import pytest
from seed import SEED

from gradcli.analysis.explain import explain, wrap
from gradcli.build.standard import evaluate


def texts(program: str, bindings: dict | None = None, **kw) -> tuple[list[str], list[str]]:
    doc = explain(evaluate(program, bindings or {}, **kw), 6)
    return [s["text"] for s in doc["forward"]], [s["text"] for s in doc["backward"]]


@pytest.mark.parametrize(
    "name, shown",
    [("x", "x"), ("x_1", "x_1"), ("y#3", "y#3"), ("2.5", "2.5"), ("1e-05", "1e-05"), ("-1", "(-1)"),
     ("a*b", "(a*b)"), ("x1*w1 + x2*w2", "(x1*w1 + x2*w2)"), ("tanh(x)", "(tanh(x))")],
)  # fmt: skip
def test_wrap(name, shown):
    assert wrap(name) == shown


def test_compound_labels_are_wrapped_in_parentheses():
    forward, backward = texts("y = tanh(x1*w1 + x2*w2)", {"x1": 1, "w1": 2, "x2": 3, "w2": 0.5})
    assert backward[0].startswith("dy/d(x1*w1 + x2*w2) += dy/dy · ∂y/∂(x1*w1 + x2*w2) = 1 · ")
    assert backward[1].startswith("dy/d(x1*w1) += dy/d(x1*w1 + x2*w2) · ∂(x1*w1 + x2*w2)/∂(x1*w1) = ")
    assert forward[6] == "x1*w1 + x2*w2 = 2 + 1.5 = 3.5"  # the label is its formula: not repeated
    _, backward = texts("y = exp(-x)", {"x": 0})
    assert backward == ["dy/d(-x) += dy/dy · ∂y/∂(-x) = 1 · 1 = 1", "dy/dx += dy/d(-x) · ∂(-x)/∂x = 1 · -1 = -1"]


def test_a_copy_shows_its_value_once():
    forward, _ = texts("a = 2\nb = a")
    assert forward == ["a = 2  (an input)", "b = a = 2"]


def test_seed_forward_pass():
    forward, backward = texts(SEED)
    assert forward[4:] == ["e = a*b = 2 × -3 = -6", "d = e+c = -6 + 5 = -1", "L = f*d = -2 × -1 = 2"]
    assert backward[:2] == ["dL/df += dL/dL · ∂L/∂f = 1 · -1 = -1", "dL/dd += dL/dL · ∂L/∂d = 1 · -2 = -2"]


def test_nan_and_infinity_are_spelled_as_in_the_json(gradcli):
    result = gradcli("explain", "y = sqrt(x)*0 + log(x)", "x=0", "--allow-nonfinite")
    assert result.exit_code == 0
    words = set(re.findall(r"[A-Za-z]+", result.stdout))
    assert {"NaN", "Infinity"} <= words and not {"nan", "inf", "Inf", "infinity"} & words
    assert "dy/dx = NaN" in result.stdout
    doc = json.loads(gradcli("explain", "y = sqrt(x)*0", "x=0", "--allow-nonfinite", "--format", "json").stdout)
    assert doc["gradients"] == {"x": "NaN"} and "0 · Infinity = NaN" in doc["backward"][-1]["text"]


def test_explain_json_has_full_precision_text(gradcli):
    doc = json.loads(gradcli("explain", "y = x/3", "x=1", "--format", "json").stdout)
    assert doc["forward"][-1]["text"] == f"y = x/3 = 1 / 3 = {1 / 3!r}"


# -- check's table ----------------------------------------------------------------------------------


def grid_rows(out: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("│").split("│")] for line in out.splitlines() if line.startswith("│")]


def headers(out: str) -> list[str]:
    line = next(line for line in out.splitlines() if line.startswith("┃"))
    return [c.strip() for c in line.strip("┃").split("┃")]


def test_check_rows_name_the_gradient_they_compare(gradcli, monkeypatch):
    from gradcli.render import text

    monkeypatch.setattr(text, "terminal_width", lambda: 120)
    out = gradcli("check", SEED, "--expect", "a=f*b", "--nodes").stdout
    assert headers(out) == ["gradient", "value", "analytic", "numeric", "abs err", "rel err", "±est", "status"]
    names = [row[0] for row in grid_rows(out)]
    assert names[:4] == ["dL/da", "dL/db", "dL/dc", "dL/df"]
    assert "dL/da claimed" in names and "dL/de (node)" in names
    claimed = next(row for row in grid_rows(out) if row[0] == "dL/da claimed")
    assert claimed[2] == "6" and claimed[-1] == "pass"  # the claim sits under "analytic"
    assert "analytic: autograd's gradient, or in a 'claimed' row the claim" in out


def test_check_est_column_matches_the_note(gradcli, monkeypatch):
    from gradcli.render import text

    monkeypatch.setattr(text, "terminal_width", lambda: 160)
    args = ["y = sqrt(x)", "x=1e-300"]
    doc = json.loads(gradcli("check", *args, "--format", "json").stdout)
    out = gradcli("check", *args).stdout
    (row,) = doc["results"]
    (cells,) = grid_rows(out)
    assert cells[6] == f"{row['error_estimate']:.2g}"
    match = re.search(r"estimate ([-+.e0-9]+|Infinity)", row.get("note", ""))
    if match:  # a note that names the estimate names the same number as the column
        assert match.group(1) == cells[6]


def test_nothing_to_check_draws_no_empty_table(gradcli):
    result = gradcli("check", "2*3")
    assert result.exit_code == 0
    assert result.stdout == "nothing to check: the program has no inputs\n"


def test_check_verdict_counts(gradcli):
    out = gradcli("check", "y = relu(x) + z", "x=0", "z=1").stdout
    assert out.splitlines()[-1] == "ok: every gradient confirmed (1 passed, 1 at a kink)"
    out = gradcli("check", SEED, "--expect", "a=1", "--expect", "b=1").stdout
    assert out.splitlines()[-1] == "NOT CONFIRMED: 4 passed, 2 failed"


def test_explain_json_names_operands_apart_from_the_programs_inputs(gradcli):
    import json

    doc = json.loads(gradcli("explain", "b = a*c", "a=3", "c=2", "--format", "json").stdout)
    step = doc["forward"][-1]
    assert step["operands"] == [3.0, 2.0] and step["operand_ids"] == [0, 1]
    assert step["inputs"] == step["operands"]  # the older name, kept
