"""Monte Carlo (JCGM 101): samples of the inputs run through the graph's equations on arrays.

Inputs are drawn from their distributions (normal, rectangular, triangular; correlated normals
through a Cholesky factor), CHUNK samples at a time, and the nodes the output needs are
evaluated on numpy arrays by the array interpreter's forward plan (gradcli.analysis.batch);
`summarize` gives the mean, the standard deviation and the 95 % probabilistically symmetric
coverage interval (JCGM 101 7.6, 7.7).  numpy is imported only when Monte Carlo runs.

Random numbers (DESIGN §7.3): the samples come in chunks of CHUNK; chunk i is drawn by a PCG64
generator seeded with child i of numpy.random.SeedSequence(seed) (`SeedSequence(seed).spawn(k)[i]`,
built directly as SeedSequence(seed, spawn_key=(i,))).  A chunk's samples depend on the seed and
i only, so any grouping of chunks into tasks (the dask engine's, on any number of workers) gives
the same samples, in the same order, as the local engine.  CHUNK is part of that contract:
changing it changes every result for a given seed.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import NamedTuple

from gradcli.analysis.correlation import cholesky, correlation_matrix
from gradcli.analysis.gum import K95, tolerance
from gradcli.build.uncertain import Spec
from gradcli.core.engine import positions, reaching
from gradcli.core.errors import MathError, UsageError
from gradcli.lang.numbers import read_count

CHUNK = 65_536  # Monte Carlo samples per chunk (per array pass, and per SeedSequence child): fixed, see above
MAX_SAMPLES = 10**10
MIN_SAMPLES = 200_000  # JCGM 101 7.2.2: M >= 10^4 / (1 - p) for a 95 % interval
_BYTES_PER_SAMPLE = 24  # the output's samples, the partition's copy, and a margin


@dataclass
class MonteCarlo:
    samples: int
    seed: int
    mean: float
    standard: float
    interval: tuple[float, float]
    tolerance: float  # JCGM 101 7.9.2's δ for u
    d_low: float  # JCGM 101 8.1: |y - U - y_low|
    d_high: float
    agrees: bool
    invalid: int = 0  # samples left out (--mc-valid-only): `samples` counts the drawn ones
    reason: str = ""  # why they are invalid (Invalid.describe)

    @property
    def valid(self) -> int:
        return self.samples - self.invalid

    def counts(self) -> dict:
        """The JSON's samples, seed, valid and invalid counts (and why, when some are invalid)."""
        reason = {"invalid_reason": self.reason} if self.invalid else {}
        return {"samples": self.samples, "seed": self.seed, "valid": self.valid, "invalid": self.invalid, **reason}


