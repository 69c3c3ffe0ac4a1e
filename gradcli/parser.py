"""Text -> Program.  The only module that imports lark.

The grammar (grammar/gradcli.lark) is LALR(1) and parsed with an inline transformer: each
rule's callback runs as the parser reduces it, so no parse tree is built and nothing
recurses, however deep the parentheses.  Callbacks only build Program nodes (no side
effects), since they run before a later syntax error may be found.
"""

from __future__ import annotations

from importlib.resources import files

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .errors import SyntaxError_
from .program import Call, Num, Program, Stmt, Var

AUG = {"+=": "add", "-=": "sub", "*=": "mul", "/=": "div"}


def _span_start(x) -> int:
    return x.start_pos if isinstance(x, Token) else x.start


def _span_end(x) -> int:
    return x.end_pos if isinstance(x, Token) else x.end


def _binary(name: str):
    def rule(self, c):
        left, _, right = c  # the middle child is the operator token
        return Call(name, (left, right), left.start, right.end, operator=True)

    return rule


class _ToProgram(Transformer):
    """Builds Program nodes bottom-up as the LALR parser reduces (inline, no tree)."""

    def number(self, c):
        (tok,) = c
        return Num(float(tok), tok.start_pos, tok.end_pos)

    def var(self, c):
        (tok,) = c
        return Var(str(tok), tok.start_pos, tok.end_pos)

    def call(self, c):
        name, args = c[0], [x for x in c[2:-1] if x is not None]
        return Call(str(name), tuple(args), name.start_pos, c[-1].end_pos)

    def paren(self, c):
        lpar, inner, rpar = c
        inner.start, inner.end = lpar.start_pos, rpar.end_pos  # (a+b) labels as "(a+b)"
        return inner

    add = _binary("add")
    sub = _binary("sub")
    mul = _binary("mul")
    div = _binary("div")
    pow = _binary("pow")

    def neg(self, c):
        sign, arg = c
        return Call("neg", (arg,), sign.start_pos, arg.end, operator=True)

    def pos(self, c):
        sign, arg = c
        arg.start = sign.start_pos  # unary plus is the identity: no node
        return arg

    def assign(self, c):
        name, expr = c
        return Stmt(str(name), None, expr, name.start_pos, expr.end)

    def augassign(self, c):
        name, op, expr = c
        return Stmt(str(name), AUG[str(op)], expr, name.start_pos, expr.end)

    def bare(self, c):
        (expr,) = c
        return Stmt(None, None, expr, expr.start, expr.end)

    def start(self, c):
        return list(c)


class _JoinLinesInParens:
    """Post-lexer: a newline inside parentheses continues the line, as in Python."""

    always_accept = ("_NL",)

    def process(self, stream):
        depth = 0
        for tok in stream:
            if tok.type == "LPAR":
                depth += 1
            elif tok.type == "RPAR":
                depth = max(depth - 1, 0)
            elif tok.type == "_NL" and depth:
                continue
            yield tok


_parser: Lark | None = None


def _get_parser() -> Lark:
    global _parser
    if _parser is None:
        grammar = files("gradcli").joinpath("grammar", "gradcli.lark").read_text(encoding="utf-8")
        _parser = Lark(
            grammar,
            parser="lalr",
            transformer=_ToProgram(),
            postlex=_JoinLinesInParens(),
            maybe_placeholders=False,
        )
    return _parser


def parse(source: str) -> Program:
    """Parse program text; syntax errors become SyntaxError_ with line and column."""
    try:
        stmts = _get_parser().parse(source)
    except UnexpectedInput as exc:
        raise _syntax_error(source, exc) from None
    return Program(source, stmts)


# -- lark's errors, in the user's words -------------------------------------------------

_TERMINAL_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "LPAR": "'('",
    "RPAR": "')'",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "POW": "'**'",
    "AUGOP": "'+='",
    "EQUAL": "'='",
    "COMMA": "','",
    "SEMICOLON": "';'",
    "_NL": "a newline",
    "$END": "the end of the program",
}

_EXPR_START = {"NAME", "NUMBER", "LPAR", "MINUS", "PLUS"}


def _describe_token(tok: Token) -> str:
    if tok.type == "$END":
        return "the end of the program"
    if tok.type == "_NL":
        return "the end of the line"
    return f"'{tok}'"


def _syntax_error(source: str, exc: UnexpectedInput) -> SyntaxError_:
    line, column = getattr(exc, "line", None), getattr(exc, "column", None)
    if isinstance(exc, UnexpectedCharacters):
        ch = source[exc.pos_in_stream] if exc.pos_in_stream < len(source) else "?"
        return SyntaxError_(f"unexpected character {ch!r}", line=line, column=column)
    if isinstance(exc, (UnexpectedToken, UnexpectedEOF)):
        tok = getattr(exc, "token", None)
        expected = set(getattr(exc, "accepts", None) or exc.expected or ())
        if tok is None or tok.type == "$END":
            line, column = _end_position(source)
            tok_text = "the end of the program"
        else:
            tok_text = _describe_token(tok)
        if "RPAR" in expected and not (expected & _EXPR_START):
            msg = f"missing ')' before {tok_text}"
        elif expected & _EXPR_START:
            msg = f"expected an expression, found {tok_text}"
        else:
            words = sorted({_TERMINAL_WORDS.get(t, t.lower()) for t in expected})
            msg = f"unexpected {tok_text}" + (f"; expected {' or '.join(words)}" if words else "")
        return SyntaxError_(msg, line=line, column=column)
    return SyntaxError_(str(exc).splitlines()[0], line=line, column=column)


def _end_position(source: str) -> tuple[int, int]:
    stripped = source.rstrip()
    line = stripped.count("\n") + 1
    column = len(stripped) - (stripped.rfind("\n") + 1) + 1
    return line, column
