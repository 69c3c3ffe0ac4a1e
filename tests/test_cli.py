"""`gradcli eval` driven end to end with CliRunner: formats, input sources, exit codes."""

import csv
import io
import json
import re
import sys

import pytest
from seed import SEED


def test_json_matches_the_schema(eval_json):
    doc = eval_json(SEED)
    assert set(doc) >= {"output", "value", "gradients", "nodes"}
    for node in doc["nodes"]:
        assert set(node) >= {"id", "label", "op", "value", "grad", "inputs"}
        assert all(i < node["id"] for i in node["inputs"])  # topological order


def test_csv_has_one_row_per_node_in_json_order(gradcli, eval_json):
    result = gradcli("eval", "y = min(a, b) * a", "a=2", "b=3", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["id", "label", "op", "value", "grad"]
    doc = eval_json("y = min(a, b) * a", "a=2", "b=3")
    assert [r[1] for r in rows[1:]] == [n["label"] for n in doc["nodes"]]  # "min(a, b)" quoted, not split
    assert [float(r[4]) for r in rows[1:]] == [n["grad"] for n in doc["nodes"]]


def test_full_precision_in_json_and_csv(gradcli, eval_json):
    doc = eval_json("y = x / 3", "x=1")
    assert doc["value"] == 1 / 3
    rows = list(csv.reader(io.StringIO(gradcli("eval", "y = x / 3", "x=1", "--format", "csv").stdout)))
    assert float(rows[-1][3]) == 1 / 3


def table_rows(out: str) -> dict[str, list[str]]:
    """The node table's rows by node label: [id, op (and formula), value, grad]."""
    rows = {}
    for line in out.splitlines():
        if line.startswith("│"):
            cells = [c.strip() for c in line.strip("│").split("│")]
            rows[cells[1]] = [cells[0], *cells[2:]]
    return rows


def tree_entries(out: str) -> list[tuple[str, str, str, str]]:
    """The tree's full entries in reading order: (id, label, value, grad)."""
    return re.findall(r"#(\d+) (\S+)  \w+  = (\S+)  grad (\S+)", out)


@pytest.mark.parametrize("fmt", ["pretty", "table", "tree"])
def test_pretty_formats_show_labels_values_and_grads(gradcli, eval_json, fmt):
    result = gradcli("eval", SEED, "--format", fmt)
    assert result.exit_code == 0
    assert "\x1b[" not in result.stdout  # not a terminal: no escape codes
    nodes = {n["label"]: n for n in eval_json(SEED)["nodes"]}
    if fmt != "tree":
        rows = table_rows(result.stdout)
        assert rows == {
            label: [str(n["id"]), n["op"] + ({"e": "  a*b", "d": "  e+c", "L": "  f*d"}.get(label, "")),
                    f"{n['value']:g}", f"{n['grad']:g}"]
            for label, n in nodes.items()
        }  # fmt: skip
        assert rows["a"] == ["0", "input", "2", "6"] and rows["e"] == ["4", "mul  a*b", "-6", "-2"]
    if fmt != "table":
        entries = tree_entries(result.stdout)
        assert sorted(entries) == sorted(
            (str(n["id"]), k, f"{n['value']:g}", f"{n['grad']:g}") for k, n in nodes.items()
        )
        assert entries[0] == ("6", "L", "2", "1")  # rooted at the output


def test_precision_option(gradcli):
    out = gradcli("eval", "y = x / 3", "x=1", "--format", "table", "--precision", "3").stdout
    assert table_rows(out)["y"][2:] == ["0.333", "1"]
    out = gradcli("eval", "y = x / 3", "x=1", "--format", "table", "--precision", "17").stdout
    assert table_rows(out)["y"][2] == "0.33333333333333331"


def test_tree_draws_a_shared_node_once_then_refers_to_it(gradcli):
    out = gradcli("eval", "a = 3.0\nb = a * a\nc = b + b", "--format", "tree").stdout
    assert out.splitlines() == [
        "#2 c  add  = 18  grad 1",
        "├── #1 b  mul  = 9  grad 2",
        "│   ├── #0 a  input  = 3  grad 12",
        "│   └── #0 a  input  (drawn above)",
        "└── #1 b  mul  (drawn above)",
    ]


def test_tree_gives_the_full_entry_where_a_reader_meets_a_node_first(gradcli):
    # m = a*b is met first deep inside sin(m), then again as y's second operand: the full
    # entry must be the first one read (it used to be the shallow one, drawn below its stub).
    out = gradcli("eval", "m = a*b\ny = sin(m) + m", "a=1", "b=2", "--format", "tree").stdout
    lines = out.splitlines()
    full = next(i for i, line in enumerate(lines) if re.search(r"#2 m  mul  = 2 ", line))
    stub = next(i for i, line in enumerate(lines) if "#2 m  mul  (drawn above)" in line)
    assert full < stub and out.count("#0 a  input  = 1") == 1


def test_pretty_output_caps_rows_on_big_graphs(gradcli):
    program = "x = 1.0\ny = x\n" + "\n".join("y = y * 1.0001" for _ in range(1000))
    out = gradcli("eval", program, "--format", "table", "--max-rows", "20").stdout
    assert "not shown" in out and len(out.splitlines()) < 60


COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;[25];[0-9;]+)m")  # a foreground colour


