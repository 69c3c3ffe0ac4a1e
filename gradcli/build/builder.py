"""Pass 2 of a build: Program + bindings -> Graph, evaluating the list of equations.

Pass 1 (gradcli.build.names) has checked every name.  Pass 2 makes the input leaves first,
then every operation in the order the program gives it, which is a topological order, so the
backward pass is a reverse sweep over `Graph.nodes`.  The builder runs the scalar language;
arrays, user functions and uncertain inputs join through the extension interface
(gradcli.build.extension), which the builder defines and calls without naming any of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gradcli.build.graph import Graph
from gradcli.build.names import is_constant, pass1
from gradcli.core import engine
from gradcli.core.engine import Value, constant
from gradcli.core.errors import MathError, UsageError
from gradcli.core.ops import BY_NAME, CONST, CONSTANTS, FUNCTIONS, Op
from gradcli.lang.program import CALL, NUM, OP, VAR, Program, Stmt
from gradcli.lang.suggest import suggest

ID = BY_NAME["id"]


@dataclass(frozen=True)
class Settings:
    """How to build: the output (--of), whether NaN/inf carry on, and the extensions to ask."""

    of: str | None = None
    allow_nonfinite: bool = False
    extensions: tuple = ()  # gradcli.build.extension.Extension instances, asked in this order


@dataclass(slots=True)
class Build:
    """Pass 2's state: the nodes so far, each name's newest value, and the options.  Extensions
    receive it and build through its methods."""

    program: Program
    nodes: list
    env: dict
    inputs: dict  # input leaves by label (an array input's elements: x[0], x[1], ...)
    allow_nonfinite: bool = False
    step: object = None  # the active extension's per-equation hook (arrays), or None
    active: tuple = ()  # the extensions this program uses
    extensions: tuple = ()  # every extension (calls may need one that pass 2 did not activate)
    given: dict = field(default_factory=dict)  # input name -> its leaf, or an extension's value of leaves
    calls: dict = field(default_factory=dict)  # user function -> calls so far (gradcli.build.functions labels)
    sites: dict = field(default_factory=dict)  # "f#1" -> (the call as written, its line), for explain
    bindings: dict = field(default_factory=dict)  # what the build was given (extensions read their own kinds)

    def scope(self, env: dict, nodes: list | None = None, allow_nonfinite: bool | None = None) -> Build:
        """A build sharing this one's program and extensions, with its own names (`env`): a
        function body's scope (nodes shared), or a scratch build (`nodes=[]`)."""
        allow = self.allow_nonfinite if allow_nonfinite is None else allow_nonfinite
        shared = self.nodes if nodes is None else nodes
        inputs = self.inputs if nodes is None else {}
        return Build(self.program, shared, env, inputs, allow, self.step, self.active, self.extensions)

    def apply(self, op: Op, args, start: int, end: int, label: str | None = None) -> Value:
        """The node op(*args) for the source span start:end, appended to the graph; constants in
        give a folded constant out."""
        program = self.program
        try:
            node = engine.node(op, args, label or program.text(start, end), self.allow_nonfinite)
        except MathError as exc:
            exc.line, exc.column = program.position(start)
            exc.end_column = exc.column + (end - start)
            raise
        nodes = self.nodes
        if args[0].op is CONST and args[-1].op is CONST and all(a.op is CONST for a in args):  # 2 tests decide most
            # Constants in, a constant out (`-2`, `2*pi`): one leaf that is never differentiated,
            # standing for the whole sub-expression; its operands' leaves are folded into it.
            k = len(args)
            if len(nodes) >= k and all(x is y for x, y in zip(nodes[-k:], args)):
                del nodes[-k:]
            engine.fold(node)
        nodes.append(node)
        return node

    def evaluate(self, stmt) -> Value:
        """Run a statement's equations (code[stmt.lo:stmt.hi]) on a value stack: operands are
        pushed, an op pops them.  Returns the value left (a node, or an extension's value)."""
        program, nodes, env = self.program, self.nodes, self.env
        source = program.source
        values: list[Value] = []
        push = values.append
        step = self.step  # arrays: literals, x[i], @, broadcasting
        apply = self.apply  # bound once: this loop is hot
        # Unpacked by position in this hot loop (Eq's fields, in order): arg is a NUM's value, else a count.
        for eq in program.code[stmt.lo : stmt.hi]:
            kind, name, arg, start, end = eq
            if step is not None and kind != NUM and kind != VAR and step(self, values, eq):
                continue
            if kind == OP or kind == CALL:
                op = BY_NAME[name] if kind == OP else FUNCTIONS.get(name)
                if arg == 2:
                    y = values.pop()
                    args = (values.pop(), y)
                else:
                    args = tuple(values[-arg:])
                    del values[-arg:]
                push(apply(op, args, start, end) if op is not None else self.call(name, args, start, end))
            elif kind == NUM:
                node = constant(arg, source[start:end])  # a number's text has no blanks in it
                nodes.append(node)
                push(node)
            elif name in CONSTANTS:
                node = constant(CONSTANTS[name], name)
                nodes.append(node)
                push(node)
            else:
                push(env[name])
        return values[0]

    def call(self, fn: str, args: tuple, start: int, end: int):
        """A call the op table does not know (pass 1 made sure an extension takes it)."""
        for extension in self.extensions:
            out = extension.call(self, fn, args, start, end)
            if out is not None:
                return out
        raise AssertionError(f"no extension built the call {fn}")  # pragma: no cover - pass 1 checked it

    def constant_value(self, stmt: Stmt):
        """The value of a constant statement (`theta = pi/4`), evaluated on its own."""
        for extension in self.active:
            value = extension.constant(self.program, stmt)
            if value is not None:
                return value  # e.g. an array literal of numbers, read directly
        return self.scope({}, nodes=[]).evaluate(stmt).data  # an array's: nested lists


