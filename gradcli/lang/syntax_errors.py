"""Syntax errors in the user's words: what was found, what was expected, and a hint.

The parser calls these when the LALR tables have no action for a token; they read the tokens
around it (a tuple each: type, text, start, end) and never name a grammar rule.
"""

from __future__ import annotations

import re

from gradcli.core.errors import SyntaxError_
from gradcli.core.ops import FUNCTIONS
from gradcli.lang._grammar_tables import TERMINALS
from gradcli.lang.located import located
from gradcli.lang.numbers import NUMBERISH, number_hint
from gradcli.lang.program import line_column, line_starts

TYPE, TEXT, START, END = range(4)  # a token's fields
_TERMINALS = frozenset(name for name, _ in TERMINALS) | {"$END"}

_OPERAND = {"NAME", "NUMBER"}  # expected only where an expression must start
_LOOKALIKES = {
    "×": "use * to multiply",
    "·": "use * to multiply",
    "÷": "use / to divide",
    "−": "use - (the ASCII minus)",
    "–": "use - (the ASCII minus)",
    "²": "use **2 for a square",
    "³": "use **3 for a cube",
    "√": "use sqrt(x)",
    "π": "write pi",
    "≤": "write <=",
    "≥": "write >=",
    "≠": "write !=",
    "'": "there are no strings: write the formula itself",
    '"': "there are no strings: write the formula itself",
    "[": "use ( and ) for grouping",
    "{": "use ( and ) for grouping",
    "!": "there is no factorial or 'not'; != compares",
}


def _where(source: str, offset: int) -> tuple[int, int]:
    return line_column(line_starts(source), offset)


def error(source: str, message: str, start: int, end: int, hint: str | None = None) -> SyntaxError_:
    return located(SyntaxError_, source, message, start, end, hint)


def plus_minus(source: str, tokens: list) -> SyntaxError_ | None:
    """`a = 1+-0.1`: an uncertainty or a subtraction? Never guess (as for bindings, DESIGN 6.6);
    `1 + -0.1` with a blank, and `1 ± 0.1` / `1 +/- 0.1`, say which."""
    for before, tok, after in zip(tokens, tokens[1:], tokens[2:]):  # a binary '+' (after an operand)
        binary = before[TYPE] in ("NAME", "NUMBER", "RPAR", "RSQB")
        if binary and tok[TYPE] == "PLUS" and after[TYPE] == "MINUS" and tok[END] == after[START]:
            hint = "for an uncertainty write ± (or +/-); for a sum of a negative number, put a blank: 1 + -0.1"
            return error(source, "'+-' is ambiguous: an uncertainty or a subtraction?", tok[START], after[END], hint)
    return None


def bad_character(source: str, pos: int) -> SyntaxError_:
    ch = source[pos]
    hint = _LOOKALIKES.get(ch)
    if ch.isdecimal():  # a non-ASCII digit, such as Arabic-Indic ٣
        m = NUMBERISH.match(source, pos)
        hint = number_hint(m.group()) if m else None
    shown = repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
    return error(source, f"unexpected character {shown}", pos, pos + 1, hint)


def constant_called(source: str, name: tuple, lpar: tuple, rpar: tuple) -> SyntaxError_:
    """`pi(2)`: a constant used as a function."""
    inside = source[lpar[END] : rpar[START]].strip()
    if not inside:
        hint = f"write {name[TEXT]}"
    elif re.fullmatch(r"[A-Za-z_]\w*|[0-9.]+(?:[eE][+-]?[0-9]+)?", inside, re.ASCII):
        hint = f"write {name[TEXT]}*{inside} to multiply"
    else:
        hint = f"write {name[TEXT]}*({inside}) to multiply"
    return error(source, f"'{name[TEXT]}' is a constant, not a function", name[START], rpar[END], hint)


def _describe(tok: tuple) -> str:
    kind, text = tok[TYPE], tok[TEXT]
    if kind == "$END":
        return "the end of the program"
    if kind == "_NL":
        return "the end of the line"
    if kind == "NAME":
        return f"name '{text}'"
    if kind == "NUMBER":
        return f"number {text}"
    return f"'{text}'"


def _open_paren(tokens: list, i: int) -> tuple | None:
    """The '(' left open before token i, if any."""
    opened: list = []
    for tok in tokens[:i]:
        if tok[TYPE] == "LPAR":
            opened.append(tok)
        elif tok[TYPE] == "RPAR" and opened:
            opened.pop()
        elif tok[TYPE] in ("_NL", "SEMICOLON"):
            opened.clear()
    return opened[-1] if opened else None


_CLOSE = {"LPAR": "RPAR", "LSQB": "RSQB"}


def _open_bracket(tokens: list, i: int) -> tuple | None:
    """The innermost '(' or '[' left open before token i in its statement, if any."""
    opened: list = []
    for tok in tokens[:i]:
        if tok[TYPE] in _CLOSE:
            opened.append(tok)
        elif tok[TYPE] in ("RPAR", "RSQB") and opened and _CLOSE[opened[-1][TYPE]] == tok[TYPE]:
            opened.pop()
        elif tok[TYPE] in ("_NL", "SEMICOLON"):
            opened.clear()
    return opened[-1] if opened else None


def _continued_line(source: str, tokens: list, i: int) -> str | None:
    """If token i starts a line that the layout rule joined to the line before, a hint saying so."""
    tok, prev = tokens[i], tokens[i - 1] if i else None
    line_start = source.rfind("\n", 0, tok[START]) + 1
    indented = line_start < tok[START] and not source[line_start : tok[START]].strip()
    if not indented or prev is None or prev[END] >= line_start or prev[TYPE] in ("_NL", "SEMICOLON"):
        return None
    if _open_paren(tokens, i) is not None:
        return None  # joined by the parentheses, not by the indentation
    line, _ = _where(source, tok[START])
    return f"line {line} is indented, so it continues the line before; unindent it to start a new statement"


