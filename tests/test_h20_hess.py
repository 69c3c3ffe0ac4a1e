"""Issue 20 (hardening 2), helper "hess": each test failed before its fix.

- item 7: a Hessian with a non-finite entry got a NaN eigenvalue and the verdict "indefinite";
- item 27: `hessian` ignored --max-rows (300 inputs drew 45,000 lines);
- item 28: an all-zero Hessian was called only "positive semidefinite"; the tolerance rule;
- item 25: a 200x200 constant array literal took ~21 s in eval.
"""

from __future__ import annotations

import json

# -- item 7: no definiteness verdict when an entry is not finite -----------------------------------

LOG_AT_0 = ("hessian", "y = log(x)", "x=0", "--allow-nonfinite")


def test_a_non_finite_entry_gets_no_verdict_in_json(gradcli):
    result = gradcli(*LOG_AT_0, "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    # exact: d/dx log x = 1/x -> +inf, d2/dx2 = -1/x**2 -> -inf as x -> 0+
    assert doc["gradient"] == ["Infinity"] and doc["hessian"] == [["-Infinity"]]
    assert doc["definiteness"] is None and doc["eigenvalues"] is None
    assert "d2y/dxdx is infinite" in doc["definiteness_reason"]


def test_a_non_finite_entry_gets_no_verdict_in_the_table(gradcli):
    result = gradcli(*LOG_AT_0)
    assert result.exit_code == 0, result.stderr
    assert "indefinite" not in result.stdout and "NaN" not in result.stdout
    assert "no definiteness verdict" in result.stdout and "d2y/dxdx is infinite" in result.stdout


def test_a_non_finite_entry_is_named_on_stderr_with_csv(gradcli):
    result = gradcli(*LOG_AT_0, "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["input,dy,x", "x,Infinity,-Infinity"]
    assert "warning: no definiteness verdict" in result.stderr and "d2y/dxdx is infinite" in result.stderr


def test_one_non_finite_entry_among_finite_ones_still_gets_no_verdict(gradcli):
    # log(x) at 0: d2/dx2 = -1/x**2 -> -inf; z**2: 2; no path joins x and z: 0.
    args = ("hessian", "y = log(x) + z**2", "x=0", "z=1", "--allow-nonfinite", "--format", "json")
    doc = json.loads(gradcli(*args).stdout)
    assert doc["hessian"] == [["-Infinity", 0.0], [0.0, 2.0]]
    assert doc["definiteness"] is None
    assert "1 of 4 entries" in doc["definiteness_reason"]


def test_a_finite_matrix_keeps_its_verdict_and_a_null_reason(gradcli):
    doc = json.loads(gradcli("hessian", "y = log(x)", "x=2", "--format", "json").stdout)
    assert doc["hessian"] == [[-0.25]] and doc["eigenvalues"] == [-0.25]  # -1/x**2
    assert doc["definiteness"] == "negative definite" and doc["definiteness_reason"] is None


def test_without_allow_nonfinite_it_is_still_exit_3(gradcli):
    result = gradcli("hessian", "y = log(x)", "x=0")
    assert result.exit_code == 3 and "log(x) is undefined at x = 0" in result.stderr
