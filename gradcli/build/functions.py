"""User functions: `f(x, y) = x*y + tanh(x)`, calls `f(a, 2)`, derivatives `f'(x)`, `f''(x)`.

A definition is kept beside the program's statements (`Program.functions`, name -> Definition,
in definition order); its body is the equations `code[lo:hi]`, like a statement's.

Scope.  A body sees its parameters, the constants (pi, tau) and the functions defined before
it: no free variables, so a function means the same wherever it is called, and no recursion,
direct or mutual (a function can only call earlier ones, so a cycle cannot be written).

Calls.  The first call of a function builds its body once, on fresh parameter leaves: a
*template* (its nodes in creation order).  Each call replays the template with the call's
arguments in place of the parameters, so it builds ordinary graph nodes that every command
(eval, explain, check, hessian, sweep, ...) handles unchanged.  A replayed node's label is
the body's text prefixed by the call's name: `f#2.x*y` is the node `x*y` of the second call
of f; nested calls nest (`g#1.f#2.x*y`: in the first call of g, the second call of f that
g's body makes).  The call's result node is labelled with the call as written, `f(a, 2)`.

Arrays.  A body may use arrays (`sum(v)`, `W @ x`, `v[0]`, `softmax(v)`).  A call with an array
argument, or of a body whose value is an array, has no template (its shapes belong to the call):
it runs the body's equations again with the parameters bound to the arguments, through the
builder, so arrays lower as in a statement; its new nodes get the same `f#k.` prefix.  All-
scalar calls of other bodies keep the template.  `f'(v)` of an array applies f' elementwise
when f is a function of a scalar (no array syntax in its body), as `tanh'(v)` does.

Derivatives.  `f'(x)` (any number of primes, for a one-argument function, user-defined or
built in: `tanh'(x)`) differentiates the template symbolically with gradcli.core.transform's
gradient() (the op table's rules emitting nodes): the derivative is a template too, built
once, replayed per call, exact, and its nodes are ordinary nodes (differentiable again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from gradcli.build.array_values import Array, paren, suffixes
from gradcli.build.arrays import array_call, uses_arrays
from gradcli.build.arrays import step as array_step
from gradcli.core.engine import Value, apply, lift, positions, reaching
from gradcli.core.errors import NameError_, UsageError
from gradcli.core.ops import ARRAY_FUNCTIONS, CONST, CONSTANTS, FUNCTIONS, INPUT, MATMUL
from gradcli.core.transform import MAX_ORDER, Builder, gradient
from gradcli.lang.definitions import Definition
from gradcli.lang.located import located
from gradcli.lang.program import CALL, INDEX, LIST, OP, SLICE, VAR, Program
from gradcli.lang.suggest import suggest

_name = partial(located, NameError_)  # a NameError_ pointing at the program


MAX_DEPTH = 200  # functions calling functions, nested deeper than this, are refused (no deep recursion)


# -- pass 1: names, scopes, arity -----------------------------------------------------------


def check(program: Program, bindings, statements: bool = True) -> None:
    """Every definition and every name clash, before anything is built (raises NameError_).
    statements=False: a program of definitions only is fine (the repl, a library)."""
    if statements and not program.stmts:
        first = next(iter(program.functions.values()))
        raise UsageError("the program only defines functions: add a statement that uses them",
                         hint=f"for example: y = {first.name}({', '.join('1.0' for _ in first.params)})")  # fmt: skip
    targets = {s.target: s for s in program.stmts if s.target is not None}
    depth: dict[str, int] = {}
    for d in program.functions.values():
        _check_name(program, d, targets, bindings)
        _check_params(program, d)
        depth[d.name] = _check_body(program, d, depth)


def _check_name(program: Program, d: Definition, targets: dict, bindings) -> None:
    where = (d.start, d.start + len(d.name))
    if d.name in FUNCTIONS or d.name in CONSTANTS:
        kind = "function" if d.name in FUNCTIONS else "constant"
        raise _name(program, f"'{d.name}' is a built-in {kind} and cannot be redefined", *where,
                    f"give your function another name, such as my_{d.name}")  # fmt: skip
    if d.name in targets:
        line, _ = program.position(targets[d.name].start)
        raise _name(program, f"'{d.name}' is both a function and a variable (assigned on line {line})", *where,
                    "a name is either a function or a variable: rename one of them")  # fmt: skip
    if d.name in bindings:
        raise _name(program, f"'{d.name}' is a function, so it cannot be given a value on the command line", *where,
                    f"remove {d.name}=... from the bindings")  # fmt: skip


def _check_params(program: Program, d: Definition) -> None:
    if not d.params:
        raise _name(program, f"{d.name}() has no parameters: a function needs at least one", d.start, d.end,
                    f"for a constant, assign it: {d.name} = ...")  # fmt: skip
    seen = set()
    for p, (start, end) in zip(d.params, d.spans):
        if p in seen:
            raise _name(program, f"parameter '{p}' appears twice in {d.signature()}", start, end,
                        "give each parameter its own name")  # fmt: skip
        seen.add(p)
        clash = "function" if p in FUNCTIONS or p in program.functions else ("constant" if p in CONSTANTS else None)
        if clash:
            raise _name(program, f"parameter '{p}' of {d.name} is named like the {clash} {p}", start, end,
                        f"rename the parameter, e.g. {p}_")  # fmt: skip


def _check_body(program: Program, d: Definition, depth: dict) -> int:
    """Free variables, calls (earlier functions only, so no recursion), arity; the nesting depth."""

    deepest = 0
    for kind, name, arg, start, end in program.code[d.lo : d.hi]:
        if kind == VAR and name not in d.params and name not in CONSTANTS:
            if name in FUNCTIONS or name in program.functions:
                raise _name(program, f"'{name}' is a function: call it as {name}(...)", start, end)
            raise _name(program, f"'{name}' is not a parameter of {d.name}: a body sees only its parameters, "
                        "pi, tau and earlier functions", start, end,
                        f"add it as a parameter: {d.name}({', '.join((*d.params, name))}) = ...")  # fmt: skip
        if kind == CALL and array_call(program, name, arg, start, end):
            continue  # sum(v), dot(u, v), max(v): gradcli.build.arrays lowers it
        if kind == CALL and name not in FUNCTIONS:
            callee = check_call(program, name, arg, start, end, inside=d)
            deepest = max(deepest, depth.get(callee, 0))
    if deepest + 1 > MAX_DEPTH:
        raise located(
            NameError_, program, f"{d.name} nests calls {deepest + 1} deep, more than {MAX_DEPTH}", d.start, d.end
        )
    return deepest + 1


def check_call(program: Program, fn: str, nargs: int, start: int, end: int, inside: Definition | None = None) -> str:
    """A call of a user function or a derivative (`f(a)`, `f'(a)`, `tanh''(a)`); returns the
    function's name.  `inside`: the definition whose body makes the call (None: a statement)."""
    base = fn.rstrip("'")
    order = len(fn) - len(base)
    here = (start, start + len(fn))
    if base in CONSTANTS:
        raise _name(program, f"'{base}' is a constant, not a function", *here)
    d = program.functions.get(base)
    if d is None and base not in FUNCTIONS:
        raise _name(program, f"unknown function '{base}'", *here, _suggestion(base, program))
    if d is not None and (d is inside or d.start > start):
        raise _order_error(program, d, inside, here)
    arity = len(d.params) if d is not None else FUNCTIONS[base].arity
    if order:
        _check_derivative(program, fn, (arity, nargs), here)
    elif nargs != arity:
        params = f" ({', '.join(d.params)})" if d is not None else ""
        raise located(
            NameError_, program, f"{base} takes {arity} argument{'s' * (arity != 1)}{params}, got {nargs}", start, end
        )
    return base


