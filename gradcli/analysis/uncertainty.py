"""Uncertainty propagation (GUM): `L=1.000±0.002` in, value ± u and an uncertainty budget out.

An input with an uncertainty is an ordinary input (its value is the value); the graph carries
the uncertainties on the side (`Graph.uncertainties`: name -> Spec(u, distribution,
half_width)), so eval, check, hessian and sweep see the same graph as without `±`.

- First order, GUM 5.1.2 and 5.2.2: the sensitivity coefficients c_i = df/dx_i are the
  gradient eval already computed, u_c^2 = sum_ij c_i c_j r_ij u_i u_j.
- Second order, the note to GUM 5.1.2 (uncorrelated inputs):
  u_c^2 += sum_i sum_j [1/2 f_ij^2 + f_i f_ijj] u_i^2 u_j^2, with the exact derivatives of
  gradcli.derivative: one symbolic gradient, the Hessian by one float sweep per input, and
  the f_ijj terms as the Hessian diagonal of the single node g = sum_i f_i u_i^2 df/dx_i.
- Monte Carlo, JCGM 101: samples of the inputs (normal, rectangular, triangular; correlated
  normals through a Cholesky factor) run through the graph's equations on numpy arrays in
  chunks; mean, standard deviation, the 95 % probabilistically symmetric coverage interval
  (JCGM 101 7.7) and the validation of the linear result (JCGM 101 8.1, tolerance 7.9.2).

numpy is imported only by Monte Carlo.  No typer or rich here.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from gradcli.core.errors import BindingError, MathError, UsageError

DISTRIBUTIONS = {"rect": math.sqrt(3.0), "tri": math.sqrt(6.0)}  # half-width / these = u
K95 = 1.959963984540054  # the normal distribution's 97.5 % quantile: a 95 % interval is y ± K95·u
CHUNK = 65_536  # Monte Carlo samples per array pass
SECOND_ORDER_BUDGET = 300_000  # nodes x inputs beyond which eval does not estimate the second order
WARN_RATIO = 0.10  # warn when second-order terms would change u by more than this


class Spec(NamedTuple):
    """An input's uncertainty: standard uncertainty u, distribution ("normal", "rect", "tri")
    and, for rect and tri, the half-width a (u = a/√3, a/√6)."""

    u: float
    distribution: str = "normal"
    half_width: float | None = None


class Uncertain(float):
    """A binding's value that carries an uncertainty (`L=1.000±0.002`): a float everywhere,
    so a command that ignores uncertainty sees the value; build() reads `.spec`."""

    __slots__ = ("spec",)

    def __new__(cls, value: float, spec: Spec):
        self = super().__new__(cls, value)
        self.spec = spec
        return self


def spec_of(distribution: str | None, width: float) -> Spec:
    """The Spec of `± width` (normal, width = u) or `± rect(width)` / `± tri(width)`."""
    if distribution is None:
        return Spec(width)
    return Spec(width / DISTRIBUTIONS[distribution], distribution, width)


# -- bindings: NAME=VALUE±U, NAME=VALUE+/-U, NAME=VALUE±rect(A) ------------------------------------

_DISTRIBUTION_CALL = re.compile(r"(rect|tri)\s*\((.*)\)\Z", re.DOTALL)


def parse_uncertain_binding(text: str, name: str, raw: str, allow_nonfinite: bool = False) -> Uncertain:
    """The value of a binding `NAME=VALUE±U` (also `+/-`, and `±rect(A)`, `±tri(A)`)."""
    sign = "±" if "±" in raw else "+/-"
    value_text, _, u_text = (part.strip() for part in raw.partition(sign))
    example = f"{name}=1.0±0.1"
    if not value_text:
        raise BindingError(f"bad binding {text!r}: the value before {sign} is missing", hint=f"write {example}")
    if not u_text:
        raise BindingError(f"bad binding {text!r}: the uncertainty after {sign} is missing", hint=f"write {example}")
    if "±" in u_text or "+/-" in u_text:
        raise BindingError(f"bad binding {text!r}: one {sign} only", hint=f"write {example}")
    value = _part(text, name, value_text, "the value", allow_nonfinite)
    m = _DISTRIBUTION_CALL.match(u_text)
    distribution, width_text = (m.group(1), m.group(2).strip()) if m else (None, u_text)
    if m and not width_text:
        raise BindingError(f"bad binding {text!r}: {distribution}() needs its half-width, e.g. {distribution}(0.1)")
    width = _part(text, name, width_text, "the uncertainty", False)
    check_width(width, distribution, lambda msg: BindingError(f"bad binding {text!r}: {msg}", hint=f"write {example}"))
    return Uncertain(value, spec_of(distribution, width))


def _part(text: str, name: str, part: str, what: str, allow_nonfinite: bool) -> float:
    from gradcli.build.builder import parse_binding

    try:
        return parse_binding(f"{name}={part}", allow_nonfinite)[1]
    except BindingError as exc:
        detail = exc.message.split(": ", 1)[-1]
        raise BindingError(f"bad binding {text!r}: {what} {part!r}: {detail}") from None


def check_width(width: float, distribution: str | None, error) -> None:
    """A standard uncertainty is >= 0 and finite; a half-width of rect or tri is > 0."""
    if not math.isfinite(width):
        raise error(f"the uncertainty must be finite, got {width}")
    if width < 0:
        raise error(f"an uncertainty cannot be negative, got {width:g}")
    if distribution is not None and width == 0:
        raise error(f"{distribution}(0) is no distribution: a half-width must be positive (an exact value has no ±)")


# -- the program's `L = 1.0 ± 0.1`, and attaching uncertainties to a graph -------------------------


def attach(graph, program, bindings: dict, constant: dict) -> None:
    """Fill graph.uncertainties from the bindings (a `±` binding, or a plain one that replaces
    the program's whole input) and from the program's `NAME = VALUE ± U` statements."""
    for name, node in graph.inputs.items():
        if name in bindings:
            value = bindings[name]
            if isinstance(value, Uncertain):
                node.data = float(value)
                graph.uncertainties[name] = value.spec
        elif name in constant and constant[name].uncertainty is not None:
            graph.uncertainties[name] = program_uncertainty(program, constant[name])


def program_uncertainty(program, stmt) -> Spec:
    """The Spec of a statement `NAME = VALUE ± U` (U a constant expression, or rect(A), tri(A))."""
    from gradcli.build.builder import _Build, _check_call, _evaluate
    from gradcli.lang.program import CALL, KIND, Stmt

    lo, hi, start, end = stmt.uncertainty
    code = program.code
    distribution = None
    last = code[hi - 1]
    if last[KIND] == CALL and last[1] in DISTRIBUTIONS:
        if last[2] != 1:
            raise _at(program, f"{last[1]} takes 1 argument (the half-width), got {last[2]}", start, end)
        distribution, hi = last[1], hi - 1
    for kind, name, nargs, s, e in code[lo:hi]:
        if kind == CALL and name in DISTRIBUTIONS:
            msg = f"{name}(...) must be the whole uncertainty: write NAME = VALUE ± {name}(HALF_WIDTH)"
            raise _at(program, msg, s, e)
        if kind == CALL:
            _check_call(program, name, nargs, s, e)
    try:
        width = _evaluate(_Build(program, [], {}, {}), Stmt(None, None, lo, hi, start, end)).data
    except MathError as exc:
        raise _at(program, f"the uncertainty of '{stmt.target}': {exc.message}", start, end) from None
    check_width(width, distribution, lambda msg: _at(program, f"'{stmt.target}': {msg}", start, end))
    return spec_of(distribution, width)


def _at(program, message: str, start: int, end: int) -> UsageError:
    line, column = program.position(start)
    return UsageError(message, line=line, column=column, end_column=column + max(end - start, 1))


# -- correlations: --corr A,B=R ---------------------------------------------------------------


def parse_correlations(texts: list[str], specs: dict[str, Spec], inputs) -> dict[tuple[str, str], float]:
    """{(a, b): r} from `--corr A,B=R` options (a before b in the uncertainty order), checked:
    two different inputs with uncertainties, -1 <= r <= 1, each pair once, the matrix PSD."""
    from gradcli.build.builder import parse_binding

    order = list(specs)
    out: dict[tuple[str, str], float] = {}
    for text in texts:
        names, sep, r_text = text.partition("=")
        pair = [n.strip() for n in names.split(",")]
        if not sep or len(pair) != 2 or not all(pair) or not r_text.strip():
            raise UsageError(f"bad --corr {text!r}: expected A,B=R, e.g. --corr R,I=0.5")
        for name in pair:
            _check_correlated_name(text, name, specs, inputs)
        a, b = sorted(pair, key=order.index)
        if a == b:
            raise UsageError(f"bad --corr {text!r}: an input is fully correlated with itself; name two inputs")
        try:
            r = parse_binding(f"r={r_text.strip()}")[1]
        except BindingError:
            raise UsageError(f"bad --corr {text!r}: R must be a number between -1 and 1, got {r_text!r}") from None
        if not -1.0 <= r <= 1.0:
            raise UsageError(f"bad --corr {text!r}: a correlation coefficient lies in [-1, 1], got {r:g}")
        if (a, b) in out:
            raise UsageError(f"--corr {a},{b} is given twice")
        out[(a, b)] = r
    if out:
        cholesky(correlation_matrix(order, out), order)  # raises when not positive semidefinite
    return out


def _check_correlated_name(text: str, name: str, specs: dict, inputs) -> None:
    if name in specs:
        return
    if name in inputs:
        raise UsageError(
            f"bad --corr {text!r}: '{name}' has no uncertainty, so it cannot be correlated",
            hint=f"give it one: {name}=VALUE±U",
        )
    known = ", ".join(specs) or "none"
    raise UsageError(f"bad --corr {text!r}: '{name}' is not an input with an uncertainty (those are: {known})")


def correlation_matrix(order: list[str], corr: dict[tuple[str, str], float]) -> list[list[float]]:
    index = {name: i for i, name in enumerate(order)}
    r = [[float(i == j) for j in range(len(order))] for i in range(len(order))]
    for (a, b), value in corr.items():
        r[index[a]][index[b]] = r[index[b]][index[a]] = value
    return r


def cholesky(r: list[list[float]], names: list[str]) -> list[list[float]]:
    """Lower-triangular L with L L^T = r, for a positive SEMIdefinite r too (a zero pivot
    leaves a zero column; it must then have nothing left to carry).  Plain Python: the same
    factor, bit for bit, on every machine, so Monte Carlo is reproducible anywhere."""
    n = len(r)
    low = [[0.0] * n for _ in range(n)]
    tol = 1e-12 * n
    for k in range(n):
        d = r[k][k] - sum(low[k][j] ** 2 for j in range(k))
        if d < -tol:
            raise _not_psd(r, names)
        pivot = math.sqrt(max(d, 0.0))
        low[k][k] = pivot
        for i in range(k + 1, n):
            rest = r[i][k] - sum(low[i][j] * low[k][j] for j in range(k))
            if pivot <= 1e-7:  # a zero pivot: the column must be zero as well
                if abs(rest) > 1e-6:
                    raise _not_psd(r, names)
                continue
            low[i][k] = rest / pivot
    return low


def _not_psd(r: list[list[float]], names: list[str]) -> UsageError:
    involved = [n for i, n in enumerate(names) if any(r[i][j] for j in range(len(names)) if j != i)]
    return UsageError(
        f"the correlation matrix of {', '.join(involved)} is not positive semidefinite: "
        "no quantities can have these correlations together",
        hint="e.g. r(a,b) = 0.9 and r(b,c) = 0.9 force r(a,c) >= 0.62; check the --corr values",
    )


# -- the result ------------------------------------------------------------------------------


@dataclass
class Row:
    """One input's line of the budget."""

    name: str
    value: float
    u: float
    distribution: str
    sensitivity: float
    contribution: float  # |c·u|
    share: float  # its part of u_c^2


@dataclass
class CorrelationTerm:
    """2·c_a·c_b·r·u_a·u_b: a correlation's own line of the budget (its share may be < 0)."""

    a: str
    b: str
    r: float
    variance: float
    share: float


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


@dataclass
class Result:
    output: str
    value: float
    standard: float  # u_c
    k: float
    order: int
    rows: list[Row]
    correlations: list[CorrelationTerm] = field(default_factory=list)
    first_order: float = 0.0  # u_c of the first-order terms alone
    second_order_variance: float | None = None  # with --order 2 (or the estimate, without)
    monte_carlo: MonteCarlo | None = None
    nodes: list[float] | None = None  # every node's first-order u, in graph.nodes order (small graphs)
    warnings: list[str] = field(default_factory=list)

    @property
    def expanded(self) -> float:
        return self.k * self.standard

    def to_dict(self) -> dict:
        from gradcli.core.engine import number

        out = {
            "standard": number(self.standard),
            "k": number(self.k),
            "expanded": number(self.expanded),
            "order": self.order,
            "budget": [
                {
                    "name": r.name,
                    "value": number(r.value),
                    "u": number(r.u),
                    "sensitivity": number(r.sensitivity),
                    "contribution": number(r.contribution),
                    "share": number(r.share),
                    "distribution": r.distribution,
                }
                for r in self.rows
            ],  # fmt: skip
            "correlations": [
                {"names": [t.a, t.b], "r": t.r, "variance": number(t.variance), "share": number(t.share)}
                for t in self.correlations
            ],
            "first_order_standard": number(self.first_order),
        }
        if self.order == 2:
            out["second_order_variance"] = number(self.second_order_variance or 0.0)
        if self.nodes is not None:
            out["nodes"] = [number(u) for u in self.nodes]
        if self.monte_carlo is not None:
            mc = self.monte_carlo
            out["monte_carlo"] = {
                "samples": mc.samples,
                "seed": mc.seed,
                "mean": number(mc.mean),
                "standard": number(mc.standard),
                "interval": [number(mc.interval[0]), number(mc.interval[1])],
                "coverage": 0.95,
                "agrees": mc.agrees,
                "tolerance": number(mc.tolerance),
            }
        return out


# -- propagation ------------------------------------------------------------------------------


def propagate(
    graph,
    corr: list[str] | None = None,
    k: float | None = None,
    order: int | None = None,
    mc: str | int | None = None,
    seed: int = 0,
    allow_nonfinite: bool = False,
) -> Result:
    """The output's uncertainty; graph.backward() must have run (the sensitivities are its grads)."""
    specs = graph.uncertainties
    if not specs:
        asked = [opt for opt, v in (("-k", k), ("--order", order), ("--mc", mc), ("--corr", corr)) if v]
        raise UsageError(
            f"{asked[0] if asked else 'uncertainty'}: no input has an uncertainty",
            hint="give one with ±: x=1.0±0.1 (or x=1.0+/-0.1), or in the program: x = 1.0 ± 0.1",
        )
    if k is not None and not (math.isfinite(k) and k > 0):
        raise UsageError(f"-k {k:g}: the coverage factor must be a positive number, e.g. -k 2")
    samples = parse_samples(mc) if mc is not None else None
    correlations = parse_correlations(list(corr or []), specs, graph.inputs)
    if order == 2 and correlations:
        raise UsageError(
            "--order 2 needs uncorrelated inputs: GUM's second-order terms (5.1.2, note) assume no correlation",
            hint="drop --corr, or drop --order 2 (or use --mc N, which handles correlated normal inputs)",
        )
    result = first_order(graph, specs, correlations, k or 1.0)
    result.nodes = node_uncertainties(graph, specs, correlations)
    if order == 2:
        add_second_order(result, graph, specs, allow_nonfinite)
    elif not correlations:
        _warn_second_order(result, graph, specs)
    if samples is not None:
        from_mc = monte_carlo(graph, specs, correlations, samples, seed, allow_nonfinite)
        result.monte_carlo = validate(from_mc, result)
        if not result.monte_carlo.agrees:
            result.warnings.append(_disagreement(result.monte_carlo, result))
    return result


def first_order(graph, specs: dict[str, Spec], corr: dict, k: float) -> Result:
    """GUM 5.1.2 (and 5.2.2 with correlations): u_c^2 = sum_i (c_i u_i)^2 + 2 sum_i<j c_i c_j r_ij u_i u_j."""
    c = {name: graph.inputs[name].grad for name in specs}
    terms = {name: (c[name] * s.u) ** 2 for name, s in specs.items()}
    for name, s in specs.items():
        if not math.isfinite(c[name] * s.u):
            raise MathError(
                f"the uncertainty of {graph.output_name} is not finite: input '{name}' contributes "
                f"c·u = {c[name]:g} × {s.u:g}",
            )
    cross = [(a, b, r, 2.0 * c[a] * c[b] * r * specs[a].u * specs[b].u) for (a, b), r in corr.items()]
    variance = max(sum(terms.values()) + sum(t[3] for t in cross), 0.0)
    rows = [
        Row(
            name,
            graph.inputs[name].data,
            s.u,
            s.distribution,
            c[name],
            abs(c[name] * s.u),
            _share(terms[name], variance),
        )
        for name, s in specs.items()
    ]
    correlations = [CorrelationTerm(a, b, r, v, _share(v, variance)) for a, b, r, v in cross]
    u = math.sqrt(variance)
    return Result(graph.output_name, graph.output.data, u, k, 1, rows, correlations, first_order=u)


def node_uncertainties(graph, specs: dict[str, Spec], corr: dict) -> list[float] | None:
    """Each node's first-order u (forward mode: one tangent per uncertain input, carried through
    the op table's local partials; u^2 = t^T R t), so a reader sees where uncertainty grows.
    None for graphs too big to carry n tangents a node (nodes x inputs > SECOND_ORDER_BUDGET)."""
    from gradcli.core.engine import local_derivatives

    names = list(specs)
    n = len(names)
    if len(graph.nodes) * n > SECOND_ORDER_BUDGET:
        return None
    seed = {id(graph.inputs[name]): k for k, name in enumerate(names)}
    r = correlation_matrix(names, corr) if corr else None
    tangent: dict[int, list[float]] = {}
    out = []
    for node in graph.nodes:
        t = [0.0] * n
        if node.a is None:
            if id(node) in seed:
                k = seed[id(node)]
                t[k] = specs[names[k]].u
        else:
            for arg, d in zip(node.args, local_derivatives(node)):
                if d != 0.0:
                    t = [ti + d * ta for ti, ta in zip(t, tangent[id(arg)])]
        tangent[id(node)] = t
        if r is None:
            out.append(math.sqrt(sum(ti * ti for ti in t)))
        else:
            out.append(math.sqrt(max(sum(t[i] * r[i][j] * t[j] for i in range(n) for j in range(n)), 0.0)))
    return out


def _share(part: float, total: float) -> float:
    return part / total if total > 0 else 0.0


def add_second_order(result: Result, graph, specs: dict[str, Spec], allow_nonfinite: bool) -> None:
    """--order 2: add the GUM 5.1.2 note's terms; shares become parts of the new total."""
    v2 = second_order_variance(graph, specs, allow_nonfinite)
    variance = result.first_order**2 + v2
    result.order, result.second_order_variance = 2, v2
    result.standard = math.sqrt(max(variance, 0.0))
    for row in result.rows:
        row.share = _share(row.contribution**2, variance)
    for term in result.correlations:  # (none: --order 2 refuses correlations; kept for the API)
        term.share = _share(term.variance, variance)
    if _relative_change(result.first_order, result.standard) > WARN_RATIO:
        result.warnings.append(
            f"{_change(result.output, result.first_order, result.standard, 'change')}: the output is far from "
            "linear over the inputs' uncertainties (--mc N shows its distribution)"
        )


def _warn_second_order(result: Result, graph, specs: dict[str, Spec]) -> None:
    """Without --order 2: estimate the second-order terms (exactly, when the graph is small)
    and warn when they would change u by more than WARN_RATIO."""
    if len(graph.nodes) * len(specs) > SECOND_ORDER_BUDGET:
        return
    try:
        v2 = second_order_variance(graph, specs, False)
    except MathError:
        return
    with_second = math.sqrt(max(result.first_order**2 + v2, 0.0))
    if _relative_change(result.first_order, with_second) > WARN_RATIO:
        result.warnings.append(
            f"{_change(result.output, result.first_order, with_second, 'would change')}: "
            "use --order 2 (GUM 5.1.2, note) or --mc N"
        )


def _relative_change(u1: float, u2: float) -> float:
    if u1 == 0:
        return math.inf if u2 > 0 else 0.0
    return abs(u2 - u1) / u1


def _change(output: str, u1: float, u2: float, verb: str) -> str:
    """`second-order terms change u(g) by 35%: 0.1 (first order) -> 0.135`."""
    if u1 == 0:
        return f"second-order terms give u({output}) = {_g(u2)} where the first-order u is 0"
    return f"second-order terms {verb} u({output}) by {abs(u2 - u1) / u1:.0%}: {_g(u1)} (first order) -> {_g(u2)}"


def _g(x: float) -> str:
    return f"{x:.3g}"


def second_order_variance(graph, specs: dict[str, Spec], allow_nonfinite: bool = False) -> float:
    """sum_i sum_j [1/2 f_ij^2 + f_i f_ijj] u_i^2 u_j^2 over the uncertain inputs (GUM 5.1.2, note).

    One symbolic gradient, the Hessian by one float sweep per input over it, then one more
    symbolic gradient of g = sum_i (f_i u_i^2) df/dx_i (f_i fixed at the point), whose
    Hessian diagonal gives sum_i f_i u_i^2 f_ijj for each j: never the n^3 third derivatives."""
    from gradcli.core.transform import Builder, gradient, partials

    names = [n for n, s in specs.items() if s.u > 0]
    xs = [graph.inputs[n] for n in names]
    u2 = [specs[n].u ** 2 for n in names]
    P = Builder()  # noqa: N806 - the op table's name for a namespace of ops
    grads = gradient(graph.nodes, graph.output, xs, P)
    hess = [_row(partials(graph.nodes + P.nodes, g, xs)) for g in grads]
    c = [g.data for g in grads]
    g = None
    for ci, u2i, gi in zip(c, u2, grads):
        if ci * u2i != 0 and gi.op.name != "const":
            term = P.mul(P.const(ci * u2i), gi)
            g = term if g is None else P.add(g, term)
    third = [0.0] * len(xs)
    if g is not None:
        dg = gradient(graph.nodes + P.nodes, g.node, xs, P)
        everything = graph.nodes + P.nodes
        third = [_row(partials(everything, d, xs))[j] for j, d in enumerate(dg)]
    graph.backward(allow_nonfinite=allow_nonfinite)  # the sweeps above overwrote the graph's grads
    total = 0.0
    for i, name in enumerate(names):
        for j in range(len(names)):
            total += 0.5 * hess[i][j] ** 2 * u2[i] * u2[j]
        total += third[i] * u2[i]
        if not math.isfinite(total) and not allow_nonfinite:
            raise MathError(
                f"the second-order uncertainty term of input '{name}' is not finite at this point "
                f"(d2{graph.output_name}/d{name}2 = {hess[i][i]:g})"
            )
    return total


def _row(partials: list[float | None]) -> list[float]:
    """A row of partials with the structural zeros (None) as 0.0."""
    return [0.0 if d is None else d for d in partials]


# -- Monte Carlo (JCGM 101) ---------------------------------------------------------------------

MAX_SAMPLES = 10**10
MIN_SAMPLES = 200_000  # JCGM 101 7.2.2: M >= 10^4 / (1 - p) for a 95 % interval
_BYTES_PER_SAMPLE = 24  # the output's samples, the partition's copy, and a margin


def parse_samples(text: str | int) -> int:
    """--mc N: a whole number >= 1 (`1e6` is allowed), small enough to fit in memory."""
    raw = str(text).strip()
    value = float(raw) if re.fullmatch(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE]\+?[0-9]+)?", raw) else math.nan
    if not (math.isfinite(value) and value >= 1 and value == int(value)):
        raise UsageError(
            f"--mc {raw}: the number of Monte Carlo samples must be a whole number >= 1",
            hint="e.g. --mc 1000000 (or --mc 1e6); JCGM 101 7.2.2 suggests at least 2e5 for a 95 % interval",
        )
    n = int(value)
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

    _check_mc_correlations(specs, corr)
    rng = np.random.default_rng(seed)
    plan, output, columns = _array_plan(graph)
    draw = _sampler(graph, specs, corr, np)
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


