"""`gradcli taylor`: the Taylor coefficients c_k = f^(k)(x0) / k! of the output in one input.

Each derivative is exact: the derivative transform (gradcli.core.transform) applied k times,
as `gradcli diff --order k` builds it (gradcli.analysis.diff.nth_derivative), evaluated at the
point; the other inputs stay at their bindings.  `polynomial` writes the coefficients back as a
gradcli program in that input (`--to gradcli`), or as a function in another of diff's targets
(the same program, printed by analysis/diff.value_code).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from gradcli.analysis.diff import derivative_name, identifier, nth_derivative, require_finite, value_code
from gradcli.build.graph import Graph
from gradcli.core.code_names import check_target
from gradcli.core.errors import MathError
from gradcli.core.formula import fmt, undefined_or_infinite
from gradcli.core.transform import check_order

DEFAULT_ORDER = 5


class Taylor(NamedTuple):
    """The output's Taylor coefficients in `wrt` at the point `at` (every input's value)."""

    output: str
    wrt: str
    at: dict[str, float]
    derivatives: list[float]  # f^(k)(x0), k = 0..order
    coefficients: list[float]  # f^(k)(x0) / k!
    warnings: tuple[str, ...] = ()  # a piecewise op at its switch point (the series is one branch's)

    @property
    def x0(self) -> float:
        return self.at[self.wrt]


def taylor(graph: Graph, wrt: str, order: int = DEFAULT_ORDER, allow_nonfinite: bool = False) -> Taylor:
    """c_0..c_order of the graph's output in the input `wrt` (UsageError: not an input, or an order
    outside 1..MAX_ORDER; MathError: a derivative that is not finite, unless allow_nonfinite)."""
    check_order(order)
    derivatives = [graph.output.data]
    for k in range(1, order + 1):
        builder, target = nth_derivative(graph, wrt, k)
        if not allow_nonfinite:
            try:
                require_finite(graph, builder, target, derivative_name(graph.output_name, wrt, k))
            except MathError as exc:
                raise MathError(exc.message, hint="--allow-nonfinite shows the coefficients anyway") from None
        derivatives.append(target.data)
    coefficients = [d / math.factorial(k) for k, d in enumerate(derivatives)]
    at = {name: v.data for name, v in graph.inputs.items()}
    return Taylor(graph.output_name, wrt, at, derivatives, coefficients, _kinks(graph, wrt))


def _kinks(graph: Graph, wrt: str) -> tuple[str, ...]:
    """A warning for each piecewise op (abs, relu, max, where...) that `wrt` moves and that sits
    exactly on its switch point: f is not smooth there, so its derivatives are one branch's and
    the polynomial does not follow f on the other side (as check's "[1] a piecewise op ...")."""
    from gradcli.analysis.probe import Probe, branches
    from gradcli.core.engine import positions

    probe = Probe(graph, graph.inputs[wrt], {id(n) for n in graph.nodes}, positions(graph.nodes))
    if not probe.reaches:
        return ()
    x0 = fmt(graph.inputs[wrt].data)
    return tuple(
        f"{node.op.name} ({node.label or 'a piecewise op'}) is at its switch point at {wrt} = {x0}: "
        "f is not smooth there, so these derivatives are one branch's and the polynomial does not "
        "follow f on the other side"
        for node, side in zip(probe.switches, branches(probe.switches))
        if side == 0
    )


def polynomial(t: Taylor, target: str = "gradcli") -> str:
    """The Taylor polynomial as a program: `x = x0` (the input, its value a default a binding
    overrides), then `y_taylor = c0 + c1*(x - x0) + c2*(x - x0)**2 + ...` (zero terms left out;
    each coefficient's shortest round-trip text, so the program's numbers are the coefficients);
    in another target, that program as a function y_taylor(x=x0)."""
    check_target(target)
    text = _program(t)
    if target == "gradcli":
        return text
    from gradcli.build.standard import build
    from gradcli.lang.parser import parse

    g = build(parse(text), {}, None)
    if g.output_name in g.inputs:  # `y_taylor = c0` alone would read as an input: the constant in x
        g = build(parse(text.rstrip("\n") + f" + 0*{identifier(t.wrt)}\n"), {}, None)
    return value_code(g, target)


def _program(t: Taylor) -> str:
    x, x0 = identifier(t.wrt), t.x0
    name = f"{identifier(t.output) or 'y'}_taylor"
    base = x if x0 == 0 else f"({x} - {fmt(x0)})" if x0 > 0 else f"({x} + {fmt(-x0)})"
    terms = []
    for k, c in enumerate(t.coefficients):
        if not math.isfinite(c):
            what = undefined_or_infinite(c)
            raise MathError(f"c_{k} is {what}: the polynomial cannot be written as a program")
        if c == 0:
            continue
        power = "" if k == 0 else base if k == 1 else f"{base}**{k}"
        magnitude = fmt(abs(c))
        text = magnitude if k == 0 else power if abs(c) == 1 else f"{magnitude}*{power}"
        terms.append(("-" if c < 0 else "+", text))
    if not terms:
        return f"{x} = {fmt(x0)}\n{name} = 0\n"
    body = ("-" if terms[0][0] == "-" else "") + terms[0][1]
    body += "".join(f" {sign} {text}" for sign, text in terms[1:])
    return f"{x} = {fmt(x0)}\n{name} = {body}\n"
