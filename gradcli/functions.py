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

Derivatives.  `f'(x)` (any number of primes, for a one-argument function, user-defined or
built in: `tanh'(x)`) differentiates the template symbolically with gradcli.derivative's
gradient() (the op table's rules emitting nodes): the derivative is a template too, built
once, replayed per call, exact, and its nodes are ordinary nodes (differentiable again).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import SyntaxError_
from .program import END, KIND, NAME, START, VAR, line_column, line_starts

MAX_ORDER = 10  # as gradcli.derivative's: beyond this, expressions swell past anything readable
MAX_DEPTH = 200  # functions calling functions, nested deeper than this, are refused (no deep recursion)


@dataclass(slots=True)
class Definition:
    """`name(params) = body`: the body's equations are code[lo:hi]."""

    name: str
    params: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]  # each parameter's (start, end) in the source
    lo: int
    hi: int
    start: int  # of the definition (its name)
    end: int
    templates: dict = field(default_factory=dict, repr=False, compare=False)  # order -> Template, built once

    def signature(self) -> str:
        return f"{self.name}({', '.join(self.params)})"


# -- parsing: the grammar's `define` rule -------------------------------------------------------


def define(source: str, code: list, functions: dict, lo: int, name: tuple, args: list, body: tuple) -> None:
    """The parser's callback for `NAME ( args ) = expr`: the arguments were parsed as a call's
    (code[lo:...]); each must be a plain name.  Records the Definition in `functions`."""
    params, spans, k = [], [], lo
    for start, end in args:
        entry = code[k] if k < len(code) else None
        if entry is None or entry[KIND] != VAR or (entry[START], entry[END]) != (start, end):
            raise _syntax(source, "a function's parameters must be names", start, end,
                          f"write {name[1]}(x) = ... and use x in the body")  # fmt: skip
        params.append(entry[NAME])
        spans.append((start, end))
        k += 1
    if name[1] in functions:
        line, _ = line_column(line_starts(source), functions[name[1]].start)
        raise _syntax(source, f"'{name[1]}' is already defined (line {line})", name[2], name[3],
                      "give the new function another name")  # fmt: skip
    functions[name[1]] = Definition(name[1], tuple(params), tuple(spans), k, len(code), name[2], body[1])


def _syntax(source: str, message: str, start: int, end: int, hint: str | None = None) -> SyntaxError_:
    line, column = line_column(line_starts(source), start)
    return SyntaxError_(message, line=line, column=column, end_column=column + max(end - start, 1), hint=hint)