def _array_plan(graph):
    """(forward plan over node indices, the output's index, {index: constant}) for the nodes
    the output needs: gradcli.batch's own forward plan."""
    from gradcli.analysis.batch import forward_plan

    needed = graph.needed()
    index = {id(node): i for i, node in enumerate(needed)}
    plan = forward_plan(needed, index)
    columns = {index[id(x)]: x.data for x in needed if x.a is None}  # leaves; the uncertain inputs are drawn
    return plan, index[id(graph.output)], columns


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


def _sampler(graph, specs: dict[str, Spec], corr: dict, np):
    """draw(rng, m) -> {node index: m samples} for every uncertain input the output needs.
    Order of draws: the correlated normals together (z, then L z), then each other input
    in the order of graph.uncertainties: fixed, so a seed gives the same samples anywhere."""
    needed = graph.needed()
    index = {id(node): i for i, node in enumerate(needed)}
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
    draw = _sampler(graph, specs, corr, np)
    needed = graph.needed()
    index = {id(node): i for i, node in enumerate(needed)}
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


def _last_digit(u: float, digits: int) -> int:
    """l in u = c × 10^l with `digits` significant digits in c (u > 0): 0.0996 -> 0.10, not 0.100."""
    exponent = math.floor(math.log10(u)) - (digits - 1)
    return exponent + 1 if round(u / 10.0**exponent) >= 10**digits else exponent


