"""`sweep` and `plot`: the program at many points (gradcli.session.sweep; numpy comes in with
it, only when one of these commands runs), streamed a chunk at a time, or drawn."""

import io
import itertools
import signal
import sys
import time
from typing import Annotated, NamedTuple, Optional

import typer

from gradcli import session
from gradcli.cli.errors import OutputError, Reporter, discard_stdout
from gradcli.cli.io import read_source, stdout
from gradcli.cli.options import ENGINE, PARTITION_ROWS, SCHEDULER, TIMEOUT, Options, Spec, command, one
from gradcli.core.errors import EXIT_INTERRUPTED, UsageError

PLOT_POINTS = 200  # x=START:STOP without N, in plot
PLOT_MOST = 10**7  # plot holds every point to draw it (~0.5 GB at this size); sweep streams, without a cap
SWEEP_FORMATS = ("csv", "jsonl", "json", "table")

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


def _program(args, opts: Options, reporter: Reporter):
    """The program (several -f files joined, as eval reads them) and the binding texts."""
    source, texts = read_source(args or [], opts.files, reporter)
    return session.load(source), texts


# -- sweep --------------------------------------------------------------------------------


class SweepOptions(NamedTuple):
    points: one(
        str,
        None,
        "--points",
        metavar="FILE|-",
        help="A CSV of points: a header of input names, one point a row ('-': stdin), or a Parquet "
        "file (FILE.parquet, a column per input; a null makes its row a failed row). "
        "A sweep's own output can be read back (its output columns are skipped).",
    ) = None
    out: one(
        str,
        None,
        "--out",
        metavar="FILE.csv|FILE.parquet",
        help="Write the rows to FILE instead of stdout, as CSV or Parquet by its suffix (Parquet needs "
        "pip install 'gradcli[parquet]'). Written under a temporary name and renamed when complete: "
        "a run stopped by Ctrl-C or an error leaves no file (failed rows do not stop it: exit 3, file written).",
    ) = None
    chunk: one(int, 65_536, "--chunk", min=1, hidden=True, help="Points per array pass.") = 65_536
    engine: ENGINE = "local"
    scheduler: SCHEDULER = None
    partition_rows: PARTITION_ROWS = None
    timeout: TIMEOUT = 10.0


def sweep_command(args: Args, opts: Options, own: SweepOptions, reporter: Reporter) -> None:
    """Evaluate PROGRAM and its gradient at many points: ranges, grids or a CSV of points.

    One row a point: the inputs, the output, d output / d input for every input, and
    `status` (ok, or eval's message for a row that fails, whose numbers are then empty;
    exit 3 if any row failed, unless --allow-nonfinite). An array input or output has a
    column per element (x[0], y[1]), and an array output's Jacobian a column per entry
    (dy[0]/dx[0], dy[0]/dw, dy[1]/dx[0], ...).

    \b
    Examples:
      gradcli sweep 'y = x*sin(x)' x=0:3.14159:5
      gradcli sweep 'L = (a*b + c) * f' a=1,2 b=-3:3:3 c=5 f=-2 --format table
      gradcli sweep -f model.grad --points points.csv --format jsonl
      gradcli sweep -f model.grad --points data.parquet --out rows.parquet
    """
    from gradcli.render.sweep_writers import WRITERS

    engine = session.Engine(own.engine, own.scheduler, own.partition_rows, own.timeout).checked()
    source, texts = read_source(args or [], opts.files, reporter)
    program = session.load(source)
    target = _out_file(own.out, opts.fmt, engine)  # before any work: a bad --out is exit 2 with nothing computed
    points = _points(own.points, opts, args)
    plan = session.sweep(program, texts, points, opts.request())
    reporter.warn_all(plan.graph.warnings)
    # The first chunk is computed before anything is written: a bad --points cell or a failing
    # plan in it is an error alone, not a header (or half a JSON document) followed by one.
    recipe = session.Recipe(source, plan.bindings, opts.request()._replace(bindings_file=None))
    if target is not None and engine.name == "dask" and _by_workers(plan, target, engine, recipe, reporter):
        return
    chunks = iter(session.sweep_chunks(plan, engine, recipe, own.chunk))
    first = next(chunks, None)
    if target is not None:
        _write_out(plan, target, itertools.chain([first] if first is not None else [], chunks), reporter)
        error = session.sweep_failure(plan)
        if error is not None:
            raise error
        return
    out = stdout()
    if opts.fmt == "table":
        from gradcli.render.sweep_table import TableWriter
        from gradcli.render.text import terminal_width

        writer = TableWriter(out, opts.output(terminal_width()))
    else:
        writer = WRITERS[opts.fmt](out, plan)
    if _stream(plan, writer, out, itertools.chain([first] if first is not None else [], chunks)):
        reporter.warn(f"interrupted: {plan.done:,} complete rows written")
        raise typer.Exit(EXIT_INTERRUPTED)
    error = session.sweep_failure(plan)
    if error is not None:
        raise error


