"""`solve`: inputs where the `--zero` outputs vanish (gradcli.analysis.solve), written by
gradcli.render.solve.  scipy is imported when the command runs (the extra `gradcli[optimize]`)."""

from typing import NamedTuple

import typer

from gradcli.cli.errors import Reporter
from gradcli.cli.evaluate import Args, graph
from gradcli.cli.io import write
from gradcli.cli.options import FIX, Options, Spec, command, name_list, one
from gradcli.core.errors import EXIT_CHECK_FAILED, UsageError
from gradcli.render.writers import names


class SolveOptions(NamedTuple):
    zero: one(str, None, "--zero", metavar="NAME[,NAME...]",
              help="The outputs (statements of the program) to make 0. Required.") = None  # fmt: skip
    fix: FIX = ()


def solve_command(args: Args, opts: Options, own: SolveOptions, reporter: Reporter) -> None:
    """Find inputs where the --zero outputs are all 0, from the given values (the guess).

    A square system (as many outputs as varying inputs) by a Newton-type method with the
    exact Jacobian, any other by least squares. Reports the residuals, their norm, the
    Jacobian's condition number and whether it is singular at the answer. Exit 1 when no
    zero is found (the best point is still shown).

    \b
    Examples:
      gradcli solve 'f = x**2 + y**2 - 4; g = x*y - 1' x=2 y=0.5 --zero f,g
      gradcli solve 'r = v0*t - 4.9*t**2 - h' v0=20 h=10 t=0.5 --zero r --fix v0,h --format json
    """
    from gradcli.analysis.extras import optimize
    from gradcli.analysis.solve import solve

    optimize()  # without scipy: exit 2 naming the extra, before any work
    if own.zero is None:
        raise UsageError("solve needs --zero NAME[,NAME...]: the outputs to make 0", hint="e.g. --zero f,g")
    zero = name_list(own.zero, "--zero")
    fixed = name_list(own.fix, "--fix")
    result = solve(graph(args, opts, reporter, jacobian=True), zero, fixed)
    reporter.warn_all(result.warnings)
    write("solve", result, opts)
    if not result.converged:
        reporter.warn(f"no zero found: {result.message}")
        raise typer.Exit(EXIT_CHECK_FAILED)


def add(app: typer.Typer) -> None:
    """Put solve on the app."""
    shared = ("files", "precision", "max_rows", "no_color", "bindings_file")
    command(app, "solve", Spec(shared, tuple(names("solve")), SolveOptions))(solve_command)