def tolerance(u: float, digits: int = 2) -> float:
    """JCGM 101 7.9.2: write u as c × 10^l with `digits` significant digits in c; δ = 10^l / 2."""
    if not (u > 0 and math.isfinite(u)):
        return 0.0
    return 0.5 * 10.0 ** _last_digit(u, digits)


def validate(samples, result: Result) -> MonteCarlo:
    """JCGM 101 8.1: the linear 95 % interval y ± 1.96 u against Monte Carlo's; they agree when
    both endpoints differ by at most δ (7.9.2)."""
    y, seed = samples
    mc = summarize(y, seed)
    big_u = K95 * result.standard
    mc.tolerance = tolerance(result.standard)
    mc.d_low = abs(result.value - big_u - mc.interval[0])
    mc.d_high = abs(result.value + big_u - mc.interval[1])
    mc.agrees = mc.d_low <= mc.tolerance and mc.d_high <= mc.tolerance
    return mc


def _disagreement(mc: MonteCarlo, result: Result) -> str:
    lo, hi = result.value - K95 * result.standard, result.value + K95 * result.standard
    text = (
        f"Monte Carlo's 95 % interval [{mc.interval[0]:.6g}, {mc.interval[1]:.6g}] differs from the "
        f"{'second' if result.order == 2 else 'first'}-order one [{lo:.6g}, {hi:.6g}] by more than "
        f"δ = {mc.tolerance:.2g} (JCGM 101 8.1): the linear result is not validated"
    )
    if mc.samples < MIN_SAMPLES:
        text += f" (with {mc.samples:,} samples Monte Carlo's own noise may explain it: JCGM 101 7.2.2 asks >= 2e5)"
    return text


