"""The parser's additions of issue 9: comparisons, indented continuation lines, one number
syntax (program and bindings), and the syntax hints that live in the parser."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcli.core.errors import SyntaxError_
from gradcli.lang.numbers import number_hint, parse_number, underflows
from gradcli.lang.parser import parse, tokenize
from gradcli.lang.program import NUM, OP, VAR


def _error(source: str) -> SyntaxError_:
    with pytest.raises(SyntaxError_) as info:
        parse(source)
    return info.value


def _ops(source: str) -> list[tuple]:
    """(kind, name, arity or value) of every equation: the postfix program."""
    return [entry[:3] for entry in parse(source).code]


# -- comparisons ----------------------------------------------------------------------------

COMPARISONS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}


@pytest.mark.parametrize(("symbol", "name"), COMPARISONS.items())
def test_each_comparison_emits_its_binary_op(symbol, name):
    program = parse(f"y = a {symbol} b")
    assert _ops(f"y = a {symbol} b") == [(VAR, "a", 0), (VAR, "b", 0), (OP, name, 2)]
    *_, (_, _, _, start, end) = program.code
    assert program.source[start:end] == f"a {symbol} b"


def test_comparisons_are_the_loosest_operators():
    # a + b < c * d**2  is  (a + b) < (c * (d**2))
    assert _ops("a + b < c * d**2")[-1] == (OP, "lt", 2)
    assert [e[1] for e in parse("a + b < c * d**2").code] == ["a", "b", "add", "c", "d", "2", "pow", "mul", "lt"]
    assert [e[1] for e in parse("-a >= -b").code] == ["a", "neg", "b", "neg", "ge"]


def test_a_comparison_can_be_assigned_grouped_and_passed():
    assert parse("y = a == b").stmts[0].target == "y"
    assert _ops("y = (x > 0) * x")[2:] == [(OP, "gt", 2), (VAR, "x", 0), (OP, "mul", 2)]
    assert _ops("y = (a < b) < c")[-1] == (OP, "lt", 2)  # parenthesized, a chain is explicit
    assert _ops("y = max(a < b, c)")[-1][:2] == ("call", "max")


@pytest.mark.parametrize("source", ["y = a < b < c", "a == b == c", "y = a <= b > c", "x != 1 != 2"])
def test_chained_comparisons_are_a_syntax_error(source):
    err = _error(source)
    assert err.message.startswith("comparisons cannot be chained")
    second = source.rindex(source.split()[-2])  # the second comparison operator
    assert err.column == second + 1
    assert "(a < b) * (b < c)" in err.hint


def test_double_equals_compares_and_a_missing_operand_says_so():
    assert _ops("y == x") == [(VAR, "y", 0), (VAR, "x", 0), (OP, "eq", 2)]
    err = _error("x == ")
    assert (err.message, err.column) == ("expected an expression after '=='", 5)
    assert _error("y = x ==\nz = 1").message == "expected an expression after '=='"


@pytest.mark.parametrize(("source", "hint"), [("y = x =< 2", "write <= to compare"), ("x => 2", "write >= to compare")])
def test_reversed_comparisons_are_hinted(source, hint):
    assert _error(source).hint == hint


# -- indented continuation lines --------------------------------------------------------------


def test_an_indented_line_continues_the_statement(eval_json):
    program = parse("y = x\n    + 1\n")
    assert len(program.stmts) == 1 and program.stmts[0].target == "y"
    assert _ops("y = x\n    + 1\n") == [(VAR, "x", 0), (NUM, "1", 1.0), (OP, "add", 2)]
    out = eval_json("-", "x=1", input="y = x\n    + 1\n")
    assert (out["value"], out["gradients"]) == (2.0, {"x": 1.0})


def test_an_unindented_operator_line_is_a_statement_of_its_own():
    program = parse("y = x\n+ 1\n")
    assert [s.target for s in program.stmts] == ["y", None]
    assert _ops("y = x\n+ 1\n") == [(VAR, "x", 0), (NUM, "1", 1.0)]


def test_continuation_across_blank_and_comment_lines_and_after_a_trailing_operator():
    assert len(parse("y = x\n\n   # note\n    * 2\n").stmts) == 1
    assert _ops("y = a *\n  b") == [(VAR, "a", 0), (VAR, "b", 0), (OP, "mul", 2)]
    assert _ops("y = a\r\n  - b\r\n") == [(VAR, "a", 0), (VAR, "b", 0), (OP, "sub", 2)]


def test_a_uniformly_indented_program_keeps_its_statements():
    assert [s.target for s in parse("\n    a = 2\n    b = a\n  c = b\n").stmts] == ["a", "b", "c"]


def test_indentation_is_measured_from_the_line_that_started_the_statement():
    # Two continuation lines at the same depth both continue; the next unindented line does not.
    program = parse("y = a\n  + b\n  + c\nz = y")
    assert [s.target for s in program.stmts] == ["y", "z"]
    assert [e[1] for e in program.code] == ["a", "b", "add", "c", "add", "y"]


def test_an_indented_new_statement_says_why_it_is_joined():
    err = _error("y = x\n    z = 2")
    assert (err.line, err.column, err.message) == (2, 5, "missing operator before name 'z'")
    assert err.hint.startswith("line 2 is indented, so it continues the line before")


def test_newlines_in_parentheses_still_join_regardless_of_indentation():
    assert _ops("y = (a\n+ b)") == [(VAR, "a", 0), (VAR, "b", 0), (OP, "add", 2)]
    assert sum(t[0] == "_NL" for t in tokenize("y = (a\n+ b)\n    * c\nz = 1")) == 1


# -- hints ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "hint"),
    [("y = exp x", "write exp(x)"), ("y = sin 2", "write sin(2)"), ("y = tanh a + 1", "write tanh(a)")],
)
def test_a_function_name_before_an_operand_asks_for_parentheses(source, hint):
    err = _error(source)
    assert err.message.startswith("missing operator before")
    assert err.hint == hint


@pytest.mark.parametrize(
    ("source", "hint"),
    [("y = pi(2)", "write pi*2 to multiply"), ("y = tau(a + 1)", "write tau*(a + 1) to multiply"),
     ("y = pi()", "write pi")],
)  # fmt: skip
def test_a_constant_called_as_a_function(source, hint):
    err = _error(source)
    assert err.message == f"'{source[4 : source.index('(')]}' is a constant, not a function"
    assert (err.column, err.end_column) == (5, len(source) + 1)
    assert err.hint == hint


@pytest.mark.parametrize(
    ("char", "hint"),
    [("×", "use * to multiply"), ("−", "use - (the ASCII minus)"), ("≤", "write <="), ("≥", "write >="),
     ("≠", "write !="), ("π", "write pi"), ("²", "use **2 for a square")],
)  # fmt: skip
def test_unicode_lookalikes_keep_their_hints(char, hint):
    err = _error(f"y = x {char} 2")
    assert (err.message, err.column, err.hint) == (f"unexpected character '{char}'", 7, hint)


def test_a_lone_bang_is_not_a_comparison():
    assert "!=" in _error("y = x ! 2").hint


# -- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("2", 2.0), ("2.0", 2.0), (".5", 0.5), ("7.", 7.0), ("1e-3", 1e-3), ("1.5E+2", 150.0), ("-3", -3.0),
     ("+.25", 0.25), ("1e400", math.inf)],
)  # fmt: skip
def test_parse_number_reads_the_languages_numbers(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize(
    "text", ["1_000", "٣", "١٢", "inf", "nan", "-inf", " 1", "1 ", "", ".", "e3", "1e", "--1", "0x10"]
)
def test_parse_number_refuses_what_float_accepts_or_the_grammar_does_not(text):
    assert parse_number(text) is None


# Strings over the characters numbers are made of, Python's extra ones included.
numberish = st.text(alphabet="0123456789._eE+-٣", min_size=1, max_size=8)


@settings(max_examples=400, deadline=None)
@given(text=numberish)
def test_a_binding_accepts_exactly_the_programs_numbers(text):
    """parse_number(t) is a number iff the program's lexer reads t, unsigned, as one NUMBER."""
    unsigned = text[1:] if text[0] in "+-" else text
    try:
        tokens = tokenize(unsigned)[:-1]
    except SyntaxError_:
        tokens = []
    one_number = len(tokens) == 1 and tokens[0][:2] == ("NUMBER", unsigned)
    assert (parse_number(text) is not None) == one_number
    if one_number:
        assert parse_number(text) == float(text)