def _check_derivative(program, fn: str, counts: tuple[int, int], here: tuple) -> None:
    """f'(x) (any number of primes): f takes one argument, and so does the call.  counts: (f's
    arity, the call's argument count)."""
    (arity, nargs), base = counts, fn.rstrip("'")
    order = len(fn) - len(base)
    if arity != 1:
        raise _name(program, f"{fn}(...) differentiates a function of one argument, but {base} takes {arity}", *here,
                    "for several inputs, :grad and :hessian in the repl, or gradcli hessian / diff --wrt")  # fmt: skip
    if order > MAX_ORDER:
        raise _name(program, f"{fn}: derivatives of order above {MAX_ORDER} are not supported", *here)
    if nargs != 1:
        raise _name(program, f"{fn} takes 1 argument, got {nargs}", here[0], here[1])


def _order_error(program: Program, d: Definition, inside: Definition | None, here: tuple) -> NameError_:
    line = program.where(d.start)  # `line 3`, or `lib.grad:3:1` when several files are joined
    why = "a body may call only functions defined before it, so recursion, direct or mutual, cannot be written"
    if d is inside:
        return _name(program, f"{d.name} calls itself: there is no recursion", *here, why)
    if inside is not None:
        return _name(program, f"{inside.name} calls {d.name}, which is defined after it ({line})", *here,
                     f"define {d.name} before {inside.name} ({why})")  # fmt: skip
    return _name(program, f"'{d.name}' is called before its definition ({line})", *here,
                 "move the definition above its first use")  # fmt: skip


