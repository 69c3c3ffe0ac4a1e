"""Derivatives of any order: the backward pass as a program transformation.

The reverse sweep is run with graph nodes instead of floats: each op's vjp rule (ops.py),
given `P = Builder(...)`, emits new nodes for d output / d node, so a gradient is itself a
graph (PyTorch's create_graph=True, Autodidax's transpose as an interpreter).  That graph can
be evaluated (its nodes carry values at the point), differentiated again (second and higher
orders), or printed as a gradcli program (`gradcli diff`).  The builder simplifies as it
goes: constants fold, x*1, x+0 and x*0 disappear, and equal sub-expressions are built once.

The Hessian is reverse-over-reverse: one symbolic gradient (O(graph) nodes), then one float
backward sweep per input over it, n sweeps in all rather than n^2.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from gradcli.build.builder import Graph
from gradcli.core.engine import Value, apply, backward_sweep, compute, describe, fmt, lift, reaching
from gradcli.core.errors import MathError, UsageError
from gradcli.core.ops import CONST, Namespace, Op

MAX_ORDER = 10  # beyond this, expressions swell past anything readable (and memory)
MAX_NODES = 2_000_000  # a derivative graph larger than this is refused, never a hang


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
        return x.node if isinstance(x, Sym) else (x if isinstance(x, Value) else self.const(float(x)))

    def apply(self, op: Op, *operands) -> Sym:
        args = [self.node(x) for x in operands]
        node = _simplify(self, op, args)
        if node is None:
            if all(a.op is CONST for a in args):
                node = self.const(compute(op, args, allow_nonfinite=True))
            else:
                node = self._build(op, args)
        return Sym(node, self)

    def _build(self, op: Op, args: list[Value]) -> Value:
        key = (op.name, *map(id, args))
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


def _simplify(P: Builder, op: Op, args: list[Value]) -> Value | None:
    """x+0, x-0, x*1, x*0, x/1, 0/x, --x, x**1, x**0 and where(constant, a, b), without building."""
    name = op.name
    if len(args) == 2:
        x, y = args
        if name == "add":
            if _const(x, 0.0) or _const(y, 0.0):
                return y if _const(x, 0.0) else x
            if y.op.name == "neg" or x.op.name == "neg":  # a + -b = a - b
                return P.sub(x, y.a).node if y.op.name == "neg" else P.sub(y, x.a).node
        if name == "sub":
            if _const(y, 0.0):
                return x
            if y.op.name == "neg":
                return P.add(x, y.a).node
            return P.neg(y).node if _const(x, 0.0) else None
        if name == "mul":
            if _const(x, 0.0) or _const(y, 0.0):
                return P.const(0.0)
            if _const(x, 1.0) or _const(y, 1.0):
                return y if _const(x, 1.0) else x
            if _const(x, -1.0) or _const(y, -1.0):
                return P.neg(y if _const(x, -1.0) else x).node
            if x.op.name == "neg" or y.op.name == "neg":  # -a*b = -(a*b), so that sums read a - b
                return P.neg(P.mul(x.a, y) if x.op.name == "neg" else P.mul(x, y.a)).node
        if name == "div":
            return x if _const(y, 1.0) else (P.const(0.0) if _const(x, 0.0) else None)
        if name == "pow":
            return x if _const(y, 1.0) else (P.const(1.0) if _const(y, 0.0) else None)
    elif name == "neg" and args[0].op.name == "neg":
        return args[0].a
    elif name == "where":
        c, a, b = args
        if c.op is CONST or a is b:
            return a if c.data else b
        if _const(a, 1.0) and _const(b, 0.0) and c.op.precedence == 2:
            return c  # a comparison is already 1 or 0
    return None


# -- the reverse sweep, emitting nodes -------------------------------------------------------


def gradient(nodes: Sequence[Value], output: Value, wrt: Sequence[Value], P: Builder) -> list[Value]:
    """d output / d w for each w in wrt, as nodes built by P (a constant 0 where no path joins them).

    `nodes` holds output's graph in creation order.  The rules are the op table's vjp rules,
    the same ones the float sweep runs; here their operands are nodes."""
    adjoint: dict[int, Value] = {id(output): P.const(1.0)}
    for node in reversed(reaching(nodes, output)):
        g = adjoint.get(id(node))
        if g is None or node.a is None or _const(g, 0.0):
            continue
        args = node.args
        contributions = node.op.vjp(Sym(g, P), Sym(node, P), *[Sym(a, P) for a in args], P)
        for a, d in zip(args, contributions):
            d = P.node(d)
            if a.op is CONST or _const(d, 0.0):
                continue
            before = adjoint.get(id(a))
            adjoint[id(a)] = d if before is None else P.add(before, d).node
    return [adjoint.get(id(w), P.const(0.0)) for w in wrt]


@dataclass
class Hessian:
    output: str
    value: float
    inputs: list[str]
    gradient: list[float]
    matrix: list[list[float]]
    structural: list[list[bool]]  # True where no path joins the two inputs: zero by structure
    eigenvalues: list[float] = field(default_factory=list)
    definiteness: str = ""

    def to_dict(self) -> dict:
        from gradcli.core.engine import number

        return {
            "output": self.output,
            "value": number(self.value),
            "inputs": self.inputs,
            "gradient": [number(g) for g in self.gradient],
            "hessian": [[number(h) for h in row] for row in self.matrix],
            "eigenvalues": [number(e) for e in self.eigenvalues],
            "definiteness": self.definiteness,
            "structural_zeros": self.structural,
        }


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


def hessian(graph: Graph, allow_nonfinite: bool = False) -> Hessian:
    """The gradient and the matrix of second partials of graph.output over its inputs."""
    P = Builder()
    inputs = list(graph.inputs.values())
    grads = gradient(graph.nodes, graph.output, inputs, P)
    everything = graph.nodes + P.nodes
    n = len(inputs)
    matrix = [[0.0] * n for _ in range(n)]
    reached = [[False] * n for _ in range(n)]
    for i, gi in enumerate(grads):
        for j, d in enumerate(partials(everything, gi, inputs)):
            if d is not None:
                matrix[i][j], reached[i][j] = d, True
    for i in range(n):  # exactly symmetric: the two mixed partials are equal up to rounding
        for j in range(i):
            h = 0.5 * (matrix[i][j] + matrix[j][i])
            matrix[i][j] = matrix[j][i] = h
            reached[i][j] = reached[j][i] = reached[i][j] or reached[j][i]
    values = [g.data for g in grads]
    if not allow_nonfinite:
        _check_finite(graph, values, matrix)
    graph.backward(allow_nonfinite=allow_nonfinite)  # the graph's own grads, as eval leaves them
    out = Hessian(graph.output_name, graph.output.data, list(graph.inputs), values, matrix,
                  [[not r for r in row] for row in reached])  # fmt: skip
    out.eigenvalues, out.definiteness = _definiteness(matrix)
    return out


def _check_finite(graph: Graph, gradient: list[float], matrix: list[list[float]]) -> None:
    names = list(graph.inputs)
    for i, row in enumerate(matrix):
        for j, h in enumerate(row):
            if h - h != 0.0:
                what = "undefined" if h != h else "infinite"
                raise MathError(
                    f"the second derivative d2{graph.output_name}/d{names[i]}d{names[j]} is {what} at this point",
                    hint="--allow-nonfinite shows it anyway",
                )


def _definiteness(matrix: list[list[float]]) -> tuple[list[float], str]:
    """Eigenvalues (ascending) and the verdict; eigenvalues within rounding of 0 count as 0."""
    if not matrix:
        return [], "positive semidefinite"
    if any(h - h != 0.0 for row in matrix for h in row):
        return [math.nan] * len(matrix), "indefinite"
    import numpy as np  # only hessian needs it; eigvalsh is LAPACK's symmetric solver

    eig = [float(e) for e in np.linalg.eigvalsh(np.array(matrix, dtype=float))]
    scale = max(abs(e) for e in eig)
    tiny = 64 * len(eig) * 2.0**-52 * scale
    pos = sum(e > tiny for e in eig)
    neg = sum(e < -tiny for e in eig)
    if neg and pos:
        return eig, "indefinite"
    if pos == len(eig):
        return eig, "positive definite"
    if neg == len(eig):
        return eig, "negative definite"
    return eig, "negative semidefinite" if neg else "positive semidefinite"


# -- nth derivatives as programs (gradcli diff) -------------------------------------------


def nth_derivative(graph: Graph, wrt: str, order: int = 1) -> tuple[Builder, Value]:
    """d^order output / d wrt^order as a node (with the builder holding the nodes it made)."""
    if wrt not in graph.inputs:
        from gradcli.build.builder import _suggest

        inputs = ", ".join(graph.inputs) or "none"
        raise UsageError(
            f"--wrt {wrt}: not an input of the program (inputs: {inputs})", hint=_suggest(wrt, graph.inputs)
        )
    if not 1 <= order <= MAX_ORDER:
        raise UsageError(f"--order must be between 1 and {MAX_ORDER}, got {order}")
    P = Builder()
    x = graph.inputs[wrt]
    target = graph.output
    for _ in range(order):
        (target,) = gradient(graph.nodes + P.nodes, target, [x], P)
    return P, target


def require_finite(graph: Graph, P: Builder, target: Value, name: str) -> None:
    """MathError if the derivative is not finite at the point, naming the first derivative
    statement that went non-finite from finite operands (the domain error of the derivative)."""
    if target.data - target.data == 0.0:
        return
    needed = {id(n) for n in reaching(graph.nodes + P.nodes, target)}
    for node in P.nodes:
        if id(node) in needed and node.data - node.data != 0.0 and all(a.data - a.data == 0.0 for a in node.args):
            what = "undefined" if node.data != node.data else "infinite"
            raise MathError(
                f"{name} is {what} at this point: its step {node.label} is {what}",
                hint="--allow-nonfinite prints the program anyway",
            )
    raise MathError(f"{name} is not finite at this point", hint="--allow-nonfinite prints the program anyway")


def identifier(label: str) -> str:
    """A name the language accepts for a label: an array element W[1,0] becomes W_1_0."""
    return label if label.isidentifier() else "_".join(p for p in re.split(r"[^A-Za-z0-9_]+", label) if p)


def derivative_name(output: str, wrt: str, order: int) -> str:
    """dL_da, d2L_da2, ...: a name in the language (identifier characters only)."""
    out, wrt = identifier(output) or "y", identifier(wrt)
    return f"d{out}_d{wrt}" if order == 1 else f"d{order}{out}_d{wrt}{order}"


def to_program(graph: Graph, P: Builder, target: Value, name: str) -> str:
    """The statements that compute `target`: the inputs with their values as defaults, the forward
    statements it needs, then the derivative's, simplified; the last one assigns `name`."""
    needed = reaching(graph.nodes + P.nodes, target)
    uses: dict[int, int] = {}
    for node in needed:
        for a in node.args:
            uses[id(a)] = uses.get(id(a), 0) + 1
    taken = {k for k in graph.inputs if k.isidentifier()} | set(graph.names) | {name}
    names: dict[int, str] = {}
    for k, v in graph.inputs.items():  # x[0] is written x_0, unless the program has an x_0
        s = k if k.isidentifier() else identifier(k)
        while s != k and s in taken:
            s += "_"
        taken.add(s)
        names[id(v)] = s
    text: dict[int, tuple[str, int]] = {}  # id -> (expression, precedence)
    needed_ids = {id(n) for n in needed}
    lines = [f"{names[id(v)]} = {fmt(v.data)}" for v in graph.inputs.values() if id(v) in needed_ids]
    temps = iter(f"t{i}" for i in range(1, 10**9))
    for node in needed:
        if node.op.arity == 0:
            if id(node) not in names:
                text[id(node)] = _number(node)
            continue
        expr = _expression(node, names, text)
        if node is target:
            lines.append(f"{name} = {expr[0]}")
        elif uses.get(id(node), 0) > 1 or (node.label.isidentifier() and node in graph.names.values()):
            label = node.label if node.label.isidentifier() and node.label not in names.values() else ""
            stmt = label or next(t for t in temps if t not in taken)
            taken.add(stmt)
            names[id(node)] = stmt
            lines.append(f"{stmt} = {expr[0]}")
        else:
            text[id(node)] = expr  # used once: written into its user's expression
    if target.op.arity == 0:
        lines.append(f"{name} = {_text(target, names, text)[0]}")
    return "\n".join(lines) + "\n"


