"""minimize's `--subject-to 'EXPR <= EXPR'` and `--bounds NAME=LO:HI`, read in gradcli's own language.

A constraint is one comparison, `<=`, `>=` or `==`, between two expressions over the program's
names.  It becomes a statement appended to the program, `subject_to_1 = (B) - (A)` for `A <= B`
and `A == B`, `(A) - (B)` for `A >= B`: a node of the same graph whose exact gradient is the
constraint's Jacobian row, and which is >= 0 (or == 0) where the constraint holds.

A bound is NAME=LO:HI (either side may be empty: no bound), NAME a scalar input, an array input
(every element) or one element (`w[0]`); LO and HI are numbers as a program writes them (`1e-3`;
`-inf`, `inf` or an empty side: no bound).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from gradcli.core.errors import GradcliError, UsageError

_SPELLED = {"inf": "Infinity", "-inf": "-Infinity", "+inf": "Infinity"}
_OPEN, _CLOSE = ("LPAR", "LSQB", "LBRACE"), ("RPAR", "RSQB", "RBRACE")


class Constraint(NamedTuple):
    text: str  # as the user wrote it, for messages and the `active` list
    equality: bool
    statement: str  # `name = (B) - (A)`: >= 0 (== 0) where the constraint holds
    name: str


def parse_constraint(text: str, name: str) -> Constraint:
    """One --subject-to text as a Constraint whose statement assigns `name`; UsageError when it is
    not one comparison <=, >= or == between two expressions."""
    from gradcli.lang.parser import parse, tokenize

    where = f"--subject-to {text!r}"
    try:
        tokens = tokenize(text)
        parse(text)
    except GradcliError as exc:
        raise UsageError(f"{where}: {exc.message}", hint=exc.hint) from None
    depth, found = 0, []
    for kind, value, start, end in tokens:
        depth += kind in _OPEN
        depth -= kind in _CLOSE
        if kind == "COMPARE" and depth == 0:
            found.append((value, start, end))
    example = "e.g. --subject-to 'x + y <= 1', 'x*y >= 0.5', 'x**2 + y**2 == 1'"
    if len(found) != 1:
        raise UsageError(f"{where}: a constraint is one comparison <=, >= or == of two expressions", hint=example)
    op, start, end = found[0]
    if op not in ("<=", ">=", "=="):
        better = {"<": "<=", ">": ">="}.get(op)
        hint = f"write {better}: a minimum on an open set's edge is not attained" if better else example
        raise UsageError(f"{where}: {op} is not a constraint: use <=, >= or ==", hint=hint)
    left, right = text[:start].strip(), text[end:].strip()
    big, small = (left, right) if op == ">=" else (right, left)
    return Constraint(text.strip(), op == "==", f"{name} = ({big}) - ({small})", name)


def constraint_names(count: int, taken) -> list[str]:
    """Statement names for `count` constraints that no program name uses: subject_to_1, ..."""
    names = []
    for k in range(1, count + 1):
        name = f"subject_to_{k}"
        while name in taken:
            name += "_"
        names.append(name)
    return names


class Bound(NamedTuple):
    name: str  # as written: x, w, w[0]
    lo: float
    hi: float


def parse_bound(text: str) -> Bound:
    """NAME=LO:HI as a Bound (an empty side: unbounded there); UsageError when malformed."""
    from gradcli.lang.numbers import NotANumber, read_number

    example = "e.g. --bounds x=0:2, --bounds 'w=-1:1', --bounds x=0: (no upper bound)"
    name, eq, rest = text.partition("=")
    lo_text, colon, hi_text = rest.partition(":")
    if not eq or not colon or not name.strip():
        raise UsageError(f"bad --bounds {text!r}: expected NAME=LO:HI", hint=example)
    sides = []
    for side, default in ((lo_text.strip(), -math.inf), (hi_text.strip(), math.inf)):
        try:
            value = default if side == "" else read_number(_SPELLED.get(side, side), True)
        except NotANumber as exc:
            raise UsageError(f"bad --bounds {text!r}: {exc}", hint=exc.hint or example) from None
        if value != value:
            raise UsageError(f"bad --bounds {text!r}: a bound is a number, not NaN", hint=example)
        sides.append(value)
    lo, hi = sides
    if lo > hi:
        raise UsageError(f"bad --bounds {text!r}: the lower bound {lo:g} is above the upper {hi:g}")
    return Bound(name.strip(), lo, hi)


def element_bounds(bounds: list[Bound], inputs: list[str], shapes: dict) -> dict[str, tuple[float, float]]:
    """Each input element's (lo, hi) from the bounds given (an array's applies to every element;
    a later bound wins); UsageError with "did you mean" for a name that is no input."""
    from gradcli.lang.suggest import suggest

    out: dict[str, tuple[float, float]] = {}
    for b in bounds:
        if b.name in inputs:
            out[b.name] = (b.lo, b.hi)
        elif b.name in shapes:
            for label in inputs:
                if label.startswith(b.name + "["):
                    out[label] = (b.lo, b.hi)
        else:
            names = [*shapes, *(n for n in inputs if "[" not in n)]
            raise UsageError(
                f"--bounds {b.name}: not an input of the program (inputs: {', '.join(names) or 'none'})",
                hint=suggest(b.name, names),
            )
    return out


def bound_text(name: str, value: float, upper: bool) -> str:
    """An active bound as the `active` list writes it: `x <= 2`, `x >= 0`."""
    from gradcli.core.formula import fmt

    return f"{name} {'<=' if upper else '>='} {fmt(value)}"
