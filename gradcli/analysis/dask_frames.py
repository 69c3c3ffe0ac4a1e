"""`sweep --engine dask` as a dask DataFrame (DESIGN §7.3): the points, `map_partitions` running
the array interpreter on each partition (`meta`: the output's columns and dtypes, known before
anything runs), then the rows, in order, to the client's writers, or each partition written by
its worker (`--out DIR/`).

- The points: a grid's partitions are made on the workers, a Parquet file's read on the workers,
  each from a row range (`dd.from_map`; read_parquet would not tell a partition its first row,
  which row numbers in messages need, nor keep a null apart from NaN).  A partition's index is
  its rows' numbers (a RangeIndex from its first row); its columns are the input columns, as
  Arrow float64 (a null stays a null: that row fails, as on the local engine).
- A partition's rows are `frame(chunk)`: the sweep header's columns (§6.2), the numbers float64,
  `status` a categorical of strings; `chunk_of(frame)` turns them back into the local engine's Chunk, so the
  writers are the local ones, and a failed row's count and first failure are kept as locally.
- A CSV file or stdin is read on the client with gradcli's own reader (its messages and cells are
  the local engine's) and its partitions are shipped (analysis/dask_engine.py).

pandas and dask are imported inside the functions (the `gradcli[dask]` extra).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

import numpy as np

from gradcli.analysis.dask_engine import Job, Settings, connect, grid_rows, ordered, result_of, run_partition, window
from gradcli.analysis.sweep import Chunk, Failure


class Layout(NamedTuple):
    """The sweep's columns: the header (§6.2) and how many are inputs, outputs (then gradients)."""

    header: list[str]
    inputs: int
    outputs: int


def layout(plan) -> Layout:
    return Layout(plan.header(), len(plan.names), len(plan.outputs))


def meta(columns: Layout):
    """An empty frame of the rows' columns and dtypes (dask's `meta`)."""
    import pandas as pd

    data = {name: pd.Series(dtype="float64") for name in columns.header[:-1]}
    data[columns.header[-1]] = pd.Series(pd.Categorical([]))
    return pd.DataFrame(data)


def frame(chunk: Chunk, columns: Layout, index=None):
    """A Chunk as a pandas frame of the header's columns."""
    import pandas as pd

    numbers = [*chunk.inputs, *chunk.values, *chunk.grads]
    n = len(chunk)
    data = {name: np.asarray(c, dtype=float) for name, c in zip(columns.header, numbers)}
    # status as a categorical: a code a row (10^6 "ok" strings pickled one by one cost ~0.1 s a partition)
    if chunk.status is None:
        status = pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=["ok"])
    else:
        status = pd.Categorical(np.array(chunk.status, dtype=object))
    data[columns.header[-1]] = status
    return pd.DataFrame(data, index=index if index is not None else pd.RangeIndex(chunk.start, chunk.start + n))


def chunk_of(rows, columns: Layout) -> Chunk:
    """A frame of rows back as the Chunk the local engine yields (its index: the row numbers)."""
    import pandas as pd

    cols = [rows[name].to_numpy(dtype=float) for name in columns.header[:-1]]
    status = rows[columns.header[-1]]
    a, b = columns.inputs, columns.inputs + columns.outputs
    start = int(rows.index[0]) if len(rows) else 0
    if isinstance(status.dtype, pd.CategoricalDtype):
        categories = list(status.cat.categories)
        codes = status.cat.codes.to_numpy()
        failed = codes != categories.index("ok") if "ok" in categories else np.ones(len(codes), dtype=bool)
    else:
        failed = status.to_numpy(dtype=object) != "ok"
    if failed.any():
        return Chunk(start, cols[:a], cols[a:b], cols[b:], failed, list(status.to_numpy(dtype=object)))
    return Chunk(start, cols[:a], cols[a:b], cols[b:], None, None)


# -- the points, as dask DataFrames --------------------------------------------------------------


def _grid_part(part: tuple[int, int], axes: list):
    """On a worker: a grid's rows first .. first+n-1."""
    import pandas as pd

    first, n = part
    return pd.DataFrame(
        {axis.name: column for axis, column in zip(axes, grid_rows(axes, first, n))},
        index=pd.RangeIndex(first, first + n),
    )


def _parquet_part(part: tuple[int, int], path: str, names: list[str], allow_nonfinite: bool, shown: str):
    """On a worker: rows first .. first+n-1 of the Parquet points, Arrow float64 (nulls kept).
    `path` is resolved; messages name the file as the user gave it (`shown`), as locally."""
    import pandas as pd
    import pyarrow as pa

    from gradcli.analysis.parquet_points import ParquetPoints

    first, n = part
    source = ParquetPoints(path, allow_nonfinite)
    source.where = shown
    source.use(names)
    data = {}
    for name, column in zip(names, source.rows(first, n)):
        mask = np.ma.getmaskarray(column) if np.ma.isMaskedArray(column) else None
        values = np.ma.filled(column, np.nan) if mask is not None else column
        data[name] = pd.array(pa.array(values, type=pa.float64(), mask=mask), dtype=pd.ArrowDtype(pa.float64()))
    return pd.DataFrame(data, index=pd.RangeIndex(first, first + n))


def _points_meta(names: Sequence[str], arrow: bool):
    import pandas as pd
    import pyarrow as pa

    dtype = pd.ArrowDtype(pa.float64()) if arrow else "float64"
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name in names}, index=pd.RangeIndex(0, 0))


