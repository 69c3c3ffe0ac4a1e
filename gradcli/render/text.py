"""What every writer shares: the output options, the terminal's width, numbers as text, and
the rich console and layout helpers (rich is imported only inside the functions that draw).

The base of gradcli.render: the other render modules import from here, never the reverse.
"""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING, NamedTuple, TextIO

from gradcli.core.formula import fmt, number

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.text import Text


class OutputOptions(NamedTuple):  # a NamedTuple: ~1 ms less start-up than a dataclass
    """How a writer draws: digits of pretty numbers, rows, colour and width."""

    precision: int = 6
    max_rows: int = 200
    no_color: bool = False
    width: int = 80
    open_calls: bool = False  # the tree draws a user function's call as one node unless this (--expand)


DEFAULT = OutputOptions()


def terminal_width(environ=os.environ) -> int:
    """The width to draw at: a terminal's, when one is attached to stdout, stderr or stdin
    (`gradcli ... | less` in a terminal), else $COLUMNS, else 80."""
    for fd in (1, 2, 0):
        try:
            columns = os.get_terminal_size(fd).columns
        except (OSError, ValueError):
            continue
        if columns > 0:
            return columns
    text = environ.get("COLUMNS", "")
    return int(text) if text.isdigit() and int(text) > 0 else 80


# -- numbers as text -------------------------------------------------------------------------


def short(x: float, precision: int | None = 6) -> str:
    """A readable number: `precision` significant digits (None: all), no trailing noise;
    non-finite values spelled as in the JSON: NaN, Infinity, -Infinity."""
    if x - x != 0.0:
        return str(number(x))
    if precision is None:
        return fmt(x)
    if x == 0.0:
        return "0"
    return f"{x:.{precision}g}"


def full(x: float) -> str:
    """Every digit of x (repr), non-finite values spelled as in the JSON."""
    return repr(x) if x - x == 0.0 else str(number(x))


def output_text(graph) -> str:
    """The output's value in full: a number, or an array output's elements ([1.0, 4.0]) —
    never only the array's last element, which is what graph.output holds then."""
    info = getattr(graph, "arrays", None)
    if info is None or info.output is None:
        return full(graph.output.data)

    def nested(v) -> str:
        return "[" + ", ".join(map(nested, v)) + "]" if isinstance(v, list) else full(v)

    return nested(info.output.data)


def g2(x: float) -> str:
    """Two significant digits, as check's notes write errors and tolerances."""
    return f"{x:.2g}" if x - x == 0.0 else str(number(x))


def plural(n: int, word: str, words: str | None = None) -> str:
    """`1 node`, `2 nodes`, `3 branches` (with words="branches")."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def jsonable(doc):
    """A copy of a nested dict/list with non-finite floats as "NaN"/"Infinity"/"-Infinity"."""
    if isinstance(doc, float):
        return number(doc)
    if isinstance(doc, dict):
        return {k: jsonable(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [jsonable(v) for v in doc]
    return doc


def grad_style(g: float) -> str:
    # Which way each input should move to increase the output: the seed's "gates
    # communicating whether they want their outputs to increase or decrease".
    if g > 0:
        return "green"
    if g < 0:
        return "red"
    return "dim"


def capped(n: int, max_rows: int):
    """Which of n rows to draw: yields a row's index, or a negative -k for "k rows left out".
    The first rows and the last few (which hold the output) are kept."""
    if max_rows <= 0 or n <= max_rows:
        yield from range(n)
        return
    tail = max(1, min(5, max_rows // 2))
    yield from range(max_rows - tail)
    yield -(n - max_rows)
    yield from range(n - tail, n)


# -- rich ----------------------------------------------------------------------------------------


def console(out: TextIO, width: int = 80, no_color: bool = False) -> Console:
    """A rich console on `out`, `width` columns wide; colour only on a terminal (and not
    with --no-color or NO_COLOR)."""
    from rich.console import Console

    class _Console(Console):  # made per call (microseconds): no class cached at module level
        def on_broken_pipe(self) -> None:
            # rich's default exits with status 1; the CLI decides (a closed pipe is not an error).
            raise BrokenPipeError

    return _Console(file=out, width=width, no_color=no_color or None, highlight=False, soft_wrap=False)


def print_all(renderables, options: OutputOptions, out: TextIO) -> None:
    """Draw each renderable on `out` at the options' width and colour."""
    con = console(out, options.width, options.no_color)
    for renderable in renderables:
        con.print(renderable)


def fits(renderable: RenderableType, width: int) -> bool:
    """Whether rich draws `renderable` in `width` columns without cutting anything short: at
    its natural width it always does; narrower, every cell needs at least its longest word
    (else rich squeezes columns to nothing or cuts numbers with "…"), so draw it once to see."""
    from rich.measure import Measurement

    probe = console(io.StringIO(), width, True)
    natural = Measurement.get(probe, probe.options.update(max_width=1 << 20), renderable)
    if natural.maximum <= width:
        return True
    if natural.minimum > width or _narrowest(probe, renderable) > width:
        return False
    with probe.capture() as captured:
        probe.print(renderable)
    return "…" not in captured.get()


def _narrowest(probe: Console, renderable: RenderableType) -> int:
    """The narrowest a table can be with each wrapping column at least its longest word (rich
    itself would squeeze it further, to a letter or two a line) and the others whole."""
    from rich.table import Table

    if not isinstance(renderable, Table):
        return 0
    options = probe.options.update(max_width=1 << 20)
    measures = [renderable._measure_column(probe, options, column) for column in renderable.columns]
    widths = [m.maximum if column.no_wrap else m.minimum for m, column in zip(measures, renderable.columns)]
    return sum(widths) + renderable._extra_width


def pack(items: list[tuple[str, str, str]], width: int, indent: int = 2) -> list[Text]:
    """(name, number, style) items as `name number` pairs, as many to a line as fit in
    `width`: the stacked layout, where a number is never split."""
    from rich.text import Text

    lines: list[Text] = []
    line = Text(" " * indent)
    for name, value, style in items:
        cell = len(name) + 1 + len(value)
        if line.cell_len > indent and line.cell_len + 3 + cell > width:
            lines.append(line)
            line = Text(" " * indent)
        if line.cell_len > indent:
            line.append("   ")
        line.append(f"{name} ", style="dim")
        line.append(value, style=style)
    lines.append(line)
    return lines
