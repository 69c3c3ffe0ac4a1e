"""Array elements as a user names them outside a program: `y[0]`, `W[1, -1]` (--of, --expect,
the REPL's :grad).  One parser, one normal form (`W[1,0]`, the label the builder gives)."""

from __future__ import annotations

import math
import re

from gradcli.lang.located import OptionError

_ELEMENT = re.compile(r"\s*([A-Za-z_]\w*)\s*\[\s*([-+]?\d+(?:\s*,\s*[-+]?\d+)*)\s*\]\s*")


def split_element(text: str) -> tuple[str, list[int]] | None:
    """`W[1, -1]` -> ("W", [1, -1]); None when text is not a name with whole-number subscripts."""
    m = _ELEMENT.fullmatch(text)
    return (m[1], [int(t) for t in m[2].split(",")]) if m else None


def in_range(index: list[int], shape: tuple[int, ...]) -> bool:
    return len(index) == len(shape) and all(-n <= i < n for i, n in zip(index, shape))


def element_label(name: str, index: list[int], shape: tuple[int, ...]) -> str:
    """The element's label with negative indices resolved: ("W", [1, -1], (2, 2)) -> "W[1,1]"."""
    return name + "[" + ",".join(str(i % n) for i, n in zip(index, shape)) + "]"


def flat_index(index: list[int], shape: tuple[int, ...]) -> int:
    """The element's position in row-major order (indices in range, negatives allowed)."""
    index = [i % n for i, n in zip(index, shape)]
    return sum(i * math.prod(shape[a + 1 :]) for a, i in enumerate(index))


# A text meant as an element: a name, then '['.  Its pieces: whole numbers, ',' , ']', other.
_MEANT = re.compile(r"\s*[A-Za-z_]\w*\s*\[")
_PIECE = re.compile(r"\s*(?:(?P<int>[-+]?\d+(?![\w.]))|(?P<sep>[,\]])|(?P<other>\S+?(?=[\s,\]]|$)))")


def element_error(text: str, option: str, scalars=()) -> OptionError | None:
    """Why `text` (the value of `option`) is not an element it looks like, with the caret under
    the bad index: `W[0,]`, `W[,0]`, `W[0 0]`, `W[0`, `y[`, `W[0.5]`; or an element of a name
    in `scalars` (`y[0]` when y is a number).  None when text does not look like an element."""
    meant = _MEANT.match(text)
    if meant is None:
        return None
    name = text[: meant.end() - 1].strip()
    if split_element(text) is not None:
        return OptionError(option, text, f"{option} {text}: '{name}' is a scalar, not an array", 0, len(text),
                           f"write {option} {name}") if name in scalars else None  # fmt: skip
    at, want, comma = meant.end(), "index", False  # what must come next: an index, or ',' / ']'

    def error(message: str, start: int, end: int) -> OptionError:
        hint = f"write one whole number per axis: {name}[0], {name}[0,1] (a negative one counts from the end)"
        return OptionError(option, text, f"{option} {text}: {message}", start, end, hint)

    while True:
        m = _PIECE.match(text, at)
        if m is None or m.lastgroup is None:  # the end of the text
            end = len(text.rstrip())
            return error("an index is missing" if want == "index" else "']' is missing", end, end + 1)
        kind, start, at = m.lastgroup, m.start(m.lastgroup), m.end()
        found = m.group(kind)
        if want == "index":
            if kind == "int":
                want = "sep"
                continue
            if kind == "sep":
                return error("an index is missing after ','" if comma else f"an index is missing before '{found}'",
                             start, at)  # fmt: skip
            return error(f"an index must be a whole number, found '{found}'", start, at)
        if kind == "sep" and found == ",":
            want, comma = "index", True
        elif kind == "sep":  # ']' closes the subscript: only blanks may follow (else split_element matched)
            return error("unexpected text after ']'", at + len(text[at:]) - len(text[at:].lstrip()), len(text.rstrip()))
        elif kind == "int":
            return error(f"',' is missing before {found}", start, at)
        else:
            return error(f"expected ',' or ']', found '{found}'", start, at)