def unexpected(source: str, tokens: list, i: int, expected: dict) -> SyntaxError_:
    tok = tokens[i]
    prev = tokens[i - 1] if i else None
    kind = tok[TYPE]
    expected_terms = {t for t in expected if t in _TERMINALS}  # the tables also hold rules (gotos): never shown
    start, end = tok[START], tok[END]
    ends_statement = kind in ("$END", "_NL", "SEMICOLON")
    if ends_statement:
        # Point just after the last thing written, not at the (invisible) end.
        start = end = prev[END] if prev else 0
    opened = _open_bracket(tokens, i)
    if ends_statement and opened is not None and _CLOSE[opened[TYPE]] in expected_terms:
        line, column = _where(source, opened[START])
        here, _ = _where(source, start)
        at = f"column {column}" if line == here else f"line {line}, column {column}"
        close = _WORDS[_CLOSE[opened[TYPE]]]
        return error(source, f"missing {close} to close the '{opened[TEXT]}' at {at}", start, end)
    if expected_terms & _OPERAND:
        return _operand_expected(source, tok, prev, start, end)
    if kind == "RPAR":
        return error(source, "unmatched ')'", start, end)
    if kind in ("NAME", "NUMBER", "LPAR") and prev is not None:
        return _missing_operator(source, tokens, i)
    if kind in ("EQUAL", "AUGOP"):
        after = tokens[i + 1]
        hint = f"write {after[TEXT]}= to compare" if after[TEXT] in ("<", ">") and after[START] == end else None
        return error(source, f"cannot assign here: the left of '{tok[TEXT]}' must be a single name", start, end, hint)
    if kind == "COMMA":
        return error(source, "',' outside a function call", start, end, "write max(a, b) to call a function")
    if kind == "PM":
        msg = "'±' gives an input its uncertainty: it must be the whole right side of an assignment"
        return error(source, msg, start, end, "write L = 1.0 ± 0.1 as its own statement")
    if kind == "COMPARE":  # after a complete operand, a comparison is refused only in a comparison
        hint = "write (a < b) * (b < c) for 'a < b and b < c', or add parentheses"
        return error(source, f"comparisons cannot be chained: '{tok[TEXT]}' follows a comparison", start, end, hint)
    words = sorted({_WORDS.get(t, t.lower()) for t in expected_terms})
    more = f"; expected {' or '.join(words)}" if words else ""
    return error(source, f"unexpected {_describe(tok).removeprefix('the ')}{more}", start, end)


def _operand_expected(source: str, tok: tuple, prev: tuple | None, start: int, end: int) -> SyntaxError_:
    """An expression must start here: at the start of a statement, or after an operator."""
    if prev is None or prev[TYPE] in ("_NL", "SEMICOLON"):
        return error(source, f"expected a statement, found {_describe(tok)}", start, end)
    found = "" if tok[TYPE] in ("$END", "_NL", "SEMICOLON") else f", found {_describe(tok)}"
    hint = None
    if prev[TYPE] == "EQUAL" and tok[TEXT] in ("<", ">") and prev[END] == tok[START]:
        hint = f"write {tok[TEXT]}= to compare"  # `=<` and `=>`
    return error(source, f"expected an expression after {_describe(prev)}{found}", start, end, hint)


def _missing_operator(source: str, tokens: list, i: int) -> SyntaxError_:
    """Two operands side by side: `2x`, `exp x`, `1_000`, `2(x+1)`, `a = 1 b = 2`."""
    tok, prev = tokens[i], tokens[i - 1]
    kind, start, end = tok[TYPE], tok[START], tok[END]
    following = tokens[i + 1][TYPE] if i + 1 < len(tokens) else "$END"
    adjacent = prev[END] == start
    if prev[TYPE] == "NUMBER" and kind == "NAME" and adjacent and re.match(r"_[0-9]", tok[TEXT]):
        written = NUMBERISH.match(source, prev[START]).group()
        return error(source, f"'_' cannot separate digits: {written}", prev[START], prev[START] + len(written),
                      number_hint(written))  # fmt: skip
    hint = _continued_line(source, tokens, i)
    if hint is not None:
        pass
    elif kind == "NAME" and following in ("EQUAL", "AUGOP"):
        hint = "separate statements with a new line or ';'"
    elif prev[TYPE] == "NUMBER" and kind == "NAME" and adjacent:
        hint = f"write {prev[TEXT]}*{tok[TEXT]} to multiply"
    elif prev[TYPE] == "NAME" and prev[TEXT] in FUNCTIONS and kind in ("NAME", "NUMBER"):
        hint = f"write {prev[TEXT]}({tok[TEXT]})"
    elif kind == "LPAR" and prev[TYPE] in ("NUMBER", "RPAR"):
        hint = "write * to multiply"
    return error(source, f"missing operator before {_describe(tok)}", start, end, hint)


_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "LPAR": "'('",
    "LSQB": "'['",
    "RSQB": "']'",
    "AT": "'@'",
    "COLON": "':'",
    "RPAR": "')'",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "POW": "'**'",
    "COMPARE": "a comparison",
    "AUGOP": "'+='",
    "EQUAL": "'='",
    "COMMA": "','",
    "PM": "'±'",
    "PRIMES": "\"'\" (a derivative, f'(x))",
    "SEMICOLON": "';'",
    "_NL": "a new line",
    "$END": "the end of the program",
}
