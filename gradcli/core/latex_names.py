"""Each op of the op table (core/ops.py) as `diff --to latex` writes it: a template over the
operands' texts {0}, {1}, {2}, the precedence of what it writes (9: atomic — a name, a number,
anything closed by braces, brackets or \\right), and the least precedence each operand may have
where the template places it bare (a lower one is wrapped in \\left( \\right)).

The operators follow the usual reading: a + b, a - b, a \\cdot b, -a, \\frac{a}{b}, a^{b}.  A
function's operands sit inside \\left( \\right), braces or bars, so any operand goes in as it is.
Comparisons are Iverson brackets, [a < b] (1 where true, 0 where false, as gradcli computes
them); where(c, a, b) a `cases` block,
parenthesized as an operand of an operator.  tests/test_codegen_latex.py checks that every op has one.
"""

from __future__ import annotations

from typing import NamedTuple

from gradcli.core.ops import OPS, Op


class Latex(NamedTuple):
    template: str
    precedence: int = 9
    least: tuple[int, ...] = ()  # per operand: the precedence it needs to stand bare (0: any)
    juxtapose: bool = False  # a number first is written beside its operand: 2 x, not 2 \cdot x
    condition: bool = False  # operand 0 is a condition: written as a relation (a < b, or c \neq 0)


def _call(name: str, arity: int = 1) -> Latex:
    """A named function: \\sin\\left(x\\right), \\operatorname{sech}\\left(x\\right)."""
    head = name if name.startswith("\\") else r"\operatorname{{" + name + "}}"  # braces doubled: a template
    args = ", ".join(f"{{{i}}}" for i in range(arity))
    return Latex(rf"{head}\left({args}\right)")


def _iverson(relation: str) -> Latex:
    return Latex(rf"\left[{{0}} {relation} {{1}}\right]")


_BY_NAME: dict[str, Latex] = {
    "add": Latex("{0} + {1}", 4, (4, 5)),
    "sub": Latex("{0} - {1}", 4, (4, 5)),
    "mul": Latex(r"{0} \cdot {1}", 5, (5, 6), juxtapose=True),
    "div": Latex(r"\frac{{{0}}}{{{1}}}"),
    "neg": Latex("-{0}", 6, (5,)),
    "id": Latex("{0}", 9, (0,)),
    "pow": Latex("{0}^{{{1}}}", 7, (9, 0)),  # the base atomic: (a + b)^{2}, never a^{b}^{c}
    "exp": _call(r"\exp"),
    "log": _call(r"\ln"),
    "sqrt": Latex(r"\sqrt{{{0}}}"),
    "abs": Latex(r"\left|{0}\right|"),
    "sin": _call(r"\sin"),
    "cos": _call(r"\cos"),
    "tan": _call(r"\tan"),
    "asin": _call(r"\arcsin"),
    "acos": _call(r"\arccos"),
    "atan": _call(r"\arctan"),
    "sinh": _call(r"\sinh"),
    "cosh": _call(r"\cosh"),
    "sech": _call("sech"),
    "tanh": _call(r"\tanh"),
    "sigmoid": _call("sigmoid"),
    "relu": _call("relu"),
    "softplus": _call("softplus"),
    "min": _call(r"\min", 2),
    "max": _call(r"\max", 2),
    "erf": _call("erf"),
    "erfc": _call("erfc"),
    "log10": _call(r"\log_{{10}}"),
    "log2": _call(r"\log_{{2}}"),
    "log1p": Latex(r"\ln\left(1 + {0}\right)"),
    "expm1": Latex(r"\left(\exp\left({0}\right) - 1\right)"),
    "atan2": _call("atan2", 2),
    "hypot": _call("hypot", 2),
    "cbrt": Latex(r"\sqrt[3]{{{0}}}"),
    "floor": Latex(r"\left\lfloor {0} \right\rfloor"),
    "ceil": Latex(r"\left\lceil {0} \right\rceil"),
    "round": _call("round"),  # half to even
    "sign": _call("sgn"),
    "lt": _iverson("<"),
    "le": _iverson(r"\leq"),
    "gt": _iverson(">"),
    "ge": _iverson(r"\geq"),
    "eq": _iverson("="),
    "ne": _iverson(r"\neq"),
    "where": Latex(
        r"\begin{{cases}} {1} & \text{{if }} {0} \\ {2} & \text{{otherwise}} \end{{cases}}", 3, condition=True
    ),
}

LATEX: dict[Op, Latex] = {op: _BY_NAME[op.name] for op in OPS if op.name in _BY_NAME}


def latex(op: Op) -> Latex:
    """op's LaTeX (an op given another derivative rule, ops.with_rule, is written as its own)."""
    return _BY_NAME[op.name]
