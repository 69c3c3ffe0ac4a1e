"""Monte Carlo (JCGM 101): samples of the inputs run through the graph's equations on arrays.

Inputs are drawn from their distributions (normal, rectangular, triangular; correlated normals
through a Cholesky factor), CHUNK samples at a time, and the nodes the output needs are
evaluated on numpy arrays by the array interpreter's forward plan (gradcli.analysis.batch);
`summarize` gives the mean, the standard deviation and the 95 % probabilistically symmetric
coverage interval (JCGM 101 7.6, 7.7).  numpy is imported only when Monte Carlo runs.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from gradcli.analysis.correlation import cholesky, correlation_matrix
from gradcli.build.uncertain import Spec
from gradcli.core.engine import positions
from gradcli.core.errors import MathError, UsageError
from gradcli.lang.numbers import read_count

CHUNK = 65_536  # Monte Carlo samples per array pass
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


def monte_carlo(graph, specs: dict[str, Spec], corr: dict, n: int, seed: int, allow_nonfinite: bool = False):
    """(samples of the output as one array, seed): the graph's equations run on numpy arrays,
    CHUNK samples at a time, over the nodes the output needs."""
    import numpy as np

    from gradcli.analysis.batch import forward_plan  # the array interpreter's own forward plan

    _check_mc_correlations(specs, corr)
    rng = np.random.default_rng(seed)
    needed = graph.needed()
    index = positions(needed)  # each needed node's slot in `values`
    plan, output = forward_plan(needed, index), index[id(graph.output)]
    columns = {index[id(x)]: x.data for x in needed if x.a is None}  # leaves; the uncertain inputs are drawn
    draw = _sampler(graph, specs, corr, index)
    y = np.empty(n)
    with np.errstate(all="ignore"):
        for lo in range(0, n, CHUNK):
            m = min(CHUNK, n - lo)
            values = dict(columns)
            values.update(draw(rng, m))
            for i, fn, args in plan:
                values[i] = fn(*[values[a] for a in args])
            y[lo : lo + m] = values[output]
    if not allow_nonfinite and not np.isfinite(y).all():
        raise _mc_failure(graph, specs, corr, y, n, seed)
    return y, seed


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


def _mc_failure(graph, specs, corr, y, n: int, seed: int) -> MathError:
    """Exit 3, naming the input: eval's own message at the first failing sample."""
    import numpy as np

    bad = ~np.isfinite(y)
    first = int(np.argmax(bad))
    count = int(bad.sum())
    # Re-draw up to the failing chunk to recover the inputs of that sample (same seed, same order).
    rng = np.random.default_rng(seed)
    index = positions(graph.needed())
    draw = _sampler(graph, specs, corr, index)
    for lo in range(0, first + 1, CHUNK):
        m = min(CHUNK, n - lo)
        drawn = draw(rng, m)
    point = {name: float(drawn[index[id(graph.inputs[name])]][first % CHUNK])
             for name in specs if id(graph.inputs[name]) in index}  # fmt: skip
    detail = _eval_at(graph, point)
    where = ", ".join(f"{k} = {v:.6g}" for k, v in point.items())
    return MathError(
        f"Monte Carlo: {count:,} of {n:,} samples ({count / n:.2%}) give a non-finite {graph.output_name}; "
        f"the first at {where}: {detail}",
        hint="the inputs' distributions reach outside the formula's domain: use smaller uncertainties, "
        "or --allow-nonfinite to carry NaN on",
    )


def _eval_at(graph, point: dict[str, float]) -> str:
    """eval's own message at a point (the float interpreter, not re-parsing), then restore."""
    from gradcli.analysis.batch import RowExplainer

    saved = [x.data for x in graph.inputs.values()]
    names = list(graph.inputs)
    row = [point.get(name, graph.inputs[name].data) for name in names]
    result = RowExplainer(graph)(row)
    for x, v in zip(graph.inputs.values(), saved):
        x.data = v
    return result.message or f"{graph.output_name} is not finite"


def summarize(y, seed: int, p: float = 0.95):
    """Mean, standard deviation (JCGM 101 7.6) and the probabilistically symmetric coverage
    interval (7.7): [y_(r), y_(r+q)] with q = pM rounded to nearest, r = (M - q)/2 rounded up."""
    import numpy as np

    n = len(y)
    q = int(p * n) if float(p * n).is_integer() else int(math.floor(p * n + 0.5))
    r = max((n - q + 1) // 2, 1)  # 1-based: (M - q)/2 when whole, else (M - q + 1)/2
    lo, hi = r - 1, min(r + q - 1, n - 1)
    part = np.partition(y, [lo, hi]) if n > 1 else y
    mean = float(np.mean(y))
    std = float(np.std(y, ddof=1)) if n > 1 else 0.0
    return MonteCarlo(n, seed, mean, std, (float(part[lo]), float(part[hi])), 0.0, 0.0, 0.0, True)
