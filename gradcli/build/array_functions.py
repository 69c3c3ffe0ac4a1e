"""Functions of arrays, lowered to scalar ops: sum, mean, prod, norm, min/max, logsumexp,
softmax, dot, transpose, len, and the matrix product `@` (NumPy's conventions)."""

from __future__ import annotations

import re
from itertools import product as _grid

from gradcli.build.array_values import (
    ABS,
    ADD,
    DIV,
    EXP,
    HYPOT,
    LOG,
    MUL,
    SUB,
    Array,
    chain,
    const,
    elementwise,
    error,
    make,
    operator_span,
    paren,
    shape_of,
    shape_text,
    suffixes,
    whole,
)  # fmt: skip
from gradcli.core.engine import Value
from gradcli.core.errors import NameError_
from gradcli.core.ops import BY_NAME


def function(b, name: str, args: list, start: int, end: int):
    text = b.program.text(start, end)
    x = args[0]
    if name == "dot":
        if x.__class__ is Array and args[1].__class__ is Array:
            return matmul(b, x, args[1], start, end, "dot")
        return elementwise(b, MUL, args, start, end)
    if name == "len":
        if x.__class__ is not Array:
            hint = "len(x) is the length of an array's first axis"
            raise error(b, f"len of a scalar: {text}", start, end, hint=hint)
        return const(b, x.shape[0], text)
    if name == "transpose":
        if x.__class__ is not Array or len(x.shape) < 2:
            return x  # NumPy: a vector's transpose is itself
        m, n = x.shape
        return Array((n, m), [x.items[i * n + j] for j in range(n) for i in range(m)])
    if name in ("min", "max") and x.__class__ is not Array:  # max(a): most likely a forgotten argument
        raise error(b, f"{name} takes 2 arguments, got 1 (with one, an array to reduce; this is a scalar)",
                     start, end, cls=NameError_)  # fmt: skip
    axis = _axis(b, args[1], x, start, end) if len(args) == 2 else (-1 if name == "softmax" else None)
    shape, groups = _groups(x, axis)
    if name == "softmax":
        return _softmax(b, x, (shape, groups), text, (start, end))
    reduce, elements = _REDUCERS[name], _Items(x).items
    labels = [paren(text) + s for s in suffixes(shape)] if shape else [text]
    items = [reduce(b, [elements[k] for k in group], label, start, end) for group, label in zip(groups, labels)]
    return Array(shape, items) if shape else items[0]


def _axis(b, v, x, start: int, end: int) -> int:
    axis = whole(b, v, "an axis", start, end)
    ndim = len(shape_of(x))
    if not -ndim <= axis < ndim:
        raise error(b, f"axis {axis} is out of range for {shape_text(shape_of(x))}", start, end)
    return axis % ndim


def _groups(x, axis: int | None) -> tuple[tuple[int, ...], list[list[int]]]:
    """The result's shape and, for each of its elements, the flat positions of x it reduces."""
    if x.__class__ is not Array:
        return (), [[0]]
    shape = x.shape
    if axis is None or len(shape) == 1:
        return (), [list(range(len(x.items)))]
    m, n = shape
    axis %= 2
    if axis == 0:  # down each column
        return (n,), [[i * n + j for i in range(m)] for j in range(n)]
    return (m,), [[i * n + j for j in range(n)] for i in range(m)]


class _Items:
    """A scalar as a one-element list of items (so reductions of scalars need no special case)."""

    def __init__(self, x) -> None:
        self.items = x.items if x.__class__ is Array else [x]


def _sum(b, items, label, start, end):
    return chain(b, ADD, items, label, start, end)


def _prod(b, items, label, start, end):
    return chain(b, MUL, items, label, start, end)


def _mean(b, items, label, start, end):
    total = chain(b, ADD, items, f"{label}: sum", start, end)
    return make(b, DIV, (total, const(b, len(items), str(len(items)))), label, start, end)


def _norm(b, items, label, start, end):
    # hypot(hypot(x0, x1), x2)...: no overflow for large elements; gradient 0 at the zero vector (as PyTorch).
    if len(items) == 1:
        return make(b, ABS, (items[0],), label, start, end)
    return chain(b, HYPOT, items, label, start, end)


def _extreme(name: str):
    op = BY_NAME[name]
    return lambda b, items, label, start, end: chain(b, op, items, label, start, end)


