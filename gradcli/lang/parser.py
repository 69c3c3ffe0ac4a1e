"""Text -> Program, without lark.

The grammar is grammar/gradcli.lark.  Lark compiles it to LALR(1) tables; those tables
(and the grammar's terminal patterns) are kept in `_grammar_tables.py`, written by
`python tools/gen_tables.py` and checked against the grammar's sha256 by the tests.  At run
time a compiled-regex lexer and a small LALR driver run the tables: lark is never imported
(it costs ~55 ms per call), no Token objects (they cost ~2.5 us each), no parse tree and no
recursion, however deep the parentheses.  The driver reduces exactly as lark's tree builder
would: anonymous and `_TERMINALS` are filtered, `_rules` are spliced into their parent, a
`?rule` with one child is inlined, and `-> alias` names the callback.

Lines.  A newline ends a statement, except
  - inside parentheses (as in Python), and
  - before a line indented deeper than the line the statement started on: that line
    continues the statement, so `y = x` followed by `    + 1` is `y = x + 1` (a deliberate
    indentation signals continuation, as in Haskell's layout rule).  Blank and comment-only
    lines in between are skipped; lines indented alike (a program pasted with a uniform
    indent) stay separate statements, and an unindented `+ 1` is a statement of its own.
The lexer applies both rules; the grammar sees only the newlines that end statements.

Numbers are the grammar's NUMBER: ASCII digits, no `_` separators.  `parse_number` reads
exactly that syntax for the command line's bindings, so a program and a binding accept the
same numbers.
"""

from __future__ import annotations

import re

from gradcli.build.functions import define as _define
from gradcli.core.errors import SyntaxError_
from gradcli.core.ops import CONSTANTS, FUNCTIONS
from gradcli.lang._grammar_tables import ACTIONS, END_STATE, IGNORE, RULES, START_STATE, TERMINALS
from gradcli.lang.program import CALL, INDEX, LIST, NUM, OP, SLICE, VAR, Eq, Program, Stmt, line_column, line_starts

AUG = {"+=": "add", "-=": "sub", "*=": "mul", "/=": "div"}
# A COMPARE token's text -> the op it emits: 1.0 if true, else 0.0.
COMPARISONS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}

# A token is a tuple: (type, text, start offset, end offset).
TYPE, TEXT, START, END = range(4)


# -- callbacks: one per rule alias, emitting the program's equations in postfix order ---------
#
# An expression's value on the parser's stack is its span (start, end); its equations are
# appended to `code` as the parser reduces it, operands before operations.


_eq = tuple.__new__  # Eq(...) without NamedTuple's Python-level __new__: the parser's hot path


def _callbacks(source: str, code: list, stmts_mark: list, functions: dict | None = None) -> dict:
    emit = code.append

    def number(c):
        tok = c[0]
        emit(_eq(Eq, (NUM, tok[TEXT], float(tok[TEXT]), tok[START], tok[END])))
        return (tok[START], tok[END])

    def var(c):
        tok = c[0]
        emit(_eq(Eq, (VAR, tok[TEXT], 0, tok[START], tok[END])))
        return (tok[START], tok[END])

    def binary(name: str):
        def rule(c):  # left operand, operator token, right operand
            start, end = c[0][0], c[2][1]
            emit(_eq(Eq, (OP, name, 2, start, end)))
            return (start, end)

        return rule

    def compare(c):  # named by its token: < is lt, <= le, ...
        start, end = c[0][0], c[2][1]
        emit(_eq(Eq, (OP, COMPARISONS[c[1][TEXT]], 2, start, end)))
        return (start, end)

    def neg(c):
        span = (c[0][START], c[1][1])
        emit(_eq(Eq, (OP, "neg", 1, *span)))
        return span

    def widen(c):  # `(a+b)` and `+a`: the same equation, labelled with the wider text
        span = (c[0][START], c[-1][END] if len(c) == 3 else c[-1][1])
        kind, name, arg, _, _ = code[-1]
        code[-1] = _eq(Eq, (kind, name, arg, *span))
        return span

    def statement(target, aug, start: int, end: int) -> Stmt:
        lo, stmts_mark[0] = stmts_mark[0], len(code)
        return Stmt(target, aug, lo, len(code), start, end)

    return {
        "number": number,
        "var": var,
        **_call_callbacks(source, code, stmts_mark, functions),
        "paren": widen,
        "pos": widen,
        "neg": neg,
        "add": binary("add"),
        "sub": binary("sub"),
        "mul": binary("mul"),
        "div": binary("div"),
        "pow": binary("pow"),
        "matmul": binary("matmul"),
        **_array_callbacks(emit),
        "compare": compare,
        "assign": lambda c: statement(c[0][TEXT], None, c[0][START], c[1][1]),
        "augassign": lambda c: statement(c[0][TEXT], AUG[c[1][TEXT]], c[0][START], c[2][1]),
        "bare": lambda c: statement(None, None, c[0][0], c[0][1]),
        "uncertain": lambda c: _uncertain(source, code, statement(c[0][TEXT], None, c[0][START], c[3][1]), c[3]),
        "start": lambda c: [s for s in c if s is not None] if functions else c,  # a definition is None
    }


