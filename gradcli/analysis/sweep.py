"""`gradcli sweep`: a program evaluated at many points (ranges, grids, a CSV of points),
streamed in chunks through the array interpreter (gradcli.batch), written as csv, jsonl or json.

Points come from swept bindings (`x=0:1:11`, `x=1,2,5`; several make a grid, the first
varying slowest) or from a CSV file whose header names inputs.  Either way they are produced
a chunk at a time, so 10^7 points never need 10^7 rows in memory.  No typer or rich here.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np
import orjson

from gradcli.analysis.batch import ArrayGraph, Batch, RowExplainer
from gradcli.build.bindings import parse_binding
from gradcli.build.graph import Graph
from gradcli.build.names import is_constant
from gradcli.build.standard import build, check_names
from gradcli.core.errors import BindingError, GradcliError, UsageError
from gradcli.core.ops import CONST
from gradcli.lang.program import Program

CHUNK = 65_536  # points per array pass: big enough that numpy's per-call cost vanishes
MAX_POINTS = 2**53  # a grid larger than this is surely a typo (and row numbers stay exact)
_COUNT = re.compile(r"[0-9]+\Z")
_GRADIENT_COLUMN = re.compile(r"d.+/d.+\Z")  # `dL/dx`: a column sweep writes, ignored in --points

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
            x = self.start * (1.0 - t) + self.stop * t
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
    return ":" in raw or len(_top_level_split(raw)) > 1


def _top_level_split(raw: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(raw):
        depth += (ch in "([") - (ch in ")]")
        if ch == "," and depth == 0:
            parts.append(raw[start:i])
            start = i + 1
    parts.append(raw[start:])
    return parts


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
        parts = [p.strip() for p in _top_level_split(raw)]
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
    if not _COUNT.match(part):
        raise BindingError(
            f"bad sweep {text!r}: N, the number of points, must be a whole number >= 2, got {part!r}",
            hint="x=START:STOP:N gives N evenly spaced points, both ends included, e.g. x=0:1:11",
        )
    n = int(part)
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
            raise UsageError(f"the sweep has {self.total:.3g} points, more than gradcli will run (2^53)")

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
    a time.  Every malformed row is an error naming its line and column (exit 2)."""

    def __init__(self, stream: TextIO, where: str, allow_nonfinite: bool = False) -> None:
        self.where = where
        self.allow_nonfinite = allow_nonfinite
        self.reader = csv.reader(stream)
        self.header = self._header()
        self.names: list[str] = []  # the input columns, set by use()
        self.columns: list[int] = []
        self.total = None  # unknown until read

    def _header(self) -> list[str]:
        row = next((r for r in self._rows() if r), None)
        if row is None:
            raise UsageError(f"{self.where} is empty: expected a header of input names, then one point a row")
        header = [cell.strip() for cell in row]
        for i, name in enumerate(header):
            if not name:
                raise UsageError(f"{self.where}, line {self.reader.line_num}: column {i + 1} of the header has no name")
            if name in header[:i]:
                raise UsageError(f"{self.where}: the header names the column '{name}' twice")
        return header

    def _rows(self) -> Iterator[list[str]]:
        try:
            yield from self.reader
        except UnicodeDecodeError as exc:
            raise UsageError(f"{self.where} is not UTF-8 text (byte {exc.start})") from None
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
                raise UsageError(
                    f"{self.where}, line {self.reader.line_num}: {len(row)} fields, but the header has {width}"
                )
            rows.append(row)
            lines.append(self.reader.line_num)
            if len(rows) == size:
                yield len(rows), self._convert(rows, lines)
                rows, lines, seen = [], [], True
        if rows:
            yield len(rows), self._convert(rows, lines)
        elif not seen:
            raise UsageError(f"{self.where} has a header but no points (no rows after it)")

    def _convert(self, rows: list[list[str]], lines: list[int]) -> list[np.ndarray]:
        out = []
        for name, j in zip(self.names, self.columns):
            cells = [row[j] for row in rows]
            try:
                column = np.array(cells, dtype=float)
            except ValueError:
                column = None
            if column is None or not (self.allow_nonfinite or np.isfinite(column).all()):
                raise self._bad_cell(name, cells, lines, column)
            out.append(column)
        return out

    def _bad_cell(self, name: str, cells: list[str], lines: list[int], column) -> UsageError:
        for cell, line in zip(cells, lines):
            try:
                x = float(cell)
            except ValueError:
                return UsageError(f"{self.where}, line {line}, column '{name}': {cell.strip()!r} is not a number")
            if column is not None and not math.isfinite(x):
                return UsageError(
                    f"{self.where}, line {line}, column '{name}': {cell.strip()} is not finite",
                    hint="--allow-nonfinite carries NaN and infinity on",
                )
        return UsageError(f"{self.where}, column '{name}': a cell is not a number")  # pragma: no cover


