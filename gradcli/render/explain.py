"""explain's pretty output: the forward and backward passes as text, one line a step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gradcli.render.text import DEFAULT, OutputOptions, capped, grad_style, plural, short

if TYPE_CHECKING:
    from rich.console import RenderableType


def explanation(doc: dict, options: OutputOptions = DEFAULT) -> RenderableType:
    """The forward and backward passes as text: a rule line, then one line per step; each
    list capped at max_rows."""
    from rich.console import Group
    from rich.rule import Rule
    from rich.text import Text

    from gradcli.analysis.explain import wrap

    def lines(items: list, what: str, line_of) -> list:
        return [
            Text(f"  ... {plural(-i, what)} not shown ...", style="italic") if i < 0 else line_of(items[i])
            for i in capped(len(items), options.max_rows)
        ]

    def gradient_line(item) -> Text:
        name, g = item
        line = Text(f"  d{out}/d{wrap(name)} = ")
        line.append(short(g, options.precision), style=grad_style(g))
        return line

    def heading(title: str):
        # A rule with its title, where the title fits in it; else the title alone (rich would cut it with "…").
        return Rule(title, align="left") if len(title) + 6 <= options.width else Text(title, style="bold")

    out = wrap(doc.get("output_node", doc["output"]))
    parts: list = [heading("forward pass: every node's value, in creation order")]
    parts += lines(doc["forward"], "step", lambda s: Text("  " + s["text"], style="cyan" if s["op"] == "input" else ""))
    parts.append(heading(f"backward pass: d{out}/d{out} = 1, then the chain rule, last node first"))
    parts.append(Text("  each step: upstream gradient · local derivative = contribution, added with +=", style="dim"))
    parts += lines(doc["backward"], "step", lambda s: Text("  " + s["text"], style=grad_style(s["contribution"])))
    parts.append(heading("gradients of the inputs"))
    parts += lines(list(doc["gradients"].items()), "input", gradient_line)
    if "order2" in doc:  # explain --order 2 (gradcli.analysis.explain_order2)
        parts += _second_order(doc["order2"], out, heading, lines)
    return Group(*parts)


def _second_order(order2: dict, out: str, heading, lines) -> list:
    """The gradient as a program (reverse), then one forward sweep of tangents per input."""
    from rich.text import Text

    from gradcli.analysis.explain import wrap

    def plain(step) -> Text:
        return Text("  " + step["text"])

    parts: list = [heading("the gradient as a program (the backward pass on nodes: reverse mode)")]
    parts += lines(order2["program"], "equation", plain)
    parts += lines(order2["gradient"], "input", lambda g: Text("  " + g["text"], style="bold"))
    for direction in order2["directions"]:
        x = wrap(direction["wrt"])
        parts.append(heading(f"forward over it in direction {x}: d(node)/d{x} for every node it reaches"))
        parts.append(Text(f"  each step: Σ local derivative · tangent; d(d{out}/d{x})/d{x} is a second derivative",
                          style="dim"))  # fmt: skip
        parts += lines(direction["steps"], "step", plain)
        parts += lines(direction["column"], "entry", lambda c: Text("  " + c["text"], style="bold"))
    return parts
