"""`--engine dask` (DESIGN §7.3): sweep's rows and Monte Carlo's chunks computed by dask.distributed
workers, with results equal to the local engine's.

- The work travels as a `Job`: the program as text, its bindings as values and the options
  (session.Recipe), and the session function that compiles them.  A worker compiles a job once
  and keeps it in its own state (`compiled`: an attribute of the dask Worker object, keyed by
  the job's hash), so every later partition of the run reuses the compiled array program.
- Sweep: the points are cut into partitions of --partition-rows rows (PARTITION_ROWS by
  default).  A grid's partitions are made on the workers (a row range); points read from a file
  are read here, in order, and shipped.  Each partition runs the array interpreter and eval's
  explanation of its failed rows (`run_partition`); the results come back in row order, at most
  `window` partitions in flight (memory stays flat), and become the same Chunks the local engine
  yields, so every writer (csv, json, parquet, `--out DIR/`) is the local one.
- Monte Carlo: chunk i is drawn from child i of SeedSequence(seed) (analysis.monte_carlo), so a
  task draws a range of whole chunks and the samples are the local engine's, on any number of
  workers.
- Where: without --scheduler, a distributed.LocalCluster of one single-threaded worker process
  per core, started for the run and closed after it (the same code path as a real cluster:
  pickling, worker state, worker failures); with --scheduler tcp://HOST:PORT, that cluster.
  An unreachable scheduler is a UsageError (exit 2) after --timeout seconds; a cluster that
  fails mid-run (a worker lost beyond dask's retries, the scheduler gone) is a RunError (exit 4).

dask and distributed are imported only inside these functions (the `gradcli[dask]` extra).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import NamedTuple

from gradcli.analysis.extras import require
from gradcli.core.errors import GradcliError, RunError, UsageError

PARTITION_ROWS = 1_000_000  # rows per partition (sweep) or samples per task (Monte Carlo, in whole chunks)
WINDOW_PER_WORKER = 2  # partitions in flight per worker thread: results come back in order, memory stays flat
_CACHE_SIZE = 4  # compiled jobs a worker keeps (a long-lived cluster serves many runs)


class Settings(NamedTuple):
    """Where and how: --scheduler (None: a LocalCluster for the run), --partition-rows, --timeout."""

    scheduler: str | None = None
    partition_rows: int | None = None
    timeout: float = 10.0

    @property
    def rows(self) -> int:
        return self.partition_rows or PARTITION_ROWS


class Job(NamedTuple):
    """What a worker compiles: `compile()` (a session function over text and values, pickled by
    name), and `key`, a hash of its arguments: a worker's cache key."""

    key: str
    compile: Callable[[], object]


