"""How a node is written: a number as JSON and as short text, a formula in the language's syntax."""

from __future__ import annotations

import re
from collections.abc import Sequence

from gradcli.core.brackets import CLOSE, levels
from gradcli.core.ops import Op


def number(x: float) -> float | str:
    """A JSON-safe number: non-finite values become the strings "NaN", "Infinity", "-Infinity"."""
    if x - x == 0.0:
        return x
    if x != x:
        return "NaN"
    return "Infinity" if x > 0 else "-Infinity"


def undefined_or_infinite(x: float) -> str:
    """How a non-finite value reads in an error message: NaN is "undefined", ±inf "infinite"."""
    return "undefined" if x != x else "infinite"


def fmt(x: float) -> str:
    """Shortest round-trip text of a float, without a trailing '.0'."""
    text = repr(x)
    return text[:-2] if text.endswith(".0") else text


def describe(op: Op, names: Sequence[str]) -> str:
    """The formula of a node in the language's own syntax: `a*b`, `-a`, `tanh(a)`,
    `(a+b)*c` (compound operands of operators are parenthesized)."""
    if op.symbol and len(names) == 2:
        space = " " if op.precedence <= 2 else ""  # comparisons: `x > 0`
        return f"{_operand(names[0])}{space}{op.symbol}{space}{_operand(names[1])}"
    if op.syntax == "operator":
        return f"{op.symbol}{_operand(names[0])}" if op.name == "neg" else names[0]
    return f"{op.name}({', '.join(names)})"


_ELEMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\[[0-9, ]+\]")


def _operand(text: str) -> str:
    """`text` as it must be written as an operand: parenthesized unless it is atomic
    (a name, a number, #id, a call or already in parentheses)."""
    if text.replace("_", "").replace("#", "").isalnum() or _ELEMENT.fullmatch(text):
        return text  # a name, #id, or an array element such as W[0,1]
    try:
        return text if float(text) >= 0 else f"({text})"
    except ValueError:
        pass
    head = text.find("(")
    if head < 0 or not text.endswith(")") or not (head == 0 or text[:head].replace("_", "").isalnum()):
        return f"({text})"
    for i, ch, depth in levels(text, head):
        if ch in CLOSE and depth == 0 and i != len(text) - 1:
            return f"({text})"  # `f(a)+g(b)`: the first call closes early
    return text
