"""`diff --to latex`: the straight-line program (analysis/code_listing.py) written down, an
`aligned` environment (amsmath) with one line per statement: the temporaries (t_{1}, the
program's own names), the value, then one \\frac{\\partial L}{\\partial a} = ... line per derivative.

Names read as math: x1 is x_{1}, alpha is \\alpha, W[0,1] is W_{0,1}, a longer name is italic
(\\mathit{loss}); the numbers π, e, τ are \\pi, \\mathrm{e}, 2\\pi (upright e: a variable e stays
italic), 1e-300 is 10^{-300}.  Each op as core/latex_names.py writes it.
"""

from __future__ import annotations

import math
import re

from gradcli.analysis.code_gradcli import Text, expressions, number, swap
from gradcli.analysis.code_listing import Emission, Listing, Operand, inputs_and_what
from gradcli.core.formula import fmt
from gradcli.core.latex_names import latex
from gradcli.lang.elements import split_element

_GREEK = frozenset(
    """alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi rho sigma
    tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Sigma Upsilon Phi Psi Omega""".split()
)  # not pi: π is the constant
_ATOM = re.compile(r"(\\[A-Za-z]+|[A-Za-z]|\\mathit\{[^{}]*\})(_\{[^{}]*\})?|[0-9.]+")
_CONSTANTS = ((math.pi, r"\pi", 9), (math.e, r"\mathrm{e}", 9), (math.tau, r"2\pi", 5))


def rename(name: str) -> str:
    """LaTeX reserves no name: the printer writes each as a symbol (`symbol`)."""
    return name


def symbol(name: str) -> str:
    """A name as math: x1 -> x_{1}, x_max -> x_{\\mathrm{max}}, alpha -> \\alpha, loss -> \\mathit{loss},
    an array element W[0,1] -> W_{0,1}."""
    element = split_element(name)
    if element:
        return f"{symbol(element[0])}_{{{','.join(map(str, element[1]))}}}"
    numbered = re.fullmatch(r"([A-Za-z]+)([0-9]+)", name) or re.fullmatch(r"([A-Za-z]+)_([A-Za-z0-9]+)", name)
    if numbered and not numbered[1].endswith("_"):
        sub = numbered[2] if numbered[2].isdigit() or len(numbered[2]) == 1 else rf"\mathrm{{{numbered[2]}}}"
        return f"{_head(numbered[1])}_{{{sub}}}"
    if name.isalpha():
        return _head(name)
    return _italic(name)


def _head(letters: str) -> str:
    if len(letters) == 1:
        return letters
    return "\\" + letters if letters in _GREEK else _italic(letters)


def _italic(name: str) -> str:
    return r"\mathit{" + name.replace("_", r"\_") + "}"


def _number(x: float) -> Text:
    """A number as a mathematician writes it (non-finite refused, as the gradcli target does)."""
    number(x)
    sign, x = ("-", -x) if math.copysign(1.0, x) < 0 else ("", x)
    text, precedence = next(((t, p) for value, t, p in _CONSTANTS if x == value), (fmt(x), 9))
    if text[0].isdigit():
        if "e" in text:
            mantissa, exponent = text.split("e")
            power = f"10^{{{int(exponent)}}}"
            text, precedence = (power, 7) if mantissa == "1" else (rf"{mantissa} \times {power}", 5)
    return (sign + text, 6) if sign else (text, precedence)


def _symbols(listing: Listing, emission: Emission) -> dict[str, str]:
    """Every name of the listing -> its symbol: the derivatives as \\frac{\\partial ...}{...}, the
    others by `symbol`; a symbol two names would share goes to the second name in full."""
    by_label = {i.label: i.name for i in listing.inputs}
    out: dict[str, str] = {}
    used: set[str] = set()

    def add(name: str, text: str) -> None:
        if name not in out:
            text = text if text not in used else _italic(name)
            out[name] = text
            used.add(text)

    for i in listing.inputs:
        add(i.name, symbol(i.label))
    add(emission.value, symbol(emission.value))
    xs = [out[by_label[w]] for w in emission.wrt]
    value = out[emission.value]
    groups = list(emission.groups)
    if emission.bare:
        add(groups[0][0], _partial(value, [xs[0]] * emission.order))
    elif groups:
        for name, x in zip(groups[0], xs):
            add(name, _partial(value, [x]))
        if len(groups) > 1:
            pairs = [(a, b) for i, a in enumerate(xs) for b in xs[i:]]
            for name, pair in zip(groups[1], pairs):
                add(name, _partial(value, list(pair)))
    for step in listing.steps:
        if step.name is not None:
            add(step.name, symbol(step.name))
    for name, _ in listing.targets:
        add(name, symbol(name))
    return out


