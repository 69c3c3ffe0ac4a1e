"""minimize's answer: one object whose `to_dict()` is the JSON of DESIGN §7.2 and whose
attributes of the same names hold the same values (the Python API returns it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from gradcli.build.array_values import nest_by_name


@dataclass
class Result:
    output: str
    status: str  # converged, iteration limit, failed
    converged: bool
    names: list[str]  # the unknowns, flattened in eval's gradients order (w[0], w[1], ...)
    x: list[float]
    value: float
    grad: list[float]
    gradient_norm: float  # ∞-norm of the objective's gradient
    eigenvalues: list[float]  # ascending: the Hessian's, or the Lagrangian's reduced one when constrained
    verdict: str
    iterations: int
    evaluations: dict  # {"f", "grad", "hess"}: what the optimizer asked for
    method: str  # scipy's name for the method run
    active: list[dict]  # [{"constraint": TEXT, "multiplier": m}]
    kkt_residual: float
    reason: str  # the optimizer's message
    shapes: dict = field(default_factory=dict, repr=False)  # array inputs' shapes, to nest point/gradient
    trace: list | None = field(default=None, repr=False)  # (iteration, x, value, gradient norm) per iterate

    @property
    def point(self) -> dict:
        """{NAME: x}; an array input nested in its shape, as eval's JSON writes its gradients."""
        return nest_by_name(self.names, self.x, self.shapes)

    @property
    def gradient(self) -> dict:
        return nest_by_name(self.names, self.grad, self.shapes)

    def to_dict(self) -> dict:
        from gradcli.core.formula import number

        def nums(d: dict) -> dict:
            return {k: _map(number, v) for k, v in d.items()}

        return {
            "output": self.output,
            "status": self.status,
            "converged": self.converged,
            "point": nums(self.point),
            "value": number(self.value),
            "gradient": nums(self.gradient),
            "gradient_norm": number(self.gradient_norm),
            "eigenvalues": [number(e) for e in self.eigenvalues],
            "verdict": self.verdict,
            "iterations": self.iterations,
            "evaluations": dict(self.evaluations),
            "method": self.method,
            "active": [{"constraint": a["constraint"], "multiplier": number(a["multiplier"])} for a in self.active],
            "kkt_residual": number(self.kkt_residual),
            "reason": self.reason,
        }

    def bindings(self) -> list[str]:
        """NAME=VALUE texts of the point at full precision (an array as [..]), for gradcli eval."""
        return [f"{k}={_text(v)}" for k, v in self.point.items()]


def _map(f, v):
    return [_map(f, x) for x in v] if isinstance(v, list) else f(v)


def _text(v) -> str:
    return "[" + ", ".join(_text(x) for x in v) + "]" if isinstance(v, list) else repr(float(v))