def parse_samples(text: str | int) -> int:
    """--mc N: a whole number >= 1 (`1e6` is allowed), small enough to fit in memory."""
    raw = str(text).strip()
    n = read_count(raw)  # a whole number as every count is read (lang.numbers): 1e6, 1000000
    if n is None or n < 1:
        raise UsageError(
            f"--mc {raw}: the number of Monte Carlo samples must be a whole number >= 1",
            hint="e.g. --mc 1000000 (or --mc 1e6); JCGM 101 7.2.2 suggests at least 2e5 for a 95 % interval",
        )
    memory = _memory()
    if n > MAX_SAMPLES or n * _BYTES_PER_SAMPLE > memory:
        most = min(MAX_SAMPLES, memory // _BYTES_PER_SAMPLE)
        raise UsageError(
            f"--mc {raw}: {n:,} samples need about {_bytes(n * _BYTES_PER_SAMPLE)} of memory; "
            f"this machine has {_bytes(memory)} to spare",
            hint=f"use at most --mc {most:.0e}".replace("e+0", "e").replace("e+", "e"),
        )
    return n


def _memory() -> int:
    """Bytes Monte Carlo may use: half the physical memory (or 4 GB when unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):
        return 4 * 2**30


def _bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1024 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} PB"  # pragma: no cover


class Invalid(NamedTuple):
    """The samples that gave a non-finite output (JCGM 101 has none: the model must be
    defined over the inputs' distributions): how many, and why."""

    count: int = 0
    undefined: int = 0  # NaN: an input outside a function's domain (sqrt(-1), log(-1), 0/0)
    infinite: int = 0  # ±inf without NaN: an overflow or a pole
    first: str = ""  # the first such sample's inputs and eval's message there

    def describe(self, drawn: int) -> str:
        """`4,636 of 10,000 samples (46.36 %) are invalid: 4,636 undefined (...); the first at ...`"""
        why = [f"{n:,} {word}" for n, word in ((self.undefined, "undefined (outside a function's domain)"),
                                               (self.infinite, "infinite (an overflow or a pole)")) if n]  # fmt: skip
        share = f"{self.count / drawn:.2%}"
        return f"{self.count:,} of {drawn:,} samples ({share}) are invalid: {', '.join(why)}; {self.first}"


class Samples(NamedTuple):
    """Monte Carlo's output samples: one row an output element, one column a valid sample."""

    y: object  # numpy array, shape (outputs, valid samples)
    seed: int
    drawn: int  # samples drawn (N); y has drawn - invalid.count columns
    invalid: Invalid


def output_nodes(graph) -> list:
    """The output's nodes: an array output's elements, or the one scalar output."""
    info = graph.arrays
    return list(info.output.items) if info is not None and info.output is not None else [graph.output]


class Draw(NamedTuple):
    """How monte_carlo runs: `valid_only` (--mc-valid-only), and `engine(n, seed)`: the samples
    computed elsewhere (the dask engine: Sampler.draw on workers), None: here."""

    valid_only: bool = False
    engine: object = None


def monte_carlo(graph, specs: dict[str, Spec], corr: dict, n: int, seed: int, how: Draw | None = None) -> Samples:
    """The graph's equations run on numpy arrays, CHUNK samples at a time, over the nodes the
    output (each element of an array output) needs.  A sample whose output is not finite is
    invalid: a MathError saying how many and why (exit 3), or, with `how.valid_only`, left out of y."""
    import numpy as np

    _check_mc_correlations(specs, corr)
    outputs = output_nodes(graph)
    if len(outputs) * n * _BYTES_PER_SAMPLE > _memory():
        raise UsageError(
            f"--mc {n}: {len(outputs):,} output elements × {n:,} samples need about "
            f"{_bytes(len(outputs) * n * _BYTES_PER_SAMPLE)} of memory; this machine has {_bytes(_memory())} to spare",
            hint=f"use fewer samples, or pick one element with --of {outputs[0].label}",
        )
    sampler = Sampler(graph, specs, corr, outputs)
    how = how or Draw()
    valid_only = how.valid_only
    y = sampler.draw(seed, 0, chunks(n), n) if how.engine is None else how.engine(n, seed)
    valid = np.isfinite(y).all(axis=0)
    count = n - int(valid.sum())
    if not count:
        return Samples(y, seed, n, Invalid())
    invalid = _invalid(graph, (specs, corr, sampler.index), y, valid, seed)
    if not valid_only or count == n:
        raise MathError(
            f"Monte Carlo: {invalid.describe(n)}",
            hint="the inputs' distributions reach outside the formula's domain: use smaller uncertainties"
            + (f", or --mc-valid-only for the statistics of the {n - count:,} valid samples" if count < n else ""),
        )
    return Samples(y[:, valid], seed, n, invalid)


def chunks(n: int) -> int:
    """How many chunks n samples take (the last one may be short)."""
    return -(-n // CHUNK)


def chunk_rng(seed: int, i: int):
    """Chunk i's generator: child i of SeedSequence(seed), i.e. SeedSequence(seed).spawn(i + 1)[i]."""
    import numpy as np

    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i,)))


