"""`diff --to c`: the straight-line program (analysis/code_listing.py) as one C99 function,
`double L_grad(const double *in, double *d)`: `in` holds the inputs in gradcli eval's gradients
order, `d` receives the derivatives in the python target's order (L_hessian: the gradient, then
the Hessian's upper triangle row by row); it returns the value.

Only math.h; each op as core/code_names.py spells it, gradcli's own formulas (sech, sigmoid,
softplus, cbrt, ...) as static functions gc_NAME: the same doubles as `gradcli eval` where the C
library is the one Python's math uses, compiled without -ffast-math.  Where gradcli raises a math
error, IEEE's result (NaN, or ±inf for an overflow or a division by zero).  Names that are C
keywords, math.h's, or start with gc_ get a trailing _.
"""

from __future__ import annotations

from gradcli.analysis.code_gradcli import Text, expressions, infix, literal, swap
from gradcli.analysis.code_listing import Emission, Listing, avoid, inputs_and_what
from gradcli.core.code_names import spelling

_KEYWORDS = """auto break case char const continue default do double else enum extern float for goto if inline
int long register restrict return short signed sizeof static struct switch typedef union unsigned void volatile
while _Bool _Complex _Imaginary bool complex imaginary true false NULL in d main"""
_MATH_H = """acos acosh asin asinh atan atan2 atanh cbrt ceil copysign cos cosh erf erfc exp exp2 expm1 fabs fdim
floor fma fmax fmin fmod frexp hypot ilogb ldexp lgamma llrint llround log log10 log1p log2 logb lrint lround modf
nan nearbyint nextafter nexttoward pow remainder remquo rint round scalbln scalbn sin sinh sqrt tan tanh tgamma
trunc isnan isinf isfinite signbit fpclassify isnormal INFINITY NAN HUGE_VAL HUGE_VALF HUGE_VALL M_PI M_E errno"""
_RESERVED = frozenset((_KEYWORDS + " " + _MATH_H).split())


def rename(name: str) -> str:
    """A name C code may use for a variable: keywords, math.h's names, `in`, `d`, and names
    starting with gc_ (the helpers') or _ get a trailing _."""
    return avoid(name, _RESERVED, ("gc_", "_"))


def c_code(listing: Listing, emission: Emission) -> str:
    """The translation unit: math.h, the helpers the body calls, then the function."""
    helpers: dict[str, None] = {}

    def spell(step, args: list[Text]) -> Text:
        op, sp = step.op, spelling(step.op)
        if not sp.c:
            return infix(op, args, swap(op, step.args))
        if sp.c_helper:
            helpers.setdefault(sp.c_helper)
        return sp.c.format(*(a[0] for a in args)), 9

    body, _ = expressions(listing, literal, spell)
    derivatives = [n for group in emission.groups for n in group]
    needed = [(k, i) for k, i in enumerate(listing.inputs) if i.needed]
    lines = [f"    const double {i.name} = in[{k}];" for k, i in needed] or ["    (void)in;"]
    lines += [f"    const double {n} = {t};" for n, t in body]
    lines += [f"    d[{k}] = {n};" for k, n in enumerate(derivatives)]
    if not derivatives:  # the value alone (taylor's polynomial)
        lines.append("    (void)d;")
    head = f"double {emission.function}(const double *in, double *d) {{"
    closing = [f"    return {emission.value};", "}"]
    function = "\n".join([*_comment(listing, emission, derivatives), head, *lines, *closing])
    return "\n".join(["#include <math.h>\n", *helpers, function + "\n"])


def _comment(listing: Listing, emission: Emission, derivatives: list[str]) -> list[str]:
    inputs, what = inputs_and_what(listing, emission)
    lines = [
        f"/* {what}, from one straight-line body ({emission.command} --to c).",
        f"   in[{len(listing.inputs)}]: {inputs} (gradcli eval's gradients order).",
        f"   d[{len(derivatives)}] receives: {', '.join(derivatives)}." if derivatives else "   d is not used.",
    ]
    if emission.suffix == "hessian":
        lines.append("   (the gradient, then the Hessian's upper triangle, row by row)")
    lines.append(f"   Returns {emission.value}.  Where gradcli raises a math error: NaN, or inf.")
    lines.append("   C99, math.h only; compile without -ffast-math to get gradcli's doubles. */")
    return lines
