"""The one pipeline: program text -> Program -> bindings -> Graph -> output chosen -> backward.

Every command (eval, explain, check, hessian, diff, sweep, plot), the REPL and the Python API
go through these functions; a command only chooses the options (a `Request`) and prints the
result.  Reading files and stdin is the CLI's (I/O); parsing, binding, building, picking the
output and differentiating happen here and nowhere else.  Errors are GradcliError, raised;
the CLI turns them into messages and exit codes.

    g = evaluate(Source("y = x*x"), ["x=3"], Request())    # or: graph(load(source), {"x": 3.0}, ...)
    g.output.data, g.gradients()                            # 9.0, {"x": 6.0}

Options are NamedTuples (a frozen dataclass costs ~1 ms of start-up each).  Level 4 (DESIGN
§1.1): imports core, lang, build and analysis, never render or cli.  Heavy modules (numpy for
sweep and plot, the analyses) are imported inside the functions that use them, so `gradcli
eval` pays only for what it runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from gradcli.core.errors import GradcliError, MathError, UsageError

if TYPE_CHECKING:
    from gradcli.build.graph import Graph
    from gradcli.lang.program import Program


class Request(NamedTuple):
    """The options every command shares: which output, NaN/inf policy, expansion, --bindings FILE."""

    of: str | None = None  # the node to differentiate (default: the last statement)
    allow_nonfinite: bool = False  # carry NaN and infinity on instead of a MathError
    expand: bool = False  # break composite ops into primitives before differentiating
    jacobian: bool = False  # an array output is reported with its Jacobian (eval); else refused
    bindings_file: str | None = None  # a JSON object of bindings; NAME=VALUE texts override it


class Source(NamedTuple):
    """The program as read: one text, or several files' (path, text), parsed one by one and
    joined (a library, then the program)."""

    text: str | None = None
    path: str | None = None  # the file `text` was read from (-f FILE, "-": stdin); None: the command line
    files: tuple[tuple[str, str], ...] = ()


def load(source: Source) -> Program:
    """Parse the program.  Several files: each parsed alone, then joined; a syntax error's line
    is counted in the joined source, as every later error's is (lang.definitions.locate maps
    it back to its file)."""
    from gradcli.lang.parser import parse

    if not source.files:
        return parse(source.text or "")
    from gradcli.lang.definitions import first_lines, join

    starts = first_lines([text for _, text in source.files])
    programs = []
    for start, (_, text) in zip(starts, source.files):
        try:
            programs.append(parse(text))
        except GradcliError as exc:
            if exc.line:
                exc.line += start - 1
            raise
    return join(programs, tuple(path for path, _ in source.files))


def bindings(texts: list[str], request: Request) -> dict:
    """NAME=VALUE texts as values, over the --bindings file's (the texts win)."""
    from gradcli.build.bindings import parse_bindings

    try:
        values = parse_bindings(texts, request.allow_nonfinite)
    except GradcliError as exc:
        for text, after in zip(texts, texts[1:]):
            if text.endswith("=") and "=" not in after:  # `x= 3`: the shell split one binding in two
                exc.hint = f"no spaces around '=': write {text}{after}"
        raise
    if request.bindings_file is None:
        return values
    from gradcli.build.bindings import read_bindings_file

    return {**read_bindings_file(request.bindings_file, request.allow_nonfinite), **values}


def graph(program: Program, values: dict, request: Request) -> Graph:
    """Build the graph, expand it if asked, check the output's kind and run backward."""
    from gradcli.build.standard import build

    g = build(program, values, request.of, allow_nonfinite=request.allow_nonfinite)
    if request.expand:
        g = _expanded(g)
    if not request.jacobian:
        scalar(g)
    g.backward(allow_nonfinite=request.allow_nonfinite)
    return g


def scalar(g: Graph) -> Graph:
    """`g` itself, or a UsageError when its output is an array (check, explain, hessian, diff
    and the REPL's :check need one scalar output; eval reports the Jacobian instead)."""
    if g.arrays is not None:
        from gradcli.build.jacobian import needs_scalar

        needs_scalar(g)
    return g


