"""Where failures become messages and exit codes: the Reporter (stderr, text or JSON lines),
the guard every command runs in, click's own usage errors, and internal errors.  Nothing else
in gradcli.cli prints an error or picks an exit code."""

from __future__ import annotations

import json
import os
import re
import sys

import typer

from gradcli.core.engine import paused_gc
from gradcli.core.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, GradcliError, UsageError
from gradcli.lang.excerpt import excerpt


class OutputError(UsageError):
    """Standard output cannot be written (a full disk, a closed descriptor): exit 2, one line."""

    kind = "output"


def output_error(exc: OSError | None) -> OutputError:
    """The one wording of an unwritable output; None: the process started without a stdout (`>&-`)."""
    reason = "standard output is closed" if exc is None else exc.strerror or str(exc)
    return OutputError(f"cannot write output: {reason}")


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
            stderr(json.dumps({"warning": {"message": message}}) + "\n")
        else:
            stderr(f"warning: {message}\n")

    def warn_all(self, messages) -> None:
        for message in messages:
            self.warn(message)

    def error(self, exc: GradcliError) -> int:
        """Print a GradcliError to stderr (text or one JSON line) and return its exit code."""
        source, path = self.source, self.path
        if self.files and exc.line:  # several files joined: name the file, count its own lines
            source, path = _in_file(self.files, exc)
        if self.json_errors:
            stderr(json.dumps({"error": exc.to_dict()}) + "\n")
            return exc.exit_code
        lines = [f"error: {exc.message}", *excerpt(source, path, exc)]
        if exc.hint:
            lines.append(f"hint: {exc.hint}")
        stderr("\n".join(lines) + "\n")
        return exc.exit_code


def _in_file(files: list[tuple[str, str]], exc: GradcliError) -> tuple[str, str]:
    from gradcli.lang.definitions import locate

    index, exc.line = locate(files, exc.line)
    return files[index][1], files[index][0]


def stderr(text: str) -> None:
    """Write to stderr; a closed or broken stderr must not change the exit code."""
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):  # None (closed at start), EPIPE, closed file
        pass


def discard_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit cannot fail a second time."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def guard(reporter: Reporter, run, pause_gc: bool = True) -> None:
    """Run a command so that every failure becomes a message and an exit code (the REPL runs
    with the garbage collector on: a session lives long)."""
    try:
        if pause_gc:
            with paused_gc():
                run()
        else:
            run()
    except GradcliError as exc:
        raise typer.Exit(reporter.error(exc)) from None
    except KeyboardInterrupt:
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except BrokenPipeError:  # the reader went away (`| head -1`): it has what it wanted; exit 0, quietly
        discard_stdout()
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last guard: never a traceback
        raise typer.Exit(internal_error(exc)) from None


def internal_error(exc: BaseException) -> int:
    if os.environ.get("GRADCLI_DEBUG") == "1":
        import traceback

        traceback.print_exception(exc)
    stderr(
        f"internal error: {exc.__class__.__name__}: {exc}; please report this (set GRADCLI_DEBUG=1 for the traceback)\n"
    )
    return EXIT_INTERNAL


# -- errors click finds before a command runs ----------------------------------------------------


def click_error(exc: Exception, argv: list[str]) -> int:
    """click's own usage errors (bad option, missing value) and aborts, duck-typed because
    typer vendors its own copy of click; anything else is an internal error."""
    if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
        code = exc.exit_code if exc.exit_code else EXIT_USAGE
        hint = getattr(exc, "hint", None) or _option_hint(exc, argv)  # a hint: an option's number (cli.options)
        error = UsageError(exc.format_message(), hint=hint)
        if wants_json(argv):
            Reporter(json_errors=True).error(error)
            return code
        ctx = getattr(exc, "ctx", None)
        stderr(ctx.get_usage() + "\n" if ctx is not None else "")
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


def wants_json(argv: list[str]) -> bool:
    """Whether the command line asks for --format json (for errors found before the command runs)."""
    return "--format=json" in argv or any(a == "--format" and b == "json" for a, b in zip(argv, argv[1:]))
