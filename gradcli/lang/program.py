"""The parsed program: statements over one flat list of equations, with source positions.

The parser emits each expression in postfix order, as the LALR parser reduces it, so a
program is already a Wengert list: `code` holds one equation (an `Eq`) per leaf or operation,

    Eq(NUM, text, value, start, end)    a number written in the program (eq.value)
    Eq(VAR, name, 0, start, end)        a name's current value (or pi, tau)
    Eq(OP, op_name, n, start, end)      an operator (a+b, -a, a**b) applied to the n values before it (eq.count)
    Eq(CALL, fn_name, n, start, end)    a function call as written (checked against the op table)

and a statement is a slice `code[lo:hi]` whose entries leave one value, assigned to
`target` (or, for the last statement, the output).  Positions are character offsets into
`source`; `Program.position` turns one into a 1-based (line, column).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import NamedTuple

NUM, VAR, OP, CALL = "num", "var", "op", "call"
# Arrays (gradcli.build.arrays): (LIST, None, n, ...) makes an array of the n values before it;
# (SLICE, None, parts, ...) a slice start:stop:step of the values before it (parts: bits 1 start,
# 2 stop, 4 step, for the ones written); (INDEX, None, n, ...) indexes the value before its n subscripts.
LIST, INDEX, SLICE = "list", "index", "slice"
KIND, NAME, ARG, START, END = range(5)  # positions of Eq's fields, for code that indexes


class Eq(NamedTuple):
    """One equation of a statement's postfix code, as the parser emits it."""

    kind: str  # NUM VAR OP CALL LIST INDEX SLICE
    name: str | None  # a number's text, a variable's name, an op's or a function's name
    arg: float | int  # read it through `value` (NUM) or `count` (the others); VAR: 0
    start: int  # its span in the source
    end: int

    @property
    def value(self) -> float:
        """A number's value (NUM)."""
        return self.arg

    @property
    def count(self) -> int:
        """How many values before it this equation takes (OP, CALL, LIST, INDEX), or which parts
        of start:stop:step are written (SLICE: bits 1, 2, 4)."""
        return self.arg


def line_starts(source: str) -> list[int]:
    return [0] + [i + 1 for i, ch in enumerate(source) if ch == "\n"]


def line_column(starts: list[int], offset: int) -> tuple[int, int]:
    """(line, column), 1-based, of a character offset, given `line_starts(source)`."""
    line = bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


@dataclass(slots=True)
class Stmt:
    target: str | None  # None for a bare expression
    aug: str | None  # "add", "sub", "mul", "div" for += -= *= /=
    lo: int  # its equations are code[lo:hi]
    hi: int
    start: int  # of the statement (its target, or its expression)
    end: int
    # `L = 1.0 ± 0.1`: (lo, hi, start, end) of the uncertainty's equations code[lo:hi] (after
    # the value's code[self.lo:self.hi]) and its text span; read by gradcli.build.uncertain.
    uncertainty: tuple[int, int, int, int] | None = None


@dataclass
class Program:
    source: str
    stmts: list[Stmt]
    code: list[tuple] = field(default_factory=list)
    functions: dict = field(default_factory=dict)  # name -> gradcli.lang.definitions.Definition, in order
    correlations: list = field(default_factory=list)  # `corr(a, b) = r`: gradcli.lang.correlations.Correlation
    array_calls: bool = False  # pass 1 saw sum(x), max(x), ... (gradcli.build.arrays)
    templates: dict = field(default_factory=dict, repr=False)  # built-in f'(x) templates, built once (build.functions)
    # Several files joined (`-f lib.grad -f main.grad`, lang.definitions.join): (path, offset where
    # its text starts) per file, so a message can name the file of a second position (`where`).
    origins: tuple[tuple[str, int], ...] = ()
    _line_starts: list[int] = field(default_factory=list, repr=False)

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column), 1-based, of a character offset."""
        if not self._line_starts:
            self._line_starts = line_starts(self.source)
        return line_column(self._line_starts, offset)

    def where(self, offset: int) -> str:
        """An offset as a reader finds it: `lib.grad:3:1` in a file of a joined program, else
        `line 3` (an error's caret shows one position; this names another, in its message)."""
        line, column = self.position(offset)
        for path, start in reversed(self.origins):
            if start <= offset:
                return f"{path}:{line - self.position(start)[0] + 1}:{column}"
        return f"line {line}"

    def text(self, start: int, end: int, limit: int = 60) -> str:
        """Source text of a span, shortened in the middle when longer than `limit`."""
        if end - start <= limit:
            return " ".join(self.source[start:end].split())
        half = (limit - 5) // 2
        head = " ".join(self.source[start : start + half].split())
        tail = " ".join(self.source[end - half : end].split())
        return f"{head} ... {tail}"