def _expanded(g: Graph) -> Graph:
    """The graph with composite ops broken into primitives, keeping what the build attached."""
    from gradcli.analysis.expand import expand

    arrays, uncertainties, correlations = g.arrays, g.uncertainties, g.correlations
    g = expand(g)
    g.uncertainties, g.correlations = uncertainties, correlations
    if arrays is not None:
        from gradcli.build.jacobian import carry

        carry(arrays, g)
    return g


def evaluate(source: Source, texts: list[str], request: Request) -> Graph:
    """The graph every command starts from: read program + binding texts -> differentiated Graph.
    One text is parsed after the bindings (a bad binding is reported first, as always); several
    files are parsed first, each alone."""
    program = load(source) if source.files else None
    values = bindings(texts, request)
    try:
        return graph(program or load(source), values, request)
    except MathError:
        raise
    except GradcliError as exc:
        raise _maybe_a_file(exc, source) from None


def _maybe_a_file(exc: GradcliError, source: Source) -> GradcliError:
    """`gradcli eval prog.grad` (forgot -f): the program text that fails to build names a file."""
    text = source.text
    if source.files or source.path is not None or text is None or "\n" in text or len(text) >= 4096:
        return exc
    from pathlib import Path

    try:
        is_file = Path(text.strip()).is_file()
    except (OSError, ValueError):
        is_file = False
    if not is_file:
        return exc
    return UsageError(
        f"{text.strip()!r} is a file, not a program",
        hint=f"to read a program from a file, use -f: gradcli eval -f {text.strip()}",
    )


# -- what the commands compute on the graph -----------------------------------------------------


class Engine(NamedTuple):
    """Where sweep's rows and Monte Carlo's samples are computed (DESIGN §7.3): `local`, or
    `dask` (a LocalCluster for the run, or --scheduler's cluster; analysis.dask_engine)."""

    name: str = "local"
    scheduler: str | None = None
    partition_rows: int | None = None
    timeout: float = 10.0

    def checked(self) -> Engine:
        """The options, or a UsageError: an unknown engine, --scheduler or --partition-rows without dask."""
        if self.name not in ("local", "dask"):
            raise UsageError(f"--engine {self.name}: expected local or dask")
        if self.name != "dask":
            for flag, given in (("--scheduler", self.scheduler), ("--partition-rows", self.partition_rows)):
                if given is not None:
                    raise UsageError(f"{flag} is the dask engine's option", hint="add --engine dask")
        if self.partition_rows is not None and self.partition_rows < 1:
            raise UsageError(f"--partition-rows {self.partition_rows}: a partition has at least 1 row")
        if not self.timeout > 0:
            raise UsageError(f"--timeout {self.timeout:g}: the seconds to wait for the scheduler must be > 0")
        return self

    def settings(self):
        from gradcli.analysis.dask_engine import Settings

        return Settings(self.scheduler, self.partition_rows, self.timeout)


class Recipe(NamedTuple):
    """What a dask worker compiles (as text and values, never a graph): the program's source, the
    bindings (a --bindings file already read), the request."""

    source: Source
    values: dict
    request: Request

    def job(self, compile_fn, *extra):
        """An analysis.dask_engine.Job: compile_fn(self, *extra) on a worker, keyed by their hash."""
        import functools
        import hashlib

        from gradcli.analysis.dask_engine import Job

        key = hashlib.sha256(repr((compile_fn.__name__, self, extra)).encode()).hexdigest()
        return Job(key, functools.partial(compile_fn, self, *extra))


def recipe(source: Source, texts: list[str], request: Request) -> Recipe:
    return Recipe(source, bindings(texts, request), request._replace(bindings_file=None))


def compile_sampler(recipe: Recipe, corr: tuple[str, ...]):
    """On a worker: Monte Carlo's sampler (analysis.monte_carlo.Sampler) of the recipe's graph."""
    from gradcli.analysis.uncertainty import sampler
    from gradcli.build.correlated import with_declared

    g = graph(load(recipe.source), dict(recipe.values), recipe.request)
    return sampler(g, with_declared(g, corr))


def compile_sweep(recipe: Recipe):
    """On a worker: the sweep's array program (an analysis.sweep.Sweep without a source of points)."""
    from gradcli.analysis.batch import ArrayGraph
    from gradcli.analysis.sweep import Sweep
    from gradcli.build.standard import build

    g = build(load(recipe.source), dict(recipe.values), recipe.request.of, allow_nonfinite=True)
    return Sweep(g, ArrayGraph(g), None, recipe.request.allow_nonfinite, list(g.inputs))