def _call_callbacks(source: str, code: list, stmts_mark: list, functions: dict | None) -> dict:
    """Calls `f(a, b)`, derivative calls `f'(x)` and definitions `f(x, y) = body`."""
    emit = code.append

    def call(c):
        name, rpar = c[0], c[-1]
        if name[TEXT] in CONSTANTS:
            raise _constant_called(source, name, c[1], rpar)
        span = (name[START], rpar[END])
        emit(_eq(Eq, (CALL, name[TEXT], len(c) - 3, *span)))
        return span

    def dcall(c):  # f'(x): the name with its primes (gradcli.functions)
        name, rpar = c[0], c[-1]
        emit(_eq(Eq, (CALL, name[TEXT] + c[1][TEXT], len(c) - 4, name[START], rpar[END])))
        return (name[START], rpar[END])

    def define(c):  # f(x, y) = body: recorded in `functions`, not a statement (gradcli.functions)
        _define(source, code, functions, stmts_mark[0], c[0], c[2:-2], c[-1])
        stmts_mark[0] = len(code)

    return {"call": call, "dcall": dcall, "define": define}


def _uncertain(source: str, code: list, stmt: Stmt, u_span: tuple) -> Stmt:
    """`L = 1.0 ± 0.1`: the statement assigns the value (code[lo:hi]); the uncertainty's
    equations follow it, kept in stmt.uncertainty.  Both sides must be constant expressions."""
    mid = next(i for i in range(stmt.lo, stmt.hi) if code[i][3] >= u_span[0])  # code[i][3]: its start offset
    for kind, name, _, start, end in code[stmt.lo : stmt.hi]:
        if kind == VAR and name not in CONSTANTS:
            raise _error(source, f"both sides of ± must be constant expressions, but '{name}' is a name",
                         start, end, "an uncertainty belongs to an input: write L = 1.0 ± 0.1")  # fmt: skip
    stmt.uncertainty = (mid, stmt.hi, *u_span)
    stmt.hi = mid
    return stmt


def _array_callbacks(emit) -> dict:
    """Array literals, subscripts and slices (gradcli.arrays evaluates them)."""

    def start_of(child) -> int:
        return child[START] if len(child) == 4 else child[0]  # a token, or an expression's span

    def end_of(child) -> int:
        return child[END] if len(child) == 4 else child[1]

    def array(c):  # LSQB items... RSQB
        emit(_eq(Eq, (LIST, None, len(c) - 2, c[0][START], c[-1][END])))
        return (c[0][START], c[-1][END])

    def index(c):  # base, LSQB, subscripts..., RSQB
        span = (c[0][0], c[-1][END])
        emit(_eq(Eq, (INDEX, None, len(c) - 3, *span)))
        return span

    def slice_(c):  # [start] COLON [stop] [COLON [step]]: which parts are written, as bits
        part, parts = 0, 0
        for child in c:
            if len(child) == 4:
                part += 1
            else:
                parts |= 1 << part
        span = (start_of(c[0]), end_of(c[-1]))
        emit(_eq(Eq, (SLICE, None, parts, *span)))
        return span

    return {"array": array, "index": index, "slice": slice_}


