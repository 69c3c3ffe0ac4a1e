"""The `sweep` and `plot` commands (typer), added to the app by `register(app)`.

They reuse the CLI's reporter, guard and program reader (gradcli.cli), imported when a
command runs, so importing this module costs nothing; numpy comes in with gradcli.sweep,
only when one of these commands runs.
"""

import io
import signal
import sys
import time
from collections import deque
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from gradcli.core.errors import EXIT_INTERRUPTED, UsageError

PLOT_POINTS = 200  # x=START:STOP without N, in plot


class SweepFormat(str, Enum):
    csv = "csv"
    jsonl = "jsonl"
    json = "json"
    table = "table"


Args = Annotated[
    Optional[list[str]],  # noqa: UP045 - typer 0.28 needs Optional here
    typer.Argument(
        metavar="PROGRAM [NAME=VALUE|NAME=START:STOP:N|NAME=V1,V2,...]...",
        help="The program text ('-' reads stdin), then bindings: plain values (a=2), ranges "
        "(x=0:1:11, N points, both ends included; STOP < START runs backwards) or lists (x=1,2,5). "
        "Several swept names make a grid, the first varying slowest.",
        show_default=False,
    ),
]
FileOpt = Annotated[
    Optional[list[Path]],  # noqa: UP045
    typer.Option(
        "--file",
        "-f",
        help="Read the program from this file; repeat it to read a library first.",
        dir_okay=False,
        show_default=False,
    ),
]
OfOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--of", help="Differentiate this name (default: the last statement).", show_default=False),
]
NonfiniteOpt = Annotated[
    bool, typer.Option("--allow-nonfinite", help="Print NaN and infinity in failed rows instead of exit 3.")
]


def register(app: typer.Typer) -> None:
    """Add `sweep` and `plot` to the app (once)."""
    if any(info.name in ("sweep", "plot") for info in app.registered_commands):
        return
    app.command("sweep")(sweep_command)
    app.command("plot")(plot_command)


def _run(json_errors: bool, body) -> None:
    """The CLI's guard: every failure becomes a message and an exit code."""
    from gradcli.cli import app as cli

    reporter = cli.Reporter(json_errors=json_errors)
    cli._guard(reporter, lambda: body(reporter))


def _program(args, files, reporter):
    """The program (several -f files joined, as eval reads them) and the binding texts."""
    from gradcli.cli import app as cli
    from gradcli.lang.parser import parse

    if files:
        return cli._parse_files(files, reporter), list(args or [])
    source, texts = cli.read_program(args or [], None, reporter)
    reporter.source = source
    return parse(source), texts


# -- sweep --------------------------------------------------------------------------------


def sweep_command(
    args: Args = None,
    file: FileOpt = None,
    of: OfOpt = None,
    points: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--points",
            metavar="FILE|-",
            help="A CSV of points: a header of input names, one point a row ('-': stdin). "
            "A sweep's own CSV output can be read back (its output columns are skipped).",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[SweepFormat, typer.Option("--format", help="Output format.")] = SweepFormat.csv,
    precision: Annotated[int, typer.Option("--precision", min=1, max=17, help="Digits in the table.")] = 6,
    max_rows: Annotated[int, typer.Option("--max-rows", min=0, help="Most rows the table draws (0: all).")] = 200,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colour (also: NO_COLOR).")] = False,
    allow_nonfinite: NonfiniteOpt = False,
    chunk: Annotated[int, typer.Option("--chunk", min=1, hidden=True, help="Points per array pass.")] = 65_536,
) -> None:
    """Evaluate PROGRAM and its gradient at many points: ranges, grids or a CSV of points.

    One row a point: the inputs, the output, d output / d input for every input, and
    `status` (ok, or eval's message for a row that fails, whose numbers are then empty;
    exit 3 if any row failed, unless --allow-nonfinite).

    \b
    Examples:
      gradcli sweep 'y = x*sin(x)' x=0:3.14159:5
      gradcli sweep 'L = (a*b + c) * f' a=1,2 b=-3:3:3 c=5 f=-2 --format table
      gradcli sweep -f model.grad --points points.csv --format jsonl
    """

    def body(reporter) -> None:
        _sweep(reporter, args, file, of, points, fmt.value, precision, max_rows, no_color, allow_nonfinite, chunk)

    _run(fmt in (SweepFormat.json, SweepFormat.jsonl), body)


