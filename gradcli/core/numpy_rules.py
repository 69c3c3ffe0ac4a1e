"""The op table run on numpy arrays of points: each op's forward as a ufunc, and `P` for the
derivative rules (gradcli.analysis.batch runs both).  numpy is passed in, never imported here,
so the core stays importable without it."""

from __future__ import annotations

import operator
from collections.abc import Callable

from gradcli.core.ops import Namespace, Op


def array_forward(op: Op, np) -> Callable:
    """op's forward on numpy arrays: its `array` form, an `operator` function (which numpy
    arrays support as they are), or numpy's function of the same name."""
    if op.array is not None:
        return lambda *xs: op.array(np, *xs)
    if getattr(op.forward, "__module__", None) in ("_operator", "operator") or op.forward is abs:
        return op.forward
    return getattr(np, op.name)


def numpy_namespace(np) -> Namespace:
    """`P` for arrays of points: numpy's forms; comparisons give boolean masks for P.where."""

    def make(op: Op) -> Callable:
        if op.name == "where":
            return lambda c, a, b: np.where(c, a, b)
        if op.name in ("lt", "le", "gt", "ge", "eq", "ne"):
            return getattr(operator, op.name)
        return array_forward(op, np)

    return Namespace(make)
