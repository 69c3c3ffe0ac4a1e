"""Issue 20 (hardening 2), more of the CLI's input and the REPL: each test failed before its fix.

- item 20: every numeric option (-k, --rtol, --atol, --precision, --max-rows, --order, --seed,
  --samples, --width, --height, diff's --order) read its text with int()/float(), which accept
  `1_0`, full-width and Arabic-Indic digits that a binding refuses; now each reads as a binding
  does (lang.numbers), with the binding's reason and hint, exit 2; whole-number options read as
  --mc's count does (`1e1` is 10, `2.5` is refused);
- item 23 (REPL): a name defined in two `repl -f` files, or in two `:load`ed files, was reported
  with a line number and no file; now the file and its own line are named;
- a correlation matrix that is not positive semidefinite, declared with the program's corr()
  statements, was hinted "check the --corr values".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

EXE = os.environ.get("GRADCLI_EXE") or shutil.which("gradcli", path=os.path.dirname(sys.executable)) or "gradcli"

# -- item 20: one number reader for every numeric option -------------------------------------------

UNC = ("eval", "y = x", "x=1±0.1", "--mc", "100")
# option -> (command line before it, a valid value of it: digits only)
OPTIONS = {
    "-k": (("eval", "y = x", "x=1±0.1"), "2"),
    "--precision": (("eval", "y = x", "x=1"), "12"),
    "--max-rows": (("eval", "y = x", "x=1"), "10"),
    "--seed": (UNC, "5"),
    "eval --order": (("eval", "y = x", "x=1±0.1"), "2"),
    "explain --order": (("explain", "y = x*x", "x=1"), "2"),
    "check --order": (("check", "y = x*x", "x=1"), "2"),
    "--rtol": (("check", "y = x*x", "x=1"), "1"),
    "--atol": (("check", "y = x*x", "x=1"), "1"),
    "--samples": (("check", "y = x*x", "x=1"), "3"),
    "diff --order": (("diff", "y = x**3", "x=1", "--wrt", "x"), "2"),
    "--width": (("plot", "y = x", "x=0:1:5"), "60"),
    "--height": (("plot", "y = x", "x=0:1:5"), "5"),
}
WHOLE = {"--precision", "--max-rows", "--seed", "--samples", "--width", "--height"} | {
    o for o in OPTIONS if o.endswith("--order")
}
FULL_WIDTH = {ord(d): chr(0xFF10 + int(d)) for d in "0123456789"}
ARABIC_INDIC = {ord(d): chr(0x0660 + int(d)) for d in "0123456789"}


def _variants(v: str) -> dict[str, str]:
    """Spellings of the value v: int() and float() accept all but the last three."""
    return {
        "underscore": f"0_{v}",  # int('0_2') == 2
        "full-width": v.translate(FULL_WIDTH),
        "arabic-indic": v.translate(ARABIC_INDIC),
        "blank": f" {v}",
        "exponent": f"{v}e0",
        "point": f"{v}.0",
        "inf": "inf",
        "hex": "0x1",
        "nan": "nan",
    }


def _option_run(gradcli, option: str, text: str):
    before, _ = OPTIONS[option]
    return gradcli(*before, option.split()[-1], text)


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_every_numeric_option_takes_what_a_binding_takes(gradcli, option):
    """The oracle: the verdict of the binding x=TEXT (eval), for every spelling of a valid value."""
    _, valid = OPTIONS[option]
    for kind, text in _variants(valid).items():
        binding = gradcli("eval", "y = x", f"x={text}").exit_code
        result = _option_run(gradcli, option, text)
        assert result.exit_code == binding, (kind, text, result.stderr)
        assert binding in (0, 2), (kind, binding)
        if binding == 2:
            assert "not a number" in result.stderr, (kind, result.stderr)


def test_the_refused_spellings_are_refused_by_bindings_too(gradcli):
    verdicts = {kind: gradcli("eval", "y = x", f"x={text}").exit_code for kind, text in _variants("5").items()}
    assert verdicts == {
        **dict.fromkeys(("underscore", "full-width", "arabic-indic", "inf", "hex", "nan"), 2),
        **dict.fromkeys(("blank", "exponent", "point"), 0),
    }


@pytest.mark.parametrize("option", sorted(WHOLE))
def test_a_whole_number_option_refuses_a_fraction(gradcli, option):
    result = _option_run(gradcli, option, "2.5")
    assert result.exit_code == 2 and "2.5 is not a whole number" in result.stderr


@pytest.mark.parametrize(
    ("args", "value"),
    [
        (("eval", "y = x", "x=1", "--precision", "1e1", "--format", "json"), None),
        (("eval", "y = x", "x=3.14159265358979", "--precision", "3e0"), "3.14"),
        (("eval", "y = x", "x=3.14159265358979", "--precision", "4.0"), "3.142"),
    ],
)
def test_a_whole_number_option_reads_1e1_as_mc_does(gradcli, args, value):
    result = gradcli(*args)
    assert result.exit_code == 0, result.stderr
    if value is not None:
        assert result.stdout.splitlines()[0].split() == ["y", "=", value]


def test_k_read_as_a_number_gives_the_same_expanded_uncertainty(gradcli):
    """-k 2e0 and -k ' 2' are -k 2: U = 2*u = 0.2 for x=1±0.1 (y = x)."""
    import json

    for k in ("2", "2e0", " 2", "2.0"):
        doc = json.loads(gradcli("eval", "y = x", "x=1±0.1", "-k", k, "--format", "json").stdout)
        assert doc["uncertainty"]["expanded"] == pytest.approx(0.2, rel=1e-15), k


def test_the_ranges_still_hold(gradcli):
    for option, text in (("--seed", "-1"), ("--seed", str(2**64)), ("--max-rows", "-1"), ("--precision", "18")):
        result = _option_run(gradcli, option, text)
        assert result.exit_code == 2 and "is not in the range" in result.stderr, (option, text)
    assert _option_run(gradcli, "--seed", "18446744073709551615").exit_code == 0


@pytest.mark.parametrize(
    ("args", "stderr_tail"),
    [
        (("-k", "1_0"), ["error: Invalid value for '-k': '1_0' is not a number", "hint: write 10"]),
        (("-k", "２"), ["error: Invalid value for '-k': '２' is not a number", "hint: write 2 (with ASCII digits)"]),
        (
            ("--seed", "٣"),
            ["error: Invalid value for '--seed': '٣' is not a number", "hint: write 3 (with ASCII digits)"],
        ),
        (("-k", "inf"), ["error: Invalid value for '-k': 'inf' is not a number"]),
        (("-k", "1e999"), ["error: Invalid value for '-k': 1e999 is not finite"]),
    ],
)
def test_the_refusal_has_the_bindings_reason_and_hint(args, stderr_tail):
    """The real command line (cli.app.main prints click's errors): the binding's hint, word for word."""
    result = subprocess.run([EXE, *UNC, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines()[1:] == stderr_tail
    if args[1] != "inf" and args[1] != "1e999":
        binding = subprocess.run([EXE, "eval", "y = x", f"x={args[1]}"], capture_output=True, text=True, timeout=60)
        assert binding.stderr.splitlines()[-1] == stderr_tail[-1]


# -- item 23 (REPL): a second definition names the file and line of the first ------------------------


def _files(tmp_path, **texts: str) -> dict[str, str]:
    paths = {}
    for name, text in texts.items():
        path = tmp_path / f"{name}.grad"
        path.write_text(text)
        paths[name] = str(path)
    return paths


def test_repl_f_twice_names_the_file_of_the_first_definition(tmp_path):
    """`repl -f lib -f m1` (a real process: -f is the command's), f defined in both: as the CLI's
    `eval -f lib -f m1` says it, the first definition's file, line and column."""
    p = _files(tmp_path, lib="# a library\nf(x) = x*x\n", m1="f(x) = x + 1\ny = f(2)\n")
    repl = subprocess.run([EXE, "repl", "-f", p["lib"], "-f", p["m1"]], input="", capture_output=True, text=True)
    cli = subprocess.run([EXE, "eval", "-f", p["lib"], "-f", p["m1"]], capture_output=True, text=True)
    first = f"error: 'f' is already defined ({p['lib']}:2:1)"
    assert first in repl.stderr.splitlines(), repl.stderr
    assert cli.stderr.splitlines()[0] == first
    assert f"--> {p['m1']}:1:1" in repl.stderr


def test_load_twice_names_the_file_of_the_first_value(gradcli, tmp_path):
    p = _files(tmp_path, l2="a = 1\n\nb = 2\n", m2="c = 3\nb = 5\n")
    result = gradcli("repl", input=f":load {p['l2']}\n:load {p['m2']}\n")
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: 'b' is assigned a constant but already has a value (first given a value in {p['l2']}:3:1): "
        "an input gets its value once"
    ]
    assert f"--> {p['m2']}:2:1" in result.stderr


def test_lines_read_from_stdin_are_named_by_their_line(gradcli):
    """Inputs read line by line (not a terminal): `<stdin>:LINE:COLUMN` of the first value, the
    line counted in the whole input (a comment and a command in between)."""
    result = gradcli("repl", input="# values\nb = 2\n:vars\nc = b + 1\nd = 1; b = 5\n")
    assert "(first given a value in <stdin>:2:1)" in result.stderr, result.stderr


def test_a_typed_line_is_quoted(tmp_path):
    """At a terminal an input has no file: the message quotes the typed line of the first value."""
    from io import StringIO

    from gradcli.cli.repl_session import Session

    out, err = StringIO(), StringIO()
    session = Session(out, err)
    for text in ("b = 2", "f(x) = x*x", "c = b + 1", "d = 1; b = 5", "f(x) = x + 1; y = f(b)"):
        session.handle(text)
    errors = [line for line in err.getvalue().splitlines() if line.startswith("error:")]
    assert errors == [
        "error: 'b' is assigned a constant but already has a value (first given a value in typed line 'b = 2'): "
        "an input gets its value once",
        "error: 'f' is already defined (typed line 'f(x) = x*x')",
    ]


# -- a correlation matrix that is not PSD: the hint names where its values came from -----------------

UNCERTAIN = ("a=1±0.1", "b=1±0.1", "c=1±0.1")
PSD_ERROR = "error: the correlation matrix of a, b, c is not positive semidefinite"


def _smallest_eigenvalue(r_ac: float) -> float:
    import numpy as np

    return float(np.linalg.eigvalsh(np.array([[1, 0.9, r_ac], [0.9, 1, 0.9], [r_ac, 0.9, 1]])).min())


@pytest.mark.parametrize(
    ("program", "options", "where"),
    [
        ("corr(a,b) = 0.9; corr(b,c) = 0.9; corr(a,c) = -0.9; ", (), "the program's corr() statements"),
        ("", ("--corr", "a,b=0.9", "--corr", "b,c=0.9", "--corr", "a,c=-0.9"), "the --corr values"),
        ("corr(a,b) = 0.9; corr(b,c) = 0.9; ", ("--corr", "a,c=-0.9"), "the --corr values and the program's corr()"),
    ],
)
def test_a_matrix_that_is_not_psd_names_where_its_values_came_from(gradcli, program, options, where):
    assert _smallest_eigenvalue(-0.9) < -0.5  # numpy: no quantities can have these correlations
    result = gradcli("eval", program + "y = a + b + c", *UNCERTAIN, *options)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith(PSD_ERROR)
    assert lines[-1].startswith("hint: e.g. r(a,b) = 0.9 and r(b,c) = 0.9 force r(a,c) >= 0.62; check " + where)


def test_a_psd_matrix_from_the_program_is_accepted(gradcli):
    """r(a,c) = 0.7 >= 0.62: a possible matrix (numpy); u(a+b+c)^2 = 0.01 * (3 + 2*(0.9 + 0.9 + 0.7))."""
    import json

    assert _smallest_eigenvalue(0.7) > 0
    result = gradcli("eval", "corr(a,b) = 0.9; corr(b,c) = 0.9; corr(a,c) = 0.7; y = a + b + c", *UNCERTAIN,
                     "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["uncertainty"]["standard"] == pytest.approx((0.01 * 8) ** 0.5, rel=1e-14)