def test_digit_separators_are_refused_in_the_program_with_a_hint():
    err = _error("y = 1_000 * x")
    assert err.message == "'_' cannot separate digits: 1_000"
    assert (err.column, err.end_column, err.hint) == (5, 10, "write 1000")
    assert _error("y = 2.5_0e1_0").hint == "write 2.50e10"


def test_non_ascii_digits_are_refused_in_the_program_with_a_hint():
    err = _error("y = ٣ * x")  # Arabic-Indic three: Python's float() would take it
    assert (err.message, err.column) == ("unexpected character '٣'", 5)
    assert err.hint == "write 3 (with ASCII digits)"


@pytest.mark.parametrize(
    ("text", "hint"),
    [("1_000", "write 1000"), ("-1_000.5", "write -1000.5"), ("١٢", "write 12 (with ASCII digits)"),
     ("1000", None), ("abc", None), ("1.2.3", None)],
)  # fmt: skip
def test_number_hint_rewrites_near_numbers_for_bindings(text, hint):
    assert number_hint(text) == hint


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1e-400", True), ("-2.5e-330", True), ("0.0001e-320", True), ("0e-999", False), ("0.000", False),
     ("1e-320", False), ("5e-324", False), ("2", False), ("1_0", False)],
)  # fmt: skip
def test_underflows_flags_a_nonzero_literal_that_became_zero(text, expected):
    assert underflows(text) is expected
