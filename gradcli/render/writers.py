"""Output formats as a registry: for each command, format name -> writer.

A writer is `writer(doc, options, out)`: it writes `doc` (eval and explain: a Graph;
check: a Report) to the text stream `out`.  The CLI builds its `--format` choices
from this table and looks the writer up here, so a new format is one decorated function.
rich is imported only inside the pretty writers: json, csv and grads never pay for it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, NamedTuple, TextIO


class OutputOptions(NamedTuple):  # a NamedTuple: ~1 ms less start-up than a dataclass
    """How a writer draws: digits of pretty numbers, rows, colour and width."""

    precision: int = 6
    max_rows: int = 200
    no_color: bool = False
    width: int = 80
    open_calls: bool = False  # the tree draws a user function's call as one node unless this (--expand)


Writer = Callable[[Any, OutputOptions, TextIO], None]
_WRITERS: dict[str, dict[str, Writer]] = {"eval": {}, "explain": {}, "check": {}}


def register(name: str, *commands: str) -> Callable[[Writer], Writer]:
    """Add the decorated writer as format `name` of each of `commands`."""

    def add(writer: Writer) -> Writer:
        for command in commands:
            _WRITERS.setdefault(command, {})[name] = writer
        return writer

    return add


def names(command: str) -> list[str]:
    """The formats of `command`, the default first."""
    return list(_WRITERS[command])


def writer(command: str, name: str) -> Writer:
    return _WRITERS[command][name]


def terminal_width(environ=os.environ) -> int:
    """The width to draw at: a terminal's, when one is attached to stdout, stderr or stdin
    (`gradcli ... | less` in a terminal), else $COLUMNS, else 80."""
    for fd in (1, 2, 0):
        try:
            columns = os.get_terminal_size(fd).columns
        except (OSError, ValueError):
            continue
        if columns > 0:
            return columns
    text = environ.get("COLUMNS", "")
    return int(text) if text.isdigit() and int(text) > 0 else 80


def _print(renderables, options: OutputOptions, out: TextIO) -> None:
    from gradcli.render.graph import console

    con = console(out, options.width, options.no_color)
    for renderable in renderables:
        con.print(renderable)


# -- eval -------------------------------------------------------------------------------------
# Registration order is the order of the --format choices; the first is the default.


@register("pretty", "eval")
def _eval_pretty(graph, options: OutputOptions, out: TextIO) -> None:
    from gradcli.render import graph as render

    arrays = _array_parts(graph, options)  # an array output: its Jacobian instead of the tree
    tree = [] if getattr(graph, "arrays", None) and graph.arrays.output is not None else [render.tree(graph, options)]
    _print([render.table(graph, options), *tree, *arrays, *_uncertainty(graph, options)], options, out)


def _array_parts(graph, options: OutputOptions) -> list:
    """Arrays grouped a row each, and an array output's Jacobian table (gradcli.formats.arrays)."""
    if getattr(graph, "arrays", None) is None:
        return []
    from gradcli.render.arrays import renderables

    return renderables(graph, options)


def _uncertainty(graph, options: OutputOptions) -> list:
    """`g = 9.811 ± 0.022` and the budget, when an input has an uncertainty (gradcli.formats.uncertainty)."""
    if getattr(graph, "uncertainty", None) is None:
        return []
    from gradcli.render.uncertainty import renderables

    return renderables(graph.uncertainty, options)


@register("table", "eval")
def _eval_table(graph, options: OutputOptions, out: TextIO) -> None:
    from gradcli.render import graph as render

    _print([render.table(graph, options), *_array_parts(graph, options), *_uncertainty(graph, options)], options, out)


@register("tree", "eval")
def _eval_tree(graph, options: OutputOptions, out: TextIO) -> None:
    from gradcli.render import graph as render

    _print([render.tree(graph, options)], options, out)


@register("json", "eval")
def _eval_json(graph, options: OutputOptions, out: TextIO) -> None:
    from gradcli.render.graph import to_json

    text = to_json(graph)
    if getattr(graph, "uncertainty", None) is not None:
        from gradcli.render.uncertainty import json_text

        text = json_text(text, graph.uncertainty)
    out.write(text + "\n")


@register("csv", "eval")
def _eval_csv(graph, options: OutputOptions, out: TextIO) -> None:
    from gradcli.render.graph import to_csv

    out.write(to_csv(graph))


@register("grads", "eval")
def _eval_grads(graph, options: OutputOptions, out: TextIO) -> None:
    """Just the gradients, one `name value` line each, full precision: for scripts
    (`gradcli eval ... --format grads | while read name g; do ...`)."""
    from gradcli.render.graph import full

    out.write("".join(f"{name} {full(g)}\n" for name, g in graph.gradients().items()))


@register("dot", "eval")
def _eval_dot(graph, options: OutputOptions, out: TextIO) -> None:
    from gradcli.render.graph import to_dot

    out.write(to_dot(graph, options.precision))


@register("mermaid", "eval")
def _eval_mermaid(graph, options: OutputOptions, out: TextIO) -> None:
    from gradcli.render.graph import to_mermaid

    out.write(to_mermaid(graph, options.precision))


# -- explain and check: explain's writers get the Graph, check's the Report -----------------------


@register("pretty", "explain")
def _explain_pretty(graph, options: OutputOptions, out: TextIO) -> None:
    from gradcli.analysis.explain import explain
    from gradcli.render.graph import explanation

    _print([explanation(explain(graph, options.precision), options)], options, out)


@register("json", "explain")
def _explain_json(graph, options: OutputOptions, out: TextIO) -> None:
    from gradcli.analysis.explain import explain
    from gradcli.render.graph import jsonable

    out.write(json.dumps(jsonable(explain(graph)), allow_nan=False) + "\n")  # full precision


@register("table", "check")
def _check_table(report, options: OutputOptions, out: TextIO) -> None:
    from gradcli.render.graph import check_table

    _print([check_table(report, options)], options, out)


@register("json", "check")
def _check_json(report, options: OutputOptions, out: TextIO) -> None:
    from gradcli.analysis.check import to_dict

    out.write(json.dumps(to_dict(report), allow_nan=False) + "\n")
