"""gradcli solve (DESIGN §7.2): roots of the --zero outputs with the exact Jacobian, against
closed-form roots and scipy's own finite-difference runs; the singular verdict; bad input."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("scipy")
from scipy.optimize import least_squares  # noqa: E402

import gradcli.api as api  # noqa: E402

CIRCLE_HYPERBOLA = "f = x**2 + y**2 - 4; g = x*y - 1"
# x² + y² = 4 and xy = 1: (x + y)² = 6, (x - y)² = 2, so x = (√6 + √2)/2, y = (√6 - √2)/2 (and swaps, signs)
BIG, SMALL = (math.sqrt(6) + math.sqrt(2)) / 2, (math.sqrt(6) - math.sqrt(2)) / 2
KEYS = ["converged", "point", "residuals", "residual_norm", "condition", "singular"]


def solve_json(gradcli, *args, code=0):
    result = gradcli("solve", *args, "--format", "json")
    assert result.exit_code == code, result.stdout + result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "start, root",
    [((2, 0.5), (BIG, SMALL)), ((0.5, 2), (SMALL, BIG)), ((-2, -0.5), (-BIG, -SMALL)), ((-0.4, -1.5), (-SMALL, -BIG))],
)
def test_circle_hyperbola_intersections(gradcli, start, root):
    doc = solve_json(gradcli, CIRCLE_HYPERBOLA, f"x={start[0]}", f"y={start[1]}", "--zero", "f,g")
    assert list(doc) == KEYS
    assert doc["converged"] is True and doc["singular"] is False
    assert doc["point"]["x"] == pytest.approx(root[0], rel=1e-13)
    assert doc["point"]["y"] == pytest.approx(root[1], rel=1e-13)
    assert set(doc["residuals"]) == {"f", "g"}
    assert doc["residual_norm"] < 1e-14
    x, y = root
    assert doc["condition"] == pytest.approx(np.linalg.cond([[2 * x, 2 * y], [y, x]]), rel=1e-10)


def test_a_system_singular_at_its_root_is_reported(gradcli):
    # x + y = 2 touches xy = 1 at (1, 1): the Jacobian [[1, 1], [y, x]] is singular there
    doc = solve_json(gradcli, "f = x + y - 2; g = x*y - 1", "x=3", "y=0.2", "--zero", "f,g")
    assert doc["converged"] is True
    assert doc["singular"] is True
    assert doc["condition"] > 1e6
    assert doc["point"]["x"] == pytest.approx(1.0, abs=1e-6) and doc["point"]["y"] == pytest.approx(1.0, abs=1e-6)
    table = gradcli("solve", "f = x + y - 2; g = x*y - 1", "x=3", "y=0.2", "--zero", "f,g")
    assert table.exit_code == 0 and "singular" in table.stdout


def test_a_double_root_of_one_equation_is_singular():
    r = api.solve("f = (x - 1)**2", {"x": 3.0}, "f")
    assert r.converged and r.singular
    assert r.point["x"] == pytest.approx(1.0, abs=1e-6)


def test_a_simple_root_is_not_singular():
    r = api.solve("f = x**3 - 2", {"x": 1.0}, "f")
    assert r.converged and not r.singular
    assert r.point["x"] == pytest.approx(2 ** (1 / 3), rel=1e-15)


def test_overdetermined_consistent_system_by_least_squares(gradcli):
    # a third equation through the same root: x = (2 + √3) y
    program = CIRCLE_HYPERBOLA + "; h = x - 3.7320508075688772*y"
    doc = solve_json(gradcli, program, "x=2", "y=0.5", "--zero", "f,g,h")
    assert doc["converged"] is True
    assert doc["point"]["x"] == pytest.approx(BIG, rel=1e-12) and doc["point"]["y"] == pytest.approx(SMALL, rel=1e-12)
    assert list(doc["residuals"]) == ["f", "g", "h"]


def test_overdetermined_inconsistent_system_exits_1_with_the_least_squares_point(gradcli):
    program = CIRCLE_HYPERBOLA + "; h = x - y"
    result = gradcli("solve", program, "x=2", "y=0.5", "--zero", "f,g,h", "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["converged"] is False
    assert "no zero found" in result.stderr and "no exact solution" in result.stderr

    def fun(v):  # scipy with its own finite differences: the same least-squares point
        x, y = v
        return [x**2 + y**2 - 4, x * y - 1, x - y]

    oracle = least_squares(fun, [2, 0.5], xtol=1e-15, ftol=1e-15, gtol=1e-15)
    assert [doc["point"]["x"], doc["point"]["y"]] == pytest.approx(oracle.x, rel=1e-7)
    assert doc["residual_norm"] == pytest.approx(np.linalg.norm(oracle.fun), rel=1e-9)


def test_underdetermined_system_finds_a_point_on_the_solution_set(gradcli):
    doc = solve_json(gradcli, "f = x**2 + y**2 - 4", "x=3", "y=1", "--zero", "f")
    assert doc["converged"] is True
    assert doc["point"]["x"] ** 2 + doc["point"]["y"] ** 2 == pytest.approx(4.0, rel=1e-13)
    assert doc["singular"] is False  # a 1 x 2 Jacobian of full row rank


def test_fix_keeps_inputs_and_an_array_output_is_solved_element_by_element(gradcli):
    doc = solve_json(gradcli, "r = v0*t - 4.9*t**2 - h", "v0=20", "h=10", "t=0.5", "--zero", "r", "--fix", "v0,h")
    assert list(doc["point"]) == ["t"]
    assert doc["point"]["t"] == pytest.approx((20 - math.sqrt(400 - 4 * 4.9 * 10)) / 9.8, rel=1e-14)
    doc = solve_json(gradcli, "y = [x[0]**2 - 2, x[0]*x[1] - 3]", "x=[1, 1]", "--zero", "y")
    # arrays nested in their shapes, as eval's JSON writes them (and minimize's point)
    assert doc["point"]["x"] == pytest.approx([math.sqrt(2), 3 / math.sqrt(2)], rel=1e-14)
    assert list(doc["point"]) == ["x"] and list(doc["residuals"]) == ["y"] and len(doc["residuals"]["y"]) == 2


def test_an_input_that_reaches_no_zero_output_stays_with_a_warning(gradcli):
    result = gradcli("solve", "f = x - 2; g = z", "x=1", "z=1", "--zero", "f", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["point"] == {"x": 2.0}
    assert "z reaches none of the --zero outputs" in result.stderr


def test_no_root_exits_1_with_the_best_point(gradcli):
    result = gradcli("solve", "f = exp(x) + 1", "x=0", "--zero", "f")
    assert result.exit_code == 1
    assert "not solved" in result.stdout and "no zero found" in result.stderr


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["f = x**2 - 2", "x=1", "--zero", "ff"], 2, "did you mean 'f'?"),
        (["f = x**2 - 2", "x=1", "--zero", "q"], 2, "q is not a value the program computes"),
        (["f = x**2 - 2", "x=1"], 2, "solve needs --zero"),
        (["f = x**2 - 2", "x=1", "--zero", "f,"], 2, "expected names separated by commas"),
        (["f = x**2 - 2", "x=1", "--zero", "f", "--fix", "x"], 2, "no inputs to vary"),
        (["f = x**2 - 2", "x=1", "--zero", "f", "--fix", "xx"], 2, "'xx' is not an input"),
        (["f = log(x)", "x=-1", "--zero", "f"], 3, "log(x) is undefined at x = -1"),
        (["f = x**2 - ", "x=1", "--zero", "f"], 2, "error"),
    ],
)
def test_bad_input(gradcli, args, code, message):
    result = gradcli("solve", *args)
    assert result.exit_code == code, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_json_errors_are_one_line(gradcli):
    result = gradcli("solve", "f = x", "x=1", "--zero", "g", "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stderr)["error"]["kind"] == "usage"


def test_without_scipy_exit_2_names_the_extra(gradcli, monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    for command in (["solve", "f = x", "x=1", "--zero", "f"], ["fit", "y = a*t", "--data", "d.csv", "a=1"]):
        result = gradcli(*command)
        assert result.exit_code == 2
        assert "pip install 'gradcli[optimize]'" in result.stderr


def test_eval_does_not_import_scipy():
    code = (
        "import sys\nsys.argv = ['gradcli', 'eval', 'y = x*2', 'x=1', '--format', 'json']\n"
        "from gradcli.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('scipy' in sys.modules, 'gradcli.analysis.solve' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "False False"


def test_api_result_fields_equal_the_json(gradcli):
    doc = solve_json(gradcli, CIRCLE_HYPERBOLA, "x=2", "y=0.5", "--zero", "f,g")
    r = api.solve(CIRCLE_HYPERBOLA, {"x": 2.0, "y": 0.5}, ["f", "g"])
    assert {k: getattr(r, k) for k in KEYS} == doc


def test_real_subprocess():
    exe = Path(sys.executable).parent / "gradcli"
    env = dict(os.environ, NO_COLOR="1")
    proc = subprocess.run(
        [str(exe), "solve", CIRCLE_HYPERBOLA, "x=2", "y=0.5", "--zero", "f,g", "--format", "json"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["point"]["x"] == pytest.approx(BIG, rel=1e-13)


def test_fix_of_an_array_input_fixes_every_element(gradcli):
    # review: --fix A said "'A' is not an input" (only A[0,0], ... were); minimize's --fix takes A
    doc = solve_json(gradcli, "r = A @ x - [1, 2]", "A=[[2,1],[1,3]]", "x=[0,0]", "--zero", "r", "--fix", "A")
    assert doc["converged"] and list(doc["point"]) == ["x"]
    want = np.linalg.solve([[2.0, 1.0], [1.0, 3.0]], [1.0, 2.0])
    assert doc["point"]["x"] == pytest.approx(want.tolist(), abs=1e-12)


def test_a_root_far_beyond_minpacks_first_step_is_found(gradcli):
    # review: hybr bounds its first step by 100 |x0|, so x - 1e20 from x = 1 never moved and was
    # reported as "no exact solution near this start"; damped Newton steps from there reach it
    doc = solve_json(gradcli, "f = x - 1e20", "x=1", "--zero", "f")
    assert doc["converged"] and doc["point"]["x"] == 1e20 and doc["residuals"]["f"] == 0.0


def test_no_root_is_a_local_minimum_of_the_residual_not_a_singular_root(gradcli):
    res = gradcli("solve", "f = x**2 + 1", "x=1", "--zero", "f")
    assert res.exit_code == 1
    text = " ".join(res.stdout.split())  # rich wraps the table's lines
    assert "no exact solution near this start" in text and "non-isolated root" not in text


@pytest.mark.parametrize("zero", ["a", "x"])
def test_zero_naming_an_input_exits_2(gradcli, zero):
    res = gradcli("solve", "f = x**2 - a", "x=1", "a=2", "--zero", zero)
    assert res.exit_code == 2 and f"{zero} is an input of the program" in res.stderr and "f" in res.stderr


def test_api_result_nests_arrays_as_the_json(gradcli):
    doc = solve_json(gradcli, "y = [x[0]**2 - 2, x[0]*x[1] - 3]", "x=[1, 1]", "--zero", "y")
    r = api.solve("y = [x[0]**2 - 2, x[0]*x[1] - 3]", {"x": [1.0, 1.0]}, "y")
    assert {k: getattr(r, k) for k in KEYS} == doc
    assert r.point["x"] == pytest.approx([math.sqrt(2), 3 / math.sqrt(2)], rel=1e-14) and len(r.residuals["y"]) == 2


def test_some_elements_solved_keep_their_own_keys(gradcli):
    # review: x = [1, 1, 5] with only x[1] reaching the output gave "point": {"x": [1.414]}: which element?
    doc = solve_json(gradcli, "y = x[1]**2 - 2", "x=[1,1,5]", "--zero", "y")
    assert doc["point"] == {"x[1]": pytest.approx(math.sqrt(2), rel=1e-15)}