def _suggestion(name: str, program: Program) -> str | None:
    return suggest(name, [*FUNCTIONS, *program.functions])


# -- pass 2: calls build nodes ---------------------------------------------------------------


@dataclass(slots=True)
class Template:
    """A function's body built once on parameter leaves: nodes in creation order, the result,
    and `plan`, the replay as steps over slots (the parameters, then one slot a step):
    (None, value, label) makes a constant, (op, operand slots, label) applies an op."""

    params: list
    nodes: list
    output: object
    plan: list = field(default_factory=list)
    result: int = 0  # the slot of the output

    def __post_init__(self) -> None:
        slot = positions(self.params)
        plan = self.plan

        def slot_of(node) -> int:
            if id(node) not in slot:  # a constant the derivative builder made (not in `nodes`)
                slot[id(node)] = len(self.params) + len(plan)
                plan.append((None, node.data, node.label))
            return slot[id(node)]

        for node in self.nodes:
            if node.op is CONST:
                slot_of(node)
            elif node.op is not INPUT:
                operands = tuple(slot_of(a) for a in node.args)
                slot[id(node)] = len(self.params) + len(plan)
                plan.append((node.op, operands, node.label))
        self.result = slot_of(self.output)


def call(b, fn: str, args: tuple, start: int, end: int):
    """The builder's hook for a call of a user function or a derivative: replay its
    template with `args`, appending the nodes to the build `b`; returns the result node.
    A call with an array argument, or of a body whose value is an array, is expanded instead:
    the body's equations run again with the parameters bound to the arguments."""
    base = fn.rstrip("'")
    order = len(fn) - len(base)
    with_arrays = b.step is not None and not all(isinstance(a, Value) for a in args)  # no arrays: no scan
    if order and with_arrays:
        return _derivative_elementwise(b, fn, args[0], start, end)
    template = None if with_arrays else _template(b, base, order)
    if template is None and order:
        raise _name(b.program, f"{fn}(...): {base} returns an array, so it has no derivative {fn}", start, end,
                    "reduce it to a scalar (sum, mean, norm), or differentiate with eval's gradients")  # fmt: skip
    calls = b.calls
    calls[fn] = k = calls.get(fn, 0) + 1
    b.sites[f"{fn}#{k}"] = (b.program.text(start, end), b.program.position(start)[0])
    if template is None:
        return _expand(b, b.program.functions[base], args, f"{fn}#{k}.", start, end)
    return _replay(b, template, args, f"{fn}#{k}.", start, end)


def _expand(b, d: Definition, args: tuple, prefix: str, start: int, end: int):
    """The body's equations run with the parameters bound to `args` (arrays or scalars), through
    the builder, so arrays lower as in a statement; its new nodes are labelled `f#k.`."""
    first = len(b.nodes)
    scope = b.scope(dict(zip(d.params, args)))
    scope.step = array_step
    out = scope.evaluate(d)
    fresh = set()
    for node in b.nodes[first:]:
        fresh.add(id(node))
        if node.op is not CONST:
            node.label = prefix + node.label
    text = b.program.text(start, end)
    if out.__class__ is Array:  # its new elements read as the call's: f(x)[0], f(x)[1], ...
        base = paren(text)
        for node, suffix in zip(out.items, suffixes(out.shape)):
            if id(node) in fresh:
                node.label = base + suffix
    elif id(out) in fresh:
        out.label = text
    return out


