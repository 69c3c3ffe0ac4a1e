"""`gradcli diff --to latex` (issue 21; DESIGN §7.1): an `aligned` environment, one line per
statement, \\frac{\\partial L}{\\partial a} = ... per derivative, temporaries named.

Oracles: SymPy's own LaTeX parser (sympy.parsing.latex, the lark backend) reads the lines back, and
the chain of statements, evaluated at random points, equals `gradcli eval`'s value and gradient (to
1e-12 relative; the numbers are printed with 17 digits); matplotlib's mathtext parses every line of
every program of tests/every_op_programs.py (where the plot extra is installed)."""

import math
import random
import re

import pytest
import sympy as sp
from every_op_programs import PROGRAMS
from test_codegen_python import eval_at

from gradcli import session
from gradcli.analysis.code_latex import symbol
from gradcli.analysis.diff import value_code
from gradcli.core.latex_names import LATEX, latex
from gradcli.core.ops import OPS
from gradcli.session import Request, Source


def latex_of(text: str, order: int = 1, wrt=None, texts=()) -> str:
    g, free = session.diff_graph(Source(text), list(texts), Request())
    return session.diff(g, wrt, order, False, free, "latex")


def lines(code: str) -> list[tuple[str, str]]:
    """The aligned environment's lines as (left, right) sides."""
    body = code.split("\\begin{aligned}\n", 1)[1].split("\n\\end{aligned}", 1)[0]
    return [tuple(line.removesuffix(" \\\\").split(" &= ", 1)) for line in body.splitlines()]


def test_every_op_has_a_latex_form_reading_its_operands():
    assert set(LATEX) == set(OPS)
    for op in OPS:
        form = latex(op)
        assert all(f"{{{i}}}" in form.template for i in range(op.arity)), op.name
        assert len(form.least) in (0, op.arity), op.name


def test_the_example_reads_as_math():
    assert latex_of("L = a*b + sin(a)", texts=["a=1", "b=2"]) == (
        "% L and its gradient, from one straight-line body (gradcli diff --to latex).\n"
        "% Inputs, in gradcli eval's gradients order: a, b.\n"
        "% At a = 1, b = 2.\n"
        "\\begin{aligned}\n"
        "L &= a \\cdot b + \\sin\\left(a\\right) \\\\\n"
        "\\frac{\\partial L}{\\partial a} &= \\cos\\left(a\\right) + b \\\\\n"
        "\\frac{\\partial L}{\\partial b} &= a\n"
        "\\end{aligned}\n"
    )


def test_hessian_and_nth_derivative_names():
    hessian = [left for left, _ in lines(latex_of("L = (a*b + c) * f", order=2))]
    assert hessian[-3:] == [
        "\\frac{\\partial^{2} L}{\\partial c^{2}}",
        "\\frac{\\partial^{2} L}{\\partial c \\, \\partial f}",
        "\\frac{\\partial^{2} L}{\\partial f^{2}}",
    ]
    assert len([h for h in hessian if "partial^{2}" in h]) == 10  # 4 inputs: the upper triangle
    third = lines(latex_of("y = x**3 * exp(-x)", order=3, wrt=["x"]))
    assert third[-1][0] == "\\frac{\\partial^{3} y}{\\partial x^{3}}"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("x", "x"),
        ("x1", "x_{1}"),
        ("w12", "w_{12}"),
        ("x_max", "x_{\\mathrm{max}}"),
        ("x_0", "x_{0}"),
        ("alpha", "\\alpha"),
        ("alpha1", "\\alpha_{1}"),
        ("Delta", "\\Delta"),
        ("pi", "\\mathit{pi}"),  # π is the constant
        ("loss", "\\mathit{loss}"),
        ("my_var_2", "\\mathit{my\\_var\\_2}"),
        ("W[0,1]", "W_{0,1}"),
        ("x[2]", "x_{2}"),
    ],
)
def test_names_read_as_math_symbols(name, expected):
    assert symbol(name) == expected


def test_constants_and_numbers_read_as_math():
    """pi and tau are gradcli's constants; e is a name (italic), Euler's number upright."""
    rhs = lines(latex_of("y = pi*x + e*x + tau + 1e-300*x + 2.5e20*x + 2.718281828459045*x", texts=["e=2"]))
    value = next(r for left, r in rhs if left == "y")
    assert value == (
        "\\pi \\cdot x + e \\cdot x + 2\\pi + 10^{-300} \\cdot x + 2.5 \\times 10^{20} \\cdot x + \\mathrm{e} \\cdot x"
    )


