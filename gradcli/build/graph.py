"""The Graph a build produces: every node in creation order, the inputs by name, the output."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field

from gradcli.core import engine
from gradcli.core.engine import Value
from gradcli.core.errors import GradcliError, MathError
from gradcli.core.ops import CONST
from gradcli.lang.program import Program

# A call's nodes are labelled with its key, "f#1." (the first call of f), "f'#2.": see call().
_CALL_PREFIX = re.compile(r"([A-Za-z_][A-Za-z0-9_]*'*#[0-9]+)\.")


def call_key(label: str) -> str | None:
    """The call a node belongs to, "f#1", from its label's prefix; None outside calls."""
    m = _CALL_PREFIX.match(label)
    return m.group(1) if m else None


@dataclass
class Graph:
    """Every node in creation order, the inputs by name, and the node to differentiate."""

    nodes: list[Value]
    inputs: dict[str, Value]
    output: Value
    output_name: str
    names: dict[str, Value] = field(default_factory=dict)  # each name's newest node
    unused: list[str] = field(default_factory=list)  # bindings the program never reads
    warnings: list[str] = field(default_factory=list)  # for the user, on stderr
    program: Program | None = field(default=None, repr=False)
    stmt_ends: list[int] = field(default_factory=list, repr=False)  # len(nodes) after each statement
    calls: dict = field(default_factory=dict, repr=False)  # "f#1" -> (call text, line): user function calls
    # What extensions attach (gradcli.build.extension): `x=1.0±0.1` -> name -> uncertain.Spec; empty: none
    uncertainties: dict = field(default_factory=dict)
    correlations: dict = field(default_factory=dict)  # the program's `corr(a, b) = r`: (a, b) -> (r, Correlation)
    uncertainty: object = None  # eval's uncertainty result, for the writers (set by the session)
    arrays: object = None  # gradcli.build.jacobian.Info (shapes, array names, an array output) when arrays are used
    _order: list[Value] | None = field(default=None, repr=False)  # the nodes output depends on

    def backward(self, allow_nonfinite: bool = False) -> None:
        """d output / d node for every node (zeroed first, so it can be called again)."""
        if self.arrays is not None and self.arrays.output is not None:  # the Jacobian of an array output
            return self.arrays.backward(self, allow_nonfinite)
        for node in self.nodes:
            node.grad = 0.0
        order = self.needed()
        self.output.grad = 1.0
        self.sweep(order, allow_nonfinite)

    def sweep(self, order: list[Value], allow_nonfinite: bool = False) -> None:
        """The reverse sweep over `order`, a math error located in the program."""
        try:
            engine.backward_sweep(order, allow_nonfinite)
        except MathError as exc:
            self.locate(exc)
            raise

    def forward(self, allow_nonfinite: bool = False) -> None:
        """Recompute every value after inputs' `.data` changed (no re-parsing)."""
        engine.forward(self.nodes, allow_nonfinite)

    def gradients(self) -> dict[str, float]:
        return {name: node.grad for name, node in self.inputs.items()}

    def needed(self) -> list[Value]:
        """The nodes the output depends on (itself included), in creation order."""
        if self._order is None:
            self._order = engine.reaching(self.nodes, self.output)
        return self._order

    def display_names(self) -> list[str]:
        """Each node's label, with `#id` added where several nodes that are not constants
        share it (a name assigned more than once: `y#3`)."""
        counts = Counter(node.label for node in self.nodes if node.op is not CONST)
        return [
            f"{node.label}#{i}" if counts[node.label] > 1 and node.op is not CONST else node.label
            for i, node in enumerate(self.nodes)
        ]

    def locate(self, exc: GradcliError) -> None:
        """Give an error about a node (exc.node) the line and column of the statement that made it."""
        if exc.line is not None or exc.node is None or self.program is None or not self.stmt_ends:
            return
        index = next((i for i, n in enumerate(self.nodes) if n is exc.node), None)
        if index is None:
            return
        stmt = self.program.stmts[min(bisect_right(self.stmt_ends, index), len(self.program.stmts) - 1)]
        start, end = stmt.start, stmt.end
        label = exc.node.label
        at = self.program.source.find(label, start, end) if label else -1
        if at >= 0 and label != stmt.target:
            start, end = at, at + len(label)  # the sub-expression itself
        elif stmt.hi > stmt.lo:
            root = self.program.code[stmt.hi - 1]  # postfix: the last equation spans the whole expression
            start, end = root[3], root[4]
        exc.line, exc.column = self.program.position(start)
        exc.end_column = exc.column + (end - start)
