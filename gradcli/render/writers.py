"""The output formats: for each command, format name -> writer, as one literal table.

A writer is `writer(doc, options, out)`: it writes `doc` (eval and explain: a Graph; check:
a Report; hessian: a Hessian; diff: program text; taylor: a Taylor) to the text stream `out`.  The CLI builds
its `--format` choices from FORMATS (the first is the default) and looks the writer up here,
so a new format is one function and one entry below.  rich is imported only inside the
pretty writers: json, csv and grads never pay for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TextIO

from gradcli.render.text import OutputOptions, full, jsonable, print_all

Writer = Callable[[Any, OutputOptions, TextIO], None]


# -- eval -------------------------------------------------------------------------------------


def _eval_pretty(graph, options: OutputOptions, out: TextIO) -> None:
    from gradcli.render.nodes import table
    from gradcli.render.tree import tree

    arrays = _array_parts(graph, options)  # an array output: its Jacobian instead of the tree
    no_tree = getattr(graph, "arrays", None) and graph.arrays.output is not None
    print_all([table(graph, options), *([] if no_tree else [tree(graph, options)]), *arrays,
               *_uncertainty(graph, options)], options, out)  # fmt: skip


def _array_parts(graph, options: OutputOptions) -> list:
    """Arrays grouped a row each, and an array output's Jacobian table (gradcli.render.arrays)."""
    if getattr(graph, "arrays", None) is None:
        return []
    from gradcli.render.arrays import renderables

    return renderables(graph, options)


def _uncertainty(graph, options: OutputOptions) -> list:
    """`g = 9.811 ± 0.022` and the budget, when an input has an uncertainty (gradcli.render.uncertainty)."""
    if getattr(graph, "uncertainty", None) is None:
        return []
    from gradcli.render.uncertainty import renderables

    return renderables(graph.uncertainty, options)


def _eval_table(graph, options: OutputOptions, out: TextIO) -> None:
    from gradcli.render.nodes import table

    print_all([table(graph, options), *_array_parts(graph, options), *_uncertainty(graph, options)], options, out)


def _eval_tree(graph, options: OutputOptions, out: TextIO) -> None:
    from gradcli.render.tree import tree

    print_all([tree(graph, options)], options, out)


def _eval_json(graph, options: OutputOptions, out: TextIO) -> None:
    from gradcli.render.export import to_json  # the exporters load with the format that uses them

    text = to_json(graph)
    if getattr(graph, "uncertainty", None) is not None:
        from gradcli.render.uncertainty import json_text

        text = json_text(text, graph.uncertainty)
    out.write(text + "\n")


def _eval_csv(graph, options: OutputOptions, out: TextIO) -> None:
    from gradcli.render.export import to_csv

    out.write(to_csv(graph))


def _eval_grads(graph, options: OutputOptions, out: TextIO) -> None:
    """Just the gradients, one `name value` line each, full precision: for scripts
    (`gradcli eval ... --format grads | while read name g; do ...`)."""
    out.write("".join(f"{name} {full(g)}\n" for name, g in graph.gradients().items()))


def _eval_dot(graph, options: OutputOptions, out: TextIO) -> None:
    from gradcli.render.export import to_dot

    out.write(to_dot(graph, options.precision))


def _eval_mermaid(graph, options: OutputOptions, out: TextIO) -> None:
    from gradcli.render.export import to_mermaid

    out.write(to_mermaid(graph, options.precision))


def _html(graph, options: OutputOptions, out: TextIO) -> None:
    """The interactive page (gradcli.render.html_page): eval's and explain's --format html."""
    from gradcli.render.html_page import write_html

    write_html(graph, options, out)


# -- explain and check: explain's writers get the Graph, check's the Report -----------------------


def _explain_pretty(graph, options: OutputOptions, out: TextIO) -> None:
    from gradcli.analysis.explain import explain
    from gradcli.render.explain import explanation

    print_all([explanation(explain(graph, options.precision), options)], options, out)


def _explain_json(graph, options: OutputOptions, out: TextIO) -> None:
    from gradcli.analysis.explain import explain

    out.write(json.dumps(jsonable(explain(graph)), allow_nan=False) + "\n")  # full precision


def _check_table(report, options: OutputOptions, out: TextIO) -> None:
    from gradcli.render.check import check_table

    print_all([check_table(report, options)], options, out)


def _check_json(report, options: OutputOptions, out: TextIO) -> None:
    from gradcli.analysis.check import to_dict

    out.write(json.dumps(to_dict(report), allow_nan=False) + "\n")


def _hessian(name: str) -> Writer:
    """gradcli.render.derivative's writer `name`, imported when hessian or diff runs (not at start-up)."""

    def write(doc, options: OutputOptions, out: TextIO) -> None:
        from gradcli.render import derivative

        getattr(derivative, name)(doc, options, out)

    return write


def _taylor(name: str) -> Writer:
    """gradcli.render.taylor's writer `name`, imported when taylor runs."""

    def write(doc, options: OutputOptions, out: TextIO) -> None:
        from gradcli.render import taylor

        getattr(taylor, name)(doc, options, out)

    return write


def _solve(name: str) -> Writer:
    """gradcli.render.solve's writer `name`, imported when solve runs."""

    def write(doc, options: OutputOptions, out: TextIO) -> None:
        from gradcli.render import solve

        getattr(solve, name)(doc, options, out)

    return write


def _fit(name: str) -> Writer:
    """gradcli.render.fit's writer `name`, imported when fit runs."""

    def write(doc, options: OutputOptions, out: TextIO) -> None:
        from gradcli.render import fit

        getattr(fit, name)(doc, options, out)

    return write


def _minimize(name: str) -> Writer:
    """gradcli.render.minimize's writer `name`, imported when minimize runs."""

    def write(doc, options: OutputOptions, out: TextIO) -> None:
        from gradcli.render import minimize

        getattr(minimize, name)(doc, options, out)

    return write


# The table: command -> {format -> writer}; the first format of a command is its default.
FORMATS: dict[str, dict[str, Writer]] = {
    "eval": {
        "pretty": _eval_pretty,
        "table": _eval_table,
        "tree": _eval_tree,
        "json": _eval_json,
        "csv": _eval_csv,
        "grads": _eval_grads,
        "dot": _eval_dot,
        "mermaid": _eval_mermaid,
        "html": _html,
    },
    "explain": {"pretty": _explain_pretty, "json": _explain_json, "html": _html},
    "check": {"table": _check_table, "json": _check_json},
    "hessian": {"table": _hessian("hessian_table"), "json": _hessian("hessian_json"), "csv": _hessian("hessian_csv")},
    "diff": {"program": _hessian("diff_program")},
    "taylor": {"table": _taylor("taylor_table"), "json": _taylor("taylor_json")},
    "solve": {"table": _solve("solve_table"), "json": _solve("solve_json")},
    "fit": {"table": _fit("fit_table"), "json": _fit("fit_json"), "bindings": _fit("fit_bindings")},
    "minimize": {"table": _minimize("minimize_table"), "json": _minimize("minimize_json")},
}


def names(command: str) -> list[str]:
    """The formats of `command`, the default first."""
    return list(FORMATS[command])


def writer(command: str, name: str) -> Writer:
    return FORMATS[command][name]
