"""The command line: `make_app()` puts every command family on a new typer app; `main()` is the
console script.  gradcli.cli is the only package that imports typer.

Each family lives in its own module and adds its commands with `add(app)`: evaluate (eval,
explain, check), derivative (hessian, diff), taylor, batch (sweep, plot), repl.  They read their
options from gradcli.cli.options (declared once), run the pipeline through gradcli.session,
write with gradcli.cli.io and report failures through gradcli.cli.errors.  Nothing is
process-global: each call gets its own Reporter and Options; rich is imported only for the
pretty formats, lark never (the grammar's tables are compiled ahead of time).
"""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from gradcli.cli import batch, derivative, evaluate, fit, minimize, repl, solve, taylor
from gradcli.cli.errors import Reporter, click_error, discard_stdout, output_error, stderr, wants_json
from gradcli.cli.io import install_stdout
from gradcli.core.errors import EXIT_INTERRUPTED, EXIT_USAGE, GradcliError, UsageError
from gradcli.core.version import __version__

FAMILIES = (evaluate, repl, derivative, taylor, batch, minimize, solve, fit)  # `gradcli --help`'s order


def make_app() -> typer.Typer:
    """A new app with the root, `help` and every command family's commands."""
    app = typer.Typer(
        add_completion=True,
        context_settings={"help_option_names": ["-h", "--help"]},
        pretty_exceptions_enable=False,
        # Plain click help: typer's rich help imports typer.rich_utils (+~65 ms a call).
        rich_markup_mode=None,
        help="A gradient calculator: type a formula, see every node's value and gradient.\n\n"
        "Example:  gradcli eval 'L = (a*b + c) * f' a=2 b=-3 c=5 f=-2\n\n"
        "Example:  gradcli help eval",
        epilog="Exit codes: 0 ok; 1 check: a gradient not confirmed; 2 bad input, usage (also: no command, "
        "which prints this help on stderr) or unwritable output; 3 math error.",
    )
    app.callback(invoke_without_command=True)(_root)
    app.command("help")(help_command)
    for family in FAMILIES:
        family.add(app)
    return app


def _version(value: bool) -> None:
    if value:
        print(f"gradcli {__version__}")
        raise typer.Exit()


def _root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """gradcli: reverse-mode autodiff for formulas, from the shell."""
    if ctx.invoked_subcommand is None and not ctx.resilient_parsing:
        # `gradcli` alone: the help once, on stderr, and exit 2 (a command is missing: a usage error).
        stderr(ctx.get_help() + "\n")
        raise typer.Exit(EXIT_USAGE)


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


def main() -> None:
    """Console-script entry point: run the app; no traceback ever reaches the user.  Output that
    cannot be written is an OutputError wherever it happens (cli.io.install_stdout), help and
    version included."""
    install_stdout()
    argv = sys.argv[1:]
    command_ = typer.main.get_command(make_app())
    try:
        code = command_.main(args=argv, prog_name="gradcli", standalone_mode=False)
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        # Reader went away (`gradcli --help | head -1`): stop quietly.
        discard_stdout()
        code = 0
    except GradcliError as exc:  # raised outside a command's guard: click printing help or the version
        code = Reporter(json_errors=wants_json(argv)).error(exc)
    except SystemExit as exc:
        # typer turns a broken pipe while click prints (help) into exit 1; it is not an error here.
        code = 0 if type(sys.stdout).__name__ == "PacifyFlushWrapper" else exc.code
    except Exception as exc:  # noqa: BLE001 - the last guard
        code = click_error(exc, argv)
    sys.exit(_flushed(code if isinstance(code, int) else 0, argv))


def _flushed(code: int, argv: list[str]) -> int:
    """Flush what click itself printed (help, version) while errors can still be reported."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        discard_stdout()
    except (GradcliError, OSError) as exc:  # an OSError: a stdout that is not install_stdout()'s
        discard_stdout()
        error = exc if isinstance(exc, GradcliError) else output_error(exc)
        reported = Reporter(json_errors=wants_json(argv)).error(error)
        return reported if code in (0, 1) else code  # check's verdict (1) unseen: the output error wins
    return code


if __name__ == "__main__":
    main()