def _sweep(reporter, args, file, of, points, fmt, precision, max_rows, no_color, allow_nonfinite, chunk) -> None:
    from gradcli.analysis import sweep as sw
    from gradcli.analysis.points import CsvPoints
    from gradcli.render.sweep_writers import WRITERS

    program, texts = _program(args, file, reporter)
    source = None
    if points is not None:
        from_stdin = any(str(f) == "-" for f in file or []) or not file and (args or [""])[0] == "-"
        source = CsvPoints(_open_points(points, from_stdin), "standard input" if points == "-" else points)
        source.allow_nonfinite = allow_nonfinite
    plan = sw.prepare(program, texts, source, of, allow_nonfinite)
    for message in plan.graph.warnings:
        reporter.warn(message)
    out = sys.stdout
    if fmt == "table":
        writer = _TableWriter(out, plan, precision, max_rows, no_color)
    else:
        writer = WRITERS[fmt](out, plan)
    interrupted = _stream(plan, writer, out, chunk)
    if interrupted:
        reporter.warn(f"interrupted: {plan.done:,} complete rows written")
        raise typer.Exit(EXIT_INTERRUPTED)
    error = sw.failure_summary(plan)
    if error is not None:
        raise error


def _open_points(points: str, program_from_stdin: bool):
    if points == "-":
        if program_from_stdin:
            raise UsageError("--points - reads standard input, but the program is read from it already")
        raw = getattr(sys.stdin, "buffer", None)
        if raw is None:
            return sys.stdin
        return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    try:
        return open(points, encoding="utf-8-sig", newline="")  # noqa: SIM115 - read lazily, a chunk at a time
    except OSError as exc:
        raise UsageError(f"cannot read {points!r}: {exc.strerror or exc}") from None


def _stream(plan, writer, out, chunk_size: int) -> bool:
    """Write every chunk; True if Ctrl-C stopped it (after a complete chunk: no half rows)."""
    from gradcli.cli import app as cli

    progress = _Progress(plan.total)
    try:
        with _Interrupt() as interrupt:
            for chunk in plan.chunks(chunk_size):
                writer.write(chunk)
                progress.update(plan.done)
                if interrupt.requested:
                    break
        writer.close(plan)
        out.flush()
    except BrokenPipeError:  # `gradcli sweep ... | head`: the reader has what it wanted
        cli._discard_stdout()
        return False
    except OSError as exc:
        cli._discard_stdout()
        raise cli.OutputError(f"cannot write output: {exc.strerror or exc}") from None
    finally:
        progress.clear()
    return interrupt.requested


class _Interrupt:
    """Ctrl-C asks the sweep to stop after the chunk being written; a second Ctrl-C stops at once."""

    def __init__(self) -> None:
        self.requested = False
        self.previous = None

    def __enter__(self):
        try:
            self.previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: keep Python's default
            self.previous = None
        return self

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


class _Progress:
    """A progress line on stderr, only on a terminal and only once a run has taken ~2 s."""

    DELAY = 2.0

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.start = time.monotonic()
        self.shown = False
        try:
            self.enabled = sys.stderr is not None and sys.stderr.isatty()
        except (AttributeError, ValueError):
            self.enabled = False

    def update(self, done: int) -> None:
        if not self.enabled or time.monotonic() - self.start < self.DELAY:
            return
        if self.total:
            filled = int(30 * done / self.total)
            text = f"\r[{'#' * filled}{'.' * (30 - filled)}] {done / self.total:4.0%}  {done:,}/{self.total:,} rows"
        else:
            text = f"\r{done:,} rows"
        sys.stderr.write(text)
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


