"""Issue 20 (hardening 2), the items done so far: each test failed before its fix.

- item 8: `a=1+-0.1` was silently 0.9;
- item 14: `--seed -1` crashed with an internal error (exit 70);
- item 16: a ~1,000-deep array literal or --bindings list was a RecursionError (exit 70);
- item 22: the REPL called `:h` an unknown command (it is :help or :hessian);
- item 24: an unclosed bracket's message could name a grammar-internal rule (`___args_star_3`).
"""

from __future__ import annotations

import json

import pytest

from gradcli.lang import syntax_errors
from gradcli.lang._grammar_tables import ACTIONS

# -- item 8: `+-` in a binding is refused, never read as a subtraction ---------------------------


@pytest.mark.parametrize("binding", ["a=1+-0.1", "a=2.5+-rect(0.1)", "a=1e3+-1"])
def test_plus_minus_binding_is_refused_with_a_hint(gradcli, binding):
    result = gradcli("eval", "y = a*2", binding)
    assert result.exit_code == 2
    assert "'+-' is ambiguous" in result.stderr
    assert "±" in result.stderr and "+/-" in result.stderr  # the hint names both spellings


def test_plus_minus_in_a_bindings_file_is_refused(gradcli, tmp_path):
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"a": "1+-0.1"}))
    result = gradcli("eval", "y = a*2", "--bindings", str(path))
    assert result.exit_code == 2 and "'+-' is ambiguous" in result.stderr


def test_spelled_out_arithmetic_and_uncertainties_still_work(gradcli):
    doc = json.loads(gradcli("eval", "y = a*2", "a=1 + -0.1", "--format", "json").stdout)
    assert doc["value"] == pytest.approx(1.8, rel=1e-15)
    for binding in ("a=1±0.1", "a=1+/-0.1"):
        doc = json.loads(gradcli("eval", "y = a*2", binding, "--format", "json").stdout)
        assert doc["uncertainty"]["standard"] == pytest.approx(0.2, rel=1e-15)


# -- item 14: seeds are 0 .. 2^64-1, anything else is a usage error ------------------------------


@pytest.mark.parametrize("seed", ["-1", str(2**64), "-18446744073709551616"])
@pytest.mark.parametrize(
    "command", [["eval", "y = x", "x=1±0.1", "--mc", "1000"], ["check", "y = x*x", "x=1", "--samples", "2"]]
)
def test_a_seed_out_of_range_is_exit_2(gradcli, command, seed):
    result = gradcli(*command, "--seed", seed)
    assert result.exit_code == 2, result.stderr
    assert "--seed" in result.stderr and "internal error" not in result.stderr


def test_the_largest_seed_is_accepted_and_reproducible(gradcli):
    args = ("eval", "y = x", "x=1±0.1", "--mc", "2000", "--seed", str(2**64 - 1), "--format", "json")
    first, second = (json.loads(gradcli(*args).stdout)["uncertainty"]["monte_carlo"] for _ in range(2))
    assert first["seed"] == 2**64 - 1 and first == second


# -- item 24: syntax errors speak the user's language only ------------------------------------------


def test_no_expected_token_set_names_a_grammar_rule():
    """Every state of the parser's tables, as the place a token was not expected: the message
    names only what a user can type (no rule of the grammar such as `_args` or `__start_star_1`)."""
    source = "y = x"
    tokens = [("NAME", "y", 0, 1), ("EQUAL", "=", 2, 3), ("NAME", "x", 4, 5), ("$END", "", 5, 5)]
    users_words = set(syntax_errors._WORDS.values())
    for state, expected in enumerate(ACTIONS):
        message = syntax_errors.unexpected(source, tokens, 3, expected).message
        assert "_" not in message, (state, message)
        if "; expected " in message:
            words = message.split("; expected ", 1)[1].split(" or ")
            assert set(words) <= users_words, (state, message)


def test_an_unclosed_bracket_names_what_may_follow(gradcli):
    result = gradcli("eval", "y = max(1, [2, 3", "x=1")
    assert result.exit_code == 2
    assert "_" not in result.stderr.splitlines()[0]


# -- the Python API never drops what the caller wrote ----------------------------------------------


def test_of_with_a_python_function_is_refused_not_ignored():
    import gradcli

    assert gradcli.hessian(lambda x: x * x * x, {"x": 2.0}).matrix == [[12.0]]
    with pytest.raises(TypeError, match="one output"):
        gradcli.hessian(lambda x: x * x, {"x": 2.0}, of="y")
    assert gradcli.hessian("y = x*x\nz = x**3", {"x": 2.0}, of="y").matrix == [[2.0]]


# -- item 16: deeply nested arrays are a clear error (exit 2), never a RecursionError (exit 70) --------


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_a_deeply_nested_program_default_is_exit_2(gradcli, tmp_path, depth):
    path = tmp_path / "deep.grad"
    path.write_text("x = " + "[" * depth + "1" + "]" * depth + "\ny = sum(x)\n")
    result = gradcli("eval", "-f", str(path))
    assert result.exit_code == 2, result.stderr
    assert "at most 2 dimensions" in result.stderr and "internal error" not in result.stderr


@pytest.mark.parametrize("depth", [600, 100_000])
def test_a_deeply_nested_bindings_file_is_exit_2(gradcli, tmp_path, depth):
    path = tmp_path / "deep.json"
    path.write_text('{"x": ' + "[" * depth + "1" + "]" * depth + "}")
    result = gradcli("eval", "y = sum(x)", "--bindings", str(path))
    assert result.exit_code == 2, result.stderr
    assert "at most 2 dimensions" in result.stderr and "internal error" not in result.stderr


# -- item 22: a REPL command prefix that fits several commands says so ------------------------------


def test_an_ambiguous_repl_command_names_the_candidates(tmp_path):
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "gradcli", "repl"], input=":h\n:hess\n:zz\n", capture_output=True, text=True,
        cwd=tmp_path, env={**__import__("os").environ, "XDG_DATA_HOME": str(tmp_path)}, timeout=60,
    )  # fmt: skip
    lines = run.stderr.splitlines()
    assert lines[0] == "error: ambiguous command :h (:hessian, :help)"
    assert lines[2].startswith("error: nothing yet")  # :hess is :hessian itself (it has no value to use)
    assert "error: unknown command :zz" in lines
