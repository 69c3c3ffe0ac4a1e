"""Bracket nesting in text: the one scanner behind splitting at top-level commas, finding an
operator outside brackets, and telling whether input still has a bracket open."""

from __future__ import annotations

from collections.abc import Iterator

OPEN, CLOSE = "([", ")]"


def levels(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, str, int]]:
    """(index, character, depth) for text[start:end]; depth counts the brackets around the
    character, not counting its own ( or ): the brackets of `f(a)` are at depth 0, `a` at 1."""
    depth = 0
    for i in range(start, len(text) if end is None else end):
        ch = text[i]
        if ch in CLOSE:
            depth -= 1
            yield i, ch, depth
        elif ch in OPEN:
            yield i, ch, depth
            depth += 1
        else:
            yield i, ch, depth


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """text split at the `sep` characters outside brackets: "a, f(b, c)" -> ["a", " f(b, c)"]."""
    parts, begin = [], 0
    for i, ch, depth in levels(text):
        if ch == sep and depth == 0:
            parts.append(text[begin:i])
            begin = i + 1
    parts.append(text[begin:])
    return parts


def still_open(text: str, comment: str = "#") -> int:
    """How many ( and [ are left open at the end of text, comments ignored (negative: too many closed)."""
    return sum((ch in OPEN) - (ch in CLOSE) for line in text.split("\n") for ch in line.split(comment, 1)[0])
