"""`gradcli.sweep(...)`'s result: every row of a sweep held as numpy columns, displayed as a
table of the first and last rows, and plotted (the output and its derivative, as `gradcli plot`
draws them) where matplotlib is installed.

The rows come from the session's sweep (the array interpreter, eval's verdict per row); `to_dict`
is `gradcli sweep --format json`'s document, written by its own writer."""

from __future__ import annotations

import io
import json

import numpy as np

from gradcli.render.notebook_html import cell, figure, left_out, number, table

HEAD, TAIL = 10, 5  # rows shown when a sweep has more than HEAD + TAIL


class SweepResult:
    """The rows of a sweep: `columns[name]` (the inputs, the output, dY/dX; NaN in a failed
    row), `status` (ok, or eval's message), `to_dict()`, and `plot(x)`."""

    def __init__(self, plan) -> None:
        self.plan = plan
        self.chunks = list(plan.chunks())  # every row: a notebook's sweep is held, not streamed
        self.header = plan.header()[:-1]
        per_chunk = [self._columns(k) for k in self.chunks]
        self.columns: dict[str, np.ndarray] = {
            name: np.concatenate([c[j] for c in per_chunk]) if per_chunk else np.zeros(0)
            for j, name in enumerate(self.header)
        }
        self.status: list[str] = [s for k in self.chunks for s in (k.status or ["ok"] * len(k))]

    @staticmethod
    def _columns(chunk) -> list[np.ndarray]:
        out = [*chunk.inputs, *[v.copy() for v in chunk.values], *[g.copy() for g in chunk.grads]]
        if chunk.failed is not None:
            for column in out[len(chunk.inputs) :]:
                column[chunk.failed] = np.nan
        return out

    def __len__(self) -> int:
        return len(self.status)

    @property
    def failed(self) -> int:
        return self.plan.failed

    def to_dict(self) -> dict:
        """`gradcli sweep --format json`'s document."""
        from gradcli.render.sweep_writers import JsonWriter

        out = io.StringIO()
        writer = JsonWriter(out, self.plan)
        for chunk in self.chunks:
            writer.write(chunk)
        writer.close(self.plan)
        return json.loads(out.getvalue())

    def _row(self, i: int) -> str:
        bad = self.status[i] != "ok"
        cells = [cell("", "num") if bad and k >= len(self.plan.names) else number(float(self.columns[name][i]))
                 for k, name in enumerate(self.header)]  # fmt: skip
        return f"<tr>{cell(str(i + 1), 'dim')}{''.join(cells)}{cell(self.status[i], 'neg' if bad else '')}</tr>"

    def _repr_html_(self) -> str:
        n = len(self)
        shown = list(range(n)) if n <= HEAD + TAIL else [*range(HEAD), -1, *range(n - TAIL, n)]
        rows = [left_out(n - HEAD - TAIL, len(self.header) + 2, "row") if i < 0 else self._row(i) for i in shown]
        caption = f"{n:,} rows" + (f", {self.failed:,} failed" if self.failed else "")
        return figure(table(["#", *self.header, "status"], rows, caption))

    def plot(self, x: str | None = None):
        """The output and d output / d x against `x` (default: the first swept input), two
        panels as `gradcli plot -o` draws them: a SweepPlot (an SVG in a notebook; .figure)."""
        names = self.plan.names
        swept = [n for n in names if np.unique(self.columns[n]).size > 1]
        x = x or (swept or names)[0]
        if x not in names:
            raise ValueError(f"x={x!r}: not an input of the sweep ({', '.join(names)})")
        if self.plan.is_array:
            raise ValueError("plot draws a scalar output; this sweep's output is an array")
        from gradcli.render.plot import Series, draw

        out = self.plan.output
        from matplotlib.figure import Figure  # not pyplot: the notebook's backend is left alone

        fig = Figure(figsize=(7, 5.2))
        series = [Series(out, self.columns[out]), Series(f"d{out}/d{x}", self.columns[f"d{out}/d{x}"])]
        order = np.argsort(self.columns[x], kind="stable")
        draw(
            fig, self.columns[x][order], [Series(s.label, s.values[order]) for s in series], x, f"{out} and d{out}/d{x}"
        )
        return SweepPlot(fig)

    def __repr__(self) -> str:
        return f"<SweepResult {len(self):,} rows of {', '.join(self.header)}>"


class SweepPlot:
    """A matplotlib Figure shown in a notebook as SVG (whatever backend the notebook uses)."""

    def __init__(self, figure) -> None:
        self.figure = figure

    def _repr_svg_(self) -> str:
        out = io.StringIO()
        self.figure.savefig(out, format="svg")
        return out.getvalue()

    def save(self, path: str) -> None:
        self.figure.savefig(path)