def _logsumexp(b, items, label, start, end):
    """m + log(sum(exp(x - m))) with m = max(x): exp never overflows."""
    m = chain(b, BY_NAME["max"], items, f"{label}: max", start, end)
    terms = [make(b, EXP, (make(b, SUB, (x, m), f"{label}: x-max[{k}]", start, end),), f"{label}: exp[{k}]",
                   start, end) for k, x in enumerate(items)]  # fmt: skip
    total = chain(b, ADD, terms, f"{label}: sum", start, end)
    return make(b, ADD, (m, make(b, LOG, (total,), f"{label}: log", start, end)), label, start, end)


def _softmax(b, x, grouping: tuple, text: str, span: tuple[int, int]):
    """exp(x - max) / sum(exp(x - max)) along an axis (grouping: the result's shape and the
    element groups, from _groups): exp never overflows."""
    (shape, groups), (start, end) = grouping, span
    items = _Items(x).items
    out: list = [None] * len(items)
    full = suffixes(shape_of(x)) if x.__class__ is Array else ("",)
    base = paren(text)
    for group, gsfx in zip(groups, suffixes(shape) if shape else ("",)):
        m = chain(b, BY_NAME["max"], [items[k] for k in group], f"{text}: max{gsfx}", start, end)
        exps = [
            make(b, EXP, (make(b, SUB, (items[k], m), f"{text}: x-max{full[k]}", start, end),),
                  f"{text}: exp{full[k]}", start, end)
            for k in group
        ]  # fmt: skip
        total = chain(b, ADD, exps, f"{text}: sum{gsfx}", start, end)
        for k, e in zip(group, exps):
            out[k] = make(b, DIV, (e, total), base + full[k] if full[k] else text, start, end)
    return Array(x.shape, out) if x.__class__ is Array else out[0]


_REDUCERS = {
    "sum": _sum,
    "prod": _prod,
    "mean": _mean,
    "norm": _norm,
    "min": _extreme("min"),
    "max": _extreme("max"),
    "logsumexp": _logsumexp,
}


# -- the matrix product -----------------------------------------------------------------------

_ATOMIC = re.compile(r"[\w.]+(\[[-\d,]+\])?")


def matmul(b, x, y, start: int, end: int, symbol: str):
    """x @ y for vectors and matrices (NumPy's matmul); each element a chain of products and sums."""
    text = b.program.text(start, end)
    xs, ys = shape_of(x), shape_of(y)
    at = operator_span(b.program.source, start, end, "@") if symbol == "@" else (start, end)
    if not xs or not ys:
        side = "left" if not xs else "right"
        raise error(b, f"{symbol} needs arrays on both sides, but its {side} operand is a scalar in {text}", *at,
                     hint="use * to multiply by a scalar")  # fmt: skip
    if xs[-1] != ys[0]:
        raise error(
            b,
            f"shapes {xs} and {ys} do not match for {symbol} in {text}: the left has {xs[-1]} "
            f"{'columns' if len(xs) == 2 else 'elements'}, the right {ys[0]} {'rows' if len(ys) == 2 else 'elements'}",
            *at,
            hint="x @ y needs the last axis of x as long as the first axis of y; transpose(...) swaps a matrix's axes",
        )
    rows = [x.items] if len(xs) == 1 else [x.items[i * xs[1] : (i + 1) * xs[1]] for i in range(xs[0])]
    cols = [y.items] if len(ys) == 1 else [y.items[j :: ys[1]] for j in range(ys[1])]
    shape = xs[:-1] + ys[1:]
    labels = [paren(text) + s for s in suffixes(shape)] if shape else [text]
    # Each element's label as a product's operand, once: `W[0,1]` as is, a compound label as None.
    names = {id(v): v.label if _ATOMIC.fullmatch(v.label) else None for v in (*x.items, *y.items)}
    items = [_dot(b, (r, c), label, names, (start, end)) for (r, c), label in zip(_grid(rows, cols), labels)]
    return Array(shape, items) if shape else items[0]


def _dot(b, pair: tuple[list, list], label: str, names: dict, span: tuple[int, int]) -> Value:
    """sum_k row[k] * col[k]: products labelled `W[0,1]*x[1]` (or `label: term k`), then a chain of sums."""
    (row, col), (start, end) = pair, span
    n = len(row)
    if n == 1:
        return make(b, MUL, (row[0], col[0]), label, start, end)
    terms = []
    for k, (u, v) in enumerate(zip(row, col)):
        a, c = names[id(u)], names[id(v)]
        terms.append(make(b, MUL, (u, v), f"{a}*{c}" if a and c else f"{label}: term {k}", start, end))
    return chain(b, ADD, terms, label, start, end)
