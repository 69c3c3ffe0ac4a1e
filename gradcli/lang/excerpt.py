"""Located errors drawn for a reader: the offending source line with a caret under the span.

The one caret excerpt: the CLI's error messages and the REPL's both draw it here (lines are
split at '\\n' only, as the parser counts them)."""

from __future__ import annotations

from gradcli.core.errors import GradcliError
from gradcli.lang.located import OptionError

WINDOW = 50  # characters shown either side of the column on a long line, and the longest caret


def excerpt(source: str | None, path: str | None, exc: GradcliError) -> list[str]:
    """`--> where`, the line and the caret for an error in `source` (read from `path`, if a file),
    or in an option's text (an OptionError: `--> --of, column 5`)."""
    if isinstance(exc, OptionError):
        return caret(f"{exc.option}, column {exc.column}", exc.text, exc)
    if source is None or not exc.line:
        return []
    lines = source.split("\n")
    where = f"{path}:{exc.line}:{exc.column}" if path else f"line {exc.line}, column {exc.column}"
    if exc.line > len(lines):
        return [f"  --> {where}"]
    return caret(where, lines[exc.line - 1], exc)


def caret(where: str, text: str, exc: GradcliError) -> list[str]:
    """`--> where`, then `text` (one line) with a caret under the error's columns; a long line is
    shown as a window around the column, with `...` where it is cut."""
    text = text.rstrip("\r")
    col = max((exc.column or 1) - 1, 0)
    width = max((exc.end_column or 0) - (exc.column or 0), 1)
    lo = max(col - WINDOW, 0)
    shown = "".join(ch if ch.isprintable() or ch == "\t" else " " for ch in text[lo : col + WINDOW])
    prefix = "..." if lo else ""
    suffix = "..." if col + WINDOW < len(text) else ""
    pad = " " * len(prefix) + "".join("\t" if ch == "\t" else " " for ch in shown[: col - lo])  # tabs align
    return [f"  --> {where}", f"   | {prefix}{shown}{suffix}", f"   | {pad}{'^' * min(width, WINDOW)}"]
