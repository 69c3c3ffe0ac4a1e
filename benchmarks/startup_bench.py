"""3. CLI start-up: wall time of whole processes, as a shell loop pays it.

Every command runs `runs` times, round-robin (bare python, then each gradcli command, ...), after
one untimed warm-up run of each (bytecode caches, file cache); the median is reported, and its
ratio to bare `python -c pass` on the same interpreter.  Output is captured (a pipe, not a
terminal), as in `x=$(gradcli ...)`.  The import cost of gradcli's dependencies alone is measured
the same way, for context, and `python -X importtime` shows what the json command imports.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from common import (
    PYTHON,
    fmt_ratio,
    fmt_time,
    gradcli_command,
    heading,
    median,
    module_available,
    note,
    quiet_env,
    ratio,
    run_once,
    table,
)

PROGRAM = "y = x*x"


def commands() -> list[tuple[str, list[str]]]:
    g = gradcli_command()
    return [
        ("python -c pass", [PYTHON, "-c", "pass"]),
        (f"gradcli eval '{PROGRAM}' x=3 --format json", g + ["eval", PROGRAM, "x=3", "--format", "json"]),
        (f"gradcli eval '{PROGRAM}' x=3  (pretty)", g + ["eval", PROGRAM, "x=3"]),
        ("gradcli --help", g + ["--help"]),
        ("gradcli --version", g + ["--version"]),
        ("python -c 'import gradcli'  (library)", [PYTHON, "-c", "import gradcli"]),
    ]


def import_commands(full: bool) -> list[tuple[str, list[str]]]:
    mods = ["typer", "lark", "rich.console", "click"]
    if module_available("micrograd"):
        mods.append("micrograd.engine")
    if full and module_available("torch"):
        mods.append("torch")
    return [(f"import {m}", [PYTHON, "-c", f"import {m}"]) for m in mods if module_available(m.split(".")[0])]


def cached_env(prefix: str) -> dict:
    """The environment with bytecode caching on, the caches kept under `prefix` (not in the repo)."""
    env = quiet_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = prefix
    return env


def _time_all(cmds: list[tuple[str, list[str]]], runs: int, env: dict | None = None) -> dict[str, list[float]]:
    env = env or quiet_env()
    times: dict[str, list[float]] = {name: [] for name, _ in cmds}
    for _, cmd in cmds:  # warm-up
        run_once(cmd, env=env)
    for _ in range(runs):
        for name, cmd in cmds:
            times[name].append(run_once(cmd, env=env)[0])
    return times


def importtime(argv: list[str], top: int = 10) -> list[tuple[str, float]]:
    """Top-level imports of one run of argv under `python -X importtime`: (module, cumulative s)."""
    import subprocess

    g = gradcli_command()
    head = [PYTHON, "-X", "importtime"] + (g[1:] if g[0] == PYTHON else [g[0]])
    proc = subprocess.run(head + argv, capture_output=True, text=True, env=quiet_env())
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or "cumulative" in line:
            continue
        raw = parts[2]  # " " + two spaces per nesting level + module name
        if len(raw) - len(raw.lstrip(" ")) == 1:  # top level
            rows.append((raw.strip(), int(parts[1]) / 1e6))
    rows.sort(key=lambda r: -r[1])
    return rows[:top]


def run(quick: bool) -> dict[str, Any]:
    runs = 5 if quick else 20
    heading(f"3. CLI start-up: median of {runs} runs each, round-robin, output to a pipe")
    g = gradcli_command()
    print(f"  interpreter: {PYTHON}")
    print(f"  gradcli:     {' '.join(g)}")
    cmds = commands()
    times = _time_all(cmds, runs)
    med = {k: median(v) for k, v in times.items()}
    bare = med["python -c pass"]
    no_cache = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
    cached_med: dict[str, float] = {}
    if no_cache:
        # gradcli is usually installed editable here, so without a bytecode cache every run
        # compiles gradcli's modules from source; a user's install has the cache.  Both are shown.
        with tempfile.TemporaryDirectory(prefix="gradcli-pycache-") as prefix:
            cached = _time_all(cmds, runs, cached_env(prefix))
        cached_med = {k: median(v) for k, v in cached.items()}
    cbare = cached_med.get("python -c pass")
    rows = []
    for name, t in med.items():
        row = [name, fmt_time(t), fmt_time(t - bare) if name != "python -c pass" else "-", fmt_ratio(ratio(t, bare))]
        if cached_med:
            c = cached_med[name]
            row += [fmt_time(c), fmt_ratio(ratio(c, cbare))]
        rows.append(row)
    headers = ["command", "median", "over bare python", "x bare python"]
    if cached_med:
        headers += ["bytecode cached", "x bare (cached)"]
    table(headers, rows)
    if no_cache:
        note("PYTHONDONTWRITEBYTECODE is set here: the first columns compile gradcli's modules on every run;")
        note("'bytecode cached' runs with it unset and PYTHONPYCACHEPREFIX in a temporary folder.")

    imports = import_commands(full=not quick)
    imp_runs = max(3, runs // 2)
    imp_times = _time_all([("python -c pass", [PYTHON, "-c", "pass"])] + imports, imp_runs)
    imp_med = {k: median(v) for k, v in imp_times.items()}
    ibare = imp_med.pop("python -c pass")
    print()
    print(f"  import cost alone, for context (median of {imp_runs} runs, minus bare python {fmt_time(ibare)}):")
    table(["import", "median", "over bare python"], [[k, fmt_time(t), fmt_time(t - ibare)] for k, t in imp_med.items()])
    if not quick and not module_available("torch"):
        note("torch is not installed: no 'import torch' figure")

    top = importtime(["eval", PROGRAM, "x=3", "--format", "json"])
    print()
    print("  what `gradcli eval ... --format json` imports (python -X importtime, one run, top level, cumulative):")
    table(["module", "cumulative"], [[m, fmt_time(t)] for m, t in top])
    return {
        "runs": runs,
        "median": med,
        "ratio_to_bare": {k: ratio(t, bare) for k, t in med.items()},
        "median_bytecode_cached": cached_med,
        "ratio_to_bare_bytecode_cached": {k: ratio(t, cbare) for k, t in cached_med.items()},
        "import_median": imp_med,
        "import_bare": ibare,
        "importtime_json_command": top,
        "gradcli_command": g,
        "python": str(Path(PYTHON)),
    }
