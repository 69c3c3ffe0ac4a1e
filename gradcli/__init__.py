"""gradcli: a command-line gradient calculator (reverse-mode autograd on scalar formulas)."""

from .engine import Value
from .errors import GradcliError, MathError

__version__ = "0.1.0"
__all__ = ["Value", "GradcliError", "MathError", "__version__"]
