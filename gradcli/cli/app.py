"""The command line: parse options, call the core, print.  The only module that imports typer.

Errors become a message and an exit code in one place (`Reporter` and `main`); output
formats are a registry (gradcli.formats) and written in one place (`write`); the options
eval, explain and check share are declared once (`SHARED`) and reach a command as one
`Options`.  Nothing is process-global: each call gets its own Reporter and Options.  rich
is imported only for the pretty formats; lark never (the grammar's tables are compiled
ahead of time).
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import re
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, NamedTuple, Optional

import typer

from gradcli.core.engine import paused_gc
from gradcli.core.errors import (
    EXIT_CHECK_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    GradcliError,
    MathError,
    UsageError,
)
from gradcli.core.version import __version__
from gradcli.render import text as render_text
from gradcli.render import writers as formats

CONTEXT = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    add_completion=True,
    context_settings=CONTEXT,
    pretty_exceptions_enable=False,
    # Plain click help: typer's rich help imports typer.rich_utils (+~65 ms a call).
    rich_markup_mode=None,
    help="A gradient calculator: type a formula, see every node's value and gradient.\n\n"
    "Example:  gradcli eval 'L = (a*b + c) * f' a=2 b=-3 c=5 f=-2\n\n"
    "Example:  gradcli help eval",
    epilog="Exit codes: 0 ok; 1 check: a gradient not confirmed; 2 bad input, usage (also: no command, "
    "which prints this help on stderr) or unwritable output; 3 math error.",
)


class OutputError(UsageError):
    """Standard output cannot be written (a full disk, a closed descriptor)."""

    kind = "output"


# -- per call: the reporter and the options --------------------------------------------------


class Reporter:
    """Where one command's warnings and errors go and how they look (text, or JSON lines
    with --format json), and the program they point into."""

    __slots__ = ("json_errors", "source", "path", "files")

    def __init__(self, json_errors: bool = False, source: str | None = None, path: str | None = None) -> None:
        self.json_errors = json_errors
        self.source = source
        self.path = path  # the program's file, for `--> FILE:LINE:COLUMN`
        self.files: list[tuple[str, str]] = []  # (path, text) of files joined into one program (-f A -f B)

    def warn(self, message: str) -> None:
        """A warning on stderr: `warning: ...`, or with --format json one JSON line."""
        if self.json_errors:
            _stderr(json.dumps({"warning": {"message": message}}) + "\n")
        else:
            _stderr(f"warning: {message}\n")

    def error(self, exc: GradcliError) -> int:
        """Print a GradcliError to stderr (text or one JSON line) and return its exit code."""
        source, path = self.source, self.path
        if self.files and exc.line:  # several files joined: name the file, count its own lines
            source, path = _in_file(self.files, exc)
        if self.json_errors:
            _stderr(json.dumps({"error": exc.to_dict()}) + "\n")
            return exc.exit_code
        lines = [f"error: {exc.message}"]
        lines += _source_excerpt(source, path, exc)
        if exc.hint:
            lines.append(f"hint: {exc.hint}")
        _stderr("\n".join(lines) + "\n")
        return exc.exit_code


def _in_file(files: list[tuple[str, str]], exc: GradcliError) -> tuple[str, str]:
    from gradcli.lang.definitions import locate

    index, exc.line = locate(files, exc.line)
    return files[index][1], files[index][0]


def _stderr(text: str) -> None:
    """Write to stderr; a closed or broken stderr must not change the exit code."""
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):  # None (closed at start), EPIPE, closed file
        pass


class Options(NamedTuple):
    """The options eval, explain and check share, as one value (declared once in SHARED)."""

    file: Path | None = None
    of: str | None = None
    fmt: str = "pretty"
    precision: int = 6
    max_rows: int = 200
    no_color: bool = False
    allow_nonfinite: bool = False
    expand: bool = False
    files: tuple = ()  # every -f FILE, in order (a library, then the program); `file` is the first
    bindings_file: Path | None = None  # --bindings FILE: a JSON object of bindings (gradcli.arrays)

    def output(self) -> render_text.OutputOptions:
        return render_text.OutputOptions(
            self.precision, self.max_rows, self.no_color, render_text.terminal_width(), open_calls=self.expand
        )


def _option(name: str, default, annotation) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


SHARED = [
    _option(
        "file",
        None,
        Annotated[
            Optional[list[Path]],  # noqa: UP045 - typer 0.28 needs Optional here
            typer.Option(
                "--file",
                "-f",
                help="Read the program from this file; repeat to read a library first (files are read in order).",
                dir_okay=False,
                show_default=False,
            ),
        ],
    ),
    _option(
        "of",
        None,
        Annotated[
            Optional[list[str]],  # noqa: UP045 - a list, so that a second --of is an error, not silently the last
            typer.Option("--of", help="Differentiate this name (default: the last statement).", show_default=False),
        ],
    ),
    _option(
        "precision",
        6,
        Annotated[int, typer.Option("--precision", min=1, max=17, help="Significant digits in pretty output.")],
    ),
    _option(
        "max_rows",
        200,
        Annotated[
            int,
            typer.Option("--max-rows", min=0, help="Most rows and tree nodes pretty output draws (0: no limit)."),
        ],
    ),
    _option("no_color", False, Annotated[bool, typer.Option("--no-color", help="No colour (also: NO_COLOR).")]),
    _option(
        "allow_nonfinite",
        False,
        Annotated[bool, typer.Option("--allow-nonfinite", help="Carry NaN and infinity on instead of exit 3.")],
    ),
    _option(
        "expand",
        False,
        Annotated[bool, typer.Option("--expand", help="Break composite ops (tanh, -, /, ...) into primitives first.")],
    ),
    _option(
        "bindings_file",
        None,
        Annotated[
            Optional[Path],  # noqa: UP045
            typer.Option(
                "--bindings",
                metavar="FILE",
                help='Bindings from a JSON object ({"x": [1, 2], "L": "1.0±0.1"}); NAME=VALUE arguments override.',
                dir_okay=False,
                show_default=False,
            ),
        ],
    ),
]

Args = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Argument(
        metavar="PROGRAM [NAME=VALUE]...",
        help="The program text ('-' reads stdin), then input values such as a=2.0. "
        "With -f/--file every argument is a binding.",
        show_default=False,
    ),
]


def command(name: str, **settings):
    """Register `fn(args, opts, reporter, **own options)` as command `name`: add the shared
    options and `--format` (choices from the format registry) to its signature, collect them
    into one Options, and turn every failure into a message and an exit code."""
    choices = formats.names(name)
    fmt_type = Enum(f"{name.title()}Format", {c: c for c in choices}, type=str)
    fmt_param = _option("fmt", choices[0], Annotated[fmt_type, typer.Option("--format", help="Output format.")])

    def register(fn):
        own = [
            p for p in inspect.signature(fn, eval_str=True).parameters.values() if p.name not in ("opts", "reporter")
        ]
        shared = {p.name for p in SHARED} | {"fmt"}

        @functools.wraps(fn)
        def run(**kwargs):
            values = {k: kwargs.pop(k) for k in shared}
            files = tuple(values.pop("file") or ())  # -f may be repeated: a library, then the program
            fmt = values.pop("fmt").value  # the Enum's name: a registry key
            of = values.pop("of") or [None]
            opts = Options(**values, of=of[0], fmt=fmt, file=files[0] if files else None, files=files)
            reporter = Reporter(json_errors=opts.fmt == "json")
            if len(of) > 1:
                raise typer.Exit(
                    reporter.error(UsageError(f"--of is given {len(of)} times: give one node to differentiate"))
                )
            _guard(reporter, functools.partial(fn, kwargs.pop("args"), opts=opts, reporter=reporter, **kwargs))

        run.__signature__ = inspect.Signature([own[0], *SHARED, fmt_param, *own[1:]])
        return app.command(name, **settings)(run)

    return register


def _guard(reporter: Reporter, run) -> None:
    """Run a command so that every failure becomes a message and an exit code."""
    try:
        with paused_gc():
            run()
    except GradcliError as exc:
        raise typer.Exit(reporter.error(exc)) from None
    except KeyboardInterrupt:
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last guard: never a traceback
        raise typer.Exit(internal_error(exc)) from None


# -- the root and help ------------------------------------------------------------------------------


def _version(value: bool) -> None:
    if value:
        print(f"gradcli {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """gradcli: reverse-mode autodiff for formulas, from the shell."""
    if ctx.invoked_subcommand is None and not ctx.resilient_parsing:
        # `gradcli` alone: the help once, on stderr, and exit 2 (a command is missing: a usage error).
        _stderr(ctx.get_help() + "\n")
        raise typer.Exit(EXIT_USAGE)


@app.command("help")
def help_command(
    ctx: typer.Context,
    name: Annotated[Optional[str], typer.Argument(metavar="[COMMAND]", show_default=False)] = None,  # noqa: UP045
) -> None:
    """Show the help of gradcli, or of one command: gradcli help eval."""
    root = ctx.parent
    if name is None:
        print(root.get_help())
        return
    cmd = root.command.get_command(root, name)
    if cmd is None:
        known = ", ".join(c for c in root.command.list_commands(root) if c != "help")
        raise typer.Exit(Reporter().error(UsageError(f"no command {name!r}", hint=f"the commands are {known}")))
    with typer.Context(cmd, info_name=name, parent=root) as sub:
        print(cmd.get_help(sub))


def _language_help() -> str:
    """The operators, functions and exit codes, for eval's --help: from the op table, so a
    new function appears here by itself.  (\b keeps click from re-wrapping a paragraph.)"""
    from gradcli.core.ops import CONSTANTS, FUNCTIONS

    return (
        "\b\nOperators: + - * / ** (or ^), unary -, parentheses; statements end with a newline or ;\n"
        "Comparisons (for where): < <= > >= == !=\n"
        f"\b\nFunctions: {', '.join(sorted(FUNCTIONS))}\nConstants: {', '.join(CONSTANTS)}\n"
        "Arrays: [1, 2], [[1, 2], [3, 4]], x[0], W[1, -1], x[1:3], W[:, 0], A @ B; sum mean prod norm dot\n"
        "transpose len softmax logsumexp, min(x) max(x); --of y[0]; --bindings FILE\n"
        "\b\nExit codes: 0 ok; 1 check: a gradient not confirmed; 2 bad input, usage or output;\n"
        "3 math error (log(0), overflow, ...; --allow-nonfinite carries NaN/inf on)\n"
    )


# -- commands ----------------------------------------------------------------------------------------


@command("eval", epilog=_language_help())
def eval_command(
    args: Args = None,
    *,
    opts: Options,
    reporter: Reporter,
    k: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option("-k", help="Coverage factor: also give the expanded uncertainty U = k*u.", show_default=False),
    ] = None,
    corr: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--corr", metavar="A,B=R", help="Correlation of two uncertain inputs. Repeatable.", show_default=False
        ),
    ] = None,
    order: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--order", min=1, max=2, help="2: add GUM's second-order uncertainty terms.", show_default=False),
    ] = None,
    mc: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--mc", metavar="N", help="Also propagate by Monte Carlo, N samples (JCGM 101).", show_default=False
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the Monte Carlo samples (reproducible).")] = 0,
) -> None:
    """Evaluate PROGRAM and show every node's value and gradient (and, for inputs such as
    L=1.000±0.002, the output's uncertainty and budget).

    \b
    Examples:
      gradcli eval 'e = a*b; d = e + c; L = f*d' a=2 b=-3 c=5 f=-2
      gradcli eval 'g = 4*pi**2*L/T**2' L=1.000±0.002 T=2.007+/-0.003 -k 2
    """
    graph = _evaluate(args, opts, reporter, jacobian=True)
    if graph.uncertainties or k is not None or corr or order is not None or mc is not None:
        from gradcli.analysis.uncertainty import propagate  # GUM and Monte Carlo (gradcli.uncertainty)

        graph.uncertainty = propagate(graph, corr, k, order, mc, seed, opts.allow_nonfinite)
        for message in graph.uncertainty.warnings:
            reporter.warn(message)
    write("eval", graph, opts)


@command("explain")
def explain_command(args: Args = None, *, opts: Options, reporter: Reporter) -> None:
    """Show the forward pass, then the backward pass one chain-rule step at a time.

    \b
    Examples:
      gradcli explain 'b = a + a' a=3
      gradcli explain -f examples/seed.grad --format json
    """
    write("explain", _evaluate(args, opts, reporter), opts)


@command("check")
def check_command(
    args: Args = None,
    *,
    opts: Options,
    reporter: Reporter,
    rtol: Annotated[float, typer.Option("--rtol", min=0.0, help="Relative tolerance.")] = 1e-6,
    atol: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(
            "--atol", min=0.0, help="Absolute tolerance (default: scaled with the problem).", show_default=False
        ),
    ] = None,
    samples: Annotated[
        int, typer.Option("--samples", min=0, help="Also check at N random points near the given one.")
    ] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random points (reproducible).")] = 0,
    expect: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--expect",
            metavar="NAME=CLAIM",
            help="A hand-derived gradient to check: a number or an expression, e.g. --expect 'a=f*b'. Repeatable.",
            show_default=False,
        ),
    ] = None,
    nodes: Annotated[bool, typer.Option("--nodes", help="Also check every intermediate node's gradient.")] = False,
    order: Annotated[
        int, typer.Option("--order", min=1, max=2, help="2: also check every second derivative (rows d2:a,b).")
    ] = 1,
) -> None:
    """Verify each gradient against a numerical derivative (exit 1 if any is not confirmed).

    \b
    Examples:
      gradcli check 'L = (a*b + c) * f' a=2 b=-3 c=5 f=-2 --expect 'a=f*b'
      gradcli check -f examples/seed.grad --samples 5 --format json
    """
    from gradcli.analysis.check import check

    claims = _claims(expect or [])
    graph = _evaluate(args, opts, reporter)
    report = check(
        graph,
        rtol=rtol,
        atol=atol,
        samples=samples,
        seed=seed,
        expect=claims,
        nodes=nodes,
        allow_nonfinite=opts.allow_nonfinite,
    )
    if order == 2:
        from gradcli.analysis.check_order2 import second_order_rows

        report.rows += second_order_rows(graph, 0, rtol, atol)
        report.ok = all(row.status in ("pass", "kink") for row in report.rows)
    write("check", report, opts)
    if not report.ok:
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command("repl")
def repl_command(
    file: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Option("--file", "-f", help="Load this file first (repeatable).", dir_okay=False, show_default=False),
    ] = None,
) -> None:
    """An interactive session: statements and definitions accumulate, each prints its value.

    Commands: :grad [NAME], :explain, :check, :hessian, :vars, :reset, :load FILE, :help, :quit.
    When stdin is not a terminal, lines are read without prompts (scripts).

    \b
    Examples:
      gradcli repl -f examples/seed.grad
      printf 'x = 3\\ny = x*x\\n:grad\\n' | gradcli repl
    """
    from gradcli.cli.repl import main as repl_main  # prompt_toolkit: imported by this command only

    try:
        code = repl_main([str(f) for f in file or []])
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last guard
        code = internal_error(exc)
    raise typer.Exit(code)


def _claims(texts: list[str]) -> dict[str, str]:
    claims: dict[str, str] = {}
    for text in texts:
        name, sep, claim = text.partition("=")
        name, claim = name.strip(), claim.strip()
        if not sep or not name or not claim:
            raise UsageError(f"bad --expect {text!r}: expected NAME=CLAIM, e.g. --expect 'a=f*b'")
        if name in claims:
            raise UsageError(f"--expect {name}=... is given twice")
        claims[name] = claim
    return claims


def _evaluate(args: list[str] | None, opts: Options, reporter: Reporter, jacobian: bool = False):
    """Read, parse, build and differentiate the program: the graph every command starts from.
    An array output is refused (exit 2) unless `jacobian` (eval: it reports the Jacobian)."""
    from gradcli.build.standard import build
    from gradcli.build.bindings import parse_bindings
    from gradcli.lang.parser import parse

    if len(opts.files) > 1:  # a library, then the program: parsed one by one, then joined
        source, binding_texts = None, list(args or [])
        program = _parse_files(opts.files, reporter)
    else:
        source, binding_texts = read_program(args or [], opts.file, reporter)
        reporter.source, program = source, None
    bindings = _bindings(parse_bindings, binding_texts, opts.allow_nonfinite)
    if opts.bindings_file is not None:  # --bindings FILE; NAME=VALUE arguments override it
        from gradcli.build.bindings import read_bindings_file

        bindings = {**read_bindings_file(opts.bindings_file, opts.allow_nonfinite), **bindings}
    try:
        graph = build(program or parse(source), bindings, opts.of, allow_nonfinite=opts.allow_nonfinite)
    except MathError:
        raise
    except GradcliError as exc:
        raise _maybe_a_file(exc, source, opts) from None
    if opts.expand:
        from gradcli.analysis.expand import expand

        arrays_info = graph.arrays
        uncertainties, graph = graph.uncertainties, expand(graph)
        graph.uncertainties = uncertainties
        if arrays_info is not None:
            from gradcli.build.jacobian import carry

            carry(arrays_info, graph)
    if graph.arrays is not None and not jacobian:
        from gradcli.build.jacobian import needs_scalar

        needs_scalar(graph)
    graph.backward(allow_nonfinite=opts.allow_nonfinite)
    for message in graph.warnings:
        reporter.warn(message)
    return graph


def _parse_files(paths, reporter: Reporter):
    """Parse each file (a syntax error names its file) and join them (gradcli.functions.join)."""
    from gradcli.lang.definitions import join
    from gradcli.lang.parser import parse

    programs = []
    for path in paths:
        reporter.source, reporter.path = _read_file(path), str(path) if str(path) != "-" else "<stdin>"
        programs.append(parse(reporter.source))
        reporter.files.append((reporter.path, reporter.source))
    reporter.source = reporter.path = None
    return join(programs)


def _bindings(parse_bindings, texts: list[str], allow_nonfinite: bool) -> dict[str, float]:
    try:
        return parse_bindings(texts, allow_nonfinite)
    except GradcliError as exc:
        for text, after in zip(texts, texts[1:]):
            if text.endswith("=") and "=" not in after:  # `x= 3`: the shell split one binding in two
                exc.hint = f"no spaces around '=': write {text}{after}"
        raise


def _maybe_a_file(exc: GradcliError, source: str, opts: Options) -> GradcliError:
    """`gradcli eval prog.grad` (forgot -f): the program text that fails to parse names a file."""
    if opts.file is None and "\n" not in source and len(source) < 4096:
        try:
            is_file = Path(source.strip()).is_file()
        except (OSError, ValueError):
            is_file = False
        if is_file:
            return UsageError(
                f"{source.strip()!r} is a file, not a program",
                hint=f"to read a program from a file, use -f: gradcli eval -f {source.strip()}",
            )
    return exc


# -- output: the one place it is written -------------------------------------------------------------


def write(command_name: str, doc, opts: Options) -> None:
    """Write `doc` with the chosen format's writer.  A reader that went away (`| head -1`)
    ends the output quietly; a stream that cannot be written is an error (exit 2)."""
    out = sys.stdout
    if out is None:  # started with stdout closed (`>&-`)
        raise OutputError("cannot write output: standard output is closed")
    try:
        formats.writer(command_name, opts.fmt)(doc, opts.output(), out)
        out.flush()
    except BrokenPipeError:
        _discard_stdout()
    except OSError as exc:
        _discard_stdout()
        raise OutputError(f"cannot write output: {exc.strerror or exc}") from None


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit cannot fail a second time."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


# -- input ---------------------------------------------------------------------------------


def read_program(args: list[str], file: Path | None, reporter: Reporter) -> tuple[str, list[str]]:
    """(program text, binding texts) from the positional arguments or -f FILE."""
    if file is not None:
        reporter.path = str(file) if str(file) != "-" else None
        return _read_file(file), list(args)
    if not args:
        raise UsageError("missing PROGRAM: give the program text, '-' for stdin, or -f FILE")
    program, *bindings = args
    if program == "-":
        return _decode(sys.stdin.buffer.read(), "standard input"), bindings
    return program, bindings


def _read_file(path: Path) -> str:
    if str(path) == "-":
        return _decode(sys.stdin.buffer.read(), "standard input")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    return _decode(data, repr(str(path)))


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{where} is not UTF-8 text (byte {exc.start})") from None


# -- errors: the one place they become messages and exit codes ------------------------------


def _source_excerpt(source: str | None, path: str | None, exc: GradcliError) -> list[str]:
    """The offending line with a caret under the span (lines are split at '\n' only, as
    the parser counts them)."""
    if source is None or not exc.line:
        return []
    src_lines = source.split("\n")
    where = f"{path}:{exc.line}:{exc.column}" if path else f"line {exc.line}, column {exc.column}"
    if exc.line > len(src_lines):
        return [f"  --> {where}"]
    text = src_lines[exc.line - 1].rstrip("\r")
    col = max((exc.column or 1) - 1, 0)
    width = max((exc.end_column or 0) - (exc.column or 0), 1)
    # Long lines: show a window around the column.
    lo = max(col - 50, 0)
    shown = "".join(ch if ch.isprintable() or ch == "\t" else " " for ch in text[lo : col + 50])
    prefix = "..." if lo else ""
    suffix = "..." if col + 50 < len(text) else ""
    pad = " " * len(prefix) + "".join("\t" if ch == "\t" else " " for ch in shown[: col - lo])  # tabs align
    return [
        f"  --> {where}",
        f"   | {prefix}{shown}{suffix}",
        f"   | {pad}{'^' * min(width, 50)}",
    ]


def main() -> None:
    """Console-script entry point: run the app; no traceback ever reaches the user."""
    command_ = typer.main.get_command(app)
    try:
        code = command_.main(args=sys.argv[1:], prog_name="gradcli", standalone_mode=False)
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        # Reader went away (`gradcli --help | head -1`): stop quietly.
        _discard_stdout()
        code = 0
    except SystemExit as exc:
        # typer turns a broken pipe while click prints (help) into exit 1; it is not an error here.
        code = 0 if type(sys.stdout).__name__ == "PacifyFlushWrapper" else exc.code
    except Exception as exc:  # noqa: BLE001 - the last guard
        code = _click_error(exc, sys.argv[1:])
    sys.exit(_flushed(code if isinstance(code, int) else 0))


def _flushed(code: int) -> int:
    """Flush what click itself printed (help, version) while errors can still be reported."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
    except OSError as exc:
        _discard_stdout()
        _stderr(f"error: cannot write output: {exc.strerror or exc}\n")
        return code or EXIT_USAGE
    return code