# -- the plan: one graph, its array form, and the source of points -------------------------


@dataclass
class Failure:
    """The first row that failed: its number (1-based), its point and eval's message."""

    row: int
    point: dict[str, float]
    message: str


@dataclass
class Chunk:
    """Results for rows start+1 .. start+n: inputs (graph order), the output, the gradients."""

    start: int
    inputs: list[np.ndarray]
    value: np.ndarray
    grads: list[np.ndarray]
    failed: np.ndarray | None  # rows eval refuses: empty numbers, `status` holds the message
    status: list[str] | None  # None: every row is ok

    def __len__(self) -> int:
        return len(self.value)


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

    def __post_init__(self) -> None:
        self.explain = RowExplainer(self.graph)

    @property
    def output(self) -> str:
        return self.graph.output_name

    @property
    def total(self) -> int | None:
        return self.source.total

    def header(self) -> list[str]:
        out = self.output
        return [*self.names, out, *(f"d{out}/d{name}" for name in self.names), "status"]

    def batches(self, size: int = CHUNK) -> Iterator[tuple[list[np.ndarray], Batch]]:
        """(the inputs' columns, the array interpreter's results) a chunk at a time."""
        fixed = {name: node.data for name, node in self.graph.inputs.items()}
        for n, given in self.source.chunks(size):
            by_name = dict(zip(self.source.names, given))
            columns = [by_name[name] if name in by_name else np.full(n, fixed[name]) for name in self.names]
            yield columns, self.arrays.run(columns, n, self.allow_nonfinite)

    def chunks(self, size: int = CHUNK) -> Iterator[Chunk]:
        """Rows with eval's verdicts: a failed row's status is eval's message at that point."""
        for columns, batch in self.batches(size):
            chunk = Chunk(self.done, columns, batch.value, batch.grads, batch.failed, None)
            if batch.failed is not None:
                self._explain(chunk)
            self.done += len(chunk)
            yield chunk

    def _explain(self, chunk: Chunk) -> None:
        """eval's message for each failed row (the float interpreter at that point)."""
        status = ["ok"] * len(chunk)
        for i in np.flatnonzero(chunk.failed):
            point = [float(c[i]) for c in chunk.inputs]
            result = self.explain(point)
            if result.message is None:  # floats succeed where arrays overflowed in the last bit
                chunk.failed[i] = False
                chunk.value[i] = result.value
                for g, d in zip(chunk.grads, result.grads):
                    g[i] = d
                continue
            status[i] = result.message
            self.failed += 1
            if self.first_failure is None:
                self.first_failure = Failure(chunk.start + i + 1, dict(zip(self.names, point)), result.message)
        if chunk.failed.any():
            chunk.status = status
        else:
            chunk.failed = None


