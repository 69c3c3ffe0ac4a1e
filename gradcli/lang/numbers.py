"""Numbers as gradcli reads them, in a program and from outside one.

In a program, a number is the grammar's NUMBER (ASCII digits, no `_`).  Outside a program —
a binding `x=-3`, a --bindings string, a sweep's START, STOP and values, a --points cell, a
count such as a sweep's N or --mc N — every path reads a number with `read_number`: the
grammar's NUMBER, optionally signed, blanks around it ignored, or one of the spellings gradcli
writes for a value that is not finite (NaN, Infinity, -Infinity; refused unless the caller
allows non-finite values).  `1_000`, full-width or other non-ASCII digits, `inf`, `nan`, `0x10`
are refused everywhere, each with a hint of what to write; so is a nonzero number whose double
is 0 (`1e-400`).  Bindings also take constant expressions (`pi/4`): gradcli.build.bindings.
"""

from __future__ import annotations

import math
import re

from gradcli.lang._grammar_tables import TERMINALS

# The grammar's NUMBER, optionally signed (a binding `x=-3` means what the expression -3 does).
_NUMBER_RE = re.compile(f"[+-]?(?:{dict(TERMINALS)['NUMBER']})")
# The spellings gradcli writes for values that are not finite (eval's JSON and CSV, sweep's rows).
NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "+Infinity": math.inf, "-Infinity": -math.inf}
# What a user may have meant as a number: digit separators, non-ASCII decimal digits.
NUMBERISH = re.compile(r"[+-]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?")
# Other programs' spellings of the non-finite values (Python, numpy, C): what to write instead.
_OTHER_NONFINITE = {"inf": "Infinity", "infinity": "Infinity", "nan": "NaN"}


class NotANumber(ValueError):
    """`read_number` refused a text: `reason` says why in a few words, `hint` what to write."""

    def __init__(self, reason: str, hint: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


def parse_number(text: str) -> float | None:
    """The value of `text` if it is exactly a number of the language (the grammar's NUMBER,
    optionally signed), else None.  Unlike float(), refuses `1_000`, non-ASCII digits,
    surrounding blanks, `inf` and `nan`."""
    if _NUMBER_RE.fullmatch(text) is None:
        return None
    return float(text)


def read_number(text: str, allow_nonfinite: bool = False) -> float:
    """A number written outside a program (see the module's docstring), or NotANumber: not a
    number at all (with a hint when it looks like one written otherwise), not finite (unless
    allowed: `1e999` overflows to Infinity as the text `Infinity` reads), or too small (`1e-400`)."""
    plain = text.strip()
    value = parse_number(plain)
    if value is None:
        value = NONFINITE.get(plain)
    if value is None:
        raise NotANumber(f"{plain!r} is not a number", number_hint(plain))
    if not math.isfinite(value) and not allow_nonfinite:
        raise NotANumber(f"{plain} is not finite", "--allow-nonfinite carries NaN and infinity on")
    if value == 0.0 and underflows(plain):
        raise NotANumber(f"{plain} is too small for a double and would become 0")
    return value


def read_count(text: str) -> int | None:
    """A count (a sweep's N, --mc N): a number as `read_number` reads it that is a whole number
    (`1e6` is a million, `12.` is 12), or None.  The caller checks the least it needs."""
    try:
        value = read_number(text)
    except NotANumber:
        return None
    if value != int(value):
        return None
    plain = text.strip()
    return int(plain) if plain.isdigit() else int(value)  # digits exactly, however many (2^53 + 1)


def underflows(text: str) -> bool:
    """True when a number written as `text` is not zero but its double is (`1e-400`)."""
    value = parse_number(text)
    if value is None or value != 0.0:
        return False
    mantissa = text.lstrip("+-").partition("e")[0].partition("E")[0]
    return any(ch in "123456789" for ch in mantissa)


def number_hint(text: str) -> str | None:
    """How to write `text` as a number gradcli reads, when it looks like one written otherwise
    (`1_000` -> "write 1000", Arabic-Indic digits -> ASCII ones, `inf` -> Infinity); else None."""
    sign, bare = (text[0], text[1:]) if text.startswith(("+", "-")) else ("", text)
    if bare.lower() in _OTHER_NONFINITE:
        spelled = _OTHER_NONFINITE[bare.lower()]
        return f"write {'' if spelled == 'NaN' else sign}{spelled} (with --allow-nonfinite)"
    if parse_number(text) is not None or NUMBERISH.fullmatch(text) is None:
        return None
    plain = "".join(str(int(ch)) if ch.isdecimal() else ch for ch in text.replace("_", ""))
    if parse_number(plain) is None:
        return None
    why = "" if text.isascii() else " (with ASCII digits)"
    return f"write {plain}{why}"


def only_number_characters(text: str) -> bool:
    """True when `text` has no character but ASCII digits, `.`, `e`, `E`, `+` and `-`: then
    float() accepts exactly the texts `read_number` does (no `_`, blanks, `inf`, non-ASCII
    digits), so a column of such cells may be converted all at once (one C pass: ~30 ns a cell)."""
    return text.isascii() and not text.encode().translate(None, b"0123456789.eE+-")
