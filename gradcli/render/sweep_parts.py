"""`gradcli sweep --engine dask --out DIR/` (a trailing slash): one Parquet file per partition,
named so that names sort in row order (`part-000000.parquet`, `part-000001.parquet`, ...;
DESIGN §7.3).

The files are written into a temporary folder next to DIR (`.DIR.XXXX.part/`), renamed to DIR
when the run is complete; an exception, a Ctrl-C or a failed cluster removes it, so DIR never
holds half a run.  DIR must not exist, or be an empty folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Sequence

from gradcli.core.errors import UsageError
from gradcli.render.sweep_parquet import ParquetWriter, Staged

PART_NAME = "part-{:06d}.parquet"


def is_folder_target(path: str) -> bool:
    """`--out DIR/`: a trailing slash asks for a folder of partitions."""
    return path.endswith(("/", os.sep))


class OutFolder(Staged):
    """--out DIR/: a folder written under a temporary name, renamed to `path` by commit()."""

    MODE = 0o777

    def check(self) -> None:
        super().check()
        if os.path.exists(self.path) and not (os.path.isdir(self.path) and not os.listdir(self.path)):
            raise UsageError(f"--out {self.shown}: it exists and is not an empty folder (nothing is overwritten)")

    def _make(self, folder: str, prefix: str) -> str:
        return tempfile.mkdtemp(prefix=prefix, suffix=".part", dir=folder)

    def _replace(self) -> None:
        if os.path.isdir(self.path):
            os.rmdir(self.path)  # empty (checked)

    def _remove(self, temp: str) -> None:
        # a worker may still be finishing a part (a second Ctrl-C cut the wait short): try again
        # for a few seconds until the folder is gone
        for _ in range(50):
            shutil.rmtree(temp, ignore_errors=True)
            if not os.path.exists(temp):
                return
            time.sleep(0.1)


def write_part(folder: str, header: Sequence[str], inputs: int, chunk, number: int) -> None:
    """One partition's file, `part-NNNNNN.parquet` in `folder` (on a dask worker: --out DIR/)."""
    writer = ParquetWriter(os.path.join(folder, PART_NAME.format(number)), header, inputs)
    try:
        writer.write(chunk)
    finally:
        writer.close()


class PartsWriter:
    """A Parquet file per chunk (the dask engine's chunk is a partition) in `folder`: the
    writer interface (write, close) of gradcli.render.sweep_writers."""

    def __init__(self, folder: str, header: Sequence[str], inputs: int) -> None:
        self.folder, self.header, self.inputs = folder, list(header), inputs
        self.count = 0
        self.closed = False

    def write(self, chunk) -> None:
        write_part(self.folder, self.header, self.inputs, chunk, self.count)
        self.count += 1

    def close(self, sweep=None) -> None:
        self.closed = True


__all__ = ["PART_NAME", "OutFolder", "PartsWriter", "is_folder_target", "write_part"]