def _partial(value: str, xs: list[str]) -> str:
    """∂^k value / ∂x1 ∂x2 ...: repeated variables as powers, \\partial x^{2}."""
    k = len(xs)
    top = r"\partial " + value if k == 1 else rf"\partial^{{{k}}} {value}"
    counts: dict[str, int] = {}
    for x in xs:
        counts[x] = counts.get(x, 0) + 1
    bottom = r" \, ".join(rf"\partial {x}" + (f"^{{{n}}}" if n > 1 else "") for x, n in counts.items())
    return rf"\frac{{{top}}}{{{bottom}}}"


def _relabel(listing: Listing, sym: dict[str, str]) -> Listing:
    def operand(a: Operand) -> Operand:
        return sym[a] if isinstance(a, str) else a

    inputs = tuple(i._replace(name=sym[i.name]) for i in listing.inputs)
    steps = tuple(
        s._replace(name=None if s.name is None else sym[s.name], args=tuple(map(operand, s.args)))
        for s in listing.steps
    )
    return Listing(inputs, steps, tuple((sym[n], operand(a)) for n, a in listing.targets))


def _spell(step, args: list[Text]) -> Text:
    form = latex(step.op)
    if swap(step.op, step.args):
        args = args[::-1]  # 2 t_{3}, not t_{3} \cdot 2 (the same product)
    texts = []
    for (text, precedence), least in zip(args, form.least or (0,) * len(args)):
        bare = precedence >= least and not (least and texts and text.startswith("-"))  # a - (-b)
        if least == 9:  # a power's base: a name or a plain number only, never \frac{a}{b}^{2}
            bare = bool(_ATOM.fullmatch(text))
        texts.append(text if bare else rf"\left({text}\right)")
    if form.juxtapose and re.fullmatch(r"-?[0-9.]+", texts[0]) and re.match(r"[A-Za-z\\]", texts[1]):
        return f"{texts[0]} {texts[1]}", form.precedence  # 2 x, not 2 \cdot x
    if form.condition:  # the condition as a relation: "if a < b", or "if c \neq 0"
        cond = re.fullmatch(r"\\left\[(.*)\\right\]", texts[0])
        texts[0] = cond[1] if cond else rf"{texts[0]} \neq 0"
    return form.template.format(*texts), form.precedence


def latex_code(listing: Listing, emission: Emission) -> str:
    """A comment naming the inputs and what the lines compute, then the aligned environment."""
    sym = _symbols(listing, emission)
    body, _ = expressions(_relabel(listing, sym), _number, _spell)
    inputs, what = inputs_and_what(listing, emission)
    comment = [f"% {what}, from one straight-line body ({emission.command} --to latex)."]
    comment.append(f"% Inputs, in gradcli eval's gradients order: {inputs}.")
    at = [f"{i.name} = {fmt(i.value)}" for i in listing.inputs if not i.parameter]
    if at:
        comment.append(f"% At {', '.join(at)}.")
    lines = [rf"{name} &= {text} \\" for name, text in body]
    given = [i for i in listing.inputs if i.name == emission.value and not i.parameter]
    if given:  # the output is an input (y = 2): no statement computes it, so its line gives its number
        lines.insert(0, rf"{sym[emission.value]} &= {_number(given[0].value)[0]} \\")
    lines[-1] = lines[-1].removesuffix(r" \\")
    return "\n".join([*comment, r"\begin{aligned}", *lines, r"\end{aligned}"]) + "\n"
