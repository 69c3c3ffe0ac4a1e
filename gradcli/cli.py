"""The command line: parse options, call the core, print.  The only module that imports typer.

Errors are translated to a message and an exit code in one place (`report` and `main`);
output formats are chosen in one place (`emit`).  rich is imported only for the pretty
formats; lark never (the grammar's tables are compiled ahead of time).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import __version__
from .engine import paused_gc
from .errors import EXIT_CHECK_FAILED, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, GradcliError, UsageError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help: typer's rich help imports typer.rich_utils (+~65 ms a call).
    rich_markup_mode=None,
    help="A gradient calculator: type a formula, see every node's value and gradient.\n\n"
    "Example:  gradcli eval 'L = (a*b + c) * f' a=2 b=-3 c=5 f=-2",
)


class Format(str, Enum):
    pretty = "pretty"
    table = "table"
    tree = "tree"
    json = "json"
    csv = "csv"
    dot = "dot"
    mermaid = "mermaid"


class ExplainFormat(str, Enum):
    pretty = "pretty"
    json = "json"


class CheckFormat(str, Enum):
    table = "table"
    json = "json"


class _State:
    """What the error reporter needs to know about the running command."""

    json_errors = False
    source: str | None = None
    path: str | None = None  # the program's file, for `--> FILE:LINE:COLUMN`


# -- shared options (declared once, used by every command) ------------------------------

Args = Annotated[
    Optional[list[str]],  # noqa: UP045 - typer 0.28 needs Optional here
    typer.Argument(
        metavar="PROGRAM [NAME=VALUE]...",
        help="The program text ('-' reads stdin), then input values such as a=2.0. "
        "With -f/--file every argument is a binding.",
        show_default=False,
    ),
]
FileOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--file", "-f", help="Read the program from this file.", dir_okay=False, show_default=False),
]
OfOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--of", help="Differentiate this name (default: the last statement).", show_default=False),
]
NoColorOpt = Annotated[bool, typer.Option("--no-color", help="No colour (also: the NO_COLOR variable).")]
NonfiniteOpt = Annotated[
    bool, typer.Option("--allow-nonfinite", help="Carry NaN and infinity on instead of failing with exit 3.")
]
PrecisionOpt = Annotated[
    int, typer.Option("--precision", min=1, max=17, help="Significant digits in pretty output (json/csv: all).")
]
ExpandOpt = Annotated[
    bool,
    typer.Option("--expand", help="Break composite ops (tanh, sigmoid, -, /, ...) into primitives first."),
]
MaxRowsOpt = Annotated[
    int,
    typer.Option(
        "--max-rows",
        min=0,
        help="Most table rows and tree nodes drawn by pretty formats (0: no limit; trees stop at depth 40).",
    ),
]


def _version(value: bool) -> None:
    if value:
        print(f"gradcli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """gradcli: reverse-mode autodiff for formulas, from the shell."""


# -- commands ----------------------------------------------------------------------------


def guarded(fn):
    """Run a command so that every failure becomes a message and an exit code."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        _State.json_errors, _State.source, _State.path = False, None, None
        try:
            with paused_gc():
                fn(*args, **kwargs)
        except GradcliError as exc:
            raise typer.Exit(report(exc)) from None
        except KeyboardInterrupt:
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (typer.Exit, BrokenPipeError):
            raise
        except Exception as exc:  # noqa: BLE001 - the last guard: never a traceback
            raise typer.Exit(internal_error(exc)) from None

    return run


@app.command("eval")
@guarded
def eval_command(
    args: Args = None,
    file: FileOpt = None,
    of: OfOpt = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.pretty,
    precision: PrecisionOpt = 6,
    max_rows: MaxRowsOpt = 200,
    no_color: NoColorOpt = False,
    allow_nonfinite: NonfiniteOpt = False,
    expand: ExpandOpt = False,
) -> None:
    """Evaluate PROGRAM and show every node's value and gradient.

    Example: gradcli eval 'e = a*b; d = e + c; L = f*d' a=2 b=-3 c=5 f=-2
    """
    _State.json_errors = fmt is Format.json
    graph = _evaluate(args, file, of, allow_nonfinite, expand)
    emit(graph, fmt, precision=precision, max_rows=max_rows, no_color=no_color)


