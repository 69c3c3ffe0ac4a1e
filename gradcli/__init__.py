"""gradcli: a command-line gradient calculator (reverse-mode autograd on scalar formulas).

`Value` is the autograd node (micrograd's API); `hessian`, `diff` and `compile_gradient` are the Python
API's commands (gradcli.api), imported on first use so that `import gradcli` stays cheap."""

from gradcli.core.engine import Value
from gradcli.core.errors import GradcliError, MathError
from gradcli.core.version import __version__

__all__ = ["Value", "GradcliError", "MathError", "diff", "hessian", "compile_gradient", "__version__"]
_API = ("hessian", "diff", "compile_gradient")


def __getattr__(name: str):
    """`gradcli.hessian`, `gradcli.diff`, `gradcli.compile_gradient`: from gradcli.api, imported when asked for."""
    if name in _API:
        from gradcli import api

        return getattr(api, name)
    raise AttributeError(f"module 'gradcli' has no attribute {name!r}")
