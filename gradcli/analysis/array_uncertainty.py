"""The uncertainty of an array output (JCGM 102 6.2.1.3): every element's value ± u and the
elements' covariance U_y = J U_x Jᵀ, with J the Jacobian eval already computed
(gradcli.build.jacobian) restricted to the uncertain inputs, and U_x = diag(u) R diag(u).

Element i's variance is the law of propagation with row i of J as the sensitivities
(gradcli.analysis.correlation.propagation_terms, as for a scalar output), so `--of y[i]` gives
the same u bit for bit.  The correlation r_ij = u(y_i, y_j) / (u_i u_j); an element with u = 0
has r = 0 with every other element (and 1 with itself).  Monte Carlo (JCGM 101, 102 7) runs
every element on the same samples: per element its mean, u and 95 % interval, validated one by
one (JCGM 101 8.1), and the samples' correlation matrix.  Second order is for one scalar output
(GUM 5.1.2 note): the caller refuses --order 2 here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from gradcli.analysis.correlation import covariance, propagation_terms, share
from gradcli.analysis.monte_carlo import MonteCarlo, Samples, summarize_all, validate_against
from gradcli.build.uncertain import Spec
from gradcli.core.formula import number

MAX_ELEMENTS = 1000  # output elements beyond which the m x m covariance is not formed (m^2 entries)


@dataclass
class ArrayRow:
    """One uncertain input's line of the budget: its sensitivity, |c·u| and share per element
    (the fields in the JSON's order: budget_entry)."""

    name: str
    value: float
    u: float
    distribution: str
    sensitivity: list[float]
    contribution: list[float]
    share: list[float]


@dataclass
class ArrayCorrelationTerm:
    """2·c_a·c_b·r·u_a·u_b per element (its share may be < 0)."""

    a: str
    b: str
    r: float
    variance: list[float]
    share: list[float]


@dataclass
class ArrayMonteCarlo:
    """Monte Carlo per element on the same samples, and their correlation matrix."""

    elements: list[MonteCarlo]
    correlation: list[list[float]] | None

    @property
    def agrees(self) -> bool:
        return all(mc.agrees for mc in self.elements)

    def to_dict(self) -> dict:
        return {
            **self.elements[0].counts(),  # the same samples for every element
            "mean": [number(mc.mean) for mc in self.elements],
            "standard": [number(mc.standard) for mc in self.elements],
            "interval": [[number(mc.interval[0]), number(mc.interval[1])] for mc in self.elements],
            "coverage": 0.95,
            "agrees": self.agrees,
            "agreement": [mc.agrees for mc in self.elements],
            "tolerance": [number(mc.tolerance) for mc in self.elements],
            "correlation": self.correlation,
        }


@dataclass
class ArrayResult:
    output: str
    outputs: list[str]  # the elements' labels, y[0], y[1,0], ...
    values: list[float]
    standard: list[float]  # u of each element
    covariance: list[list[float]] | None  # U_y (None beyond MAX_ELEMENTS elements)
    k: float
    rows: list[ArrayRow]
    correlations: list[ArrayCorrelationTerm] = field(default_factory=list)
    order: int = 1
    monte_carlo: ArrayMonteCarlo | None = None
    nodes: list[float] | None = None  # every node's first-order u (gradcli.analysis.uncertainty)
    warnings: list[str] = field(default_factory=list)

    @property
    def expanded(self) -> list[float]:
        return [self.k * u for u in self.standard]

    @property
    def correlation(self) -> list[list[float]] | None:
        """r_ij = u(y_i, y_j) / (u_i u_j) in [-1, 1]; 1 on the diagonal, 0 beside an element with u = 0."""
        if self.covariance is None:
            return None
        u = self.standard
        return [
            [1.0 if i == j else _ratio(cov, u[i] * u[j]) for j, cov in enumerate(row)]
            for i, row in enumerate(self.covariance)
        ]

    def to_dict(self) -> dict:
        def numbers(xs):
            return [number(x) for x in xs]

        out = {
            "outputs": self.outputs,
            "values": numbers(self.values),
            "standard": numbers(self.standard),
            "correlation": self.correlation,
            "covariance": [numbers(row) for row in self.covariance] if self.covariance is not None else None,
            "k": number(self.k),
            "expanded": numbers(self.expanded),
            "order": self.order,
            "budget": [budget_entry(r) for r in self.rows],
            "correlations": [
                {"names": [t.a, t.b], "r": t.r, "variance": numbers(t.variance), "share": numbers(t.share)}
                for t in self.correlations
            ],
            "first_order_standard": numbers(self.standard),
        }
        if self.nodes is not None:
            out["nodes"] = numbers(self.nodes)
        if self.monte_carlo is not None:
            out["monte_carlo"] = self.monte_carlo.to_dict()
        return out


def budget_entry(row) -> dict:
    """A line of the budget (ArrayRow, or gradcli.analysis.uncertainty's Row) as JSON: its fields
    in their declared order, each number (or each element's) JSON-safe."""

    def safe(v):
        if isinstance(v, str):
            return v
        return [number(x) for x in v] if isinstance(v, list) else number(v)

    return {f.name: safe(getattr(row, f.name)) for f in fields(row)}


def _ratio(part: float, total: float) -> float:
    return max(-1.0, min(1.0, part / total)) if total > 0 else 0.0


def propagate_array(graph, specs: dict[str, Spec], corr: dict, k: float) -> ArrayResult:
    """First order for every element: row i of the Jacobian is element i's sensitivities."""
    items = graph.arrays.output.items
    column = {name: i for i, name in enumerate(graph.inputs)}
    sens = [{name: row[column[name]] for name in specs} for row in graph.arrays.jacobian]
    parts = [propagation_terms(y.label, c, specs, corr) for y, c in zip(items, sens)]
    variances = [v for _, _, v in parts]
    m = len(items)
    cov = None
    if m <= MAX_ELEMENTS:
        cov = [[0.0] * m for _ in range(m)]
        for i in range(m):
            cov[i][i] = variances[i]
            for j in range(i + 1, m):
                cov[i][j] = cov[j][i] = covariance(sens[i], sens[j], specs, corr)
    rows = [
        ArrayRow(name, graph.inputs[name].data, s.u, s.distribution, [c[name] for c in sens],
                 [abs(c[name] * s.u) for c in sens], [share(t[name], v) for t, _, v in parts])
        for name, s in specs.items()
    ]  # fmt: skip
    terms = [
        ArrayCorrelationTerm(a, b, r, [cross[n][3] for _, cross, _ in parts],
                             [share(cross[n][3], v) for _, cross, v in parts])
        for n, ((a, b), r) in enumerate(corr.items())
    ]  # fmt: skip
    standard = [math.sqrt(v) for v in variances]
    result = ArrayResult(graph.output_name, [y.label for y in items], [y.data for y in items], standard, cov, k, rows)
    result.correlations = terms
    if cov is None:
        result.warnings.append(
            f"{graph.output_name} has {m:,} elements: their {m:,} × {m:,} correlation matrix is not computed "
            f"(at most {MAX_ELEMENTS:,} elements); each element's u is reported"
        )
    return result


def validate_array(samples: Samples, result: ArrayResult) -> ArrayMonteCarlo:
    """Each element's Monte Carlo interval against its linear one (JCGM 101 8.1), and the
    samples' correlation matrix (numpy's corrcoef; 0 beside an element that does not vary)."""
    import numpy as np

    elements = [validate_against(mc, y, u) for mc, y, u in zip(summarize_all(samples), result.values, result.standard)]
    correlation = None
    if result.covariance is not None:
        y = samples.y
        with np.errstate(all="ignore"):
            r = np.corrcoef(y) if y.shape[1] > 1 else np.eye(len(y))
        r = np.atleast_2d(np.nan_to_num(np.clip(r, -1.0, 1.0), nan=0.0))
        np.fill_diagonal(r, 1.0)
        correlation = [[float(v) for v in row] for row in r]
    return ArrayMonteCarlo(elements, correlation)


def disagreement(mc: ArrayMonteCarlo, result: ArrayResult) -> str:
    """The warning when some element's linear interval is not validated by Monte Carlo."""
    bad = [label for label, e in zip(result.outputs, mc.elements) if not e.agrees]
    shown = ", ".join(bad[:5]) + (", ..." if len(bad) > 5 else "")
    return (
        f"Monte Carlo's 95 % intervals of {len(bad):,} of {len(result.outputs):,} elements ({shown}) differ from "
        "the first-order ones by more than their δ (JCGM 101 8.1): the linear result is not validated there"
    )