@pytest.mark.parametrize("fmt", ["table", "tree"])
def test_no_color_and_NO_COLOR(gradcli, fmt):
    args = ("eval", "y = x*x - z", "x=3", "z=1", "--format", fmt)
    coloured = gradcli(*args, env={"FORCE_COLOR": "1"}).stdout  # as on a terminal
    assert COLOUR.search(coloured)  # gradients: green up, red down
    assert not COLOUR.search(gradcli(*args, "--no-color", env={"FORCE_COLOR": "1"}).stdout)
    assert not COLOUR.search(gradcli(*args, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout)


def test_stdin_program(eval_json):
    doc = eval_json("-", "x=3", input="y = x ** 2\n")
    assert doc["gradients"] == {"x": 6.0}


def test_file_program_and_override(eval_json, tmp_path):
    path = tmp_path / "prog.grad"
    path.write_text("x = 2.0  # default\ny = x ** 3\n")
    assert eval_json("-f", path)["gradients"] == {"x": 12.0}
    assert eval_json("-f", path, "x=3")["gradients"] == {"x": 27.0}  # command line wins
    assert eval_json("--file", path, "x=1", "--of", "x")["value"] == 1.0


def test_unused_binding_warns(gradcli):
    result = gradcli("eval", "y = x*x", "x=3", "z=1", "--format", "json")
    assert result.exit_code == 0
    (line,) = result.stderr.splitlines()  # with --format json a warning is a JSON line too
    assert "'z'" in json.loads(line)["warning"]["message"]
    assert json.loads(result.stdout)["gradients"] == {"x": 6.0, "z": 0.0}
    result = gradcli("eval", "y = x*x", "x=3", "z=1", "--format", "csv")
    assert result.stderr.startswith("warning: ") and "'z'" in result.stderr


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["y = x*x", "x=3"], 0, None),
        (["y = (x", "x=3"], 2, "error: "),
        (["y = tahn(x)", "x=3"], 2, "did you mean 'tanh'?"),
        (["y = a*b"], 2, "'a', 'b'"),
        (["y = x", "x=abc"], 2, "bad binding"),
        (["y = x", "3"], 2, "bad binding"),
        (["-f", "/nonexistent/prog.grad"], 2, "cannot read"),
        (["y = log(x)", "x=0"], 3, "log(x) is undefined at x = 0"),
        (["y = exp(x)", "x=1000"], 3, "overflows"),
        (["y = x / (x - 1)", "x=1"], 3, "division by zero"),
        (["y = 9**9**9**9"], 3, "overflows"),
        ([""], 2, "empty"),
        ([], 2, "missing PROGRAM"),
    ],
)
def test_exit_codes_and_messages(gradcli, args, code, message):
    result = gradcli("eval", *args)
    assert result.exit_code == code, result.stderr
    assert "Traceback" not in result.stderr
    if message:
        assert message in result.stderr


def test_bad_option_is_exit_2(gradcli):
    assert gradcli("eval", "y = x", "x=1", "--format", "yaml").exit_code == 2
    assert gradcli("eval", "y = x", "x=1", "--precision", "0").exit_code == 2


def test_json_errors_are_one_json_line(gradcli):
    result = gradcli("eval", "y = log(x)", "x=0", "--format", "json")
    assert result.exit_code == 3 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    err = json.loads(line)["error"]
    assert err["kind"] == "math" and err["line"] == 1 and err["column"] == 5 and "log(x)" in err["message"]


def test_caret_under_the_span(gradcli):
    lines = gradcli("eval", "y = x + tahn(x)", "x=1").stderr.splitlines()
    source = next(i for i, line in enumerate(lines) if "y = x + tahn(x)" in line)
    assert lines[source + 1].index("^") == lines[source].index("tahn")


