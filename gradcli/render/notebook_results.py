"""The result objects Jupyter displays (DESIGN §7.4): eval's (the node table and the graph),
the uncertainty's (the budget), the Hessian's (gradient, matrix, eigenvalues, verdict) and a
derivative's (LaTeX).  Each wraps what the session computed; nothing is recomputed here except
a derivative's LaTeX, made when it is displayed.

IPython calls `_repr_html_`, `_repr_svg_` and `_repr_latex_`; none of these imports IPython."""

from __future__ import annotations

import io
import json
from dataclasses import fields

from gradcli.analysis.hessian import Hessian
from gradcli.render.notebook_html import (
    arrays_html,
    budget_html,
    cell,
    esc,
    figure,
    node_table,
    number,
    sign,
    table,
    uncertainty_by_position,
)
from gradcli.render.text import DEFAULT, full, output_text

INLINE_GRAPH_NODES = 400  # past this, the HTML shows the table only (the graph: .draw() or _repr_svg_)


class Evaluation:
    """`gradcli.evaluate(...)`: the value, the gradients and the Graph of a program at a point.

    `to_dict()` is `gradcli eval --format json`'s document; in a notebook it shows the graph
    and the node table (label, op, value, u when uncertain, gradient)."""

    def __init__(self, graph) -> None:
        self.graph = graph

    @property
    def value(self):
        """The output's value: a float, or an array output's nested list of floats."""
        info = getattr(self.graph, "arrays", None)
        if info is not None and info.output is not None:
            return info.output.data
        return self.graph.output.data

    @property
    def gradients(self) -> dict[str, float]:
        """d output / d input for every input, in eval's order (array elements as x[0], x[1])."""
        return self.graph.gradients()

    @property
    def uncertainty(self):
        """The propagated uncertainty (gradcli.analysis.uncertainty.Result), or None."""
        return getattr(self.graph, "uncertainty", None)

    def to_dict(self) -> dict:
        """`gradcli eval --format json`'s document (made by its own writer)."""
        from gradcli.render.writers import writer

        out = io.StringIO()
        writer("eval", "json")(self.graph, DEFAULT, out)
        return json.loads(out.getvalue())

    def draw(self, engine: str = "auto"):
        """The graph alone, as gradcli.draw draws a Value (an SVG; Graphviz when installed)."""
        from gradcli.render.notebook_draw import Drawing

        g = self.graph
        return Drawing(g.nodes, g.output, engine, g.display_names(), uncertainty_by_position(g))

    def _repr_svg_(self) -> str:
        return self.draw("builtin")._repr_svg_()

    def _repr_html_(self) -> str:
        g = self.graph
        unc = self.uncertainty
        graph = self._repr_svg_() if len(g.nodes) <= INLINE_GRAPH_NODES else _too_big(len(g.nodes))
        return figure(graph, node_table(g), arrays_html(g), budget_html(unc) if unc is not None else "")

    def __repr__(self) -> str:
        g = self.graph
        return f"<{type(self).__name__} {g.output_name} = {output_text(g)}, gradients {self.gradients}>"


def _too_big(n: int) -> str:
    return f'<p class="dim">{n:,} nodes: the graph is not drawn inline (.draw() draws it)</p>'


class UncertaintyResult(Evaluation):
    """`gradcli.uncertainty(...)`: an Evaluation whose display leads with the uncertainty budget."""

    @property
    def standard(self):
        """u of the output (a list for an array output)."""
        return self.uncertainty.standard

    @property
    def expanded(self):
        """U = k·u."""
        return self.uncertainty.expanded

    def _repr_html_(self) -> str:
        return figure(budget_html(self.uncertainty), node_table(self.graph), arrays_html(self.graph))


class HessianResult(Hessian):
    """gradcli.analysis.hessian.Hessian (the same fields and to_dict) that a notebook displays:
    the gradient, the matrix, its eigenvalues and the verdict."""

    @classmethod
    def of(cls, h: Hessian) -> HessianResult:
        return cls(**{f.name: getattr(h, f.name) for f in fields(h)})

    def _repr_html_(self) -> str:
        names = self.inputs
        grad = [f"<tr>{cell(n)}{number(g, sign(g))}</tr>" for n, g in zip(names, self.gradient)]
        rows = [
            f"<tr>{cell(n, 'out')}"
            + "".join(number(h, "dim" if zero else "") for h, zero in zip(row, self.structural[i]))
            + "</tr>"
            for i, (n, row) in enumerate(zip(names, self.matrix))
        ]
        eig = "" if self.eigenvalues is None else ", ".join(full(e) for e in self.eigenvalues)
        verdict = self.definiteness if self.definiteness is not None else f"no verdict: {self.reason}"
        return figure(
            f"<p><b>{esc(self.output)} = {esc(full(self.value))}</b></p>",
            table(["input", f"d{self.output}/dx"], grad, "gradient"),
            table(["", *names], rows, f"Hessian d²{self.output}/dx dy (dim: zero by structure)"),
            f"<p>eigenvalues: {esc(eig) or 'none (an entry is not finite)'}</p>",
            f"<p>verdict: <b>{esc(verdict)}</b></p>",
        )


def _math(latex: str) -> str:
    """diff --to latex's text as display math: the % comments dropped, inside $$ ... $$."""
    body = "\n".join(line for line in latex.splitlines() if not line.lstrip().startswith("%"))
    return "$$" + body.strip() + "$$"


class LatexCode(str):
    """`gradcli.diff(..., to="latex")`: the text `gradcli diff --to latex` prints (a str), shown
    in a notebook as display math."""

    def _repr_latex_(self) -> str:
        return _math(self)


class Derivative(float):
    """`gradcli.diff(f, wrt, point, order)`: the number (a float), shown in a notebook as the
    derivative's formula (diff --to latex) with its value at the point."""

    def __new__(cls, value: float, question: tuple) -> Derivative:
        self = super().__new__(cls, value)
        self.question = question  # (f, wrt, point, order, of): what was asked, for the LaTeX
        return self

    def _repr_latex_(self) -> str:
        from gradcli.analysis.code_latex import symbol

        f, wrt, point, order, of = self.question
        at = ", ".join(f"{symbol(k)} = {full(float(v))}" for k, v in (point or {}).items())
        value = full(float(self))
        if not isinstance(f, str):  # a Python function: no program to print
            n = "" if order == 1 else f"^{{{order}}}"
            return f"$$\\frac{{\\partial{n} f}}{{\\partial {symbol(wrt)}{n}}} = {value}\\quad {at}$$"
        from gradcli.api import diff

        text = _math(diff(f, wrt, point, order, of, to="latex"))[2:-2]
        lines = text.splitlines()
        last = lines[lines.index("\\end{aligned}") - 1].split(" &= ", 1)[0]  # the derivative's own name
        line = f" \\\\\n{last} &= {value}" + (f" \\quad \\mathrm{{at}}\\ {at}" if at else "")
        return "$$" + text.replace("\n\\end{aligned}", line + "\n\\end{aligned}") + "$$"
