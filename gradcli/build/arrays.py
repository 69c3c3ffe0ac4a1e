"""Arrays: vectors and matrices as a front-end feature, lowered to scalar nodes (DESIGN §6.4).

An array is a shape and its elements in row-major order, each an ordinary scalar node
(`Value`).  Every array operation is lowered here, at build time, to the op table's scalar
ops, each element labelled as a reader would write it (`W[0,1]`, `h[2]`, `(W @ x)[1]`), so
the engine, check, explain, expand, hessian, sweep and uncertainty see a scalar graph and
need no second engine.  Shapes are known at build time, so a shape error is a build error
(exit 2) that names both shapes and points at the operator.

The interpreter calls in through a few hooks (its `_Build.arrays` is this module when a
program uses arrays): `step` for one equation on the value stack, `assign` for a statement
whose value is an array, `add_input` for an array input, `pick` for `--of y[0]`, `finish`
for the Graph; `backward` computes the Jacobian of an array output (one reverse sweep per
output element).  NumPy conventions throughout: broadcasting, `@`, negative indices, slices;
`softmax` along the last axis and `logsumexp` over all elements (as JAX's defaults).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from itertools import product as _grid

from gradcli.core.engine import Value, apply, backward_sweep, fold, lift, number, reaching, topological_order
from gradcli.core.errors import BindingError, MathError, NameError_, UsageError
from gradcli.core.ops import BY_NAME, CONST, FUNCTIONS, INPUT
from gradcli.lang.program import CALL, INDEX, LIST, NUM, OP, SLICE

ADD, MUL, DIV, SUB = BY_NAME["add"], BY_NAME["mul"], BY_NAME["div"], BY_NAME["sub"]
EXP, LOG, ID, HYPOT, ABS = BY_NAME["exp"], BY_NAME["log"], BY_NAME["id"], BY_NAME["hypot"], BY_NAME["abs"]
MAX_DIMS = 2

# The array functions and their numbers of arguments; min and max with one argument reduce
# (with two they are the op table's elementwise min and max).  `sum(W, 0)`: an axis.
ARITY: dict[str, tuple[int, ...]] = {
    "sum": (1, 2),
    "mean": (1, 2),
    "prod": (1, 2),
    "norm": (1,),
    "dot": (2,),
    "transpose": (1,),
    "len": (1,),
    "softmax": (1, 2),
    "logsumexp": (1, 2),
    "min": (1,),
    "max": (1,),
}


class ShapeError(UsageError):
    """Shapes that do not fit: a mismatch, a ragged literal, an index out of range (exit 2)."""

    kind = "shape"


class Array:
    """A shape and its elements (scalar nodes) in row-major order."""

    __slots__ = ("shape", "items")

    def __init__(self, shape: tuple[int, ...], items: list[Value]) -> None:
        self.shape = shape
        self.items = items

    @property
    def data(self) -> list:
        """The values, as nested lists."""
        return nest([v.data for v in self.items], self.shape)

    def __repr__(self) -> str:
        return f"Array(shape={self.shape}, data={self.data})"


def shape_of(x) -> tuple[int, ...]:
    return x.shape if x.__class__ is Array else ()


def shape_text(shape: tuple[int, ...]) -> str:
    return "a scalar" if not shape else f"shape {shape}"


def nest(flat: list, shape: tuple[int, ...]) -> list:
    """Row-major values as nested lists of the given shape."""
    if len(shape) <= 1:
        return list(flat)
    step = len(flat) // shape[0]
    return [nest(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


@lru_cache(maxsize=256)
def suffixes(shape: tuple[int, ...]) -> tuple[str, ...]:
    """The element suffixes of a shape in row-major order: [0], [1], ... or [0,0], [0,1], ..."""
    return tuple("[" + ",".join(map(str, index)) + "]" for index in _grid(*map(range, shape)))


def _paren(text: str) -> str:
    """`text` as the base of an element label: `x` stays, `W @ x` becomes `(W @ x)`."""
    return text if re.fullmatch(r"\w+(\[[^\]]*\])?|\(.*\)", text) else f"({text})"


# -- errors, located in the program ---------------------------------------------------------


def _error(b, message: str, start: int, end: int, hint: str | None = None, cls=ShapeError):
    line, column = b.program.position(start)
    return cls(message, line=line, column=column, end_column=column + max(end - start, 1), hint=hint)


def _operator_span(source: str, start: int, end: int, symbol: str) -> tuple[int, int]:
    """Where a binary operator's symbol is in `source[start:end]`: the last one outside
    brackets (the first for the right-associative ** and ^), skipping `**` for `*` and unary
    minus; the whole span if there is none (a function call)."""
    depth, found, i = 0, None, start
    while i < end:
        ch = source[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and source.startswith(symbol, i):
            if symbol == "*" and source.startswith("**", i):
                i += 2
                continue
            before = source[start:i].rstrip()
            if before and before[-1] not in "+-*/@^(,=<>":
                found = i
                if symbol in ("**", "^"):
                    break
            i += len(symbol) - 1
        i += 1
    return (found, found + len(symbol)) if found is not None else (start, end)


# -- making nodes ---------------------------------------------------------------------------


_new = object.__new__


def _make(b, op, args: tuple, label: str, start: int, end: int) -> Value:
    """The node op(*args), appended to the graph (the interpreter's _apply, for elements)."""
    if len(args) == 2:  # the common case, inlined (as engine's operators): ~2x faster
        x, y = args
        try:
            data = op.forward(x.data, y.data)
        except (ArithmeticError, ValueError):
            data = None
        if data is not None and data - data == 0.0:
            node = _new(Value)
            node.data, node.grad, node.op, node.a, node.b, node.label, node.seen = (
                data, 0.0, op, x, y, label, None
            )  # fmt: skip
            if x.op is CONST and y.op is CONST:
                fold(node)
            b.nodes.append(node)
            return node
    try:
        node = apply(op, *args, label=label, allow_nonfinite=b.allow_nonfinite)
    except MathError as exc:
        exc.line, exc.column = b.program.position(start)
        exc.end_column = exc.column + (end - start)
        raise
    if all(a.op is CONST for a in args):  # constants in, a constant out (folded, as the interpreter does)
        fold(node)
    b.nodes.append(node)
    return node


def _const(b, value: float, label: str) -> Value:
    node = lift(float(value))
    node.label = label
    b.nodes.append(node)
    return node


def _chain(b, op, terms: list[Value], label: str, start: int, end: int) -> Value:
    """terms[0] op terms[1] op ...: partial results labelled `label (k of n)`, the last `label`."""
    acc, n = terms[0], len(terms)
    for k in range(1, n):
        acc = _make(b, op, (acc, terms[k]), label if k == n - 1 else f"{label} ({k + 1} of {n})", start, end)
    return acc


# -- the interpreter's hook: one equation on the value stack ---------------------------------


def literal_value(program, stmt) -> list | None:
    """The value of a statement that is an array literal of plain numbers (`W = [[1, -2], [3, 4]]`),
    read without making nodes (a 100x100 matrix in ~5 ms); None for anything else (then the
    interpreter evaluates it, and reports a ragged literal with a caret)."""
    stack: list = []
    for kind, name, arg, _, _ in program.code[stmt.lo : stmt.hi]:
        if kind == NUM:
            stack.append(arg)
        elif kind == OP and name == "neg" and stack and stack[-1].__class__ is float:
            stack[-1] = -stack[-1]
        elif kind == LIST and 0 < arg <= len(stack):
            items = stack[len(stack) - arg :]
            del stack[len(stack) - arg :]
            stack.append(items)
        else:
            return None
    if len(stack) != 1 or stack[0].__class__ is not list:
        return None
    try:
        value_shape(stack[0])
    except BindingError:
        return None
    return stack[0]


def uses_arrays(program, bindings: dict) -> bool:
    """Whether a program needs this module: array syntax, an array binding, a call of an array
    function (`sum(x)`, one-argument `max(x)`: pass 1 marks them in program.array_calls)."""
    source = program.source
    return program.array_calls or "[" in source or "@" in source or any(v.__class__ is list for v in bindings.values())


def step(b, values: list, kind: str, name, arg: int, start: int, end: int) -> bool:
    """Run one equation if it involves arrays (pops its operands, pushes its value); False
    leaves a scalar equation to the interpreter."""
    if kind == OP or kind == CALL:
        if kind == CALL and name in ARITY and name not in b.program.functions:
            op = FUNCTIONS.get(name)
            if op is None or op.arity != arg:
                args = values[-arg:]
                del values[-arg:]
                values.append(_function(b, name, args, start, end))
                return True
        if name == "matmul":
            y = values.pop()
            values.append(_matmul(b, values.pop(), y, start, end, "@"))
            return True
        args = values[-arg:] if arg else []
        if all(isinstance(a, Value) for a in args):
            return False
        op = BY_NAME.get(name) if kind == OP else FUNCTIONS.get(name)
        if op is None:  # a user function (or f'(x)) called with an array: gradcli.functions expands it
            return False
        del values[-arg:]
        values.append(_elementwise(b, op, args, start, end))
    elif kind == LIST:
        items = values[-arg:] if arg else []
        del values[len(values) - arg :]
        values.append(_literal(b, items, start, end))
    elif kind == SLICE:
        values.append(_slice(b, values, arg, start, end))
    elif kind == INDEX:
        subscripts = values[-arg:]
        del values[-arg:]
        values.append(_index(b, values.pop(), subscripts, start, end))
    else:
        return False
    return True


def _elementwise(b, op, args: list, start: int, end: int):
    """op applied element by element, with NumPy's broadcasting."""
    shapes = [shape_of(a) for a in args]
    shape = broadcast(shapes)
    text = b.program.text(start, end)
    if shape is None:
        raise _mismatch(b, op, shapes, start, end, text)
    columns = [spread(a, shape) for a in args]
    base = _paren(text)
    items = [_make(b, op, operands, base + sfx, start, end) for operands, sfx in zip(zip(*columns), suffixes(shape))]
    return Array(shape, items)


def broadcast(shapes: list[tuple[int, ...]]) -> tuple[int, ...] | None:
    """NumPy's broadcast shape (dimensions aligned on the right, equal or 1), or None."""
    ndim = max(map(len, shapes))
    out = []
    for axis in range(ndim):
        dims = {s[axis - ndim + len(s)] for s in shapes if axis - ndim + len(s) >= 0} - {1}
        if len(dims) > 1:
            return None
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def spread(x, shape: tuple[int, ...]) -> list[Value]:
    """x's elements repeated to fill `shape` (x broadcasts to it), row-major."""
    size = math.prod(shape)
    if x.__class__ is not Array:
        return [x] * size
    if x.shape == shape:
        return x.items
    offset, own = len(shape) - len(x.shape), x.shape
    strides = [math.prod(own[a + 1 :]) for a in range(len(own))]
    return [
        x.items[sum(index[offset + a] * strides[a] for a in range(len(own)) if own[a] != 1)]
        for index in _grid(*map(range, shape))
    ]


def _mismatch(b, op, shapes: list, start: int, end: int, text: str) -> ShapeError:
    listed = " and ".join(str(s) if s else "()" for s in shapes)
    where = f"{op.name}(...)"
    for symbol in (op.symbol, "^") if op.name == "pow" else (op.symbol,) if op.symbol else ():
        span = _operator_span(b.program.source, start, end, symbol)
        if span != (start, end):  # written as an operator
            where, (start, end) = f"'{symbol}'", span
            break
    hint = "NumPy's rule: align the shapes on the right; each pair of dimensions must be equal or 1"
    if len(shapes) == 2 and len(shapes[0]) == 2 and shapes[0][::-1] == shapes[1]:
        hint += "; transpose(...) swaps rows and columns"
    return _error(b, f"shapes {listed} do not broadcast together for {where} in {text}", start, end, hint)


# -- literals, subscripts, slices -----------------------------------------------------------


def _literal(b, items: list, start: int, end: int) -> Array:
    if not items:
        raise _error(b, "an empty array: write at least one element, as in [1, 2]", start, end)
    first = shape_of(items[0])
    for k, item in enumerate(items[1:], 2):
        if shape_of(item) != first:
            raise _error(
                b,
                f"ragged array: element 1 has {shape_text(first)} but element {k} has {shape_text(shape_of(item))}",
                start,
                end,
                hint="every row of a matrix needs the same number of elements",
            )
    if len(first) >= MAX_DIMS:
        raise _error(b, f"arrays have at most {MAX_DIMS} dimensions (vectors and matrices)", start, end)
    flat = items if not first else [v for item in items for v in item.items]
    return Array((len(items), *first), flat)


class _Slice:
    __slots__ = ("start", "stop", "step", "text")

    def __init__(self, start, stop, step, text: str) -> None:
        self.start, self.stop, self.step, self.text = start, stop, step, text


def _slice(b, values: list, parts: int, start: int, end: int) -> _Slice:
    written = [bit for bit in (1, 2, 4) if parts & bit]
    given = values[len(values) - len(written) :]
    del values[len(values) - len(written) :]
    # Last first: each bound's constant leaf is then the graph's last node, which _whole drops.
    bounds = {bit: _whole(b, v, "a slice bound", start, end) for bit, v in reversed(list(zip(written, given)))}
    if bounds.get(4) == 0:
        raise _error(b, f"slice step 0 in {b.program.text(start, end)}: a step must not be zero", start, end)
    return _Slice(bounds.get(1), bounds.get(2), bounds.get(4), b.program.text(start, end))


def _whole(b, v, what: str, start: int, end: int) -> int:
    """A subscript's integer: a constant (a number written in the program) with a whole value."""
    if v.__class__ is Array:
        raise _error(b, f"{what} must be a whole number, not an array of {shape_text(v.shape)}", start, end)
    if v.op is not CONST:
        raise _error(
            b,
            f"{what} must be a number written in the program, but '{v.label}' is computed or an input",
            start,
            end,
            hint="indices are fixed when the graph is built: write x[0], x[-1], x[1:3]",
        )
    if b.nodes and b.nodes[-1] is v:  # the subscript's own constant leaf: not part of the graph
        b.nodes.pop()
    if not math.isfinite(v.data) or v.data != int(v.data):
        raise _error(b, f"{what} must be a whole number, got {v.data:g}", start, end)
    return int(v.data)


def _index(b, base, subscripts: list, start: int, end: int):
    text = b.program.text(start, end)
    for sub in reversed(subscripts):  # pop in reverse: their constant leaves are last in the graph
        if sub.__class__ is not _Slice:
            _whole(b, sub, "an index", start, end)
    if base.__class__ is not Array:
        raise _error(b, f"cannot index a scalar: {text}", start, end, hint="only arrays have elements")
    shape = base.shape
    if len(subscripts) > len(shape):
        raise _error(
            b, f"too many indices in {text}: {len(subscripts)} for an array of {shape_text(shape)}", start, end
        )
    kept, picks = [], []
    for axis, dim in enumerate(shape):
        sub = subscripts[axis] if axis < len(subscripts) else _Slice(None, None, None, ":")
        if sub.__class__ is _Slice:
            chosen = range(*slice(sub.start, sub.stop, sub.step).indices(dim))
            if not chosen:
                raise _error(b, f"the slice {sub.text} selects nothing from axis {axis} (length {dim}) in {text}",
                             start, end)  # fmt: skip
            kept.append(len(chosen))
        else:
            i = int(sub.data)
            if not -dim <= i < dim:
                raise _error(
                    b, f"index {i} is out of range for axis {axis} of {text} ({shape_text(shape)})", start, end
                )
            chosen = (i % dim,)
        picks.append(chosen)
    strides = [math.prod(shape[a + 1 :]) for a in range(len(shape))]
    items = [base.items[sum(i * s for i, s in zip(index, strides))] for index in _grid(*picks)]
    return Array(tuple(kept), items) if kept else items[0]


# -- functions of arrays: reductions, softmax, dot, transpose, len ---------------------------


def _function(b, name: str, args: list, start: int, end: int):
    text = b.program.text(start, end)
    x = args[0]
    if name == "dot":
        if x.__class__ is Array and args[1].__class__ is Array:
            return _matmul(b, x, args[1], start, end, "dot")
        return _elementwise(b, MUL, args, start, end)
    if name == "len":
        if x.__class__ is not Array:
            hint = "len(x) is the length of an array's first axis"
            raise _error(b, f"len of a scalar: {text}", start, end, hint=hint)
        return _const(b, x.shape[0], text)
    if name == "transpose":
        if x.__class__ is not Array or len(x.shape) < 2:
            return x  # NumPy: a vector's transpose is itself
        m, n = x.shape
        return Array((n, m), [x.items[i * n + j] for j in range(n) for i in range(m)])
    if name in ("min", "max") and x.__class__ is not Array:  # max(a): most likely a forgotten argument
        raise _error(b, f"{name} takes 2 arguments, got 1 (with one, an array to reduce; this is a scalar)",
                     start, end, cls=NameError_)  # fmt: skip
    axis = _axis(b, args[1], x, start, end) if len(args) == 2 else (-1 if name == "softmax" else None)
    shape, groups = _groups(x, axis)
    if name == "softmax":
        return _softmax(b, x, shape, groups, text, start, end)
    reduce, elements = _REDUCERS[name], _Items(x).items
    labels = [_paren(text) + s for s in suffixes(shape)] if shape else [text]
    items = [reduce(b, [elements[k] for k in group], label, start, end) for group, label in zip(groups, labels)]
    return Array(shape, items) if shape else items[0]


def _axis(b, v, x, start: int, end: int) -> int:
    axis = _whole(b, v, "an axis", start, end)
    ndim = len(shape_of(x))
    if not -ndim <= axis < ndim:
        raise _error(b, f"axis {axis} is out of range for {shape_text(shape_of(x))}", start, end)
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
    return _chain(b, ADD, items, label, start, end)


def _prod(b, items, label, start, end):
    return _chain(b, MUL, items, label, start, end)


def _mean(b, items, label, start, end):
    total = _chain(b, ADD, items, f"{label}: sum", start, end)
    return _make(b, DIV, (total, _const(b, len(items), str(len(items)))), label, start, end)


def _norm(b, items, label, start, end):
    # hypot(hypot(x0, x1), x2)...: no overflow for large elements; gradient 0 at the zero vector (as PyTorch).
    if len(items) == 1:
        return _make(b, ABS, (items[0],), label, start, end)
    return _chain(b, HYPOT, items, label, start, end)


def _extreme(name: str):
    op = BY_NAME[name]
    return lambda b, items, label, start, end: _chain(b, op, items, label, start, end)


def _logsumexp(b, items, label, start, end):
    """m + log(sum(exp(x - m))) with m = max(x): exp never overflows."""
    m = _chain(b, BY_NAME["max"], items, f"{label}: max", start, end)
    terms = [_make(b, EXP, (_make(b, SUB, (x, m), f"{label}: x-max[{k}]", start, end),), f"{label}: exp[{k}]",
                   start, end) for k, x in enumerate(items)]  # fmt: skip
    total = _chain(b, ADD, terms, f"{label}: sum", start, end)
    return _make(b, ADD, (m, _make(b, LOG, (total,), f"{label}: log", start, end)), label, start, end)


def _softmax(b, x, shape, groups, text: str, start: int, end: int):
    """exp(x - max) / sum(exp(x - max)) along an axis: exp never overflows."""
    items = _Items(x).items
    out: list = [None] * len(items)
    full = suffixes(shape_of(x)) if x.__class__ is Array else ("",)
    base = _paren(text)
    for group, gsfx in zip(groups, suffixes(shape) if shape else ("",)):
        m = _chain(b, BY_NAME["max"], [items[k] for k in group], f"{text}: max{gsfx}", start, end)
        exps = [
            _make(b, EXP, (_make(b, SUB, (items[k], m), f"{text}: x-max{full[k]}", start, end),),
                  f"{text}: exp{full[k]}", start, end)
            for k in group
        ]  # fmt: skip
        total = _chain(b, ADD, exps, f"{text}: sum{gsfx}", start, end)
        for k, e in zip(group, exps):
            out[k] = _make(b, DIV, (e, total), base + full[k] if full[k] else text, start, end)
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


def _matmul(b, x, y, start: int, end: int, symbol: str):
    """x @ y for vectors and matrices (NumPy's matmul); each element a chain of products and sums."""
    text = b.program.text(start, end)
    xs, ys = shape_of(x), shape_of(y)
    at = _operator_span(b.program.source, start, end, "@") if symbol == "@" else (start, end)
    if not xs or not ys:
        side = "left" if not xs else "right"
        raise _error(b, f"{symbol} needs arrays on both sides, but its {side} operand is a scalar in {text}", *at,
                     hint="use * to multiply by a scalar")  # fmt: skip
    if xs[-1] != ys[0]:
        raise _error(
            b,
            f"shapes {xs} and {ys} do not match for {symbol} in {text}: the left has {xs[-1]} "
            f"{'columns' if len(xs) == 2 else 'elements'}, the right {ys[0]} {'rows' if len(ys) == 2 else 'elements'}",
            *at,
            hint="x @ y needs the last axis of x as long as the first axis of y; transpose(...) swaps a matrix's axes",
        )
    rows = [x.items] if len(xs) == 1 else [x.items[i * xs[1] : (i + 1) * xs[1]] for i in range(xs[0])]
    cols = [y.items] if len(ys) == 1 else [y.items[j :: ys[1]] for j in range(ys[1])]
    shape = xs[:-1] + ys[1:]
    labels = [_paren(text) + s for s in suffixes(shape)] if shape else [text]
    # Each element's label as a product's operand, once: `W[0,1]` as is, a compound label as None.
    names = {id(v): v.label if _ATOMIC.fullmatch(v.label) else None for v in (*x.items, *y.items)}
    items = [_dot(b, r, c, label, names, start, end) for (r, c), label in zip(_grid(rows, cols), labels)]
    return Array(shape, items) if shape else items[0]


def _dot(b, row: list, col: list, label: str, names: dict, start: int, end: int) -> Value:
    """sum_k row[k] * col[k]: products labelled `W[0,1]*x[1]` (or `label: term k`), then a chain of sums."""
    n = len(row)
    if n == 1:
        return _make(b, MUL, (row[0], col[0]), label, start, end)
    terms = []
    for k, (u, v) in enumerate(zip(row, col)):
        a, c = names[id(u)], names[id(v)]
        terms.append(_make(b, MUL, (u, v), f"{a}*{c}" if a and c else f"{label}: term {k}", start, end))
    return _chain(b, ADD, terms, label, start, end)


# -- statements: assignment, inputs, the output -----------------------------------------------


def assign(b, stmt, value, start: int):
    """`h = <array>` (or `h += ...`): label the elements h[0], h[1], ...; elements that are not
    new in this statement (`v = x`, `r = W[0]`) get an `id` node each, as `b = a` does."""
    target = stmt.target
    if stmt.aug:
        value = _elementwise(b, BY_NAME[stmt.aug], [b.env[target], value], stmt.start, stmt.end)
    if target is None or value.__class__ is not Array:
        return value
    fresh = {id(node) for node in b.nodes[start:]}
    items = []
    for node, sfx in zip(value.items, suffixes(value.shape)):
        label = target + sfx
        if id(node) in fresh and node.op is not CONST:
            node.label = label
            fresh.discard(id(node))  # an element that appears twice gets an id node the second time
        else:
            node = _make(b, ID, (node,), label, stmt.start, stmt.end)
        items.append(node)
    array = Array(value.shape, items)
    b.env[target] = array
    return array


def value_shape(value, where: str = "") -> tuple[int, ...]:
    """The shape of a binding's value: a number, or nested lists of numbers (rectangular)."""
    if not isinstance(value, list):
        return ()
    if not value:
        raise BindingError(f"{where}an empty array: give at least one element")
    shapes = {value_shape(v, where) for v in value}
    if len(shapes) > 1:
        raise BindingError(f"{where}a ragged array: its rows have different shapes {sorted(shapes)}")
    inner = shapes.pop()
    if len(inner) >= MAX_DIMS:
        raise BindingError(f"{where}arrays have at most {MAX_DIMS} dimensions")
    return (len(value), *inner)


def flatten(value) -> list[float]:
    return [v for item in value for v in flatten(item)] if isinstance(value, list) else [value]


def add_input(b, name: str, value, default_stmt) -> bool:
    """An input whose value is an array: one input leaf per element (`x[0]`, `W[1,0]`).  A binding
    must have the shape of the program's default (`default_stmt`, when both exist).  False: a scalar."""
    shape = value_shape(value, f"the value of '{name}': ")
    if default_stmt:
        from gradcli.build.builder import _constant_value

        default = value_shape(_constant_value(b, default_stmt))
        if default != shape:
            line, _ = b.program.position(default_stmt.start)
            raise _error(
                b,
                f"'{name}' is bound to a value of {shape_text(shape)}, but the program's default (line {line}) "
                f"has {shape_text(default)}",
                default_stmt.start,
                default_stmt.end,
                hint="give a value of the program's shape, or change the program",
                cls=BindingError,
            )
    if not shape:
        return False
    leaves = [Value(v, label=name + sfx) for v, sfx in zip(flatten(value), suffixes(shape))]
    b.nodes.extend(leaves)
    b.inputs.update({leaf.label: leaf for leaf in leaves})
    b.array_inputs[name] = Array(shape, leaves)
    return True


def pick(b, of: str):
    """`--of y[0]`, `--of W[1,-1]`: one element of an array as the scalar output, or None."""
    m = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*\[([-+\d,\s]+)\]\s*", of)
    if m is None or m[1] not in b.env:
        return None
    array, name = b.env[m[1]], m[1]
    if array.__class__ is not Array:
        raise UsageError(f"--of {of}: '{name}' is a scalar, not an array", hint=f"write --of {name}")
    index = [int(t) for t in m[2].split(",")]
    shape = array.shape
    if len(index) != len(shape):
        raise UsageError(f"--of {of}: '{name}' has {shape_text(shape)}: give {len(shape)} index(es)")
    for axis, (i, dim) in enumerate(zip(index, shape)):
        if not -dim <= i < dim:
            raise UsageError(f"--of {of}: index {i} is out of range for axis {axis} of '{name}' ({shape_text(shape)})")
    index = [i % dim for i, dim in zip(index, shape)]
    flat = sum(i * math.prod(shape[a + 1 :]) for a, i in enumerate(index))
    return array.items[flat], name + "[" + ",".join(map(str, index)) + "]"


# -- the Graph: array names, the array output, its Jacobian ----------------------------------


class Info:
    """What a Graph knows of arrays (Graph.arrays): the array inputs' shapes, every array name's
    newest value, the output when it is an array, and its Jacobian once computed."""

    __slots__ = ("shapes", "names", "output", "jacobian")

    def __init__(self, shapes: dict, names: dict, output: Array | None) -> None:
        self.shapes = shapes
        self.names = names
        self.output = output
        self.jacobian: list[list[float]] | None = None


def finish(graph, b) -> None:
    """Give a Graph built with arrays its Info.  An array output keeps its elements in
    Info.output; graph.output is then its last element, so code that wants one node has one."""
    names = {k: v for k, v in graph.names.items() if v.__class__ is Array}
    if names:
        graph.names = {k: v for k, v in graph.names.items() if v.__class__ is not Array}
    output = graph.output if graph.output.__class__ is Array else None
    if output is not None:
        graph.output = output.items[-1]
    graph.arrays = Info({n: a.shape for n, a in b.array_inputs.items()}, names, output)


def backward(graph, allow_nonfinite: bool = False) -> None:
    """The Jacobian of an array output, one reverse sweep per output element (a row each);
    then every node's grad as d sum(output) / d node (PyTorch's y.backward(ones_like(y)))."""
    info = graph.arrays
    outputs = info.output.items
    inputs = list(graph.inputs.values())
    column = {id(x): j for j, x in enumerate(inputs)}
    rows = []
    for y in outputs:
        order = topological_order(y)
        for node in order:
            node.grad = 0.0
        y.grad = 1.0
        _sweep(graph, order, allow_nonfinite)
        row = [0.0] * len(inputs)
        for node in order:
            if node.op is INPUT and id(node) in column:
                row[column[id(node)]] = node.grad
        rows.append(row)
    for node in graph.nodes:
        node.grad = 0.0
    order = reaching(graph.nodes, *outputs)
    for y in outputs:
        y.grad += 1.0
    _sweep(graph, order, allow_nonfinite)
    graph._order = order
    info.jacobian = rows


def _sweep(graph, order: list[Value], allow_nonfinite: bool) -> None:
    try:
        backward_sweep(order, allow_nonfinite)
    except MathError as exc:
        graph.locate(exc)
        raise


def needs_scalar(graph) -> None:
    """Refuse an array output where a command needs one scalar (check, explain, hessian, ...)."""
    info = graph.arrays
    if info is not None and info.output is not None:
        name, shape = graph.output_name, info.output.shape
        first = f"{name}[{','.join('0' * len(shape))}]"
        raise UsageError(
            f"this command needs a scalar output, but {name} is an array of {shape_text(shape)}",
            hint=f"pick one element with --of {first}, or reduce it (sum, mean, norm); eval shows the Jacobian",
        )


# -- JSON: shaped gradients, the array output and its Jacobian ---------------------------------


def _json(x):
    """Nested lists of floats, JSON-safe (NaN and infinities as strings)."""
    if x.__class__ is not list:
        return number(x)
    if x and x[0].__class__ is list:
        return [_json(v) for v in x]
    return [v if v - v == 0.0 else number(v) for v in x]


def shaped_gradients(graph) -> dict:
    """eval's `gradients` with each array input's gradients nested in its shape."""
    shapes = graph.arrays.shapes if graph.arrays is not None else {}
    out: dict = {}
    for label, node in graph.inputs.items():
        name = label.partition("[")[0]
        if name in shapes and label != name:
            if name not in out:
                out[name] = _json(nest([graph.inputs[name + s].grad for s in suffixes(shapes[name])], shapes[name]))
        else:
            out[label] = _json(node.grad)
    return out


def json_fields(graph) -> dict:
    """The keys eval's JSON gains (or changes) for arrays: `gradients` shaped like the inputs,
    `shapes` of the array inputs; for an array output its nested `value`, `shape` and `jacobian`."""
    info = graph.arrays
    if info is None:
        return {}
    doc: dict = {}
    if info.shapes:
        doc["gradients"] = shaped_gradients(graph)
        doc["shapes"] = {name: list(shape) for name, shape in info.shapes.items()}
    if info.output is not None:
        doc["value"] = _json(info.output.data)
        doc["shape"] = list(info.output.shape)
        doc["jacobian"] = jacobian_dict(graph)
    return doc


def jacobian_dict(graph) -> dict:
    info = graph.arrays
    return {
        "outputs": [y.label for y in info.output.items],
        "inputs": list(graph.inputs),
        "matrix": _json(info.jacobian or []),
    }


def carry(info: Info, new) -> None:
    """--expand builds a new Graph: carry the array output over to it (its elements by label)."""
    output = None
    if info.output is not None:
        by_label = {node.label: node for node in new.nodes}
        items = [by_label.get(y.label) for y in info.output.items]
        if any(node is None for node in items):
            raise UsageError("--expand cannot keep the array output apart: pick one element with --of")
        output = Array(info.output.shape, items)
        new.output = items[-1]
    new.arrays = Info(info.shapes, {}, output)


# -- --bindings FILE ----------------------------------------------------------------------------


def read_bindings_file(path, allow_nonfinite: bool = False) -> dict:
    """A JSON object of bindings: numbers, nested lists of numbers, or strings read as a
    command-line binding's value (`"1.0±0.1"`, `"pi/4"`, `"[1, 2]"`)."""
    import json  # lazily, as pathlib: only --bindings needs them
    from pathlib import Path

    from gradcli.build.builder import parse_binding

    where = f"--bindings {path}"
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise BindingError(f"{where}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise BindingError(f"{where}: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise BindingError(f"{where}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(doc, dict):
        raise BindingError(f'{where}: expected a JSON object of bindings, such as {{"x": [1, 2], "a": 0.5}}')
    out = {}
    for name, value in doc.items():
        if isinstance(value, str):
            key, parsed = parse_binding(f"{name}={value}", allow_nonfinite)
        else:
            key, _ = parse_binding(f"{name}=0")  # the name's checks
            parsed = _json_value(value, f"{where}: '{name}'", allow_nonfinite)
            value_shape(parsed, f"{where}: '{name}': ")
        out[key] = parsed
    return out


def _json_value(value, where: str, allow_nonfinite: bool):
    import json

    if isinstance(value, list):
        return [_json_value(v, where, allow_nonfinite) for v in value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BindingError(f"{where}: expected a number or a list of numbers, got {json.dumps(value)[:40]}")
    try:
        x = float(value)
    except OverflowError:
        raise BindingError(f"{where}: {value} is too large for a double") from None
    if not math.isfinite(x) and not allow_nonfinite:
        raise BindingError(f"{where}: the value is not finite (use --allow-nonfinite)")
    return x