def compiled(job: Job):
    """The job compiled, once per worker process: kept in the dask Worker's own state, with a
    lock (a partition's run uses the plan's scratch state); outside a worker, compiled afresh."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return job.compile(), threading.Lock()
    cache = worker.__dict__.setdefault("gradcli_compiled", {})
    if job.key not in cache:
        while len(cache) >= _CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[job.key] = (job.compile(), threading.Lock())
    return cache[job.key]


# -- the cluster ---------------------------------------------------------------------------------


def _distributed():
    return require(("distributed", "dask"), "dask", "--engine dask")


@contextlib.contextmanager
def connect(settings: Settings) -> Iterator[object]:
    """A distributed Client: to --scheduler's cluster (exit 2 if it cannot be reached within
    --timeout), or to a LocalCluster started here and closed on the way out.  distributed's own
    loggers are quiet meanwhile: a lost scheduler is gradcli's one message (exit 4), not theirs
    and two tracebacks."""
    import logging

    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with _connect(settings) as client:
            yield client
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def _connect(settings: Settings) -> Iterator[object]:
    distributed = _distributed()
    import logging

    quiet = {"silence_logs": logging.ERROR}
    if settings.scheduler is not None:
        try:
            client = distributed.Client(settings.scheduler, timeout=settings.timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(
                f"cannot reach the dask scheduler at {settings.scheduler} within {settings.timeout:g} s"
                f" ({exc.__class__.__name__})",
                hint="is the scheduler running (dask scheduler), and the address tcp://HOST:PORT? "
                "--timeout SECONDS waits longer",
            ) from None
        with client:
            yield client
        return
    cores = max(1, len(os.sched_getaffinity(0)))
    with (
        distributed.LocalCluster(
            n_workers=cores, threads_per_worker=1, processes=True, dashboard_address=":0", **quiet
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        yield client


def failed_run(exc: BaseException) -> RunError:
    return RunError(
        f"the dask cluster failed before the run completed ({exc.__class__.__name__}: {exc}); nothing was written",
        hint="run again (a lost worker is retried by dask up to distributed.scheduler.allowed-failures times)",
    )


def ordered(client, tasks: Iterator[tuple], window: int) -> Iterator[object]:
    """Submit (fn, *args) tasks (or compute (collection,) ones), at most `window` in flight, and
    yield their results in submission order as they complete.  A cluster failure is a RunError
    (exit 4); a GradcliError raised on a worker is itself."""
    pending: deque = deque()
    try:
        for fn, *args in tasks:  # a function and its arguments, or (a dask collection,)
            pending.append(
                client.compute(fn) if hasattr(fn, "__dask_graph__") else client.submit(fn, *args, pure=False)
            )
            if len(pending) >= window:
                yield result_of(pending.popleft())
        while pending:
            yield result_of(pending.popleft())
    finally:
        for future in pending:
            future.cancel()


def result_of(future):
    try:
        return future.result()
    except GradcliError:
        raise
    except (OSError, TimeoutError) as exc:
        raise failed_run(exc) from None
    except Exception as exc:
        if type(exc).__module__.startswith(("distributed", "concurrent", "asyncio")) or type(exc).__name__ in (
            "KilledWorker",
            "CancelledError",
            "FutureCancelledError",
        ):
            raise failed_run(exc) from None
        raise


def window(client) -> int:
    try:
        threads = sum(client.nthreads().values())
    except Exception as exc:  # noqa: BLE001 - the scheduler went away between connecting and now
        raise failed_run(exc) from None
    return WINDOW_PER_WORKER * max(1, threads)


# -- sweep -------------------------------------------------------------------------------------


def run_partition(job: Job, start: int, n: int, given: dict | None, axes: list | None = None):
    """On a worker: rows start+1 .. start+n of the sweep as a Chunk (eval's message for each failed
    row), with the partition's failed count and first failure.  `given`: the points' columns by
    name, or None for a grid of `axes` (its rows are made here)."""
    import numpy as np

    from gradcli.analysis.sweep import Chunk

    plan, lock = compiled(job)
    with lock:
        if given is None:
            given = {axis.name: column for axis, column in zip(axes, grid_rows(axes, start, n))}
        fixed = {name: node.data for name, node in plan.graph.inputs.items()}
        nulls = {k: np.ma.getmaskarray(c) for k, c in given.items() if np.ma.isMaskedArray(c)}  # as Sweep.batches
        by_name = {k: np.ma.filled(c, np.nan) if k in nulls else c for k, c in given.items()}
        columns = [by_name[name] if name in by_name else np.full(n, fixed[name]) for name in plan.names]
        batch = plan.arrays.run(columns, n, plan.allow_nonfinite)
        chunk = Chunk(start, columns, batch.values, batch.grads, batch.failed, None)
        plan.failed, plan.first_failure = 0, None
        if batch.failed is not None or nulls:
            plan._explain(chunk, nulls)
        return chunk, plan.failed, plan.first_failure


def grid_rows(axes, lo: int, n: int) -> list:
    """A grid's rows lo .. lo+n-1 (the first axis varying slowest), as points.Grid makes them."""
    import numpy as np

    index = np.arange(lo, lo + n, dtype=np.int64)
    columns = []
    for axis in reversed(axes):
        index, k = np.divmod(index, axis.size)
        columns.append(axis.at(k))
    return columns[::-1]


def sweep_chunks(plan, job: Job, settings: Settings) -> Iterator:
    """The sweep's Chunks, in row order, computed on the cluster; plan's done, failed and
    first_failure are kept as the local engine keeps them."""
    from gradcli.analysis.points import Grid

    size = settings.rows
    with connect(settings) as client:
        if isinstance(plan.source, Grid):
            total = plan.source.total
            axes = plan.source.axes
            tasks = ((run_partition, job, lo, min(size, total - lo), None, axes) for lo in range(0, total, size))
        else:
            tasks = _shipped(plan, job, size)
        for chunk, failed, first in ordered(client, tasks, window(client)):
            plan.failed += failed
            if plan.first_failure is None:
                plan.first_failure = first
            plan.done += len(chunk)
            yield chunk


def _shipped(plan, job: Job, size: int) -> Iterator[tuple]:
    """Partitions of points read here (a CSV or Parquet file, stdin), in order: each carries its columns."""
    start = 0
    for n, given in plan.source.chunks(size):
        yield run_partition, job, start, n, dict(zip(plan.source.names, given))
        start += n


# -- Monte Carlo -------------------------------------------------------------------------------


def draw_chunks(job: Job, seed: int, first: int, last: int, n: int):
    """On a worker: Monte Carlo chunks first..last-1 of an n-sample run (monte_carlo.Sampler.draw)."""
    sampler, lock = compiled(job)
    with lock:
        return sampler.draw(seed, first, last, n)


def monte_carlo(job: Job, settings: Settings) -> Callable[[int, int], object]:
    """engine(n, seed) for monte_carlo.Draw: the samples drawn on the cluster, a task per
    --partition-rows samples (whole chunks), gathered in chunk order."""

    def engine(n: int, seed: int):
        import numpy as np

        from gradcli.analysis.monte_carlo import CHUNK, chunks

        per = max(1, -(-settings.rows // CHUNK))
        total = chunks(n)
        with connect(settings) as client:
            tasks = ((draw_chunks, job, seed, a, min(a + per, total), n) for a in range(0, total, per))
            blocks = ordered(client, tasks, window(client))
            y, lo = None, 0
            for block in blocks:
                if y is None:
                    y = np.empty((block.shape[0], n))
                y[:, lo : lo + block.shape[1]] = block
                lo += block.shape[1]
        return y

    return engine
