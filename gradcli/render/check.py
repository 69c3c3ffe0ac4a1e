"""check's pretty output: one row per gradient compared (as many columns as fit the width,
else one block a row), the notes, then a one-line verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gradcli.render.text import DEFAULT, OutputOptions, capped, fits, g2, pack, plural, short

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

_STATUS_STYLE = {"pass": "green", "kink": "cyan", "fail": "bold red", "inconclusive": "yellow"}
_STATUS_WORDS = {"pass": "passed", "kink": "at a kink", "fail": "failed", "inconclusive": "inconclusive"}
# Columns the check table gives up, in order, when it does not fit the width; then it stacks.
_CHECK_NARROWING = ((), ("rel err",), ("rel err", "abs err"), ("rel err", "abs err", "value"))
_CHECK_NUMBERS = ("value", "analytic", "numeric", "abs err", "rel err", "±est")


def _check_rows(report, options: OutputOptions) -> tuple[list, dict[str, int]]:
    """The cells of each row drawn (a dict) or the number left out (an int), and the notes' numbers."""
    p, notes, rows = options.precision, {}, []
    for i in capped(len(report.rows), options.max_rows):
        if i < 0:
            rows.append(-i)
            continue
        row = report.rows[i]
        numeric = short(row.numeric, p)
        if row.left is not None and row.right is not None:
            numeric = f"{short(row.left, p)}..{short(row.right, p)}"
        mark = f" [{notes.setdefault(row.note, len(notes) + 1)}]" if row.note else ""
        cells = [row.value, row.analytic, None, row.abs_error, row.rel_error, row.error_estimate]
        numbers = dict(zip(_CHECK_NUMBERS, [short(cells[0], p), short(cells[1], p), numeric, *map(g2, cells[3:])]))
        rows.append({"pt": str(row.point), "gradient": _gradient_of(report.output, row.name), "status": row.status,
                     "note": mark, **numbers})  # fmt: skip
    return rows, notes


def _gradient_of(output: str, name: str) -> str:
    """A row's name as the gradient it compares: `dL/da`, `dL/da claimed`, `dL/de (node)`."""
    from gradcli.analysis.check import second_order_pair
    from gradcli.analysis.explain import wrap

    kind, sep, rest = name.partition(":")
    if sep and kind == "expect":
        return f"d{wrap(output)}/d{wrap(rest)} claimed"
    if sep and kind == "node":
        return f"d{wrap(output)}/d{wrap(rest)} (node)"
    if sep and kind == "d2":  # d2:a,b -> d2L/dadb, d2L/da2
        a, b = second_order_pair(rest)
        return f"d2{wrap(output)}/d{wrap(a)}2" if a == b else f"d2{wrap(output)}/d{wrap(a)}d{wrap(b)}"
    if name == "sample":
        return "(no defined point)"
    return f"d{wrap(output)}/d{wrap(name)}"


def _status(row: dict) -> Text:
    from rich.text import Text

    text = Text(row["status"], style=_STATUS_STYLE.get(row["status"], ""))
    text.append(row["note"], style="dim")
    return text


def _check_grid(report, rows: list, dropped: tuple, several: bool) -> RenderableType:
    from rich.table import Table

    t = Table()
    columns = (["pt"] if several else []) + ["gradient"] + [c for c in _CHECK_NUMBERS if c not in dropped]
    for name in columns:
        t.add_column(
            name,
            justify="left" if name == "gradient" else "right",
            overflow="fold" if name == "gradient" else "ellipsis",
            no_wrap=name != "gradient",
        )
    t.add_column("status", no_wrap=True)
    for row in rows:
        if isinstance(row, int):
            t.add_row(*["⋮"] * len(t.columns))  # how many: in a line below, which has the width
        else:
            t.add_row(*[row[c] for c in columns], _status(row))
    return t


def _check_stack(rows: list, several: bool, options: OutputOptions) -> list:
    from rich.text import Text

    parts: list = []
    for row in rows:
        if isinstance(row, int):
            parts.append(Text(f"... {plural(row, 'row')} not shown ...", style="italic"))
            continue
        head = Text((f"pt {row['pt']}  " if several else "") + row["gradient"] + "  ")
        head.append_text(_status(row))
        parts += [head, *pack([(c, row[c], "") for c in _CHECK_NUMBERS], options.width)]
    return parts


def check_table(report, options: OutputOptions = DEFAULT) -> RenderableType:
    """A title, one row per gradient compared (as many columns as fit the width), the
    notes, then a one-line verdict."""
    from rich.console import Group
    from rich.text import Text

    parts: list = []
    if report.rows:
        several = len(report.points) > 1
        rows, notes = _check_rows(report, options)
        parts.append(Text(f"gradients of {report.output}: analytic against finite differences"))
        for dropped in _CHECK_NARROWING:
            grid = _check_grid(report, rows, dropped, several)
            if fits(grid, options.width):
                parts.append(grid)
                left_out = sum(r for r in rows if isinstance(r, int))
                if left_out:
                    parts.append(
                        Text(f"... {plural(left_out, 'row')} not shown ...: --max-rows 0 shows all", style="dim")
                    )
                if dropped:
                    parts.append(
                        Text(f"{options.width} columns: no {', '.join(dropped)} (--format json has all)", style="dim")
                    )
                break
        else:
            parts.append(Text(f"(one block a row: a table does not fit {options.width} columns)", style="dim"))
            parts += _check_stack(rows, several, options)
        parts += [Text(f"[{i}] {note}", style="dim") for note, i in notes.items()]
        if any(row.name.startswith("expect:") for row in report.rows):
            parts.append(Text("analytic: autograd's gradient, or in a 'claimed' row the claim", style="dim"))
    parts.append(_verdict(report))
    return Group(*parts)


def _verdict(report) -> Text:
    from collections import Counter

    from rich.text import Text

    if not report.rows:
        return Text("nothing to check: the program has no inputs", style="yellow")
    counts = Counter(row.status for row in report.rows)
    summary = ", ".join(
        f"{counts[s]:,} {_STATUS_WORDS[s]}" for s in ("pass", "kink", "fail", "inconclusive") if counts[s]
    )
    if report.ok:
        return Text(f"ok: every gradient confirmed ({summary})", style="bold green")
    return Text(f"NOT CONFIRMED: {summary}", style="bold red")
