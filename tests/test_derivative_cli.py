"""`gradcli hessian`, `gradcli diff` and `gradcli check --order 2` driven end to end."""

import json
import subprocess
import sys

import pytest
import sympy as sp

ROSENBROCK = "f = (1 - x)**2 + 100*(y - x**2)**2"


def test_hessian_json_is_the_contract(gradcli):
    result = gradcli("hessian", ROSENBROCK, "x=1", "y=1", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["output"] == "f" and doc["value"] == 0.0
    assert doc["inputs"] == ["x", "y"]
    assert doc["gradient"] == [0.0, 0.0]
    assert doc["hessian"] == [[802.0, -400.0], [-400.0, 200.0]]
    lo, hi = doc["eigenvalues"]
    assert lo < hi and lo * hi == pytest.approx(802 * 200 - 400 * 400)
    assert doc["definiteness"] == "positive definite"


def test_hessian_inputs_follow_evals_gradient_order(gradcli, eval_json):
    program = "L = tanh(w*x + b) * c"
    args = (program, "x=0.5", "w=-1.5", "b=0.25", "c=2")
    grads = eval_json(*args)["gradients"]
    doc = json.loads(gradcli("hessian", *args, "--format", "json").stdout)
    assert doc["inputs"] == list(grads)
    assert doc["gradient"] == pytest.approx(list(grads.values()), rel=1e-15)


def test_hessian_table_marks_structural_zeros(gradcli):
    result = gradcli("hessian", "f = x*x + z*z*y", "x=1", "y=2", "z=3", env={"COLUMNS": "100"})
    assert result.exit_code == 0
    assert "·" in result.stdout and "indefinite" in result.stdout


def test_hessian_csv(gradcli):
    out = gradcli("hessian", ROSENBROCK, "x=1", "y=1", "--format", "csv").stdout.splitlines()
    assert out == ["input,df,x,y", "x,-0.0,802.0,-400.0", "y,0.0,-400.0,200.0"]  # -2(1-x) at x=1 is -0.0


@pytest.mark.parametrize("order", [1, 2, 3])
def test_diff_round_trip_through_eval(gradcli, eval_json, order):
    program = "y = x**3 * exp(-x) + sin(x*w)"
    text = gradcli("diff", program, "x=1.25", "w=0.5", "--wrt", "x", "--order", str(order))
    assert text.exit_code == 0, text.stderr
    doc = eval_json("-", input=text.stdout)
    sx, sw = sp.symbols("x w")
    exact = sp.diff(sx**3 * sp.exp(-sx) + sp.sin(sx * sw), sx, order).evalf(30, subs={sx: 1.25, sw: 0.5})
    assert doc["value"] == pytest.approx(float(exact), rel=1e-12)
    if order == 1:
        assert doc["value"] == pytest.approx(eval_json(program, "x=1.25", "w=0.5")["gradients"]["x"], rel=1e-15)


def test_diff_at_other_points_through_bindings(gradcli, eval_json):
    text = gradcli("diff", "-f", "examples/seed.grad", "--wrt", "a").stdout
    assert text.splitlines()[-1] == "dL_da = f*b"
    assert eval_json("-", "b=4", "f=0.5", input=text)["value"] == 2.0


@pytest.mark.parametrize(
    "args, message",
    [
        (["y = x*x", "x=1", "--wrt", "xx"], "not an input"),
        (["y = x*x", "x=1", "--wrt", "x", "--order", "0"], "--order"),
        (["y = x*x", "x=1", "--wrt", "x", "--order", "-2"], "--order"),
        (["y = x*x", "x=1", "--wrt", "x", "--order", "100000"], "--order"),
        (["y = x*x", "x=1", "--order", "3"], "--wrt"),  # without --wrt: the gradient or Hessian only
    ],
)
def test_diff_bad_input_exits_2(gradcli, args, message):
    result = gradcli("diff", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_hessian_domain_error_exits_3(gradcli):
    result = gradcli("hessian", "y = sqrt(x)", "x=0")
    assert result.exit_code == 3


def test_check_order_2_rows(gradcli):
    result = gradcli("check", ROSENBROCK, "x=1.2", "y=0.7", "--order", "2", "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    rows = json.loads(result.stdout)["results"]
    assert [r["name"] for r in rows] == ["x", "y", "d2:x,x", "d2:x,y", "d2:y,y"]
    want = {"d2:x,x": 1200 * 1.2**2 - 400 * 0.7 + 2, "d2:x,y": -400 * 1.2, "d2:y,y": 200.0}
    for r in rows[2:]:
        assert r["status"] == "pass"
        assert r["analytic"] == pytest.approx(want[r["name"]], rel=1e-14)
        assert r["numeric"] == pytest.approx(want[r["name"]], rel=1e-9)


def test_check_order_2_catches_a_wrong_second_derivative_rule(gradcli, monkeypatch):
    """cos's rule is used only by sin's second derivative: break it and check --order 2 fails."""
    from gradcli.core import ops

    cos = ops.BY_NAME["cos"]
    wrong = ops.with_rule(cos, lambda g, out, x, P: (-1.01 * g * P.sin(x),))
    monkeypatch.setitem(ops.BY_NAME, "cos", wrong)
    monkeypatch.setattr(ops.F, "cos", cos.forward)
    from gradcli.analysis import hessian

    monkeypatch.setattr(hessian, "Builder", _builder_with(hessian.Builder, "cos", wrong))
    result = gradcli("check", "y = sin(x)", "x=0.7", "--order", "2", "--format", "json")
    rows = {r["name"]: r for r in json.loads(result.stdout)["results"]}
    assert rows["x"]["status"] == "pass"
    assert rows["d2:x,x"]["status"] == "fail"
    assert result.exit_code == 1


def _builder_with(base, name, op):
    class Patched(base):
        def __init__(self):
            super().__init__()
            setattr(self, name, lambda *args: self.apply(op, *args))

    return Patched


def test_installed_gradcli_diff_pipes_into_eval():
    """A real pipeline of the installed command: diff | eval -."""
    exe = [sys.executable, "-m", "gradcli"]
    diff = subprocess.run([*exe, "diff", "y = x**2 * w", "x=3", "w=2", "--wrt", "x"], capture_output=True, text=True)
    assert diff.returncode == 0, diff.stderr
    out = subprocess.run([*exe, "eval", "-", "--format", "json"], input=diff.stdout, capture_output=True, text=True)
    assert json.loads(out.stdout)["value"] == 12.0


def test_diff_whose_derivative_is_undefined_at_the_point_exits_3(gradcli):
    # y' = 1.5 x^0.5 is 0 at x = 0, but y'' = 0.75 x^-0.5 is infinite there
    result = gradcli("diff", "y = x**1.5", "x=0", "--wrt", "x", "--order", "2")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: d2y_dx2 is infinite at this point: its step")
    assert gradcli("diff", "y = x**1.5", "x=0", "--wrt", "x", "--order", "2", "--allow-nonfinite").exit_code == 0


def test_check_order_2_table_names_second_derivatives(gradcli):
    out = gradcli("check", "f = x*x*y", "x=1", "y=2", "--order", "2", env={"COLUMNS": "100"}).stdout
    assert "d2f/dx2" in out and "d2f/dxdy" in out and "d2f/dy2" in out


def test_diff_of_an_array_element_reads_back(gradcli, eval_json):
    text = gradcli("diff", "x = [1.0, 2.0]; y = sum(x*x*x)", "--wrt", "x[1]").stdout
    assert text.splitlines()[0] == "x_1 = 2"
    assert eval_json("-", input=text)["value"] == 12.0  # 3 x1^2


def test_diff_element_names_never_take_an_inputs_name(gradcli, eval_json):
    # x[0] is written x_0, but the program has its own input x_0: d/dx[0] of sum(x*x)*x_0 is 2*x[0]*x_0
    text = gradcli("diff", "y = sum(x*x)*x_0", "x=[1,2,3]", "x_0=5", "--wrt", "x[0]").stdout
    assert eval_json("-", input=text)["value"] == 10.0


def test_table_formulas_keep_array_elements_unparenthesized(gradcli):
    out = gradcli("eval", "W = [[1, 2], [3, 4]]; x = [1, 1]; y = sum(W @ x)", "--format", "table").stdout
    assert "(W[0,0])" not in out
