"""The derivative transform: the backward pass as a program transformation.

The reverse sweep is run with graph nodes instead of floats: each op's vjp rule (core/ops.py),
given `P = Builder()`, emits new nodes for d output / d node, so a gradient is itself a
graph (PyTorch's create_graph=True, Autodidax's transpose as an interpreter).  That graph can
be evaluated (its nodes carry values at the point), differentiated again (second and higher
orders), or printed as a gradcli program (`gradcli diff`, gradcli.analysis.diff).  The builder
simplifies as it goes: constants fold, x*1, x+0 and x*0 disappear, and equal sub-expressions
are built once.  `partials` is the float reverse sweep over such a graph (one row of a
Hessian); `tangent_inputs` is forward mode's step, for the sweeps that carry tangents.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

from gradcli.core.engine import Value, apply, backward_sweep, compute, lift, local_derivatives, reaching
from gradcli.core.errors import UsageError
from gradcli.core.formula import describe, fmt
from gradcli.core.ops import CONST, Namespace, Op

MAX_NODES = 2_000_000  # a derivative graph larger than this is refused, never a hang
MAX_ORDER = 10  # derivatives of higher order are refused: beyond it, expressions swell past anything readable


def check_order(order: int) -> None:
    """UsageError for a derivative order outside 1..MAX_ORDER."""
    if not 1 <= order <= MAX_ORDER:
        raise UsageError(f"--order must be between 1 and {MAX_ORDER}, got {order}")


class Sym:
    """A node as a rule's operand: Python's operators build new nodes through the builder."""

    __slots__ = ("node", "P")

    def __init__(self, node: Value, P: Builder) -> None:
        self.node, self.P = node, P

    def __add__(self, o):
        return self.P.add(self, o)

    def __radd__(self, o):
        return self.P.add(o, self)

    def __sub__(self, o):
        return self.P.sub(self, o)

    def __rsub__(self, o):
        return self.P.sub(o, self)

    def __mul__(self, o):
        return self.P.mul(self, o)

    def __rmul__(self, o):
        return self.P.mul(o, self)

    def __truediv__(self, o):
        return self.P.div(self, o)

    def __rtruediv__(self, o):
        return self.P.div(o, self)

    def __pow__(self, o):
        return self.P.pow(self, o)

    def __rpow__(self, o):
        return self.P.pow(o, self)

    def __neg__(self):
        return self.P.neg(self)


def _const(node: Value, value: float | None = None) -> bool:
    return node.op is CONST and (value is None or node.data == value)


class Builder(Namespace):
    """`P` for graph nodes: P.cos(x) builds the node cos(x), simplified, evaluated at the point."""

    def __init__(self) -> None:
        super().__init__(lambda op: partial(self.apply, op))
        self.nodes: list[Value] = []  # every node built, in creation order
        self._memo: dict[tuple, Value] = {}  # (op, operands) -> node: each sub-expression once
        self._same: dict[int, Value] = {}  # a program node -> the earlier one computing the same
        self._consts: dict[tuple, Value] = {}

    def const(self, value: float) -> Value:
        key = (value, math.copysign(1.0, value)) if value == value else ("nan",)
        node = self._consts.get(key)
        if node is None:
            node = lift(value)
            node.label = fmt(value)
            self._consts[key] = node
        return node

    def node(self, x) -> Value:
        if isinstance(x, Sym):
            return x.node
        if isinstance(x, Value):
            return self._same.get(id(x), x)
        return self.const(float(x))

    def apply(self, op: Op, *operands) -> Sym:
        args = [self.node(x) for x in operands]
        node = _simplify(self, op, args)
        if node is None:
            if all(a.op is CONST for a in args):
                node = self.const(compute(op, args, allow_nonfinite=True))
            else:
                node = self._build(op, args)
        return Sym(node, self)

    def adopt(self, nodes: Sequence[Value]) -> None:
        """Let the program's own nodes stand for the sub-expressions they compute: a rule that
        builds sin(x) where the program has one gets the program's (diff then prints it once).
        A program that computes sin(x) twice has its second stand for the first in every node
        built (the same op on the same operands: the same bits)."""
        for node in nodes:
            if node.a is not None:
                first = self._memo.setdefault(node_key(node.op, [self.node(a) for a in node.args]), node)
                if first is not node:
                    self._same[id(node)] = first

    def _build(self, op: Op, args: list[Value]) -> Value:
        key = node_key(op, args)
        node = self._memo.get(key)
        if node is None:
            label = describe(op, [a.label if len(a.label) <= 24 else "..." for a in args])
            node = apply(op, *args, label=label, allow_nonfinite=True)
            self._memo[key] = node
            self.nodes.append(node)
            if len(self.nodes) > MAX_NODES:
                raise UsageError(
                    f"the derivative grows past {MAX_NODES:,} nodes (expression swell)",
                    hint="ask for a lower order, or differentiate a smaller part of the program with --of",
                )
        return node


def node_key(op: Op, args: Sequence[Value]) -> tuple:
    """What identifies a node: its op and operands (in either order for a commutative op)."""
    ids = [id(a) for a in args]
    return (op.name, *(sorted(ids) if op.commutative else ids))


def _simplify(P: Builder, op: Op, args: list[Value]) -> Value | None:
    """The op table's algebraic identities (x+0, x*1, x*0, x/1, 0/x, --x, x**1, x**0, where(c, a, a)):
    an equal node without building one, or None."""
    return op.simplify(P, *args) if op.simplify is not None else None


# -- the reverse sweep, emitting nodes -------------------------------------------------------


def gradient(nodes: Sequence[Value], output: Value, wrt: Sequence[Value], P: Builder) -> list[Value]:
    """d output / d w for each w in wrt, as nodes built by P (a constant 0 where no path joins them).

    `nodes` holds output's graph in creation order.  The rules are the op table's vjp rules,
    the same ones the float sweep runs; here their operands are nodes."""
    P.adopt(nodes)
    same = P.node  # a program's repeated sub-expression: its first node
    adjoint: dict[int, Value] = {id(output): P.const(1.0)}
    for node in reversed(reaching(nodes, output)):
        g = adjoint.get(id(node))
        if g is None or node.a is None or _const(g, 0.0):
            continue
        args = node.args
        contributions = node.op.vjp(Sym(g, P), Sym(same(node), P), *[Sym(same(a), P) for a in args], P)
        pairs = list(zip(args, contributions))
        if len(pairs) == 2:  # as the float sweep adds them: the second operand's first (a+a, atan2(a, a) round alike)
            pairs.reverse()
        for a, d in pairs:
            d = P.node(d)
            if a.op is CONST or _const(d, 0.0):
                continue
            before = adjoint.get(id(a))
            adjoint[id(a)] = d if before is None else P.add(before, d).node
    return [adjoint.get(id(w), P.const(0.0)) for w in wrt]


def partials(nodes: Sequence[Value], node: Value, wrt: Sequence[Value]) -> list[float | None]:
    """d node / d x for each x in wrt, by one float reverse sweep over the nodes node depends on
    (None where no path joins them: a structural zero).  Nonfinite partials are returned as they are."""
    if node.op is CONST:
        return [None] * len(wrt)
    order = reaching(nodes, node)
    for n in order:
        n.grad = 0.0
    node.grad = 1.0
    backward_sweep(order, allow_nonfinite=True)
    marked = {id(n) for n in order}
    return [x.grad if id(x) in marked else None for x in wrt]


def tangent_inputs(node: Value) -> list[tuple[Value, float]]:
    """Forward mode's step into `node`: the operands a tangent flows in from, each with the local
    partial it flows through, d node / d operand, where that is not 0 (NaN is not 0: an
    undefined partial carries the tangent on).  A leaf has none."""
    if node.a is None:
        return []
    return [(a, d) for a, d in zip(node.args, local_derivatives(node)) if d != 0.0]