def _number(node: Value) -> tuple[str, int]:
    x = node.data
    if x - x != 0.0:
        raise MathError(f"the derivative contains the non-finite constant {fmt(x)}: it cannot be written as a program")
    return fmt(x), (6 if x < 0 or (x == 0 and math.copysign(1, x) < 0) else 9)


def _text(node: Value, names: dict[int, str], text: dict[int, tuple[str, int]]) -> tuple[str, int]:
    if id(node) in names:
        return names[id(node)], 9
    return text[id(node)] if id(node) in text else _number(node)


def _expression(node: Value, names: dict[int, str], text: dict[int, tuple[str, int]]) -> tuple[str, int]:
    """The node's formula from its operands' names or inlined formulas, parenthesized by precedence."""
    op = node.op

    def arg(a: Value, need: int) -> str:
        s, p = _text(a, names, text)
        return s if p >= need else f"({s})"

    args = node.args
    if op.name == "id":
        return _text(args[0], names, text)
    if op.name == "neg":
        return f"-{arg(args[0], 7)}", 6
    if op.symbol and len(args) == 2:
        p = op.precedence
        left, right = (8, 6) if op.name == "pow" else ((p + 1, p + 1) if p <= 2 else (p, p + 1))
        space = " " if p <= 4 else ""
        return f"{arg(args[0], left)}{space}{op.symbol}{space}{arg(args[1], right)}", p
    return f"{op.name}({', '.join(arg(a, 0) for a in args)})", 9


