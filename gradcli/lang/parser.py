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

from gradcli.core.ops import CONSTANTS, OPS
from gradcli.lang._grammar_tables import ACTIONS, END_STATE, IGNORE, RULES, START_STATE, TERMINALS
from gradcli.lang.program import CALL, INDEX, LIST, NUM, OP, SLICE, VAR, Eq, Program, Stmt

# The op table's binary operators by symbol: `a < b` emits lt, `x += 1` emits add (the symbol
# before '='). The grammar's aliases (add, sub, ...) are op names already.
BINARY = {op.symbol: op.name for op in OPS if op.syntax == "operator" and op.arity == 2}

# A token is a tuple: (type, text, start offset, end offset).
TYPE, TEXT, START, END = range(4)


# -- callbacks: one per rule alias, emitting the program's equations in postfix order ---------
#
# An expression's value on the parser's stack is its span (start, end); its equations are
# appended to `code` as the parser reduces it, operands before operations.


_eq = tuple.__new__  # Eq(...) without NamedTuple's Python-level __new__: the parser's hot path


def _callbacks(source: str, code: list, stmts_mark: list, functions: dict | None = None, correlations=None) -> dict:
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
        emit(_eq(Eq, (OP, BINARY[c[1][TEXT]], 2, start, end)))
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
        **_call_callbacks(source, code, stmts_mark, functions, correlations),
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
        "augassign": lambda c: statement(c[0][TEXT], BINARY[c[1][TEXT][:-1]], c[0][START], c[2][1]),
        "bare": lambda c: statement(None, None, c[0][0], c[0][1]),
        "uncertain": lambda c: _uncertain(source, code, statement(c[0][TEXT], None, c[0][START], c[3][1]), c[3]),
        "start": lambda c: [s for s in c if s is not None] if functions or correlations else c,  # a definition: None
    }


def _call_callbacks(source: str, code: list, stmts_mark: list, functions: dict | None, correlations) -> dict:
    """Calls `f(a, b)`, derivative calls `f'(x)`, definitions `f(x, y) = body` and the
    declarations of the same shape `corr(a, b) = r` (gradcli.lang.correlations)."""
    emit = code.append

    def call(c):
        name, rpar = c[0], c[-1]
        if name[TEXT] in CONSTANTS:
            from gradcli.lang.syntax_errors import constant_called  # error paths import their words

            raise constant_called(source, name, c[1], rpar)
        span = (name[START], rpar[END])
        emit(_eq(Eq, (CALL, name[TEXT], len(c) - 3, *span)))
        return span

    def dcall(c):  # f'(x): the name with its primes (gradcli.build.functions)
        name, rpar = c[0], c[-1]
        emit(_eq(Eq, (CALL, name[TEXT] + c[1][TEXT], len(c) - 4, name[START], rpar[END])))
        return (name[START], rpar[END])

    def define(c):  # f(x, y) = body: recorded in `functions`, not a statement (gradcli.build.functions)
        if c[0][TEXT] == "corr":  # corr(a, b) = 0.5: a correlation of two inputs, not a function
            from gradcli.lang.correlations import declare

            declare(source, code, correlations, stmts_mark[0], c)
        else:
            from gradcli.lang.definitions import define  # only programs that define functions

            define(source, code, functions, stmts_mark[0], c)
        stmts_mark[0] = len(code)

    return {"call": call, "dcall": dcall, "define": define}


def _uncertain(source: str, code: list, stmt: Stmt, u_span: tuple) -> Stmt:
    """`L = 1.0 ± 0.1`: the statement assigns the value (code[lo:hi]); the uncertainty's
    equations follow it, kept in stmt.uncertainty.  Both sides must be constant expressions."""
    mid = next(i for i in range(stmt.lo, stmt.hi) if code[i][3] >= u_span[0])  # code[i][3]: its start offset
    for kind, name, _, start, end in code[stmt.lo : stmt.hi]:
        if kind == VAR and name not in CONSTANTS:
            from gradcli.lang.syntax_errors import error

            raise error(source, f"both sides of ± must be constant expressions, but '{name}' is a name",
                         start, end, "an uncertainty belongs to an input: write L = 1.0 ± 0.1")  # fmt: skip
    stmt.uncertainty = (mid, stmt.hi, *u_span)
    stmt.hi = mid
    return stmt


def _array_callbacks(emit) -> dict:
    """Array literals, subscripts and slices (gradcli.build.arrays lowers them)."""

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
            from gradcli.lang.syntax_errors import bad_character

            raise bad_character(source, m.start(kind))
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
    if "+-" in source:  # `1+-0.1` is refused, never read as 0.9
        from gradcli.lang.syntax_errors import plus_minus

        refused = plus_minus(source, tokens)
        if refused is not None:
            raise refused
    code: list[tuple] = []
    functions: dict = {}  # name -> gradcli.lang.definitions.Definition
    correlations: list = []  # gradcli.lang.correlations.Correlation
    actions, rules = ACTIONS, _rules(_callbacks(source, code, [0], functions, correlations))
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
                from gradcli.lang.syntax_errors import unexpected

                raise unexpected(source, tokens, i, actions[state])
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
                return Program(source, values[-1], code, functions=functions, correlations=correlations)
    raise AssertionError("unreachable: $END always ends the parse")  # pragma: no cover


def _unit_chain(actions: list, rules: list, below: int, top: int, kind: str) -> int:
    """The top state after every unit reduction `kind` calls for, from `top` over `below`."""
    act = actions[top].get(kind)
    while act is not None and act < 0 and rules[~act][2] is None:
        top = actions[below][rules[~act][1]]
        act = actions[top].get(kind)
    return top
