"""`diff --to gradcli` (the default): the straight-line program (analysis/code_listing.py) as
gradcli statements: the inputs with their values as defaults (a parameter has none), then the
body, then a statement `name = ...` per derivative, the last one last."""

from __future__ import annotations

import math

from gradcli.analysis.code_listing import Listing, Operand
from gradcli.core.errors import MathError
from gradcli.core.formula import fmt

Text = tuple[str, int]  # an expression and its precedence (9: a name, a call, a number)


def number(x: float) -> Text:
    if not math.isfinite(x):
        raise MathError(f"the derivative contains the non-finite constant {fmt(x)}: it cannot be written as a program")
    return fmt(x), (6 if x < 0 or (x == 0 and math.copysign(1, x) < 0) else 9)


def literal(x: float) -> Text:
    """A number as Python and C write it (the float's repr), refused as `number` refuses it."""
    return repr(float(x)), number(x)[1]


def infix(op, args: list[Text], positive_first: bool) -> Text:
    """An operator's formula from its operands' texts, parenthesized by precedence (the
    language's, which Python's and C's +, -, *, / and unary minus share)."""

    def arg(t: Text, need: int) -> str:
        return t[0] if t[1] >= need else f"({t[0]})"

    if op.name == "id":
        return args[0]
    if op.name == "neg":  # -a*b and -a/b read as (-a)*b: the same number, so no parentheses
        inner = arg(args[0], 5)
        return (f"-({inner})" if inner.startswith("-") else f"-{inner}"), 6
    if positive_first:
        args = [args[1], args[0]]  # a positive number first: 2*t3, not t3*2 (the same product)
    p = op.precedence
    left, right = (8, 6) if op.name == "pow" else ((p + 1, p + 1) if p <= 2 else (p, p + 1))
    space = " " if p <= 4 else ""
    second = arg(args[1], right)
    if second.startswith("-"):  # a - (-b), x*(-2): never two signs in a row
        second = f"({second})"
    return f"{arg(args[0], left)}{space}{op.symbol}{space}{second}", p


def swap(op, args: tuple[Operand, ...]) -> bool:
    """mul(t3, 2) is written 2*t3: a positive number second, a non-number first."""
    return op.name == "mul" and isinstance(args[1], float) and not isinstance(args[0], float) and number(args[1])[1] > 6


def expressions(listing: Listing, num, spell) -> tuple[list[tuple[str, str]], dict]:
    """The body's statements [(name, text)] and every operand's text: `num(x)` a number's,
    `spell(step, arg_texts)` a step's, each a (text, precedence)."""
    text: dict = {}

    def of(a: Operand) -> Text:
        if isinstance(a, float):
            return num(a)
        return (a, 9) if isinstance(a, str) else text[a]

    lines = []
    for step in listing.steps:
        expr = spell(step, [of(a) for a in step.args])
        if step.name is None:
            text[step.key] = expr
        else:
            lines.append((step.name, expr[0]))
            text[step.key] = (step.name, 9)
    results = [(name, of(a)[0]) for name, a in listing.targets]
    return lines + [(n, t) for n, t in results if n != t], text


def gradcli_program(listing: Listing) -> str:
    def spell(step, args: list[Text]) -> Text:
        op = step.op
        if op.symbol and len(args) == 2 or op.syntax == "operator":
            return infix(op, args, swap(op, step.args))
        return f"{op.name}({', '.join(a[0] for a in args)})", 9

    lines = [f"{i.name} = {fmt(i.value)}" for i in listing.inputs if i.needed and not i.parameter]
    body, _ = expressions(listing, number, spell)
    return "\n".join(lines + [f"{n} = {t}" for n, t in body]) + "\n"
