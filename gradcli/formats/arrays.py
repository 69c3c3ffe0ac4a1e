"""Pretty output for arrays: an array output's values and its Jacobian as a table
(rows: output elements; columns: input elements), capped to the width and --max-rows."""

from __future__ import annotations

from . import OutputOptions


def renderables(graph, options: OutputOptions) -> list:
    """[] unless the output is an array; else its values and the Jacobian table."""
    info = graph.arrays
    if info is None or info.output is None:
        return []
    from rich.table import Table
    from rich.text import Text

    from ..render import short

    p = options.precision
    outputs = info.output.items
    inputs = list(graph.inputs)
    jac = info.jacobian or [[0.0] * len(inputs) for _ in outputs]
    label_width = max(len(y.label) for y in outputs)
    cell = p + 7
    room = max(1, (options.width - label_width - 4) // (cell + 3))
    shown_cols = inputs[:room]
    limit = options.max_rows or len(outputs)
    table = Table()
    table.add_column("", style="bold", no_wrap=True)
    for name in shown_cols:
        table.add_column(name, justify="right", no_wrap=True)
    for y, row in list(zip(outputs, jac))[:limit]:
        table.add_row(y.label, *[short(v, p) if v else "0" for v in row[: len(shown_cols)]])
    left = []
    if len(inputs) > len(shown_cols):
        left.append(f"{len(inputs) - len(shown_cols)} of {len(inputs)} input columns")
    if len(outputs) > limit:
        left.append(f"{len(outputs) - limit} of {len(outputs)} output rows")
    if left:
        table.caption = f"not shown: {' and '.join(left)}; --format json lists the whole matrix"
    values = ", ".join(short(y.data, p) for y in outputs[:12]) + (", ..." if len(outputs) > 12 else "")
    name = graph.output_name
    head = Text(f"{name} = [{values}], shape {info.output.shape}\n")
    head.append(f"Jacobian d{name}/d(inputs), a row per element of {name}:")
    return [head, table]
