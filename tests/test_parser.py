"""The parser: its tables are lark's compilation of the grammar, its lexer lexes as lark's,
and its driver builds what lark's own parser would."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters

from gradcli import _grammar_tables as generated
from gradcli.errors import SyntaxError_
from gradcli.parser import compile_tables, parse, tokenize
from gradcli.program import CALL, NUM, OP, VAR


def test_generated_tables_match_the_grammar():
    """Fails when grammar/gradcli.lark changed without `python -m gradcli.parser`."""
    tables = compile_tables()
    for key, value in tables.items():
        assert getattr(generated, key) == value, f"{key} is stale: run python -m gradcli.parser"


@pytest.fixture(scope="module")
def lark_parser():
    from importlib.resources import files

    grammar = files("gradcli").joinpath("grammar", "gradcli.lark").read_text()
    return Lark(grammar, parser="lalr", lexer="basic", maybe_placeholders=False)


# Token soup over the language's alphabet, without newlines (lark's lexer does not join
# lines inside parentheses; ours does, as a post-lexing step tested separately).
pieces = st.sampled_from(
    ["a", "b2", "_x", "tanh", "1", "2.5", ".5", "7.", "1e-3", "3E+2", "+", "-", "*", "/", "**", "^",
     "(", ")", ",", ";", "=", "+=", "-=", "*=", "/=", " ", "  ", "\t", "# note"]
)  # fmt: skip
soups = st.lists(pieces, max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=soups)
def test_lexer_agrees_with_lark(text, lark_parser):
    try:
        theirs = [(t.type, str(t)) for t in lark_parser.lex(text)]
    except UnexpectedCharacters as exc:
        with pytest.raises(SyntaxError_) as info:
            tokenize(text)
        assert info.value.column == exc.column
        return
    ours = [(t[0], t[1]) for t in tokenize(text)[:-1]]
    assert ours == theirs


def test_newline_inside_parentheses_is_dropped():
    kinds = [t[0] for t in tokenize("y = (a\n+ b)\nz = 1")]
    assert kinds.count("_NL") == 1


def _from_lark(node):
    """Lark's tree -> the same S-expression as `_ours` gives."""
    if isinstance(node, Token):
        return node.type
    kids = [_from_lark(c) for c in node.children if not (isinstance(c, Token) and c.type in {
        "PLUS", "MINUS", "STAR", "SLASH", "POW", "LPAR", "RPAR", "AUGOP"})]  # fmt: skip
    if node.data in ("number", "var"):
        tok = node.children[0]
        return (node.data, float(tok) if node.data == "number" else str(tok))
    if node.data == "call":
        return ("call", str(node.children[0]), tuple(kids[1:]))
    if node.data == "paren":
        return kids[0]
    if node.data == "pos":
        return kids[0]
    if node.data in ("assign", "augassign"):
        op = (
            next(str(c) for c in node.children if isinstance(c, Token) and c.type == "AUGOP")
            if node.data == "augassign"
            else "="
        )
        return ("stmt", str(node.children[0]), op, kids[1])
    if node.data == "bare":
        return ("stmt", None, None, kids[0])
    if node.data == "start":
        return tuple(kids)
    return (node.data, *kids)


AUG_TEXT = {None: "=", "add": "+=", "sub": "-=", "mul": "*=", "div": "/="}


def _ours(program):
    """The program's postfix equations, run on a stack of S-expressions."""

    def expr(stmt):
        stack = []
        for kind, name, arg, _, _ in program.code[stmt.lo : stmt.hi]:
            if kind == NUM:
                stack.append(("number", arg))
            elif kind == VAR:
                stack.append(("var", name))
            else:
                args = stack[len(stack) - arg :]
                del stack[len(stack) - arg :]
                stack.append((name, *args) if kind == OP else ("call", name, tuple(args)))
        (value,) = stack
        return value

    return tuple(("stmt", s.target, AUG_TEXT[s.aug] if s.target else None, expr(s)) for s in program.stmts)


atoms = st.sampled_from(["a", "b", "1", "2.5", "pi"])


def _combine(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**", "^"]), children).map(" ".join),
        children.map(lambda c: f"-{c}"),
        children.map(lambda c: f"+{c}"),
        children.map(lambda c: f"({c})"),
        children.map(lambda c: f"tanh({c})"),
        st.tuples(children, children).map(lambda p: f"max({p[0]}, {p[1]})"),
    )


expressions = st.recursive(atoms, _combine, max_leaves=15)
statements = st.one_of(
    expressions.map(lambda e: f"y = {e}"),
    expressions.map(lambda e: f"y += {e}"),
    expressions.map(lambda e: f"y *= {e}"),
)
programs = st.tuples(st.lists(statements, min_size=0, max_size=4), expressions).map(lambda p: "\n".join([*p[0], p[1]]))


@settings(max_examples=300, deadline=None)
@given(text=programs)
def test_driver_builds_what_lark_parses(text, lark_parser):
    assert _ours(parse(text)) == _from_lark(lark_parser.parse(text))


def test_spans_label_source_text():
    program = parse("y = (a + b) * tanh(c)")
    texts = [program.text(start, end) for kind, _, _, start, end in program.code if kind in (OP, CALL)]
    assert texts == ["(a + b)", "tanh(c)", "(a + b) * tanh(c)"]


def test_deep_nesting_does_not_recurse():
    depth = 100_000
    program = parse("y = " + "(" * depth + "x" + ")" * depth)
    assert [entry[:2] for entry in program.code] == [(VAR, "x")]
    program = parse("y = " + "-" * depth + "x")
    assert len(program.code) == depth + 1 and program.code[-1][:2] == (OP, "neg")


def test_lark_is_not_imported_to_parse():
    import subprocess
    import sys

    code = "import sys, gradcli.parser as p; p.parse('y = x*2'); print('lark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