def _points(path: str | None, opts: Options, args):
    """The --points source: a Parquet file by its suffix, else CSV (a file or stdin); None without --points."""
    if path is None:
        return None
    from gradcli.analysis.parquet_points import ParquetPoints, is_parquet
    from gradcli.analysis.points import CsvPoints

    if is_parquet(path):
        return ParquetPoints(path, opts.allow_nonfinite)
    from_stdin = any(str(f) == "-" for f in opts.files) or not opts.files and (args or [""])[0] == "-"
    points = CsvPoints(_open_points(path, from_stdin), "standard input" if path == "-" else path)
    points.allow_nonfinite = opts.allow_nonfinite
    return points


def _out_file(path: str | None, fmt: str, engine: session.Engine):
    """--out's file (or, with --engine dask, DIR/: a folder of partitions), checked (its suffix,
    its folder, pyarrow for Parquet), or None."""
    if path is None:
        return None
    from gradcli.analysis.parquet_points import require_pyarrow
    from gradcli.render.sweep_parquet import OutFile, out_format
    from gradcli.render.sweep_parts import OutFolder, is_folder_target

    if fmt != "csv":
        raise UsageError(f"--format {fmt} writes to stdout; --out picks its format by the file's suffix")
    if is_folder_target(path):
        if engine.name != "dask":
            raise UsageError(f"--out {path}: a folder of partitions is the dask engine's", hint="add --engine dask")
        require_pyarrow(f"--out {path}")
        folder = OutFolder(path)
        folder.check()
        return folder
    if out_format(path) == "parquet":
        require_pyarrow(f"--out {path}")
    target = OutFile(path)
    target.check()
    return target


def _by_workers(plan, target, engine: session.Engine, recipe: session.Recipe, reporter: Reporter) -> bool:
    """--engine dask --out DIR/ from a grid or a Parquet file: each worker writes its partitions'
    files into the temporary folder, renamed when all are done.  False where the points are read
    here (a CSV, stdin): the client writes them."""
    import functools

    from gradcli.render.sweep_parts import OutFolder, write_part

    if not isinstance(target, OutFolder):
        return False
    with target:  # leaves no folder unless committed
        folder = target.open()
        done = session.sweep_written(
            plan, engine, recipe, functools.partial(write_part, folder, plan.header(), len(plan.names))
        )
        if done is None:
            return False
        progress = _Progress(plan.total)
        with _Interrupt() as interrupt:  # until the folder is committed: a late Ctrl-C is still seen
            try:
                for rows in done:
                    progress.update(rows)
                    if interrupt.requested:
                        break
            finally:
                done.close()  # a Ctrl-C or an error: the futures cancelled (running ones awaited), the cluster closed
                progress.clear()
            if interrupt.requested:
                reporter.warn(f"interrupted: nothing written to {target.shown} (it is written only when complete)")
                raise typer.Exit(EXIT_INTERRUPTED)
            target.commit()
    error = session.sweep_failure(plan)
    if error is not None:
        raise error
    return True


def _write_out(plan, target, chunks, reporter: Reporter) -> None:
    """Every row to --out's temporary file, renamed when complete; an interruption or an error
    removes it (exit 130 for Ctrl-C, with nothing left under the target's name)."""
    from gradcli.render.sweep_parquet import ParquetWriter, out_format
    from gradcli.render.sweep_parts import OutFolder, PartsWriter
    from gradcli.render.sweep_writers import CsvWriter

    with target:  # leaves no file unless committed
        path = target.open()
        if isinstance(target, OutFolder):
            out, writer = None, PartsWriter(path, plan.header(), len(plan.names))
        elif out_format(target.path) == "parquet":
            out, writer = None, ParquetWriter(path, plan.header(), len(plan.names))
        else:
            out = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
            writer = CsvWriter(out, plan)
        try:
            interrupted = _stream(plan, writer, out, chunks)
        finally:
            if out is not None:
                out.close()
            elif not writer.closed:
                writer.close()
        if interrupted:
            reporter.warn(f"interrupted: nothing written to {target.shown} (it is written only when complete)")
            raise typer.Exit(EXIT_INTERRUPTED)
        target.commit()


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