def sweep_chunks(plan, engine: Engine, recipe: Recipe | None = None, size: int = 65_536):
    """The sweep's chunks: plan.chunks(size) on the local engine; partitions on dask's workers.
    `recipe`: the sweep's source with the plan's bindings (session.sweep's plan.bindings)."""
    if engine.name != "dask":
        return plan.chunks(size)
    from gradcli.analysis import dask_frames
    from gradcli.analysis.dask_engine import sweep_chunks as shipped

    job, settings = recipe.job(compile_sweep), engine.settings()
    rows = dask_frames.rows(plan, job, settings)  # a grid's or a Parquet file's: made or read on the workers
    if rows is None:  # a CSV or stdin: read here, its partitions shipped
        return shipped(plan, job, settings)
    return dask_frames.chunks(plan, rows, settings)


def sweep_written(plan, engine: Engine, recipe: Recipe, write) -> Iterator[int] | None:
    """--engine dask --out DIR/: each partition written by its worker with write(chunk, number);
    yields the rows done.  None where the points are read here (a CSV, stdin): the caller writes
    sweep_chunks' partitions itself."""
    from gradcli.analysis import dask_frames

    job, settings = recipe.job(compile_sweep), engine.settings()
    rows = dask_frames.rows(plan, job, settings)
    return None if rows is None else dask_frames.written(plan, rows, settings, write)


class Uncertainty(NamedTuple):
    """eval's uncertainty options: -k, --corr, --order, --mc, --seed, --mc-valid-only, and
    where Monte Carlo runs (--engine; `recipe`: what built the graph, for dask's workers)."""

    k: float | None = None
    corr: tuple[str, ...] = ()
    order: int | None = None
    mc: str | None = None
    seed: int = 0
    valid_only: bool = False  # Monte Carlo's statistics over its valid samples only
    engine: Engine = Engine()
    recipe: Recipe | None = None

    def asked(self) -> bool:
        return self.k is not None or bool(self.corr) or self.order is not None or self.mc is not None or self.valid_only


def uncertainty(g: Graph, options: Uncertainty, allow_nonfinite: bool = False) -> list[str]:
    """Propagate the inputs' uncertainties to the output when an input has one (or one of the
    options asks): the result goes to g.uncertainty for the writers; returns its warnings."""
    if not (g.uncertainties or options.asked()):
        return []
    from gradcli.analysis.uncertainty import UncertaintyOptions, propagate  # GUM and Monte Carlo
    from gradcli.build.correlated import with_declared

    o = options
    corr = with_declared(g, o.corr)  # --corr's, then the program's corr(a, b) = r
    draw = None
    if o.engine.name == "dask" and o.mc is not None and o.recipe is not None:
        from gradcli.analysis.dask_engine import monte_carlo

        draw = monte_carlo(o.recipe.job(compile_sampler, tuple(o.corr)), o.engine.settings())
    g.uncertainty = propagate(
        g, UncertaintyOptions(corr or None, o.k, o.order, o.mc, o.seed, allow_nonfinite, o.valid_only, draw)
    )
    return g.uncertainty.warnings


class Check(NamedTuple):
    """check's options: tolerances, random points, claims, intermediate nodes, second order."""

    rtol: float = 1e-6
    atol: float | None = None
    samples: int = 0
    seed: int = 0
    expect: tuple[str, ...] = ()  # NAME=CLAIM texts
    nodes: bool = False
    order: int = 1


def check(g: Graph, options: Check, allow_nonfinite: bool = False):
    """The gradients against numerical derivatives: a gradcli.analysis.check.Report."""
    from gradcli.analysis.check import CheckOptions
    from gradcli.analysis.check import check as check_graph

    o = options
    report = check_graph(g, CheckOptions(o.rtol, o.atol, o.samples, o.seed, claims(o.expect), o.nodes, allow_nonfinite))
    if options.order == 2:
        from gradcli.analysis.check_order2 import second_order_rows

        report.rows += second_order_rows(g, 0, options.rtol, options.atol, allow_nonfinite)
        report.ok = all(row.status in ("pass", "kink") for row in report.rows)
    return report


