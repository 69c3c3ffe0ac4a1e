"""The language as gradcli ships it: the builder with its standard extensions — arrays, user
functions, uncertain inputs — in the order the builder asks them.  Everything above the build
layer builds through `build` here; the builder itself names none of them.

Arrays are imported with this module (most programs that are not plain formulas use them).
User functions and uncertain inputs are small front classes here that import their module
(gradcli.build.functions, gradcli.build.uncertain) only when a program uses them, so a plain
`gradcli eval` does not pay for their import.
"""

from __future__ import annotations

from gradcli.build.arrays import Arrays
from gradcli.build.builder import Settings, build_graph
from gradcli.build.extension import Extension
from gradcli.build.graph import Graph
from gradcli.build.names import check_names as _check_names
from gradcli.core.ops import FUNCTIONS
from gradcli.lang.program import Program


class UserFunctions(Extension):
    """`f(x) = ...` definitions and calls `f(a)`, `f'(a)`, `tanh'(a)` (gradcli.build.functions)."""

    def check(self, program, bindings: dict) -> None:
        if program.functions:
            from gradcli.build.functions import check

            check(program, bindings)

    def claims_call(self, program, fn: str, nargs: int, start: int, end: int) -> bool:
        if FUNCTIONS.get(fn) is not None or not (program.functions or fn.endswith("'")):
            return False
        from gradcli.build.functions import check_call

        check_call(program, fn, nargs, start, end)
        return True

    def call(self, b, fn: str, args: tuple, start: int, end: int):
        from gradcli.build.functions import call

        return call(b, fn, args, start, end)


class UncertainInputs(Extension):
    """Inputs with an uncertainty: `x=1.0±0.1`, `L = 1.0 ± 0.1` (gradcli.build.uncertain)."""

    def applies(self, program, bindings: dict) -> bool:
        if program.correlations:  # corr(a, b) = r: checked against the uncertainties (gradcli.build.uncertain)
            return True
        return any(s.uncertainty for s in program.stmts) or any(hasattr(v, "spec") for v in bindings.values())

    def binding(self, text: str, raw: str, allow_nonfinite: bool, value_of):
        if "±" not in raw and "+/-" not in raw:
            return None
        from gradcli.build.uncertain import parse_uncertain_binding

        name = text.partition("=")[0].strip()
        return parse_uncertain_binding(text, name, raw, allow_nonfinite, value_of=value_of)

    def finish(self, graph, b, constants: dict) -> None:
        from gradcli.build.uncertain import attach

        attach(graph, b, constants)


# Arrays first: `sum(x)` and `x[0]` are theirs before a user function could claim a call.
EXTENSIONS = (Arrays(), UserFunctions(), UncertainInputs())


def build(
    program: Program, bindings: dict | None = None, of: str | None = None, allow_nonfinite: bool = False
) -> Graph:
    """Program + bindings -> Graph (raises GradcliError): pass 1's name checks, then the graph."""
    return build_graph(program, bindings, Settings(of, allow_nonfinite, EXTENSIONS))


def check_names(program: Program, bindings: dict, allow_nonfinite: bool = False) -> tuple[list[str], list[str]]:
    """Pass 1 alone: raise on any name error; (inputs in order of appearance, unused bindings)."""
    return _check_names(program, bindings, allow_nonfinite, EXTENSIONS)


def evaluate(source: str, bindings: dict | None = None, of: str | None = None, allow_nonfinite: bool = False) -> Graph:
    """Parse, build and differentiate program text: the library's one call for a differentiated graph."""
    from gradcli.core.engine import paused_gc
    from gradcli.lang.parser import parse

    with paused_gc():
        graph = build(parse(source), bindings, of, allow_nonfinite)
        graph.backward(allow_nonfinite)
    return graph