def test_two_names_one_symbol_keep_apart():
    """x1 and x_1 would both read x_{1}: the second is written in full."""
    code = latex_of("y = x1*x_1", texts=["x1=2", "x_1=3"])
    derivatives = [left for left, _ in lines(code)][-2:]
    assert derivatives == ["\\frac{\\partial y}{\\partial x_{1}}", "\\frac{\\partial y}{\\partial \\mathit{x\\_1}}"]


def test_signs_and_powers_are_parenthesized_as_math_needs():
    def value(text):  # the value alone (no derivative shares its sub-expressions)
        g, _ = session.diff_graph(Source(text), [], Request())
        return next(r for left, r in lines(value_code(g, "latex")) if left == "y")

    assert value("y = (-x)**2") == "\\left(-x\\right)^{2}"
    assert value("y = -x**2") == "-x^{2}"
    assert value("y = (x/2)**3") == "\\left(\\frac{x}{2}\\right)^{3}"
    assert value("y = x - (x*x - 1)") == "x - \\left(x \\cdot x - 1\\right)"
    assert value("y = x*(-3)") == "x \\cdot \\left(-3\\right)"


SYMPY_PROGRAMS = [
    "L = a*b + sin(a)",
    "y = x*sin(x) + x/(1 + x) - x**3",
    "L = exp(-a*b) + log(a + b) + sqrt(a*b)",
    "y = tan(a/2) + sqrt(a/3) - b/(a - 3)",
    "y = log10(a) + log2(b) + log1p(a*b) + expm1(-a) + cbrt(a*b)",
    "y = a**2.5 + b**2 - (-a) + (a - 2*b)**2",
    "t = a*b\nu = t + sin(t)\ny = u*u/t",
    "z = a\ny = z*pi + tau*b + z**3",
    "L = exp(w1*x1 + w2*x2 + b) * c",
    "y = exp(sin(a)*cos(b)) * sin(a)*cos(b) + (a*b)**2",
]


def grouped(text: str) -> str:
    """Each call \\name\\left(...\\right) in braces: SymPy's LaTeX grammar reads \\cos\\left(a\\right) + b
    as cos(a) + b or cos(a + b) (an ambiguous parse) without them."""
    out, stack, i = [], [], 0
    while i < len(text):
        call = re.match(r"\\[A-Za-z]+(_\{[0-9]+\})?\\left\(", text[i:])
        if call:
            out.append("{" + call[0])
            stack.append(True)
            i += len(call[0])
        elif text.startswith("\\left(", i):
            out.append("\\left(")
            stack.append(False)
            i += 6
        elif text.startswith("\\right)", i):
            out.append("\\right)" + ("}" if stack.pop() else ""))
            i += 7
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def sympy_chain(code: str, point: dict) -> dict[str, float]:
    """Every line's left side -> its value: each right side read by SymPy's LaTeX parser and
    evaluated with the values of the inputs and of the lines above it (30 digits)."""
    from sympy.parsing.latex import parse_latex

    named = {}  # a derivative's \frac{...}{...} -> a plain symbol D_{k}, for the parser

    def plain(text: str) -> str:
        for long, short in named.items():
            text = text.replace(long, short)
        text = text.replace("\\mathrm{e}", "E_{u}").replace("\\pi", "P_{i}")
        # the parser takes one-digit subscripts only: t_{12} as t_{bc}
        abc = "abcdefghij"
        return re.sub(r"(?<!\\log)_\{([0-9]{2,})\}", lambda m: "_{" + "".join(abc[int(c)] for c in m[1]) + "}", text)

    def read(text: str) -> sp.Expr:
        """SymPy's reading; where its grammar finds several, the ones that are expressions
        without unknown functions (not `2 \\left(` as 2 <= f t(...)), which must agree."""
        tree = parse_latex(grouped(plain(text)), backend="lark")
        if isinstance(tree, sp.Basic):
            return tree
        readings = [c for c in tree.children if isinstance(c, sp.Expr) and not c.atoms(sp.core.function.AppliedUndef)]
        assert readings and all(sp.simplify(r - readings[0]) == 0 for r in readings), tree.pretty()
        return readings[0]

    env = {sp.Symbol("E_{u}"): sp.E, sp.Symbol("P_{i}"): sp.pi}
    for label, v in point.items():
        env[read(symbol(label))] = sp.Float(v, 30)
    values = {}
    for left, right in lines(code):
        if left.startswith("\\frac"):
            named[left] = f"D_{{{len(named)}}}"
        value = sp.N(read(right).subs(env), 30)
        env[read(left)] = value
        values[left] = float(value)
    return values


