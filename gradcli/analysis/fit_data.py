"""fit's data (DESIGN §7.2): a CSV whose columns bind the program's other inputs, a column named
like the output holding the observations and, with `--sigma COLUMN`, one holding their standard
uncertainties.  The file is read with sweep --points' reader (gradcli.analysis.points.CsvPoints:
delimiters, line-numbered errors, non-finite cells refused) and held in memory as one array a
column, since a fit runs the program over every row at each step.

Which columns mean what is decided here, against the program (every failure is exit 2): a column
must be an input of the program, the output's, or the --sigma column; a parameter is not also a
column; a name the program computes is not a column; there are at least as many rows as
parameters; every sigma is positive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from gradcli.analysis.points import CsvPoints
from gradcli.build.names import is_constant
from gradcli.core.errors import UsageError
from gradcli.lang.program import Program
from gradcli.lang.suggest import suggest

READ_CHUNK = 65_536


class Data(NamedTuple):
    """The rows of a fit: each data input's column, the observations, their sigmas (or None)."""

    inputs: dict[str, np.ndarray]
    observed: np.ndarray
    sigma: np.ndarray | None
    where: str  # the file's name as errors show it

    @property
    def rows(self) -> int:
        return len(self.observed)


class Columns(NamedTuple):
    """What the header's columns are: the data inputs, the observations' column and the sigmas'."""

    inputs: list[str]
    output: str
    sigma: str | None


def computed_names(program: Program) -> set[str]:
    """The names the program computes (never a column of inputs)."""
    return {s.target for s in program.stmts if s.target and not is_constant(program, s)}


def output_name(program: Program, of: str | None) -> str:
    """The output whose observations the data holds: --of, else the last statement's target."""
    if of is not None:
        return of
    targets = [s.target for s in program.stmts if s.target]
    if not targets:
        raise UsageError("the program has no statement to fit: write one such as y = a*exp(-k*t)")
    return targets[-1]


def plan_columns(header: Sequence[str], where: str, program: Program, output: str, params: Sequence[str],
                 sigma: str | None) -> Columns:  # fmt: skip
    """The header's columns checked against the program (the inputs are checked again on the
    graph: a column the program never reads is an unknown column)."""
    for i, name in enumerate(header):
        if name in header[:i]:
            raise UsageError(f"{where}: the header names the column '{name}' twice")
    if output not in header:
        others = ", ".join(header)
        near = suggest(output, header)  # "did you mean 'signl'?": the column is the misspelt one
        meant = f": is '{near.split(chr(39))[1]}' meant to be '{output}'?" if near else ""
        raise UsageError(
            f"{where} has no column '{output}' for the observations of the output {output}",
            hint=f"its columns are {others}; name the observations' column like the output{meant}",
        )
    if sigma is not None and sigma not in header:
        raise UsageError(f"--sigma {sigma}: {where} has no column '{sigma}'", hint=_did_you_mean(sigma, header))
    if sigma == output:
        raise UsageError(f"--sigma {sigma}: that column holds the observations of the output {output}")
    computed = computed_names(program)
    inputs = []
    for name in header:
        if name in (output, sigma):
            continue
        if name in params:
            raise UsageError(
                f"'{name}' is both a parameter ({name}=...) and a column of {where}",
                hint="a parameter is fitted, a column gives the data: drop one of the two",
            )
        if name in computed:
            raise UsageError(f"{where}: the column '{name}' is computed by the program, it is not an input")
        inputs.append(name)
    return Columns(inputs, output, sigma)


def unknown_column(name: str, where: str, inputs: Sequence[str]) -> UsageError:
    """A column that matches no input of the program."""
    known = ", ".join(inputs) or "none"
    hint = (
        _did_you_mean(name, inputs)
        or "a column of the observations' standard uncertainties is named with --sigma COLUMN"
    )
    return UsageError(f"{where}: unknown column '{name}' (the program's inputs: {known})", hint=hint)


def _did_you_mean(name: str, candidates: Sequence[str]) -> str | None:
    return suggest(name, candidates)


def read_csv(points: CsvPoints, columns: Columns) -> Data:
    """Every row of the file's chosen columns (a cell that is not a finite number: exit 2, with
    its line and column, as --points says it)."""
    names = [*columns.inputs, columns.output, *([columns.sigma] if columns.sigma else [])]
    points.use(names)
    parts = [given for _, given in points.chunks(READ_CHUNK)]
    arrays = [np.concatenate([p[j] for p in parts]) for j in range(len(names))]
    by_name = dict(zip(names, arrays))
    sigma = by_name[columns.sigma] if columns.sigma else None
    return Data({n: by_name[n] for n in columns.inputs}, by_name[columns.output], sigma, points.where)


def from_mapping(data: Mapping[str, Sequence[float]], columns: Columns) -> Data:
    """The API's data: {column: values} instead of a file (the same checks follow)."""
    arrays = {}
    for name, values in data.items():
        column = np.asarray(values, dtype=float)
        if column.ndim != 1:
            raise UsageError(f"data column '{name}' must be one-dimensional, got shape {column.shape}")
        if not np.isfinite(column).all():
            row = int(np.flatnonzero(~np.isfinite(column))[0]) + 1
            raise UsageError(f"data column '{name}', row {row}: {column[row - 1]} is not finite")
        arrays[name] = column
    lengths = {len(v) for v in arrays.values()}
    if len(lengths) > 1:
        raise UsageError(f"the data's columns have different lengths: {sorted(lengths)}")
    sigma = arrays[columns.sigma] if columns.sigma else None
    return Data({n: arrays[n] for n in columns.inputs}, arrays[columns.output], sigma, "the data")


def check_rows(data: Data, params: Sequence[str]) -> None:
    """At least as many rows as parameters; every sigma positive."""
    n, p = data.rows, len(params)
    if n < p:
        rows = "row" if n == 1 else "rows"
        raise UsageError(
            f"{data.where} has {n} data {rows} for {p} parameters ({', '.join(params)}): "
            "a fit needs at least as many rows as parameters",
            hint="more rows than parameters also give the residuals' scatter, hence the uncertainties",
        )
    if data.sigma is not None and not (data.sigma > 0).all():
        row = int(np.flatnonzero(~(data.sigma > 0))[0]) + 1
        raise UsageError(
            f"{data.where}, data row {row}: the --sigma value {data.sigma[row - 1]:g} is not positive",
            hint="each sigma is the standard uncertainty of its observation, a number > 0",
        )


__all__ = ["Columns", "Data", "check_rows", "computed_names", "from_mapping", "output_name", "plan_columns",
           "read_csv", "unknown_column"]  # fmt: skip
