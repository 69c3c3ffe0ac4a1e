"""`gradcli.draw(value)`: a Value's graph as micrograd's draw_dot draws it, for a notebook.

Graphviz's `dot -Tsvg` lays it out when the `dot` executable is installed (micrograd's look: a
record per value, a circle per op); otherwise gradcli.render.graph_svg's built-in layered
layout does, so it works with nothing but pip.  `.save(path)` writes the SVG (or the dot text)."""

from __future__ import annotations

import shutil
import subprocess
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from gradcli.core.engine import Value

ENGINES = ("auto", "dot", "builtin")
DOT_SECONDS = 60  # a graph Graphviz cannot lay out in this long is drawn by the built-in layout


class _Nodes(NamedTuple):
    """What render.export.to_dot reads of a Graph: the nodes and the output."""

    nodes: Sequence[Value]
    output: Value


class Drawing:
    """A graph drawn as SVG: shown by Jupyter (`_repr_svg_`), written by `save`."""

    def __init__(self, nodes: Sequence[Value], output: Value, engine: str = "auto", names=None, uncertainty=None):
        if engine not in ENGINES:
            raise ValueError(f"engine={engine!r}: one of {', '.join(ENGINES)}")
        if engine == "dot" and shutil.which("dot") is None:
            raise RuntimeError(
                "engine='dot' needs Graphviz's `dot` executable on PATH (engine='builtin' needs nothing)"
            )
        self.nodes, self.output, self.names, self.uncertainty = list(nodes), output, names, uncertainty or {}
        self.engine = "dot" if engine == "dot" or engine == "auto" and shutil.which("dot") else "builtin"
        self._svg: str | None = None

    def dot_source(self) -> str:
        """The Graphviz text (`gradcli eval --format dot`'s drawing)."""
        from gradcli.render.export import to_dot

        return to_dot(_Nodes(self.nodes, self.output))

    def svg(self) -> str:
        """The SVG document (made once)."""
        if self._svg is None:
            self._svg = self._dot_svg() if self.engine == "dot" else self._builtin_svg()
        return self._svg

    def _builtin_svg(self) -> str:
        from gradcli.render.graph_svg import SvgOptions, graph_svg

        return graph_svg(self.nodes, SvgOptions(names=self.names, output=self.output, uncertainty=self.uncertainty))

    def _dot_svg(self) -> str:
        try:
            done = subprocess.run(
                ["dot", "-Tsvg"], input=self.dot_source(), capture_output=True, text=True, timeout=DOT_SECONDS
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            done = None
            why = str(exc)
        if done is not None and done.returncode == 0:
            return done.stdout
        why = done.stderr.strip() if done is not None else why
        warnings.warn(f"Graphviz dot failed ({why}); drawn by the built-in layout instead", stacklevel=3)
        self.engine = "builtin"
        return self._builtin_svg()

    def _repr_svg_(self) -> str:
        return self.svg()

    def save(self, path: str | Path) -> Path:
        """Write the drawing: .svg the SVG, .dot or .gv the Graphviz text."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".svg", ".dot", ".gv"):
            raise ValueError(f"{path}: save writes .svg, .dot or .gv")
        path.write_text(self.svg() if suffix == ".svg" else self.dot_source(), encoding="utf-8")
        return path

    def __repr__(self) -> str:
        return f"<Drawing of {len(self.nodes)} nodes ({self.engine})>"


def draw(value: Value, engine: str = "auto") -> Drawing:
    """`value`'s graph (every node it depends on), as micrograd's draw_dot draws it: each node's
    label, op, data and grad.  engine: "auto" (Graphviz's dot when installed, else built in),
    "dot" or "builtin"."""
    from gradcli.core.engine import topological_order

    if not isinstance(value, Value):
        raise TypeError(f"draw takes a gradcli.Value, not {type(value).__name__} (an evaluate() result has .draw())")
    return Drawing(topological_order(value), value, engine)
