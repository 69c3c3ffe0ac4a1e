"""Issue 20 (hardening 2), the items of the CLI's input and output and of the REPL: each test
failed before its fix.

- items 12, 13: output that cannot be written (/dev/full, a closed stdout) is one line
  `error: cannot write output: ...` and exit 2 for every command, help and version included;
  a pipe whose reader left ends quietly with exit 0 (real processes: these need real fds);
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

EXE = os.environ.get("GRADCLI_EXE") or shutil.which("gradcli", path=os.path.dirname(sys.executable)) or "gradcli"
REPL_INPUT = "x = 3\ny = x*x\n:grad\n:check\n:hessian\n"

# Every command, with arguments that make it write something to stdout.
COMMANDS = {
    "eval": ["eval", "y = x*x", "x=3"],
    "eval json": ["eval", "y = x*x", "x=3", "--format", "json"],
    "explain": ["explain", "y = x*x", "x=3"],
    "check": ["check", "y = x*x", "x=3"],
    "hessian": ["hessian", "y = x*x*z", "x=3", "z=2"],
    "diff": ["diff", "y = x*x", "x=3", "--wrt", "x"],
    "sweep": ["sweep", "y = x*x", "x=0:1:5"],
    "sweep json": ["sweep", "y = x*x", "x=0:1:5", "--format", "json"],
    "sweep table": ["sweep", "y = x*x", "x=0:1:5", "--format", "table"],
    "plot": ["plot", "y = x*x", "x=0:1:5"],
    "repl": ["repl"],
    "help": ["help"],
    "help eval": ["help", "eval"],
    "--help": ["--help"],
    "--version": ["--version"],
    **{
        f"{name} --help": [name, "--help"]
        for name in ("eval", "explain", "check", "hessian", "diff", "sweep", "plot", "repl", "help")
    },
}


def run(args: list[str], stdout: str) -> subprocess.CompletedProcess:
    """Run gradcli with stdout "full" (/dev/full), "closed" (no fd 1 at all) or "gone" (a pipe
    whose reader has left before the first write: every write is EPIPE)."""
    stdin = REPL_INPUT if args[:1] == ["repl"] else ""
    if stdout == "closed":  # bash's >&-: the process starts without a descriptor 1
        script = " ".join(["exec", *(_quote(a) for a in [EXE, *args])]) + " >&-"
        return subprocess.run(["bash", "-c", script], input=stdin, capture_output=True, text=True, timeout=120)
    if stdout == "full":
        with open("/dev/full", "w") as full:
            return subprocess.run([EXE, *args], input=stdin, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([EXE, *args], input=stdin, stdout=write, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write)


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


@pytest.mark.parametrize("name", list(COMMANDS))
@pytest.mark.parametrize(
    "stdout, reason", [("full", "No space left on device"), ("closed", "standard output is closed")]
)
def test_output_that_cannot_be_written_is_one_line_and_exit_2(name, stdout, reason):
    proc = run(COMMANDS[name], stdout)
    message = f"cannot write output: {reason}"
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    if "json" in name:
        assert json.loads(proc.stderr)["error"]["message"] == message
    else:
        assert proc.stderr == f"error: {message}\n"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_reader_that_left_ends_quietly_with_exit_0(name):
    proc = run(COMMANDS[name], "gone")
    assert (proc.returncode, proc.stderr) == (0, "")


@pytest.mark.parametrize(
    "command",
    [
        "sweep 'y = x*x' x=0:1:100000",
        "sweep 'y = x*x' x=0:1:100000 --format jsonl",
        "repl < {script}",
        "eval -f {big} --format csv",
        "hessian -f {big}",
        "diff -f {big} --wrt x0",
    ],
)
def test_head_1_keeps_exit_0_and_says_nothing(command, tmp_path):
    big = tmp_path / "big.grad"
    names = [f"x{i}" for i in range(300)]
    big.write_text("".join(f"{n} = {i}.5\n" for i, n in enumerate(names)) + f"s = {' * '.join(names[:40])}\n")
    script = tmp_path / "script"
    script.write_text("x = 1\n" + "y = x + 1\n" * 20_000)
    command = command.format(big=big, script=script)
    proc = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {_quote(EXE)} {command} | head -1 > /dev/null; echo status $?"],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert (proc.stdout, proc.stderr) == ("status 0\n", "")
