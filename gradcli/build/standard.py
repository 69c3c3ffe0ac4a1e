"""The language as gradcli ships it: the builder with its standard extensions — arrays, user
functions, uncertain inputs — in the order the builder asks them.  Everything above the build
layer builds through `build` here; the builder itself names none of them."""

from __future__ import annotations

from gradcli.build.arrays import Arrays
from gradcli.build.builder import Settings, build_graph
from gradcli.build.functions import UserFunctions
from gradcli.build.graph import Graph
from gradcli.build.names import check_names as _check_names
from gradcli.build.uncertain import UncertainInputs
from gradcli.lang.program import Program

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
