"""`diff --to python` and `--to numpy`: the straight-line program (analysis/code_listing.py) as
one Python function returning the value and the derivatives.

python: pure, only `math`; each op as core/code_names.py spells it, gradcli's own formulas where
`math` has none (the same doubles as `gradcli eval`).  Where `math` or `/` fails (log of a
negative number, division by zero, exp's overflow), a ValueError with gradcli's message for the
op, its operands named x (x1, x2): "log(x) is undefined at x = -1".  An overflow of +, -, * gives
inf, as Python's floats do.
numpy: the same signature and returns, ufuncs and np.where for branches, broadcasting over array
arguments (every result has the broadcast shape; 0-d arrays become numpy scalars); where gradcli
raises, IEEE's result (NaN, or ±inf for a division by zero), no warnings.
"""

from __future__ import annotations

import builtins
import keyword

from gradcli.analysis.code_gradcli import Text, expressions, infix, literal, swap
from gradcli.analysis.code_listing import Emission, Listing, avoid, inputs_and_what, signature
from gradcli.core.code_names import spelling
from gradcli.core.formula import describe

_RESERVED = frozenset(
    keyword.kwlist + keyword.softkwlist + dir(builtins) + ["math", "np", "e", "pi", "tau", "inf", "nan"]
)

_TRY = '''def _fmt(v):
    s = repr(v)
    return s[:-2] if s.endswith(".0") else s


def _try(f, text, *xs):
    """f(), or a ValueError with gradcli's message where it fails."""
    try:
        return f()
    except (ArithmeticError, ValueError) as exc:
        at = ", ".join(f"{n} = {_fmt(v)}" for n, v in zip(("x",) if len(xs) == 1 else ("x1", "x2"), xs))
        if isinstance(exc, ZeroDivisionError):
            why = "division by zero"
        elif "**" in text and xs[0] == 0.0 and xs[1] < 0.0:
            why = "zero to a negative power"
        elif "**" in text and xs[0] < 0.0 and isinstance(exc, ValueError) and xs[1] != 0.0:
            why = "negative base with a fractional exponent"
        else:
            what = "overflows" if isinstance(exc, OverflowError) else "is undefined"
            raise ValueError(f"{text} {what} at {at}") from None
        raise ValueError(f"{why} in {text} ({at})") from None
'''
_FULL = """def _full(v, shape):
    return np.array(np.broadcast_to(v, shape), dtype=float)[()]


def _fit(v, shape):
    \"\"\"A step's own result as it is when it has the shape already (no copy), else _full.\"\"\"
    return v if type(v) is np.ndarray and v.ndim and v.shape == shape else _full(v, shape)
"""


def rename(name: str) -> str:
    """A name Python code may use for a variable: keywords, builtins, math, np, e, pi and names
    starting with _ (the helpers') get a trailing _."""
    return avoid(name, _RESERVED, ("_",))


def python_code(listing: Listing, emission: Emission, numpy: bool = False) -> str:
    """The module text: imports, the helpers the body calls, then the function."""
    helpers: dict[str, None] = {}
    printed: dict[str, str] = {}  # op name -> its helper's text (a printed definition reads its source once)
    target = "numpy" if numpy else "python"

    def spell(step, args: list[Text]) -> Text:
        op, sp = step.op, spelling(step.op)
        form = sp.numpy if numpy else sp.python
        if not form:
            return infix(op, args, swap(op, step.args))
        if op.name not in printed:
            printed[op.name] = sp.numpy_helper if numpy else sp.python_helper
        helper = printed[op.name]
        if helper:
            helpers.setdefault(helper)
        texts = [a[0] for a in args]
        if sp.raises and not numpy:
            xs = ["x"] if op.arity == 1 else [f"x{i + 1}" for i in range(op.arity)]
            helpers.setdefault(_TRY)
            helpers.setdefault(
                f"def _{op.name}({', '.join(xs)}):\n"
                f"    return _try(lambda: {form.format(*xs)}, {describe(op, xs)!r}, {', '.join(xs)})\n"
            )
            return f"_{op.name}({', '.join(texts)})", 9
        return form.format(*texts), 9

    body, _ = expressions(listing, literal, spell)
    indent = "        " if numpy else "    "
    lines = [f"{indent}{n} = {t}" for n, t in body]
    names = [i.name for i in listing.inputs]
    if numpy:
        helpers.setdefault(_FULL)
        lines = (
            [f"    {n} = np.asarray({n}, dtype=float)" for n in names] + ['    with np.errstate(all="ignore"):'] + lines
        )
        lines.append(f"    _shape = np.broadcast_shapes({', '.join(f'np.shape({n})' for n in names)})")
    out = _returned(emission, numpy, _fresh(listing) if numpy else set())
    head = f"def {emission.function}({signature(listing)}):"
    doc = _docstring(listing, emission, target)
    imports = "import math\n"  # numpy: only where a helper calls math (erf)
    if numpy:
        imports = ("import math\n\n" if any("math." in h for h in helpers) else "") + "import numpy as np\n"
    parts = [imports, *helpers, "\n".join([head, doc, *lines, f"    return {out}"]) + "\n"]
    return "\n\n".join(parts)


def _fresh(listing: Listing) -> set[str]:
    """The returned names whose value is an array this function computed and returns once (a
    step's result, not an input's array, a number or a copy `t = a`): returned without a copy."""
    ops = {step.key: step.op.name for step in listing.steps}
    fresh, seen = set(), set()
    for name, operand in listing.targets:
        if isinstance(operand, int) and ops[operand] != "id" and operand not in seen:
            fresh.add(name)
        seen.add(operand)
    return fresh


def _returned(emission: Emission, numpy: bool, fresh: set[str] = frozenset()) -> str:
    def one(n: str) -> str:
        return (f"_fit({n}, _shape)" if n in fresh else f"_full({n}, _shape)") if numpy else n

    def group(g: tuple[str, ...]) -> str:
        return one(g[0]) if emission.bare else "(" + ", ".join(map(one, g)) + ("," if len(g) == 1 else "") + ")"

    return ", ".join([one(emission.value), *map(group, emission.groups)])


def _docstring(listing: Listing, emission: Emission, target: str) -> str:
    inputs, what = inputs_and_what(listing, emission)
    returns = _returned(emission, False)
    lines = [f'    """{what}, from one straight-line body ({emission.command} --to {target}).', ""]
    lines += [f"    Inputs, in gradcli eval's gradients order: {inputs}.", f"    Returns: {returns}"]
    if emission.suffix == "hessian":
        lines.append("    (the gradient, then the Hessian's upper triangle, row by row)")
    if target == "numpy":
        lines.append("    Arrays broadcast; where gradcli raises a math error, NaN (or inf) instead.")
    return "\n".join(lines + ['    """'])
