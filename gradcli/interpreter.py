"""Program + bindings -> Graph: the small interpreter that evaluates the list of equations.

Two passes over the statements.  The first checks names (unknown functions, arity,
assignments to built-ins, every unbound name at once) without computing anything, so a
typo is reported before a math error that happens to come first.  The second builds the
graph: input leaves first, then every operation in the order the program gives it, which
is a topological order, so the backward pass is a reverse sweep over `Graph.nodes`.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from dataclasses import dataclass, field

from . import engine
from .engine import Value, apply, lift
from .errors import BindingError, GradcliError, MathError, NameError_, UsageError
from .ops import BY_NAME, CONST, CONSTANTS, FUNCTIONS, Op
from .program import CALL, NUM, OP, VAR, Program, Stmt

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass
class Graph:
    """Every node in creation order, the inputs by name, and the node to differentiate."""

    nodes: list[Value]
    inputs: dict[str, Value]
    output: Value
    output_name: str
    names: dict[str, Value] = field(default_factory=dict)  # each name's newest node
    unused: list[str] = field(default_factory=list)  # bindings the program never reads
    warnings: list[str] = field(default_factory=list)  # for the user, on stderr
    _order: list[Value] | None = field(default=None, repr=False)  # the nodes output depends on

    def backward(self) -> None:
        """d output / d node for every node (zeroed first, so it can be called again)."""
        for node in self.nodes:
            node.grad = 0.0
        order = self.needed()
        self.output.grad = 1.0
        engine.backward_sweep(order)

    def forward(self) -> None:
        """Recompute every value after inputs' `.data` changed (no re-parsing)."""
        engine.forward(self.nodes)

    def gradients(self) -> dict[str, float]:
        return {name: node.grad for name, node in self.inputs.items()}

    def needed(self) -> list[Value]:
        """The nodes the output depends on (itself included), in creation order."""
        if self._order is None:
            self._order = engine.reaching(self.nodes, self.output)
        return self._order

    def display_names(self) -> list[str]:
        """Each node's label, with `#id` added where several nodes that are not constants
        share it (a name assigned more than once: `y#3`)."""
        counts = Counter(node.label for node in self.nodes if node.op is not CONST)
        return [
            f"{node.label}#{i}" if counts[node.label] > 1 and node.op is not CONST else node.label
            for i, node in enumerate(self.nodes)
        ]


