"""Pretty output for arrays: an array output's values and its Jacobian as a table
(rows: output elements; columns: input elements), capped to the width and --max-rows."""

from __future__ import annotations

from gradcli.render.text import OutputOptions, plural, short


def renderables(graph, options: OutputOptions) -> list:
    """Each array grouped on one row (its values and gradients), then, for an array output,
    its Jacobian table."""
    info = graph.arrays
    if info is None:
        return []
    parts = _grouped(graph, options)
    return parts + _jacobian(graph, options) if info.output is not None else parts


def _nested(values: list, shape: tuple, precision: int) -> str:
    cells = [short(v, precision) for v in values]
    if len(shape) == 1:
        return "[" + ", ".join(cells) + "]"
    n = shape[1]
    return "[" + ", ".join("[" + ", ".join(cells[i : i + n]) + "]" for i in range(0, len(cells), n)) + "]"


def _grouped(graph, options: OutputOptions) -> list:
    """One row an array name: shape, values, d output / d element (long ones cut with ...)."""
    from rich.table import Table

    names = graph.arrays.names
    if not names:
        return []
    p = min(options.precision, 4)
    table = Table(title=f"arrays: values and d{graph.output_name}/d(element)", title_justify="left")
    name_w = max(5, *map(len, names))  # at least the headers' width
    shape_w = max(5, *(len(str(a.shape)) for a in names.values()))
    room = max(12, (options.width - name_w - shape_w - 13) // 2)  # value and gradient share the rest

    def cut(text: str) -> str:
        return text if len(text) <= room else text[: room - 1] + "…"

    table.add_column("array", style="bold", no_wrap=True)
    table.add_column("shape", no_wrap=True)
    table.add_column("value", no_wrap=True)
    table.add_column(f"d{graph.output_name}/d", no_wrap=True)
    shown = list(names.items())[: options.max_rows or None]
    for name, array in shown:
        items = array.items
        table.add_row(
            name,
            str(array.shape),
            cut(_nested([v.data for v in items], array.shape, p)),
            cut(_nested([v.grad for v in items], array.shape, p)),
        )
    if len(shown) == len(names):
        return [table]
    from rich.text import Text

    left = ", ".join(list(names)[len(shown) :])  # say what --max-rows left out, as the node table does
    return [table, Text(f"not shown: {plural(len(names) - len(shown), 'array')} ({left}); --max-rows 0 shows all")]


def _jacobian(graph, options: OutputOptions) -> list:
    info = graph.arrays
    from rich.table import Table
    from rich.text import Text

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
    for y, row in zip(outputs[:limit], jac):  # only the rows drawn are made dense
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
