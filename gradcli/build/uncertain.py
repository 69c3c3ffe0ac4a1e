"""Inputs with an uncertainty (GUM): `L=1.000±0.002` on the command line, `L = 1.0 ± 0.1` in a
program, `±rect(a)` and `±tri(a)` for rectangular and triangular distributions.

An uncertain input is an ordinary input (its value is the value); the graph carries the
uncertainties on the side (`Graph.uncertainties`: name -> Spec(u, distribution, half_width)),
so every command sees the same graph as without `±`.  The program's `corr(a, b) = r` are
checked here too (`Graph.correlations`).  What is done with them (propagation, Monte Carlo)
is gradcli.analysis.uncertainty's job.
"""

from __future__ import annotations

import math
import re
from functools import partial
from typing import NamedTuple

from gradcli.build.names import check_call
from gradcli.core.errors import BindingError, MathError, UsageError
from gradcli.lang.located import located
from gradcli.lang.program import CALL, KIND, Stmt

DISTRIBUTIONS = {"rect": math.sqrt(3.0), "tri": math.sqrt(6.0)}  # half-width / these = u


class Spec(NamedTuple):
    """An input's uncertainty: standard uncertainty u, distribution ("normal", "rect", "tri")
    and, for rect and tri, the half-width a (u = a/√3, a/√6)."""

    u: float
    distribution: str = "normal"
    half_width: float | None = None


class Uncertain(float):
    """A binding's value that carries an uncertainty (`L=1.000±0.002`): a float everywhere,
    so a command that ignores uncertainty sees the value; build() reads `.spec`."""

    __slots__ = ("spec",)

    def __new__(cls, value: float, spec: Spec):
        self = super().__new__(cls, value)
        self.spec = spec
        return self

    def __reduce__(self):  # pickled with its spec (a dask worker gets the bindings as values)
        return Uncertain, (float(self), self.spec)


def spec_of(distribution: str | None, width: float) -> Spec:
    """The Spec of `± width` (normal, width = u) or `± rect(width)` / `± tri(width)`."""
    if distribution is None:
        return Spec(width)
    return Spec(width / DISTRIBUTIONS[distribution], distribution, width)


# -- bindings: NAME=VALUE±U, NAME=VALUE+/-U, NAME=VALUE±rect(A) ------------------------------------

_DISTRIBUTION_CALL = re.compile(r"(rect|tri)\s*\((.*)\)\Z", re.DOTALL)


def parse_uncertain_binding(text: str, name: str, raw: str, allow_nonfinite: bool, value_of) -> Uncertain:
    """The value of a binding `NAME=VALUE±U` (also `+/-`, and `±rect(A)`, `±tri(A)`); each side
    is read by `value_of` (gradcli.build.bindings.parse_binding, passed in: it calls this)."""
    part = partial(_part, value_of, text, name)
    sign = "±" if "±" in raw else "+/-"
    value_text, _, u_text = (part.strip() for part in raw.partition(sign))
    example = f"{name}=1.0±0.1"
    if not value_text:
        raise BindingError(f"bad binding {text!r}: the value before {sign} is missing", hint=f"write {example}")
    if not u_text:
        raise BindingError(f"bad binding {text!r}: the uncertainty after {sign} is missing", hint=f"write {example}")
    if "±" in u_text or "+/-" in u_text:
        raise BindingError(f"bad binding {text!r}: one {sign} only", hint=f"write {example}")
    value = part(value_text, "the value", allow_nonfinite)
    m = _DISTRIBUTION_CALL.match(u_text)
    distribution, width_text = (m.group(1), m.group(2).strip()) if m else (None, u_text)
    if m and not width_text:
        raise BindingError(f"bad binding {text!r}: {distribution}() needs its half-width, e.g. {distribution}(0.1)")
    width = part(width_text, "the uncertainty", False)
    check_width(width, distribution, lambda msg: BindingError(f"bad binding {text!r}: {msg}", hint=f"write {example}"))
    return Uncertain(value, spec_of(distribution, width))


def _part(value_of, text: str, name: str, part: str, what: str, allow_nonfinite: bool) -> float:
    try:
        return value_of(f"{name}={part}", allow_nonfinite)[1]
    except BindingError as exc:
        detail = exc.message.split(": ", 1)[-1]
        raise BindingError(f"bad binding {text!r}: {what} {part!r}: {detail}") from None


def check_width(width: float, distribution: str | None, error) -> None:
    """A standard uncertainty is >= 0 and finite; a half-width of rect or tri is > 0."""
    if not math.isfinite(width):
        raise error(f"the uncertainty must be finite, got {width}")
    if width < 0:
        raise error(f"an uncertainty cannot be negative, got {width:g}")
    if distribution is not None and width == 0:
        raise error(f"{distribution}(0) is no distribution: a half-width must be positive (an exact value has no ±)")


# -- the program's `L = 1.0 ± 0.1`, and attaching uncertainties to a graph -------------------------


