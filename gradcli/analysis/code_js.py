"""`diff --to javascript`: the straight-line program (analysis/code_listing.py) as one ES module
function, `export function L_grad(a, b, c = 2.0)` returning `[L, [dL_da, dL_db, dL_dc]]`
(L_hessian: `[L, [gradient], [Hessian's upper triangle, row by row]]`; y_d3: `[y, d3y_dx3]`).
The inputs in gradcli eval's gradients order; the trailing ones with a value have it as their
default (python's rule).  No imports: only `Math`.

Each op as core/code_names.py spells it; gradcli's own formulas (sech, sigmoid, softplus, cbrt,
round half to even, ...), CPython's hypot and fdlibm's erf/erfc as functions gc_NAME
(core/code_js_helpers.py).  Measured against `gradcli eval` (tests/test_codegen_js.py): V8's
Math.exp/log/sin/pow/... are fdlibm ports, not glibc's, so results may differ from eval by an
ulp or a few (JS_ULPS there); where gradcli raises a math error, IEEE's result (NaN, or ±Infinity
for an overflow or a division by zero).  Names that are JavaScript's reserved words, strict mode's
restricted names (eval, arguments), the globals the code reads or that would shadow confusingly
(Math, NaN, Infinity, undefined, ...), or start with gc_ (the helpers') get a trailing _.
"""

from __future__ import annotations

from gradcli.analysis.code_gradcli import Text, expressions, infix, literal, swap
from gradcli.analysis.code_listing import Emission, Listing, avoid, inputs_and_what, signature
from gradcli.core.code_names import spelling

_KEYWORDS = """await break case catch class const continue debugger default delete do else enum export extends
false finally for function if import in instanceof new null return super switch this throw true try typeof var
void while with yield let static implements interface package private protected public arguments eval"""
_GLOBALS = """Math NaN Infinity undefined Number Object Array String Boolean Symbol BigInt JSON Date Error
globalThis isNaN isFinite parseFloat parseInt"""
_RESERVED = frozenset((_KEYWORDS + " " + _GLOBALS).split())


def rename(name: str) -> str:
    """A name JavaScript code may use for a variable: reserved words, eval, arguments, the
    globals above, and names starting with gc_ (the helpers') get a trailing _."""
    return avoid(name, _RESERVED, ("gc_",))


def js_code(listing: Listing, emission: Emission) -> str:
    """The module text: the helpers the body calls (each top-level block once), then the function."""
    helpers: dict[str, None] = {}

    def spell(step, args: list[Text]) -> Text:
        op, sp = step.op, spelling(step.op)
        if not sp.javascript:
            return infix(op, args, swap(op, step.args))
        for block in sp.js_helper.split("\n\n"):
            if block.strip():
                helpers.setdefault(block.strip() + "\n")
        return sp.javascript.format(*(a[0] for a in args)), 9

    body, _ = expressions(listing, literal, spell)
    lines = [f"    const {n} = {t};" for n, t in body]
    head = f"export function {emission.function}({signature(listing, ' = ')}) {{"
    returned = f"    return {_returned(emission)};"
    function = "\n".join([*_comment(listing, emission), head, *lines, returned, "}"]) + "\n"
    return "\n".join([*helpers, function])


def _returned(emission: Emission) -> str:
    groups = [g[0] if emission.bare else "[" + ", ".join(g) + "]" for g in emission.groups]
    if not groups:  # the value alone (taylor's polynomial), as python returns it
        return emission.value
    return "[" + ", ".join([emission.value, *groups]) + "]"


def _comment(listing: Listing, emission: Emission) -> list[str]:
    inputs, what = inputs_and_what(listing, emission)
    lines = [
        "/**",
        f" * {what}, from one straight-line body ({emission.command} --to javascript).",
        " *",
        f" * Inputs, in gradcli eval's gradients order: {inputs}.",
        f" * Returns: {_returned(emission)}",
    ]
    if emission.suffix == "hessian":
        lines.append(" * (the gradient, then the Hessian's upper triangle, row by row)")
    lines.append(" * Where gradcli raises a math error: NaN, or ±Infinity.  Only Math; no imports.")
    return lines + [" */"]
