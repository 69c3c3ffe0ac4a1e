"""The Python API beyond `Value`: the commands as functions of program text (or of a Python
function of Values) and a point, returning result objects whose fields match the command's
JSON (DESIGN §4).  Program text goes through the same pipeline as the CLI (gradcli.session).

    >>> from gradcli import hessian, diff
    >>> hessian("f = (1 - x)**2 + 100*(y - x**2)**2", {"x": 1.0, "y": 1.0}).definiteness
    'positive definite'
    >>> diff("y = x**3", "x", {"x": 2.0}, order=3)
    6.0
"""

from __future__ import annotations

import gradcli.session as session
from gradcli.session import Request, Source


def hessian(f, point=None, of=None):
    """The gradient and Hessian of f at point: f is program text or a function of Values.

    >>> h = hessian(lambda x, y: (1 - x)**2 + 100*(y - x**2)**2, {"x": 1.0, "y": 1.0})
    >>> h.matrix, h.definiteness
    ([[802.0, -400.0], [-400.0, 200.0]], 'positive definite')
    """
    return session.hessian(_graph(f, point, of))


def diff(f, wrt, point=None, order=1, of=None, to=None):
    """d^order f / d wrt^order at point, exactly: diff("y = x**3", "x", {"x": 2.0}, 3) == 6.0.

    With `to` ("gradcli", "python", "numpy", "c", "javascript", "latex"), the derivative as code
    instead, as `gradcli diff --to` prints it: f is program text, `wrt` a name, a list of names
    or None (every input: the gradient, or with order=2 the Hessian's upper triangle), the
    point's values the defaults."""
    if to is not None:
        return _code(f, wrt, point, order, of, to)
    from gradcli.analysis.diff import nth_derivative

    _, target = nth_derivative(_graph(f, point, of), wrt, order)
    return target.data


def compile_gradient(program: str, wrt=None, order=1, to="python", point=None):
    """The python (or numpy) function `gradcli diff --to` prints, exec'd: called with the inputs
    in eval's `gradients` order, it returns the value and the derivatives (L, (dL_da, ...)).

    >>> compile_gradient("L = a*b + sin(a)")(0.0, 2.0)
    (0.0, (3.0, 0.0))
    """
    if to not in ("python", "numpy"):
        raise ValueError(f"to={to!r}: compile_gradient makes a python or numpy function")
    source = _code(program, wrt, point, order, None, to)
    namespace: dict = {}
    exec(compile(source, f"<gradcli diff --to {to}>", "exec"), namespace)  # noqa: S102 - code gradcli generated
    return namespace[source.rsplit("\ndef ", 1)[1].split("(", 1)[0]]


def _code(f, wrt, point, order, of, to):
    if not isinstance(f, str):
        raise TypeError("to= writes the derivative of program text: give the program as a string")
    texts = [f"{k}={float(v)!r}" for k, v in (point or {}).items()]
    g, free = session.diff_graph(Source(f), texts, Request(of))
    return session.diff(g, wrt, order, False, free, to)


def _graph(f, point, of):
    """The differentiated graph of program text (the session's pipeline) or of a Python function."""
    if isinstance(f, str):
        from gradcli.core.engine import paused_gc

        with paused_gc():
            return session.graph(session.load(Source(f)), dict(point or {}), Request(of))
    if of is not None:  # never silently dropped: a Python function has exactly one output
        raise TypeError("of= picks a node of program text; a Python function has one output (its return value)")
    from gradcli.analysis.at_point import graph_of

    return graph_of(f, point)


def solve(program: str, start: dict, zero, fix=()):
    """Inputs where the outputs named in `zero` are all 0, from `start` (every input varies
    unless named in `fix`), as `gradcli solve` finds them: a SolveResult whose fields are the
    JSON's (converged, point, residuals, residual_norm, condition, singular).

    >>> r = solve("f = x**2 + y**2 - 4; g = x*y - 1", {"x": 2.0, "y": 0.5}, ["f", "g"])
    >>> round(r.point["x"], 12), r.converged, r.singular
    (1.931851652578, True, False)
    """
    from gradcli.analysis.solve import solve as solve_graph

    zero = [zero] if isinstance(zero, str) else list(zero)
    fix = [fix] if isinstance(fix, str) else list(fix)
    g = session.graph(session.load(Source(program)), dict(start), Request(jacobian=True))
    return solve_graph(g, zero, fix)


def fit(program: str, data, start: dict, sigma=None, of=None):
    """Nonlinear least squares as `gradcli fit`: `data` is a CSV file's path or a mapping
    {column: values}; `start` the parameters' starting values; `sigma` the column of the
    observations' standard uncertainties.  A FitResult whose fields are the JSON's (output,
    converged, parameters {name: {"value", "u"}}, correlation, rss, dof, chi2_dof, iterations,
    evaluations); .covariance and .residuals too.

    >>> r = fit("y = a*t + b", {"t": [0, 1, 2, 3], "y": [1.0, 3.1, 4.9, 7.0]}, {"a": 1.0, "b": 0.0})
    >>> round(r.parameters["a"]["value"], 6), r.dof
    (1.98, 2)
    """
    from gradcli.analysis.fit import FitOptions, prepare, run
    from gradcli.analysis.points import CsvPoints

    program_ = session.load(Source(program))
    options = FitOptions(sigma, of)
    starts = {name: float(value) for name, value in start.items()}
    if hasattr(data, "keys"):  # a mapping of columns
        return run(prepare(program_, starts, data, options))
    try:
        stream = open(data, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
    except OSError as exc:
        from gradcli.core.errors import UsageError

        raise UsageError(f"cannot read {str(data)!r}: {exc.strerror or exc}") from None
    with stream:
        problem = prepare(program_, starts, CsvPoints(stream, str(data)), options)
    return run(problem)


def minimize(program: str, start: dict, method="auto", fix=(), bounds=None, subject_to=(), tol=1e-10, max_iter=None):
    """Minimize program text's output from `start` ({name: value}; an array input a list), as
    `gradcli minimize`: every input varies except those in `fix`; `bounds` {name: (lo, hi)} (None:
    no bound on that side); `subject_to` constraints as text ('x + y <= 1').  A Result whose
    fields are the JSON's (output, status, converged, point, value, gradient, gradient_norm,
    eigenvalues, verdict, iterations, evaluations, method, active, kkt_residual, reason).

    >>> r = minimize("f = (1 - x)**2 + 100*(y - x**2)**2", {"x": -1.2, "y": 1.0})
    >>> r.point, r.verdict
    ({'x': 1.0, 'y': 1.0}, 'strict local minimum')
    """
    from gradcli.analysis.extras import optimize
    from gradcli.analysis.minimize import Options, prepare, solve

    optimize()
    texts = tuple(f"{k}={'' if lo is None else repr(float(lo))}:{'' if hi is None else repr(float(hi))}"
                  for k, (lo, hi) in (bounds or {}).items())  # fmt: skip
    fix, subject_to = ((x,) if isinstance(x, str) else tuple(x) for x in (fix, subject_to))  # one name: not its letters
    options = Options(method, fix, texts, subject_to, tol, max_iter)
    return solve(prepare(session.load(Source(program)), dict(start), options))