def build_graph(program: Program, bindings: dict | None, settings: Settings) -> Graph:
    """Both passes: check the names, then evaluate the program into a Graph (raises GradcliError)."""
    bindings = dict(bindings or {})
    names = pass1(program, bindings, settings.allow_nonfinite, settings.extensions)
    order, unused = names.found()
    active = tuple(e for e in settings.extensions if e.applies(program, bindings))
    step = next((e.step for e in active if e.step is not None), None)
    b = Build(program, [], {}, {}, settings.allow_nonfinite, step, active, settings.extensions, bindings=bindings)
    constants = names.constant
    for name in order + unused:
        value = bindings[name] if name in bindings else b.constant_value(constants[name])
        default = name in bindings and constants.get(name)
        if any(e.add_input(b, name, value, default) for e in active):
            continue  # e.g. an array input: a leaf per element, x[0], x[1], ...
        node = Value(value, label=name)
        b.nodes.append(node)
        b.inputs[name] = b.given[name] = node
    b.env.update({n: b.given[n] for n in bindings})
    stmt_ends, out = [], None
    for stmt in program.stmts:
        try:
            out = _run(b, stmt)
        except MathError as exc:
            if exc.line is None:
                exc.line, exc.column = program.position(stmt.start)
            raise
        stmt_ends.append(len(b.nodes))
    warnings = _warnings(program, unused, names.underflows)
    if settings.of is not None:
        node, name = _pick_output(b, settings.of)
    else:
        last = program.stmts[-1]
        node, name = out, last.target or program.text(last.start, last.end)
    graph = Graph(b.nodes, b.inputs, node, name, b.env, unused, warnings, program, stmt_ends)
    graph.calls = b.sites
    for extension in active:
        extension.finish(graph, b, constants)
    return graph


def _pick_output(b: Build, of: str) -> tuple[Value, str]:
    """--of NAME: a name's newest node; NAME#ID (as explain and the table print it) picks one node."""
    if of in b.env:
        return b.env[of], of
    for extension in b.active:
        element = extension.pick(b, of)  # --of y[0]
        if element is not None:
            return element
    name, _, index = of.partition("#")
    if index.isdigit() and int(index) < len(b.nodes) and b.nodes[int(index)].label == name:
        return b.nodes[int(index)], of
    from gradcli.lang.elements import element_error  # `W[0,]`, `y[`; `y[0]` of a scalar (arrays: extension.pick)

    known = ", ".join(sorted(b.env)) or "none"
    raise element_error(of, "--of", b.env) or UsageError(
        f"--of {of}: no such name in the program (names: {known})", hint=suggest(of, b.env)
    )


def _warnings(program: Program, unused: list[str], underflowed: list[tuple[str, int]]) -> list[str]:
    out = [f"'{name}' is bound but the program never uses it; its gradient is 0" for name in unused]
    for text, start in underflowed:
        line, _ = program.position(start)
        out.append(f"the number {text} (line {line}) is too small for a double and becomes 0")
    last = program.stmts[-1]
    if last.target is None and len(program.stmts) > 1 and program.source[last.start] in "+-":
        line, _ = program.position(last.start)
        out.append(
            f"line {line} starts with '{program.source[last.start]}', so it is a new statement (the output), "
            "not the continuation of the line before: wrap a long expression in parentheses to continue it"
        )
    return out


def _run(b: Build, stmt: Stmt) -> Value:
    target = stmt.target
    if target in b.given and is_constant(b.program, stmt):  # an input (pass 1 made sure)
        b.env[target] = b.given[target]
        return b.env[target]
    start = len(b.nodes)
    node = b.evaluate(stmt)
    if b.active and (not isinstance(node, Value) or stmt.aug and not isinstance(b.env[target], Value)):
        for extension in b.active:  # h = tanh(W @ x + b): elements labelled h[0], h[1], ...
            assigned = extension.assign(b, stmt, node, start)
            if assigned is not None:
                return assigned
    if stmt.aug:  # NAME op= expr  means  NAME = NAME op (expr)
        node = b.apply(BY_NAME[stmt.aug], (b.env[target], node), stmt.start, stmt.end, target)
    elif target and (len(b.nodes) == start or node.op is CONST):  # `b = a`: a new node, so b is in the graph
        node = b.apply(ID, (node,), stmt.start, stmt.end, target)
    if target:
        node.label = target
        b.env[target] = node
    return node
