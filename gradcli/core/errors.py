"""The one error type of gradcli, and the exit codes it maps to.

Every failure a user can cause is a GradcliError; the CLI turns it into
`error: message` (or one JSON line) and `exit_code`, in one place.
"""

from __future__ import annotations

# Exit codes (DESIGN §3); the CLI adds 70 (internal error) and 130 (Ctrl-C).
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_MATH = 3
EXIT_INCOMPLETE = 4  # the run could not complete though the input was valid: a cluster or worker failed
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


class GradcliError(Exception):
    """A user-facing error: a message, where it happened, and how to exit."""

    kind = "error"
    exit_code = EXIT_USAGE

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        end_column: int | None = None,
        hint: str | None = None,
        node: object = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.end_column = end_column
        self.hint = hint
        self.node = node  # the graph node it is about, when known (the builder locates it: Graph.locate)

    def to_dict(self) -> dict:
        out: dict = {"kind": self.kind, "message": self.message, "line": self.line, "column": self.column}
        if self.hint:
            out["hint"] = self.hint
        return out


class SyntaxError_(GradcliError):
    kind = "syntax"


class NameError_(GradcliError):
    kind = "name"


class BindingError(GradcliError):
    kind = "binding"


class UsageError(GradcliError):
    kind = "usage"


class MathError(GradcliError, ArithmeticError):
    """A domain error, overflow or non-finite value while evaluating."""

    kind = "math"
    exit_code = EXIT_MATH


class RunError(GradcliError):
    """The run could not complete though the input was valid (a dask cluster or worker failed,
    DESIGN §7.3): exit 4, nothing half written."""

    kind = "run"
    exit_code = EXIT_INCOMPLETE
