"""`gradcli check --expect NAME=CLAIM`: a hand-derived gradient, parsed and evaluated.

A claim is a number or an expression in the program's names (and an array's elements,
`x[0]`, `sum(x)`), evaluated at each point the check visits; its row compares it with the
same numerical derivative as the input's own row.
"""

from __future__ import annotations

from dataclasses import dataclass

from gradcli.build.graph import Graph
from gradcli.core.errors import BindingError, GradcliError, MathError, NameError_, UsageError
from gradcli.lang.program import Program


@dataclass
class Claim:
    """A claim of --expect, parsed once: d output / d `name` is `text`."""

    name: str
    text: str
    program: Program
    constant: bool  # no names in it (a number): checked at the given point only


def parse_claim(graph: Graph, name: str, text: str) -> Claim:
    """A hand-derived dL/dNAME: a number or an expression in the program's names."""
    from gradcli.build.bindings import parse_expression
    from gradcli.build.standard import check_names

    where = f"expect {name}={text}"
    if name not in graph.inputs and graph.arrays is not None:  # x[0], x[-1], W[1, 0]: an array input's element
        name = _element_label(graph, name, where)
    if name not in graph.inputs:
        inputs = ", ".join(graph.inputs) or "none"
        raise BindingError(f"{where}: '{name}' is not an input of the program (inputs: {inputs})")
    try:
        program = parse_expression(text)
        used, _ = check_names(program, _bindings(graph))
    except NameError_ as exc:
        names = ", ".join(graph.names)
        raise UsageError(f"{where}: {exc.message}", hint=f"a claim can use the program's names: {names}") from None
    except GradcliError as exc:
        raise UsageError(f"{where}: {exc.message}", hint=exc.hint) from None
    return Claim(name, text, program, constant=not used)


def evaluate_claim(graph: Graph, claim: Claim) -> float:
    from gradcli.build.standard import build

    try:
        claimed = build(claim.program, _bindings(graph))
    except MathError as exc:
        raise MathError(f"expect {claim.name}={claim.text}: {exc.message}") from None
    if claimed.arrays is not None and claimed.arrays.output is not None:
        shape = tuple(claimed.arrays.output.shape)
        raise UsageError(f"expect {claim.name}={claim.text}: the claim is an array of shape {shape}, not a number",
                         hint="claim one element's gradient with a scalar expression, e.g. 2*x[0]")  # fmt: skip
    return claimed.output.data


def _bindings(graph: Graph) -> dict[str, float]:
    """Each name's current value; an array's as nested lists (a claim may read x[0], sum(x))."""
    out = {name: node.data for name, node in graph.names.items()}
    if graph.arrays is not None:
        out.update({name: array.data for name, array in graph.arrays.names.items()})
    return out


def _element_label(graph: Graph, name: str, where: str) -> str:
    """`x[-1]` or `W[1, 0]` as the input's label (`x[2]`, `W[1,0]`); `x` alone is refused."""
    from gradcli.build.array_values import shape_text
    from gradcli.lang.elements import element_label, in_range, split_element

    shapes = graph.arrays.shapes
    if name in shapes:
        first = ",".join("0" * len(shapes[name]))
        raise UsageError(f"{where}: '{name}' is an array of {shape_text(shapes[name])}: claim one element's gradient",
                         hint=f"for example --expect '{name}[{first}]=...'")  # fmt: skip
    element = split_element(name)
    if element is None or element[0] not in shapes:
        return name
    array, index = element
    shape = shapes[array]
    if not in_range(index, shape):
        raise UsageError(f"{where}: no element {name} in '{array}' ({shape_text(shape)})")
    return element_label(array, index, shape)
