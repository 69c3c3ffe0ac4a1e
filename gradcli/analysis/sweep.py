"""`gradcli sweep`: a program evaluated at many points, streamed in chunks through the array
interpreter (gradcli.analysis.batch).

The points come from gradcli.analysis.points (ranges, grids, a CSV of points); each chunk's
rows carry eval's verdict (a failed row gets eval's own message).  Writing them as csv, jsonl
or json is the render layer's job (gradcli.render.sweep_writers).  No typer or rich here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from gradcli.analysis.batch import ArrayGraph, Batch, RowExplainer
from gradcli.analysis.point_columns import base_name, column_bindings
from gradcli.analysis.points import Axis, CsvPoints, Grid
from gradcli.build.array_values import suffixes
from gradcli.build.bindings import bound_twice
from gradcli.build.graph import Graph
from gradcli.build.names import is_constant
from gradcli.core.errors import GradcliError, UsageError
from gradcli.core.ops import CONST
from gradcli.lang.program import Program

CHUNK = 65_536  # points per array pass: big enough that numpy's per-call cost vanishes
_GRADIENT_COLUMN = re.compile(r"d.+/d.+\Z")  # `dL/dx`: a column sweep writes, ignored in --points

# -- the plan: one graph, its array form, and the source of points -------------------------


@dataclass
class Failure:
    """The first row that failed: its number (1-based), its point and eval's message."""

    row: int
    point: dict[str, float]
    message: str


@dataclass
class Chunk:
    """Results for rows start+1 .. start+n: inputs (graph order), the output (a column per
    element of an array output), the gradients (Sweep.header's order: for each output element,
    every input)."""

    start: int
    inputs: list[np.ndarray]
    values: list[np.ndarray]
    grads: list[np.ndarray]
    failed: np.ndarray | None  # rows eval refuses: empty numbers, `status` holds the message
    status: list[str] | None  # None: every row is ok

    @property
    def value(self) -> np.ndarray:
        """A scalar output's column."""
        return self.values[0]

    def __len__(self) -> int:
        return len(self.values[0])


@dataclass
class Sweep:
    """A prepared sweep: what to run and where the points come from."""

    graph: Graph
    arrays: ArrayGraph
    source: Grid | CsvPoints
    allow_nonfinite: bool
    names: list[str] = field(default_factory=list)  # every input, in eval's gradients order
    failed: int = 0
    done: int = 0
    first_failure: Failure | None = None
    bindings: dict = field(default_factory=dict)  # what the graph was built with (a dask worker builds it again)

    def __post_init__(self) -> None:
        self.explain = RowExplainer(self.graph)

    @property
    def output(self) -> str:
        return self.graph.output_name

    @property
    def outputs(self) -> list[str]:
        """The output's columns: its name, or an array output's elements labelled as eval labels
        them (`y[0]`, `Y[1,0]`)."""
        array = self.graph.arrays.output if self.graph.arrays is not None else None
        if array is None:
            return [self.output]
        return [self.output + sfx for sfx in suffixes(array.shape)]

    @property
    def is_array(self) -> bool:
        return self.graph.arrays is not None and self.graph.arrays.output is not None

    @property
    def total(self) -> int | None:
        return self.source.total

    def gradient_columns(self) -> list[str]:
        """`dy/dx` for each input; for an array output the Jacobian row by row, as eval's JSON
        `jacobian` has it: for each element `dy[0]/dx[0]`, `dy[0]/dx[1]`, ..., then `dy[1]/...`."""
        return [f"d{out}/d{name}" for out in self.outputs for name in self.names]

    def header(self) -> list[str]:
        return [*self.names, *self.outputs, *self.gradient_columns(), "status"]

    def batches(self, size: int = CHUNK) -> Iterator[tuple[list[np.ndarray], Batch, dict[str, np.ndarray]]]:
        """(the inputs' columns, the array interpreter's results, the null rows of each input that
        has some) a chunk at a time.  A source gives a column with nulls (a Parquet file's) as a
        numpy masked array: NaN where masked, and the row fails."""
        fixed = {name: node.data for name, node in self.graph.inputs.items()}
        with self.arrays.threads():  # one pool for every chunk, closed when the chunks end (or stop)
            for n, given in self.source.chunks(size):
                nulls = {k: np.ma.getmaskarray(c) for k, c in zip(self.source.names, given) if np.ma.isMaskedArray(c)}
                by_name = {k: np.ma.filled(c, np.nan) if k in nulls else c for k, c in zip(self.source.names, given)}
                columns = [by_name[name] if name in by_name else np.full(n, fixed[name]) for name in self.names]
                yield columns, self.arrays.run(columns, n, self.allow_nonfinite), nulls

    def chunks(self, size: int = CHUNK) -> Iterator[Chunk]:
        """Rows with eval's verdicts: a failed row's status is eval's message at that point."""
        for columns, batch, nulls in self.batches(size):
            chunk = Chunk(self.done, columns, batch.values, batch.grads, batch.failed, None)
            if batch.failed is not None or nulls:
                self._explain(chunk, nulls)
            self.done += len(chunk)
            yield chunk

    def _explain(self, chunk: Chunk, nulls: dict[str, np.ndarray]) -> None:
        """eval's message for each failed row (the float interpreter at that point): a row with
        an array output fails if any element or any of its gradients does, as eval does.  A row
        with a null input fails with a message naming the column."""
        status = ["ok"] * len(chunk)
        if chunk.failed is None:
            chunk.failed = np.zeros(len(chunk), dtype=bool)
        for mask in nulls.values():
            chunk.failed |= mask
        for i in np.flatnonzero(chunk.failed):
            point = [float(c[i]) for c in chunk.inputs]
            missing = [name for name, mask in nulls.items() if mask[i]]
            result = self.explain(point) if not missing else None
            if result is None:
                status[i] = f"no value for {', '.join(missing)} (a null in the points)"
                self._failed(chunk.start + i + 1, point, status[i])
                continue
            if result.message is None:  # floats succeed where arrays overflowed in the last bit
                chunk.failed[i] = False
                for v, y in zip(chunk.values, result.values):
                    v[i] = y
                for g, d in zip(chunk.grads, result.grads):
                    g[i] = d
                continue
            status[i] = result.message
            self._failed(chunk.start + i + 1, point, result.message)
        if chunk.failed.any():
            chunk.status = status
        else:
            chunk.failed = None

    def _failed(self, row: int, point: list[float], message: str) -> None:
        self.failed += 1
        if self.first_failure is None:
            self.first_failure = Failure(row, dict(zip(self.names, point)), message)


