"""The notebook display's functions (DESIGN §7.4): `gradcli.evaluate`, `uncertainty`, `sweep`,
`hessian`, `diff` and `draw`, each returning an object Jupyter displays (the result objects:
gradcli.render.notebook_results, notebook_sweep, notebook_draw).

Program text goes through the session's pipeline exactly as the CLI's does: keyword bindings
become the CLI's NAME=VALUE texts, so `evaluate(...).to_dict()` is `gradcli eval --format
json`'s document.  A binding's value is

- a number (`a=2`), or a string as the command line takes it: `"1.000±0.002"` or
  `"2.007+/-0.003"` (an uncertain input), `"pi/4"`, `"[1, 2]"`;
- a list (or a numpy array) of numbers: an array input (`x=[1, 2, 3]`);
- in `sweep` only, the points: a string (`"0:1:11"`: 11 points; `"1,2,5"`) or a tuple or range.

A name that is also an option (`of`, `k`, ...) is bound through the positional dict instead:
`evaluate("y = k*x", {"k": 2, "x": 3})`.  Nothing here imports IPython, numpy or rich at
`import gradcli`; numpy comes with `sweep`, matplotlib with a sweep's `plot()`."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import gradcli.api as api
import gradcli.session as session
from gradcli.render.notebook_draw import draw
from gradcli.render.notebook_results import Derivative, Evaluation, HessianResult, LatexCode, UncertaintyResult
from gradcli.session import Request, Source


def binding_text(name: str, value, points: bool = False) -> str:
    """One keyword binding as the CLI's NAME=VALUE text."""
    if hasattr(value, "tolist"):  # a numpy array or scalar
        value = value.tolist()
    if isinstance(value, str):
        return f"{name}={value}"
    if points and isinstance(value, tuple | range):
        return f"{name}=" + ",".join(_number(v) for v in value) + ("," if len(value) == 1 else "")
    return f"{name}={_value(value)}"


def _value(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return _number(value)


def _number(value) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"a binding is a number, a string or a list of numbers, not {type(value).__name__}")
    return repr(float(value))


def binding_texts(point: Mapping | None, bindings: Mapping, points: bool = False) -> list[str]:
    """The positional dict's bindings, then the keywords' (a name in both: the keyword wins)."""
    merged = {**(point or {}), **bindings}
    return [binding_text(str(name), value, points) for name, value in merged.items()]


def _graph(program: str, texts: list[str], request: Request):
    from gradcli.core.engine import paused_gc

    if not isinstance(program, str):
        raise TypeError("evaluate takes program text (for a Python function of Values, use gradcli.Value)")
    with paused_gc():
        g = session.evaluate(Source(program), texts, request)
    _warn(g.warnings)
    return g


def _warn(messages) -> None:
    for message in messages:
        warnings.warn(message, stacklevel=3)


def evaluate(
    program: str, point: Mapping | None = None, /, *, of=None, allow_nonfinite=False, **bindings
) -> Evaluation:
    """`gradcli eval` in a notebook: the program's value and gradients at the bindings, shown as
    the graph and the node table (and the uncertainty budget when an input is uncertain).

    >>> r = evaluate("L = (a*b + c) * f", a=2, b=-3, c=5, f=-2)
    >>> r.value, r.gradients
    (2.0, {'a': 6.0, 'b': -4.0, 'c': -2.0, 'f': -1.0})
    """
    g = _graph(program, binding_texts(point, bindings), Request(of, allow_nonfinite, jacobian=True))
    _warn(session.uncertainty(g, session.Uncertainty(), allow_nonfinite))
    return Evaluation(g)


def uncertainty(program: str, point: Mapping | None = None, /, *, k=None, corr=(), mc=None, **bindings):
    """`gradcli eval`'s uncertainty in a notebook: inputs such as `L="1.000±0.002"`, the output's
    u (and U = k·u with `k`), the budget; `corr` as the CLI's ("L,T=0.5") or {("L", "T"): 0.5};
    `mc` a number of Monte Carlo samples (JCGM 101, seed 0)."""
    g = _graph(program, binding_texts(point, bindings), Request(jacobian=True))
    if isinstance(corr, Mapping):
        corr = tuple(f"{a},{b}={float(r)!r}" for (a, b), r in corr.items())
    options = session.Uncertainty(k, tuple(corr), None, None if mc is None else str(int(mc)))
    if not (g.uncertainties or options.asked()):
        from gradcli.core.errors import UsageError

        raise UsageError("no input has an uncertainty", hint='give one as the CLI takes it: L="1.000±0.002"')
    _warn(session.uncertainty(g, options))
    return UncertaintyResult(g)


def sweep(program: str, point: Mapping | None = None, /, *, of=None, allow_nonfinite=False, **bindings):
    """`gradcli sweep` in a notebook: the program at many points (`x="0:1:11"`, `x=(1, 2, 5)`,
    several swept names make a grid), every row held: `.columns`, a table, `.plot()`."""
    from gradcli.render.notebook_sweep import SweepResult

    request = Request(of, allow_nonfinite)
    plan = session.sweep(session.load(Source(program)), binding_texts(point, bindings, points=True), None, request)
    _warn(plan.graph.warnings)
    result = SweepResult(plan)
    failure = session.sweep_failure(plan)
    if failure is not None:  # the CLI exits 3 after writing the rows; here the rows stay, with a warning
        warnings.warn(failure.message, stacklevel=2)
    return result


def hessian(f, point=None, of=None) -> HessianResult:
    """gradcli.api.hessian (the same arguments and fields), displayed in a notebook."""
    return HessianResult.of(api.hessian(f, point, of))


def diff(f, wrt, point=None, order=1, of=None, to=None):
    """gradcli.api.diff (the same arguments and results): the number, shown as its formula in
    LaTeX; with to="latex", the text, shown as display math; other targets' code as it is."""
    result = api.diff(f, wrt, point, order, of, to)
    if to is None:
        return Derivative(result, (f, wrt, dict(point or {}), order, of))  # a copy: the display shows this point
    return LatexCode(result) if to == "latex" else result


__all__ = ["diff", "draw", "evaluate", "hessian", "sweep", "uncertainty"]
