"""`taylor`: the Taylor coefficients of the output in one input, from exact derivatives
(gradcli.analysis.taylor), written by gradcli.render.taylor."""

from typing import NamedTuple

import typer

from gradcli.cli.errors import Reporter
from gradcli.cli.evaluate import Args, graph
from gradcli.cli.io import write
from gradcli.cli.options import WRT, Options, Spec, command, one
from gradcli.core.code_names import TARGETS, check_target
from gradcli.core.errors import UsageError
from gradcli.core.transform import MAX_ORDER
from gradcli.render.writers import names


class TaylorOptions(NamedTuple):
    wrt: WRT
    order: one(int, 5, "--order", metavar="N", help=f"Coefficients c_0..c_N (N from 1 to {MAX_ORDER}).") = 5
    to: one(str, None, "--to", metavar="|".join(TARGETS),
            help="Write the polynomial as code: a gradcli program or a function in that language.") = None  # fmt: skip


def taylor_command(args: Args, opts: Options, own: TaylorOptions, reporter: Reporter) -> None:
    """The Taylor coefficients c_k = f^(k)(x0)/k!, k = 0..N, of the output in one input at
    its value; the other inputs stay at theirs.  The derivatives are exact (diff's, evaluated).

    \b
    Examples:
      gradcli taylor 'y = exp(sin(x))' x=0 --wrt x --order 4
      gradcli taylor 'y = exp(-a*t) * cos(t)' a=0.5 t=1 --wrt t --format json
      gradcli taylor 'y = log(1 + x)' x=0.5 --wrt x --order 3 --to gradcli | gradcli eval - x=0.6
    """
    from gradcli.analysis.taylor import polynomial, taylor

    if own.to is not None:  # before the work: a typo is told at once
        check_target(own.to)
        if opts.fmt != "table":  # --to writes a program: a --format json would be silently dropped
            raise UsageError(
                f"--to {own.to} writes a program, so --format {opts.fmt} does not apply: drop one of the two"
            )
    g = graph(args, opts, reporter)
    t = taylor(g, own.wrt, own.order, opts.allow_nonfinite)
    reporter.warn_all(list(t.warnings))
    if own.to is None:
        write("taylor", t, opts)
    else:  # a program, written as diff's are
        write("diff", polynomial(t, own.to), opts._replace(fmt="program"))


def add(app: typer.Typer) -> None:
    """Put taylor on the app."""
    command(app, "taylor", Spec(formats=tuple(names("taylor")), own=TaylorOptions))(taylor_command)
