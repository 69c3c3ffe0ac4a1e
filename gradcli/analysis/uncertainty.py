"""Uncertainty propagation (GUM): `L=1.000±0.002` in, value ± u and an uncertainty budget out.

An input with an uncertainty is an ordinary input (its value is the value); the graph carries
the uncertainties on the side (`Graph.uncertainties`: name -> Spec(u, distribution,
half_width)), so eval, check, hessian and sweep see the same graph as without `±`.

- First order, GUM 5.1.2 and 5.2.2: the sensitivity coefficients c_i = df/dx_i are the
  gradient eval already computed, u_c^2 = sum_ij c_i c_j r_ij u_i u_j.
- Second order, the note to GUM 5.1.2 (uncorrelated inputs):
  u_c^2 += sum_i sum_j [1/2 f_ij^2 + f_i f_ijj] u_i^2 u_j^2, with the exact derivatives of
  the derivative transform (gradcli.core.transform): one symbolic gradient, the Hessian by one
  float sweep per input, and the f_ijj terms as the Hessian diagonal of the single node
  g = sum_i f_i u_i^2 df/dx_i.  The note assumes normal inputs; a rect or tri input's own fourth
  moment (9/5 u^4, 12/5 u^4 against the normal's 3 u^4) changes its two diagonal terms (KURTOSIS).
- Monte Carlo, JCGM 101 (gradcli.analysis.monte_carlo), and here the validation of the linear
  result against it (JCGM 101 8.1, tolerance 7.9.2).

The inputs' side (`±` bindings and statements, Spec) is gradcli.build.uncertain; correlations
are gradcli.analysis.correlation; the GUM's rounding gradcli.analysis.gum.  numpy is imported
only by Monte Carlo.  No typer or rich here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from gradcli.analysis.array_uncertainty import ArrayResult, budget_entry, disagreement, propagate_array, validate_array
from gradcli.analysis.correlation import correlation_matrix, parse_correlations, propagation_terms, share
from gradcli.analysis.gum import K95
from gradcli.analysis.monte_carlo import (
    MIN_SAMPLES,
    Draw,
    MonteCarlo,
    Sampler,
    monte_carlo,
    parse_samples,
    summarize_all,
    validate_against,
)
from gradcli.build.uncertain import Spec
from gradcli.core.errors import MathError, UsageError
from gradcli.core.transform import tangent_inputs

# Each distribution's kurtosis κ = E[(x-μ)^4] / u^4.  GUM 5.1.2's note assumes normal inputs (κ = 3).
# For independent inputs with symmetric distributions (δ = x - μ), the variance of f's Taylor
# expansion to order u^4 is  sum_i c_i^2 u_i^2  +  sum_i (κ_i - 1)/4 f_ii^2 u_i^4
#   +  sum_(i<j) f_ij^2 u_i^2 u_j^2  +  sum_i κ_i/3 c_i f_iii u_i^4  +  sum_(i!=j) c_i f_ijj u_i^2 u_j^2
# (Var(1/2 δᵀHδ), and 2 Cov(cᵀδ, 1/6 sum f_ijk δ_i δ_j δ_k); odd moments vanish).  With κ = 3 it
# is GUM's formula; rect and tri change only the two diagonal terms.
KURTOSIS = {"normal": 3.0, "rect": 9 / 5, "tri": 12 / 5}
SECOND_ORDER_BUDGET = 300_000  # nodes x inputs beyond which eval does not estimate the second order
WARN_RATIO = 0.10  # warn when second-order terms would change u by more than this


# -- the result ------------------------------------------------------------------------------


@dataclass
class Row:
    """One input's line of the budget (the fields in the JSON's order: budget_entry)."""

    name: str
    value: float
    u: float
    sensitivity: float
    contribution: float  # |c·u|
    share: float  # its part of u_c^2
    distribution: str


@dataclass
class CorrelationTerm:
    """2·c_a·c_b·r·u_a·u_b: a correlation's own line of the budget (its share may be < 0)."""

    a: str
    b: str
    r: float
    variance: float
    share: float


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
        from gradcli.core.formula import number

        out = {
            "standard": number(self.standard),
            "k": number(self.k),
            "expanded": number(self.expanded),
            "order": self.order,
            "budget": [budget_entry(r) for r in self.rows],
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
                **mc.counts(),
                "mean": number(mc.mean),
                "standard": number(mc.standard),
                "interval": [number(mc.interval[0]), number(mc.interval[1])],
                "coverage": 0.95,
                "agrees": mc.agrees,
                "tolerance": number(mc.tolerance),
            }
        return out


