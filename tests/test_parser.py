"""The parser: its tables are lark's compilation of the grammar, its lexer lexes as lark's,
and its driver builds what lark's own parser would."""

import hashlib
import importlib.util
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcli.core.errors import SyntaxError_
from gradcli.lang import _grammar_tables as generated
from gradcli.lang.parser import parse, tokenize
from gradcli.lang.program import CALL, NUM, OP, VAR

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "grammar" / "gradcli.lark"


def test_generated_tables_carry_the_grammars_hash():
    """Fails, without lark, when grammar/gradcli.lark changed and the tables were not regenerated."""
    text = GRAMMAR.read_text(encoding="utf-8")
    assert generated.GRAMMAR_SHA256 == hashlib.sha256(text.encode("utf-8")).hexdigest(), (
        "gradcli/_grammar_tables.py is stale: run python tools/gen_tables.py"
    )


def _gen_tables():
    spec = importlib.util.spec_from_file_location("gen_tables", ROOT / "tools" / "gen_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_tables_are_what_lark_compiles():
    """Regenerates the tables with lark and compares them with the committed file, byte for byte."""
    pytest.importorskip("lark")
    gen = _gen_tables()
    assert gen.render(gen.compile_tables(gen.grammar_text(GRAMMAR))) == gen.TABLES.read_text(encoding="utf-8"), (
        "gradcli/_grammar_tables.py is stale: run python tools/gen_tables.py"
    )


def test_the_package_ships_no_grammar_and_needs_no_lark():
    """The runtime needs only the tables: no .lark file inside the package, no lark import."""
    assert not list((ROOT / "gradcli").rglob("*.lark"))
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "gradcli").glob("*.py"))
    assert "import lark" not in source and "from lark" not in source


@pytest.fixture(scope="module")
def lark_parser():
    lark = pytest.importorskip("lark")
    return lark.Lark(GRAMMAR.read_text(encoding="utf-8"), parser="lalr", lexer="basic", maybe_placeholders=False)


# Token soup over the language's alphabet, without newlines (lark's lexer does not join
# lines inside parentheses; ours does, as a post-lexing step tested separately).
pieces = st.sampled_from(
    ["a", "b2", "_x", "tanh", "1", "2.5", ".5", "7.", "1e-3", "3E+2", "+", "-", "*", "/", "**", "^",
     "(", ")", ",", ";", "=", "+=", "-=", "*=", "/=", "<", "<=", ">", ">=", "==", "!=", " ", "  ", "\t",
     "# note", "1_0", "!"]
)  # fmt: skip
soups = st.lists(pieces, max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=soups)
def test_lexer_agrees_with_lark(text, lark_parser):
    from lark.exceptions import UnexpectedCharacters

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


_OPERATOR_TOKENS = {"PLUS", "MINUS", "STAR", "SLASH", "POW", "LPAR", "RPAR", "AUGOP", "COMPARE"}
_COMPARISONS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}


def _from_lark(node):
    """Lark's tree -> the same S-expression as `_ours` gives."""
    from lark import Token

    if isinstance(node, Token):
        return node.type
    kids = [_from_lark(c) for c in node.children if not (isinstance(c, Token) and c.type in _OPERATOR_TOKENS)]
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
    if node.data == "compare":
        return (_COMPARISONS[str(node.children[1])], *kids)
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
        st.tuples(children, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), children).map(
            lambda p: f"({' '.join(p)})"
        ),
    )


expressions = st.recursive(atoms, _combine, max_leaves=15)
comparisons = st.tuples(expressions, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), expressions).map(" ".join)
statements = st.one_of(
    expressions.map(lambda e: f"y = {e}"),
    comparisons.map(lambda e: f"y = {e}"),
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

    code = "import sys, gradcli.lang.parser as p; p.parse('y = x*2'); print('lark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_equations_have_named_fields():
    from gradcli.lang.program import NUM, OP, Eq

    code = parse("y = 2*x").code
    assert all(type(e) is Eq for e in code)
    number, _, product = code
    assert (number.kind, number.name, number.value, number.start, number.end) == (NUM, "2", 2.0, 4, 5)
    assert (product.kind, product.name, product.count) == (OP, "mul", 2)
    assert parse("y = (a + b)").code[-1].start == 4  # a parenthesized equation is widened, still an Eq
