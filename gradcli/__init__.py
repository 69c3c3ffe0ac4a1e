"""gradcli: a command-line gradient calculator (reverse-mode autograd on scalar formulas)."""

from gradcli.core.engine import Value
from gradcli.core.errors import GradcliError, MathError
from gradcli.core.version import __version__

__all__ = ["Value", "GradcliError", "MathError", "diff", "hessian", "__version__"]


def hessian(f, point=None, of=None):
    """The gradient and Hessian of f at point: f is program text or a function of Values.

    >>> h = hessian(lambda x, y: (1 - x)**2 + 100*(y - x**2)**2, {"x": 1.0, "y": 1.0})
    >>> h.matrix, h.definiteness
    ([[802.0, -400.0], [-400.0, 200.0]], 'positive definite')
    """
    from gradcli.analysis.at_point import hessian_at

    return hessian_at(f, point, of)


def diff(f, wrt, point=None, order=1, of=None):
    """d^order f / d wrt^order at point, exactly: diff("y = x**3", "x", {"x": 2.0}, 3) == 6.0."""
    from gradcli.analysis.at_point import derivative_at

    return derivative_at(f, wrt, point, order, of)
