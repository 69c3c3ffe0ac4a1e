"""`hessian` and `diff`: eval's options and pipeline (gradcli.session), then the derivative's
output (gradcli.render.derivative)."""

from typing import NamedTuple

import typer

from gradcli import session
from gradcli.cli.errors import Reporter
from gradcli.cli.evaluate import Args, graph
from gradcli.cli.io import read_source, write
from gradcli.cli.options import Options, Spec, command, name_list, one
from gradcli.core.code_names import TARGETS
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
    wrt: one(str, None, "--wrt", metavar="NAME[,NAME...]",
             help="Differentiate with respect to these inputs (default: every input).") = None  # fmt: skip
    order: one(int, 1, "--order", help="The order N of the derivative d^N/dNAME^N.") = 1
    to: one(str, "gradcli", "--to", metavar="|".join(TARGETS),
            help="The language: a gradcli program; a python (math only), numpy, C99 (math.h only) or "
                 "JavaScript (Math only) function returning the value and the derivatives; or LaTeX "
                 "lines.") = "gradcli"  # fmt: skip


def diff_command(args: Args, opts: Options, own: DiffOptions, reporter: Reporter) -> None:
    """Print a gradcli program computing the derivative (the backward pass written out).

    --to python, numpy, c or javascript prints one function instead (L_grad, L_hessian, y_d3)
    returning the value and the derivatives; its docstring lists the inputs' and the results'
    order.  C: double L_grad(const double *in, double *d), the derivatives written into d.
    --to latex writes the lines down as math (an aligned environment).

    Without a value, an input stays a parameter (a symbolic derivative); with one, it is the
    program's default.  Without --wrt, every input: the gradient (one statement dL_da = ... per
    input) or, with --order 2, the Hessian's upper triangle (d2L_da2, d2L_dadb, ...).

    \b
    Examples:
      gradcli diff 'y = x*sin(x)' --wrt x | gradcli eval - x=2
      gradcli diff -f examples/seed.grad --wrt a
      gradcli diff 'L = a*b + sin(a)' a=1 b=2 | gradcli eval - --of dL_da
      gradcli diff 'y = x**3 * exp(-x)' x=1 --wrt x --order 3 | gradcli eval - --format json
      gradcli diff 'L = a*b + sin(a)' --to python > grad.py
      gradcli diff 'L = a*b + sin(a)' --order 2 --to numpy
      gradcli diff 'y = x1*tanh(w*x1 + b)' --wrt w,b --to latex
    """
    source, texts = read_source(args or [], opts.files, reporter)
    g, parameters = session.diff_graph(source, texts, opts.request())
    reporter.warn_all(g.warnings)
    session.scalar(g)
    wrt = None if own.wrt is None else name_list(own.wrt, "--wrt")  # None: every input
    text = session.diff(g, wrt, own.order, opts.allow_nonfinite, parameters, own.to)
    write("diff", text, opts)


def add(app: typer.Typer) -> None:
    """Put hessian and diff on the app."""
    command(app, "hessian", Spec(formats=tuple(names("hessian"))))(hessian_command)
    command(app, "diff", Spec(formats=tuple(names("diff")), own=DiffOptions))(diff_command)
