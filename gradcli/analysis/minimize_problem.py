"""minimize's problem: the program and its constraints as one graph, the unknowns, the bounds and
the start, checked (analysis/minimize.py runs it).  Bad input is a UsageError here, before
scipy runs: nothing to vary, a non-scalar output, an unknown --fix/--bounds name, a start outside
its bounds, an unparsable or constant-and-violated constraint; a math error at the start a
MathError (the session's own evaluation of the program there)."""

from __future__ import annotations

import math
from typing import NamedTuple

from gradcli.analysis import optimality
from gradcli.analysis.constraints import (
    Constraint,
    bound_text,
    constraint_names,
    element_bounds,
    parse_bound,
    parse_constraint,
)
from gradcli.analysis.numdiff import EPS
from gradcli.analysis.objective import Objective, Outputs, fixed_inputs
from gradcli.build.graph import Graph
from gradcli.core.errors import GradcliError, UsageError
from gradcli.lang.program import Program

METHODS = ("auto", "newton", "trust", "bfgs", "lbfgsb", "slsqp", "nelder-mead")
ROUNDING = 64 * EPS  # a computed value's error bound, in units of its operands' size (ulps, with room)
KRYLOV_ABOVE = 50  # unknowns: past this, trust-region steps use Hessian-vector products, not the matrix


def scipy_method(method: str, bounded: bool, constrained: bool, n: int) -> str:
    """scipy's method for --method (a UsageError where it cannot take the bounds or constraints)."""
    trust = "trust-exact" if n <= KRYLOV_ABOVE else "trust-krylov"
    if method == "auto":
        return "SLSQP" if constrained else "L-BFGS-B" if bounded else trust
    if method == "trust":
        return "trust-constr" if bounded or constrained else trust
    name = {"newton": "Newton-CG", "bfgs": "BFGS", "lbfgsb": "L-BFGS-B", "slsqp": "SLSQP", "nelder-mead": "Nelder-Mead"}
    if method not in name:
        raise UsageError(f"--method {method}: not a method (methods: {', '.join(METHODS)})")
    takes_bounds = method in ("lbfgsb", "slsqp", "nelder-mead")
    if constrained and method != "slsqp" or bounded and not takes_bounds:
        what = "constraints (--subject-to)" if constrained else "bounds (--bounds)"
        able = "slsqp or trust" if constrained else "lbfgsb, slsqp, trust or nelder-mead"
        raise UsageError(f"--method {method} does not take {what}", hint=f"use --method {able}, or auto")
    return name[method]


class Options(NamedTuple):
    """minimize's options, as the command line and the API give them."""

    method: str = "auto"
    fix: tuple[str, ...] = ()
    bounds: tuple[str, ...] = ()  # NAME=LO:HI texts
    subject_to: tuple[str, ...] = ()  # 'EXPR <= EXPR' texts
    tol: float = 1e-10
    max_iter: int | None = None
    trace: bool = False  # keep every iterate (--trace FILE.csv)
    of: str | None = None  # the output (default: the last statement)


