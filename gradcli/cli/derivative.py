"""`hessian` and `diff`: eval's options and pipeline (gradcli.session), then the derivative's
output (gradcli.render.derivative)."""

from typing import NamedTuple

import typer

from gradcli import session
from gradcli.cli.errors import Reporter
from gradcli.cli.evaluate import Args, graph
from gradcli.cli.io import write
from gradcli.cli.options import Options, Spec, command, one
from gradcli.render.writers import names


def hessian_command(args: Args, opts: Options, own: None, reporter: Reporter) -> None:
    """The gradient and the matrix of second partial derivatives, its eigenvalues and verdict.

    \b
    Examples:
      gradcli hessian 'f = (1 - x)**2 + 100*(y - x**2)**2' x=1 y=1
      gradcli hessian -f examples/seed.grad --format json
    """
    h = session.hessian(graph(args, opts, reporter), opts.allow_nonfinite)
    if h.reason and opts.fmt == "csv":  # the table and JSON say it; a CSV has no place for it
        reporter.warn(h.reason)
    write("hessian", h, opts)


class DiffOptions(NamedTuple):
    wrt: one(str, None, "--wrt", help="Differentiate with respect to this input.")
    order: one(int, 1, "--order", help="The order N of the derivative d^N/dNAME^N.") = 1


def diff_command(args: Args, opts: Options, own: DiffOptions, reporter: Reporter) -> None:
    """Print a gradcli program computing the derivative (the backward pass written out).

    \b
    Examples:
      gradcli diff -f examples/seed.grad --wrt a
      gradcli diff 'y = x**3 * exp(-x)' x=1 --wrt x --order 3 | gradcli eval - --format json
    """
    text = session.diff(graph(args, opts, reporter), own.wrt, own.order, opts.allow_nonfinite)
    write("diff", text, opts)


def add(app: typer.Typer) -> None:
    """Put hessian and diff on the app."""
    command(app, "hessian", Spec(formats=tuple(names("hessian"))))(hessian_command)
    command(app, "diff", Spec(formats=tuple(names("diff")), own=DiffOptions))(diff_command)
