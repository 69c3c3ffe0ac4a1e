"""The language of DESIGN §2: statements, numbers, precedence, assignment, inputs."""

import math

import pytest

from gradcli.build.bindings import parse_binding, parse_bindings
from gradcli.build.standard import evaluate
from gradcli.core.errors import BindingError, MathError, NameError_, SyntaxError_, UsageError


def value(src, **bindings):
    return evaluate(src, bindings).output.data


def grads(src, **bindings):
    return evaluate(src, bindings).gradients()


@pytest.mark.parametrize(
    "src, expected",
    [
        ("-x**2", -9.0),  # -(x**2)
        ("(-x)**2", 9.0),
        ("2^3^2", 512.0),  # 2^(3^2), right-associative
        ("2**3**2", 512.0),
        ("(2^3)^2", 64.0),
        ("a - b - c", -5.0),  # (a-b)-c
        ("a / b / c", 0.5 / 4),
        ("a + b * c", 9.0),
        ("(a + b) * c", 12.0),
        ("a * b ** 2", 4.0),
        ("2 ** -1", 0.5),  # a**-b is allowed
        ("x ** -a", 1 / 3),
        ("-a * -b", 2.0),
        ("+a", 1.0),
        ("- - a", 1.0),
        ("2*-3", -6.0),
        ("-2^2", -4.0),
    ],
)
def test_precedence_and_associativity(src, expected):
    assert value(src, x=3.0, a=1.0, b=2.0, c=4.0) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    "text, number", [("2", 2.0), ("2.0", 2.0), (".5", 0.5), ("1e-3", 1e-3), ("1.5E+2", 150.0), ("7.", 7.0)]
)
def test_number_forms(text, number):
    assert value(f"y = {text}") == number


def test_statements_separators_and_comments():
    src = "# header\n\na = 1.0 ; b = 2.0;;\n\n  # comment line\nc = a + b  # trailing comment\n"
    assert value(src) == 3.0


def test_newlines_inside_parentheses_continue_the_line():
    assert value("y = (a +\n     b)\n", a=1.0, b=2.0) == 3.0
    assert value("y = max(a,\n b)", a=1.0, b=2.0) == 2.0


def test_bare_final_expression_is_the_output():
    graph = evaluate("a = 2.0\na * a + 1")
    assert graph.output.data == 5.0 and graph.output_name == "a * a + 1"
    assert graph.gradients() == {"a": 4.0}


def test_bare_expression_not_last_is_an_error():
    with pytest.raises(UsageError, match="last statement"):
        evaluate("a = 1.0\na * 2\nb = a")


def test_reassignment_later_uses_see_the_newest_node():
    graph = evaluate("x = 3.0\ny = x * x\ny = y + x\nz = y * 2")
    # z = 2 (x^2 + x), dz/dx = 2 (2x + 1) = 14
    assert graph.output.data == 24.0 and graph.gradients() == {"x": 14.0}
    assert [n.label for n in graph.nodes if n.label == "y"] == ["y", "y"]  # each assignment is a node


@pytest.mark.parametrize(
    "op, expected, dx", [("+=", 3.0 + 5.0, 2.0), ("-=", 3.0 - 5.0, 0.0), ("*=", 15.0, 8.0), ("/=", 0.6, 1 / 5 - 3 / 25)]
)
def test_augmented_assignment(op, expected, dx):
    # c = x; c op= x + 2 means c = c op (x + 2), with x = 3
    graph = evaluate(f"x = 3.0\nc = x\nc {op} x + 2")
    assert graph.output.data == pytest.approx(expected)
    assert graph.gradients()["x"] == pytest.approx(dx)


def test_micrograd_c_plus_equals_c_plus_1():
    # Python semantics: c = c + (c + 1), with the old c on both sides
    graph = evaluate("a = 2.0\nc = a\nc += c + 1")
    assert graph.output.data == 5.0 and graph.gradients() == {"a": 2.0}


def test_alias_assignment_is_a_node():
    graph = evaluate("a = 2.0\nb = a\nL = b * 3")
    labels = [(n.label, n.op.name) for n in graph.nodes]
    assert ("b", "id") in labels and graph.gradients() == {"a": 3.0}


def test_functions_and_constants():
    assert value("sin(pi/2) + cos(0) + tau/pi") == pytest.approx(4.0)
    assert value("max(1, 2) + min(1, 2) + pow(2, 10)") == 1027.0
    assert value("sigmoid(0) + softplus(0) + relu(-1) + abs(-2)") == pytest.approx(0.5 + math.log(2) + 2)
    assert value("sqrt(16) + exp(0) + log(1) + tanh(0) + atan(1)") == pytest.approx(5 + math.pi / 4)


def test_e_is_an_ordinary_name():
    assert value("e = 3.0\ne * 2") == 6.0


