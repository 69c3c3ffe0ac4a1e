"""Every `console` block of the README runs and prints what the README shows.

A block is `$ command` lines, each followed by its expected output.  A line `...` in the
expected output stands for any number of lines (the README shortens long output with it).
Commands run with bash in the repository's root, 80 columns wide and without colour, as
the installed `gradcli`.  Commands that need a tool that is not installed (jq, dot, cc, node) are
skipped, with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```console\n(.*?)```", README, re.DOTALL)


def examples() -> list[tuple[str, list[str]]]:
    """(command, expected lines) for every `$ ` line of every console block."""
    out: list[tuple[str, list[str]]] = []
    for block in BLOCKS:
        for line in block.splitlines():
            if line.startswith("$ "):
                out.append((line[2:], []))
            elif out:
                out[-1][1].append(line)
    return out


def matches(expected: list[str], actual: list[str]) -> bool:
    """Lines equal (trailing blanks ignored) in order; `...` matches any run of lines."""
    pattern = "".join(".*?\n" if line.strip() == "..." else re.escape(line.rstrip()) + "\n" for line in expected)
    return re.fullmatch(pattern, "".join(line.rstrip() + "\n" for line in actual), re.DOTALL) is not None


def test_the_readme_has_console_examples():
    assert len(examples()) >= 5


@pytest.mark.parametrize("command, expected", examples(), ids=[c[:60] for c, _ in examples()])
def test_readme_console_example(command, expected, tmp_path):
    for tool in ("jq", "dot", "cc", "node"):
        if re.search(rf"\|\s*{tool}\b", command) and shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    env = dict(os.environ, COLUMNS="80", NO_COLOR="1", TERM="dumb")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    actual = (proc.stdout + proc.stderr).splitlines()
    if re.search(r"\|\s*jq\b", command):  # jq 1.6 prints 6 where 1.7 keeps 6.0
        expected, actual = (
            [re.sub(r"(\d)\.0\b", r"\1", line) for line in expected],
            [re.sub(r"(\d)\.0\b", r"\1", line) for line in actual],
        )
    assert matches(expected, actual), "\n".join(["expected:", *expected, "got:", *actual])