def _click_error(exc: Exception, argv: list[str]) -> int:
    # click's own usage errors (bad option, missing value) and aborts, duck-typed because
    # typer vendors its own copy of click.
    if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
        code = exc.exit_code if exc.exit_code else EXIT_USAGE
        error = UsageError(exc.format_message(), hint=_option_hint(exc, argv))
        if _wants_json(argv):
            Reporter(json_errors=True).error(error)
            return code
        ctx = getattr(exc, "ctx", None)
        usage = ctx.get_usage() + "\n" if ctx is not None else ""
        _stderr(usage)
        Reporter().error(error)
        return code
    if exc.__class__.__name__ == "Abort":
        return EXIT_INTERRUPTED
    return internal_error(exc)


_OPTION_LIKE = re.compile(r"--?[A-Za-z][-A-Za-z]*(=.*)?\Z")


def _option_hint(exc: Exception, argv: list[str]) -> str | None:
    """A hint for an "unknown option" that is really a value: `x= -3` split by the shell, or
    a program that starts with '-' (`-x**2`)."""
    name = getattr(exc, "option_name", None)
    if not name:
        return None
    for i, arg in enumerate(argv):
        if not arg.startswith(name):
            continue
        if i > 0 and argv[i - 1].endswith("=") and not argv[i - 1].startswith("-"):
            return f"no spaces around '=': write {argv[i - 1]}{arg}"
        if not _OPTION_LIKE.match(arg):
            hint = "a program or value starting with '-' reads as an option; put -- before it (options first)"
            if any(later.startswith("-") for later in argv[i + 1 :]):
                return hint
            import shlex

            return f"{hint}: gradcli {shlex.join([*argv[:i], '--', *argv[i:]])}"
    return None


def _wants_json(argv: list[str]) -> bool:
    """Whether the command line asks for --format json (for errors found before the command runs)."""
    return "--format=json" in argv or any(a == "--format" and b == "json" for a, b in zip(argv, argv[1:]))


def internal_error(exc: BaseException) -> int:
    if os.environ.get("GRADCLI_DEBUG") == "1":
        import traceback

        traceback.print_exception(exc)
    _stderr(
        f"internal error: {exc.__class__.__name__}: {exc}; please report this (set GRADCLI_DEBUG=1 for the traceback)\n"
    )
    return EXIT_INTERNAL


# Commands defined in their own modules, registered on the same app (after everything they use).
from gradcli.cli import batch as cli_batch
from gradcli.cli import derivative as cli_derivative  # noqa: E402, F401

cli_batch.register(app)

if __name__ == "__main__":
    main()
