"""A large constant array literal (issue 20, item 25): `x = [[...200x200...]]` in a program
against the same array from `--bindings FILE` (JSON) and against `python -c pass`.

Each case is a whole process, run `--runs` times round-robin (so a busy moment hits every case
alike); the table gives the median wall time and the median CPU time (user + system, from
getrusage: what a loaded machine does not inflate) and each one's ratio to `python -c pass`
and to the --bindings run.  The cases:

- literal:      `gradcli eval -f lit.grad` with `x = [[...]]` then `y = sum(x)`
- bindings:     `gradcli eval 'y = sum(x)' --bindings x.json` (the same 40,000 numbers)
- array output: `x = [[...]]` as the program's output (its Jacobian is the 40,000 x 40,000
  identity: kept sparse, it was ~12 GB dense)
- repl:         the two statements typed into `gradcli repl`, one line each

Usage: python benchmarks/large_literal.py [--side 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from common import PYTHON, fmt_ratio, fmt_time, gradcli_command, heading, median, note, quiet_env, ratio, table


def matrix(side: int) -> list[list[float]]:
    """side x side numbers in [-1, 1] with three decimals, the same on every run."""
    return [[round(((i * 7919 + j * 104729) % 2001) / 1000 - 1, 3) for j in range(side)] for i in range(side)]


def cases(folder: Path, side: int) -> list[tuple[str, list[str], bytes | None]]:
    """(name, command, stdin) of each case, their files written into `folder`."""
    m = matrix(side)
    literal = f"x = {json.dumps(m)}\n"
    (folder / "lit.grad").write_text(literal + "y = sum(x)\n")
    (folder / "out.grad").write_text(literal)
    (folder / "x.json").write_text(json.dumps({"x": m}))
    g = gradcli_command()
    return [
        ("python -c pass", [PYTHON, "-c", "pass"], None),
        ("literal (eval -f, json)", g + ["eval", "-f", str(folder / "lit.grad"), "--format", "json"], None),
        (
            "bindings (eval --bindings, json)",
            g + ["eval", "y = sum(x)", "--bindings", str(folder / "x.json"), "--format", "json"],
            None,
        ),  # fmt: skip
        ("array output (eval -f, pretty)", g + ["eval", "-f", str(folder / "out.grad")], None),
        ("repl (two lines on stdin)", g + ["repl"], (literal + "y = sum(x)\n").encode()),
    ]


def run(cmd: list[str], stdin: bytes | None) -> tuple[float, float, bytes]:
    """(wall seconds, CPU seconds of the child, stdout) of one run; raises on a non-zero exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, input=stdin, capture_output=True, env=quiet_env())
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)[:100]} exited {proc.returncode}: {proc.stderr.decode()[-300:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=200, help="the literal is side x side (default 200)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each case (default 5)")
    args = parser.parse_args()
    heading(f"A {args.side}x{args.side} constant array literal ({args.side**2:,} numbers)")
    note(f"load average {os.getloadavg()[0]:.2f}; medians of {args.runs} runs, round-robin")
    with tempfile.TemporaryDirectory() as tmp:
        todo = cases(Path(tmp), args.side)
        for _, cmd, stdin in todo:  # warm-up: bytecode caches, the file cache
            run(cmd, stdin)
        walls: dict[str, list[float]] = {name: [] for name, _, _ in todo}
        cpus: dict[str, list[float]] = {name: [] for name, _, _ in todo}
        outputs: dict[str, bytes] = {}
        for _ in range(args.runs):
            for name, cmd, stdin in todo:
                wall, cpu, out = run(cmd, stdin)
                walls[name].append(wall)
                cpus[name].append(cpu)
                outputs[name] = out
    same = outputs["literal (eval -f, json)"] == outputs["bindings (eval --bindings, json)"]
    base, bound = todo[0][0], todo[2][0]
    rows = [
        [
            name,
            fmt_time(median(walls[name])),
            fmt_time(median(cpus[name])),
            fmt_ratio(ratio(median(walls[name]), median(walls[base]))),
            fmt_ratio(ratio(median(cpus[name]), median(cpus[bound]))),
        ]
        for name, _, _ in todo
    ]
    table(["case", "wall", "cpu", "wall / python", "cpu / bindings"], rows)
    note(f"the literal's JSON output {'equals' if same else 'DIFFERS FROM'} the --bindings run's")


if __name__ == "__main__":
    main()
