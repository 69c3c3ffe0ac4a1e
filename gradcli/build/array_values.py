"""Arrays' values: a shape and its elements (scalar nodes) in row-major order, shapes and
broadcasting, element labels, and the node-making helpers the array code shares."""

from __future__ import annotations

import math
import re
from itertools import product as _grid

from gradcli.core.brackets import CLOSE, OPEN, levels
from gradcli.core.engine import Value, apply, fold, lift
from gradcli.core.errors import BindingError, MathError, UsageError
from gradcli.core.ops import BY_NAME, CONST
from gradcli.lang.located import located

ADD, MUL, DIV, SUB = BY_NAME["add"], BY_NAME["mul"], BY_NAME["div"], BY_NAME["sub"]
EXP, LOG, ID, HYPOT, ABS = BY_NAME["exp"], BY_NAME["log"], BY_NAME["id"], BY_NAME["hypot"], BY_NAME["abs"]
MAX_DIMS = 2


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


def nest_by_name(names: list[str], values: list, shapes: dict) -> dict:
    """{NAME: value}, an array's elements (x[0], x[1], ... named in `names`) gathered under its name
    and nested in its shape from `shapes`, in the order names first appear: the JSON layout of
    eval's gradients.  Where only some of an array's elements are there (the others --fix'ed),
    they keep their own keys ("x[1]"): a shorter list would not say which they are."""
    count: dict[str, int] = {}
    for name in names:
        base = name.split("[", 1)[0]
        if "[" in name and base in shapes:
            count[base] = count.get(base, 0) + 1
    whole = {base for base, n in count.items() if n == math.prod(shapes[base])}
    out: dict = {}
    groups: dict[str, list] = {}
    for name, v in zip(names, values):
        base = name.split("[", 1)[0]
        if base in whole and "[" in name:
            out.setdefault(base, None)
            groups.setdefault(base, []).append(v)
        else:
            out[name] = v
    for base, flat in groups.items():
        out[base] = nest(flat, tuple(shapes[base]))
    return out


def suffixes(shape: tuple[int, ...]) -> tuple[str, ...]:
    """The element suffixes of a shape in row-major order: [0], [1], ... or [0,0], [0,1], ..."""
    return tuple("[" + ",".join(map(str, index)) + "]" for index in _grid(*map(range, shape)))


def paren(text: str) -> str:
    """`text` as the base of an element label: `x` stays, `W @ x` becomes `(W @ x)`."""
    return text if re.fullmatch(r"\w+(\[[^\]]*\])?|\(.*\)", text) else f"({text})"


# -- errors, located in the program ---------------------------------------------------------


def error(b, message: str, start: int, end: int, hint: str | None = None, cls=ShapeError):
    return located(cls, b.program, message, start, end, hint)


BRACKETS = OPEN + CLOSE


def operator_span(source: str, start: int, end: int, symbol: str) -> tuple[int, int]:
    """Where a binary operator's symbol is in `source[start:end]`: the last one outside
    brackets (the first for the right-associative ** and ^), skipping `**` for `*` and unary
    minus; the whole span if there is none (a function call)."""
    found, skip = None, start
    for i, ch, depth in levels(source, start, end):
        if i < skip or depth or ch in BRACKETS or not source.startswith(symbol, i):
            continue
        if symbol == "*" and source.startswith("**", i):
            skip = i + 2
            continue
        skip = i + len(symbol)
        before = source[start:i].rstrip()
        if before and before[-1] not in "+-*/@^(,=<>":
            found = i
            if symbol in ("**", "^"):
                break
    return (found, found + len(symbol)) if found is not None else (start, end)


# -- making nodes ---------------------------------------------------------------------------


_new = object.__new__


def make(b, op, args: tuple, label: str, start: int, end: int) -> Value:
    """The node op(*args), appended to the graph (Build.apply's fast form, for elements)."""
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


def const(b, value: float, label: str) -> Value:
    node = lift(float(value))
    node.label = label
    b.nodes.append(node)
    return node


def chain(b, op, terms: list[Value], label: str, start: int, end: int) -> Value:
    """terms[0] op terms[1] op ...: partial results labelled `label (k of n)`, the last `label`."""
    acc, n = terms[0], len(terms)
    for k in range(1, n):
        acc = make(b, op, (acc, terms[k]), label if k == n - 1 else f"{label} ({k + 1} of {n})", start, end)
    return acc


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


def whole(b, v, what: str, start: int, end: int) -> int:
    """A subscript's integer: a constant (a number written in the program) with a whole value."""
    if v.__class__ is Array:
        raise error(b, f"{what} must be a whole number, not an array of {shape_text(v.shape)}", start, end)
    if v.op is not CONST:
        raise error(
            b,
            f"{what} must be a number written in the program, but '{v.label}' is computed or an input",
            start,
            end,
            hint="indices are fixed when the graph is built: write x[0], x[-1], x[1:3]",
        )
    if b.nodes and b.nodes[-1] is v:  # the subscript's own constant leaf: not part of the graph
        b.nodes.pop()
    if not math.isfinite(v.data) or v.data != int(v.data):
        raise error(b, f"{what} must be a whole number, got {v.data:g}", start, end)
    return int(v.data)


def nesting(value) -> int:
    """How deeply lists nest along their first elements (a number: 0), without recursion."""
    depth = 0
    while isinstance(value, list) and value:
        value, depth = value[0], depth + 1
    return depth


def value_shape(value, where: str = "") -> tuple[int, ...]:
    """The shape of a binding's value: a number, or nested lists of numbers (rectangular)."""
    if not isinstance(value, list):
        return ()
    if nesting(value) > MAX_DIMS:  # checked before recursing: a 10^5-deep list is an error, not a RecursionError
        raise BindingError(f"{where}arrays have at most {MAX_DIMS} dimensions")
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


def elementwise(b, op, args: list, start: int, end: int):
    """op applied element by element, with NumPy's broadcasting."""
    shapes = [shape_of(a) for a in args]
    shape = broadcast(shapes)
    text = b.program.text(start, end)
    if shape is None:
        raise mismatch(b, op, shapes, start, end, text)
    columns = [spread(a, shape) for a in args]
    base = paren(text)
    items = [make(b, op, operands, base + sfx, start, end) for operands, sfx in zip(zip(*columns), suffixes(shape))]
    return Array(shape, items)


def mismatch(b, op, shapes: list, start: int, end: int, text: str) -> ShapeError:
    listed = " and ".join(str(s) if s else "()" for s in shapes)
    where = f"{op.name}(...)"
    for symbol in (op.symbol, "^") if op.name == "pow" else (op.symbol,) if op.symbol else ():
        span = operator_span(b.program.source, start, end, symbol)
        if span != (start, end):  # written as an operator
            where, (start, end) = f"'{symbol}'", span
            break
    hint = "NumPy's rule: align the shapes on the right; each pair of dimensions must be equal or 1"
    if len(shapes) == 2 and len(shapes[0]) == 2 and shapes[0][::-1] == shapes[1]:
        hint += "; transpose(...) swaps rows and columns"
    return error(b, f"shapes {listed} do not broadcast together for {where} in {text}", start, end, hint)
