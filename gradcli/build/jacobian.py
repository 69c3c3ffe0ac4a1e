"""What a Graph built with arrays knows (Graph.arrays): array names, the array output and its
Jacobian (one reverse sweep per output element), and their JSON form."""

from __future__ import annotations

from collections.abc import Sequence

from gradcli.build.array_values import Array, nest, shape_text, suffixes
from gradcli.core.engine import positions, reaching, topological_order
from gradcli.core.errors import UsageError
from gradcli.core.formula import number
from gradcli.core.ops import INPUT


class Info:
    """What a Graph knows of arrays (Graph.arrays): the array inputs' shapes, every array name's
    newest value, the output when it is an array, and its Jacobian once computed."""

    __slots__ = ("shapes", "names", "output", "jacobian")

    def __init__(self, shapes: dict, names: dict, output: Array | None) -> None:
        self.shapes = shapes
        self.names = names
        self.output = output
        self.jacobian: Rows | None = None

    def backward(self, graph, allow_nonfinite: bool = False) -> None:
        """Graph.backward for an array output: the Jacobian (see backward below)."""
        backward(graph, allow_nonfinite)


def backward(graph, allow_nonfinite: bool = False) -> None:
    """The Jacobian of an array output, one reverse sweep per output element (a row each);
    then every node's grad as d sum(output) / d node (PyTorch's y.backward(ones_like(y)))."""
    info = graph.arrays
    outputs = info.output.items
    column = positions(list(graph.inputs.values()))
    rows = []
    for y in outputs:
        order = topological_order(y)
        for node in order:
            node.grad = 0.0
        y.grad = 1.0
        graph.sweep(order, allow_nonfinite)
        rows.append({column[id(node)]: node.grad for node in order if node.op is INPUT and id(node) in column})
    for node in graph.nodes:
        node.grad = 0.0
    order = reaching(graph.nodes, *outputs)
    for y in outputs:
        y.grad += 1.0
    graph.sweep(order, allow_nonfinite)
    graph._order = order
    info.jacobian = Rows(rows, len(column))


class Rows(Sequence):
    """The Jacobian's rows, kept sparse (each output element's entries for the inputs it reaches)
    and handed out dense, one list a row, when read: the 40,000 elements of a 200x200 literal
    are 40,000 entries, not a dense 40,000 x 40,000 matrix (12 GB)."""

    __slots__ = ("sparse", "width")
    __hash__ = None  # type: ignore[assignment]  # compared by value, like the lists it stands for

    def __init__(self, sparse: list[dict[int, float]], width: int) -> None:
        self.sparse, self.width = sparse, width

    def __len__(self) -> int:
        return len(self.sparse)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._dense(entries) for entries in self.sparse[i]]
        return self._dense(self.sparse[i])

    def _dense(self, entries: dict[int, float]) -> list[float]:
        row = [0.0] * self.width  # an input the element does not reach: d/dx = 0
        for j, d in entries.items():
            row[j] = d
        return row

    def __eq__(self, other) -> bool:
        return isinstance(other, (list, Rows)) and len(other) == len(self) and all(a == b for a, b in zip(self, other))

    def __repr__(self) -> str:
        return f"Rows({len(self)} x {self.width})"


def needs_scalar(graph) -> None:
    """Refuse an array output where a command needs one scalar (check, explain, hessian, ...)."""
    info = graph.arrays
    if info is not None and info.output is not None:
        name, shape = graph.output_name, info.output.shape
        first = f"{name}[{','.join('0' * len(shape))}]"
        raise UsageError(
            f"this command needs a scalar output, but {name} is an array of {shape_text(shape)}",
            hint=f"pick one element with --of {first}, or reduce it (sum, mean, norm); eval shows the Jacobian",
        )


# -- JSON: shaped gradients, the array output and its Jacobian ---------------------------------


def _json(x):
    """Nested lists of floats, JSON-safe (NaN and infinities as strings)."""
    if x.__class__ is not list:
        return number(x)
    if x and x[0].__class__ is list:
        return [_json(v) for v in x]
    return [v if v - v == 0.0 else number(v) for v in x]


def shaped_gradients(graph) -> dict:
    """eval's `gradients` with each array input's gradients nested in its shape."""
    shapes = graph.arrays.shapes if graph.arrays is not None else {}
    out: dict = {}
    for label, node in graph.inputs.items():
        name = label.partition("[")[0]
        if name in shapes and label != name:
            if name not in out:
                out[name] = _json(nest([graph.inputs[name + s].grad for s in suffixes(shapes[name])], shapes[name]))
        else:
            out[label] = _json(node.grad)
    return out


def json_fields(graph) -> dict:
    """The keys eval's JSON gains (or changes) for arrays: `gradients` shaped like the inputs,
    `shapes` of the array inputs; for an array output its nested `value`, `shape` and `jacobian`."""
    info = graph.arrays
    if info is None:
        return {}
    doc: dict = {}
    if info.shapes:
        doc["gradients"] = shaped_gradients(graph)
        doc["shapes"] = {name: list(shape) for name, shape in info.shapes.items()}
    if info.output is not None:
        doc["value"] = _json(info.output.data)
        doc["shape"] = list(info.output.shape)
        doc["jacobian"] = jacobian_dict(graph)
    return doc


# A JSON document is built whole before it is written: past this many entries (~250 MB of text)
# the Jacobian is refused rather than exhausting memory (a 200x200 output has 1.6e9).
JSON_JACOBIAN_LIMIT = 10**7


def jacobian_dict(graph) -> dict:
    info = graph.arrays
    entries = len(info.output.items) * len(graph.inputs)
    if entries > JSON_JACOBIAN_LIMIT:
        raise UsageError(
            f"the Jacobian of {graph.output_name} has {len(info.output.items):,} x {len(graph.inputs):,}"
            f" = {entries:,} entries, more than one JSON document holds ({JSON_JACOBIAN_LIMIT:,})",
            hint=f"pick elements with --of {info.output.items[0].label}, or reduce the output (sum, mean)",
        )
    return {
        "outputs": [y.label for y in info.output.items],
        "inputs": list(graph.inputs),
        "matrix": [_json(row) for row in info.jacobian or []],
    }


def carry(info: Info, new) -> None:
    """--expand builds a new Graph: carry the array output over to it (its elements by label)."""
    output = None
    if info.output is not None:
        by_label = {node.label: node for node in new.nodes}
        items = [by_label.get(y.label) for y in info.output.items]
        if any(node is None for node in items):
            raise UsageError("--expand cannot keep the array output apart: pick one element with --of")
        output = Array(info.output.shape, items)
        new.output = items[-1]
    new.arrays = Info(info.shapes, {}, output)
