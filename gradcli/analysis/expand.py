"""`--expand`: the same graph with every composite op broken down into primitives.

The rewrite rules are the op table's `expand` entries; this module only applies them,
repeatedly, until no composite op is left.  Values and gradients are those of the
unexpanded graph up to rounding (the textbook formulas can overflow sooner: tanh(400)
is fine, its expansion (e^800 - 1)/(e^800 + 1) is not).
"""

from __future__ import annotations

from gradcli.build.graph import Graph
from gradcli.core.engine import Value, apply, lift
from gradcli.core.errors import MathError
from gradcli.core.formula import describe, fmt
from gradcli.core.ops import BY_NAME, Op


class _Builder:
    """`P` of the op table's expand rules: P.add(a, b), P.exp(a), P.c(2.0) make nodes."""

    def __init__(self) -> None:
        self.nodes: list[Value] = []
        self.index: dict[int, int] = {}

    def _keep(self, node: Value) -> Value:
        self.index[id(node)] = len(self.nodes)
        self.nodes.append(node)
        return node

    def c(self, value: float) -> Value:
        node = lift(value)
        node.label = fmt(value)
        return self._keep(node)

    def apply(self, op: Op, *args: Value) -> Value:
        if op.expand is not None:
            return op.expand(self, *args)
        names = [a.label if len(a.label) <= 24 else f"#{self.index[id(a)]}" for a in args]
        return self._keep(apply(op, *args, label=describe(op, names)))

    def __getattr__(self, name: str):
        op = BY_NAME[name]
        return lambda *args: self.apply(op, *args)


def expand(graph: Graph) -> Graph:
    """A new Graph computing the same output with primitive ops only."""
    builder = _Builder()
    new: dict[int, Value] = {}
    for node in graph.nodes:
        if node.args:
            try:
                out = builder.apply(node.op, *[new[id(a)] for a in node.args])
            except MathError as exc:
                exc.message += f" (in --expand's rewrite of {node.label})"
                raise
            if node.op.expand is not None or node.label:
                out.label = node.label  # the expansion's last node stands for the original
        else:
            out = Value(node.data, label=node.label)
            out.op = node.op
            builder._keep(out)
        new[id(node)] = out
    return Graph(
        builder.nodes,
        {name: new[id(v)] for name, v in graph.inputs.items()},
        new[id(graph.output)],
        graph.output_name,
        {name: new[id(v)] for name, v in graph.names.items()},
        list(graph.unused),
        list(graph.warnings),
        calls=dict(graph.calls),  # explain still names the calls of user functions
    )