@dataclass(frozen=True)
class UncertaintyOptions:
    """What propagate adds to the first-order result (by default nothing: u with k = 1)."""

    corr: list[str] | None = None  # `--corr A,B=R` texts
    k: float | None = None  # the coverage factor of the expanded uncertainty (None: 1)
    order: int | None = None  # 2: with GUM's second-order terms
    mc: str | int | None = None  # Monte Carlo's number of samples (`--mc N`), validating the result
    seed: int = 0  # of Monte Carlo
    allow_nonfinite: bool = False
    valid_only: bool = False  # Monte Carlo's statistics over the valid samples (--mc-valid-only)
    engine: object = None  # engine(n, seed) -> Monte Carlo's samples computed elsewhere (--engine dask)


def propagate(graph, options: UncertaintyOptions = UncertaintyOptions()) -> Result | ArrayResult:
    """The output's uncertainty; graph.backward() must have run (the sensitivities are its grads)."""
    o = options
    corr, k, order, mc, seed, allow_nonfinite = o.corr, o.k, o.order, o.mc, o.seed, o.allow_nonfinite
    specs = graph.uncertainties
    if not specs:
        given = (("-k", k), ("--order", order), ("--mc", mc), ("--corr", corr), ("--mc-valid-only", o.valid_only))
        asked = [opt for opt, v in given if v]
        raise UsageError(
            f"{asked[0] if asked else 'uncertainty'}: no input has an uncertainty",
            hint="give one with ±: x=1.0±0.1 (or x=1.0+/-0.1), or in the program: x = 1.0 ± 0.1",
        )
    if k is not None and not (math.isfinite(k) and k > 0):
        raise UsageError(f"-k {k:g}: the coverage factor must be a positive number, e.g. -k 2")
    samples = parse_samples(mc) if mc is not None else None
    if o.valid_only and samples is None:
        raise UsageError("--mc-valid-only is about Monte Carlo's samples: it needs --mc N", hint="e.g. --mc 1e6")
    correlations = parse_correlations(list(corr or []), specs, graph.inputs, graph.correlations)
    if graph.arrays is not None and graph.arrays.output is not None:
        return _array_output(graph, correlations, samples, o)
    if order == 2 and correlations:
        raise UsageError(
            "--order 2 needs uncorrelated inputs: GUM's second-order terms (5.1.2, note) assume no correlation",
            hint="drop --corr, or drop --order 2 (or use --mc N, which handles correlated normal inputs)",
        )
    result = first_order(graph, specs, correlations, k or 1.0)
    result.nodes = node_uncertainties(graph, specs, correlations, {id(graph.output): result.first_order})
    if order == 2:
        add_second_order(result, graph, specs, allow_nonfinite)
    elif not correlations:
        _warn_second_order(result, graph, specs)
    if samples is not None:
        from_mc = monte_carlo(graph, specs, correlations, samples, seed, Draw(o.valid_only, o.engine))
        result.monte_carlo = validate(from_mc, result)
        if not result.monte_carlo.agrees:
            result.warnings.append(_disagreement(result.monte_carlo, result))
    return result


def _array_output(graph, correlations: dict, samples: int | None, o: UncertaintyOptions) -> ArrayResult:
    """Every element of an array output ± u and their correlation (JCGM 102); Monte Carlo per element."""
    if o.order == 2:
        first = graph.arrays.output.items[0].label
        raise UsageError(
            f"--order 2 needs a scalar output: GUM's second-order terms (5.1.2, note) are for one output, "
            f"and {graph.output_name} is an array",
            hint=f"pick one element with --of {first}, or use --mc N for the joint distribution of every element",
        )
    specs = graph.uncertainties
    result = propagate_array(graph, specs, correlations, o.k or 1.0)
    known = {id(y): u for y, u in zip(graph.arrays.output.items, result.standard)}
    result.nodes = node_uncertainties(graph, specs, correlations, known)
    if samples is not None:
        result.monte_carlo = validate_array(
            monte_carlo(graph, specs, correlations, samples, o.seed, Draw(o.valid_only, o.engine)), result
        )
        if not result.monte_carlo.agrees:
            result.warnings.append(disagreement(result.monte_carlo, result))
    return result


def sampler(graph, corr) -> Sampler:
    """Monte Carlo's sampler of a graph, with --corr's texts (and the program's corr(a, b) = r) as
    propagate reads them: what a dask worker compiles to draw its chunks."""
    specs = graph.uncertainties
    return Sampler(graph, specs, parse_correlations(list(corr or []), specs, graph.inputs, graph.correlations))


def first_order(graph, specs: dict[str, Spec], corr: dict, k: float) -> Result:
    """GUM 5.1.2 (and 5.2.2 with correlations): u_c^2 = sum_i (c_i u_i)^2 + 2 sum_i<j c_i c_j r_ij u_i u_j."""
    c = {name: graph.inputs[name].grad for name in specs}
    terms, cross, variance = propagation_terms(graph.output_name, c, specs, corr)
    rows = [
        Row(
            name,
            graph.inputs[name].data,
            s.u,
            c[name],
            abs(c[name] * s.u),
            share(terms[name], variance),
            s.distribution,
        )
        for name, s in specs.items()
    ]
    correlations = [CorrelationTerm(a, b, r, v, share(v, variance)) for a, b, r, v in cross]
    u = math.sqrt(variance)
    return Result(graph.output_name, graph.output.data, u, k, 1, rows, correlations, first_order=u)