def _edits(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): a swap of neighbours is one edit."""
    prev2, prev = [], list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _suggest(name: str, candidates) -> str | None:
    """ "did you mean 'tanh'?" for the closest candidate within a couple of edits."""
    best = min(
        sorted(candidates),
        key=lambda c: (
            _edits(name.lower(), c.lower()),
            abs(len(c) - len(name)),
            -difflib.SequenceMatcher(None, name, c).ratio(),
        ),
        default=None,
    )
    if best is None or len(name) < 3 or _edits(name.lower(), best.lower()) > max(1, len(name) // 3):
        return None
    return f"did you mean '{best}'?"


def _error(cls, program: Program, message: str, start: int, end: int | None = None, hint=None):
    line, column = program.position(start)
    end_column = column + (end - start) if end is not None and end > start else None
    return cls(message, line=line, column=column, end_column=end_column, hint=hint)


def check_names(program: Program, bindings: dict[str, float]) -> tuple[list[str], list[str]]:
    """Pass 1: raise on any name error; return (inputs in order of appearance, unused bindings)."""
    stmts = program.stmts
    if not stmts:
        raise UsageError("the program is empty: write at least one statement, e.g. 'y = x*x'")
    for name in bindings:
        if name in CONSTANTS or name in FUNCTIONS:
            raise BindingError(f"'{name}' is a built-in name and cannot be bound")
    code = program.code
    defined: dict[str, str] = {n: "input" for n in bindings}  # name -> "input" | "node"
    inputs: dict[str, None] = {}
    used: set[str] = set()
    unbound: dict[str, int] = {}
    for i, stmt in enumerate(stmts):
        if stmt.target is None and i != len(stmts) - 1:
            raise _error(
                UsageError,
                program,
                "a bare expression must be the last statement (assign it to a name)",
                stmt.start,
                stmt.end,
            )
        reads = code[stmt.lo : stmt.hi]
        if stmt.aug:  # NAME += expr reads NAME first
            reads.insert(0, (VAR, stmt.target, 0, stmt.start, stmt.start + len(stmt.target)))
        for kind, name, arg, start, end in reads:
            if kind == VAR:
                if name in CONSTANTS:
                    continue
                if name in FUNCTIONS:
                    raise _error(NameError_, program, f"'{name}' is a function: call it as {name}(...)", start, end)
                state = defined.get(name)
                if state is None:
                    unbound.setdefault(name, start)
                elif state == "input":
                    used.add(name)
                    inputs.setdefault(name)
            elif kind == CALL:
                _check_call(program, name, arg, start, end)
            elif kind == NUM and arg - arg != 0.0 and not engine.nonfinite_allowed():
                raise _error(
                    UsageError,
                    program,
                    f"the number {name} is too large for a double (the largest is about 1.8e308)",
                    start,
                    end,
                    hint="--allow-nonfinite carries it on as infinity",
                )
        target = stmt.target
        if target is None:
            continue
        if target in CONSTANTS or target in FUNCTIONS:
            raise _error(
                NameError_,
                program,
                f"'{target}' is a built-in name and cannot be assigned",
                stmt.start,
                stmt.start + len(target),
            )
        if not stmt.aug and program.literal(stmt) is not None:
            if target in inputs or defined.get(target) == "node":
                raise _error(
                    NameError_,
                    program,
                    f"'{target}' is assigned a number but already has a value: an input gets its number once",
                    stmt.start,
                    stmt.end,
                    hint="use a new name for the second number",
                )
            inputs.setdefault(target)
            defined[target] = "input"
            used.add(target)
        else:
            if target in bindings and target not in used:
                line, _ = program.position(stmt.start)
                raise _error(
                    BindingError,
                    program,
                    f"'{target}' is given a value on the command line, but the program computes it (line {line}) "
                    "before using it, so that value would be ignored",
                    stmt.start,
                    stmt.start + len(target),
                    hint=f"remove {target}=... or rename the program's '{target}'",
                )
            defined[target] = "node"
    if unbound:
        names = list(unbound)
        first = unbound[names[0]]
        if len(names) == 1:
            (name,) = names
            hint = _suggest(name, [*defined, *CONSTANTS]) or (
                f"give it a value on the command line ({name}=1.0) or in the program ({name} = 1.0)"
            )
            raise _error(NameError_, program, f"'{name}' has no value", first, first + len(name), hint=hint)
        listed = ", ".join(f"'{n}'" for n in names)
        example = " ".join(f"{n}=1.0" for n in names)
        raise _error(
            NameError_,
            program,
            f"{len(names)} names have no value: {listed}",
            first,
            first + len(names[0]),
            hint=f"give them values on the command line, e.g. {example}",
        )
    unused = [n for n in bindings if n not in used]
    return list(inputs), unused


def _check_call(program: Program, fn: str, nargs: int, start: int, end: int) -> None:
    op = FUNCTIONS.get(fn)
    if op is None:
        hint = _suggest(fn, FUNCTIONS)
        raise _error(NameError_, program, f"unknown function '{fn}'", start, start + len(fn), hint=hint)
    if nargs != op.arity:
        s = "" if op.arity == 1 else "s"
        raise _error(NameError_, program, f"{fn} takes {op.arity} argument{s}, got {nargs}", start, end)


def build(program: Program, bindings: dict[str, float] | None = None, of: str | None = None) -> Graph:
    """Pass 2: evaluate the program into a Graph (raises GradcliError)."""
    bindings = dict(bindings or {})
    order, unused = check_names(program, bindings)
    literal_of = {s.target: program.literal(s) for s in reversed(program.stmts) if s.target and not s.aug}
    nodes: list[Value] = []
    inputs: dict[str, Value] = {}
    for name in order + unused:
        value = bindings[name] if name in bindings else literal_of[name]
        node = Value(value, label=name)
        nodes.append(node)
        inputs[name] = node
    env: dict[str, Value] = {n: inputs[n] for n in bindings}
    out = None
    for stmt in program.stmts:
        try:
            out = _run(program, stmt, env, inputs, nodes)
        except MathError as exc:
            if exc.line is None:
                exc.line, exc.column = program.position(stmt.start)
            raise
    last = program.stmts[-1]
    if of is not None:
        if of not in env:
            known = ", ".join(sorted(env)) or "none"
            raise UsageError(f"--of {of}: no such name in the program (names: {known})", hint=_suggest(of, env))
        return Graph(nodes, inputs, env[of], of, env, unused, _warnings(program, unused))
    name = last.target or program.text(last.start, last.end)
    return Graph(nodes, inputs, out, name, env, unused, _warnings(program, unused))


def _warnings(program: Program, unused: list[str]) -> list[str]:
    out = [f"'{name}' is bound but the program never uses it; its gradient is 0" for name in unused]
    last = program.stmts[-1]
    if last.target is None and len(program.stmts) > 1 and program.source[last.start] in "+-":
        line, _ = program.position(last.start)
        out.append(
            f"line {line} starts with '{program.source[last.start]}', so it is a new statement (the output), "
            "not the continuation of the line before: wrap a long expression in parentheses to continue it"
        )
    return out


def _run(program: Program, stmt: Stmt, env: dict, inputs: dict, nodes: list) -> Value:
    target = stmt.target
    if target and not stmt.aug and program.literal(stmt) is not None:  # an input (pass 1 made sure)
        env[target] = inputs[target]
        return inputs[target]
    start = len(nodes)
    node = _evaluate(program, stmt, env, nodes)
    if stmt.aug:  # NAME op= expr  means  NAME = NAME op (expr)
        node = _apply(program, BY_NAME[stmt.aug], (env[target], node), stmt.start, stmt.end, nodes, target)
    elif target and len(nodes) == start:  # `b = a`, `t = pi`: a new node, so b is in the graph
        node = _apply(program, BY_NAME["id"], (node,), stmt.start, stmt.end, nodes, target)
    if target:
        node.label = target
        env[target] = node
    return node


def _apply(program: Program, op: Op, args, start: int, end: int, nodes: list, label: str | None = None) -> Value:
    try:
        node = apply(op, *args, label=label or program.text(start, end))
    except MathError as exc:
        exc.line, exc.column = program.position(start)
        exc.end_column = exc.column + (end - start)
        raise
    nodes.append(node)
    return node


def _evaluate(program: Program, stmt: Stmt, env: dict, nodes: list) -> Value:
    """Run a statement's equations on a value stack: operands are pushed, an op pops them."""
    values: list[Value] = []
    push = values.append
    for kind, name, arg, start, end in program.code[stmt.lo : stmt.hi]:
        if kind == OP or kind == CALL:
            op = BY_NAME[name] if kind == OP else FUNCTIONS[name]
            if arg == 2:
                y = values.pop()
                args = (values.pop(), y)
            else:
                args = tuple(values[-arg:])
                del values[-arg:]
            push(_apply(program, op, args, start, end, nodes))
        elif kind == NUM:
            node = lift(arg)
            node.label = program.text(start, end)
            nodes.append(node)
            push(node)
        elif name in CONSTANTS:
            node = lift(CONSTANTS[name])
            node.label = name
            nodes.append(node)
            push(node)
        else:
            push(env[name])
    return values[0]