def test_allow_nonfinite_carries_nan_and_inf_as_strings(gradcli):
    result = gradcli("eval", "y = log(x)", "x=0", "--format", "json", "--allow-nonfinite")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)  # strict JSON: no bare NaN/Infinity
    assert doc["value"] == "-Infinity" and doc["gradients"] == {"x": "Infinity"}


def test_non_utf8_file(gradcli, tmp_path):
    path = tmp_path / "bad.grad"
    path.write_bytes(b"y = x\xff\n")
    result = gradcli("eval", "-f", path, "x=1")
    assert result.exit_code == 2 and "UTF-8" in result.stderr


def test_version_and_help(gradcli):
    assert gradcli("--version").stdout.startswith("gradcli ")
    result = gradcli("eval", "--help")
    assert result.exit_code == 0 and "--format" in result.stdout


def test_json_writer_equals_json_dumps_of_the_dict():
    from gradcli.build.standard import evaluate
    from gradcli.render import export as render

    graph = evaluate("a = 2.0\nb = a * 3\nc = min(a, b) / 7")
    assert json.loads(render.to_json(graph)) == render.to_dict(graph)
    graph = evaluate("y = log(x)", {"x": 1.0})
    assert json.loads(render.to_json(graph)) == render.to_dict(graph)


def test_option_errors_are_json_with_format_json():
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "gradcli", "eval", "y = x", "x=1", "--format", "json", "--precision", "0"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert json.loads(line)["error"]["kind"] == "usage"


def test_max_rows_keeps_the_output_row(gradcli):
    out = gradcli("eval", "y = a*b", "a=1", "b=2", "--max-rows", "1", "--format", "table").stdout
    assert "│ 2 │ y" in out and "2 nodes not shown" in out


def test_value_with_children_is_refused():
    from gradcli import Value

    with pytest.raises(TypeError, match="operators"):
        Value(1.0, (Value(2.0),), "+")


# -- messages and help (issue 9 §4, §6) -------------------------------------------------------------


@pytest.fixture
def named():
    """Like the gradcli fixture, with the program named `gradcli` as the console script is."""
    from typer.testing import CliRunner

    from gradcli.cli.app import make_app

    def run(*args, env=None):
        return CliRunner().invoke(make_app(), [str(a) for a in args], prog_name="gradcli", env=env)

    return run


def test_gradcli_alone_prints_the_help_once_and_exits_2(named):
    result = named()
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("Usage: gradcli") == 1 and "Commands:" in result.stderr
    assert "error:" not in result.stderr


@pytest.mark.parametrize("args", [["-h"], ["eval", "-h"], ["explain", "-h"], ["check", "-h"], ["help", "-h"]])
def test_dash_h_is_help_everywhere(named, args):
    result = named(*args)
    assert result.exit_code == 0 and result.stdout.startswith("Usage: gradcli")
    assert result.stdout == named(*args[:-1], "--help").stdout


@pytest.mark.parametrize("command", ["eval", "explain", "check"])
def test_help_command(named, command):
    result = named("help", command)
    assert result.exit_code == 0 and result.stdout.startswith(f"Usage: gradcli {command} [OPTIONS]")
    assert result.stdout.rstrip() == named(command, "--help").stdout.rstrip()
    assert named("help").stdout.rstrip() == named("--help").stdout.rstrip()


def test_help_of_an_unknown_command(gradcli):
    result = gradcli("help", "evil")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no command 'evil'\nhint: the commands are eval, explain, check")


def test_eval_help_lists_operators_functions_exit_codes_and_examples(gradcli):
    from gradcli.core.ops import FUNCTIONS

    text = " ".join(gradcli("eval", "--help").stdout.split())  # undo click's wrapping
    listed = re.search(r"Functions: ([a-z0-9_, ]+?) Constants:", text).group(1).split(", ")
    assert sorted(listed) == sorted(FUNCTIONS)  # from the op table: a new op appears by itself
    assert "Operators: + - * / ** (or ^)" in text
    assert "Exit codes: 0 ok; 1 check" in text and "3 math error" in text
    for command in ("eval", "explain", "check"):
        help_text = gradcli(command, "--help").stdout
        assert len(re.findall(rf"^ +gradcli {command} ", help_text, re.M)) == 2  # two examples


def test_a_file_name_as_program_suggests_dash_f(gradcli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prog.grad").write_text("y = x*x\n")
    result = gradcli("eval", "prog.grad", "x=3")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: 'prog.grad' is a file, not a program\n"
        "hint: to read a program from a file, use -f: gradcli eval -f prog.grad\n"
    )
    assert gradcli("eval", "prog", "x=3").exit_code == 2  # no such file: the usual message
    assert "is a file" not in gradcli("eval", "prog", "x=3").stderr


