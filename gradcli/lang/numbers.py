"""Numbers as the language writes them: the grammar's NUMBER (ASCII digits, no `_`), read the
same way in a program, a binding, a --bindings string and a --points cell."""

from __future__ import annotations

import re

from gradcli.lang._grammar_tables import TERMINALS

# The grammar's NUMBER, optionally signed (a binding `x=-3` means what the expression -3 does).
_NUMBER_RE = re.compile(f"[+-]?(?:{dict(TERMINALS)['NUMBER']})")
# What a user may have meant as a number: digit separators, non-ASCII decimal digits.
NUMBERISH = re.compile(r"[+-]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?")


def parse_number(text: str) -> float | None:
    """The value of `text` if it is exactly a number of the language (the grammar's NUMBER,
    optionally signed), else None.  Unlike float(), refuses `1_000`, non-ASCII digits,
    surrounding blanks, `inf` and `nan`."""
    if _NUMBER_RE.fullmatch(text) is None:
        return None
    return float(text)


def underflows(text: str) -> bool:
    """True when a number written as `text` is not zero but its double is (`1e-400`)."""
    value = parse_number(text)
    if value is None or value != 0.0:
        return False
    mantissa = text.lstrip("+-").partition("e")[0].partition("E")[0]
    return any(ch in "123456789" for ch in mantissa)


def number_hint(text: str) -> str | None:
    """How to write `text` as a number of the language, when it looks like one written
    otherwise (`1_000` -> "write 1000", Arabic-Indic digits -> ASCII ones); else None."""
    if parse_number(text) is not None or NUMBERISH.fullmatch(text) is None:
        return None
    plain = "".join(str(int(ch)) if ch.isdecimal() else ch for ch in text.replace("_", ""))
    if parse_number(plain) is None:
        return None
    why = "" if text.isascii() else " (with ASCII digits)"
    return f"write {plain}{why}"
