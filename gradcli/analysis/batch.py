"""The array interpreter: a graph's equations evaluated at many points at once with numpy.

The float interpreter (gradcli.build's builder + core.engine) runs each equation on one float.  This
one runs the same equations on arrays of shape (points,): the forward pass applies each op's
numpy form (`numpy_rules.array_forward`) in creation order, and the backward pass runs the op table's
own vjp rules with `P = numpy_rules.numpy_namespace(np)` in a reverse sweep over the nodes the output
needs, so the derivative rules (kinks, ties, where-pieces) are the very same code as `eval`'s.
There is no per-point Python loop: a block of 32,768 points costs one numpy call per edge.

A row fails where eval would: some node's value is not finite, or some gradient the output
needs is not finite (from finite inputs).  For the few rows that fail, `RowExplainer` runs the
float interpreter at that point to get eval's own message ("log(x) is undefined at x = -1").

numpy is imported here, and this module is imported only by the commands that need it
(sweep, plot), so `gradcli eval` never pays for numpy.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from gradcli.build.array_values import paren
from gradcli.build.graph import Graph
from gradcli.core.engine import compute, positions, reaching
from gradcli.core.errors import MathError
from gradcli.core.numpy_rules import array_forward, numpy_namespace
from gradcli.core.ops import CONST

P = numpy_namespace(np)

# Points per pass: small enough that a node's array (256 KB) stays in cache from one op to the
# next, big enough that Python's share of each op stays small (benchmarks/sweep_bench.py).
BLOCK = 32_768


@dataclass
class Batch:
    """The results at n points: each output element's values (one array for a scalar output),
    d output / d input for every output element and input (the Jacobian row by row: for each
    element, every input in graph.inputs order), and which rows failed (None: none did)."""

    values: list[np.ndarray]
    grads: list[np.ndarray]
    failed: np.ndarray | None

    @property
    def value(self) -> np.ndarray:
        """A scalar output's values."""
        return self.values[0]


class ArrayGraph:
    """A Graph compiled once into plans over node indices: one forward, and one backward per
    output element (one for a scalar output; an array output's Jacobian is a row per element,
    as eval's, gradcli.build.jacobian)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        nodes = graph.nodes
        index = positions(nodes)
        self.names = list(graph.inputs)
        self.input_at = [index[id(graph.inputs[name])] for name in self.names]
        self.constants = [node.data if node.op is CONST else None for node in nodes]
        self.forward_plan = forward_plan(nodes, index)
        array = graph.arrays.output if graph.arrays is not None else None
        outputs = [graph.output] if array is None else array.items
        self.backward_plans = [
            _backward_plan(reaching(nodes, y) if array else graph.needed(), y, index) for y in outputs
        ]
        self.is_const = [node.op is CONST for node in nodes]
        self._pool: ThreadPoolExecutor | None = None  # open only inside threads()

    @contextmanager
    def threads(self) -> Iterator[None]:
        """Within the with block, run() puts its blocks on one pool of threads (one per core this
        process may use), closed when the block ends; outside it, each run() opens and closes
        its own."""
        with ThreadPoolExecutor(max(1, len(os.sched_getaffinity(0))), "gradcli-block") as self._pool:
            try:
                yield
            finally:
                self._pool = None

    def run(self, columns: Sequence[np.ndarray], n: int, allow_nonfinite: bool = False) -> Batch:
        """Evaluate and differentiate at n points given by one array per input (graph.inputs
        order).  Without allow_nonfinite, rows eval would refuse are marked."""
        starts = range(0, n, BLOCK)
        if len(starts) > 1 and self._pool is None:
            with self.threads():
                return self.run(columns, n, allow_nonfinite)
        outputs, m = len(self.backward_plans), len(self.input_at)
        out = Batch([np.empty(n) for _ in range(outputs)], [np.empty(n) for _ in range(outputs * m)], np.zeros(n, bool))
        if len(starts) == 1:
            self._run(columns, 0, n, allow_nonfinite, out)
        elif starts:  # numpy lets go of the GIL inside each op, so blocks run on every core at once
            run = self._run
            list(self._pool.map(lambda s: run(columns, s, min(s + BLOCK, n), allow_nonfinite, out), starts))
        if not out.failed.any():
            out.failed = None
        return out

    def _run(self, columns: Sequence[np.ndarray], s: int, e: int, allow_nonfinite: bool, out: Batch) -> None:
        """Points s..e into out's rows s..e."""
        n, m = e - s, len(self.input_at)
        columns = [c[s:e] for c in columns]
        raised = None if allow_nonfinite else _Raised()
        # A pass that raised no flag, from finite inputs, made only finite numbers (see _Raised):
        # its gradients are checked only if some flag is up by its end.
        nonfinite_input = raised is not None and not all(np.isfinite(c).all() for c in columns)
        bad = out.failed[s:e]  # a view: marked in place, only if some flag is up
        with np.errstate(all="ignore") if raised is None else raised.watch():
            values = self._forward(columns)
            for k, (output, _, differentiated) in enumerate(self.backward_plans):
                grads = self._backward(values, n, k)  # output element k's
                out.values[k][s:e] = values[output]  # a constant output broadcasts
                for whole, i in zip(out.grads[k * m : (k + 1) * m], self.input_at):
                    # + 0.0: eval's sum starts at 0.0 (see _backward)
                    np.add(0.0 if grads[i] is None else grads[i], 0.0, out=whole[s:e])
                if raised is not None and (raised.flag or nonfinite_input):
                    _mark_nonfinite(bad, [grads[i] for i in differentiated if grads[i] is not None])
        if raised is not None and (raised.flag or nonfinite_input):
            _mark_nonfinite(bad, [values[i] for i, _, _ in self.forward_plan])  # eval computes every node
        if raised is not None and len(self.backward_plans) > 1:
            # eval also sweeps sum(y) back (its node table's d sum(y)/d node) and refuses a
            # point where that overflows though each row of the Jacobian is finite
            with np.errstate(all="ignore"):
                _mark_nonfinite(bad, [sum(g[s:e] for g in out.grads[j::m]) for j in range(m)])

    def _forward(self, columns: Sequence[np.ndarray]) -> list:
        values: list = list(self.constants)
        for i, column in zip(self.input_at, columns):
            values[i] = column
        for i, fn, args in self.forward_plan:
            values[i] = fn(*[values[k] for k in args])
        return values

    def _backward(self, values: list, n: int, element: int = 0) -> list:
        """The reverse sweep, as engine.backward_sweep, never into constants.  eval sums
        from 0.0 (`grad += d`, so a -0.0 contribution gives 0.0); here a first contribution
        is kept as it is and an input's total gets its `+ 0.0` at the end (only the sign of a
        zero can differ, and only a zero's sign reaches the inputs through the linear rules).
        Sums are in place only into arrays this sweep made: a rule may return the same array
        for two operands (add's (g, g)) or one of its inputs."""
        grads: list = [None] * len(values)
        output, plan, _ = self.backward_plans[element]  # d (output element) / d node
        grads[output] = np.ones(n)
        is_const, owned = self.is_const, set()
        for i, vjp, args in plan:
            contributions = vjp(grads[i], values[i], *[values[k] for k in args], P)
            for k, d in zip(args, contributions):
                if is_const[k]:
                    continue
                old = grads[k]
                if old is None:
                    grads[k] = d
                elif k in owned and isinstance(old, np.ndarray) and np.shape(d) == old.shape:
                    np.add(old, d, out=old)
                else:
                    grads[k] = old + d
                    owned.add(k)
        return grads

    def _failed(self, values: list, grads: list, n: int, element: int = 0) -> np.ndarray:
        """Rows where some value (any node's: eval computes them all) or some gradient the
        output element needs is not finite: the exact pass, without numpy's flags (tests hold the
        quick test in _run to it)."""
        bad = np.zeros(n, dtype=bool)
        _mark_nonfinite(bad, [values[i] for i, _, _ in self.forward_plan])
        _mark_nonfinite(bad, [grads[i] for i in self.backward_plans[element][2] if grads[i] is not None])
        return bad


