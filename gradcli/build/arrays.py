"""Arrays: vectors and matrices as a front-end feature, lowered to scalar nodes (DESIGN §6.4).

An array is a shape and its elements in row-major order, each an ordinary scalar node
(`Value`).  Every array operation is lowered here, at build time, to the op table's scalar
ops, each element labelled as a reader would write it (`W[0,1]`, `h[2]`, `(W @ x)[1]`), so
the engine, check, explain, expand, hessian, sweep and uncertainty see a scalar graph and
need no second engine.  Shapes are known at build time, so a shape error is a build error
(exit 2) that names both shapes and points at the operator.

The builder calls in through the extension interface (gradcli.build.extension), as `Arrays`:
`step` for one equation on the value stack, `assign` for a statement whose value is an array,
`add_input` for an array input, `pick` for `--of y[0]`, `finish` for the Graph (its Info, whose
`backward` computes the Jacobian of an array output: gradcli.build.jacobian).  NumPy conventions
throughout: broadcasting, `@`, negative indices, slices; `softmax` along the last axis and
`logsumexp` over all elements (as JAX's defaults).
"""

from __future__ import annotations

import math
from itertools import product as _grid

from gradcli.build.array_values import (
    ID,
    MAX_DIMS,
    Array,
    elementwise,
    error,
    flatten,
    make,
    shape_of,
    shape_text,
    suffixes,
    value_shape,
    whole,
)  # fmt: skip
from gradcli.build.extension import Extension
from gradcli.core.engine import Value
from gradcli.core.errors import BindingError, NameError_, UsageError
from gradcli.core.ops import ARRAY_FUNCTIONS, BY_NAME, CONST, FUNCTIONS, MATMUL
from gradcli.lang.elements import element_label, flat_index, split_element
from gradcli.lang.located import located
from gradcli.lang.program import CALL, INDEX, LIST, NUM, OP, SLICE

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


def step(b, values: list, eq: tuple) -> bool:
    """Run one equation (an Eq: kind, name, arg, start, end) if it involves arrays (pops its
    operands, pushes its value); False leaves a scalar equation to the builder."""
    kind, name, arg, start, end = eq
    if kind == OP or kind == CALL:
        if kind == CALL and name in ARRAY_FUNCTIONS and name not in b.program.functions:
            op = FUNCTIONS.get(name)
            if op is None or op.arity != arg:
                args = values[-arg:]
                del values[-arg:]
                from gradcli.build.array_functions import function  # sum, softmax, ...: imported when used

                values.append(function(b, name, args, start, end))
                return True
        if name == MATMUL:
            y = values.pop()
            from gradcli.build.array_functions import matmul

            values.append(matmul(b, values.pop(), y, start, end, "@"))
            return True
        args = values[-arg:] if arg else []
        if all(isinstance(a, Value) for a in args):
            return False
        op = BY_NAME.get(name) if kind == OP else FUNCTIONS.get(name)
        if op is None:  # a user function (or f'(x)) called with an array: gradcli.build.functions expands it
            return False
        del values[-arg:]
        values.append(elementwise(b, op, args, start, end))
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


# -- literals, subscripts, slices -----------------------------------------------------------


def _literal(b, items: list, start: int, end: int) -> Array:
    if not items:
        raise error(b, "an empty array: write at least one element, as in [1, 2]", start, end)
    first = shape_of(items[0])
    for k, item in enumerate(items[1:], 2):
        if shape_of(item) != first:
            raise error(
                b,
                f"ragged array: element 1 has {shape_text(first)} but element {k} has {shape_text(shape_of(item))}",
                start,
                end,
                hint="every row of a matrix needs the same number of elements",
            )
    if len(first) >= MAX_DIMS:
        raise error(b, f"arrays have at most {MAX_DIMS} dimensions (vectors and matrices)", start, end)
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
    # Last first: each bound's constant leaf is then the graph's last node, which whole drops.
    bounds = {bit: whole(b, v, "a slice bound", start, end) for bit, v in reversed(list(zip(written, given)))}
    if bounds.get(4) == 0:
        raise error(b, f"slice step 0 in {b.program.text(start, end)}: a step must not be zero", start, end)
    return _Slice(bounds.get(1), bounds.get(2), bounds.get(4), b.program.text(start, end))


