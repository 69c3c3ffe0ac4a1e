"""`gradcli diff`: the nth derivative of a program with respect to one input, as a program.

The derivative is built by the derivative transform (gradcli.core.transform), once per order,
then printed back as gradcli statements: the inputs with their values as defaults, the
forward statements it needs, then the derivative's, each sub-expression used more than once
given a name.
"""

from __future__ import annotations

import math
import re

from gradcli.build.graph import Graph
from gradcli.core.engine import Value, reaching
from gradcli.core.errors import MathError, UsageError
from gradcli.core.formula import fmt, undefined_or_infinite
from gradcli.core.ops import CONSTANTS, FUNCTIONS
from gradcli.core.transform import MAX_ORDER, Builder, gradient
from gradcli.lang.program import VAR, Program


def nth_derivative(graph: Graph, wrt: str, order: int = 1) -> tuple[Builder, Value]:
    """d^order output / d wrt^order as a node (with the builder holding the nodes it made)."""
    _known(graph, wrt)
    if not 1 <= order <= MAX_ORDER:
        raise UsageError(f"--order must be between 1 and {MAX_ORDER}, got {order}")
    P = Builder()
    x = graph.inputs[wrt]
    target = graph.output
    for _ in range(order):
        (target,) = gradient(graph.nodes + P.nodes, target, [x], P)
    return P, target


def derivatives(graph: Graph, wrt: list[str] | None, order: int = 1) -> tuple[Builder, list[tuple[str, Value]]]:
    """The derivatives `diff` prints, named, built by one builder: d^order/d wrt^order for one
    input; for several (None: every input, in eval's `gradients` order) the gradient (order 1)
    or the Hessian's upper triangle, row-major (order 2), each entry as `gradcli hessian`
    computes it: the row's gradient differentiated, mixed partials averaged."""
    if wrt is not None and len(wrt) == 1:
        P, target = nth_derivative(graph, wrt[0], order)
        return P, [(derivative_name(graph.output_name, wrt[0], order), target)]
    if not 1 <= order <= MAX_ORDER:
        raise UsageError(f"--order must be between 1 and {MAX_ORDER}, got {order}")
    if order > 2:
        raise UsageError(
            f"--order {order} needs one input: name it with --wrt NAME "
            "(several inputs take --order 1, the gradient, or 2, the Hessian)"
        )
    names = list(graph.inputs) if wrt is None else wrt
    for name in names:
        if names.count(name) > 1:
            raise UsageError(f"--wrt names {name} twice")
        _known(graph, name)
    if not names:
        raise UsageError("the program has no inputs: there is nothing to differentiate with respect to")
    P = Builder()
    xs = [graph.inputs[n] for n in names]
    grads = gradient(graph.nodes, graph.output, xs, P)
    out = identifier(graph.output_name) or "y"
    if order == 1:
        return P, [(derivative_name(graph.output_name, n, 1), g) for n, g in zip(names, grads)]
    rows = [gradient(graph.nodes + P.nodes, g, xs, P) for g in grads]
    entries = []
    for i, a in enumerate(names):
        entries.append((derivative_name(graph.output_name, a, 2), rows[i][i]))
        for j in range(i + 1, len(names)):
            h, k = rows[i][j], rows[j][i]  # as gradcli hessian symmetrizes (0.5*(h + h) is h, short of overflow)
            mixed = h if h is k else P.mul(0.5, P.add(h, k)).node
            entries.append((f"d2{out}_d{identifier(a)}d{identifier(names[j])}", mixed))
    return P, entries


def parameters(program: Program, values: dict) -> tuple[str, ...]:
    """The names the program reads that have no value (not bound, never assigned, not a
    constant), in order of appearance: `diff` without a point keeps them as parameters."""
    assigned = {stmt.target for stmt in program.stmts if stmt.target is not None}
    found: dict[str, None] = {}
    for stmt in program.stmts:
        for eq in program.code[stmt.lo : stmt.hi]:
            name = eq.name
            if eq.kind == VAR and name not in values and name not in assigned and not _builtin(program, name):
                found.setdefault(name)
    return tuple(found)


def _builtin(program: Program, name: str) -> bool:
    return name in CONSTANTS or name in FUNCTIONS or name in program.functions


def _known(graph: Graph, wrt: str) -> None:
    if wrt not in graph.inputs:
        from gradcli.lang.suggest import suggest as _suggest

        inputs = ", ".join(graph.inputs) or "none"
        raise UsageError(
            f"--wrt {wrt}: not an input of the program (inputs: {inputs})", hint=_suggest(wrt, graph.inputs)
        )


def require_finite(graph: Graph, P: Builder, target: Value, name: str) -> None:
    """MathError if the derivative is not finite at the point, naming the first derivative
    statement that went non-finite from finite operands (the domain error of the derivative)."""
    if math.isfinite(target.data):
        return
    needed = {id(n) for n in reaching(graph.nodes + P.nodes, target)}
    for node in P.nodes:
        if id(node) in needed and not math.isfinite(node.data) and all(math.isfinite(a.data) for a in node.args):
            what = undefined_or_infinite(node.data)
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
    return program_of(graph, P, [(name, target)])