def _backward_plan(needed: Sequence, output, index: dict[int, int]) -> tuple[int, list, list[int]]:
    """(the output's index, (node, vjp, operands) in reverse order, the nodes given a gradient)
    for the nodes `needed` by one output (a scalar output, or one element of an array's)."""
    plan = [
        (index[id(node)], node.op.vjp, tuple(index[id(a)] for a in node.args))
        for node in reversed(needed)
        if node.a is not None
    ]
    return index[id(output)], plan, [index[id(node)] for node in needed if node.op is not CONST]


def _mark_nonfinite(bad: np.ndarray, arrays: list) -> None:
    """Mark in `bad` the rows where some array (a node's values or gradients) is not finite."""
    for x in arrays:
        bad |= ~np.isfinite(x)


class _Raised:
    """Whether some op of a block overflowed, divided by zero or was invalid (numpy's error
    callback).  IEEE 754 arithmetic (and libm, and numpy's own loops, which raise the same
    flags) gives an infinity or NaN from finite operands only by raising one of these, so
    with finite inputs and no flag every value is finite, and the exact pass over every
    array is skipped; a flag from a row that ends finite (a `where`'s other branch, say)
    only costs that pass.  tests/test_sweep.py holds every op to the exact pass."""

    __slots__ = ("flag",)

    def __init__(self) -> None:
        self.flag = False

    def __call__(self, kind: str, code: int) -> None:
        self.flag = True

    def watch(self) -> np.errstate:
        return np.errstate(over="call", divide="call", invalid="call", under="ignore", call=self)


def forward_plan(nodes: Sequence, index: dict[int, int]) -> list:
    """(node index, numpy form of its op, operand indices) for each computed node, in order;
    `index` maps id(node) to its position in `nodes`."""
    return [
        (i, array_forward(node.op, np), tuple(index[id(a)] for a in node.args))
        for i, node in enumerate(nodes)
        if node.a is not None
    ]