# -- NAME=VALUE bindings ---------------------------------------------------------------


def parse_binding(text: str, allow_nonfinite: bool = False) -> tuple[str, float]:
    """'a=2', 'x=-1e-3', 'theta=pi/4' -> (name, value).  VALUE is a number or a constant
    expression of the language (numbers, pi, tau, operators, functions)."""
    name, sep, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or not name or not raw:
        raise BindingError(
            f"bad binding {text!r}: expected NAME=VALUE, e.g. a=2.0",
            hint="the program itself is the first argument; with -f/--file every argument is a binding",
        )
    if not _NAME.match(name):
        raise BindingError(f"bad binding {text!r}: {name!r} is not a name")
    if name in CONSTANTS or name in FUNCTIONS:
        raise BindingError(f"bad binding {text!r}: '{name}' is a built-in name and cannot be bound")
    try:
        value = float(raw)
    except ValueError:
        value = _constant_expression(text, raw)
    if not math.isfinite(value) and not allow_nonfinite:
        raise BindingError(f"bad binding {text!r}: the value is not finite (use --allow-nonfinite)")
    return name, value


def parse_expression(text: str) -> Program:
    """A program that is exactly one bare expression (a binding's value, a claim)."""
    from .parser import parse  # lazily: plain numbers never need the parser

    program = parse(text)
    if len(program.stmts) != 1 or program.stmts[0].target is not None:
        raise UsageError("expected one expression, such as f*b or pi/4")
    return program


def _constant_expression(text: str, raw: str) -> float:
    try:
        return build(parse_expression(raw)).output.data
    except MathError as exc:
        raise BindingError(f"bad binding {text!r}: {exc.message}") from None
    except GradcliError:
        raise BindingError(
            f"bad binding {text!r}: the value must be a number or a constant expression such as pi/4"
        ) from None


def parse_bindings(texts, allow_nonfinite: bool = False) -> dict[str, float]:
    out: dict[str, float] = {}
    for text in texts:
        name, value = parse_binding(text, allow_nonfinite)
        if name in out:
            raise BindingError(f"'{name}' is bound twice on the command line")
        out[name] = value
    return out


def evaluate(source: str, bindings: dict[str, float] | None = None, of: str | None = None) -> Graph:
    """Parse, build and differentiate: the whole `eval` pipeline as one call."""
    from .parser import parse

    with engine.paused_gc():
        graph = build(parse(source), bindings, of)
        graph.backward()
    return graph


__all__ = ["Graph", "build", "check_names", "evaluate", "parse_binding", "parse_bindings"]
