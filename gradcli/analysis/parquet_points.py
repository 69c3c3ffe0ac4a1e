"""Points from a Parquet file (`sweep --points FILE.parquet`): the CSV reader's interface
(gradcli.analysis.points.CsvPoints: `header`, `where`, `use(names)`, `chunks(size)`), read with
pyarrow a batch at a time, row group by row group, so memory stays flat however many rows.

Column names are the CSV's (`x`, `x[0]`, `dy/dx`, `status`: a sweep's Parquet output reads
back); an input column holds numbers (integer or floating point; anything else is exit 2); a
null in it makes that row a failed row (the column comes out as a numpy masked array and the
sweep gives the row a message, as for a domain error); NaN and the infinities are refused,
as in a CSV cell, unless --allow-nonfinite.

pyarrow is the optional extra `gradcli[parquet]`, imported only by the functions that read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from gradcli.analysis.extras import pip, require
from gradcli.analysis.point_columns import normal_label
from gradcli.core.errors import UsageError
from gradcli.core.formula import number

EXTRA = pip("parquet")
SUFFIX = ".parquet"
# Bytes read at a time from a column chunk: with pre_buffer off, a row group of 10^7 rows is
# read a page at a time, not whole (peak ~7 MB of Arrow memory, not ~160 MB).
READ_BUFFER = 1 << 20


def is_parquet(path: str) -> bool:
    """A Parquet file by its name: FILE.parquet (any case)."""
    return path.lower().endswith(SUFFIX)


def require_pyarrow(what: str):
    """pyarrow (and its parquet module), or exit 2 naming the extra (`what`: the option that needs it)."""
    return require(("pyarrow", "pyarrow.parquet"), "parquet", what)


class ParquetPoints:
    """Points from a Parquet file, read a batch at a time (`chunks`); `total` is known from the
    file's metadata (the progress line uses it)."""

    def __init__(self, path: str, allow_nonfinite: bool = False) -> None:
        pa = require_pyarrow(f"--points {path}")
        self.where = path
        self.allow_nonfinite = allow_nonfinite
        try:
            self.file = pa.parquet.ParquetFile(path, pre_buffer=False, buffer_size=READ_BUFFER)
        except FileNotFoundError:
            raise UsageError(f"cannot read {path!r}: no such file") from None
        except (OSError, pa.ArrowException) as exc:
            raise UsageError(f"cannot read {path!r}: not a readable Parquet file ({_first_line(exc)})") from None
        schema = self.file.schema_arrow
        self.types = list(schema.types)
        self.raw = list(schema.names)  # the names as stored (W[0, 1] as written), for reading
        self.header = [normal_label(name.strip()) for name in self.raw]
        for i, name in enumerate(self.header):
            if not name:
                raise UsageError(f"{path}: column {i + 1} has no name")
        if not self.header:
            raise UsageError(f"{path} has no columns: expected a column per input, then one point a row")
        self.total = self.file.metadata.num_rows
        self.names: list[str] = []  # the input columns, set by use()
        self.columns: list[int] = []

    def use(self, names: Sequence[str]) -> None:
        """Read these columns (the others are the sweep's own output columns, skipped); each must
        hold numbers."""
        import pyarrow as pa

        self.names = list(names)
        self.columns = [self.header.index(n) for n in names]
        for name, j in zip(self.names, self.columns):
            kind = self.types[j]
            if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_null(kind)):
                raise UsageError(
                    f"{self.where}: column '{name}' holds {kind}, not numbers",
                    hint="an input column is integer or floating point (a null is a failed row)",
                )
        if self.total == 0:
            raise UsageError(f"{self.where} has columns but no points (no rows)")

    def chunks(self, size: int) -> Iterator[tuple[int, list[np.ndarray]]]:
        """(n, one float64 column per input) a batch at a time, in the file's row order; a column
        with nulls is a masked array (masked: null)."""
        for _, n, columns in self._slices(0, self.total, size):
            yield n, columns

    def parts(self, size: int) -> list[tuple[int, int]]:
        """(first row, rows) of partitions of at most `size` rows that follow the row groups: a
        group larger than `size` is cut into equal parts (2^20 rows at 10^6 a partition: two of
        524,288, not 10^6 and 48,576), smaller consecutive ones are not merged (a partition never
        reads a group twice)."""
        out, row = [], 0
        for group in range(self.file.metadata.num_row_groups):
            n = self.file.metadata.row_group(group).num_rows
            k = -(-n // size)  # parts of this group
            cuts = [n * i // k for i in range(k + 1)]
            out += [(row + a, b - a) for a, b in zip(cuts, cuts[1:]) if b > a]
            row += n
        return out

    def rows(self, first: int, n: int, size: int = 65_536) -> list[np.ndarray]:
        """Rows first .. first+n-1 (0-based) of the columns in use, read from just the row groups
        that hold them; masked where null, as chunks() gives them.  A dask worker reads its own
        partition with this (analysis/dask_frames.py)."""
        pieces = [columns for _, _, columns in self._slices(first, first + n, size)]
        return [
            np.ma.concatenate(p) if any(np.ma.isMaskedArray(a) for a in p) else np.concatenate(p) for p in zip(*pieces)
        ]

    def _slices(self, first: int, stop: int, size: int) -> Iterator[tuple[int, int, list[np.ndarray]]]:
        """(first row, n, the columns) of rows first .. stop-1, at most `size` at a time, reading
        only the row groups that hold them.  With no column in use, just the row counts."""
        import pyarrow as pa

        fields = [self.raw[j] for j in self.columns]
        row = 0
        try:
            for group in range(self.file.metadata.num_row_groups):
                rows = self.file.metadata.row_group(group).num_rows
                if row >= stop:
                    break
                if row + rows <= first:
                    row += rows
                    continue
                if not fields:  # every input from bindings: only the row count matters
                    lo, hi = max(first, row), min(stop, row + rows)
                    for a in range(lo, hi, size):
                        yield a, min(size, hi - a), []
                    row += rows
                    continue
                # one iterator a row group: a single iterator over the file keeps every group's
                # buffers until it ends (pyarrow 26: memory grows with the file)
                for batch in self.file.iter_batches(size, row_groups=[group], columns=fields, use_threads=False):
                    lo, hi = max(first, row), min(stop, row + batch.num_rows)
                    if lo < hi:
                        part = batch if hi - lo == batch.num_rows else batch.slice(lo - row, hi - lo)
                        yield lo, hi - lo, [self._column(name, part.column(k), lo) for k, name in enumerate(self.names)]
                    row += batch.num_rows
                    if row >= stop:
                        break
        except (OSError, pa.ArrowException) as exc:  # a truncated or corrupt row group
            raise UsageError(f"cannot read {self.where!r} after row {row:,}: {_first_line(exc)}") from None

    def _column(self, name: str, array, row: int) -> np.ndarray:
        import pyarrow as pa

        nulls = array.null_count
        if nulls == len(array):
            return np.ma.masked_all(len(array), dtype=float)
        values = array.cast(pa.float64(), safe=False)  # 2^53 + 1 rounds, as in a CSV cell
        column = values.to_numpy(zero_copy_only=False)  # nulls: NaN
        if nulls:
            mask = array.is_null().to_numpy(zero_copy_only=False)
            finite = np.isfinite(column) | mask
        else:
            mask, finite = None, np.isfinite(column)
        if not (self.allow_nonfinite or finite.all()):
            i = int(np.flatnonzero(~finite)[0])
            raise UsageError(
                f"{self.where}, row {row + i + 1:,}, column '{name}': "
                f"{number(float(column[i]))} is not a finite number",
                hint="--allow-nonfinite carries NaN and the infinities on; a null makes the row a failed row",
            )
        return column if mask is None else np.ma.MaskedArray(column, mask=mask)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = ["EXTRA", "SUFFIX", "ParquetPoints", "is_parquet", "require_pyarrow"]