class Problem:
    """The built problem: objective, constraints, bounds per unknown, the scipy method."""

    def __init__(self, graph: Graph, vary: list[str], constraints: list[Constraint], bounds: dict, options: Options):
        self.options = options
        self.output = graph.output_name
        self.warnings = list(graph.warnings)  # an unused binding, ...: for the user, on stderr
        self.objective = Objective(graph, vary)
        self.constraints = constraints
        self.bounds = [bounds.get(n, (-math.inf, math.inf)) for n in vary]
        self.bounded = any(lo > -math.inf or hi < math.inf for lo, hi in self.bounds)
        nodes = [graph.names[c.name] for c in constraints]
        self.outputs = Outputs(graph, nodes, vary) if constraints else None
        self._hessians: dict[int, Objective] = {}
        self._graph, self._nodes = graph, nodes
        self.shapes = dict(graph.arrays.shapes) if graph.arrays is not None else {}
        self.trace: list | None = [] if options.trace else None
        self.method = scipy_method(options.method, self.bounded, bool(constraints), len(vary))

    def stationary_tol(self, x, hessian) -> float:
        """The KKT residual a point may have and still count as stationary: --tol, or the
        gradient's own rounding at x if larger, whichever is largest of: 64 ε |H| max(1, |x|)
        (how much the gradient moves when x moves by a few ulps) and 4 times its measured noise
        (the gradient at x moved by an ulp or two, less the Hessian's share of the change).
        Neither grows with |f|: adding 1e7 to f moves no minimum and must not loosen the test."""
        import numpy as np

        h = np.asarray(hessian, dtype=float)
        if not (h.size and np.isfinite(h).all()):
            return self.options.tol
        size = float(np.max(np.abs(h))) * max(len(x), 1)
        reach = max([1.0, *(abs(float(v)) for v in x)])
        return max(self.options.tol, ROUNDING * size * reach, 4 * self._noise(x, h))

    def _noise(self, x, hessian) -> float:
        import numpy as np

        x = np.asarray(x, dtype=float)
        g = np.asarray(self.objective.evaluate(x)[1], dtype=float)
        signs = np.where(np.arange(x.size) % 2 == 0, 1.0, -1.0)
        worst = 0.0
        for k in (1.0, -2.0):
            dx = k * signs * np.spacing(np.abs(x) + 1e-300)
            gk = np.asarray(self.objective.evaluate(x + dx)[1], dtype=float)
            worst = max(worst, float(np.max(np.abs(gk - g - hessian @ dx), initial=0.0)))
        return worst if math.isfinite(worst) else 0.0

    def constraint_values(self, x) -> tuple[list[float], list[list[float]]]:
        return self.outputs.evaluate(x) if self.outputs is not None else ([], [])

    def violation(self, x) -> float:
        """The worst violation of a constraint or bound at x beyond its rounding: a constraint
        c = B - A is met when it is off by at most 64 ε |∇c| max(1, |x|) (exp(x) + y == 1e8 can
        only hold to about an ulp of 1e8)."""
        values, rows = self.constraint_values(x)
        reach = max([1.0, *(abs(float(v)) for v in x)])
        worst = 0.0
        for c, value, row in zip(self.constraints, values, rows):
            rounding = ROUNDING * max((abs(v) for v in row), default=0.0) * reach
            worst = max(worst, optimality.violations([value], [c.equality]) - rounding)
        for xi, (lo, hi) in zip(x, self.bounds):
            worst = max(worst, lo - xi, xi - hi)
        return worst

    def active(self, x) -> list[optimality.Active]:
        """The constraints and bounds active at x, each with its gradient and Hessian."""
        values, rows = self.constraint_values(x)
        out = []
        for k, (c, value, row) in enumerate(zip(self.constraints, values, rows)):
            if optimality.is_active(value, c.equality, 1.0):
                out.append(optimality.Active(c.text, c.equality, value, row, self._hessian(k, x)))
        n = len(x)
        for i, (xi, (lo, hi)) in enumerate(zip(x, self.bounds)):
            unit = [0.0] * n
            name = self.objective.names[i]
            if hi < math.inf and optimality.is_active(hi - xi, False, abs(hi)):
                unit[i] = -1.0
                out.append(optimality.Active(bound_text(name, hi, True), False, hi - xi, unit, None))
            elif lo > -math.inf and optimality.is_active(xi - lo, False, abs(lo)):
                unit[i] = 1.0
                out.append(optimality.Active(bound_text(name, lo, False), False, xi - lo, unit, None))
        return out

    def _hessian(self, k: int, x):
        if k not in self._hessians:
            self._hessians[k] = Objective(self._graph, self.objective.names, self._nodes[k])
        return self._hessians[k].hessian(x)

    def scipy_bounds(self) -> list[tuple]:
        return [(None if lo == -math.inf else lo, None if hi == math.inf else hi) for lo, hi in self.bounds]

    def scipy_constraints(self, trust_constr: bool) -> list:
        """The constraints as scipy takes them: dicts (SLSQP), or one NonlinearConstraint with
        exact Jacobian and Hessian (trust-constr)."""
        import numpy as np

        u, m = self.outputs, len(self.constraints)
        eq = [k for k, c in enumerate(self.constraints) if c.equality]
        ineq = [k for k, c in enumerate(self.constraints) if not c.equality]
        if trust_constr:
            from scipy.optimize import NonlinearConstraint

            ub = np.where([c.equality for c in self.constraints], 0.0, np.inf)

            def hess(x, v):
                return sum((v[k] * self._hessian(k, x) for k in range(m)), np.zeros((len(x), len(x))))

            return [NonlinearConstraint(u.values, np.zeros(m), ub, jac=u.jacobian, hess=hess)]
        out = []
        for kind, rows in (("eq", eq), ("ineq", ineq)):
            if rows:
                out.append(
                    {"type": kind, "fun": lambda x, r=rows: u.values(x)[r], "jac": lambda x, r=rows: u.jacobian(x)[r]}
                )
        return out