# -- the Python API: gradcli.hessian / gradcli.derivative ----------------------------------


def graph_of(f, point: dict[str, float] | None = None, of: str | None = None) -> Graph:
    """A Graph from program text (`"y = x*x"`) or a Python function of Values (`lambda x: x*x`,
    called with one Value per name of `point`, by keyword)."""
    from gradcli.build.builder import evaluate
    from gradcli.core.engine import topological_order

    point = dict(point or {})
    if isinstance(f, str):
        return evaluate(f, point, of)
    inputs = {name: Value(value, label=name) for name, value in point.items()}
    out = f(**inputs)
    if not isinstance(out, Value):
        raise TypeError(f"the function must return a Value, not {type(out).__name__}")
    nodes = topological_order(out)
    known = {id(n) for n in nodes}
    nodes = [v for v in inputs.values() if id(v) not in known] + nodes
    graph = Graph(nodes, inputs, out, out.label or "f")
    graph.backward()
    return graph


def hessian_at(f, point: dict[str, float] | None = None, of: str | None = None) -> Hessian:
    """`gradcli.hessian`: the gradient and Hessian of f at point (program text or a function)."""
    return hessian(graph_of(f, point, of))


def derivative_at(f, wrt: str, point: dict[str, float] | None = None, order: int = 1, of: str | None = None) -> float:
    """`gradcli.derivative`: d^order f / d wrt^order at point, exactly."""
    _, target = nth_derivative(graph_of(f, point, of), wrt, order)
    return target.data
