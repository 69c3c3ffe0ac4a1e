"""`minimize`: the output's local minimum over the inputs with exact derivatives
(gradcli.analysis.minimize), written by gradcli.render.minimize.  scipy is imported when the
command runs (the extra `gradcli[optimize]`)."""

from pathlib import Path
from typing import NamedTuple

import typer

from gradcli import session
from gradcli.cli.errors import Reporter
from gradcli.cli.evaluate import Args
from gradcli.cli.io import read_source, write
from gradcli.cli.options import FIX, Options, Spec, command, many, name_list, one
from gradcli.core.errors import EXIT_CHECK_FAILED, UsageError
from gradcli.render.writers import names

_METHODS = "auto|newton|trust|bfgs|lbfgsb|slsqp|nelder-mead"


class MinimizeOptions(NamedTuple):
    fix: FIX = ()
    method: one(str, "auto", "--method", metavar=_METHODS,
                help="auto: trust region (exact Hessian); bounds: L-BFGS-B; constraints: SLSQP.") = "auto"  # fmt: skip
    bounds: many(str, "--bounds", metavar="NAME=LO:HI",
                 help="Keep an input (each element) in [LO, HI]; a side may be empty. Repeatable.") = ()  # fmt: skip
    subject_to: many(str, "--subject-to", metavar="'EXPR <= EXPR'",
                     help="A constraint in gradcli's language: <=, >= or ==. Repeatable.") = ()  # fmt: skip
    tol: one(float, 1e-10, "--tol", metavar="T", min=0.0,
             help="The optimizer's tolerance (gradient methods: on max |gradient|).") = 1e-10  # fmt: skip
    max_iter: one(int, None, "--max-iter", metavar="N", min=1, help="At most N iterations.") = None
    trace: one(Path, None, "--trace", metavar="FILE.csv", dir_okay=False,
               help="Write every iterate (iteration, inputs, value, gradient norm) as CSV.") = None  # fmt: skip


def minimize_command(args: Args, opts: Options, own: MinimizeOptions, reporter: Reporter) -> None:
    """Minimize the output over the inputs, from their given values, with exact derivatives.

    Every input varies unless --fix'ed (an array input is many unknowns). The gradient is the
    backward pass, the Hessian (or Hessian-vector products) and the constraints' Jacobians
    exact. The answer comes with the Hessian's eigenvalues there and a verdict: strict local
    minimum, saddle point, stationary but inconclusive, not stationary; with constraints, the
    active ones with their multipliers and the KKT residual. Exit 1 when the optimizer does
    not converge (the best point is still shown).

    \b
    Examples:
      gradcli minimize 'f = (1 - x)**2 + 100*(y - x**2)**2' x=-1.2 y=1
      gradcli minimize 'f = x + y' x=1 y=0 --subject-to 'x**2 + y**2 == 1'
      gradcli minimize 'f = (x - 3)**2 + y**2' x=1 y=1 --bounds x=0:2 --format json
    """
    from gradcli.analysis.extras import optimize
    from gradcli.analysis.minimize import METHODS, prepare, solve
    from gradcli.analysis.minimize import Options as MinimizeRun
    from gradcli.lang.suggest import suggest

    optimize()  # without scipy: exit 2 naming the extra, before any work
    if own.method not in METHODS:
        raise UsageError(f"--method {own.method}: not a method (methods: {', '.join(METHODS)})",
                         hint=suggest(own.method, METHODS))  # fmt: skip
    source, texts = read_source(args or [], opts.files, reporter)
    request = opts.request()
    program = session.load(source)
    values = session.bindings(texts, request)
    fix = tuple(name_list(own.fix, "--fix"))
    run = MinimizeRun(
        own.method, fix, own.bounds, own.subject_to, own.tol, own.max_iter, own.trace is not None, opts.of
    )
    problem = prepare(program, values, run)
    reporter.warn_all(problem.warnings)
    result = solve(problem)
    if own.trace is not None:
        _write_trace(own.trace, result)
    write("minimize", result, opts)
    if not result.converged:
        reporter.warn(f"not converged ({result.status}): {result.reason}; the best point is shown")
        raise typer.Exit(EXIT_CHECK_FAILED)


def _write_trace(path: Path, result) -> None:
    from gradcli.render.minimize import trace_csv

    try:
        path.write_text(trace_csv(result), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write --trace {str(path)!r}: {exc.strerror or exc}") from None


def add(app: typer.Typer) -> None:
    """Put minimize on the app."""
    shared = ("files", "of", "precision", "max_rows", "no_color", "bindings_file")
    command(app, "minimize", Spec(shared, tuple(names("minimize")), MinimizeOptions))(minimize_command)