def prepare(program: Program, values: dict, options: Options) -> Problem:
    """The problem at the start `values` (every input's value; --fix'ed ones stay there)."""
    from gradcli.build.standard import build

    first = _scalar(build(program, values, options.of))
    first.backward()  # a gradient that is not finite at the start: a MathError, exit 3
    constraints = [parse_constraint(t, n) for t, n in zip(options.subject_to, _names(program, options))]
    graph = first if not constraints else _with_constraints(program, values, first, constraints)
    shapes = dict(graph.arrays.shapes) if graph.arrays is not None else {}
    vary = _varying(list(graph.inputs), shapes, options.fix)
    bounds = element_bounds([parse_bound(t) for t in options.bounds], list(graph.inputs), shapes)
    fixed = [n for n in bounds if n not in vary]
    if fixed:
        raise UsageError(f"--bounds {fixed[0]}: the input is fixed (--fix): a bound on it means nothing")
    for name, (lo, hi) in bounds.items():
        x = graph.inputs[name].data
        if not lo <= x <= hi:
            raise UsageError(
                f"the start {name}={x:g} is outside its bounds {lo:g}:{hi:g}",
                hint=f"start inside them, e.g. {name}={min(max(0.0, lo), hi):g}",
            )
    problem = Problem(graph, vary, constraints, bounds, options)
    _constant_constraints(problem, graph)
    return problem


def _scalar(graph: Graph) -> Graph:
    info = graph.arrays
    if info is not None and info.output is not None:
        shape = "x".join(map(str, info.output.shape))
        raise UsageError(
            f"minimize needs a scalar output, but {graph.output_name} is an array ({shape})",
            hint="reduce it (sum, mean, norm), or pick one element with --of",
        )
    return graph


def _names(program: Program, options: Options) -> list[str]:
    taken = {s.target for s in program.stmts if s.target} | {eq.name for eq in program.code if eq.name}
    return constraint_names(len(options.subject_to), taken)


def _with_constraints(program: Program, values: dict, first: Graph, constraints: list[Constraint]) -> Graph:
    """The program with each constraint appended as a statement, its output still the objective."""
    from gradcli.build.standard import build
    from gradcli.core.errors import MathError
    from gradcli.lang.parser import parse

    source, of = program.source, first.output_name
    last = program.stmts[-1] if program.stmts else None
    if last is not None and last.target is None and first.output_name not in first.names:  # a bare expression
        of = "minimize_objective_"
        source = source[: last.start] + f"{of} = " + source[last.start :]
    lines = source.count("\n") + 1
    text = source + "".join(f"\n{c.statement}" for c in constraints)
    try:
        graph = build(parse(text), values, of)
    except GradcliError as exc:
        k = (exc.line or 0) - lines - 1
        if not 0 <= k < len(constraints):
            raise
        error = type(exc) if isinstance(exc, MathError) else UsageError
        raise error(f"--subject-to {constraints[k].text!r}: {exc.message}", hint=exc.hint) from None
    graph.output_name = first.output_name
    return graph


def _varying(inputs: list[str], shapes: dict, fix: tuple[str, ...]) -> list[str]:
    fixed = fixed_inputs(inputs, shapes, fix)
    vary = [n for n in inputs if n not in fixed]
    if not vary:
        raise UsageError(
            "minimize has no inputs to vary" + (" (every input is --fix'ed)" if inputs else " (the program has none)"),
            hint="give the inputs to vary a start value, NAME=START, and --fix only the ones to hold",
        )
    return vary


def _constant_constraints(problem: Problem, graph: Graph) -> None:
    """A constraint that no unknown moves, violated at the start: infeasible whatever the optimizer does.
    "Moves" is structural (the constraint reads an unknown), not a zero gradient at the start:
    `x*y >= 1` from x=0, y=0 has gradient 0 there and is feasible elsewhere."""
    from gradcli.core.engine import reaching

    if problem.outputs is None:
        return
    values, _ = problem.constraint_values(problem.objective.start())
    unknowns = {id(graph.inputs[n]) for n in problem.objective.names}
    for c, value in zip(problem.constraints, values):
        moved = any(id(node) in unknowns for node in reaching(graph.nodes, graph.names[c.name]))
        if not moved and (abs(value) > 1e-12 if c.equality else value < 0.0):
            raise UsageError(
                f"--subject-to {c.text!r} is infeasible: no unknown moves it, and it does not hold",
                hint="it depends only on fixed inputs or constants",
            )
