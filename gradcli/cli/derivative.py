"""The `hessian` and `diff` commands (typer), registered on the app by gradcli.cli.

They share eval's options block and error handling through `cli.command`; the work is
gradcli.derivative's, the output gradcli.formats.derivative's.
"""

from __future__ import annotations

from typing import Annotated

import typer

from gradcli.cli import app as cli
from gradcli.cli.app import Args, Options, Reporter


@cli.command("hessian")
def hessian_command(args: Args = None, *, opts: Options, reporter: Reporter) -> None:
    """The gradient and the matrix of second partial derivatives, its eigenvalues and verdict.

    \b
    Examples:
      gradcli hessian 'f = (1 - x)**2 + 100*(y - x**2)**2' x=1 y=1
      gradcli hessian -f examples/seed.grad --format json
    """
    from gradcli.analysis.hessian import hessian

    graph = cli._evaluate(args, opts, reporter)
    cli.write("hessian", hessian(graph, opts.allow_nonfinite), opts)


@cli.command("diff")
def diff_command(
    args: Args = None,
    *,
    opts: Options,
    reporter: Reporter,
    wrt: Annotated[str, typer.Option("--wrt", help="Differentiate with respect to this input.", show_default=False)],
    order: Annotated[int, typer.Option("--order", help="The order N of the derivative d^N/dNAME^N.")] = 1,
) -> None:
    """Print a gradcli program computing the derivative (the backward pass written out).

    \b
    Examples:
      gradcli diff -f examples/seed.grad --wrt a
      gradcli diff 'y = x**3 * exp(-x)' x=1 --wrt x --order 3 | gradcli eval - --format json
    """
    from gradcli.analysis.diff import derivative_name, nth_derivative, require_finite, to_program

    graph = cli._evaluate(args, opts, reporter)
    builder, target = nth_derivative(graph, wrt, order)
    name = derivative_name(graph.output_name, wrt, order)
    if not opts.allow_nonfinite:
        require_finite(graph, builder, target, name)
    cli.write("diff", to_program(graph, builder, target, name), opts)
