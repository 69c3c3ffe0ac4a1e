"""`gradcli plot`'s drawing: a function and its derivative over a range, as text or as an SVG/PNG.

The values come from a sweep (gradcli.analysis.sweep); this module only draws them.

The text plot is a small braille renderer (each character cell holds 2 x 4 dots), plain
Unicode text, so it reads the same in a terminal and in a pipe or a file: one panel for the
output and one for its derivative, each labelled, with numbers on both axes.  Where the
function is undefined (eval would fail), the panel's columns are shaded with '░', and the
intervals are listed under it.  It needs no dependency; files go through matplotlib (the
optional extra `gradcli[plot]`), imported only for `-o`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gradcli.core.errors import UsageError

_BRAILLE = 0x2800
# dot bit of (column 0..1, row 0..3) in a braille cell
_DOT = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
UNDEFINED = "░"


@dataclass
class Series:
    label: str  # what is plotted: "y", "dy/dx"
    values: np.ndarray  # NaN where undefined


def text_plot(x: np.ndarray, series: Sequence[Series], xname: str, width: int = 80, height: int = 10) -> str:
    """The panels, one under the other, as plain text `width` characters wide."""
    return "\n".join(_panel(x, s, xname, width, height) for s in series) + "\n"


def _panel(x: np.ndarray, s: Series, xname: str, width: int, height: int) -> str:
    y = s.values
    defined = np.isfinite(y)
    lo, hi, clipped = _y_range(y[defined])
    label_at = _y_labels(lo, hi, height)
    margin = max(map(len, label_at.values())) + 1
    cols = max(width - margin - 4, 10)  # room for the name of x after the axis numbers
    canvas = _Canvas(cols, height)
    xlo, xhi = float(x.min()), float(x.max())
    dot_x = _scale(x, xlo, xhi, canvas.dot_cols)
    dot_y = (canvas.dot_rows - 1) - _scale(np.clip(y, lo, hi), lo, hi, canvas.dot_rows)
    shade = _undefined_columns(x, defined, cols)
    if lo < 0.0 < hi:  # the zero line, dotted, so the sign of a derivative reads at a glance
        zero = (canvas.dot_rows - 1) - _scale(np.array([0.0]), lo, hi, canvas.dot_rows)[0]
        for c in range(0, canvas.dot_cols, 4):
            if not shade[c // 2]:
                canvas.set(c, zero)
    _draw_curve(canvas, dot_x, dot_y, defined)
    rows = canvas.rows(shade)
    lines = [f"{s.label}" + (" (clipped to the range shown)" if clipped else "")]
    for r, text in enumerate(rows):
        tick = "┤" if r in label_at else "│"
        lines.append(f"{label_at.get(r, ''):>{margin - 1}} {tick}{text}")
    lines += _x_axis(xlo, xhi, cols, margin, xname)
    gaps = _intervals(x, defined)
    if gaps:
        lines.append(f"{' ' * margin} {UNDEFINED} undefined for {xname} in {gaps}")
    return "\n".join(lines)


def _y_labels(lo: float, hi: float, height: int) -> dict[int, str]:
    """Numbers beside the rows that hold them: the top, the bottom, and 0 when it is in
    range (where the dotted zero line is), else the middle."""
    dot_rows = 4 * height

    def row_of(v: float) -> int:
        return int((dot_rows - 1) - _scale(np.array([v]), lo, hi, dot_rows)[0]) // 4

    labels = {0: _num(hi), height - 1: _num(lo)}
    middle = 0.0 if lo < 0.0 < hi else (lo + hi) / 2
    if row_of(middle) not in labels:
        labels[row_of(middle)] = _num(middle)
    return labels


def _y_range(y: np.ndarray) -> tuple[float, float, bool]:
    """The y range drawn: min..max, or, where a few spikes (a pole of tan, 1/x) would flatten
    everything else, the 1st..99th percentile range (said in the label)."""
    if y.size == 0:
        return -1.0, 1.0, False
    lo, hi = float(y.min()), float(y.max())
    clipped = False
    if y.size >= 20:
        p_lo, p_hi = (float(v) for v in np.percentile(y, [1, 99]))
        if p_hi > p_lo and (hi - lo) > 20 * (p_hi - p_lo):
            lo, hi, clipped = p_lo, p_hi, True
    if not hi > lo:  # a constant: center it
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    return lo, hi, clipped


def _scale(v: np.ndarray, lo: float, hi: float, n: int) -> np.ndarray:
    """Values lo..hi to integer positions 0..n-1 (NaN to -1)."""
    with np.errstate(all="ignore"):
        t = (v - lo) / (hi - lo) if hi > lo else np.zeros_like(v)
        pos = np.rint(t * (n - 1))
    return np.where(np.isfinite(pos), pos, -1).astype(int)


class _Canvas:
    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.height = cols, rows
        self.dot_cols, self.dot_rows = 2 * cols, 4 * rows
        self.cells = [[0] * cols for _ in range(rows)]

    def set(self, c: int, r: int) -> None:
        if 0 <= c < self.dot_cols and 0 <= r < self.dot_rows:
            self.cells[r // 4][c // 2] |= _DOT[c % 2][r % 4]

    def line(self, c0: int, r0: int, c1: int, r1: int) -> None:
        steps = max(abs(c1 - c0), abs(r1 - r0), 1)
        for k in range(steps + 1):
            self.set(c0 + round((c1 - c0) * k / steps), r0 + round((r1 - r0) * k / steps))

    def rows(self, shade: Sequence[bool]) -> list[str]:
        return [
            "".join(
                UNDEFINED if shade[c] and not bits else chr(_BRAILLE + bits) if bits else " "
                for c, bits in enumerate(row)
            )
            for row in self.cells
        ]


def _draw_curve(canvas: _Canvas, dot_x: np.ndarray, dot_y: np.ndarray, defined: np.ndarray) -> None:
    """Consecutive defined points joined by lines; a gap where the function is undefined."""
    prev = None
    for c, r, ok in zip(dot_x.tolist(), dot_y.tolist(), defined.tolist()):
        if not ok:
            prev = None
            continue
        if prev is None:
            canvas.set(c, r)
        else:
            canvas.line(prev[0], prev[1], c, r)
        prev = (c, r)


def _undefined_columns(x: np.ndarray, defined: np.ndarray, cols: int) -> list[bool]:
    """Character columns whose middle is nearest to a point where the function is undefined
    (nearest, so that a coarse sweep still shades a whole region, not every other column)."""
    order = np.argsort(x, kind="stable")
    xs, ok = x[order], defined[order]
    xlo, xhi = float(xs[0]), float(xs[-1])
    centers = xlo + (np.arange(cols) + 0.5) / cols * (xhi - xlo)
    right = np.clip(np.searchsorted(xs, centers), 1, len(xs) - 1) if len(xs) > 1 else np.zeros(cols, int)
    left = np.maximum(right - 1, 0)
    nearest = np.where(np.abs(xs[right] - centers) < np.abs(centers - xs[left]), right, left)
    return (~ok[nearest]).tolist()


def _x_axis(xlo: float, xhi: float, cols: int, margin: int, xname: str) -> list[str]:
    """└──┬────┬──┘ with numbers under the ticks (as many as fit, at least both ends)."""
    count = 5 if cols >= 40 else 3 if cols >= 20 else 2  # quarters, halves: round numbers
    positions = [round(k * (cols - 1) / (count - 1)) for k in range(count)]
    axis = ["─"] * cols
    for p in positions:
        axis[p] = "┬"
    labels = [" "] * (cols + 12)
    for k, p in enumerate(positions):
        text = _num(xlo + (xhi - xlo) * k / (count - 1))
        start = min(max(p - len(text) // 2, 0), cols - len(text)) if k < count - 1 else cols - len(text)
        start = max(start, 0)
        if all(ch == " " for ch in labels[max(start - 1, 0) : start + len(text) + 1]):
            labels[start : start + len(text)] = text
    pad = " " * margin
    return [f"{pad}└{''.join(axis)}", f"{pad} {''.join(labels).rstrip()}  {xname}"]


def _intervals(x: np.ndarray, defined: np.ndarray, most: int = 3) -> str:
    """Where the function is undefined, as intervals of the sampled x: "[-1, -0.01], [2, 3]"."""
    bad = ~defined
    if not bad.any():
        return ""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], bad.astype(np.int8), [0]))))
    spans = [(x[a], x[b - 1]) for a, b in zip(edges[::2], edges[1::2])]
    text = ", ".join(_num(a) if a == b else f"[{_num(a)}, {_num(b)}]" for a, b in spans[:most])
    return text + (f" and {len(spans) - most} more" if len(spans) > most else "")


def _num(v: float) -> str:
    """Four significant digits, no noise: 0.5, -1.571, 1e+06."""
    if v == 0.0 or not math.isfinite(v):
        return "0" if v == 0.0 else str(v)
    return f"{v:.4g}"


# -- files (matplotlib, the optional extra) --------------------------------------------------

FILE_TYPES = (".svg", ".png")


def check_file(path: str) -> None:
    """Before any work: a file name we can write, and matplotlib installed."""
    if not path.lower().endswith(FILE_TYPES):
        raise UsageError(f"-o {path}: the file must end in .svg or .png")
    _pyplot()


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError(
            "-o needs matplotlib, which is not installed",
            hint="pip install 'gradcli[plot]'  (or plot in the terminal: leave out -o)",
        ) from None
    return plt


def file_plot(path: str, x: np.ndarray, series: Sequence[Series], xname: str, title: str) -> None:
    plt = _pyplot()
    fig = plt.figure(figsize=(7, 2.6 * len(series)))
    draw(fig, x, series, xname, title)
    try:
        fig.savefig(path)
    except OSError as exc:
        raise UsageError(f"cannot write {path!r}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)


def draw(fig, x: np.ndarray, series: Sequence[Series], xname: str, title: str) -> None:
    """The panels on a matplotlib Figure, one a series (plot -o's file; the notebook's sweep plot)."""
    axes = fig.subplots(len(series), 1, sharex=True, squeeze=False)
    for ax, s in zip(axes[:, 0], series):
        ax.plot(x, s.values, linewidth=1.4)
        ax.set_ylabel(s.label)
        ax.grid(True, alpha=0.3)
        ax.axhline(0.0, color="grey", linewidth=0.6)
        bad = ~np.isfinite(s.values)
        if bad.any():
            ax.fill_between(x, 0, 1, where=bad, transform=ax.get_xaxis_transform(), color="red", alpha=0.12)
    axes[-1, 0].set_xlabel(xname)
    axes[0, 0].set_title(title)
    fig.tight_layout()


__all__ = ["Series", "check_file", "draw", "file_plot", "text_plot"]