def prepare(
    program: Program,
    binding_texts: Sequence[str],
    points: CsvPoints | None = None,
    of: str | None = None,
    allow_nonfinite: bool = False,
    default_count: int | None = None,
) -> Sweep:
    """Parse the bindings, build the graph once (its structure holds at every point) and
    compile it for arrays.  Raises GradcliError for anything eval would refuse up front."""
    from gradcli.build.bindings import parse_bindings

    axes = [parse_axis(t, allow_nonfinite, default_count) for t in binding_texts if is_swept(t)]
    plain = parse_bindings([t for t in binding_texts if not is_swept(t)], allow_nonfinite)
    _no_repeats([*plain, *(a.name for a in axes)])
    if points is not None and axes:
        raise UsageError("give the points either as swept bindings (x=0:1:11) or with --points, not both")
    _no_array_axes(program, axes, plain)
    bindings = dict(plain)
    bindings.update({a.name: a.first for a in axes})
    computed = {s.target for s in program.stmts if s.target and not is_constant(program, s)}
    if points is not None:
        candidates = [c for c in points.header if c != "status" and not _GRADIENT_COLUMN.match(c)]
        for name in candidates:
            if name in plain:
                raise UsageError(f"'{name}' is both a column of {points.where} and bound on the command line")
        bindings.update({c: 1.0 for c in candidates if c not in computed and c not in bindings})
    check_names(program, bindings, allow_nonfinite)  # eval's name errors, with the user's option
    graph = build(program, bindings, of, allow_nonfinite=True)  # values do not matter, only structure
    from gradcli.build.jacobian import needs_scalar

    needs_scalar(graph)  # an array output: one element with --of y[0]
    if not allow_nonfinite:
        _constants_finite(graph, program, bindings, of)
    source = points if points is not None else Grid(axes)
    if points is not None:
        points.use(_point_columns(points, graph, computed))
    sweep = Sweep(graph, ArrayGraph(graph), source, allow_nonfinite, list(graph.inputs))
    return sweep


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
            raise BindingError(f"'{name}' is bound twice on the command line")


def _constants_finite(graph: Graph, program: Program, bindings: dict, of: str | None) -> None:
    """A program default or a constant sub-expression that is not finite fails at every point:
    report it once, as eval does (build again with eval's checks to get its message)."""
    for node in graph.nodes:
        if (node.op is CONST or node.a is None) and not math.isfinite(node.data):
            build(program, bindings, of, allow_nonfinite=False)
            break  # pragma: no cover - the build above raised


def _point_columns(points: CsvPoints, graph: Graph, computed: set[str]) -> list[str]:
    """The CSV columns that are inputs; the sweep's own output columns (the output, dL/dx,
    status) are skipped, so a sweep's CSV can be fed back; anything else is an error."""
    names = []
    for name in points.header:
        if name == "status" or _GRADIENT_COLUMN.match(name) or name == graph.output_name:
            continue
        if name in computed:
            raise UsageError(f"{points.where}: the column '{name}' is computed by the program, it is not an input")
        if name in graph.unused or name not in graph.inputs:
            inputs = ", ".join(n for n in graph.inputs if n not in graph.unused) or "none"
            raise UsageError(f"{points.where}: unknown column '{name}' (the program's inputs: {inputs})")
        names.append(name)
    return names


# -- writers: a chunk of rows at a time, each row complete ---------------------------------

_NONFINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def number_texts(column: np.ndarray, failed: np.ndarray | None, empty: str = "") -> list[str]:
    """Each value's shortest round-trip text (repr, as eval's csv), NaN/Infinity spelled as in
    eval's output, `empty` for failed rows.  repr through tolist() is the fastest exact way:
    ~3x np.savetxt's '%.17g'."""
    finite = np.isfinite(column).all()
    texts = list(map(repr if finite else _cell, column.tolist()))
    if failed is not None:
        for i in np.flatnonzero(failed).tolist():
            texts[i] = empty
    return texts


def _csv_cell(text: str) -> str:
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _cell(x: float) -> str:
    text = repr(x)
    return _NONFINITE.get(text, text)


def _number_lines(numbers: np.ndarray) -> tuple[str, np.ndarray]:
    """The rows of a 2-D float array as CSV text ("0.5,2.0\n..."), every number written as
    repr writes it (its shortest round-trip text), and the rows to write again by hand.

    orjson writes the same shortest digits as repr at ~150 ns a number against repr's
    ~1,200; only the layout differs, and only for 1e-10 <= |x| < 1e-4 ('0.00001', '1e-7'
    where repr writes '1e-05', '1e-07'), and NaN and the infinities come out as null.
    Rows holding such a number are returned for the caller to write with repr."""
    size = np.abs(numbers)
    # NaN fails every comparison, so its rows are redone too
    redo = ~(((size >= 1e-4) & (size < math.inf)) | (size < 1e-10)).all(axis=1)
    text = orjson.dumps(numbers, option=orjson.OPT_SERIALIZE_NUMPY)[2:-2]
    return text.replace(b"],[", b"\n").decode(), redo