@app.command("explain")
@guarded
def explain_command(
    args: Args = None,
    file: FileOpt = None,
    of: OfOpt = None,
    fmt: Annotated[ExplainFormat, typer.Option("--format", help="Output format.")] = ExplainFormat.pretty,
    precision: PrecisionOpt = 6,
    max_rows: MaxRowsOpt = 200,
    no_color: NoColorOpt = False,
    allow_nonfinite: NonfiniteOpt = False,
    expand: ExpandOpt = False,
) -> None:
    """Show the forward pass, then the backward pass one chain-rule step at a time.

    Example: gradcli explain 'b = a + a' a=3
    """
    from .explain import explain

    _State.json_errors = fmt is ExplainFormat.json
    doc = explain(_evaluate(args, file, of, allow_nonfinite, expand), None if fmt is ExplainFormat.json else precision)
    if fmt is ExplainFormat.json:
        from .render import jsonable

        sys.stdout.write(json.dumps(jsonable(doc), allow_nan=False) + "\n")
        return
    from .render import explanation

    _console(no_color).print(explanation(doc, precision, max_rows))


@app.command("check")
@guarded
def check_command(
    args: Args = None,
    file: FileOpt = None,
    of: OfOpt = None,
    rtol: Annotated[float, typer.Option("--rtol", min=0.0, help="Relative tolerance.")] = 1e-6,
    atol: Annotated[float, typer.Option("--atol", min=0.0, help="Absolute tolerance.")] = 1e-9,
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
    fmt: Annotated[CheckFormat, typer.Option("--format", help="Output format.")] = CheckFormat.table,
    precision: PrecisionOpt = 6,
    no_color: NoColorOpt = False,
    expand: ExpandOpt = False,
) -> None:
    """Verify each gradient against a numerical derivative (exit 1 if any disagrees).

    Example: gradcli check 'L = (a*b + c) * f' a=2 b=-3 c=5 f=-2 --expect 'a=f*b'
    """
    from .check import check, to_dict

    _State.json_errors = fmt is CheckFormat.json
    claims = _claims(expect or [])
    graph = _evaluate(args, file, of, False, expand)
    report = check(graph, rtol=rtol, atol=atol, samples=samples, seed=seed, expect=claims, nodes=nodes)
    if fmt is CheckFormat.json:
        sys.stdout.write(json.dumps(to_dict(report), allow_nan=False) + "\n")
    else:
        from .render import check_table

        _console(no_color).print(check_table(report, precision))
    if not report.ok:
        raise typer.Exit(EXIT_CHECK_FAILED)


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


def _evaluate(args, file, of, allow_nonfinite, expand=False):
    from . import engine
    from .interpreter import build, parse_bindings
    from .parser import parse

    source, binding_texts = read_program(args or [], file)
    _State.source = source
    old = engine.set_allow_nonfinite(allow_nonfinite)
    try:
        bindings = parse_bindings(binding_texts, allow_nonfinite)
        graph = build(parse(source), bindings, of)
        if expand:
            from .expand import expand as expand_graph

            graph = expand_graph(graph)
        graph.backward()
    finally:
        engine.set_allow_nonfinite(old)
    for message in graph.warnings:
        warn(message)
    return graph