def _reducer(callbacks: dict, origin: str, alias: str | None, expand1: bool, mask: tuple):
    """The function that turns a rule's matched children into its value (lark's semantics)."""
    if alias is not None:
        callback = callbacks[alias]
    elif origin.startswith("_"):
        callback = None  # an inlined rule: its children are spliced into the parent's
    elif expand1:
        callback = callbacks.get(origin)  # `?rule: child` is inlined and needs none
    else:
        callback = callbacks[origin]
    plain = all(keep and not splice for keep, splice in mask)
    if plain and callback is not None and (alias is not None or not expand1):
        return callback  # every child kept as is: the callback is the whole reduction

    def reduce(children: list):
        if plain:
            kept = children
        else:
            kept = []
            for (keep, splice), child in zip(mask, children):
                if splice:
                    if kept:
                        kept.extend(child)
                    else:
                        kept = child  # left recursion (a repetition): grow the list in place
                elif keep:
                    kept.append(child)
        if expand1 and alias is None and len(kept) == 1:
            return kept[0]
        return kept if callback is None else callback(kept)

    return reduce


def _is_unit(alias, expand1: bool, mask: tuple) -> bool:
    """`?sum: product`: the value passes through unchanged, only the state changes."""
    return alias is None and expand1 and mask == ((True, False),)


def _rules(callbacks: dict) -> list[tuple]:
    """(number of children, origin, reduce function or None for a unit rule) per rule."""
    return [
        (
            len(mask),
            origin,
            None if _is_unit(alias, expand1, mask) else _reducer(callbacks, origin, alias, expand1, mask),
        )
        for origin, alias, expand1, mask in RULES
    ]


# One regex for all tokens: optional blanks, then exactly one terminal (or ERROR: any other
# character), so `finditer` walks the text with every position accounted for.  The
# one-character terminals share one character class, CHAR, tried after the longer terminals
# (`**` before `*`, `+=` before `+`): sre tries alternatives in turn, and one class instead
# of fourteen of them makes the lexer ~20% faster.
_BLANK = dict(TERMINALS).get("WS", "[ \\t]+")
_CHARS = {p[-1]: name for name, p in TERMINALS if p and p == re.escape(p[-1])}  # "(" -> LPAR
_TOKEN_RE = re.compile(
    f"(?:{_BLANK})?(?:"
    + "|".join(f"(?P<{name}>{p})" for name, p in TERMINALS if name != "WS" and name not in _CHARS.values())
    + f"|(?P<CHAR>[{''.join(map(re.escape, _CHARS))}])|(?P<ERROR>.)|\\Z)",
    re.DOTALL,
)
_SKIP = frozenset(IGNORE) - {"WS"}
_DEPTH = {"(": 1, "[": 1, ")": -1, "]": -1}  # newlines inside ( ) and [ ] do not end a statement


# -- the lexer ------------------------------------------------------------------------------


def tokenize(source: str) -> list[tuple]:
    """Tokens as tuples; whitespace and comments dropped; the newlines that do not end a
    statement (inside parentheses, or before a deeper-indented line) dropped too."""
    tokens: list[tuple] = []
    append = tokens.append
    depth = 0
    layout = _Layout(source)
    chars, nesting = _CHARS, _DEPTH
    for m in _TOKEN_RE.finditer(source):
        kind = m.lastgroup
        if kind == "CHAR":
            text = m.group(kind)
            step = nesting.get(text)
            if step is not None and (step > 0 or depth):
                depth += step
            end = m.end()
            append((chars[text], text, end - 1, end))
            continue
        if kind is None or kind in _SKIP:  # None: trailing blanks
            continue
        if kind == "_NL":
            if depth:
                continue
            after = m.end()
            if source[after : after + 1] in _LAYOUT_START:  # "" (the end) is in it too
                if layout.continues(after):
                    continue
            elif layout.reference:  # the common case, fast: text at column 0 starts a statement
                layout.reference = 0
        elif kind == "ERROR":
            raise _bad_character(source, m.start(kind))
        start, end = m.span(kind)
        append((kind, m.group(kind), start, end))
    n = len(source)
    append(("$END", "", n, n))
    return tokens


# Blank and comment-only lines, then the indentation of the next line (which may be empty).
_LAYOUT_START = " \t\f\r\n#"  # a line starting otherwise has text at column 0
_NEXT_LINE = re.compile(r"(?:[ \t\f\r]*(?:#[^\n]*)?\n)*([ \t\f\r]*)")