class _TableWriter:
    """A rich table of the first and last rows (capped like eval's table: --max-rows)."""

    def __init__(self, out, plan, precision: int, max_rows: int, no_color: bool) -> None:
        self.out, self.plan, self.precision, self.no_color = out, plan, precision, no_color
        self.max_rows = max_rows
        self.tail_size = max(1, min(5, max_rows // 2)) if max_rows else 0
        self.head: list[list[str]] = []
        self.tail: deque = deque(maxlen=self.tail_size or None)

    def _cells(self, chunk) -> list[list[str]]:
        from gradcli.render.sweep_writers import number_texts

        p = self.precision
        cols = [[_short(t, p) for t in number_texts(c, None)] for c in chunk.inputs]
        cols.append([_short(t, p) for t in number_texts(chunk.value, chunk.failed)])
        cols += [[_short(t, p) for t in number_texts(g, chunk.failed)] for g in chunk.grads]
        cols.append(["ok"] * len(chunk) if chunk.status is None else chunk.status)
        return [list(row) for row in zip(*cols)]

    def write(self, chunk) -> None:
        rows = self._cells(chunk)
        room = self.max_rows - self.tail_size - len(self.head) if self.max_rows else len(rows)
        self.head += rows[: max(room, 0)]
        if self.max_rows:
            self.tail.extend(rows[max(room, 0) :][-self.tail_size :])

    def close(self, plan) -> None:
        from rich.table import Table

        from gradcli.render.text import console, terminal_width

        table = Table(*plan.header(), show_edge=False, pad_edge=False)
        for row in self.head:
            table.add_row(*row)
        left_out = plan.done - len(self.head) - len(self.tail)
        if left_out > 0:
            table.add_row(f"… {left_out:,} rows left out (--max-rows 0 shows all)", *[""] * (len(plan.header()) - 1))
        for row in self.tail:
            table.add_row(*row)
        console(self.out, terminal_width(), self.no_color).print(table)


def _short(text: str, precision: int) -> str:
    """A repr'd number with `precision` significant digits (empty and NaN/Infinity as they are)."""
    from gradcli.render.text import short

    try:
        x = float(text)
    except ValueError:
        return text
    return text if x - x != 0.0 else short(x, precision)


# -- plot --------------------------------------------------------------------------------


def plot_command(
    args: Args = None,
    file: FileOpt = None,
    of: OfOpt = None,
    output: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--output",
            "-o",
            metavar="FILE.svg|FILE.png",
            help="Draw to an SVG or PNG file (needs matplotlib: pip install 'gradcli[plot]').",
            show_default=False,
        ),
    ] = None,
    width: Annotated[int, typer.Option("--width", min=0, help="Characters wide (0: the terminal's).")] = 0,
    height: Annotated[int, typer.Option("--height", min=3, help="Rows of each panel.")] = 10,
) -> None:
    """Plot PROGRAM's output and its derivative over NAME=START:STOP[:N] (default N: 200).

    In the terminal as text (also when piped), or to a file with -o. Where the function is
    undefined the panel is shaded and the intervals are listed.

    \b
    Examples:
      gradcli plot 'y = tanh(x)' x=-3:3
      gradcli plot 'y = log(x)' x=-1:3:400 -o log.svg
    """
    _run(False, lambda reporter: _plot(reporter, args, file, of, output, width, height))


def _plot(reporter, args, file, of, output, width, height) -> None:
    import numpy as np

    from gradcli.render import plot as pl
    from gradcli.analysis.points import is_swept
    from gradcli.analysis.sweep import CHUNK, prepare
    from gradcli.render.text import terminal_width

    program, texts = _program(args, file, reporter)
    swept = [t.partition("=")[0].strip() for t in texts if is_swept(t)]
    if len(swept) != 1:
        got = f"got {len(swept)}: {', '.join(swept)}" if swept else "got none"
        raise UsageError(f"plot needs exactly one swept name, NAME=START:STOP[:N] ({got})", hint="e.g. x=-3:3")
    if output is not None:
        pl.check_file(output)
    plan = prepare(program, texts, None, of, False, default_count=PLOT_POINTS)
    for message in plan.graph.warnings:
        reporter.warn(message)
    k = plan.names.index(swept[0])
    xs, ys, dys = [], [], []
    for columns, batch in plan.batches(CHUNK):
        failed = batch.failed if batch.failed is not None else np.zeros(len(batch.value), bool)
        xs.append(columns[k])
        ys.append(np.where(np.isfinite(batch.value), batch.value, np.nan))
        dys.append(np.where(failed | ~np.isfinite(batch.grads[k]), np.nan, batch.grads[k]))
    x, y, dy = (np.concatenate(v) for v in (xs, ys, dys))
    out, name = plan.output, swept[0]
    d_label = f"d{out}/d{name}" if out.isidentifier() else f"d({out})/d{name}"
    series = [pl.Series(out, y), pl.Series(d_label, dy)]
    if output is not None:
        pl.file_plot(output, x, series, name, f"{out} and {d_label}")
        return
    sys.stdout.write(pl.text_plot(x, series, name, width or terminal_width(), height))


__all__ = ["register"]