def program_of(graph: Graph, P: Builder, derivatives: list[tuple[str, Value]], parameters=()) -> str:
    """The statements that compute the derivatives, one body: the inputs with their values as
    defaults (a parameter, an input without a value, has none), the forward statements they
    need, then the derivatives', simplified; a statement `name = ...` per derivative, in order,
    the last one last.  Every name is assigned once, so a derivative's formula used nowhere else
    is written into its own statement, at the end, whatever its place in the body."""
    targets = [t for _, t in derivatives]
    needed = reaching(graph.nodes + P.nodes, *targets)
    first = _first_equal(needed)
    last = targets[-1]  # written as it is; every other derivative reads the first node equal to it

    def final(t: Value) -> Value:
        return t if t is last else first.get(id(t), t)

    uses: dict[int, int] = {}
    for node in needed:
        if first[id(node)] is node:
            for a in node.args:
                a = first.get(id(a), a)
                uses[id(a)] = uses.get(id(a), 0) + 1
    for t in targets:  # each derivative's own statement reads it once more
        uses[id(final(t))] = uses.get(id(final(t)), 0) + 1
    reserved = {name for name, _ in derivatives}
    taken = {k for k in graph.inputs if k.isidentifier()} | set(graph.names) | reserved
    names: dict[int, str] = {}
    for k, v in graph.inputs.items():  # x[0] is written x_0, unless the program has an x_0
        s = k if k.isidentifier() else identifier(k)
        while s != k and s in taken:
            s += "_"
        taken.add(s)
        names[id(v)] = s
    text: dict[int, tuple[str, int]] = {}  # id -> (expression, precedence)
    needed_ids = {id(n) for n in needed}
    lines = [
        f"{names[id(v)]} = {fmt(v.data)}"
        for k, v in graph.inputs.items()
        if id(v) in needed_ids and k not in parameters
    ]
    temps = iter(f"t{i}" for i in range(1, 10**9))
    for node in needed:
        if node.op.arity == 0:
            if id(node) not in names:
                text[id(node)] = _number(node)
            continue
        same = first[id(node)]
        if same is not node and node is not last:  # written once: every use reads the first
            for table in (names, text):
                if id(same) in table:
                    table[id(node)] = table[id(same)]
            continue
        expr = _expression(node, names, text)
        program_name = node is not last and node.label.isidentifier() and node in graph.names.values()
        if uses.get(id(node), 0) > 1 or program_name:
            label = node.label if node.label.isidentifier() and node.label not in names.values() else ""
            stmt = label if label and label not in reserved else next(t for t in temps if t not in taken)
            taken.add(stmt)
            names[id(node)] = stmt
            lines.append(f"{stmt} = {expr[0]}")
        else:
            text[id(node)] = expr  # used once: written into its user's expression
    lines += [f"{name} = {_text(final(t), names, text)[0]}" for name, t in derivatives]
    return "\n".join(lines) + "\n"


def _first_equal(nodes: list[Value]) -> dict[int, Value]:
    """id -> the first of the nodes computing the same (one op on the same operands, numbers
    equal by value): a sub-expression the program and the rules both wrote is printed once."""
    first: dict[int, Value] = {}
    seen: dict[tuple, Value] = {}
    for node in nodes:
        if node.op.arity == 0:
            key = ("number", node.data.hex()) if node.op.name == "const" else ("input", id(node))
        else:
            ids = [id(first.get(id(a), a)) for a in node.args]
            key = (node.op.name, *(sorted(ids) if node.op.commutative else ids))
        first[id(node)] = seen.setdefault(key, node)
    return first


def _number(node: Value) -> tuple[str, int]:
    x = node.data
    if not math.isfinite(x):
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
    if op.name == "mul" and args[1].op.name == "const" and args[0].op.name != "const" and _number(args[1])[1] > 6:
        args = (args[1], args[0])  # a positive number first: 2*t3, not t3*2 (the same product)
    if op.name == "id":
        return _text(args[0], names, text)
    if op.name == "neg":  # -a*b and -a/b read as (-a)*b: the same number, so no parentheses
        inner = arg(args[0], 5)
        return (f"-({inner})" if inner.startswith("-") else f"-{inner}"), 6
    if op.symbol and len(args) == 2:
        p = op.precedence
        left, right = (8, 6) if op.name == "pow" else ((p + 1, p + 1) if p <= 2 else (p, p + 1))
        space = " " if p <= 4 else ""
        second = arg(args[1], right)
        if second.startswith("-"):  # a - (-b), x*(-2): never two signs in a row
            second = f"({second})"
        return f"{arg(args[0], left)}{space}{op.symbol}{space}{second}", p
    return f"{op.name}({', '.join(arg(a, 0) for a in args)})", 9
