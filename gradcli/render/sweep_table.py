"""`gradcli sweep --format table`: a rich table of the first and last rows, capped like eval's
table (--max-rows), with how many rows were left out between them.

A number is never cut to fit (eval's node table's rule, gradcli.render.nodes): where the table
does not fit the width, each row becomes a block, its `name number` pairs packed on lines
(render.text.pack), and the output says so."""

from __future__ import annotations

from collections import deque
from typing import TextIO

from gradcli.render.sweep_writers import number_texts
from gradcli.render.text import OutputOptions, fits, pack, print_all, short

_MEASURED_ROWS = 300  # above this, the table is drawn only at its natural width (rich's measuring is slow)


class TableWriter:
    """A rich table of the first and last rows (capped like eval's table: --max-rows)."""

    def __init__(self, out: TextIO, options: OutputOptions) -> None:
        self.out, self.options, self.precision = out, options, options.precision
        self.max_rows = max_rows = options.max_rows
        self.tail_size = max(1, min(5, max_rows // 2)) if max_rows else 0
        self.head: list[list[str]] = []
        self.tail: deque = deque(maxlen=self.tail_size or None)

    def _cells(self, chunk, keep: list[int]) -> list[list[str]]:
        """The rows `keep` of a chunk as text (only the rows the table can show are formatted)."""
        p = self.precision
        failed = chunk.failed[keep] if chunk.failed is not None else None
        cols = [[_short(t, p) for t in number_texts(c[keep], None)] for c in chunk.inputs]
        cols += [[_short(t, p) for t in number_texts(v[keep], failed)] for v in chunk.values]
        cols += [[_short(t, p) for t in number_texts(g[keep], failed)] for g in chunk.grads]
        cols.append(["ok"] * len(keep) if chunk.status is None else [chunk.status[i] for i in keep])
        return [list(row) for row in zip(*cols)]

    def write(self, chunk) -> None:
        n = len(chunk)
        room = max(self.max_rows - self.tail_size - len(self.head), 0) if self.max_rows else n
        head = min(room, n)
        tail_start = max(head, n - self.tail_size) if self.max_rows else n  # the rows the tail can keep
        rows = self._cells(chunk, [*range(head), *range(tail_start, n)])
        self.head += rows[:head]
        if self.max_rows:
            self.tail.extend(rows[head:])

    def close(self, plan) -> None:
        header, left_out = plan.header(), plan.done - len(self.head) - len(self.tail)
        table = self._table(header, left_out)
        rows = [*self.head, *self.tail]
        natural = sum(max(len(c) for c in column) for column in zip(header, *rows)) + 3 * (len(header) - 1)
        if natural <= self.options.width or len(rows) <= _MEASURED_ROWS and fits(table, self.options.width):
            print_all([table], self.options, self.out)
        else:
            print_all(self._blocks(header, left_out, plan.done), self.options, self.out)

    def _table(self, header: list[str], left_out: int):
        from rich.table import Table

        table = Table(*header, show_edge=False, pad_edge=False)
        for row in self.head:
            table.add_row(*row)
        if left_out > 0:
            table.add_row(_left_out(left_out), *[""] * (len(header) - 1))
        for row in self.tail:
            table.add_row(*row)
        return table

    def _blocks(self, header: list[str], left_out: int, done: int) -> list:
        """One block a row, for widths no table fits: `#row status`, then its numbers packed."""
        from rich.text import Text

        parts = [Text("(one block a row: a table is wider than the terminal)", style="dim")]
        first_of_tail = done - len(self.tail) + 1
        numbered = [*enumerate(self.head, 1), *enumerate(self.tail, first_of_tail)]
        for i, (number, row) in enumerate(numbered):
            if i == len(self.head) and left_out > 0:
                parts.append(Text(_left_out(left_out), style="italic"))
            head = Text(f"#{number}  ", style="dim")
            head.append(row[-1])
            items = [(name, cell, "") for name, cell in zip(header[:-1], row[:-1]) if cell]  # a failed row: inputs
            parts += [head, *pack(items, self.options.width, indent=4)]
        return parts


def _left_out(n: int) -> str:
    return f"… {n:,} rows left out (--max-rows 0 shows all)"


def _short(text: str, precision: int) -> str:
    """A repr'd number with `precision` significant digits (empty and NaN/Infinity as they are)."""
    try:
        x = float(text)
    except ValueError:
        return text
    return text if x - x != 0.0 else short(x, precision)