def _stream(plan, writer, out, chunks) -> bool:
    """Write every chunk; True if Ctrl-C stopped it (after a complete chunk: no half rows)."""
    progress = _Progress(plan.total)
    try:
        with _Interrupt() as interrupt:
            for chunk in chunks:
                writer.write(chunk)
                progress.update(plan.done)
                if interrupt.requested:
                    break
        writer.close(plan)
        if out is not None:  # None: the writer owns its file (Parquet)
            out.flush()
    except BrokenPipeError:  # `gradcli sweep ... | head`: the reader has what it wanted
        discard_stdout()
        return False
    except OSError as exc:
        discard_stdout()
        raise OutputError(f"cannot write output: {exc.strerror or exc}") from None
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
    """A rich progress bar on stderr (rows done, of how many, time left), only on a terminal and
    only once a run has taken ~2 s; gone when the run ends (transient).  Nothing on a pipe."""

    DELAY = 2.0

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.start = time.monotonic()
        self.bar = None
        self.task = None
        try:
            self.enabled = sys.stderr is not None and sys.stderr.isatty()
        except (AttributeError, ValueError):
            self.enabled = False

    def update(self, done: int) -> None:
        if not self.enabled or time.monotonic() - self.start < self.DELAY:
            return
        if self.bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("rows"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True, force_terminal=True),  # enabled only on a terminal
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("rows", total=self.total)
        self.bar.update(self.task, completed=done)

    def clear(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


# -- plot --------------------------------------------------------------------------------


class PlotOptions(NamedTuple):
    output: one(
        str,
        None,
        "--output",
        "-o",
        metavar="FILE.svg|FILE.png",
        help="Draw to an SVG or PNG file (needs matplotlib: pip install 'gradcli[plot]').",
    ) = None
    width: one(int, 0, "--width", min=0, help="Characters wide (0: the terminal's).") = 0
    height: one(int, 10, "--height", min=3, help="Rows of each panel.") = 10


def plot_command(args: Args, opts: Options, own: PlotOptions, reporter: Reporter) -> None:
    """Plot PROGRAM's output and its derivative over NAME=START:STOP[:N] (default N: 200).

    In the terminal as text (also when piped), or to a file with -o. Where the function is
    undefined the panel is shaded and the intervals are listed.

    \b
    Examples:
      gradcli plot 'y = tanh(x)' x=-3:3
      gradcli plot 'y = log(x)' x=-1:3:400 -o log.svg
    """
    from gradcli.analysis.points import is_swept
    from gradcli.analysis.sweep import plot_samples
    from gradcli.render import plot as pl
    from gradcli.render.text import terminal_width

    program, texts = _program(args, opts, reporter)
    swept = [t.partition("=")[0].strip() for t in texts if is_swept(t)]
    if len(swept) != 1:
        got = f"got {len(swept)}: {', '.join(swept)}" if swept else "got none"
        raise UsageError(f"plot needs exactly one swept name, NAME=START:STOP[:N] ({got})", hint="e.g. x=-3:3")
    if own.output is not None:
        pl.check_file(own.output)
    plan = session.sweep(program, texts, None, opts.request(), default_count=PLOT_POINTS)
    session.scalar(plan.graph)  # one curve: an array output is refused (pick an element with --of)
    if plan.total > PLOT_MOST:
        raise UsageError(
            f"plot draws at most {PLOT_MOST:,} points (it holds them all to draw them), got {plan.total:,}",
            hint="a few thousand points draw the same picture; `gradcli sweep` streams any number",
        )
    reporter.warn_all(plan.graph.warnings)
    x, y, dy = plot_samples(plan, swept[0])  # NaN (a gap) wherever eval refuses the point
    out, name = plan.output, swept[0]
    d_label = f"d{out}/d{name}" if out.isidentifier() else f"d({out})/d{name}"
    series = [pl.Series(out, y), pl.Series(d_label, dy)]
    if own.output is not None:
        pl.file_plot(own.output, x, series, name, f"{out} and {d_label}")
        return
    stdout().write(pl.text_plot(x, series, name, own.width or terminal_width(), own.height))


def add(app: typer.Typer) -> None:
    """Put sweep and plot on the app."""
    shared = ("files", "of", "precision", "max_rows", "no_color", "allow_nonfinite", "bindings_file")
    spec = Spec(shared, SWEEP_FORMATS, SweepOptions, json_formats=("json", "jsonl"))
    command(app, "sweep", spec)(sweep_command)
    command(app, "plot", Spec(("files", "of", "bindings_file"), own=PlotOptions))(plot_command)