@pytest.mark.parametrize("text", SYMPY_PROGRAMS)
def test_sympy_reads_the_lines_back_to_evals_value_and_gradient(text):
    g, _ = session.diff_graph(Source(text), [], Request())
    names = list(g.inputs)
    code = latex_of(text)
    rng = random.Random(text)
    for _ in range(5):
        point = {k: rng.uniform(0.2, 1.8) for k in names}
        value, gradients = eval_at(text, point)
        got = sympy_chain(code, point)
        output = g.output_name
        assert math.isclose(got[symbol(output)], value, rel_tol=1e-12, abs_tol=1e-300)
        for k, expected in gradients.items():
            key = f"\\frac{{\\partial {symbol(output)}}}{{\\partial {symbol(k)}}}"
            assert math.isclose(got[key], expected, rel_tol=1e-12, abs_tol=1e-14), (k, got[key], expected)


def test_sympy_reads_a_hessian_back_to_gradcli_hessian():
    text = "y = exp(sin(a)*cos(b)) * sin(a)*cos(b) + (a*b)**2"
    point = {"a": 0.7, "b": 1.3}
    h = session.hessian(session.evaluate(Source(text), ["a=0.7", "b=1.3"], Request()))
    got = sympy_chain(latex_of(text, order=2), point)
    pairs = [("a", "a"), ("a", "b"), ("b", "b")]
    for (i, j), (r, c) in zip(pairs, [(0, 0), (0, 1), (1, 1)]):
        bottom = f"\\partial {i}^{{2}}" if i == j else f"\\partial {i} \\, \\partial {j}"
        key = f"\\frac{{\\partial^{{2}} y}}{{{bottom}}}"
        assert math.isclose(got[key], h.matrix[r][c], rel_tol=1e-12), key


def for_mathtext(side: str) -> str:
    """One side as mathtext can read it: it has no environments, so a cases block is written
    \\left\\{ A \\quad \\mathrm{if} C ;\\ B ... \\right. (the same pieces, in the same places)."""
    side = side.replace("\\begin{cases}", "\\left\\{").replace("\\end{cases}", "\\right.")
    side = side.replace(" & ", " \\quad ").replace(" \\\\ ", " ;\\ ")
    return side.replace("\\text{if }", "\\mathrm{if}\\ ").replace("\\text{otherwise}", "\\mathrm{otherwise}")


@pytest.mark.parametrize("order", [1, 2])
def test_every_line_of_every_program_renders_with_mathtext(order):
    mathtext = pytest.importorskip("matplotlib.mathtext", reason="the plot extra (matplotlib) is not installed")
    parser = mathtext.MathTextParser("path")
    for text in PROGRAMS:
        for left, right in lines(latex_of(text, order=order)):
            parser.parse(f"${left} = {for_mathtext(right)}$")


def test_cli_to_latex(gradcli):
    result = gradcli("diff", "L = a*b + sin(a)", "--to", "latex")
    assert result.exit_code == 0, result.stderr
    assert "\\frac{\\partial L}{\\partial a} &= \\cos\\left(a\\right) + b \\\\" in result.stdout
    assert result.stdout.rstrip().endswith("\\end{aligned}")


def test_an_output_that_is_an_input_still_has_its_line():
    """taylor's polynomial of a constant is `y_taylor = 2`, an input: the environment was empty
    (an IndexError); the value's line gives its number, as diff's own lines do for a constant output."""
    g, _ = session.diff_graph(Source("x = 1\ny_taylor = 2"), [], Request())
    assert lines(value_code(g, "latex")) == [("y_{\\mathrm{taylor}}", "2")]
    assert ("y", "2") in lines(latex_of("y = 2", texts=["x=1"]))
