"""gradcli in shells and terminals: closed pipes, unwritable output, closed stderr, and
widths that must never cut a number (issue 9 §3).

The pipe and descriptor tests run the installed `gradcli` in a real bash (`set -o
pipefail`), as a user's script would; GRADCLI_EXE overrides the command (e.g. to compare
with an older checkout).
"""

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from seed import SEED

from gradcli.render import nodes
from gradcli.render import text as render_text
from gradcli.render import tree as render_tree
from gradcli.render import writers as formats
from gradcli.render.text import OutputOptions

SEED_FILE = Path(__file__).parent.parent / "examples" / "seed.grad"
EXE = os.environ.get("GRADCLI_EXE") or shutil.which("gradcli", path=os.path.dirname(sys.executable)) or "gradcli"
EVAL_FORMATS = formats.names("eval")


def bash(script: str, tmp_path: Path, **env) -> subprocess.CompletedProcess:
    """Run `script` in bash -o pipefail with $G the gradcli command, stdin from /dev/null
    (no terminal on any stream) and no COLUMNS unless given."""
    environ = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | {"G": EXE} | env
    return subprocess.run(
        ["bash", "-c", "set -o pipefail\n" + script],
        cwd=tmp_path, env=environ, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """1,000 inputs summed: every format but grads writes more than a pipe holds (64 KiB)."""
    path = tmp_path_factory.mktemp("big") / "big.grad"
    names = [f"x{i}" for i in range(1000)]
    path.write_text("".join(f"{n} = {i}.5\n" for i, n in enumerate(names)) + f"s = {' + '.join(names)}\n")
    return path


# -- a reader that goes away ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", EVAL_FORMATS)
def test_eval_into_a_closed_pipe_exits_0_quietly(fmt, big, tmp_path):
    for reader in ("head -1", "true"):  # head: closes after a line; true: before reading anything
        proc = bash(f'$G eval -f {big} --format {fmt} --max-rows 0 | {reader} >/dev/null; echo "status $?"', tmp_path)
        assert proc.stdout == "status 0\n", (reader, proc.stdout, proc.stderr)
        assert proc.stderr == ""


@pytest.mark.parametrize(
    "command", ["explain -f {seed} --max-rows 0", "explain -f {seed} --format json", "check -f {seed}",
                "check -f {seed} --format json"],
)  # fmt: skip
def test_explain_and_check_into_a_closed_pipe_exit_0_quietly(command, tmp_path):
    proc = bash(f'$G {command.format(seed=SEED_FILE)} | true; echo "status $?"', tmp_path)
    assert proc.stdout == "status 0\n" and proc.stderr == ""


def test_a_failed_check_into_a_closed_pipe_keeps_its_verdict(tmp_path):
    proc = bash(f'$G check -f {SEED_FILE} --expect a=1 | true; echo "status $?"', tmp_path)
    assert proc.stdout == "status 1\n" and proc.stderr == ""


# -- output that cannot be written; a closed stderr ---------------------------------------------------


@pytest.mark.parametrize("fmt", EVAL_FORMATS)
def test_a_full_disk_is_an_output_error(fmt, tmp_path):
    proc = bash(f"$G eval 'y = x*x' x=3 --format {fmt} > /dev/full", tmp_path)
    assert proc.returncode == 2
    if fmt == "json":
        assert json.loads(proc.stderr)["error"] == {
            "kind": "output", "message": "cannot write output: No space left on device", "line": None, "column": None,
        }  # fmt: skip
    else:
        assert proc.stderr == "error: cannot write output: No space left on device\n"


@pytest.mark.parametrize("fmt", ["pretty", "json", "grads"])
def test_a_closed_stdout_is_an_output_error(fmt, tmp_path):
    proc = bash(f"$G eval 'y = x*x' x=3 --format {fmt} >&-", tmp_path)
    assert proc.returncode == 2
    assert "cannot write output: standard output is closed" in proc.stderr


@pytest.mark.parametrize(
    "args, code", [("'y = x*x' x=3", 0), ("'y = (x' x=3", 2), ("'y = log(x)' x=0", 3), ("'y = x' x=3 --bad", 2)]
)
def test_a_closed_stderr_does_not_change_the_exit_code(args, code, tmp_path):
    proc = bash(f"$G eval {args} --format json 2>&- >/dev/null; echo $?", tmp_path)
    assert proc.stdout == f"{code}\n"


def test_help_into_a_closed_pipe(tmp_path):
    proc = bash('$G eval --help | true; echo "status $?"', tmp_path)
    assert proc.stdout == "status 0\n" and proc.stderr == ""


# -- width ------------------------------------------------------------------------------------------


def test_width_without_a_terminal_is_COLUMNS_else_80(monkeypatch):
    def no_terminal(fd):
        raise OSError("not a terminal")

    monkeypatch.setattr(os, "get_terminal_size", no_terminal)
    assert render_text.terminal_width({}) == 80
    assert render_text.terminal_width({"COLUMNS": "132"}) == 132
    assert render_text.terminal_width({"COLUMNS": "wide"}) == 80


def test_width_of_a_terminal_on_any_stream(monkeypatch):
    def only_stdin(fd):  # `gradcli ... | less`: stdout is a pipe, stdin and stderr the terminal
        if fd != 0:
            raise OSError("not a terminal")
        return os.terminal_size((57, 20))

    monkeypatch.setattr(os, "get_terminal_size", only_stdin)
    assert render_text.terminal_width({"COLUMNS": "132"}) == 57


def test_piped_output_is_80_wide_not_120(tmp_path):
    proc = bash(f"$G explain -f {SEED_FILE} | cat", tmp_path)
    rules = [line for line in proc.stdout.splitlines() if line.endswith("──")]
    assert rules and {len(line) for line in rules} == {80}
    proc = bash(f"$G explain -f {SEED_FILE} | cat", tmp_path, COLUMNS="60")
    assert {len(line) for line in proc.stdout.splitlines() if line.endswith("──")} == {60}


def draw(renderable, width: int) -> str:
    out = io.StringIO()
    render_text.console(out, width, no_color=True).print(renderable)
    return out.getvalue()


NUMBER = re.compile(r"-?(?:\d+\.?\d*(?:e[-+]?\d+)?|NaN|Infinity)")


def numbers_in(text: str) -> set[str]:
    return set(NUMBER.findall(text))


def assert_fits(text: str, width: int) -> None:
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width


WIDE = ("y = tanh(x1*w1 + x2*w2 + b) / 3", {"x1": 1.123456789, "x2": 2e-300, "w1": 3.25, "w2": -4.0, "b": 0.1})


@pytest.mark.parametrize("width", [40, 44, 80])
@pytest.mark.parametrize("precision", [6, 17])
@pytest.mark.parametrize("program, bindings", [(SEED, {}), WIDE])
def test_the_node_table_never_cuts_a_number(program, bindings, precision, width):
    from gradcli.build.standard import evaluate

    graph = evaluate(program, bindings)
    text = draw(nodes.table(graph, OutputOptions(precision=precision, width=width)), width)
    assert_fits(text, width)
    shown = numbers_in(text)
    for node in graph.nodes:  # every value and gradient the JSON has, whole
        assert render_text.short(node.data, precision) in shown and render_text.short(node.grad, precision) in shown


@pytest.mark.parametrize("width", [40, 44, 80])
def test_the_check_table_never_cuts_a_number(width, gradcli, monkeypatch):
    monkeypatch.setattr(render_text, "terminal_width", lambda: width)
    args = ["-f", SEED_FILE, "--expect", "a=f*b", "--samples", "2"]
    text = gradcli("check", *args).stdout
    doc = json.loads(gradcli("check", *args, "--format", "json").stdout)
    assert_fits(text, width)
    shown = numbers_in(text)
    for row in doc["results"]:
        for key in ("value", "analytic", "numeric"):
            assert render_text.short(row[key]) in shown, (key, row[key])
        assert f"{row['error_estimate']:.2g}" in shown  # the ±est column, always kept
    if width < 80:
        assert "a table does not fit" in text  # says why it looks different
    assert "ok: every gradient confirmed" in text


def test_dropped_columns_are_named():
    from gradcli.build.standard import evaluate

    text = draw(nodes.table(evaluate(SEED), OutputOptions(width=36)), 36)
    assert "36 columns: no formulas, ops" in text and "a*b" not in text


def test_a_tree_deeper_than_the_width_ends_in_a_marker():
    from gradcli.build.standard import evaluate

    graph = evaluate("x = 1.5\n" + "\n".join(f"x{i + 1} = sin(x{i if i else ''})" for i in range(30)))
    text = draw(render_tree.tree(graph, OutputOptions(width=40)), 40)
    assert_fits(text, 40)
    assert "└── ⋯ deeper" in text and "branch not drawn" in text
    for line in text.splitlines():  # no line is a number wrapped digit by digit
        assert not re.fullmatch(r"[│ ]*[\d.e-]{1,3}", line)


def test_explain_max_rows_caps_the_gradients_of_the_inputs(gradcli):
    program = "".join(f"x{i} = {i}\n" for i in range(30)) + "s = " + " + ".join(f"x{i}" for i in range(30))
    out = gradcli("explain", program, "--max-rows", "6").stdout
    section = out.split("gradients of the inputs")[1].splitlines()[1:]
    assert len(section) == 7 and "24 inputs not shown" in section[3]
    assert section[0] == "  ds/dx0 = 1" and section[-1] == "  ds/dx29 = 1"


def test_a_huge_table_is_laid_out_without_measuring_every_cell(monkeypatch):
    """2,000 nodes with --max-rows 0: laid out from the cells' text, never by rich's measuring
    of every cell (which took 7 s here); small tables still go through render.fits."""
    from gradcli.build.standard import evaluate
    from gradcli.render import nodes
    from gradcli.render.text import OutputOptions

    def no_measuring(*args):
        raise AssertionError("fits() measured a huge table")

    monkeypatch.setattr(nodes, "fits", no_measuring)
    names = [f"x{i}" for i in range(1000)]
    graph = evaluate("".join(f"{n} = {i}.5\n" for i, n in enumerate(names)) + f"s = {' + '.join(names)}\n")
    for width in (40, 80, 200):
        nodes.table(graph, OutputOptions(6, 0, True, width))