def _derivative_elementwise(b, fn: str, x, start: int, end: int):
    """f'(v) for an array v: f' applied to each element (as tanh(v) is), for a function of a scalar."""
    base = fn.rstrip("'")
    order = len(fn) - len(base)
    d = b.program.functions.get(base)
    if d is not None and not _scalar_body(b.program, d):
        message = f"{fn}(...) of an array: {base}'s body uses arrays, so {fn} is not elementwise"
        raise located(
            NameError_, b.program, message, start, end, "differentiate a scalar output with eval's gradients instead"
        )
    template = _template(b, base, order)
    text, calls, items = paren(b.program.text(start, end)), b.calls, []
    for node, suffix in zip(x.items, suffixes(x.shape)):
        calls[fn] = k = calls.get(fn, 0) + 1
        out = _replay(b, template, (node,), f"{fn}#{k}.", start, end)
        if out is not node:
            out.label = text + suffix
        items.append(out)
    return Array(x.shape, items)


def _scalar_body(program: Program, d: Definition) -> bool:
    """Whether a body is a function of scalars: no literal, subscript, @ or array function in it
    (nor in the functions it calls)."""
    for kind, name, arg, _, _ in program.code[d.lo : d.hi]:
        if kind in (LIST, INDEX, SLICE) or (kind == OP and name == MATMUL):
            return False
        if kind == CALL:
            callee = program.functions.get(name.rstrip("'"))
            op = FUNCTIONS.get(name)
            if callee is not None and not _scalar_body(program, callee):
                return False
            if callee is None and name in ARRAY_FUNCTIONS and (op is None or op.arity != arg):
                return False
    return True


def _replay(b, t: Template, args: tuple, prefix: str, start: int, end: int):
    nodes, made = b.nodes, list(args)
    push = made.append
    for op, operands, label in t.plan:
        if op is None:
            node = lift(operands)
            node.label = label
            nodes.append(node)
            push(node)
        else:
            push(b.apply(op, [made[i] for i in operands], start, end, prefix + label))
    result = made[t.result]
    if t.result >= len(args):  # a body that is just a parameter returns the argument itself
        result.label = b.program.text(start, end)
    return result


def _template(b, base: str, order: int) -> Template | None:
    program = b.program
    d = program.functions.get(base)
    cache = d.templates if d is not None else program.templates  # tanh'(x): built once per program
    key = order if d is not None else (base, order)
    if key in cache:
        return cache[key]  # None: a body whose value is an array (every call expands it)
    if order == 0:
        t = _body(b, d) if d is not None else _builtin(base)
    else:
        below = _template(b, base, order - 1)
        t = _derivative(below) if below is not None else None
    cache[key] = t
    return t


def _body(b, d: Definition) -> Template:
    """The body on parameter leaves, through the builder (nested calls replay their templates)."""
    params = [Value(0.5, label=p) for p in d.params]  # values unused: every call recomputes
    scratch = b.scope(dict(zip(d.params, params)), nodes=[], allow_nonfinite=True)
    scratch.step = array_step if uses_arrays(b.program, {}) else None  # sum(v) of a scalar, [x, 2*x][0]
    out = scratch.evaluate(d)
    if not isinstance(out, Value):
        return None  # an array: not a template (calls expand the body)
    return Template(params, scratch.nodes, out)


def _builtin(base: str) -> Template:
    x = Value(0.5, label="x")
    out = apply(FUNCTIONS[base], x, label=f"{base}(x)", allow_nonfinite=True)
    return Template([x], [out], out)


def _derivative(t: Template) -> Template:
    """d result / d parameter of a one-parameter template, as a template (exact, symbolic)."""
    builder = Builder()
    (d,) = gradient(t.nodes, t.output, t.params, builder)
    nodes = [n for n in reaching([*t.nodes, *builder.nodes], d) if n.op is not INPUT]
    return Template(t.params, nodes, d)