def points(plan, size: int):
    """The points as a dask DataFrame, or None for a source read on the client (a CSV, stdin)."""
    import dask.dataframe as dd

    from gradcli.analysis.parquet_points import ParquetPoints
    from gradcli.analysis.points import Grid

    source = plan.source
    if isinstance(source, Grid):
        parts = [(lo, min(size, source.total - lo)) for lo in range(0, source.total, size)]
        return dd.from_map(
            _grid_part, parts, args=[source.axes], meta=_points_meta([a.name for a in source.axes], False)
        )
    if isinstance(source, ParquetPoints):
        import os

        path = os.path.abspath(source.where)  # resolved here, before anything goes to a worker
        args = [path, list(source.names), source.allow_nonfinite, source.where]
        return dd.from_map(_parquet_part, source.parts(size), args=args, meta=_points_meta(source.names, True))
    return None


# -- the rows ---------------------------------------------------------------------------------------


def _rows(points, job: Job, columns: Layout):
    """map_partitions' function: a partition of points to its rows (the array interpreter, and
    eval's message for each failed row, as run_partition gives them)."""
    n = len(points)
    given = {}
    for name in points.columns:
        s = points[name]
        values = s.to_numpy(dtype=float, na_value=np.nan)
        nulls = s.isna().to_numpy() if str(s.dtype) != "float64" else None
        given[name] = np.ma.MaskedArray(values, mask=nulls) if nulls is not None and nulls.any() else values
    first = int(points.index[0]) if n else 0
    chunk, _, _ = run_partition(job, first, n, given)
    return frame(chunk, columns, points.index)


def rows(plan, job: Job, settings: Settings):
    """The sweep's rows as a dask DataFrame (points → map_partitions), or None (points read here)."""
    pts = points(plan, settings.rows)
    if pts is None:
        return None
    columns = layout(plan)
    return pts.map_partitions(_rows, job, columns, meta=meta(columns), enforce_metadata=False)


def count(plan, chunk: Chunk) -> None:
    """The plan's failed count and first failure, from a chunk's failed rows (as the local engine keeps them)."""
    if chunk.failed is None:
        return
    for i in np.flatnonzero(chunk.failed):
        plan._failed(chunk.start + int(i) + 1, [float(c[i]) for c in chunk.inputs], chunk.status[i])


def chunks(plan, result, settings: Settings) -> Iterator[Chunk]:
    """The rows' partitions brought to the client in order (a window of them in flight), as Chunks."""
    columns = layout(plan)
    with connect(settings) as client:
        parts = result.to_delayed()
        for rows_ in ordered(client, ((part,) for part in parts), window(client)):
            chunk = chunk_of(rows_, columns)
            count(plan, chunk)
            plan.done += len(chunk)
            yield chunk


def _write(rows_, write: Callable, columns: Layout, partition_info=None):
    """map_partitions' function for --out DIR/: the worker writes its partition's file (write(chunk,
    number)) and returns a one-row summary: its rows, its failed rows, its first failure."""
    import pandas as pd

    chunk = chunk_of(rows_, columns)
    number = partition_info["number"] if partition_info else 0
    write(chunk, number)
    bad = np.flatnonzero(chunk.failed) if chunk.failed is not None else []
    first = int(bad[0]) if len(bad) else -1
    point = json.dumps([float(c[first]) for c in chunk.inputs]) if first >= 0 else ""  # NaN as NaN
    return pd.DataFrame(
        {
            "number": [number],
            "start": [chunk.start],
            "rows": [len(chunk)],
            "failed": [len(bad)],
            "first": [first],
            "point": [point],
            "message": [chunk.status[first] if first >= 0 else ""],
        }  # fmt: skip
    )


def written(plan, result, settings: Settings, write: Callable) -> Iterator[int]:
    """--out DIR/: every partition written by its worker (write(chunk, number) must be importable
    there); yields the rows done as partitions complete, then keeps the plan's counts as locally."""
    import pandas as pd

    columns = layout(plan)
    empty = {"number": 0, "start": 0, "rows": 0, "failed": 0, "first": 0, "point": "", "message": ""}
    summary = result.map_partitions(_write, write, columns, meta=pd.DataFrame({k: [v] for k, v in empty.items()})[:0])
    with connect(settings) as client:
        from distributed import as_completed

        futures = client.compute(summary.to_delayed())
        parts = []
        try:
            for future in as_completed(futures, loop=client.loop):
                part = result_of(future)
                parts.append(part)
                plan.done += int(part["rows"].sum())
                yield plan.done
        finally:
            pending = [f for f in futures if not f.done()]
            for future in pending:
                future.cancel()
            if pending:  # a task already running goes on writing its part: wait for it (bounded)
                from distributed import wait

                try:
                    wait(pending, timeout=settings.timeout)
                except Exception:  # noqa: BLE001 - a timeout, a cluster gone: the folder is removed anyway
                    pass
    for part in sorted((row for p in parts for row in p.to_dict("records")), key=lambda r: r["number"]):
        plan.failed += int(part["failed"])
        if part["first"] >= 0 and plan.first_failure is None:
            point = dict(zip(plan.names, json.loads(part["point"])))
            plan.first_failure = Failure(int(part["start"]) + int(part["first"]) + 1, point, part["message"])


__all__ = ["Layout", "chunk_of", "chunks", "frame", "layout", "meta", "points", "rows", "written"]
