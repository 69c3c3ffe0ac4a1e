"""Errors that point at the program: the one constructor every layer uses for a message with
a line, a column and a span (the CLI draws a caret under it, gradcli.lang.excerpt); and errors
that point into an option's text instead (`--of 'W[0,]'`)."""

from __future__ import annotations

from gradcli.core.errors import GradcliError, UsageError
from gradcli.lang.program import line_column, line_starts


def located(cls: type[GradcliError], where, message: str, start: int, end: int | None = None,
            hint: str | None = None) -> GradcliError:  # fmt: skip
    """`cls(message)` at source[start:end]; `where` is a Program or the source text itself.
    The span is at least one character wide, so the caret always shows."""
    if isinstance(where, str):
        line, column = line_column(line_starts(where), start)
    else:
        line, column = where.position(start)
    end_column = column + max(end - start, 1) if end is not None else None
    return cls(message, line=line, column=column, end_column=end_column, hint=hint)


class OptionError(UsageError):
    """Bad text in an option (`--of 'W[0,]'`): exit 2, the caret drawn under `text[start:end]`,
    not under the program (column and end_column count in `text`; line stays None)."""

    def __init__(self, option: str, text: str, message: str, start: int, end: int, hint: str | None = None):
        super().__init__(message, column=start + 1, end_column=max(end, start + 1) + 1, hint=hint)
        self.option, self.text = option, text
