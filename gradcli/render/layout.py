"""A layered layout of a computation graph: inputs in the first layer, the output in the last.

Sugiyama's scheme, kept linear-ish so a 1,000-node graph lays out in milliseconds:

1. layers: a node's layer is the longest path to it from a leaf (so every edge goes from an
   earlier layer to a later one); a constant sits just before its first user rather than at the
   far left, where its edge would cross the whole picture;
2. order within a layer: a few barycenter sweeps (down by the operands' positions, up by the
   users'), which untangle most crossings of the graphs people write;
3. coordinates: columns as wide as their widest card; within a column each card goes where its
   operands are (straight chains stay straight), pushed apart so no two cards overlap.

No dummy nodes for edges that skip layers: they would make a long program's layout quadratic,
and a curved edge across empty space reads well enough.  `direction="TB"` draws the same
layout top to bottom (transposed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from gradcli.core.engine import Value, positions
from gradcli.core.ops import CONST

SWEEPS = 4  # down-and-up barycenter passes: more rarely helps the programs people write
GAP_ALONG = 56.0  # between columns (where the edges run)
GAP_ACROSS = 14.0  # between the cards of one column
MARGIN = 12.0
DEFAULT_SIZE = (150.0, 64.0)


class Box(NamedTuple):
    x: float  # top-left corner
    y: float
    w: float
    h: float


class Layout(NamedTuple):
    layers: list[int]  # per node (by its position in `nodes`): its layer, 0 = the inputs'
    rows: list[int]  # per node: its place within its layer, from the top (left when TB)
    boxes: list[Box]  # per node: its card
    edges: list[tuple[int, int]]  # (operand's position, result's position), each operand once per use
    width: float
    height: float
    direction: str  # "LR" or "TB"


def layout(nodes: Sequence[Value], sizes: Sequence[tuple[float, float]] | None = None, direction: str = "LR") -> Layout:
    """The layout of `nodes` (topologically ordered: operands before results, as Graph.nodes and
    engine.reaching give them).  `sizes`: each card's (width, height) as drawn left to right;
    an operand not in `nodes` is left out with its edge."""
    if direction not in ("LR", "TB"):
        raise ValueError(f"direction must be 'LR' or 'TB', not {direction!r}")
    n = len(nodes)
    sizes = list(sizes) if sizes is not None else [DEFAULT_SIZE] * n
    if direction == "TB":  # lay out in the transposed space, then transpose back
        sizes = [(h, w) for w, h in sizes]
    preds, edges = _operands(nodes)
    layers = _layers(nodes, preds)
    columns = _order(layers, preds)
    rows = [0] * n
    for column in columns:
        for r, i in enumerate(column):
            rows[i] = r
    boxes, width, height = _coordinates(columns, preds, sizes)
    if direction == "TB":
        boxes = [Box(b.y, b.x, b.h, b.w) for b in boxes]
        width, height = height, width
    return Layout(layers, rows, boxes, edges, width, height, direction)


def _operands(nodes: Sequence[Value]) -> tuple[list[list[int]], list[tuple[int, int]]]:
    """Each node's operands as positions (those in `nodes`), and every edge."""
    at = positions(nodes)
    preds: list[list[int]] = []
    edges: list[tuple[int, int]] = []
    for i, node in enumerate(nodes):
        mine = [at[id(a)] for a in node.args if id(a) in at]
        if any(p >= i for p in mine):
            raise ValueError("layout needs the nodes in topological order (operands before results)")
        preds.append(mine)
        edges.extend((p, i) for p in mine)
    return preds, edges


def _layers(nodes: Sequence[Value], preds: list[list[int]]) -> list[int]:
    """Longest path from a leaf; then each constant moves to just before its first user."""
    layers = [0] * len(nodes)
    for i, ps in enumerate(preds):
        if ps:
            layers[i] = 1 + max(layers[p] for p in ps)
    first_use: dict[int, int] = {}
    for i, ps in enumerate(preds):
        for p in ps:
            if nodes[p].op is CONST:
                first_use[p] = min(first_use.get(p, layers[i]), layers[i])
    for p, layer in first_use.items():
        layers[p] = layer - 1
    return layers