def claims(texts) -> dict[str, str]:
    """--expect NAME=CLAIM texts as {name: claim}; a malformed or repeated one is a UsageError."""
    out: dict[str, str] = {}
    for text in texts:
        name, sep, claim = text.partition("=")
        name, claim = name.strip(), claim.strip()
        if not sep or not name or not claim:
            raise UsageError(f"bad --expect {text!r}: expected NAME=CLAIM, e.g. --expect 'a=f*b'")
        if name in out:
            raise UsageError(f"--expect {name}=... is given twice")
        out[name] = claim
    return out


def hessian(g: Graph, allow_nonfinite: bool = False):
    """The gradient and the Hessian of the output (gradcli.analysis.hessian.Hessian)."""
    from gradcli.analysis.hessian import hessian as hessian_of

    return hessian_of(g, allow_nonfinite)


def diff_graph(source: Source, texts: list[str], request: Request) -> tuple[Graph, tuple[str, ...]]:
    """diff's graph and its parameters: as `evaluate`, but an input without a value is a
    parameter (diff without a point), built at a placeholder value: the derivative's nodes do not
    depend on the values (the transform simplifies on constants only; `where` keeps both branches)."""
    from gradcli.analysis.diff import parameters

    program = load(source) if source.files else None
    values = bindings(texts, request)
    free: tuple[str, ...] = ()
    try:
        program = program or load(source)
        free = parameters(program, values)
        point = {**values, **dict.fromkeys(free, 0.5)}
        try:
            return graph(program, point, request), free
        except MathError:
            if not free:
                raise
            return graph(program, point, request._replace(allow_nonfinite=True)), free  # a domain error there
    except MathError:
        raise
    except GradcliError as exc:
        if free and "scalar" in exc.message:  # x[0], sum(x) of an input without a value
            exc.hint = f"an input without a value is a number here: give an array its value, e.g. {free[0]}=[1, 2]"
        raise _maybe_a_file(exc, source) from None


def diff(
    g: Graph, wrt, order: int = 1, allow_nonfinite: bool = False, parameters: tuple[str, ...] = (), to: str = "gradcli"
) -> str:
    """The derivative d^order output / d wrt^order as code (the backward pass written out): a
    gradcli program, or `to` another of core/code_names.TARGETS (python, numpy, c, javascript,
    latex); `wrt` a name, or a list of
    names or None (every input): the gradient (order 1), the Hessian's upper triangle (order 2).
    `parameters`: inputs without a value (no default; no point to check)."""
    from gradcli.analysis.diff import code, derivative_groups, require_finite
    from gradcli.core.code_names import check_target

    wrt = [wrt] if isinstance(wrt, str) else wrt
    check_target(to)  # before the work
    builder, groups = built = derivative_groups(g, wrt, order)
    if not allow_nonfinite and not parameters:
        for name, target in groups[-1]:
            require_finite(g, builder, target, name)
    return code(g, wrt, order, parameters, to, built)


def sweep(program: Program, texts: list[str], csv, request: Request, default_count: int | None = None):
    """The program compiled for many points (gradcli.analysis.sweep.Sweep): swept bindings
    (x=0:1:11, x=1,2,5) or a CSV of points (`csv`).  numpy is imported here, by sweep and plot only."""
    from gradcli.analysis.points import is_swept, parse_axis
    from gradcli.analysis.sweep import file_gives_way, nonfinite_constant, plan_points, prepare
    from gradcli.build.standard import build, check_names

    axes = [parse_axis(t, request.allow_nonfinite, default_count) for t in texts if is_swept(t)]
    plain = [t for t in texts if not is_swept(t)]
    values = bindings(plain, request)
    if request.bindings_file is not None:  # as in eval, the command line wins: swept names and --points columns too
        values = file_gives_way(values, plain, axes, csv)
    points = plan_points(program, values, axes, csv)
    check_names(program, points.bindings, request.allow_nonfinite)  # eval's name errors, with the user's option
    g = build(program, points.bindings, request.of, allow_nonfinite=True)  # the structure; an array output: per element
    if not request.allow_nonfinite and nonfinite_constant(g):
        build(program, points.bindings, request.of)  # fails at every point: eval's own message (raises)
    return prepare(g, points, request.allow_nonfinite)


def sweep_failure(plan) -> GradcliError | None:
    """After a sweep: the error its failed rows add up to (exit 3), or None."""
    from gradcli.analysis.sweep import failure_summary

    return failure_summary(plan)