# -- the GUM's way of writing y ± u ----------------------------------------------------------------


def round_gum(value: float, u: float, digits: int = 2) -> tuple[str, str]:
    """(value, u) as text: u to `digits` significant digits, the value to the same decimal
    place (GUM 7.2.6): 9.81073 ± 0.021934 -> ("9.811", "0.022").  Very large or small
    magnitudes share an exponent: ("(6.02214 ± 0.00012)e23" is written by `plus_minus`)."""
    if not (math.isfinite(u) and u > 0 and math.isfinite(value)):
        return f"{value:.6g}", f"{u:.2g}"
    exponent = _last_digit(u, digits)
    decimals = max(-exponent, 0)
    scale = 10.0**exponent
    return f"{round(value / scale) * scale:.{decimals}f}", f"{round(u / scale) * scale:.{decimals}f}"


def plus_minus(value: float, u: float, digits: int = 2) -> str:
    """`9.811 ± 0.022`; `(6.02214 ± 0.00012)e23` when the numbers would be long."""
    if u > 0 and math.isfinite(u) and math.isfinite(value):
        big = max(abs(value), u)
        shift = math.floor(math.log10(big))
        if shift >= 6 or math.floor(math.log10(u)) <= -6:
            v, e = round_gum(value / 10.0**shift, u / 10.0**shift, digits)
            return f"({v} ± {e})e{shift}"
    v, e = round_gum(value, u, digits)
    return f"{v} ± {e}"


__all__ = [
    "Spec",
    "Uncertain",
    "Result",
    "attach",
    "propagate",
    "second_order_variance",
    "parse_uncertain_binding",
    "round_gum",
    "plus_minus",
]