class Sampler:
    """The output's samples, chunk by chunk: the inputs drawn (chunk i from chunk_rng(seed, i))
    and the nodes the output needs run by the array interpreter's forward plan."""

    def __init__(self, graph, specs: dict[str, Spec], corr: dict, outputs: list | None = None) -> None:
        from gradcli.analysis.batch import forward_plan  # the array interpreter's own forward plan

        outputs = outputs if outputs is not None else output_nodes(graph)
        needed = reaching(graph.nodes, *outputs)
        self.index = index = positions(needed)  # each needed node's slot in `values`
        self.plan, self.rows = forward_plan(needed, index), [index[id(y)] for y in outputs]
        self.columns = {index[id(x)]: x.data for x in needed if x.a is None}  # leaves; uncertain inputs drawn
        self.sample = _sampler(graph, specs, corr, index)

    def draw(self, seed: int, first: int, last: int, n: int):
        """Samples of chunks first..last-1 of an n-sample run: array (outputs, samples)."""
        import numpy as np

        lo, hi = first * CHUNK, min(last * CHUNK, n)
        y = np.empty((len(self.rows), max(hi - lo, 0)))
        with np.errstate(all="ignore"):
            for i in range(first, last):
                start = i * CHUNK - lo
                m = min(CHUNK, n - i * CHUNK)
                values = dict(self.columns)
                values.update(self.sample(chunk_rng(seed, i), m))
                for j, fn, args in self.plan:
                    values[j] = fn(*[values[a] for a in args])
                for k, row in enumerate(self.rows):
                    y[k, start : start + m] = values[row]
        return y


def _check_mc_correlations(specs: dict[str, Spec], corr: dict) -> None:
    for pair in corr:
        for name in pair:
            if specs[name].distribution != "normal":
                raise UsageError(
                    f"--mc with --corr: '{name}' is {_DIST_WORDS[specs[name].distribution]} and correlated; "
                    "Monte Carlo draws correlated inputs from a multivariate normal (JCGM 101 6.4.8)",
                    hint=f"give {name} a normal uncertainty ({name}=VALUE±U), or drop its --corr",
                )


_DIST_WORDS = {"normal": "normal", "rect": "rectangular", "tri": "triangular"}


def _sampler(graph, specs: dict[str, Spec], corr: dict, index: dict[int, int]):
    """draw(rng, m) -> {node index: m samples} for every uncertain input the output needs
    (`index`: the position of each needed node).  Order of draws: the correlated normals
    together (z, then L z), then each other input in the order of graph.uncertainties: fixed,
    so a seed gives the same samples anywhere."""
    import numpy as np

    names = [n for n, s in specs.items() if s.u > 0 and id(graph.inputs[n]) in index]
    grouped = [n for n in names if any(n in pair for pair in corr)]
    low = np.array(
        cholesky(correlation_matrix(grouped, {p: r for p, r in corr.items() if set(p) <= set(grouped)}), grouped)
    )

    def draw(rng, m: int) -> dict:
        out = {}
        if grouped:
            z = low @ rng.standard_normal((len(grouped), m))
            for row, name in zip(z, grouped):
                x = graph.inputs[name]
                out[index[id(x)]] = x.data + specs[name].u * row
        for name in names:
            if name in grouped:
                continue
            x, s = graph.inputs[name], specs[name]
            if s.distribution == "rect":
                out[index[id(x)]] = rng.uniform(x.data - s.half_width, x.data + s.half_width, m)
            elif s.distribution == "tri":
                out[index[id(x)]] = x.data + s.half_width * (rng.random(m) - rng.random(m))
            else:
                out[index[id(x)]] = x.data + s.u * rng.standard_normal(m)
        return out

    return draw


