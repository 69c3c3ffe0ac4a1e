"""Correlations declared in a program (GUM 5.2): `corr(a, b) = 0.5`, beside `a = 1 ± 0.1`.

The statement has a definition's shape (a call, then '='), so the parser's `define` rule reads
it and hands it here when the name is `corr`: `corr` is not a function one can define.  It is
kept beside the statements (`Program.correlations`) with its coefficient's equations
`code[lo:hi]`, a constant expression like the right side of `±`.  What the names and the value
must satisfy (inputs with an uncertainty, |r| <= 1) is checked when the graph is built
(gradcli.build.uncertain), and the session adds them to `--corr`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from gradcli.core.errors import SyntaxError_
from gradcli.core.ops import CONSTANTS
from gradcli.lang.located import located
from gradcli.lang.program import END, KIND, NAME, START, VAR

CORR = "corr"  # the statement's name


@dataclass(slots=True)
class Correlation:
    """`corr(a, b) = r`: the correlation coefficient of inputs a and b is code[lo:hi]."""

    names: tuple[str, str]
    spans: tuple[tuple[int, int], tuple[int, int]]  # each name's (start, end) in the source
    lo: int
    hi: int
    start: int  # of the statement (the word corr) ...
    end: int  # ... to the end of r
    value_start: int  # where r's expression starts


def declare(source: str, code: list, correlations: list, lo: int, children: list) -> None:
    """The parser's callback for `corr ( a , b ) = r` (children: the NAME token, '(', the
    arguments' spans, ')', the value's span): two plain names, then a constant expression."""
    name, args, value = children[0], children[2:-2], children[-1]
    if len(args) != 2:
        end = children[-2][3]
        raise _error(source, f"corr(...) names two inputs, got {len(args)}", name[2], end, "write corr(a, b) = 0.5")
    names, k = [], lo
    for start, end in args:
        entry = code[k]
        if entry[KIND] != VAR or (entry[START], entry[END]) != (start, end) or entry[NAME] in CONSTANTS:
            raise _error(source, "corr(...) takes the names of two inputs", start, end, "write corr(a, b) = 0.5")
        names.append(entry[NAME])
        k += 1
    for kind, text, _, start, end in code[k:]:
        if kind == VAR and text not in CONSTANTS:
            raise _error(source, f"a correlation must be a constant expression, but '{text}' is a name", start, end,
                         "write corr(a, b) = 0.5")  # fmt: skip
    spans = (args[0], args[1])
    correlations.append(Correlation((names[0], names[1]), spans, k, len(code), name[2], value[1], value[0]))


def moved(c: Correlation, base: int, offset: int) -> Correlation:
    """The same declaration in a joined program: equations shifted by `base`, text by `offset`."""
    spans = tuple((s + offset, e + offset) for s, e in c.spans)
    lo, hi, start, end, value_start = c.lo + base, c.hi + base, c.start + offset, c.end + offset, c.value_start + offset
    return replace(c, spans=spans, lo=lo, hi=hi, start=start, end=end, value_start=value_start)


def _error(source: str, message: str, start: int, end: int, hint: str) -> SyntaxError_:
    return located(SyntaxError_, source, message, start, end, hint)
