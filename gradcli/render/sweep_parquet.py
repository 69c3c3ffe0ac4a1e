"""`gradcli sweep --out FILE.csv|FILE.parquet`: the rows written to a file that appears only
when it is complete.

`OutFile` writes under a temporary name in the target's folder (`.NAME.XXXX.part`) and renames
it over the target when the run is complete (os.replace: atomic on one file system); an
exception, a Ctrl-C or a failed cluster removes the temporary file instead, so no half file
is ever left under the target's name.

`ParquetWriter` writes the CSV's columns (gradcli.analysis.sweep.Sweep.header: the inputs, the
output or its elements, the gradients, `status`), numbers as float64 and `status` as a string;
a failed row's numbers are nulls (the CSV's empty cells), and so is an input that was null in
the points.  Each chunk is one row group, so memory stays flat however many rows.  pyarrow is
imported only here, only when a Parquet file is written (`gradcli[parquet]`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence

import numpy as np

from gradcli.analysis.parquet_points import require_pyarrow
from gradcli.core.errors import UsageError

OUT_FORMATS = {".csv": "csv", ".parquet": "parquet"}


def out_format(path: str) -> str:
    """`csv` or `parquet`, from the name's suffix (exit 2 for any other)."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in OUT_FORMATS:
        raise UsageError(
            f"--out {path}: the file must end in .csv or .parquet (the suffix picks the format)",
            hint="for jsonl, json or a table, leave out --out and use --format",
        )
    return OUT_FORMATS[suffix]


class Staged:
    """A result written under a temporary name next to `path`, renamed to `path` by commit(),
    removed by discard() (and on leaving a `with` uncommitted).  Created by open(), after check().
    OutFile (a file) and sweep_parts.OutFolder (a folder of partitions) say how to make, check
    and remove theirs."""

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)
        self.shown = path
        self.temp: str | None = None

    def check(self) -> None:
        """Before any work: the folder exists (exit 2); the kind's own rules after it."""
        folder = os.path.dirname(self.path)
        if not os.path.isdir(folder):
            shown = os.path.dirname(self.shown.rstrip("/" + os.sep)) or "."  # DIR/'s parent, not DIR
            raise UsageError(f"--out {self.shown}: the folder {shown!r} does not exist")

    def open(self) -> str:
        """Create the temporary file or folder; its path (for writers to write into)."""
        self.check()
        folder, name = os.path.split(self.path)
        try:
            self.temp = self._make(folder, f".{name}.")
        except OSError as exc:
            raise UsageError(f"cannot write {self.shown!r}: {exc.strerror or exc}") from None
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.temp, self.MODE & ~umask)  # as open() or mkdir() would have made it (mkstemp: 0600)
        return self.temp

    def commit(self) -> None:
        if self.temp is not None:
            self._replace()
            os.replace(self.temp, self.path)
            self.temp = None

    def discard(self) -> None:
        if self.temp is not None:
            self._remove(self.temp)
            self.temp = None

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback) -> None:
        """An exception (or a run that did not commit) leaves nothing."""
        self.discard()

    MODE = 0o666

    def _make(self, folder: str, prefix: str) -> str:
        raise NotImplementedError

    def _replace(self) -> None:
        """Make way for the rename (a folder: its empty target)."""

    def _remove(self, temp: str) -> None:
        raise NotImplementedError


class OutFile(Staged):
    """--out FILE.csv|FILE.parquet: one file."""

    def check(self) -> None:
        super().check()
        if os.path.isdir(self.path):
            raise UsageError(f"--out {self.shown} is a folder; give a file name (FILE.csv or FILE.parquet)")

    def _make(self, folder: str, prefix: str) -> str:
        fd, temp = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=folder)
        os.close(fd)
        return temp

    def _remove(self, temp: str) -> None:
        try:
            os.remove(temp)
        except OSError:
            pass


def schema(header: Sequence[str]):
    """The Parquet columns for sweep's header: every number float64, `status` a string."""
    pa = require_pyarrow("--out FILE.parquet")
    return pa.schema([(name, pa.string() if name == "status" else pa.float64()) for name in header])


class ParquetWriter:
    """Rows to a Parquet file, a row group a chunk (write(chunk)); close() ends the file.  The
    writer interface of gradcli.render.sweep_writers (write, close), on a path, not a stream."""

    def __init__(self, path: str, header: Sequence[str], inputs: int) -> None:
        pa = require_pyarrow("--out FILE.parquet")
        self.schema = schema(header)
        self.inputs = inputs  # columns before the output's: a failed row keeps them (unless null)
        # a dictionary only for status (few distinct messages): on float columns pyarrow tries one,
        # gives up, and the write takes 3x as long (10^7 rows: 3.3 s against 1.0 s), the file larger
        self.writer = pa.parquet.ParquetWriter(path, self.schema, compression="snappy", use_dictionary=["status"])
        self.closed = False

    def write(self, chunk) -> None:
        self.append([*chunk.inputs, *chunk.values, *chunk.grads], chunk.failed, chunk.status)

    def append(self, numbers: Sequence[np.ndarray], failed: np.ndarray | None, status: Sequence[str] | None) -> None:
        """One row group: the number columns in header order, which rows failed, their status
        (None: every row is ok)."""
        import pyarrow as pa

        n = len(numbers[0]) if numbers else len(status or ())
        arrays = []
        for k, column in enumerate(numbers):
            mask = None
            if failed is not None:  # a failed row: empty numbers; its inputs as given (a null stays null)
                mask = failed if k >= self.inputs else failed & np.isnan(column)
            arrays.append(pa.array(column, type=pa.float64(), mask=mask))
        arrays.append(pa.repeat(pa.scalar("ok"), n) if status is None else pa.array(list(status), type=pa.string()))
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self, sweep=None) -> None:
        """End the file (its footer); once."""
        if not self.closed:
            self.closed = True
            self.writer.close()


__all__ = ["OUT_FORMATS", "OutFile", "ParquetWriter", "Staged", "out_format", "schema"]