def _index(b, base, subscripts: list, start: int, end: int):
    text = b.program.text(start, end)
    for sub in reversed(subscripts):  # pop in reverse: their constant leaves are last in the graph
        if sub.__class__ is not _Slice:
            whole(b, sub, "an index", start, end)
    if base.__class__ is not Array:
        raise error(b, f"cannot index a scalar: {text}", start, end, hint="only arrays have elements")
    shape = base.shape
    if len(subscripts) > len(shape):
        raise error(b, f"too many indices in {text}: {len(subscripts)} for an array of {shape_text(shape)}", start, end)
    kept, picks = [], []
    for axis, dim in enumerate(shape):
        sub = subscripts[axis] if axis < len(subscripts) else _Slice(None, None, None, ":")
        if sub.__class__ is _Slice:
            chosen = range(*slice(sub.start, sub.stop, sub.step).indices(dim))
            if not chosen:
                raise error(b, f"the slice {sub.text} selects nothing from axis {axis} (length {dim}) in {text}",
                             start, end)  # fmt: skip
            kept.append(len(chosen))
        else:
            i = int(sub.data)
            if not -dim <= i < dim:
                raise error(b, f"index {i} is out of range for axis {axis} of {text} ({shape_text(shape)})", start, end)
            chosen = (i % dim,)
        picks.append(chosen)
    strides = [math.prod(shape[a + 1 :]) for a in range(len(shape))]
    items = [base.items[sum(i * s for i, s in zip(index, strides))] for index in _grid(*picks)]
    return Array(tuple(kept), items) if kept else items[0]


# -- statements: assignment, inputs, the output -----------------------------------------------


def assign(b, stmt, value, start: int):
    """`h = <array>` (or `h += ...`): label the elements h[0], h[1], ...; elements that are not
    new in this statement (`v = x`, `r = W[0]`) get an `id` node each, as `b = a` does."""
    target = stmt.target
    if stmt.aug:
        value = elementwise(b, BY_NAME[stmt.aug], [b.env[target], value], stmt.start, stmt.end)
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
            node = make(b, ID, (node,), label, stmt.start, stmt.end)
        items.append(node)
    array = Array(value.shape, items)
    b.env[target] = array
    return array


def add_input(b, name: str, value, default_stmt) -> bool:
    """An input whose value is an array: one input leaf per element (`x[0]`, `W[1,0]`).  A binding
    must have the shape of the program's default (`default_stmt`, when both exist).  False: a scalar."""
    shape = value_shape(value, f"the value of '{name}': ")
    if default_stmt:
        default = value_shape(b.constant_value(default_stmt))
        if default != shape:
            line, _ = b.program.position(default_stmt.start)
            raise error(
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
    b.given[name] = Array(shape, leaves)
    return True


def pick(b, of: str):
    """`--of y[0]`, `--of W[1,-1]`: one element of an array as the scalar output, or None."""
    element = split_element(of)
    if element is None or element[0] not in b.env:
        return None
    name, index = element
    array = b.env[name]
    if array.__class__ is not Array:
        raise UsageError(f"--of {of}: '{name}' is a scalar, not an array", hint=f"write --of {name}")
    shape = array.shape
    if len(index) != len(shape):
        raise UsageError(f"--of {of}: '{name}' has {shape_text(shape)}: give {len(shape)} index(es)")
    for axis, (i, dim) in enumerate(zip(index, shape)):
        if not -dim <= i < dim:
            raise UsageError(f"--of {of}: index {i} is out of range for axis {axis} of '{name}' ({shape_text(shape)})")
    return array.items[flat_index(index, shape)], element_label(name, index, shape)


def array_call(program, fn: str, nargs: int, start: int, end: int) -> bool:
    """A call of an array function (sum(x), sum(W, 0), max(x), dot(x, y): lowered here), not the
    scalar built-in or a user function of that name; raises on a wrong argument count."""
    op = FUNCTIONS.get(fn)
    if fn not in ARRAY_FUNCTIONS or (op is not None and nargs == op.arity) or fn in program.functions:
        return False
    if nargs not in ARRAY_FUNCTIONS[fn]:
        counts = " or ".join(map(str, ARRAY_FUNCTIONS[fn] + ((op.arity,) if op else ())))
        raise located(NameError_, program, f"{fn} takes {counts} argument(s), got {nargs}", start, end)
    program.array_calls = True
    return True


def finish(graph, b) -> None:
    """Give a Graph built with arrays its Info.  An array output keeps its elements in
    Info.output; graph.output is then its last element, so code that wants one node has one."""
    names = {k: v for k, v in graph.names.items() if v.__class__ is Array}
    if names:
        graph.names = {k: v for k, v in graph.names.items() if v.__class__ is not Array}
    output = graph.output if graph.output.__class__ is Array else None
    if output is not None:
        graph.output = output.items[-1]
    shapes = {n: a.shape for n, a in b.given.items() if a.__class__ is Array}
    from gradcli.build.jacobian import Info

    graph.arrays = Info(shapes, names, output)


class Arrays(Extension):
    """Vectors and matrices, lowered to scalar nodes (this module's docstring)."""

    step = staticmethod(step)

    def applies(self, program, bindings: dict) -> bool:
        return uses_arrays(program, bindings)

    def claims_call(self, program, fn: str, nargs: int, start: int, end: int) -> bool:
        return array_call(program, fn, nargs, start, end)

    def constant(self, program, stmt):
        return literal_value(program, stmt)

    def add_input(self, b, name: str, value, default_stmt) -> bool:
        return add_input(b, name, value, default_stmt)

    def assign(self, b, stmt, value, start: int):
        return assign(b, stmt, value, start)

    def pick(self, b, of: str):
        return pick(b, of)

    def finish(self, graph, b, constants: dict) -> None:
        finish(graph, b)