@dataclass
class RowResult:
    """eval's verdict at one point: its message, or (where floats succeed where arrays
    did not, in the last bit near an overflow) its values (one per output element) and
    gradients (Batch.grads's order: the Jacobian row by row)."""

    message: str | None
    values: tuple[float, ...] = ()
    grads: tuple[float, ...] = ()


class RowExplainer:
    """eval's own float code at one point, for the rows the arrays found failing.

    Re-running the whole build per row would give eval's message too, but costs ~300 us a
    row; recomputing the graph's values costs a few.  A message names the failing node by
    the label build gave it while computing it: for the node a statement ends with, that is
    the statement's expression (`x**p`), renamed to the target (`y`) only once it is done."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        labels = _build_time_labels(graph)
        self.plan = [(node, labels.get(id(node), node.label)) for node in graph.nodes if node.a is not None]

    def __call__(self, point: Sequence[float]) -> RowResult:
        graph = self.graph
        for node, x in zip(graph.inputs.values(), point):
            node.data = float(x)
        try:
            for node, label in self.plan:
                node.data = compute(node.op, node.args, label, False)
            graph.backward(False)
        except MathError as exc:
            return RowResult(exc.message)
        array = graph.arrays.output if graph.arrays is not None else None
        if array is None:
            return RowResult(None, (graph.output.data,), tuple(graph.gradients().values()))
        jacobian = [d for row in graph.arrays.jacobian for d in row]
        return RowResult(None, tuple(y.data for y in array.items), tuple(jacobian))


def _build_time_labels(graph: Graph) -> dict[int, str]:
    """id(node) -> its label while build computed it, where that differs from its label now."""
    from gradcli.lang.program import CALL, END, KIND, LIST, OP, START

    program, out = graph.program, {}
    if program is None or len(graph.stmt_ends) != len(program.stmts):
        return out
    begin = 0
    for stmt, end in zip(program.stmts, graph.stmt_ends):
        start, begin = begin, end
        if not stmt.target or stmt.aug or end == 0 or stmt.hi <= stmt.lo:
            continue
        node, entry = graph.nodes[end - 1], program.code[stmt.hi - 1]
        if entry[KIND] == LIST:  # `y = [log(w), 2*w]`: each new element was labelled as written
            items = _literal_items(program, stmt.lo, stmt.hi)
            for node, index in _elements(graph.nodes[start:end], stmt.target) if items is not None else ():
                label = _item_label(items, index)
                if node is not None and label is not None:
                    out[id(node)] = label
            continue
        if entry[KIND] not in (OP, CALL):
            continue
        text = program.text(entry[START], entry[END])
        if node.label == stmt.target and node.a is not None and node.op.name != "id":
            out[id(node)] = text
            continue
        # an array statement: its new elements were `(x*w)[0]` (build.arrays), renamed `y[0]` once done
        for node in graph.nodes[start:end]:
            label = node.label
            if label.startswith(stmt.target + "[") and node.a is not None and node.op.name != "id":
                out[id(node)] = paren(text) + label[len(stmt.target) :]
    return out


def _elements(nodes, target: str) -> list:
    """(node, index) for a statement's nodes that build renamed `target[...]` (not constants
    nor `id` nodes: those were not new, and keep their labels)."""
    from gradcli.lang.elements import split_element

    out = []
    for node in nodes:
        element = split_element(node.label)
        if element is not None and element[0] == target and node.a is not None and node.op.name != "id":
            out.append((node, element[1]))
    return out


def _item_label(items: list, index: list[int]) -> str | None:
    """An array literal's element's label as build gave it: the item as written (`log(w)`), or
    for a row that is an array expression, its element (`(x*w)[1]`); None if it cannot tell."""
    item = items[index[0]] if index[0] < len(items) else None
    if len(index) == 1 or item is None:
        return item if isinstance(item, str) else None
    if isinstance(item, list):
        leaf = item[index[1]] if index[1] < len(item) else None
        return leaf if isinstance(leaf, str) else None
    return paren(item) + f"[{index[1]}]"


def _literal_items(program, lo: int, hi: int) -> list | None:
    """The items of the array literal code[lo:hi] as written: each a source text, or a nested
    literal's list of them; None where it is not made only of numbers, names, operators,
    calls, indexing and nested literals."""
    from gradcli.lang.program import CALL, END, INDEX, KIND, LIST, NUM, OP, START, VAR

    stack: list = []  # per value: its span's text, or a literal's list of item texts
    for entry in program.code[lo:hi]:
        kind = entry[KIND]
        if kind in (NUM, VAR):
            stack.append(program.text(entry[START], entry[END]))
        elif kind in (OP, CALL, LIST, INDEX) and len(stack) >= entry[2] + (kind == INDEX):
            taken = entry[2] + (kind == INDEX)  # an index takes its subscripts and the value before them
            items = stack[len(stack) - taken :] if taken else []
            del stack[len(stack) - taken :]
            if kind == LIST:
                stack.append(items)
            else:
                stack.append(program.text(entry[START], entry[END]))
        else:
            return None
    return stack[0] if len(stack) == 1 and isinstance(stack[0], list) else None


__all__ = ["ArrayGraph", "Batch", "RowExplainer", "RowResult", "forward_plan"]
