"""Array elements as a user names them outside a program: `y[0]`, `W[1, -1]` (--of, --expect,
the REPL's :grad).  One parser, one normal form (`W[1,0]`, the label the builder gives)."""

from __future__ import annotations

import math
import re

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
