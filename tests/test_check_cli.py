"""`gradcli check` end to end: statuses, claims, samples, exit codes."""

import json

import pytest
from seed import HAND, SEED


def check_json(gradcli, *args):
    result = gradcli("check", *args, "--format", "json")
    assert "Traceback" not in result.stderr
    return result.exit_code, (json.loads(result.stdout) if result.stdout else None), result.stderr


def test_seed_passes_with_numeric_within_1e10_of_hand_derived(gradcli):
    code, doc, _ = check_json(gradcli, SEED)
    assert code == 0 and doc["ok"] is True and doc["output"] == "L"
    for row in doc["results"]:
        assert set(row) >= {"point", "name", "value", "analytic", "numeric", "error_estimate", "abs_error",
                            "rel_error", "status"}  # fmt: skip
        assert row["status"] == "pass" and abs(row["numeric"] - HAND[row["name"]]) <= 1e-10


def test_right_and_wrong_claims(gradcli):
    code, doc, _ = check_json(gradcli, SEED, "--expect", "a=f*b", "--expect", "f=e+c")
    assert code == 0
    claims = {r["name"]: r for r in doc["results"] if r["name"].startswith("expect:")}
    assert claims["expect:a"]["analytic"] == 6.0 and claims["expect:a"]["status"] == "pass"
    assert claims["expect:f"]["analytic"] == -1.0
    code, doc, _ = check_json(gradcli, SEED, "--expect", "b=f*b")  # wrong: should be f*a
    assert code == 1 and doc["ok"] is False
    (row,) = [r for r in doc["results"] if r["name"] == "expect:b"]
    assert row["status"] == "fail" and row["analytic"] == 6.0 and abs(row["numeric"] + 4.0) < 1e-10


@pytest.mark.parametrize("program", ["y = relu(x)", "y = abs(x)", "y = max(x, x)", "y = min(x, 0) * 3"])
def test_kinks_are_marked_and_pass(gradcli, program):
    code, doc, _ = check_json(gradcli, program, "x=0")
    (row,) = doc["results"]
    assert code == 0 and row["status"] == "kink"
    assert min(row["left"], row["right"]) - 1e-9 <= row["analytic"] <= max(row["left"], row["right"]) + 1e-9


def test_samples_are_reproducible_for_a_seed(gradcli):
    args = ["y = tanh(a*b) + a**2", "a=0.5", "b=-1.2", "--samples", "3"]
    _, one, _ = check_json(gradcli, *args, "--seed", "7")
    _, two, _ = check_json(gradcli, *args, "--seed", "7")
    _, other, _ = check_json(gradcli, *args, "--seed", "8")
    assert one == two
    assert one["points"] != other["points"] and len(one["points"]) == 4
    assert {r["point"] for r in one["results"]} == {0, 1, 2, 3}


def test_nodes_option_checks_intermediates(gradcli):
    code, doc, _ = check_json(gradcli, SEED, "--nodes")
    names = {r["name"] for r in doc["results"]}
    assert code == 0 and {"node:e", "node:d"} <= names


def test_table_output_has_a_verdict(gradcli):
    result = gradcli("check", SEED)
    assert result.exit_code == 0 and "ok: every gradient confirmed" in result.stdout
    result = gradcli("check", SEED, "--expect", "a=1")
    assert result.exit_code == 1 and "NOT CONFIRMED" in result.stdout


@pytest.mark.parametrize(
    "args, code",
    [
        (["y = log(x)", "x=0"], 3),
        (["y = log(x"], 2),
        (["y = x", "x=1", "--expect", "q=1"], 2),
        (["y = x", "x=1", "--expect", "x=1+"], 2),
        (["y = x", "x=1", "--expect", "nonsense"], 2),
        (["y = x", "x=1", "--rtol", "-1"], 2),
        (["y = x", "x=1", "--samples", "-2"], 2),
    ],
)
def test_exit_codes(gradcli, args, code):
    result = gradcli("check", *args)
    assert result.exit_code == code, result.stderr
    assert "Traceback" not in result.stderr


def test_check_with_expand(gradcli):
    code, doc, _ = check_json(gradcli, "y = tanh(x) * sigmoid(x)", "x=0.3", "--expand")
    assert code == 0 and doc["results"][0]["status"] == "pass"