class _Layout:
    """Decides, at each newline, whether the next line continues the statement: it does
    when its indentation is deeper than that of the line the statement started on."""

    __slots__ = ("source", "reference", "resolved", "continuing")

    def __init__(self, source: str):
        self.source = source
        self.reference = len(_NEXT_LINE.match(source).group(1))  # the first line's indent
        self.resolved = -1  # the newlines before this offset are decided ...
        self.continuing = False  # ... thus

    def continues(self, after_newline: int) -> bool:
        if after_newline <= self.resolved:  # a blank line in a run already decided
            return self.continuing
        m = _NEXT_LINE.match(self.source, after_newline)
        self.resolved = end = m.end()
        indent = len(m.group(1))
        has_text = end < len(self.source) and self.source[end] != "#"
        self.continuing = has_text and indent > self.reference
        if not self.continuing:
            self.reference = indent
        return self.continuing


# -- the LALR driver ---------------------------------------------------------------------


def parse(source: str) -> Program:
    """Parse program text; syntax errors become SyntaxError_ with line, column and a
    phrasing in the user's terms."""
    tokens = tokenize(source)
    code: list[tuple] = []
    functions: dict = {}  # name -> gradcli.functions.Definition
    actions, rules = ACTIONS, _rules(_callbacks(source, code, [0], functions))
    # The stack: `state` on top, `states` below it.  A unit rule (`?sum: product`) changes
    # only the top state, to a goto of the state below, and chains of them (an operand
    # climbing atom -> power -> ... -> expr) depend on the state below, the top state and
    # the lookahead alone: each chain is walked once per parse and remembered in `units`.
    units: dict = {}
    state, states = START_STATE, []
    values: list = []
    for i, tok in enumerate(tokens):
        kind = tok[0]
        while True:
            act = actions[state].get(kind)
            if act is None:
                raise _unexpected(source, tokens, i, actions[state])
            if act >= 0:  # shift
                states.append(state)
                state = act
                values.append(tok)
                break
            size, origin, reduce = rules[~act]
            if reduce is None:
                key = (states[-1], state, kind)
                top = units.get(key)
                if top is None:
                    top = units[key] = _unit_chain(actions, rules, states[-1], state, kind)
                state = top
                continue
            if size:
                children = values[-size:]
                del values[-size:]
                state = states[-size]
                del states[-size:]
            else:
                children = []
            values.append(reduce(children))
            states.append(state)
            state = actions[state][origin]
            if kind == "$END" and state == END_STATE:
                return Program(source, values[-1], code, functions=functions)
    raise AssertionError("unreachable: $END always ends the parse")  # pragma: no cover


def _unit_chain(actions: list, rules: list, below: int, top: int, kind: str) -> int:
    """The top state after every unit reduction `kind` calls for, from `top` over `below`."""
    act = actions[top].get(kind)
    while act is not None and act < 0 and rules[~act][2] is None:
        top = actions[below][rules[~act][1]]
        act = actions[top].get(kind)
    return top


# -- numbers ---------------------------------------------------------------------------------

# The grammar's NUMBER, optionally signed (a binding `x=-3` means what the expression -3 does).
_NUMBER_RE = re.compile(f"[+-]?(?:{dict(TERMINALS)['NUMBER']})")
# What a user may have meant as a number: digit separators, non-ASCII decimal digits.
_NUMBERISH = re.compile(r"[+-]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?")


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
    if parse_number(text) is not None or _NUMBERISH.fullmatch(text) is None:
        return None
    plain = "".join(str(int(ch)) if ch.isdecimal() else ch for ch in text.replace("_", ""))
    if parse_number(plain) is None:
        return None
    why = "" if text.isascii() else " (with ASCII digits)"
    return f"write {plain}{why}"


# -- syntax errors, in the user's words -----------------------------------------------------

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


def _error(source: str, message: str, start: int, end: int, hint: str | None = None) -> SyntaxError_:
    line, column = _where(source, start)
    return SyntaxError_(message, line=line, column=column, end_column=column + max(end - start, 1), hint=hint)


def _bad_character(source: str, pos: int) -> SyntaxError_:
    ch = source[pos]
    hint = _LOOKALIKES.get(ch)
    if ch.isdecimal():  # a non-ASCII digit, such as Arabic-Indic ٣
        m = _NUMBERISH.match(source, pos)
        hint = number_hint(m.group()) if m else None
    shown = repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
    return _error(source, f"unexpected character {shown}", pos, pos + 1, hint)


def _constant_called(source: str, name: tuple, lpar: tuple, rpar: tuple) -> SyntaxError_:
    """`pi(2)`: a constant used as a function."""
    inside = source[lpar[END] : rpar[START]].strip()
    if not inside:
        hint = f"write {name[TEXT]}"
    elif re.fullmatch(r"[A-Za-z_]\w*|[0-9.]+(?:[eE][+-]?[0-9]+)?", inside, re.ASCII):
        hint = f"write {name[TEXT]}*{inside} to multiply"
    else:
        hint = f"write {name[TEXT]}*({inside}) to multiply"
    return _error(source, f"'{name[TEXT]}' is a constant, not a function", name[START], rpar[END], hint)


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


