"""The optional extras (pyproject's [project.optional-dependencies]) and their imports: a command
that needs one imports it here, when it runs, and without it exits 2 naming the pip command."""

from __future__ import annotations

import importlib

from gradcli.core.errors import UsageError


def pip(extra: str) -> str:
    return f"pip install 'gradcli[{extra}]'"


def require(modules: tuple[str, ...], extra: str, what: str):
    """The first of `modules` imported (the others imported too), or a UsageError naming the extra."""
    try:
        loaded = [importlib.import_module(m) for m in modules]
    except ImportError as exc:
        missing = (exc.name or modules[0]).split(".")[0]
        raise UsageError(f"{what} needs {missing}, which is not installed", hint=pip(extra)) from None
    return loaded[0]


def optimize():
    """scipy.optimize (fit, solve, minimize)."""
    return require(("scipy.optimize",), "optimize", "fit, solve and minimize")


__all__ = ["optimize", "pip", "require"]
