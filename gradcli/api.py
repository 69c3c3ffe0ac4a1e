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
