"""`gradcli diff`: the nth derivative of a program with respect to one input, as a program.

The derivative is built by the derivative transform (gradcli.core.transform), once per order,
then printed back as gradcli statements: the inputs with their values as defaults, the
forward statements it needs, then the derivative's, each sub-expression used more than once
given a name.
"""

from __future__ import annotations

import math

from gradcli.analysis.code_gradcli import gradcli_program
from gradcli.analysis.code_listing import Emission, identifier, listing
from gradcli.build.graph import Graph
from gradcli.core.code_names import check_target
from gradcli.core.engine import Value, reaching
from gradcli.core.errors import MathError, UsageError
from gradcli.core.formula import undefined_or_infinite
from gradcli.core.ops import CONSTANTS, FUNCTIONS
from gradcli.core.transform import Builder, check_order, gradient
from gradcli.lang.program import VAR, Program


def nth_derivative(graph: Graph, wrt: str, order: int = 1) -> tuple[Builder, Value]:
    """d^order output / d wrt^order as a node (with the builder holding the nodes it made)."""
    _known(graph, wrt)
    check_order(order)
    P = Builder()
    x = graph.inputs[wrt]
    target = graph.output
    for _ in range(order):
        (target,) = gradient(graph.nodes + P.nodes, target, [x], P)
    return P, target


def derivative_groups(graph: Graph, wrt: list[str] | None, order: int = 1):
    """The derivatives `diff` prints, named, built by one builder: d^order/d wrt^order for one
    input; for several (None: every input, in eval's `gradients` order) the gradient (order 1),
    or at order 2 [the gradient, the Hessian's upper triangle row-major], each entry as `gradcli
    hessian` computes it: the row's gradient differentiated, mixed partials averaged."""
    P, groups = _derivative_groups(graph, wrt, order)
    return P, _apart(graph, groups)


def _apart(graph: Graph, groups: list[list[tuple[str, Value]]]) -> list[list[tuple[str, Value]]]:
    """The derivatives' names kept apart from the inputs' (a derivative dy_dx would overwrite an
    input dy_dx before a later statement reads it) and from each other (inputs x, dz, xd, z make
    d2y_dxddz twice): a trailing _ on a name already taken."""
    taken = set(graph.inputs) | {identifier(k) for k in graph.inputs}
    apart = []
    for group in groups:
        named = []
        for name, node in group:
            while name in taken:
                name += "_"
            taken.add(name)
            named.append((name, node))
        apart.append(named)
    return apart


def _derivative_groups(graph: Graph, wrt: list[str] | None, order: int):
    if wrt is not None and len(wrt) == 1:
        P, target = nth_derivative(graph, wrt[0], order)
        return P, [[(derivative_name(graph.output_name, wrt[0], order), target)]]
    check_order(order)
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
    named = [(derivative_name(graph.output_name, n, 1), g) for n, g in zip(names, grads)]
    if order == 1:
        return P, [named]
    rows = [gradient(graph.nodes + P.nodes, g, xs, P) for g in grads]
    entries = []
    for i, a in enumerate(names):
        entries.append((derivative_name(graph.output_name, a, 2), rows[i][i]))
        for j in range(i + 1, len(names)):
            h, k = rows[i][j], rows[j][i]  # as gradcli hessian symmetrizes (0.5*(h + h) is h, short of overflow)
            mixed = h if h is k else P.mul(0.5, P.add(h, k)).node
            entries.append((f"d2{out}_d{identifier(a)}d{identifier(names[j])}", mixed))
    return P, [named, entries]


def code(graph: Graph, wrt: list[str] | None, order: int, parameters=(), to: str = "gradcli", built=None) -> str:
    """The derivatives as code in the target language `to` (TARGETS): gradcli, a program
    (the derivatives only); the others, one function returning the value and the derivatives,
    printed from one straight-line body (analysis/code_listing.py) by the target's printer.
    `built`: derivative_groups(graph, wrt, order) when the caller has it already."""
    check_target(to)
    P, groups = built or derivative_groups(graph, wrt, order)
    if to == "gradcli":
        return program_of(graph, P, groups[-1], parameters)
    rename, printer = _printer(to)
    value = rename(identifier(graph.output_name) or "y")
    groups = [[(rename(n), t) for n, t in group] for group in groups]
    targets = [(value, graph.output)] + [item for group in groups for item in group]
    several = wrt is None or len(wrt) > 1
    suffix = "grad" if order == 1 else ("hessian" if several else f"d{order}")
    names = tuple(tuple(n for n, _ in group) for group in groups)
    emission = Emission(value, suffix, names, order > 1 and not several, tuple(wrt or graph.inputs), order)
    return printer(listing(graph, P, targets, parameters, rename), emission)


def value_code(graph: Graph, to: str) -> str:
    """The program's output alone as a function in the target `to` (not gradcli), named after
    it, its inputs with their values as defaults: taylor's polynomial in another language (the
    header names gradcli taylor, its only user)."""
    rename, printer = _printer(to)
    value = rename(identifier(graph.output_name) or "y")
    steps = listing(graph, Builder(), [(value, graph.output)], (), rename)
    return printer(steps, Emission(value, "", (), command="gradcli taylor"))


def _printer(to: str):
    """A code target's (rename, print): rename maps a name to one the language accepts;
    print(listing, emission) writes the function."""
    if to == "c":
        from gradcli.analysis.code_c import c_code, rename

        return rename, c_code
    if to == "javascript":
        from gradcli.analysis.code_js import js_code, rename

        return rename, js_code
    if to == "latex":
        from gradcli.analysis.code_latex import latex_code, rename

        return rename, latex_code
    from gradcli.analysis.code_python import python_code, rename

    return rename, lambda steps, emission: python_code(steps, emission, numpy=to == "numpy")


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
    return gradcli_program(listing(graph, P, derivatives, parameters))
