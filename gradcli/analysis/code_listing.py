"""The derivative as a straight-line program, the one body every `diff --to` target prints.

`listing(graph, P, targets)` walks the nodes the targets need (the program's forward nodes, then
the derivative transform's) once, in order, and decides for each: computed once as a statement
with a name (a node used more than once, or one the program named: the program's names are
kept, the others are temporaries t1, t2, ...), or written into its only user's expression (a
node used once).  Nodes computing the same (one op on the same operands) are one.  A target
(`name = ...`) per requested node closes the body.  A printer (analysis/code_gradcli.py,
analysis/code_python.py) turns each step into its target's text in one pass, no recursion.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple, Union

from gradcli.build.graph import Graph
from gradcli.core.engine import Value, reaching
from gradcli.core.ops import Op
from gradcli.core.transform import Builder, node_key

Operand = Union[int, str, float]  # noqa: UP007 - a step's key, an input's name, a number


class Step(NamedTuple):
    key: int  # what later operands call this step
    name: str | None  # its statement's target; None: written into its one user's expression
    op: Op
    args: tuple[Operand, ...]


class Input(NamedTuple):
    label: str  # as eval's `gradients` names it (W[0,1])
    name: str  # as the code names it (W_0_1; a keyword renamed)
    value: float  # the point's value (a parameter's is a placeholder)
    needed: bool  # read by some step or target
    parameter: bool  # no value: no default


class Listing(NamedTuple):
    inputs: tuple[Input, ...]  # every input, in eval's `gradients` order
    steps: tuple[Step, ...]
    targets: tuple[tuple[str, Operand], ...]  # (name, operand), in the order asked


class Emission(NamedTuple):
    """What one function returns: the value, then each group of derivatives (a tuple), or the
    one derivative itself (`bare`: y_d3 returns y, d3y_dx3)."""

    value: str  # the output's name
    suffix: str  # grad, hessian, d2, d3, ...
    groups: tuple[tuple[str, ...], ...]
    bare: bool = False
    wrt: tuple[str, ...] = ()  # the inputs' labels differentiated by: groups[0]'s order, the Hessian's rows
    order: int = 1
    command: str = "gradcli diff"  # what printed it, for the header

    @property
    def function(self) -> str:
        """The function's name: L_grad, L_hessian, y_d3; the value's own (y_taylor) without derivatives."""
        return f"{self.value}_{self.suffix}" if self.suffix else self.value


def identifier(label: str) -> str:
    """A name the language accepts for a label: an array element W[1,0] becomes W_1_0."""
    return label if label.isidentifier() else "_".join(p for p in re.split(r"[^A-Za-z0-9_]+", label) if p)


def listing(
    graph: Graph,
    builder: Builder,
    targets: list[tuple[str, Value]],
    parameters=(),
    rename: Callable[[str], str] = lambda s: s,
) -> Listing:
    """The steps computing the targets.  `rename` maps a name to one the target language
    accepts (a keyword, a builtin), consistently; the target names are already acceptable."""
    ts = [t for _, t in targets]
    needed = reaching(graph.nodes + builder.nodes, *ts)
    first = _first_equal(needed)
    last = ts[-1]  # written as it is; every other target reads the first node equal to it

    def final(t: Value) -> Value:
        return t if t is last else first.get(id(t), t)

    uses: dict[int, int] = {}
    for node in needed:
        if first[id(node)] is node:
            for a in node.args:
                a = first.get(id(a), a)
                uses[id(a)] = uses.get(id(a), 0) + 1
    for t in ts:  # each target's own statement reads it once more
        uses[id(final(t))] = uses.get(id(final(t)), 0) + 1
    reserved = {name: final(t) for name, t in targets}
    taken = {k for k in graph.inputs if k.isidentifier()} | set(graph.names) | set(reserved)
    names: dict[int, str] = {}
    named: set[str] = set()  # names.values(), as a set: a membership test per step, not a scan (O(n) not O(n^2))
    inputs = []
    needed_ids = {id(n) for n in needed}
    for k, v in graph.inputs.items():  # x[0] is written x_0, unless the program has an x_0
        s = rename(identifier(k))
        while s != k and s in taken:
            s += "_"
        taken.add(s)
        names[id(v)] = s
        named.add(s)
        inputs.append(Input(k, s, v.data, id(v) in needed_ids, k in parameters))
    steps: list[Step] = []
    operand: dict[int, Operand] = {id(v): names[id(v)] for v in graph.inputs.values()}
    temps = iter(f"t{i}" for i in range(1, 10**9))
    for node in needed:
        if node.op.arity == 0:
            if id(node) not in operand:
                operand[id(node)] = node.data
            continue
        same = first[id(node)]
        if same is not node and node is not last:  # written once: every use reads the first
            operand[id(node)] = operand[id(same)]
            continue
        args = tuple(operand[id(a)] if id(a) in operand else a.data for a in node.args)
        program_name = node is not last and node.label.isidentifier() and node in graph.names.values()
        name = None
        if uses.get(id(node), 0) > 1 or program_name:
            label = rename(node.label) if node.label.isidentifier() else ""
            if label and label != node.label and label in taken:
                label = ""
            if label in named or (label in reserved and reserved[label] is not node):
                label = ""
            name = label or next(t for t in temps if t not in taken)
            taken.add(name)
            names[id(node)] = name
            named.add(name)
        key = len(steps)
        steps.append(Step(key, name, node.op, args))
        operand[id(node)] = key
    results = tuple((name, operand[id(final(t))] if id(final(t)) in operand else t.data) for name, t in targets)
    return Listing(tuple(inputs), tuple(steps), results)


def _first_equal(nodes: list[Value]) -> dict[int, Value]:
    """id -> the first of the nodes computing the same (one op on the same operands, numbers
    equal by value): a sub-expression the program and the rules both wrote is printed once."""
    first: dict[int, Value] = {}
    seen: dict[tuple, Value] = {}
    for node in nodes:
        if node.op.arity == 0:
            key = ("number", node.data.hex()) if node.op.name == "const" else ("input", id(node))
        else:
            key = node_key(node.op, [first.get(id(a), a) for a in node.args])
        first[id(node)] = seen.setdefault(key, node)
    return first


def inputs_and_what(listing: Listing, emission: Emission) -> tuple[str, str]:
    """The inputs as the header lists them (W_0_1 (W[0,1])) and what the function computes
    ("L and its gradient"; "y_taylor": the value alone)."""
    inputs = ", ".join(i.name if i.name == i.label else f"{i.name} ({i.label})" for i in listing.inputs)
    if not emission.groups:
        return inputs, emission.value
    what = {"grad": "gradient", "hessian": "gradient and Hessian"}.get(emission.suffix, "derivative")
    return inputs, f"{emission.value} and its {what}"


def avoid(name: str, reserved: frozenset[str], prefixes: tuple[str, ...]) -> str:
    """`name`, or with trailing _'s where the language reserves it or it starts as the helpers'
    names do (`prefixes`): each target's rename, consistent wherever the name appears."""
    if name.startswith(prefixes) and not name.endswith("_"):
        name += "_"
    while name in reserved:
        name += "_"
    return name


def signature(listing: Listing, equals: str = "=") -> str:
    """The inputs in eval's order; the trailing ones with a value have it as their default
    (a language allows no default before a parameter without one)."""
    inputs = list(listing.inputs)
    cut = len(inputs)
    while cut and not inputs[cut - 1].parameter:
        cut -= 1
    return ", ".join(i.name if k < cut else f"{i.name}{equals}{float(i.value)!r}" for k, i in enumerate(inputs))