def plot_samples(sweep: Sweep, name: str, size: int = CHUNK) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """plot's samples: the swept name's values, the output and d output / d name, as sweep's rows
    have them (eval's verdict at each point): NaN, a gap, wherever eval refuses the point, even
    if the output is finite there (`where(x > 0, sqrt(x), 0)` at x = -1: sqrt(x) is undefined)."""
    k = sweep.names.index(name)
    xs, ys, dys = [], [], []
    for chunk in sweep.chunks(size):
        refused = chunk.failed if chunk.failed is not None else np.zeros(len(chunk), bool)
        xs.append(chunk.inputs[k])
        ys.append(np.where(refused | ~np.isfinite(chunk.value), np.nan, chunk.value))
        dys.append(np.where(refused | ~np.isfinite(chunk.grads[k]), np.nan, chunk.grads[k]))
    x, y, dy = (np.concatenate(v) for v in (xs, ys, dys))
    return x, y, dy


class Points(NamedTuple):
    """Where a sweep's points come from, and the bindings its graph is built with."""

    bindings: dict  # the plain bindings, each axis's first value, 1.0 for each --points column
    axes: list[Axis]  # swept bindings (x=0:1:11, x=1,2,5): a grid, the first varying slowest
    csv: CsvPoints | None  # or a CSV of points
    computed: set[str]  # the names the program computes (never a point's column)


def file_gives_way(values: dict, plain: Sequence[str], axes: Sequence[Axis], csv: CsvPoints | None) -> dict:
    """The bindings without the --bindings file's values for names the points give: a swept name
    (x=0:1:11) or a --points column, unless a NAME=VALUE argument binds it too (then
    plan_points refuses it as bound twice, as always)."""
    given = {text.partition("=")[0].strip() for text in plain}
    columns = csv.header if csv is not None else ()
    points = {a.name for a in axes} | {c.partition("[")[0].strip() for c in columns}  # x[0], x[1]: x
    return {name: v for name, v in values.items() if name in given or name not in points}


