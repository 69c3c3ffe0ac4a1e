"""Shared helpers: timing, medians, subprocess timing, a big-stack thread, plain-text tables."""

from __future__ import annotations

import gc
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent  # the repository
PYTHON = sys.executable


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def ratio(slow: float | None, fast: float | None) -> float | None:
    """slow / fast, or None when either side is missing."""
    if slow is None or fast is None or fast <= 0 or slow != slow or fast != fast:
        return None
    return slow / fast


def best(fn: Callable[[], Any], rounds: int) -> float:
    """The shortest wall time of `rounds` calls (the least disturbed by a busy machine)."""
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds, result) of one call, garbage from earlier work collected first (outside the timing)."""
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def gradcli_command() -> list[str]:
    """How a user runs gradcli with this interpreter: the console script beside it, else `python -m gradcli`."""
    script = Path(PYTHON).parent / "gradcli"
    if script.exists():
        return [str(script)]
    found = shutil.which("gradcli")
    if found and Path(found).parent == Path(PYTHON).parent:
        return [found]
    return [PYTHON, "-m", "gradcli"]


def run_once(cmd: Sequence[str], *, stdin: bytes | None = None, env: dict | None = None) -> tuple[float, bytes]:
    """Wall time of one subprocess run (output captured, so not a terminal); raises on a non-zero exit."""
    t0 = time.perf_counter()
    proc = subprocess.run(list(cmd), input=stdin, capture_output=True, env=env)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{' '.join(cmd)[:120]} exited {proc.returncode}: {' | '.join(err)}")
    return dt, proc.stdout


def quiet_env() -> dict:
    """The environment for timed subprocesses: no colour, no terminal width surprises."""
    env = dict(os.environ)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    env.setdefault("COLUMNS", "100")
    return env


def module_available(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def in_big_stack_thread(fn: Callable[[], Any], *, stack_mb: int = 512, recursion_limit: int = 10_000_000) -> Any:
    """Run fn in a thread with a large C stack and a high recursion limit (micrograd's backward is
    recursive: its depth is the depth of the graph).  Exceptions are re-raised in the caller."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            result["error"] = exc

    old_limit = sys.getrecursionlimit()
    old_size = threading.stack_size()
    sys.setrecursionlimit(max(old_limit, recursion_limit))
    threading.stack_size(stack_mb * 1024 * 1024)
    try:
        thread = threading.Thread(target=target, name="bench")
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old_size)
        sys.setrecursionlimit(old_limit)
    if "error" in result:
        raise result["error"]
    return result.get("value")


# -- printing ----------------------------------------------------------------------------


def fmt_time(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "-"
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.1f} us"


def fmt_ratio(x: float | None) -> str:
    if x is None or x != x:
        return "-"
    return f"{x:.2f}x"


def fmt_num(x: float | None, digits: int = 0) -> str:
    if x is None or x != x:
        return "-"
    return f"{x:,.{digits}f}"


def heading(title: str) -> None:
    print()
    print(title)
    print("=" * len(title))


def note(text: str) -> None:
    print(f"  note: {text}")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], align: str | None = None) -> None:
    """A plain-text table; `align` is one letter per column, 'l' or 'r' (default: first left, rest right)."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    align = align or "l" + "r" * (len(headers) - 1)

    def line(row: Sequence[str]) -> str:
        parts = [c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(row, widths, align)]
        return "  " + "  ".join(parts).rstrip()

    print(line(cells[0]))
    print("  " + "  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))