def _invalid(graph, sampling: tuple, y, valid, seed: int) -> Invalid:
    """How many samples are invalid, why, and eval's own message at the first one (its inputs
    recovered by re-drawing its chunk: chunk_rng(seed, chunk))."""
    import numpy as np

    specs, corr, index = sampling
    first = int(np.argmin(valid))
    undefined = int(np.isnan(y).any(axis=0).sum())
    count = int(len(valid) - valid.sum())
    draw = _sampler(graph, specs, corr, index)
    drawn = draw(chunk_rng(seed, first // CHUNK), min(CHUNK, len(valid) - first // CHUNK * CHUNK))
    point = {}
    for name in specs:
        slot = index.get(id(graph.inputs[name]))
        if slot in drawn:
            point[name] = float(drawn[slot][first % CHUNK])
    where = ", ".join(f"{k} = {v:.6g}" for k, v in point.items())
    return Invalid(count, undefined, count - undefined, f"the first at {where}: {_eval_at(graph, point)}")


def _eval_at(graph, point: dict[str, float]) -> str:
    """eval's own message at a point (the float interpreter, not re-parsing); then every node's
    value and grad (and an array output's Jacobian) as they were."""
    from gradcli.analysis.batch import RowExplainer

    saved = [(x.data, x.grad) for x in graph.nodes]
    jacobian = graph.arrays.jacobian if graph.arrays is not None else None
    names = list(graph.inputs)
    row = [point.get(name, graph.inputs[name].data) for name in names]
    try:
        result = RowExplainer(graph)(row)
    finally:
        for x, (data, grad) in zip(graph.nodes, saved):
            x.data, x.grad = data, grad
        if graph.arrays is not None:
            graph.arrays.jacobian = jacobian
    return result.message or f"{graph.output_name} is not finite"


def summarize(y, seed: int, p: float = 0.95) -> MonteCarlo:
    """Mean, standard deviation (JCGM 101 7.6) and the probabilistically symmetric coverage
    interval (7.7): [y_(r), y_(r+q)] with q = pM rounded to nearest, r = (M - q)/2 rounded up.
    `y`: finite samples (monte_carlo leaves the invalid ones out or refuses them)."""
    import numpy as np

    n = len(y)
    q = int(p * n) if float(p * n).is_integer() else int(math.floor(p * n + 0.5))
    r = max((n - q + 1) // 2, 1)  # 1-based: (M - q)/2 when whole, else (M - q + 1)/2
    lo, hi = r - 1, min(r + q - 1, n - 1)
    part = np.partition(y, [lo, hi]) if n > 1 else y
    with np.errstate(all="ignore"):
        mean = float(np.mean(y))
        std = float(np.std(y, ddof=1)) if n > 1 else 0.0
    if not (math.isfinite(mean) and math.isfinite(std)):
        raise MathError("Monte Carlo: the samples' mean or standard deviation overflows (the samples are finite)")
    return MonteCarlo(n, seed, mean, std, (float(part[lo]), float(part[hi])), 0.0, 0.0, 0.0, True)


def summarize_all(samples: Samples) -> list[MonteCarlo]:
    """summarize for each output element, counting the drawn samples and the invalid ones."""
    out = []
    for row in samples.y:
        mc = summarize(row, samples.seed)
        mc.samples, mc.invalid = samples.drawn, samples.invalid.count
        mc.reason = samples.invalid.describe(samples.drawn) if samples.invalid.count else ""
        out.append(mc)
    return out


def validate_against(mc: MonteCarlo, value: float, u: float) -> MonteCarlo:
    """JCGM 101 8.1: the linear 95 % interval value ± 1.96 u against Monte Carlo's; they agree
    when both endpoints differ by at most δ (7.9.2)."""
    big_u = K95 * u
    mc.tolerance = tolerance(u)
    mc.d_low = abs(value - big_u - mc.interval[0])
    mc.d_high = abs(value + big_u - mc.interval[1])
    mc.agrees = mc.d_low <= mc.tolerance and mc.d_high <= mc.tolerance
    return mc