def emit(graph, fmt: Format, *, precision: int, max_rows: int, no_color: bool) -> None:
    """Write `graph` in the chosen format: the one place formats are chosen."""
    from . import render

    if fmt is Format.json:
        sys.stdout.write(render.to_json(graph) + "\n")
        return
    if fmt is Format.csv:
        sys.stdout.write(render.to_csv(graph))
        return
    if fmt is Format.dot:
        sys.stdout.write(render.to_dot(graph, precision))
        return
    if fmt is Format.mermaid:
        sys.stdout.write(render.to_mermaid(graph, precision))
        return
    console = _console(no_color)
    if fmt in (Format.pretty, Format.table):
        console.print(render.table(graph, precision, max_rows))
    if fmt in (Format.pretty, Format.tree):
        console.print(render.tree(graph, precision, max_rows))


def _console(no_color: bool):
    from rich.console import Console

    console = Console(no_color=no_color or None, highlight=False, soft_wrap=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 120  # a file or a pipe: wide enough that tables keep one line a row
    return console


# -- input ---------------------------------------------------------------------------------


def read_program(args: list[str], file: Path | None) -> tuple[str, list[str]]:
    """(program text, binding texts) from the positional arguments or -f FILE."""
    if file is not None:
        _State.path = str(file) if str(file) != "-" else None
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


def warn(message: str) -> None:
    """A warning on stderr: `warning: ...`, or with --format json one JSON line."""
    if _State.json_errors:
        sys.stderr.write(json.dumps({"warning": {"message": message}}) + "\n")
    else:
        sys.stderr.write(f"warning: {message}\n")


def report(exc: GradcliError) -> int:
    """Print a GradcliError to stderr (text or one JSON line) and return its exit code."""
    if _State.json_errors:
        sys.stderr.write(json.dumps({"error": exc.to_dict()}) + "\n")
        return exc.exit_code
    lines = [f"error: {exc.message}"]
    lines += _source_excerpt(_State.source, exc)
    if exc.hint:
        lines.append(f"hint: {exc.hint}")
    sys.stderr.write("\n".join(lines) + "\n")
    return exc.exit_code


def _source_excerpt(source: str | None, exc: GradcliError) -> list[str]:
    """The offending line with a caret under the span (lines are split at '\n' only, as
    the parser counts them)."""
    if source is None or not exc.line:
        return []
    src_lines = source.split("\n")
    where = f"{_State.path}:{exc.line}:{exc.column}" if _State.path else f"line {exc.line}, column {exc.column}"
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
    command = typer.main.get_command(app)
    try:
        code = command.main(args=sys.argv[1:], prog_name="gradcli", standalone_mode=False)
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        # Reader went away (`gradcli ... | head -1`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    except Exception as exc:  # noqa: BLE001 - the last guard
        code = _click_error(exc)
    sys.exit(code if isinstance(code, int) else 0)


def _click_error(exc: Exception) -> int:
    # click's own usage errors (bad option, missing value) and aborts, duck-typed because
    # typer vendors its own copy of click.
    if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
        code = exc.exit_code if exc.exit_code else EXIT_USAGE
        if _wants_json(sys.argv[1:]):
            _State.json_errors = True
            report(UsageError(exc.format_message()))
            return code
        ctx = getattr(exc, "ctx", None)
        usage = ctx.get_usage() + "\n" if ctx is not None else ""
        sys.stderr.write(f"{usage}error: {exc.format_message()}\n")
        return code
    if exc.__class__.__name__ == "Abort":
        return EXIT_INTERRUPTED
    return internal_error(exc)


def _wants_json(argv: list[str]) -> bool:
    """Whether the command line asks for --format json (for errors found before the command runs)."""
    return "--format=json" in argv or any(a == "--format" and b == "json" for a, b in zip(argv, argv[1:]))


def internal_error(exc: BaseException) -> int:
    if os.environ.get("GRADCLI_DEBUG") == "1":
        import traceback

        traceback.print_exception(exc)
    sys.stderr.write(
        f"internal error: {exc.__class__.__name__}: {exc}; please report this (set GRADCLI_DEBUG=1 for the traceback)\n"
    )
    return EXIT_INTERNAL


if __name__ == "__main__":
    main()
