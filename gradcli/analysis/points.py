"""Where a sweep's points come from: swept bindings (`x=0:1:11`, `x=1,2,5`; several make a grid,
the first varying slowest) or a CSV file whose header names inputs.  Either way they are
produced a chunk at a time (`chunks(size)` yields (n, one column per name)), so 10^7 points
never need 10^7 rows in memory.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from gradcli.analysis.point_columns import normal_label
from gradcli.build.bindings import parse_binding
from gradcli.core.brackets import split_top_level
from gradcli.core.errors import BindingError, UsageError
from gradcli.lang.numbers import (
    NotANumber,
    only_number_characters,
    parse_number,
    read_count,
    read_number,
    underflows,
)

MAX_POINTS = 2**53  # the index k of a range's point is exact in a double only up to 2^53 (see Grid)

# -- swept bindings: x=START:STOP:N and x=v1,v2,... ---------------------------------------


@dataclass
class Axis:
    """One swept name: a range START + k (STOP - START) / (N - 1), or a list of values."""

    name: str
    size: int
    start: float = 0.0
    stop: float = 0.0
    values: np.ndarray | None = None  # a list's values; None for a range

    def at(self, k: np.ndarray) -> np.ndarray:
        """The values at indices k (a range is computed, never stored: 10^7 points cost nothing)."""
        if self.values is not None:
            return self.values[k]
        span = self.stop - self.start
        if math.isfinite(span):
            x = self.start + (k * span) / (self.size - 1)  # 0:1:11 gives 0.3, not 0.30000000000000004
        else:  # -1e308:1e308: the span overflows, the weights do not
            t = k / (self.size - 1)
            with np.errstate(invalid="ignore"):  # inf * 0 at an end: replaced by START or STOP below
                x = self.start * (1.0 - t) + self.stop * t
        x = np.where(k == 0, self.start, x)  # START exactly (-0; inf when the span is not finite)
        return np.where(k == self.size - 1, self.stop, x)  # the last point is STOP exactly

    @property
    def first(self) -> float:
        return float(self.at(np.zeros(1, dtype=np.int64))[0])


def is_swept(text: str) -> bool:
    """`x=0:1:5` or `x=1,2` (a comma outside brackets: `x=atan2(1,2)` is one value); a value
    starting with `[` is an array (`x=[1,2]`), bound as in eval, not swept."""
    _, _, raw = text.partition("=")
    if raw.lstrip().startswith("["):
        return False
    return ":" in raw or len(split_top_level(raw)) > 1


def parse_axis(text: str, allow_nonfinite: bool = False, default_count: int | None = None) -> Axis:
    """`x=START:STOP:N` (N >= 2, both ends included; STOP < START runs backwards) or
    `x=v1,v2,...`; START, STOP and the values may be constant expressions (`0:pi:50`).
    With default_count (plot), `x=START:STOP` is allowed too."""
    name, _, raw = text.partition("=")
    name = name.strip()
    if re.fullmatch(r"\w+\s*\[.*\]", name):  # x[0]=0:1:5
        raise BindingError(f"bad sweep {text!r}: sweeping one element of an array is not supported",
                           hint="bind the array (x=[...]) and sweep a scalar input instead")  # fmt: skip
    if ":" not in raw:
        parts = [p.strip() for p in split_top_level(raw)]
        if any(not p for p in parts):
            raise BindingError(f"bad sweep {text!r}: an empty value in the list (expected x=v1,v2,...)")
        values = [_number(text, name, p, "value", allow_nonfinite) for p in parts]
        return Axis(name, len(values), values=np.array(values, dtype=float))
    parts = [p.strip() for p in raw.split(":")]
    if len(parts) == 2 and default_count is not None:
        parts.append(str(default_count))
    if len(parts) != 3:
        example = "x=0:1" if default_count is not None else "x=0:1:11"
        raise BindingError(f"bad sweep {text!r}: expected NAME=START:STOP:N, e.g. {example}")
    start = _number(text, name, parts[0], "START", allow_nonfinite)
    stop = _number(text, name, parts[1], "STOP", allow_nonfinite)
    return Axis(name, _count(text, parts[2]), start, stop)


def _number(text: str, name: str, part: str, what: str, allow_nonfinite: bool) -> float:
    try:
        return parse_binding(f"{name}={part}", allow_nonfinite)[1]
    except BindingError as exc:
        detail = exc.message.split(": ", 1)[-1] if exc.message.startswith("bad binding") else exc.message
        if not part:
            detail = "it is missing"
        raise BindingError(f"bad sweep {text!r}: {what} {part!r}: {detail}") from None


def _count(text: str, part: str) -> int:
    """N: a whole number >= 2, in digits or as --mc takes it (1e9; a sweep streams, so only
    the grid's 2^53 bounds it)."""
    n = read_count(part)  # as --mc reads its count (lang.numbers): 11, 1e6, 1.5e3
    if n is None:
        raise BindingError(
            f"bad sweep {text!r}: N, the number of points, must be a whole number >= 2, got {part!r}",
            hint="x=START:STOP:N gives N evenly spaced points, both ends included, e.g. x=0:1:11 or x=0:1:1e6",
        )
    if n < 2:
        raise BindingError(
            f"bad sweep {text!r}: N must be at least 2 (both ends are included), got {n}",
            hint="for one point, bind the value: x=START",
        )
    return n


# -- where the points come from -------------------------------------------------------------


class Grid:
    """Every combination of the axes' values, the first axis varying slowest."""

    def __init__(self, axes: Sequence[Axis]) -> None:
        self.axes = list(axes)
        self.names = [a.name for a in axes]
        self.total = math.prod(a.size for a in axes)
        if self.total > MAX_POINTS:
            raise UsageError(
                f"the sweep has {self.total:.3g} points, more than gradcli will run (2^53): a range's k-th "
                "point is START + k (STOP - START) / (N - 1), and k is exact in a double only up to 2^53"
            )

    def chunks(self, size: int) -> Iterator[tuple[int, list[np.ndarray]]]:
        for lo in range(0, self.total, size):
            index = np.arange(lo, min(lo + size, self.total), dtype=np.int64)
            columns = []
            for axis in reversed(self.axes):
                index, k = np.divmod(index, axis.size)
                columns.append(axis.at(k))
            yield len(index), columns[::-1]


class CsvPoints:
    """Points from a CSV file: a header of input names, then one point a row, read a chunk at
    a time.  Fields are separated by commas, tabs or semicolons, as the header line is (see
    `delimiters`).  Every malformed row is an error naming its line and column (exit 2)."""

    def __init__(self, stream: TextIO, where: str, allow_nonfinite: bool = False) -> None:
        self.where = where
        self.allow_nonfinite = allow_nonfinite
        lines = self._lines_to_header(stream)
        self.delimiter = self._delimiter(lines[-1] if lines else "", len(lines))
        self.reader = csv.reader(itertools.chain(lines, stream), delimiter=self.delimiter)
        self.header = self._header()
        self.names: list[str] = []  # the input columns, set by use()
        self.columns: list[int] = []
        self.total = None  # unknown until read

    def _lines_to_header(self, stream: TextIO) -> list[str]:
        """The lines up to the header, the first that is not blank."""
        lines = []
        with self._decoding():
            for line in stream:
                lines.append(line)
                if line.strip():
                    break
        return lines

    def _delimiter(self, header: str, line: int) -> str:
        """The one of `,`, tab, `;` the header line separates its names with (`,` for one name)."""
        found = delimiters(header)
        if len(found) > 1:
            raise UsageError(
                f"{self.where}, line {line}: the header mixes delimiters: {' and '.join(map(_found, found))}",
                hint="separate the names, and the values, with one of: commas, tabs, semicolons",
            )
        names = header.strip()
        if not found and (re.search(r"\s", names) or "|" in names):
            raise UsageError(
                f"{self.where}, line {line}: the header {names!r} has no comma, tab or semicolon",
                hint="separate the names, and the values, with one of: commas, tabs, semicolons",
            )
        return found[0] if found else ","

    def _header(self) -> list[str]:
        row = next((r for r in self._rows() if r), None)
        if row is None:
            raise UsageError(f"{self.where} is empty: expected a header of input names, then one point a row")
        header = [normal_label(cell.strip()) for cell in _join_brackets(row, self.delimiter)]  # W[0, 1]: W[0,1]
        for i, name in enumerate(header):
            if not name:
                raise UsageError(f"{self.where}, line {self.reader.line_num}: column {i + 1} of the header has no name")
        return header

    @contextlib.contextmanager
    def _decoding(self) -> Iterator[None]:
        try:
            yield
        except UnicodeDecodeError as exc:
            raise UsageError(f"{self.where} is not UTF-8 text (byte {exc.start})") from None

    def _rows(self) -> Iterator[list[str]]:
        with self._decoding():
            try:
                yield from self.reader
            except csv.Error as exc:
                raise UsageError(f"{self.where}, line {self.reader.line_num}: {exc}") from None

    def use(self, names: Sequence[str]) -> None:
        """Read these columns (the others are the sweep's own output columns, skipped)."""
        self.names = list(names)
        self.columns = [self.header.index(n) for n in names]

    def chunks(self, size: int) -> Iterator[tuple[int, list[np.ndarray]]]:
        width, rows, lines, seen = len(self.header), [], [], False
        for row in self._rows():
            if not row:
                continue  # a blank line
            if len(row) != width:
                raise self._bad_width(row, width)
            rows.append(row)
            lines.append(self.reader.line_num)
            if len(rows) == size:
                yield len(rows), self._convert(rows, lines)
                rows, lines, seen = [], [], True
        if rows:
            yield len(rows), self._convert(rows, lines)
        elif not seen:
            raise UsageError(f"{self.where} has a header but no points (no rows after it)")

    def _bad_width(self, row: list[str], width: int) -> UsageError:
        """`line 3: 1 field, but the header has 2 (separated by commas); found ';'`."""
        fields = f"{len(row)} field{'s' if len(row) != 1 else ''}"
        found = [d for d in _DELIMITERS if d != self.delimiter and any(d in cell for cell in row)]
        also = f"; found {' and '.join(map(_found, found))}" if found else ""
        return UsageError(
            f"{self.where}, line {self.reader.line_num}: {fields}, but the header has {width} "
            f"(separated by {_DELIMITERS[self.delimiter]}){also}"
        )

    def _convert(self, rows: list[list[str]], lines: list[int]) -> list[np.ndarray]:
        out = []
        for name, j in zip(self.names, self.columns):
            cells = [row[j] for row in rows]
            column = _plain_column(cells, self.allow_nonfinite)
            out.append(column if column is not None else self._read_cells(name, cells, lines))
        return out

    def _read_cells(self, name: str, cells: list[str], lines: list[int]) -> np.ndarray:
        """Cell by cell, as a binding reads a number (lang.numbers.read_number): the first
        cell refused is an error naming its line and column."""
        values = []
        for cell, line in zip(cells, lines):
            try:
                values.append(read_number(cell, self.allow_nonfinite))
            except NotANumber as exc:
                hint = exc.hint
                if exc.reason.endswith("is not a number"):
                    hint = hint or self._cell_hint(cell.strip())
                raise UsageError(f"{self.where}, line {line}, column '{name}': {exc.reason}", hint=hint) from None
        return np.array(values, dtype=float)

    def _cell_hint(self, cell: str) -> str | None:
        if self.delimiter != "," and "," in cell and parse_number(cell.replace(",", ".")) is not None:
            return f"write {cell.replace(',', '.')}: a decimal point, not a comma"
        found = [d for d in _DELIMITERS if d != self.delimiter and d in cell]
        if found:
            return f"the header separates fields with {_DELIMITERS[self.delimiter]}; this cell has {_found(found[0])}"
        return "a --points cell is a number (such as -1.5e3), not an expression" if cell else None


_DELIMITERS = {",": "commas", "\t": "tabs", ";": "semicolons"}


def delimiters(line: str) -> list[str]:
    """The delimiters (`,`, tab, `;`) a line has outside quotes and brackets (a column
    `W[0,1]` is one name), in the order they first appear."""
    found, quoted, depth = [], False, 0
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(depth - 1, 0)
        elif depth == 0 and ch in _DELIMITERS and ch not in found:
            found.append(ch)
    return found


def _found(delimiter: str) -> str:
    return "a tab" if delimiter == "\t" else repr(delimiter)


def _join_brackets(cells: list[str], delimiter: str) -> list[str]:
    """Header cells split inside brackets joined again: `x,W[0,1]` unquoted is two names."""
    out: list[str] = []
    for cell in cells:
        if out and out[-1].count("[") > out[-1].count("]"):
            out[-1] += delimiter + cell
        else:
            out.append(cell)
    return out


def _plain_column(cells: list[str], allow_nonfinite: bool) -> np.ndarray | None:
    """The common case at numpy's speed: every cell a plain number (what a sweep writes); None
    when any cell needs reading one by one (blanks, NaN, Infinity, a cell to refuse)."""
    if not only_number_characters("".join(cells)):
        return None
    try:
        column = np.array(cells, dtype=float)
    except ValueError:  # `1.2.3`, an empty cell
        return None
    if not (allow_nonfinite or np.isfinite(column).all()):
        return None  # 1e999
    if any(underflows(cells[i]) for i in np.flatnonzero(column == 0.0).tolist()):
        return None  # 1e-400
    return column
