"""Which inputs a --points file's columns give (DESIGN §6.6): a column per scalar input (`w`), and
an array input element by element, labelled as eval labels them (`x[0]`, `W[1,0]`), so a
sweep's own CSV reads back.  The columns the sweep writes for its results (the output or its
elements, `d.../d...`, `status`) are skipped, never checked: the file's points are what it gives,
and the results are computed again.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from gradcli.build.array_values import nest, shape_text, value_shape
from gradcli.core.errors import UsageError
from gradcli.lang.elements import split_element
from gradcli.lang.program import Program


def normal_label(column: str) -> str:
    """`W[0, 1]` -> `W[0,1]` (the label eval gives the element); any other name as it is."""
    element = split_element(column)
    return column if element is None else f"{element[0]}[{','.join(map(str, element[1]))}]"


def base_name(column: str) -> str:
    """The input a column gives: `x` for `x` and for `x[0]`."""
    element = split_element(column)
    return column if element is None else element[0]


def column_bindings(program: Program, columns: Sequence[str], computed: set[str], plain: dict, where: str) -> dict:
    """The bindings the sweep's build takes for these columns (the inputs' names, not the
    program's results): 1.0 for a scalar, and for an array given element by element an array
    of 1.0 of its shape (the build's stand-ins: each point's values come from the file).
    Every element of such an array must have its column: the shape is the program's default's
    (`x = [1, 2]`), else the one the columns span (x[0] .. x[2] is shape (3,))."""
    out: dict = {}
    elements: dict[str, list[tuple[str, list[int]]]] = {}
    for column in columns:
        element = split_element(column)
        name = column if element is None else element[0]
        if name in plain:
            raise UsageError(f"'{name}' is both a column of {where} and bound on the command line")
        if name in computed and columns.count(column) < 2:
            continue  # the output, or a name the program computes: prepare() decides
        # (twice, `y = x*y`'s CSV: the input y, then the output y; the first is bound)
        if element is None:
            out[name] = 1.0
        else:
            elements.setdefault(name, []).append((column, element[1]))
    for name, given in elements.items():
        if name in out:
            raise UsageError(f"{where}: '{name}' is a column, and so are elements of it ({given[0][0]})")
        shape = _shape(name, given, _default_shape(program, name), where)
        out[name] = nest([1.0] * (shape[0] * (shape[1] if len(shape) > 1 else 1)), shape)
    return out


def _default_shape(program: Program, name: str) -> tuple[int, ...] | None:
    """The shape of the program's own array literal for `name` (`W = [[1, 2], [3, 4]]`), if any."""
    from gradcli.build.arrays import literal_value
    from gradcli.build.names import is_constant

    for stmt in program.stmts:
        if stmt.target == name and is_constant(program, stmt):
            value = literal_value(program, stmt)
            return None if value is None else value_shape(value)
    return None


def _shape(name: str, given: list[tuple[str, list[int]]], default: tuple[int, ...] | None, where: str) -> tuple:
    ranks = {len(index) for _, index in given}
    if len(ranks) > 1 or ranks - {1, 2}:
        found = " and ".join(column for column, _ in given[:2])
        raise UsageError(
            f"{where}: the columns {found} give '{name}' with different numbers of indices",
            hint=f"a vector's elements are {name}[0], {name}[1], ...; a matrix's {name}[0,0], {name}[0,1], ...",
        )
    for column, index in given:
        if min(index) < 0:
            raise UsageError(f"{where}: the column {column}: elements are named by indices from 0")
    spanned = tuple(max(index[axis] for _, index in given) + 1 for axis in range(ranks.pop()))
    shape = default if default is not None else spanned
    if len(shape) != len(spanned) or any(s > n for s, n in zip(spanned, shape)):
        stray = next(column for column, index in given if len(index) != len(shape) or
                     any(i >= n for i, n in zip(index, shape)))  # fmt: skip
        raise UsageError(f"{where}: the column {stray} is not an element of {name}, of {shape_text(shape)}")
    have = {tuple(index) for _, index in given}
    missing = [f"{name}[{','.join(map(str, ix))}]" for ix in itertools.product(*map(range, shape)) if ix not in have]
    if missing:
        shown = missing if len(missing) <= 6 else [*missing[:5], f"{len(missing) - 5:,} more"]
        listed = ", ".join(shown[:-1]) + f" and {shown[-1]} are" if len(shown) > 1 else f"{shown[0]} is"
        raise UsageError(
            f"{where}: the array '{name}' ({shape_text(shape)}) needs a column for every element: {listed} missing"
        )
    return shape