def test_variable_exponent_is_differentiable_in_both_operands():
    g = grads("y = x ** p", x=2.0, p=3.0)
    assert g["x"] == pytest.approx(12.0) and g["p"] == pytest.approx(8 * math.log(2))


def test_inputs_literals_bindings_and_override():
    graph = evaluate("a = 2.0\nf = -2.0\nL = a * f * b", {"b": 5.0})
    assert list(graph.inputs) == ["a", "f", "b"]
    assert graph.output.data == -20.0
    # the command line wins over the literal in the program
    graph = evaluate("a = 2.0\nL = a * a", {"a": 10.0})
    assert graph.output.data == 100.0 and graph.gradients() == {"a": 20.0}


def test_unused_binding_has_zero_gradient():
    graph = evaluate("y = x * x", {"x": 3.0, "z": 1.0})
    assert graph.unused == ["z"] and graph.gradients() == {"x": 6.0, "z": 0.0}


def test_input_not_reaching_output_has_zero_gradient():
    assert grads("a = 1.0\nb = 2.0\nc = a * 3\ny = b * b") == {"a": 0.0, "b": 4.0}


def test_of_picks_the_node():
    graph = evaluate("a = 2.0\nb = 3.0\nc = a * b\nd = c + a", of="c")
    assert graph.output_name == "c" and graph.gradients() == {"a": 3.0, "b": 2.0}


def test_of_unknown_name():
    with pytest.raises(UsageError, match="--of q"):
        evaluate("a = 2.0\nb = a * a", of="q")


def test_every_unbound_name_is_listed_at_once():
    with pytest.raises(NameError_) as info:
        evaluate("y = a * b + c * a", {"c": 1.0})
    assert "'a'" in info.value.message and "'b'" in info.value.message and "'c'" not in info.value.message


def test_use_before_assignment_is_unbound():
    with pytest.raises(NameError_, match="'a'"):
        evaluate("b = a * 2\na = 3.0")


@pytest.mark.parametrize(
    "src, match",
    [
        ("y = tanh(x, x)", "tanh takes 1 argument, got 2"),
        ("y = max(x)", "max takes 2 arguments, got 1"),
        ("y = tahn(x)", "unknown function 'tahn'"),
        ("pi = 3", "built-in"),
        ("exp = 3", "built-in"),
        ("y = exp + 1", "is a function"),
        ("x = 1.0\ny = x\nx = 2.0", "already has a value"),
    ],
)
def test_name_errors(src, match):
    with pytest.raises(NameError_, match=match):
        evaluate(src, {"x": 1.0} if "x = 1.0" not in src else {})


def test_unknown_function_suggests():
    with pytest.raises(NameError_) as info:
        evaluate("y = sigmod(x)", {"x": 1.0})
    assert info.value.hint == "did you mean 'sigmoid'?"


@pytest.mark.parametrize("src", ["y = (x", "y = x +", "y = * x", "y = x $ 2", "y = = 2", "y = x)", "f(,)", "a b"])
def test_syntax_errors_have_a_position(src):
    with pytest.raises(SyntaxError_) as info:
        evaluate(src, {"x": 1.0})
    assert info.value.line == 1 and info.value.column >= 1


@pytest.mark.parametrize(
    "src, match",
    [
        ("y = log(x - 1)", "undefined"),
        ("y = 1 / (x - 1)", "division by zero"),
        ("y = 9**9**9", "overflows"),
        ("y = 9**9**9**9", "overflows"),
        ("y = (-8) ** 0.333", "negative base"),
        ("y = sqrt(-x)", "undefined"),
        ("y = asin(x + 1)", "undefined"),
        ("y = exp(1000 * x)", "overflows"),
        ("y = 1e308 * 10 * x", "overflows"),
        ("y = 0 ** -x", "zero to a negative power"),
    ],
)
def test_math_errors(src, match):
    with pytest.raises(MathError, match=match) as info:
        evaluate(src, {"x": 1.0})
    assert info.value.exit_code == 3 and info.value.line == 1


def test_empty_program_is_an_error():
    for src in ["", "\n\n", "# only a comment\n"]:
        with pytest.raises(UsageError, match="empty"):
            evaluate(src)


@pytest.mark.parametrize(
    "text, expected",
    [("a=2", ("a", 2.0)), ("x=-1e-3", ("x", -1e-3)), ("t=pi/4", ("t", math.pi / 4)), (" w = 0.5 ", ("w", 0.5))],
)
def test_bindings(text, expected):
    assert parse_binding(text) == expected


@pytest.mark.parametrize("text", ["a", "=3", "a=", "a=foo", "1a=2", "a=nan", "a=inf", "a=b+1", "pi=3"])
def test_bad_bindings(text):
    with pytest.raises(BindingError):
        parse_bindings([text])


def test_binding_twice_is_an_error():
    with pytest.raises(BindingError, match="twice"):
        parse_bindings(["a=1", "a=2"])