def run_main(argv, monkeypatch, capsys):
    """The console script's own entry point (its click errors are handled there, not by CliRunner)."""
    from gradcli.cli import app as cli

    monkeypatch.setattr(sys, "argv", ["gradcli", *argv])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    captured = capsys.readouterr()
    return exit_.value.code, captured.out, captured.err


def test_a_program_starting_with_minus_suggests_double_dash(monkeypatch, capsys):
    code, _, err = run_main(["eval", "-x**2", "x=3"], monkeypatch, capsys)
    assert code == 2
    assert err.splitlines()[1:] == [
        "error: No such option: -x",
        "hint: a program or value starting with '-' reads as an option; put -- before it (options first): "
        "gradcli eval -- '-x**2' x=3",
    ]
    code, out, _ = run_main(["eval", "--format", "grads", "--", "-x**2", "x=3"], monkeypatch, capsys)
    assert code == 0 and out == "x -6.0\n"


def test_a_binding_split_by_the_shell_gets_a_hint(monkeypatch, capsys, gradcli):
    code, _, err = run_main(["eval", "y = x", "x=", "-3"], monkeypatch, capsys)
    assert code == 2 and err.splitlines()[-1] == "hint: no spaces around '=': write x=-3"
    result = gradcli("eval", "y = x", "x=", "3")
    assert result.exit_code == 2 and result.stderr.splitlines()[-1] == "hint: no spaces around '=': write x=3"


def test_a_gradient_stage_error_points_at_its_statement(gradcli):
    result = gradcli("eval", "y = 1\nz = sqrt(x)", "x=0", "--format", "json")
    assert result.exit_code == 3
    err = json.loads(result.stderr)["error"]
    assert err["kind"] == "math" and err["line"] == 2 and err["column"] is not None
    lines = gradcli("eval", "y = 1\nz = sqrt(x)", "x=0").stderr.splitlines()
    assert lines[1] == "  --> line 2, column 5" and lines[2] == "   | z = sqrt(x)"
    carets = {i for i, ch in enumerate(lines[3]) if ch == "^"}
    assert {lines[2].index("sqrt(x)") + k for k in range(7)} <= carets  # under sqrt(x)


# -- conveniences (issue 9 §6) ------------------------------------------------------------------------


def test_format_grads_is_name_value_lines_in_full_precision(gradcli):
    result = gradcli("eval", SEED, "--format", "grads")
    assert result.exit_code == 0 and result.stdout == "a 6.0\nb -4.0\nc -2.0\nf -1.0\n"
    out = gradcli("eval", "y = x / 3 + log(z)", "x=1", "z=0", "--format", "grads", "--allow-nonfinite").stdout
    assert out == f"x {1 / 3!r}\nz Infinity\n"


def test_python_dash_m_gradcli(tmp_path):
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "gradcli", "eval", "y = x*x", "x=3", "--format", "grads"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0 and proc.stdout == "x 6.0\n"


def installed(*args, **env):
    import os
    import shutil
    import subprocess

    exe = shutil.which("gradcli", path=os.path.dirname(sys.executable))
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=60, env={**os.environ, **env})


