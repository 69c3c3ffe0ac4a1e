"""The parsed program: a list of statements over expression trees, with source positions.

This is what the parser produces and the interpreter consumes; it knows nothing of lark.
Positions are character offsets into `Program.source`; `Program.position` turns one into
a (line, column) pair, both 1-based, for error messages.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field


@dataclass(slots=True)
class Num:
    value: float
    start: int
    end: int


@dataclass(slots=True)
class Var:
    name: str
    start: int
    end: int


@dataclass(slots=True)
class Call:
    """An operation: `fn` is an op name (`add`, `neg`, ...) for operator syntax, or the name
    the user wrote for a function call (checked against the op table by the interpreter)."""

    fn: str
    args: tuple
    start: int
    end: int
    operator: bool = False  # written as an operator (a+b) rather than a call (add(a, b))


Expr = Num | Var | Call


@dataclass(slots=True)
class Stmt:
    target: str | None  # None for a bare expression
    aug: str | None  # "add", "sub", "mul", "div" for += -= *= /=
    expr: Expr
    start: int  # of the statement (its target, or its expression)
    end: int


@dataclass
class Program:
    source: str
    stmts: list[Stmt]
    _line_starts: list[int] = field(default_factory=list, repr=False)

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column), 1-based, of a character offset."""
        if not self._line_starts:
            self._line_starts = [0] + [i + 1 for i, ch in enumerate(self.source) if ch == "\n"]
        line = bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def text(self, start: int, end: int, limit: int = 60) -> str:
        """Source text of a span, shortened in the middle when longer than `limit`."""
        if end - start <= limit:
            return " ".join(self.source[start:end].split())
        half = (limit - 5) // 2
        head = " ".join(self.source[start : start + half].split())
        tail = " ".join(self.source[end - half : end].split())
        return f"{head} ... {tail}"
