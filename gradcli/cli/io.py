"""The CLI's input and output: the program text from the arguments, a file or stdin (as a
session.Source), and a command's result written to stdout with the chosen format's writer."""

from __future__ import annotations

import sys
from pathlib import Path

from gradcli.cli.errors import OutputError, Reporter, discard_stdout
from gradcli.core.errors import UsageError
from gradcli.render import text, writers
from gradcli.session import Source


def read_source(args: list[str], files: tuple, reporter: Reporter) -> tuple[Source, list[str]]:
    """(the program as read, the binding texts) from the positional arguments or -f FILE
    (repeated: a library, then the program); the reporter learns where errors point."""
    if len(files) > 1:  # every positional argument is a binding
        read = tuple((_shown(path) or "<stdin>", _read_file(path)) for path in files)
        reporter.files[:] = read
        return Source(files=read), list(args)
    if files:
        path = files[0]
        reporter.path = _shown(path)
        reporter.source = _read_file(path)
        return Source(text=reporter.source, path=str(path)), list(args)
    if not args:
        raise UsageError("missing PROGRAM: give the program text, '-' for stdin, or -f FILE")
    program, *bindings = args
    if program == "-":
        program = decode(sys.stdin.buffer.read(), "standard input")
    reporter.source = program
    return Source(text=program), bindings


def _shown(path: Path) -> str | None:
    """A file's name as errors show it (None: standard input)."""
    return str(path) if str(path) != "-" else None


def _read_file(path: Path) -> str:
    if str(path) == "-":
        return decode(sys.stdin.buffer.read(), "standard input")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    return decode(data, repr(str(path)))


def decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{where} is not UTF-8 text (byte {exc.start})") from None


def write(command: str, doc, opts) -> None:
    """Write `doc` with the chosen format's writer (opts: cli.options.Options).  A reader that
    went away (`| head -1`) ends the output quietly; a stream that cannot be written is an
    error (exit 2)."""
    out = stdout()
    try:
        writers.writer(command, opts.fmt)(doc, opts.output(text.terminal_width()), out)
        out.flush()
    except BrokenPipeError:
        discard_stdout()
    except OSError as exc:
        discard_stdout()
        raise OutputError(f"cannot write output: {exc.strerror or exc}") from None


def stdout():
    """sys.stdout, or an OutputError when the process started with it closed (`>&-`)."""
    if sys.stdout is None:
        raise OutputError("cannot write output: standard output is closed")
    return sys.stdout