@pytest.mark.parametrize(
    "shell, marker", [("bash", "complete -o"), ("zsh", "#compdef gradcli"), ("fish", "complete --command gradcli")]
)
def test_shell_completion_scripts(shell, marker):
    proc = installed("--show-completion", shell, _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1")
    assert proc.returncode == 0 and marker in proc.stdout and "_GRADCLI_COMPLETE" in proc.stdout


def test_completion_of_commands_and_formats():
    words = installed(_GRADCLI_COMPLETE="complete_bash", COMP_WORDS="gradcli ev", COMP_CWORD="1").stdout.split()
    assert words == ["eval"]
    formats_ = installed(_GRADCLI_COMPLETE="complete_bash", COMP_WORDS="gradcli eval --format ", COMP_CWORD="3")
    assert formats_.stdout.split() == ["pretty", "table", "tree", "json", "csv", "grads", "dot", "mermaid", "html"]


def test_check_has_max_rows_and_allow_nonfinite(gradcli):
    program = "".join(f"x{i} = {i + 1}\n" for i in range(12)) + "s = " + " + ".join(f"x{i}" for i in range(12))
    out = gradcli("check", program, "--max-rows", "4").stdout
    assert "... 8 rows not shown ..." in out and out.count(" pass ") == 4
    result = gradcli("check", "y = sqrt(x)", "x=0", "--allow-nonfinite", "--format", "json")
    assert result.exit_code in (0, 1) and json.loads(result.stdout)["results"][0]["analytic"] == "Infinity"


def test_check_default_atol_is_the_checks_own_scaled_one(gradcli):
    # A fixed --atol 1e-9 from the command line would let a claim of 0 through for a gradient of 1e-20.
    result = gradcli("check", "y = 1e-20*x", "x=1", "--expect", "x=0", "--format", "json")
    assert result.exit_code == 1
    claim = next(r for r in json.loads(result.stdout)["results"] if r["name"] == "expect:x")
    assert claim["status"] == "fail" and claim["analytic"] == 0.0
    assert gradcli("check", "y = 1e-20*x", "x=1", "--expect", "x=0", "--atol", "1e-9").exit_code == 0  # asked for


def test_json_output_imports_no_rich_lark_or_numpy(tmp_path):
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gradcli", "eval", "y = x*x", "x=3", "--format", "json"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0
    modules = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    assert "gradcli" in modules and not {"rich", "lark", "numpy"} & modules


# A single-value option given twice is refused (exit 2), never last-wins; the options that
# mean "more of these" (-f, --corr, --expect) accumulate instead.
REPEATABLE_LOOKING = [
    ("eval", ["y = x*x", "x=3"], "--of", ["y", "x"]),
    ("eval", ["y = x*x", "x=3"], "--seed", ["1", "2"]),
    ("eval", ["y = x*x", "x=3"], "--format", ["json", "csv"]),
    ("eval", ["y = x*x", "x=3"], "--precision", ["3", "4"]),
    ("explain", ["y = x*x", "x=3"], "--max-rows", ["3", "4"]),
    ("check", ["y = x*x", "x=3"], "--of", ["y", "x"]),
    ("check", ["y = x*x", "x=3"], "--seed", ["1", "2"]),
    ("check", ["y = x*x", "x=3"], "--format", ["table", "json"]),
    ("check", ["y = x*x", "x=3"], "--samples", ["1", "2"]),
    ("sweep", ["y = x*x", "x=0:1:3"], "--of", ["y", "x"]),
    ("sweep", ["y = x*x", "x=0:1:3"], "--format", ["csv", "json"]),
    ("sweep", ["y = x*x", "x=0:1:3"], "--points", ["a.csv", "b.csv"]),
    ("plot", ["y = x*x", "x=0:1"], "--of", ["y", "x"]),
    ("plot", ["y = x*x", "x=0:1"], "-o", ["a.svg", "b.svg"]),
    ("plot", ["y = x*x", "x=0:1"], "--width", ["40", "50"]),
    ("hessian", ["y = x*x", "x=3"], "--of", ["y", "x"]),
    ("hessian", ["y = x*x", "x=3"], "--format", ["json", "csv"]),
    ("diff", ["y = x*x", "x=3", "--wrt", "x"], "--of", ["y", "x"]),
    ("diff", ["y = x*x", "x=3", "--wrt", "x"], "--format", ["program", "program"]),
    ("diff", ["y = x*x", "x=3"], "--wrt", ["x", "x"]),
]


@pytest.mark.parametrize(("command", "args", "option", "values"), REPEATABLE_LOOKING)
def test_a_repeated_single_value_option_is_refused(gradcli, command, args, option, values, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `plot -o a.svg` once writes a.svg where matplotlib is installed
    repeated = [arg for value in values for arg in (option, value)]
    result = gradcli(command, *args, *repeated)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert result.stdout == ""
    message = result.stderr.splitlines()[0]
    if "json" in values:  # an error on the way to JSON output is a JSON line
        message = json.loads(message)["error"]["message"]
    named = {"-o": "--output"}.get(option, option)  # the message names the long form
    assert message.removeprefix("error: ").startswith(f"{named} is given 2 times")
    once = gradcli(command, *args, option, values[0])
    assert "is given" not in once.stderr  # once is fine


def test_options_that_accumulate_still_do(gradcli, tmp_path):
    lib, main = tmp_path / "lib.grad", tmp_path / "main.grad"
    lib.write_text("sq(t) = t*t\n")
    main.write_text("y = sq(x)\n")
    assert gradcli("eval", "-f", lib, "-f", main, "x=3", "--format", "grads").stdout == "x 6.0\n"
    result = gradcli("check", "L = a*b", "a=2", "b=3", "--expect", "a=b", "--expect", "b=a", "--format", "json")
    assert [r["name"] for r in json.loads(result.stdout)["results"]][-2:] == ["expect:a", "expect:b"]