def _order(layers: list[int], preds: list[list[int]]) -> list[list[int]]:
    """The nodes of each layer, ordered by barycenter sweeps (ties keep creation order)."""
    depth = max(layers, default=-1) + 1
    columns: list[list[int]] = [[] for _ in range(depth)]
    for i, layer in enumerate(layers):
        columns[layer].append(i)
    succs: list[list[int]] = [[] for _ in layers]
    for i, ps in enumerate(preds):
        for p in ps:
            succs[p].append(i)
    place = [0.0] * len(layers)  # a node's row, centred on its column's middle

    def settle(column: list[int]) -> None:
        middle = (len(column) - 1) / 2
        for r, i in enumerate(column):
            place[i] = r - middle

    def sort(column: list[int], neighbours: list[list[int]]) -> None:
        def key(i: int) -> float:
            ns = neighbours[i]
            return sum(place[j] for j in ns) / len(ns) if ns else place[i]

        column.sort(key=key)  # stable: equal barycenters keep their order
        settle(column)

    for column in columns:
        settle(column)
    for _ in range(SWEEPS):
        for column in columns[1:]:
            sort(column, preds)
        for column in reversed(columns[:-1]):
            sort(column, succs)
    for column in columns[1:]:  # end on a downward pass: results follow their operands
        sort(column, preds)
    return columns


def _coordinates(
    columns: list[list[int]], preds: list[list[int]], sizes: list[tuple[float, float]]
) -> tuple[list[Box], float, float]:
    """Boxes: columns side by side; in a column, each card as near its operands' middle as the
    cards above it allow, then the column shifted back up by its mean push."""
    succs: list[list[int]] = [[] for _ in sizes]
    for i, ps in enumerate(preds):
        for p in ps:
            succs[p].append(i)
    boxes, centre = _place(columns, preds, sizes, None)
    # Once more, with each leaf placed beside its users (an input used only at the end sits there)
    boxes, centre = _place(columns, preds, sizes, (succs, centre))
    if not boxes:
        return boxes, 2 * MARGIN, 2 * MARGIN
    low = min(b.y for b in boxes)
    boxes = [Box(b.x, b.y - low + MARGIN, b.w, b.h) for b in boxes]
    height = max(b.y + b.h for b in boxes) + MARGIN
    return boxes, max(b.x + b.w for b in boxes) + MARGIN, height


def _place(columns: list[list[int]], preds: list[list[int]], sizes: list[tuple[float, float]], leaves) -> tuple:
    """One left-to-right placement; `leaves`: (users, centres of a first placement) to align leaves by."""
    boxes = [Box(0.0, 0.0, w, h) for w, h in sizes]
    centre = [0.0] * len(sizes)
    x = MARGIN
    for column in columns:
        if not column:
            continue
        width = max(sizes[i][0] for i in column)
        ideal = []
        for i in column:
            ps, pos = preds[i], centre
            if not ps and leaves is not None:
                ps, pos = leaves[0][i], leaves[1]
            ideal.append(sum(pos[p] for p in ps) / len(ps) if ps else None)
        tops: list[float] = []
        bottom = -float("inf")
        for k, i in enumerate(column):
            h = sizes[i][1]
            want = ideal[k] - h / 2 if ideal[k] is not None else bottom + GAP_ACROSS if tops else 0.0
            top = want if not tops else max(want, bottom + GAP_ACROSS)
            tops.append(top)
            bottom = top + h
        pushes = [tops[k] - (ideal[k] - sizes[i][1] / 2) for k, i in enumerate(column) if ideal[k] is not None]
        shift = sum(pushes) / len(pushes) if pushes else 0.0
        for k, i in enumerate(column):
            w, h = sizes[i]
            top = tops[k] - shift
            boxes[i] = Box(x + (width - w) / 2, top, w, h)
            centre[i] = top + h / 2
        x += width + GAP_ALONG
    return boxes, centre