def plan_points(program: Program, plain: dict, axes: list[Axis], csv: CsvPoints | None) -> Points:
    """The sweep's points and its build's bindings, checked: a name bound once, swept bindings or
    --points (not both), no array input swept, no --points column bound on the command line."""
    _no_repeats([*plain, *(a.name for a in axes)])
    if csv is not None and axes:
        raise UsageError("give the points either as swept bindings (x=0:1:11) or with --points, not both")
    _no_array_axes(program, axes, plain)
    bindings = dict(plain)
    bindings.update({a.name: a.first for a in axes})
    computed = {s.target for s in program.stmts if s.target and not is_constant(program, s)}
    if csv is not None:
        for i, name in enumerate(csv.header):  # twice only as `y = x*y`'s CSV has it: input y, output y
            if name in csv.header[:i] and (name not in computed or csv.header.count(name) > 2):
                raise UsageError(f"{csv.where}: the header names the column '{name}' twice")
        candidates = [c for c in csv.header if c != "status" and not _GRADIENT_COLUMN.match(c)]
        bindings.update(column_bindings(program, candidates, computed, plain, csv.where))  # x[0], x[1]: x
    return Points(bindings, axes, csv, computed)


def prepare(graph: Graph, points: Points, allow_nonfinite: bool = False) -> Sweep:
    """The sweep of a graph built once (its structure holds at every point; the session builds
    it from points.bindings), compiled for arrays."""
    source = points.csv if points.csv is not None else Grid(points.axes)
    if points.csv is not None:
        points.csv.use(_point_columns(points.csv, graph, points.computed))
    return Sweep(graph, ArrayGraph(graph), source, allow_nonfinite, list(graph.inputs), bindings=dict(points.bindings))


def nonfinite_constant(graph: Graph) -> bool:
    """A program default or a constant sub-expression is not finite: it fails at every point
    (the session builds again with eval's checks, for eval's own message)."""
    return any((node.op is CONST or node.a is None) and not math.isfinite(node.data) for node in graph.nodes)


def _no_array_axes(program: Program, axes: Sequence[Axis], plain: dict) -> None:
    """Sweeping an array input (its program default is an array literal) is not supported."""
    from gradcli.build.arrays import literal_value

    defaults = {s.target: s for s in program.stmts if s.target and is_constant(program, s)}
    for axis in axes:
        stmt = defaults.get(axis.name)
        if stmt is not None and literal_value(program, stmt) is not None:
            raise UsageError(
                f"'{axis.name}' is an array: sweeping an array input is not supported",
                hint=f"bind it to one array ({axis.name}=[...]) and sweep scalar inputs, or sweep a scalar "
                f"that the program uses in {axis.name}'s place",
            )


def _no_repeats(names: list[str]) -> None:
    for i, name in enumerate(names):
        if name in names[:i]:
            raise bound_twice(name)


def _point_columns(points: CsvPoints, graph: Graph, computed: set[str]) -> list[str]:
    """The CSV columns that are inputs; the sweep's own output columns (the output, dL/dx,
    status) are skipped, so a sweep's CSV can be fed back; anything else is an error."""
    names: list[str] = []
    output = graph.output_name
    for i, name in enumerate(points.header):
        if name in points.header[:i]:
            if name == output and name in graph.inputs and points.header.count(name) == 2:
                continue  # `y = x*y`: the input y, then the output y, as a sweep writes them
            raise UsageError(f"{points.where}: the header names the column '{name}' twice")
        if name == "status" or _GRADIENT_COLUMN.match(name):
            continue
        if base_name(name) == base_name(output) and name not in graph.inputs:
            continue
        if base_name(name) in computed and name not in graph.inputs:  # x[0] when the program computes x
            raise UsageError(f"{points.where}: the column '{name}' is computed by the program, it is not an input")
        if name in graph.unused or name not in graph.inputs:
            inputs = ", ".join(n for n in graph.inputs if n not in graph.unused) or "none"
            raise UsageError(f"{points.where}: unknown column '{name}' (the program's inputs: {inputs})")
        names.append(name)
    return names


def failure_summary(sweep: Sweep) -> GradcliError | None:
    """exit 3 with how many rows failed and the first, unless none did."""
    first = sweep.first_failure
    if not sweep.failed or first is None:
        return None
    from gradcli.core.errors import MathError
    from gradcli.core.formula import fmt

    at = ", ".join(f"{k} = {fmt(v)}" for k, v in first.point.items())
    rows = "row" if sweep.done == 1 else "rows"
    return MathError(
        f"{sweep.failed:,} of {sweep.done:,} {rows} failed; the first, row {first.row} ({at}): {first.message}",
        hint="a failed row has empty numbers and its message in `status`; --allow-nonfinite prints NaN/inf instead",
    )


__all__ = [
    "CHUNK",
    "Chunk",
    "Failure",
    "Points",
    "Sweep",
    "failure_summary",
    "file_gives_way",
    "nonfinite_constant",
    "plan_points",
    "plot_samples",
    "prepare",
]