def _unexpected(source: str, tokens: list, i: int, expected: dict) -> SyntaxError_:
    tok = tokens[i]
    prev = tokens[i - 1] if i else None
    kind = tok[TYPE]
    expected_terms = {t for t in expected if t.isupper() or t.startswith("$") or t.startswith("_")}
    start, end = tok[START], tok[END]
    ends_statement = kind in ("$END", "_NL", "SEMICOLON")
    if ends_statement:
        # Point just after the last thing written, not at the (invisible) end.
        start = end = prev[END] if prev else 0
    opened = _open_paren(tokens, i)
    if ends_statement and opened is not None and "RPAR" in expected_terms:
        line, column = _where(source, opened[START])
        here, _ = _where(source, start)
        at = f"column {column}" if line == here else f"line {line}, column {column}"
        return _error(source, f"missing ')' to close the '(' at {at}", start, end)
    if expected_terms & _OPERAND:
        return _operand_expected(source, tok, prev, start, end)
    if kind == "RPAR":
        return _error(source, "unmatched ')'", start, end)
    if kind in ("NAME", "NUMBER", "LPAR") and prev is not None:
        return _missing_operator(source, tokens, i)
    if kind in ("EQUAL", "AUGOP"):
        after = tokens[i + 1]
        hint = f"write {after[TEXT]}= to compare" if after[TEXT] in ("<", ">") and after[START] == end else None
        return _error(source, f"cannot assign here: the left of '{tok[TEXT]}' must be a single name", start, end, hint)
    if kind == "COMMA":
        return _error(source, "',' outside a function call", start, end, "write max(a, b) to call a function")
    if kind == "PM":
        msg = "'±' gives an input its uncertainty: it must be the whole right side of an assignment"
        return _error(source, msg, start, end, "write L = 1.0 ± 0.1 as its own statement")
    if kind == "COMPARE":  # after a complete operand, a comparison is refused only in a comparison
        hint = "write (a < b) * (b < c) for 'a < b and b < c', or add parentheses"
        return _error(source, f"comparisons cannot be chained: '{tok[TEXT]}' follows a comparison", start, end, hint)
    words = sorted({_WORDS.get(t, t.lower()) for t in expected_terms})
    more = f"; expected {' or '.join(words)}" if words else ""
    return _error(source, f"unexpected {_describe(tok)}{more}", start, end)


def _operand_expected(source: str, tok: tuple, prev: tuple | None, start: int, end: int) -> SyntaxError_:
    """An expression must start here: at the start of a statement, or after an operator."""
    if prev is None or prev[TYPE] in ("_NL", "SEMICOLON"):
        return _error(source, f"expected a statement, found {_describe(tok)}", start, end)
    found = "" if tok[TYPE] in ("$END", "_NL", "SEMICOLON") else f", found {_describe(tok)}"
    hint = None
    if prev[TYPE] == "EQUAL" and tok[TEXT] in ("<", ">") and prev[END] == tok[START]:
        hint = f"write {tok[TEXT]}= to compare"  # `=<` and `=>`
    return _error(source, f"expected an expression after {_describe(prev)}{found}", start, end, hint)


def _missing_operator(source: str, tokens: list, i: int) -> SyntaxError_:
    """Two operands side by side: `2x`, `exp x`, `1_000`, `2(x+1)`, `a = 1 b = 2`."""
    tok, prev = tokens[i], tokens[i - 1]
    kind, start, end = tok[TYPE], tok[START], tok[END]
    following = tokens[i + 1][TYPE] if i + 1 < len(tokens) else "$END"
    adjacent = prev[END] == start
    if prev[TYPE] == "NUMBER" and kind == "NAME" and adjacent and re.match(r"_[0-9]", tok[TEXT]):
        written = _NUMBERISH.match(source, prev[START]).group()
        return _error(source, f"'_' cannot separate digits: {written}", prev[START], prev[START] + len(written),
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
    return _error(source, f"missing operator before {_describe(tok)}", start, end, hint)


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
    "SEMICOLON": "';'",
    "_NL": "a new line",
    "$END": "the end of the program",
}
