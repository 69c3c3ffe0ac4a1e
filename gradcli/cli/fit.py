"""`fit`: nonlinear least squares against a CSV (gradcli.analysis.fit), written by
gradcli.render.fit.  scipy and numpy are imported when the command runs."""

import io
import sys
from typing import NamedTuple

import typer

from gradcli import session
from gradcli.cli.errors import Reporter
from gradcli.cli.evaluate import Args
from gradcli.cli.io import read_source, write
from gradcli.cli.options import Options, Spec, command, one
from gradcli.core.errors import EXIT_CHECK_FAILED, UsageError
from gradcli.render.writers import names


class FitCommandOptions(NamedTuple):
    data: one(str, None, "--data", metavar="FILE.csv|-",
              help="The data: a header of input names and the output's name, one row an observation "
                   "('-': stdin). Required.") = None  # fmt: skip
    sigma: one(str, None, "--sigma", metavar="COLUMN",
               help="The column of the observations' standard uncertainties: weights 1/sigma², "
                    "uncertainties not rescaled by chi2/dof.") = None  # fmt: skip


def fit_command(args: Args, opts: Options, own: FitCommandOptions, reporter: Reporter) -> None:
    """Fit the program's output to data: PARAM=START bindings are the unknowns, the CSV's
    columns bind the other inputs and the column named like the output holds the observations.

    Nonlinear least squares with the exact Jacobian. Reports each parameter with its standard
    uncertainty, their correlation matrix, rss, dof and chi2/dof, and plots the residuals.
    --format bindings prints a=VALUE±U lines and --corr options that `gradcli eval` takes.
    Exit 1 when the fit does not converge (the best point is still shown).

    \b
    Examples:
      gradcli fit -f examples/decay.grad --data examples/decay.csv A=1 k=0.1
      gradcli fit 'y = a*t + b' --data line.csv a=1 b=0 --sigma dy --format json
      gradcli eval -f model.grad t=5 $(gradcli fit -f model.grad --data d.csv A=1 k=0.1 --format bindings)
    """
    from gradcli.analysis.extras import optimize
    from gradcli.analysis.fit import FitOptions, prepare, run
    from gradcli.analysis.points import CsvPoints

    optimize()  # without scipy: exit 2 naming the extra, before any work
    if own.data is None:
        raise UsageError("fit needs --data FILE.csv: the observations", hint="e.g. --data decay.csv")
    from_stdin = any(str(f) == "-" for f in opts.files) or not opts.files and (args or [""])[0] == "-"
    if own.data == "-" and from_stdin:
        raise UsageError("--data - reads standard input, but the program is read from it already")
    source, texts = read_source(args or [], opts.files, reporter)
    starts = session.bindings(texts, opts.request())
    program = session.load(source)
    where = "standard input" if own.data == "-" else own.data
    with _open(own.data) as stream:
        problem = prepare(program, starts, CsvPoints(stream, where), FitOptions(own.sigma, opts.of))
    reporter.warn_all(problem.graph.warnings)
    result = run(problem)
    reporter.warn_all(result.warnings)
    write("fit", result, opts)
    if not result.converged:
        reporter.warn(f"the fit did not converge: {result.message}")
        raise typer.Exit(EXIT_CHECK_FAILED)


def _open(path: str):
    if path == "-":
        raw = getattr(sys.stdin, "buffer", None)
        return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") if raw is not None else sys.stdin
    try:
        return open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by the with above
    except OSError as exc:
        raise UsageError(f"cannot read {path!r}: {exc.strerror or exc}") from None


def add(app: typer.Typer) -> None:
    """Put fit on the app."""
    shared = ("files", "of", "precision", "max_rows", "no_color", "bindings_file")
    command(app, "fit", Spec(shared, tuple(names("fit")), FitCommandOptions))(fit_command)
