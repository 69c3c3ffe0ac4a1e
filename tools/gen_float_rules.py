"""Write gradcli/core/_float_rules.py: each op's derivative rule compiled for floats.

    python tools/gen_float_rules.py           # rewrite it
    python tools/gen_float_rules.py --check   # exit 1 if it is stale

A rule is written once, in gradcli/core/ops.py, with P's ops (`P.where(P.gt(x, 0.0), g, 0.0)`),
so that floats, numpy arrays and graph nodes can all run it.  On floats that generality
costs: every P.op is an attribute lookup and `where` a Python call, so pow's rule took ~2 us
a node against ~0.45 us for mul's.  This runs each rule once on traced values, which write
down every operation, and prints them as a plain function:

    def relu(g, out, x):              # relu's rule: P.where(P.gt(x, 0.0), g, 0.0)
        return ((g if (x > (0.0)) else (0.0)),)

Each calls the functions the float namespace F holds (bound when gradcli.core.ops loads the
module), in the rule's own order, so it gives F's results bit for bit.  A value used once
is written where it is used, so `where` evaluates only the branch it takes: that changes no
result (both branches are computed only so that arrays can choose per element), only
whether an untaken branch's math error sends the sweep to its general path.  A rule that
cannot be traced (a Python `if` on a value) is left out, and the sweep runs it with F.
tests/test_ops.py checks the module is current and holds each function to the rule.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gradcli.core.ops import OPS, Op  # noqa: E402

OUT = ROOT / "gradcli" / "core" / "_float_rules.py"

_OPERATORS = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "pow": "**"}
_COMPARISONS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}


class _Code:
    """The operations traced so far (a template and its operands each), and the functions
    they call."""

    def __init__(self) -> None:
        self.ops: list[tuple[str, tuple]] = []
        self.calls: set[str] = set()  # F's functions the rule calls

    def emit(self, template: str, *operands) -> _Traced:
        for v in operands:  # traced values, or numbers that print as themselves
            if not (isinstance(v, _Traced) or v.__class__ in (float, int, bool) and math.isfinite(v)):
                raise TypeError(f"cannot compile a rule on {v!r}")
        self.ops.append((template, operands))
        return _Traced(self, len(self.ops) - 1)

    def source(self, name: str, params: list[str], result: tuple) -> str:
        """The function's text.  A value used once is written where it is used, so a simple
        rule compiles to what one would write by hand (`return (g * out,)`); `where` then
        evaluates only the branch it takes, which changes no result (both branches are
        computed only so that arrays can choose per element)."""
        uses = [0] * len(self.ops)
        for _, operands in self.ops:
            for v in operands:
                if isinstance(v, _Traced) and v.index >= 0:
                    uses[v.index] += 1
        for v in result:
            if isinstance(v, _Traced) and v.index >= 0:
                uses[v.index] += 1
        text: list[str] = []
        lines = [f"def {name}({', '.join(params)}):"]

        def show(v) -> str:
            if not isinstance(v, _Traced):
                return f"({v!r})"
            return params[~v.index] if v.index < 0 else text[v.index]

        for k, (template, operands) in enumerate(self.ops):
            expr = template.format(*map(show, operands))
            if uses[k] == 1:
                text.append(f"({expr})")
            else:
                lines.append(f"    t{k} = {expr}")
                text.append(f"t{k}")
        lines.append(f"    return ({', '.join(map(show, result))},)")
        return "\n".join(lines)


class _Traced:
    """A value inside a rule being compiled: the operation that computes it (an index into
    the code's operations; -1, -2, ... for the rule's parameters g, out, x, ...)."""

    __slots__ = ("code", "index")

    def __init__(self, code: _Code, index: int) -> None:
        self.code, self.index = code, index

    def __bool__(self) -> bool:
        raise TypeError("a rule with a Python `if` on a value cannot be compiled")

    def __neg__(self) -> _Traced:
        return self.code.emit("-{}", self)


def _operator(symbol: str, reflected: bool):
    def method(self: _Traced, other) -> _Traced:
        a, b = (other, self) if reflected else (self, other)
        return self.code.emit(f"{{}} {symbol} {{}}", a, b)

    return method


for _name, _symbol in {**_OPERATORS, **_COMPARISONS}.items():
    setattr(_Traced, f"__{_name}__", _operator(_symbol, False))
    if _name in _OPERATORS:
        setattr(_Traced, f"__r{_name}__", _operator(_symbol, True))


class _TracingNamespace:
    """P while tracing: P.where and the comparisons become Python expressions, every other
    P.op a call of F's function for it."""

    def __init__(self, code: _Code) -> None:
        self._code = code

    def __getattr__(self, name: str) -> Callable[..., _Traced]:
        code = self._code
        if name == "where":
            return lambda c, a, b: code.emit("{1} if {0} else {2}", c, a, b)
        if name in _COMPARISONS:
            return lambda a, b: code.emit(f"{{}} {_COMPARISONS[name]} {{}}", a, b)
        code.calls.add(name)
        return lambda *xs: code.emit(f"_{name}({', '.join(['{}'] * len(xs))})", *xs)


def rule_source(op: Op) -> tuple[str, set[str]] | None:
    """op's vjp as the text of a function on floats, and the F functions it calls; None for
    a rule that cannot be traced."""
    params = ["g", "out", *("x", "y", "z")[: op.arity]]
    code = _Code()
    try:
        result = op.vjp(*[_Traced(code, ~k) for k in range(len(params))], _TracingNamespace(code))
        return code.source(op.name, params, result), code.calls
    except TypeError:
        return None


def module_source() -> str:
    rules = [(op.name, rule_source(op)) for op in OPS]
    calls = sorted(set().union(*(r[1] for _, r in rules if r)))
    body = [
        '"""Each op\'s vjp compiled for floats: generated by tools/gen_float_rules.py from',
        'gradcli/core/ops.py\'s rules; do not edit (a test fails when it is stale)."""',
        "",
        "",
        "def make(F):",
        '    """name -> the rule on floats, rule(g, out, *xs), calling F\'s functions."""',
        *[f"    _{name} = F.{name}" for name in calls],
        "",
    ]
    for _, r in rules:
        if r is not None:
            body += ["    " + line for line in r[0].splitlines()] + [""]
    names = ", ".join(f'"{name}": {name}' for name, r in rules if r is not None)
    body.append(f"    return {{{names}}}")
    return "\n".join(body) + "\n"


def main() -> None:
    text = module_source()
    if "--check" in sys.argv:
        if OUT.read_text(encoding="utf-8") != text:
            sys.exit(f"{OUT} is stale: run python tools/gen_float_rules.py")
        return
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
