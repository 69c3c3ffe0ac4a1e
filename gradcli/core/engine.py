"""`Value`, the autograd node, and the backward pass as a reverse sweep.

A node holds its value (`data`), its gradient (`grad`), the op that made it and its
operands (`a`, `b`; `args` gives them as a tuple).  Nothing is recursive: the backward
pass walks the nodes in reverse topological order, so depth is limited only by memory.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from gradcli.core.errors import MathError
from gradcli.core.formula import describe, fmt, undefined_or_infinite
from gradcli.core.ops import BY_NAME, CONST, INPUT, OPS, Op, vjp_floats

_ARITH = (ArithmeticError, ValueError)  # what `math` raises: domain, overflow, zero division


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while building a big graph: a graph is a DAG
    of fresh objects with no cycles to find, and the collector's repeated scans of a growing
    heap cost up to half the time."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _finite(x: float) -> bool:
    return x - x == 0.0  # inf - inf and nan - nan are nan


class Value:
    """A scalar node of the computation graph (micrograd's API, plus the op table)."""

    # Operands in slots rather than a tuple: one object per node for the garbage collector
    # to track instead of two (~1.8x faster graph building, ~64 bytes less).  `seen` marks
    # the nodes one walk has visited.  Only where(c, a, b) has a third operand: its nodes
    # are a subclass with a slot `c` (Ternary), so every other node is a slot smaller (~5%
    # faster building with the collector on); here `c` reads None.
    __slots__ = ("data", "grad", "op", "a", "b", "label", "seen")
    c = None

    def __init__(self, data: float, _children: tuple = (), _op: str = "", label: str = "") -> None:
        if _children:
            # micrograd builds results as Value(x, (a, b), '+') plus a _backward closure; here
            # results come from the operators and the op table, which know their derivatives.
            raise TypeError("Value(data, children) is not supported: build results with operators (a + b)")
        self.data = _number(data)
        self.grad = 0.0
        self.op = INPUT
        self.a = self.b = self.seen = None
        self.label = label

    @property
    def args(self) -> tuple:
        """The operands: () for a leaf, (a,), (a, b) or (a, b, c)."""
        a = self.a
        if a is None:
            return ()
        if self.b is None:
            return (a,)
        return (a, self.b) if self.c is None else (a, self.b, self.c)

    @property
    def _prev(self) -> set:
        """micrograd's name for the operands, as a set (its draw_dot and trace read it)."""
        return set(self.args)

    @property
    def _op(self) -> str:
        """micrograd's short op string: '+', '*', 'tanh', '' for a leaf."""
        op = self.op
        return "" if op.arity == 0 else (op.symbol if op.syntax == "operator" and op.name != "id" else op.name)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"

    # micrograd's operators (+ - * / ** and their reflected forms, unary -, abs) are made from
    # the op table below the class, as are the function methods (.tanh(), .exp(), ...).

    def __pos__(self):
        return self

    def backward(self) -> None:
        """d self / d node for every node that self depends on, accumulated into `.grad`."""
        order = topological_order(self)
        self.grad = 1.0
        backward_sweep(order)


class Ternary(Value):
    """A node of where(c, a, b), the one op with a third operand."""

    __slots__ = ("c",)


def _number(x) -> float:
    """A number as a float; anything else (a string, None) is a TypeError, as in PyTorch."""
    if isinstance(x, float):
        return x
    if isinstance(x, (str, bytes)) or not hasattr(x, "__float__"):
        raise TypeError(f"unsupported operand: a Value combines with numbers, not {type(x).__name__} {x!r}")
    return float(x)


def lift(x) -> Value:
    """A Value as is; a number as a constant leaf (which is never differentiated)."""
    if isinstance(x, Value):
        return x
    return constant(x if x.__class__ is float else float(x) if x.__class__ is int else _number(x), "")


def constant(data: float, label: str) -> Value:
    """A constant leaf for a float the caller has read itself (the builder's numbers)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.op = CONST
    out.a = out.b = out.seen = None
    out.label = label
    return out


def fold(node: Value) -> None:
    """Make a computed node a constant leaf (its operands were all constants): it keeps its
    value and is never differentiated."""
    node.op, node.a, node.b = CONST, None, None
    if node.c is not None:  # where(c, a, b) of constants
        node.c = None


def apply(op: Op, *args: Value, label: str = "", allow_nonfinite: bool = False) -> Value:
    """The node `op(*args)`: its value from the op's forward rule, checked for domain errors."""
    return node(op, args, label, allow_nonfinite)


def node(op: Op, args: tuple | list, label: str, allow_nonfinite: bool) -> Value:
    """apply's positional form, for the builder's hot loop (no keyword or *args packing)."""
    n = len(args)
    out = _new(Value if n < 3 else Ternary)
    out.data = compute(op, args, label, allow_nonfinite)
    out.grad = 0.0
    out.op = op
    out.a = args[0]
    out.b = args[1] if n >= 2 else None
    if n == 3:
        out.c = args[2]
    out.label = label
    out.seen = None
    return out


def compute(op: Op, args: Sequence[Value], label: str = "", allow_nonfinite: bool = False) -> float:
    """op's forward rule on the operands' values; MathError where it is undefined or overflows
    (with allow_nonfinite: IEEE-754's inf or NaN instead)."""
    try:
        if len(args) == 2:
            data = op.forward(args[0].data, args[1].data)
        else:
            data = op.forward(*[a.data for a in args])
    except _ARITH as exc:
        return _undefined(op, args, exc, label, allow_nonfinite)
    if data - data != 0.0:
        return _nonfinite(op, args, data, label, allow_nonfinite)
    return data


def _undefined(op: Op, args: Sequence[Value], exc: Exception, label: str = "", allow: bool = False) -> float:
    """Where `math` raised: MathError, or (with allow_nonfinite, or NaN/inf operands) IEEE's result."""
    xs = tuple(a.data for a in args)
    if not allow and all(map(_finite, xs)):
        raise math_error(op, args, exc, label) from None
    return op.ieee(xs, exc)


def _nonfinite(op: Op, args: Sequence[Value], data: float, label: str = "", allow: bool = False) -> float:
    """A NaN or inf result: an overflow (from finite operands) or an undefined value (NaN from
    operands that are not NaN, such as inf * 0): MathError unless allowed."""
    if allow:
        return data
    xs = [a.data for a in args]
    if all(map(_finite, xs)):
        raise math_error(op, args, OverflowError() if data == data else ValueError(), label)
    if data != data and not any(x != x for x in xs):
        raise math_error(op, args, ValueError(), label)
    return data


def math_error(op: Op, args: Sequence[Value], exc: Exception, label: str = "") -> MathError:
    """MathError naming the node, its formula and its operand values: "log(a) is undefined at a = 0"."""
    names, at = _operands(args)
    text = label or describe(op, names)
    where = f" at {at}" if at else ""
    reason = op.failure(tuple(a.data for a in args), exc) if op.failure else None
    if reason:  # the op table's own words: "division by zero", "zero to a negative power"
        msg = f"{reason} in {text}" + (f" ({at})" if at else "")
    elif isinstance(exc, OverflowError):
        msg = f"{text} overflows{where}"
    else:
        msg = f"{text} is undefined{where}"
    hint = None
    if op.domain and "undefined" in msg:
        hint = f"{op.name} is defined for {op.domain}"
        if len(args) == 1 and names[0] != "x":  # x is the domain's placeholder: say what it stands for here
            hint = f"{op.name}(x) is defined for {op.domain}; here x is {names[0]} = {fmt(args[0].data)}"
    return MathError(msg, hint=hint)


def _operands(args: Sequence[Value]) -> tuple[list[str], str]:
    """The operands' names (their labels, or x, x1, x2) and "a = 0, b = 2" for the ones worth
    naming: not the literal numbers, whose value the formula already shows."""
    names = [a.label or ("x" if len(args) == 1 else f"x{i + 1}") for i, a in enumerate(args)]
    at = ", ".join(dict.fromkeys(f"{n} = {fmt(a.data)}" for n, a in zip(names, args) if not _is_literal(a)))
    return names, at


def _is_literal(node: Value) -> bool:
    """A number written in the program (`2`, `-1`, `(-8)`), whose value its label already shows."""
    while node.op.name in ("neg", "id"):
        node = node.args[0]
    return node.op is CONST and node.label not in ("pi", "tau")


def positions(nodes: Sequence[Value]) -> dict[int, int]:
    """id() of each node -> its position in `nodes` (a node is not hashable by value: its id)."""
    return {id(node): i for i, node in enumerate(nodes)}


# -- the backward pass ------------------------------------------------------------------


_DONE = object()  # on the stack below a node: all its operands are in the order


def topological_order(root: Value) -> list[Value]:
    """Every node root depends on, operands before results (iterative depth-first post-order).

    Constants are left out (they receive no gradient).  A fresh token marks the visited
    nodes (`node.seen is token`), and nothing is allocated per node, so neither a set of
    ids nor the garbage collector gets in the way: ~4x faster than the textbook version."""
    order: list[Value] = []
    token = object()
    stack: list = [root]
    push, pop, emit = stack.append, stack.pop, order.append
    while stack:
        node = pop()
        if node is _DONE:
            emit(pop())
            continue
        if node.seen is token:
            continue
        node.seen = token
        a = node.a
        if a is None:
            emit(node)  # a leaf is done at once
            continue
        push(node)
        push(_DONE)
        if a.seen is not token and a.op is not CONST:
            push(a)
        b = node.b
        if b is not None:
            if b.seen is not token and b.op is not CONST:
                push(b)
            c = node.c  # where(c, a, b): the only op with a third operand
            if c is not None and c.seen is not token and c.op is not CONST:
                push(c)
    return order


def reaching(nodes: Sequence[Value], *outputs: Value) -> list[Value]:
    """The nodes the outputs depend on, in their creation order (one reverse pass, no recursion).

    Only these are swept: a node the output does not depend on gets no gradient, even
    where its local derivative would be infinite (sqrt at 0 in an unused branch)."""
    token = object()
    for output in outputs:
        output.seen = token
    for node in reversed(nodes):
        if node.seen is token and node.a is not None:
            node.a.seen = token
            if node.b is not None:
                node.b.seen = token
                if node.c is not None:
                    node.c.seen = token
    return [node for node in nodes if node.seen is token]


def local_derivatives(node: Value) -> tuple:
    """The op table's local partials of `node`, d node / d operand; inf or nan where the rule
    overflows or is undefined."""
    return vjp_floats(node.op, 1.0, node.data, tuple(a.data for a in node.args))


Trace = Callable[[Value, int, float, float], None]  # (node, operand position, upstream, contribution)


def backward_sweep(order: Sequence[Value], allow_nonfinite: bool = False, trace: Trace | None = None) -> None:
    """Reverse sweep: each node passes its operands their contributions g * d node/d operand
    (the op table's vjp rules: the chain rule).

    `order` lists nodes operands-first; the seed's rule "use +=, not =" is the accumulation
    below, so a node used twice (b = a + a) collects both contributions.  Constants are not
    differentiated (as PyTorch's requires_grad=False): their grad stays 0.  A zero upstream
    gradient still flows, so 0 * inf is NaN here as in PyTorch and JAX, never a silent 0.
    `trace(node, k, upstream, contribution)` is called for every edge (operand k of node) when given (explain,
    and the report of where a gradient stopped being finite); without it the loop is lean.
    """
    if trace is not None:
        return _traced_sweep(order, trace)
    for node in reversed(order):
        x = node.a
        if x is None:
            continue
        g = node.grad
        y = node.b
        try:
            if y is None:  # op.floats: the op's rule compiled for floats (gradcli.core._float_rules)
                (dx,) = node.op.floats(g, node.data, x.data)
            else:
                dx, dy = node.op.floats(g, node.data, x.data, y.data)
                if y.op is not CONST:
                    y.grad += dy
        except _ARITH:  # e.g. g / x at x = 0: the rule again, with IEEE-754 results
            _sweep_edges(node, g, None)
            continue
        except TypeError:
            # where(c, a, b), the one op with a third operand, is called here with two and
            # lands here (rarely, so the loop need not test every node for a third operand)
            if node.c is None:
                raise
            _sweep_edges(node, g, None)
            continue
        if x.op is not CONST:
            x.grad += dx
    if not allow_nonfinite:
        for node in order:
            if node.grad - node.grad != 0.0:
                raise _gradient_error(order, node)


def _sweep_edges(node: Value, g: float, trace: Trace | None) -> None:
    """One node's contributions to its operands (the general case of the sweep)."""
    args = node.args
    for k, d in enumerate(vjp_floats(node.op, g, node.data, tuple(a.data for a in args))):
        a = args[k]
        if a.op is not CONST:
            a.grad += d
            if trace is not None:
                trace(node, k, g, d)


def _traced_sweep(order: Sequence[Value], trace: Trace) -> None:
    for node in reversed(order):
        if node.a is not None:
            _sweep_edges(node, node.grad, trace)


def _gradient_error(order: Sequence[Value], bad: Value) -> MathError:
    """Name the edge where the gradient stopped being finite: the first edge of the sweep whose
    upstream gradient is finite and whose contribution is not (replayed with a trace)."""
    for node in order:
        node.grad = 0.0
    order[-1].grad = 1.0
    found: list = []

    def edge(node: Value, k: int, g: float, d: float) -> None:
        if not found and _finite(g) and not _finite(d):
            found.append((node, node.args[k], d))

    _traced_sweep(order, edge)
    if not found:
        return MathError(f"the gradient of {bad.label or 'a node'} is not finite", node=bad)
    node, a, d = found[0]
    names, at = _operands(node.args)
    formula = describe(node.op, names)
    text = formula if not node.label or node.label == formula else f"{node.label} = {formula}"
    what = undefined_or_infinite(d)
    return MathError(
        f"the derivative of {text} with respect to {a.label or 'its operand'} is {what}" + (f" at {at}" if at else ""),
        hint="the gradient would be NaN or infinite; --allow-nonfinite shows it anyway",
        node=node,
    )


def forward(nodes: Sequence[Value], allow_nonfinite: bool = False) -> None:
    """Recompute every computed node's value from its operands, in creation order."""
    for node in nodes:
        if node.a is not None:
            node.data = compute(node.op, node.args, node.label, allow_nonfinite)


_new = object.__new__


def _binary_method(op: Op, reflected: bool = False):
    """Value.__add__ and friends: op(self, other), or op(other, self) for __radd__."""
    forward = op.forward

    def method(self: Value, other) -> Value:
        if other.__class__ is not Value:
            other = lift(other)  # a number: a constant leaf, as micrograd's Value(other)
        if reflected:
            x, y = other, self
        else:
            x, y = self, other
        try:
            data = forward(x.data, y.data)
        except _ARITH as exc:
            data = _undefined(op, (x, y), exc)
        if data - data != 0.0:
            data = _nonfinite(op, (x, y), data)
        out = _new(Value)
        out.data = data
        out.grad = 0.0
        out.op = op
        out.a = x
        out.b = y
        out.label = ""
        out.seen = None
        return out

    method.__doc__ = f"{op.name}({'other, self' if reflected else 'self, other'})"
    return method


def _unary_method(op: Op):
    """Value.__neg__, .tanh(), .exp(), ...: op(self)."""
    forward = op.forward

    def method(self: Value) -> Value:
        try:
            data = forward(self.data)
        except _ARITH as exc:
            data = _undefined(op, (self,), exc)
        if data - data != 0.0:
            data = _nonfinite(op, (self,), data)
        out = _new(Value)
        out.data = data
        out.grad = 0.0
        out.op = op
        out.a = self
        out.b = out.seen = None
        out.label = ""
        return out

    method.__doc__ = f"{op.name}(self)"
    return method


for _dunder, _name in [("add", "add"), ("sub", "sub"), ("mul", "mul"), ("truediv", "div"), ("pow", "pow")]:
    setattr(Value, f"__{_dunder}__", _binary_method(BY_NAME[_name]))
    setattr(Value, f"__r{_dunder}__", _binary_method(BY_NAME[_name], reflected=True))
Value.__neg__ = _unary_method(BY_NAME["neg"])
Value.__abs__ = _unary_method(BY_NAME["abs"])

# Every function of the op table is also a method: Value.tanh(), .exp(), .relu(), .max(other)...
for _op in OPS:
    if _op.syntax == "function" and _op.arity <= 2 and not hasattr(Value, _op.name):
        setattr(Value, _op.name, _unary_method(_op) if _op.arity == 1 else _binary_method(_op))
del _op, _dunder, _name