def attach(graph, b, constant: dict) -> None:
    """Fill graph.uncertainties from the bindings (a `±` binding, or a plain one that replaces
    the program's whole input) and from the program's `NAME = VALUE ± U` statements."""
    bindings = b.bindings
    for name, node in graph.inputs.items():
        if name in bindings:
            value = bindings[name]
            if isinstance(value, Uncertain):
                node.data = float(value)
                graph.uncertainties[name] = value.spec
        elif name in constant and constant[name].uncertainty is not None:
            graph.uncertainties[name] = program_uncertainty(b, constant[name])
    for c in b.program.correlations:  # corr(a, b) = r, once the uncertainties are known
        declared(graph, b, c)


def program_uncertainty(b, stmt) -> Spec:
    """The Spec of a statement `NAME = VALUE ± U` (U a constant expression, or rect(A), tri(A))."""
    program = b.program
    lo, hi, start, end = stmt.uncertainty
    code = program.code
    distribution = None
    last = code[hi - 1]
    if last[KIND] == CALL and last[1] in DISTRIBUTIONS:
        if last[2] != 1:
            raise _at(program, f"{last[1]} takes 1 argument (the half-width), got {last[2]}", start, end)
        distribution, hi = last[1], hi - 1
    for kind, name, nargs, s, e in code[lo:hi]:
        if kind == CALL and name in DISTRIBUTIONS:
            msg = f"{name}(...) must be the whole uncertainty: write NAME = VALUE ± {name}(HALF_WIDTH)"
            raise _at(program, msg, s, e)
        if kind == CALL:
            check_call(program, name, nargs, s, e, b.extensions)
    try:
        width = b.scope({}, nodes=[], allow_nonfinite=False).evaluate(Stmt(None, None, lo, hi, start, end)).data
    except MathError as exc:
        raise _at(program, f"the uncertainty of '{stmt.target}': {exc.message}", start, end) from None
    check_width(width, distribution, lambda msg: _at(program, f"'{stmt.target}': {msg}", start, end))
    return spec_of(distribution, width)


def _at(program, message: str, start: int, end: int) -> UsageError:
    return located(UsageError, program, message, start, end)


# -- the program's `corr(a, b) = r` (gradcli.lang.correlations; used by gradcli.build.correlated) ------


def declared(graph, b, c) -> None:
    """Check `corr(a, b) = r` against the graph and record it in graph.correlations."""
    program = b.program
    (a, other), (span_a, span_b) = c.names, c.spans
    if a == other:
        raise located(UsageError, program, f"corr({a}, {a}): an input is fully correlated with itself",
                      span_a[0], span_b[1], "name two different inputs")  # fmt: skip
    replaced = [n for n in c.names if n not in graph.uncertainties and n in b.bindings]
    if replaced:  # `a=1.5` on the command line replaces the program's whole `a = 1 ± 0.1`, and so its corr
        graph.warnings.append(f"corr({a}, {other}) is not used: {replaced[0]}={b.bindings[replaced[0]]:g} on the "
                              "command line has no uncertainty")  # fmt: skip
        return
    for name, (start, end) in zip(c.names, c.spans):
        if name in graph.uncertainties:
            continue
        if name in graph.inputs:
            msg = f"'{name}' has no uncertainty, so it cannot be correlated"
            hint = f"give it one: {name} = VALUE ± U in the program, or {name}=VALUE±U on the command line"
        else:
            known = ", ".join(graph.uncertainties) or "none"
            msg, hint = f"'{name}' is not an input with an uncertainty (those are: {known})", None
        raise located(UsageError, program, msg, start, end, hint)
    pair = tuple(sorted(c.names))
    if pair in graph.correlations:
        first = program.where(graph.correlations[pair][1].start)
        raise located(UsageError, program, f"corr({a}, {other}) is declared twice (first on {first})",
                      c.start, c.end, "keep one")  # fmt: skip
    graph.correlations[pair] = (_coefficient(b, c), c)


def _coefficient(b, c) -> float:
    """r, the declaration's constant expression, in [-1, 1]."""
    program = b.program
    value_start = c.value_start
    for kind, name, nargs, s, e in program.code[c.lo : c.hi]:
        if kind == CALL:
            check_call(program, name, nargs, s, e, b.extensions)
    try:
        value = b.scope({}, nodes=[], allow_nonfinite=False).evaluate(Stmt(None, None, c.lo, c.hi, c.start, c.end))
    except MathError as exc:
        raise located(UsageError, program, f"the correlation of {', '.join(c.names)}: {exc.message}",
                      value_start, c.end) from None  # fmt: skip
    r = getattr(value, "data", None)
    if not isinstance(r, float):
        raise located(UsageError, program, "a correlation coefficient is one number", value_start, c.end)
    if not (math.isfinite(r) and -1.0 <= r <= 1.0):
        raise located(UsageError, program, f"a correlation coefficient lies in [-1, 1], got {r:g}",
                      value_start, c.end)  # fmt: skip
    return r