def node_uncertainties(graph, specs: dict[str, Spec], corr: dict, known: dict | None = None) -> list[float] | None:
    """Each node's first-order u (forward mode: one tangent per uncertain input, carried through
    the op table's local partials; u^2 = t^T R t), so a reader sees where uncertainty grows.
    `known`: id(node) -> u already computed for the output (from the reverse sweep's c_i u_i):
    used as it is, so the output's u is one number wherever it is shown (forward and reverse
    sums can differ in the last bit).  None for graphs too big to carry n tangents a node
    (nodes x inputs > SECOND_ORDER_BUDGET)."""
    known = known or {}
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
        if id(node) in seed:
            k = seed[id(node)]
            t[k] = specs[names[k]].u
        for arg, d in tangent_inputs(node):
            t = [ti + d * ta for ti, ta in zip(t, tangent[id(arg)])]
        tangent[id(node)] = t
        if id(node) in known:
            out.append(known[id(node)])
        elif r is None:
            out.append(math.sqrt(sum(ti * ti for ti in t)))
        else:
            out.append(math.sqrt(max(sum(t[i] * r[i][j] * t[j] for i in range(n) for j in range(n)), 0.0)))
    return out


def add_second_order(result: Result, graph, specs: dict[str, Spec], allow_nonfinite: bool) -> None:
    """--order 2: add the GUM 5.1.2 note's terms; shares become parts of the new total."""
    v2 = second_order_variance(graph, specs, allow_nonfinite)
    variance = result.first_order**2 + v2
    result.order, result.second_order_variance = 2, v2
    result.standard = math.sqrt(max(variance, 0.0))
    for row in result.rows:
        row.share = share(row.contribution**2, variance)
    for term in result.correlations:  # (none: --order 2 refuses correlations; kept for the API)
        term.share = share(term.variance, variance)
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
    """sum_i sum_j [1/2 f_ij^2 + f_i f_ijj] u_i^2 u_j^2 over the uncertain inputs (GUM 5.1.2, note),
    its diagonal terms corrected for rect and tri inputs' own fourth moments (see KURTOSIS).

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
    kappa = [KURTOSIS[specs[n].distribution] for n in names]
    own = [_own_third(graph, P, grads[i], xs[i]) if kappa[i] != 3.0 and c[i] != 0 else 0.0 for i in range(len(xs))]
    graph.backward(allow_nonfinite=allow_nonfinite)  # the sweeps above overwrote the graph's grads
    total = 0.0
    for i, name in enumerate(names):
        for j in range(len(names)):
            total += 0.5 * (hess[i][j] * hess[i][j]) * u2[i] * u2[j]
        total += third[i] * u2[i]
        if kappa[i] != 3.0:  # the diagonal terms with x_i's own fourth moment κ_i u_i^4 (see KURTOSIS)
            u4 = u2[i] * u2[i]
            total += ((kappa[i] - 1) / 4 - 0.5) * (hess[i][i] * hess[i][i]) * u4 + (kappa[i] / 3 - 1) * c[i] * own[
                i
            ] * u4
        if not math.isfinite(total) and not allow_nonfinite:
            raise MathError(
                f"the second-order uncertainty term of input '{name}' is not finite at this point "
                f"(d2{graph.output_name}/d{name}2 = {hess[i][i]:g})"
            )
    return total


def _own_third(graph, P, grad, x) -> float:  # noqa: N803 - P: the op table's name for a namespace of ops
    """f_iii = d^3 f / dx_i^3 at the point: one more symbolic gradient of the node f_i = df/dx_i."""
    from gradcli.core.transform import gradient, partials

    if grad.op.name == "const":
        return 0.0
    (second,) = gradient(graph.nodes + P.nodes, grad, [x], P)
    return _row(partials(graph.nodes + P.nodes, second, [x]))[0]


def _row(partials: list[float | None]) -> list[float]:
    """A row of partials with the structural zeros (None) as 0.0."""
    return [0.0 if d is None else d for d in partials]


# -- validation by Monte Carlo (JCGM 101 8.1) ------------------------------------------------


def validate(samples, result: Result) -> MonteCarlo:
    """JCGM 101 8.1: the linear 95 % interval y ± 1.96 u against Monte Carlo's (monte_carlo's Samples)."""
    (mc,) = summarize_all(samples)
    return validate_against(mc, result.value, result.standard)


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


__all__ = ["Result", "UncertaintyOptions", "propagate", "second_order_variance", "validate"]
