"""`gradcli sweep --format table`: a rich table of the first and last rows, capped like eval's
table (--max-rows), with how many rows were left out between them."""

from __future__ import annotations

from collections import deque
from typing import TextIO

from gradcli.render.sweep_writers import number_texts
from gradcli.render.text import OutputOptions, print_all, short


class TableWriter:
    """A rich table of the first and last rows (capped like eval's table: --max-rows)."""

    def __init__(self, out: TextIO, options: OutputOptions) -> None:
        self.out, self.options, self.precision = out, options, options.precision
        self.max_rows = max_rows = options.max_rows
        self.tail_size = max(1, min(5, max_rows // 2)) if max_rows else 0
        self.head: list[list[str]] = []
        self.tail: deque = deque(maxlen=self.tail_size or None)

    def _cells(self, chunk) -> list[list[str]]:
        p = self.precision
        cols = [[_short(t, p) for t in number_texts(c, None)] for c in chunk.inputs]
        cols.append([_short(t, p) for t in number_texts(chunk.value, chunk.failed)])
        cols += [[_short(t, p) for t in number_texts(g, chunk.failed)] for g in chunk.grads]
        cols.append(["ok"] * len(chunk) if chunk.status is None else chunk.status)
        return [list(row) for row in zip(*cols)]

    def write(self, chunk) -> None:
        rows = self._cells(chunk)
        room = self.max_rows - self.tail_size - len(self.head) if self.max_rows else len(rows)
        self.head += rows[: max(room, 0)]
        if self.max_rows:
            self.tail.extend(rows[max(room, 0) :][-self.tail_size :])

    def close(self, plan) -> None:
        from rich.table import Table

        table = Table(*plan.header(), show_edge=False, pad_edge=False)
        for row in self.head:
            table.add_row(*row)
        left_out = plan.done - len(self.head) - len(self.tail)
        if left_out > 0:
            table.add_row(f"… {left_out:,} rows left out (--max-rows 0 shows all)", *[""] * (len(plan.header()) - 1))
        for row in self.tail:
            table.add_row(*row)
        print_all([table], self.options, self.out)


def _short(text: str, precision: int) -> str:
    """A repr'd number with `precision` significant digits (empty and NaN/Infinity as they are)."""
    try:
        x = float(text)
    except ValueError:
        return text
    return text if x - x != 0.0 else short(x, precision)