class CsvWriter:
    def __init__(self, out: TextIO, sweep: Sweep) -> None:
        self.out = out
        self.inputs = len(sweep.names)  # columns before the output's: never blanked
        out.write(",".join(map(_csv_cell, sweep.header())) + "\n")

    def write(self, chunk: Chunk) -> None:
        numbers = np.column_stack([*chunk.inputs, chunk.value, *chunk.grads])
        text, redo = _number_lines(numbers)
        if chunk.status is None and not redo.any():
            self.out.write(text.replace("\n", ",ok\n") + ",ok\n")
            return
        lines = text.split("\n")
        if chunk.failed is not None:
            redo |= chunk.failed
        for i in np.flatnonzero(redo).tolist():
            cells = list(map(_cell, numbers[i].tolist()))
            if chunk.failed is not None and chunk.failed[i]:
                cells[self.inputs :] = [""] * (len(cells) - self.inputs)
            lines[i] = ",".join(cells)
        status = ["ok"] * len(lines) if chunk.status is None else map(_csv_cell, chunk.status)
        self.out.write("\n".join(map(",".join, zip(lines, status))) + "\n")

    def close(self, sweep: Sweep) -> None:
        pass


def _json_numbers(column: np.ndarray, failed: np.ndarray | None) -> list[str]:
    texts = list(map(repr, column.tolist()))
    if not np.isfinite(column).all():
        texts = [f'"{_NONFINITE[t]}"' if t in _NONFINITE else t for t in texts]
    if failed is not None:
        for i in np.flatnonzero(failed).tolist():
            texts[i] = "null"
    return texts


class JsonlWriter:
    """One object a row: {"point": {...}, "value": v, "gradients": {...}, "status": "ok"};
    a failed row has "value": null and "gradients": null."""

    separator = "\n"

    def __init__(self, out: TextIO, sweep: Sweep) -> None:
        self.out = out
        keys = [json.dumps(n) for n in sweep.names]
        point = ", ".join(f"{k}: %s" for k in keys)
        grads = ", ".join(f"{k}: %s" for k in keys)
        self.template = f'{{"point": {{{point}}}, "value": %s, "gradients": {{{grads}}}, "status": %s}}'
        self.failed_template = f'{{"point": {{{point}}}, "value": null, "gradients": null, "status": %s}}'
        self.first = True

    def rows(self, chunk: Chunk) -> list[str]:
        inputs = [_json_numbers(c, None) for c in chunk.inputs]
        numbers = [_json_numbers(chunk.value, None), *(_json_numbers(g, None) for g in chunk.grads)]
        template = self.template
        if chunk.status is None:
            return [template % (*p, *v, '"ok"') for p, v in zip(zip(*inputs), zip(*numbers))]
        out = []
        for i, (p, v) in enumerate(zip(zip(*inputs), zip(*numbers))):
            if chunk.failed[i]:
                out.append(self.failed_template % (*p, json.dumps(chunk.status[i])))
            else:
                out.append(template % (*p, *v, '"ok"'))
        return out

    def write(self, chunk: Chunk) -> None:
        self.out.write("\n".join(self.rows(chunk)) + "\n")

    def close(self, sweep: Sweep) -> None:
        pass


class JsonWriter(JsonlWriter):
    """One document: {"output": ..., "inputs": [...], "rows": [jsonl objects], "failed": k},
    streamed (the rows are never all in memory)."""

    def __init__(self, out: TextIO, sweep: Sweep) -> None:
        super().__init__(out, sweep)
        out.write(f'{{"output": {json.dumps(sweep.output)}, "inputs": {json.dumps(sweep.names)}, "rows": [')

    def write(self, chunk: Chunk) -> None:
        lead = "\n" if self.first else ",\n"
        self.first = False
        self.out.write(lead + ",\n".join(self.rows(chunk)))

    def close(self, sweep: Sweep) -> None:
        self.out.write(f'\n], "failed": {sweep.failed}}}\n' if not self.first else f'], "failed": {sweep.failed}}}\n')


WRITERS = {"csv": CsvWriter, "jsonl": JsonlWriter, "json": JsonWriter}


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


__all__ = ["Axis", "CsvPoints", "Grid", "Sweep", "WRITERS", "failure_summary", "parse_axis", "prepare"]
