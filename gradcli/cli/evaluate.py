"""`eval`, `explain` and `check`: the graph through the session, then its output."""

from typing import Annotated, NamedTuple, Optional

import typer

from gradcli import session
from gradcli.cli.errors import Reporter
from gradcli.cli.io import read_source, write
from gradcli.cli.options import (
    ENGINE,
    MC_VALID_ONLY,
    ORDER,
    PARTITION_ROWS,
    SCHEDULER,
    SEED,
    TIMEOUT,
    Options,
    Spec,
    command,
    many,
    one,
)
from gradcli.core.errors import EXIT_CHECK_FAILED
from gradcli.render.writers import names

Args = Annotated[
    Optional[list[str]],  # noqa: UP045 - typer 0.28 needs Optional here
    typer.Argument(
        metavar="PROGRAM [NAME=VALUE]...",
        help="The program text ('-' reads stdin), then input values such as a=2.0. "
        "With -f/--file every argument is a binding.",
        show_default=False,
    ),
]


def graph(args, opts: Options, reporter: Reporter, jacobian: bool = False):
    """Read the program and run the session's pipeline: the graph every command starts from.
    An array output is refused (exit 2) unless `jacobian` (eval: it reports the Jacobian)."""
    source, texts = read_source(args or [], opts.files, reporter)
    g = session.evaluate(source, texts, opts.request(jacobian))
    reporter.warn_all(g.warnings)
    return g


def language_help() -> str:
    """The operators, functions and exit codes, for eval's --help: from the op table, so a
    new function appears here by itself.  (\\b keeps click from re-wrapping a paragraph.)"""
    from gradcli.core.ops import CONSTANTS, FUNCTIONS

    return (
        "\b\nOperators: + - * / ** (or ^), unary -, parentheses; statements end with a newline or ;\n"
        "Comparisons (for where): < <= > >= == !=\n"
        f"\b\nFunctions: {', '.join(sorted(FUNCTIONS))}\nConstants: {', '.join(CONSTANTS)}\n"
        "Arrays: [1, 2], [[1, 2], [3, 4]], x[0], W[1, -1], x[1:3], W[:, 0], A @ B; sum mean prod norm dot\n"
        "transpose len softmax logsumexp, min(x) max(x); --of y[0]; --bindings FILE\n"
        "\b\nExit codes: 0 ok; 1 check: a gradient not confirmed; 2 bad input, usage or output;\n"
        "3 math error (log(0), overflow, ...; --allow-nonfinite carries NaN/inf on);\n"
        "4 the run could not complete (--engine dask: the cluster failed)\n"
    )


class EvalOptions(NamedTuple):
    """eval's own options: the uncertainty's (session.Uncertainty)."""

    k: one(float, None, "-k", help="Coverage factor: also give the expanded uncertainty U = k*u.") = None
    corr: many(str, "--corr", metavar="A,B=R", help="Correlation of two uncertain inputs. Repeatable.") = ()
    order: one(int, None, "--order", min=1, max=2, help="2: add GUM's second-order uncertainty terms.") = None
    mc: one(str, None, "--mc", metavar="N", help="Also propagate by Monte Carlo, N samples (JCGM 101).") = None
    seed: SEED = 0
    mc_valid_only: MC_VALID_ONLY = False
    engine: ENGINE = "local"
    scheduler: SCHEDULER = None
    partition_rows: PARTITION_ROWS = None
    timeout: TIMEOUT = 10.0


def eval_command(args: Args, opts: Options, own: EvalOptions, reporter: Reporter) -> None:
    """Evaluate PROGRAM and show every node's value and gradient (and, for inputs such as
    L=1.000±0.002, the output's uncertainty and budget).

    \b
    Examples:
      gradcli eval 'e = a*b; d = e + c; L = f*d' a=2 b=-3 c=5 f=-2
      gradcli eval 'g = 4*pi**2*L/T**2' L=1.000±0.002 T=2.007+/-0.003 -k 2
    """
    engine = session.Engine(own.engine, own.scheduler, own.partition_rows, own.timeout).checked()
    source, texts = read_source(args or [], opts.files, reporter)
    g = session.evaluate(source, texts, opts.request(True))
    reporter.warn_all(g.warnings)
    recipe = session.recipe(source, texts, opts.request(True)) if engine.name == "dask" else None
    options = session.Uncertainty(own.k, own.corr, own.order, own.mc, own.seed, own.mc_valid_only, engine, recipe)
    reporter.warn_all(session.uncertainty(g, options, opts.allow_nonfinite))
    write("eval", g, opts)


class ExplainOptions(NamedTuple):
    """explain's own options."""

    order: ORDER = 1


def explain_command(args: Args, opts: Options, own: ExplainOptions, reporter: Reporter) -> None:
    """Show the forward pass, then the backward pass one chain-rule step at a time; with
    --order 2, the gradient as a program and the second derivatives (forward over reverse).

    \b
    Examples:
      gradcli explain 'b = a + a' a=3
      gradcli explain 'y = x**3' x=2 --order 2 --format json
    """
    g = graph(args, opts, reporter)
    if own.order == 2:
        from gradcli.analysis.explain_order2 import SecondOrder

        g = SecondOrder(g, opts.allow_nonfinite)
    write("explain", g, opts)


class CheckOptions(NamedTuple):
    """check's own options (session.Check)."""

    rtol: one(float, 1e-6, "--rtol", min=0.0, help="Relative tolerance.") = 1e-6
    atol: one(float, None, "--atol", min=0.0, help="Absolute tolerance (default: scaled with the problem).") = None
    samples: one(int, 0, "--samples", min=0, help="Also check at N random points near the given one.") = 0
    seed: SEED = 0
    expect: many(str, "--expect", metavar="NAME=CLAIM",
                 help="A hand-derived gradient to check: a number or an expression, e.g. --expect 'a=f*b'. "
                 "Repeatable.") = ()  # fmt: skip
    nodes: Annotated[bool, typer.Option("--nodes", help="Also check every intermediate node's gradient.")] = False
    order: one(int, 1, "--order", min=1, max=2, help="2: also check every second derivative (rows d2:a,b).") = 1


def check_command(args: Args, opts: Options, own: CheckOptions, reporter: Reporter) -> None:
    """Verify each gradient against a numerical derivative (exit 1 if any is not confirmed).

    \b
    Examples:
      gradcli check 'L = (a*b + c) * f' a=2 b=-3 c=5 f=-2 --expect 'a=f*b'
      gradcli check -f examples/seed.grad --samples 5 --format json
    """
    options = session.Check(**own._asdict())
    session.claims(options.expect)  # a malformed claim is reported before the program is read
    report = session.check(graph(args, opts, reporter), options, opts.allow_nonfinite)
    write("check", report, opts)
    if not report.ok:
        raise typer.Exit(EXIT_CHECK_FAILED)


def add(app: typer.Typer) -> None:
    """Put eval, explain and check on the app."""
    command(app, "eval", Spec(formats=tuple(names("eval")), own=EvalOptions), epilog=language_help())(eval_command)
    command(app, "explain", Spec(formats=tuple(names("explain")), own=ExplainOptions))(explain_command)
    command(app, "check", Spec(formats=tuple(names("check")), own=CheckOptions))(check_command)
