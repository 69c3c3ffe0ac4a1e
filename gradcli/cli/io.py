"""The CLI's input and output: the program text from the arguments, a file or stdin (as a
session.Source), and a command's result written to stdout with the chosen format's writer."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

from gradcli.cli.errors import Reporter, discard_stdout, output_error
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
    except OSError as exc:  # a stdout that is not install_stdout()'s (tests, the API)
        discard_stdout()
        raise output_error(exc) from None


def stdout():
    """sys.stdout, or an OutputError when the process started with it closed (`>&-`)."""
    if sys.stdout is None:
        raise output_error(None)
    return sys.stdout


# -- standard output whose failures are errors -----------------------------------------------------


class _Stdout(io.FileIO):
    """Descriptor 1, where a failed write is an OutputError (exit 2, `error: cannot write
    output: ...`) wherever it happens: a writer, click printing --help, the flush at exit.  A
    reader that went away stays a BrokenPipeError (a quiet exit 0).  After the first failure the
    rest is dropped, so the flush at exit cannot fail a second time (the Python docs' "Note on
    SIGPIPE")."""

    def __init__(self, fd: int, closed: bool) -> None:
        super().__init__(fd, "wb", closefd=False)
        self.closed_at_start = closed  # started without a stdout (`>&-`): fd is /dev/null's, every write fails
        self.failed = False

    def write(self, data) -> int:
        # empty: no system call (/dev/full fails even those, and click probes with one)
        if self.failed or not len(data):
            return len(data)
        if self.closed_at_start:
            self.failed = True
            raise output_error(None)
        try:
            return super().write(data)
        except BrokenPipeError:
            self.failed = True
            raise
        except OSError as exc:
            self.failed = True
            raise output_error(exc) from None


def install_stdout() -> None:
    """Make the process's stdout one whose failures are OutputErrors (the console script calls
    this once; a stdout someone else put in place, such as a test's capture, is kept)."""
    current = sys.stdout
    if current is None:  # started with descriptor 1 closed: hold it with /dev/null, so no file opened later lands there
        raw = _Stdout(os.open(os.devnull, os.O_WRONLY), closed=True)
        sys.stdout = io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8", errors="strict")
        return
    buffer = getattr(current, "buffer", None)
    if current is not sys.__stdout__ or not isinstance(buffer, (io.BufferedWriter, io.FileIO)):
        return
    try:
        current.flush()
        raw = _Stdout(current.fileno(), closed=False)
    except (OSError, ValueError):
        return
    sys.stdout = io.TextIOWrapper(
        raw if isinstance(buffer, io.FileIO) else io.BufferedWriter(raw),  # FileIO: unbuffered (-u, PYTHONUNBUFFERED)
        encoding=current.encoding,
        errors=current.errors,
        line_buffering=current.line_buffering,
        write_through=current.write_through,
    )
