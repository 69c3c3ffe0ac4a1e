"""gradcli: a command-line gradient calculator (reverse-mode autograd on scalar formulas).

`Value` is the autograd node (micrograd's API).  The rest is imported on first use, so that
`import gradcli` stays cheap (no numpy, rich or IPython): the Python API's commands
(`hessian`, `diff`, `compile_gradient`, `minimize`, `solve`, `fit`: gradcli.api) and the notebook display (`evaluate`,
`uncertainty`, `sweep`, `draw`: gradcli.render.notebook, whose `hessian` and `diff` return
api's results in objects Jupyter displays)."""

from gradcli.core.engine import Value
from gradcli.core.errors import GradcliError, MathError
from gradcli.core.version import __version__

__all__ = [
    "Value",
    "GradcliError",
    "MathError",
    "diff",
    "hessian",
    "compile_gradient",
    "minimize",
    "solve",
    "fit",
    "evaluate",
    "uncertainty",
    "sweep",
    "draw",
    "__version__",
]
_API = ("compile_gradient", "minimize", "solve", "fit")
_NOTEBOOK = ("evaluate", "uncertainty", "sweep", "draw", "hessian", "diff")


def __getattr__(name: str):
    """The lazy attributes: gradcli.api's and gradcli.render.notebook's, imported when asked for."""
    if name in _API:
        from gradcli import api

        return getattr(api, name)
    if name in _NOTEBOOK:
        from gradcli.render import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'gradcli' has no attribute {name!r}")
