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
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field

from gradcli.build import arrays
from gradcli.core import engine
from gradcli.core.engine import Value, constant
from gradcli.core.errors import BindingError, GradcliError, MathError, NameError_, UsageError
from gradcli.core.ops import BY_NAME, CONST, CONSTANTS, FUNCTIONS, Op
from gradcli.lang.program import CALL, KIND, NAME, NUM, OP, VAR, Eq, Program, Stmt

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
    program: Program | None = field(default=None, repr=False)
    stmt_ends: list[int] = field(default_factory=list, repr=False)  # len(nodes) after each statement
    calls: dict = field(default_factory=dict, repr=False)  # "f#1" -> (call text, line): user function calls
    # `x=1.0±0.1`: name -> uncertainty.Spec(u, distribution, half_width); empty: no uncertainty
    uncertainties: dict = field(default_factory=dict)
    uncertainty: object = None  # eval's uncertainty.Result, for the writers (set by the CLI)
    arrays: object = None  # gradcli.arrays.Info (shapes, array names, an array output) when arrays are used
    _order: list[Value] | None = field(default=None, repr=False)  # the nodes output depends on

    def backward(self, allow_nonfinite: bool = False) -> None:
        """d output / d node for every node (zeroed first, so it can be called again)."""
        if self.arrays is not None and self.arrays.output is not None:  # the Jacobian of an array output
            return arrays.backward(self, allow_nonfinite)
        for node in self.nodes:
            node.grad = 0.0
        order = self.needed()
        self.output.grad = 1.0
        try:
            engine.backward_sweep(order, allow_nonfinite)
        except MathError as exc:
            self.locate(exc)
            raise

    def forward(self, allow_nonfinite: bool = False) -> None:
        """Recompute every value after inputs' `.data` changed (no re-parsing)."""
        engine.forward(self.nodes, allow_nonfinite)

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

    def locate(self, exc: GradcliError) -> None:
        """Give an error about a node (exc.node) the line and column of the statement that made it."""
        if exc.line is not None or exc.node is None or self.program is None or not self.stmt_ends:
            return
        index = next((i for i, n in enumerate(self.nodes) if n is exc.node), None)
        if index is None:
            return
        stmt = self.program.stmts[min(bisect_right(self.stmt_ends, index), len(self.program.stmts) - 1)]
        start, end = stmt.start, stmt.end
        label = exc.node.label
        at = self.program.source.find(label, start, end) if label else -1
        if at >= 0 and label != stmt.target:
            start, end = at, at + len(label)  # the sub-expression itself
        elif stmt.hi > stmt.lo:
            root = self.program.code[stmt.hi - 1]  # postfix: the last equation spans the whole expression
            start, end = root[3], root[4]
        exc.line, exc.column = self.program.position(start)
        exc.end_column = exc.column + (end - start)


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
    if best is None:
        return None
    edits = _edits(name.lower(), best.lower())
    # Short names: only a change of case (X for x) or one extra or missing letter (xx for x).
    if edits > max(1, len(name) // 3) or (len(name) < 3 and edits and not (edits == 1 and len(best) < len(name))):
        return None
    return f"did you mean '{best}'?"


def _error(cls, program: Program, message: str, start: int, end: int | None = None, hint=None):
    line, column = program.position(start)
    end_column = column + (end - start) if end is not None and end > start else None
    return cls(message, line=line, column=column, end_column=end_column, hint=hint)


def is_constant(program: Program, stmt: Stmt) -> bool:
    """A statement whose expression has no names in it but pi and tau (`2.0`, `pi/4`, `-(2)`):
    its target is an input with that default, exactly like a binding."""
    if stmt.aug or stmt.target is None:
        return False
    for e in program.code[stmt.lo : stmt.hi]:
        if e[KIND] == VAR and e[NAME] not in CONSTANTS:
            return False
    return True


@dataclass
class _Names:
    """What pass 1 knows while it walks the statements."""

    bindings: dict
    allow_nonfinite: bool
    defined: dict = field(default_factory=dict)  # name -> "input" | "node"
    inputs: dict = field(default_factory=dict)  # in order of appearance
    used: set = field(default_factory=set)
    unbound: dict = field(default_factory=dict)  # name -> offset of its first use
    constant: dict = field(default_factory=dict)  # target -> its first constant statement
    underflows: list = field(default_factory=list)  # (text, offset) of numbers read as 0

    def found(self) -> tuple[list[str], list[str]]:
        """(inputs in order of appearance, bindings the program never uses)."""
        return list(self.inputs), [n for n in self.bindings if n not in self.used]


def check_names(
    program: Program, bindings: dict[str, float], allow_nonfinite: bool = False
) -> tuple[list[str], list[str]]:
    """Pass 1: raise on any name error; return (inputs in order of appearance, unused bindings)."""
    return _pass1(program, bindings, allow_nonfinite).found()


def _pass1(program: Program, bindings: dict[str, float], allow_nonfinite: bool) -> _Names:
    """Pass 1's one walk over the equations: name errors raised, inputs, constants, underflows."""
    if program.functions:  # user functions: definitions, scopes, name clashes (gradcli.functions)
        from gradcli.build.functions import check

        check(program, bindings)
    if not program.stmts:
        raise UsageError("the program is empty: write at least one statement, e.g. 'y = x*x'")
    for name in bindings:
        if name in CONSTANTS or name in FUNCTIONS:
            raise BindingError(f"'{name}' is a built-in name and cannot be bound")
    st = _Names(bindings, allow_nonfinite, {n: "input" for n in bindings})
    last = len(program.stmts) - 1
    for i, stmt in enumerate(program.stmts):
        if stmt.target is None and i != last:
            msg = "a bare expression must be the last statement (assign it to a name)"
            raise _error(UsageError, program, msg, stmt.start, stmt.end)
        reads_names = _check_reads(program, stmt, st)
        if stmt.target is not None:
            _check_target(program, stmt, st, not reads_names and not stmt.aug)
    if st.unbound:
        raise _unbound_error(program, st)
    return st


def _check_reads(program: Program, stmt: Stmt, st: _Names) -> bool:
    """Every name, call and number a statement reads; whether it reads a name (not pi, tau)."""
    reads = program.code[stmt.lo : stmt.hi]
    if stmt.aug:  # NAME += expr reads NAME first
        reads.insert(0, Eq(VAR, stmt.target, 0, stmt.start, stmt.start + len(stmt.target)))
    reads_names = False
    defined, used, inputs = st.defined, st.used, st.inputs
    for kind, name, arg, start, end in reads:  # Eq's fields by position: this loop is hot
        if kind == VAR:
            if name in CONSTANTS:
                continue
            reads_names = True
            state = defined.get(name)
            if state == "node":  # the common case (a name computed before; never a function's)
                continue
            if name in FUNCTIONS or name in program.functions:
                raise _error(NameError_, program, f"'{name}' is a function: call it as {name}(...)", start, end)
            if state is None:
                st.unbound.setdefault(name, start)
            else:  # an input
                used.add(name)
                inputs.setdefault(name)
        elif kind == CALL:
            _check_call(program, name, arg, start, end)  # arg: the call's argument count
        elif kind == NUM:  # arg: the number's value
            if arg == 0.0:
                from gradcli.lang.parser import underflows

                if underflows(name):  # `1e-400`: written nonzero, read as 0
                    st.underflows.append((name, start))
            elif arg - arg != 0.0 and not st.allow_nonfinite:
                msg = f"the number {name} is too large for a double (the largest is about 1.8e308)"
                raise _error(UsageError, program, msg, start, end, hint="--allow-nonfinite carries it on as infinity")
    return reads_names


def _check_target(program: Program, stmt: Stmt, st: _Names, constant: bool) -> None:
    """The name a statement assigns: not a built-in; an input once; not a bound name it computes.
    `constant`: its expression reads no name (see is_constant)."""
    target = stmt.target
    name_end = stmt.start + len(target)
    if target in CONSTANTS or target in FUNCTIONS:
        raise _error(NameError_, program, f"'{target}' is a built-in name and cannot be assigned", stmt.start, name_end)
    if constant:
        st.constant.setdefault(target, stmt)
        if target in st.inputs or st.defined.get(target) == "node":
            raise _error(
                NameError_,
                program,
                f"'{target}' is assigned a constant but already has a value: an input gets its value once",
                stmt.start,
                stmt.end,
                hint="use a new name for the second value",
            )
        st.inputs.setdefault(target)
        st.defined[target] = "input"
        st.used.add(target)
        return
    if target in st.bindings and target not in st.used:
        line, _ = program.position(stmt.start)
        raise _error(
            BindingError,
            program,
            f"'{target}' is given a value on the command line, but the program computes it (line {line}) "
            "before using it, so that value would be ignored",
            stmt.start,
            name_end,
            hint=f"remove {target}=... or rename the program's '{target}'",
        )
    st.defined[target] = "node"


def _unbound_error(program: Program, st: _Names) -> NameError_:
    names = list(st.unbound)
    first = st.unbound[names[0]]
    if len(names) == 1:
        (name,) = names
        hint = _suggest(name, [*st.defined, *CONSTANTS]) or (
            f"give it a value on the command line ({name}=1.0) or in the program ({name} = 1.0)"
        )
        return _error(NameError_, program, f"'{name}' has no value", first, first + len(name), hint=hint)
    listed = ", ".join(f"'{n}'" for n in names)
    example = " ".join(f"{n}=1.0" for n in names)
    return _error(
        NameError_,
        program,
        f"{len(names)} names have no value: {listed}",
        first,
        first + len(names[0]),
        hint=f"give them values on the command line, e.g. {example}",
    )


def _check_call(program: Program, fn: str, nargs: int, start: int, end: int) -> None:
    if fn in arrays.ARITY and array_call(program, fn, nargs, start, end):
        return
    op = FUNCTIONS.get(fn)
    if op is None and (program.functions or fn.endswith("'")):  # f(a), f'(a), tanh'(a)
        from gradcli.build.functions import check_call

        check_call(program, fn, nargs, start, end)
        return
    if op is None:
        hint = _suggest(fn, FUNCTIONS)
        if fn in ALIAS_HINTS:
            hint = ALIAS_HINTS[fn]
        raise _error(NameError_, program, f"unknown function '{fn}'", start, start + len(fn), hint=hint)
    if nargs != op.arity:
        s = "" if op.arity == 1 else "s"
        raise _error(NameError_, program, f"{fn} takes {op.arity} argument{s}, got {nargs}", start, end)


def array_call(program: Program, fn: str, nargs: int, start: int, end: int) -> bool:
    """A call of an array function (sum(x), sum(W, 0), max(x), dot(x, y): gradcli.arrays lowers it),
    not the scalar built-in or a user function of that name; raises on a wrong argument count."""
    op = FUNCTIONS.get(fn)
    if fn not in arrays.ARITY or (op is not None and nargs == op.arity) or fn in program.functions:
        return False
    if nargs not in arrays.ARITY[fn]:
        counts = " or ".join(map(str, arrays.ARITY[fn] + ((op.arity,) if op else ())))
        raise _error(NameError_, program, f"{fn} takes {counts} argument(s), got {nargs}", start, end)
    program.array_calls = True
    return True


ALIAS_HINTS = {"sine": "did you mean 'sin'?", "cosine": "did you mean 'cos'?", "tangent": "did you mean 'tan'?"}


@dataclass(slots=True)
class _Build:
    """Pass 2's state: the nodes so far, each name's newest node, and the options."""

    program: Program
    nodes: list
    env: dict
    inputs: dict
    allow_nonfinite: bool = False
    calls: dict = field(default_factory=dict)  # user function -> calls so far (gradcli.functions labels)
    sites: dict = field(default_factory=dict)  # "f#1" -> (the call as written, its line), for explain
    arrays: object = None  # the gradcli.arrays module when the program uses arrays, else None
    array_inputs: dict = field(default_factory=dict)  # name -> arrays.Array of input leaves


def build(
    program: Program,
    bindings: dict[str, float] | None = None,
    of: str | None = None,
    allow_nonfinite: bool = False,
) -> Graph:
    """Pass 2: evaluate the program into a Graph (raises GradcliError)."""
    bindings = dict(bindings or {})
    names = _pass1(program, bindings, allow_nonfinite)
    order, unused = names.found()
    b = _Build(program, [], {}, {}, allow_nonfinite)
    b.arrays = arrays if arrays.uses_arrays(program, bindings) else None
    constant = names.constant
    for name in order + unused:
        value = bindings[name] if name in bindings else _constant_value(b, constant[name])
        if b.arrays is not None and arrays.add_input(b, name, value, name in bindings and constant.get(name)):
            continue  # an array input: a leaf per element, x[0], x[1], ...
        node = Value(value, label=name)
        b.nodes.append(node)
        b.inputs[name] = node
    b.env.update({n: b.inputs[n] if n in b.inputs else b.array_inputs[n] for n in bindings})
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
    if of is not None:
        node, name = _pick_output(b, of)
    else:
        last = program.stmts[-1]
        node, name = out, last.target or program.text(last.start, last.end)
    graph = Graph(b.nodes, b.inputs, node, name, b.env, unused, warnings, program, stmt_ends)
    graph.calls = b.sites
    if b.arrays is not None:
        arrays.finish(graph, b)
    if any(s.uncertainty for s in program.stmts) or any(hasattr(v, "spec") for v in bindings.values()):
        from gradcli.analysis.uncertainty import attach  # `x = 1.0 ± 0.1` or x=1.0±0.1

        attach(graph, program, bindings, constant)
    return graph


def _pick_output(b: _Build, of: str) -> tuple[Value, str]:
    """--of NAME: a name's newest node; NAME#ID (as explain and the table print it) picks one node."""
    if of in b.env:
        return b.env[of], of
    if b.arrays is not None and (element := arrays.pick(b, of)) is not None:  # --of y[0]
        return element
    name, _, index = of.partition("#")
    if index.isdigit() and int(index) < len(b.nodes) and b.nodes[int(index)].label == name:
        return b.nodes[int(index)], of
    known = ", ".join(sorted(b.env)) or "none"
    raise UsageError(f"--of {of}: no such name in the program (names: {known})", hint=_suggest(of, b.env))


def _constant_value(b: _Build, stmt: Stmt) -> float:
    """The value of a constant statement (`theta = pi/4`), evaluated on its own."""
    if b.arrays is not None and (value := arrays.literal_value(b.program, stmt)) is not None:
        return value  # an array literal of numbers, read directly
    scratch = _Build(b.program, [], {}, {}, b.allow_nonfinite, arrays=b.arrays)
    return _evaluate(scratch, stmt).data  # an array's: nested lists


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


def _run(b: _Build, stmt: Stmt) -> Value:
    target = stmt.target
    if target in b.inputs and is_constant(b.program, stmt):  # an input (pass 1 made sure)
        b.env[target] = b.inputs[target]
        return b.inputs[target]
    if target in b.array_inputs and is_constant(b.program, stmt):  # an array input
        b.env[target] = b.array_inputs[target]
        return b.env[target]
    start = len(b.nodes)
    node = _evaluate(b, stmt)
    if b.arrays is not None and (not isinstance(node, Value) or stmt.aug and not isinstance(b.env[target], Value)):
        return arrays.assign(b, stmt, node, start)  # h = tanh(W @ x + b): elements labelled h[0], h[1], ...
    if stmt.aug:  # NAME op= expr  means  NAME = NAME op (expr)
        node = _apply(b, BY_NAME[stmt.aug], (b.env[target], node), stmt.start, stmt.end, target)
    elif target and (len(b.nodes) == start or node.op is CONST):  # `b = a`: a new node, so b is in the graph
        node = _apply(b, BY_NAME["id"], (node,), stmt.start, stmt.end, target)
    if target:
        node.label = target
        b.env[target] = node
    return node


def _apply(b: _Build, op: Op, args, start: int, end: int, label: str | None = None) -> Value:
    program = b.program
    try:
        node = engine.node(op, args, label or program.text(start, end), b.allow_nonfinite)
    except MathError as exc:
        exc.line, exc.column = program.position(start)
        exc.end_column = exc.column + (end - start)
        raise
    nodes = b.nodes
    if args[0].op is CONST and args[-1].op is CONST and all(a.op is CONST for a in args):  # 2 tests decide most
        # Constants in, a constant out (`-2`, `2*pi`): one leaf that is never differentiated,
        # standing for the whole sub-expression; its operands' leaves are folded into it.
        k = len(args)
        if len(nodes) >= k and all(x is y for x, y in zip(nodes[-k:], args)):
            del nodes[-k:]
        engine.fold(node)
    nodes.append(node)
    return node


def _evaluate(b: _Build, stmt: Stmt) -> Value:
    """Run a statement's equations on a value stack: operands are pushed, an op pops them."""
    program, nodes, env = b.program, b.nodes, b.env
    source = program.source
    values: list[Value] = []
    push = values.append
    step = b.arrays.step if b.arrays is not None else None  # arrays: literals, x[i], @, broadcasting
    # Unpacked by position in this hot loop (Eq's fields, in order): arg is a NUM's value, else a count.
    for kind, name, arg, start, end in program.code[stmt.lo : stmt.hi]:
        if step is not None and kind != NUM and kind != VAR and step(b, values, kind, name, arg, start, end):
            continue
        if kind == OP or kind == CALL:
            op = BY_NAME[name] if kind == OP else FUNCTIONS.get(name)
            if arg == 2:
                y = values.pop()
                args = (values.pop(), y)
            else:
                args = tuple(values[-arg:])
                del values[-arg:]
            push(_apply(b, op, args, start, end) if op is not None else _call(b, name, args, start, end))
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


def _call(b: _Build, fn: str, args: tuple, start: int, end: int) -> Value:
    from gradcli.build.functions import call  # a user function or a derivative f'(x): its body's nodes

    return call(b, fn, args, start, end)


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
    if "±" in raw or "+/-" in raw:  # x=1.0±0.1: a value with an uncertainty (a float subclass)
        from gradcli.analysis.uncertainty import parse_uncertain_binding

        return name, parse_uncertain_binding(text, name, raw, allow_nonfinite)
    from gradcli.lang.parser import parse_number, underflows

    number = parse_number(raw)  # the grammar's NUMBER, signed: ASCII digits, no '_'
    value = number if number is not None else _constant_expression(text, raw)
    if value.__class__ is not list and not math.isfinite(value) and not allow_nonfinite:  # a list: x=[1, 2]
        raise BindingError(f"bad binding {text!r}: the value is not finite (use --allow-nonfinite)")
    if number == 0.0 and underflows(raw):
        raise BindingError(f"bad binding {text!r}: {raw} is too small for a double and would become 0")
    return name, value


def parse_expression(text: str) -> Program:
    """A program that is exactly one bare expression (a binding's value, a claim)."""
    from gradcli.lang.parser import parse  # lazily: plain numbers never need the parser

    program = parse(text)
    if len(program.stmts) != 1 or program.stmts[0].target is not None:
        raise UsageError("expected one expression, such as f*b or pi/4")
    return program


def _constant_expression(text: str, raw: str) -> float:
    try:
        graph = build(parse_expression(raw))
        array = graph.arrays.output if graph.arrays is not None else None
        return graph.output.data if array is None else array.data  # x=[1, 2, 3]: nested lists
    except (MathError, arrays.ShapeError) as exc:
        raise BindingError(f"bad binding {text!r}: {exc.message}") from None
    except GradcliError:
        from gradcli.lang.parser import number_hint

        raise BindingError(
            f"bad binding {text!r}: the value must be a number or a constant expression such as pi/4",
            hint=number_hint(raw),  # 1_000 -> "write 1000"; Arabic-Indic digits -> ASCII
        ) from None


def parse_bindings(texts, allow_nonfinite: bool = False) -> dict[str, float]:
    out: dict[str, float] = {}
    for text in texts:
        name, value = parse_binding(text, allow_nonfinite)
        if name in out:
            raise BindingError(f"'{name}' is bound twice on the command line")
        out[name] = value
    return out


def evaluate(
    source: str, bindings: dict[str, float] | None = None, of: str | None = None, allow_nonfinite: bool = False
) -> Graph:
    """Parse, build and differentiate: the whole `eval` pipeline as one call."""
    from gradcli.lang.parser import parse

    with engine.paused_gc():
        graph = build(parse(source), bindings, of, allow_nonfinite)
        graph.backward(allow_nonfinite)
    return graph


__all__ = ["Graph", "build", "check_names", "evaluate", "parse_binding", "parse_bindings"]
