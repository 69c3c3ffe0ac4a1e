"""The JavaScript helper functions `diff --to javascript` prints (core/code_names.py spells each op
with them): gradcli's own formulas where `Math` has none or computes otherwise.  Top-level blocks
separated by a blank line; the printer writes each block once (a module may not declare a name twice).

- erf, erfc: JavaScript has none.  fdlibm's algorithm (Sun Microsystems, 1993: "Permission to use,
  copy, modify, and distribute this software is freely granted, provided that this notice is
  preserved"; the printed code carries the notice), the rational approximations and the
  evaluation order of glibc's dbl-64 s_erf.c, which
  is what Python's math.erf calls on glibc systems: the same doubles except where its exp (V8's
  Math.exp, not glibc's) differs by an ulp, for |x| >= 1.25.  fdlibm reads the high word of x; here
  the same comparisons against the doubles those words stand for, and z = x with its low word
  cleared is x truncated to 21 significant bits (exact scalings by powers of 2).
- hypot: CPython 3.11's math.hypot (as the C target's gc_hypot), not Math.hypot (V8 sums squares
  otherwise: an ulp apart).  frexp's exponent from Math.log2, corrected (Math.pow(2, k) is exact).
- round: half to even (Math.round rounds half up); floor/ceil/round give +0 where Python's
  float(int) does.
- cbrt, sech, sigmoid, softplus, sign, relu, min, max: core/floatmath.py's formulas.
"""

from __future__ import annotations

_TINY = repr(2.0**-1022)

JS_SECH = """function gc_sech(x) {
    const a = Math.abs(x);
    return a < 710.0 ? 1.0 / Math.cosh(a) : 2.0 * Math.exp(-a);
}
"""
JS_SIGMOID = """function gc_sigmoid(x) {
    if (x >= 0) return 1.0 / (1.0 + Math.exp(-x));
    const z = Math.exp(x);
    return z / (1.0 + z);
}
"""
JS_SOFTPLUS = """function gc_softplus(x) {
    return (0.0 > x ? 0.0 : x) + Math.log1p(Math.exp(-Math.abs(x)));
}
"""
JS_SIGN = """function gc_sign(x) {
    return x > 0.0 ? 1.0 : x < 0.0 ? -1.0 : x !== x ? x : 0.0;
}
"""
JS_RELU = "function gc_relu(x) {\n    return x > 0.0 ? x : 0.0;\n}\n"
JS_MIN = "function gc_min(x, y) {\n    return x <= y ? x : y;\n}\n"
JS_MAX = "function gc_max(x, y) {\n    return x >= y ? x : y;\n}\n"
JS_ROUND = """function gc_round(x) {
    // half to even: Math.round rounds a tie up; r - x is exact (Sterbenz)
    const r = Math.round(x);
    return (r - x === 0.5 && r % 2 !== 0 ? r - 1 : r) + 0;
}
"""
JS_CBRT = f"""function gc_cbrt(x) {{
    const a = Math.abs(x);
    if (a < {2.0**-900!r}) {{
        // r*r*r below would be subnormal: cbrt(a) = cbrt(a 2^300) 2^-100
        if (a === 0) return x;
        const t = gc_cbrt(a * {2.0**300!r}) * {2.0**-100!r};
        return x < 0 ? -t : t;
    }}
    let r = Math.pow(a, {1.0 / 3.0!r});
    if (r !== Infinity) r -= (r * r * r - a) / (3.0 * r * r);  // one Newton step
    return x < 0 ? -r : r;
}}
"""
JS_HYPOT = f"""function gc_hypot(x, y) {{
    // math.hypot as CPython 3.11 computes it (correctly rounded in practice), not Math.hypot
    const ax = Math.abs(x), ay = Math.abs(y), m = ax > ay ? ax : ay;
    if (ax === Infinity || ay === Infinity) return Infinity;
    if (ax !== ax || ay !== ay) return NaN;
    if (m === 0) return m;
    if (m < {2.0**-1024!r}) return {_TINY} * gc_hypot(ax / {_TINY}, ay / {_TINY});
    let e = Math.floor(Math.log2(m)) + 1;  // frexp's exponent: m = f 2^e, 0.5 <= f < 1
    if (m * Math.pow(2, -e) >= 1) e += 1;
    else if (m * Math.pow(2, -e) < 0.5) e -= 1;
    const s = Math.pow(2, -e), v = [ax * s, ay * s];
    let csum = 1.0, f1 = 0.0, f2 = 0.0, h = 0.0;
    for (let i = 0; i < 3; i++) {{
        // csum + f1 + f2 += a*b, exactly (Dekker's product): the squares, then -h*h
        const a = i < 2 ? v[i] : -h, b = i < 2 ? v[i] : h, ta = a * 134217729.0, tb = b * 134217729.0;
        const ah = ta - (ta - a), al = a - ah, bh = tb - (tb - b), bl = b - bh;
        const p = ah * bh, q = ah * bl + al * bh, z = p + q, zz = p - z + q + al * bl, hi = csum + z;
        f2 += csum - hi + z;
        f1 += zz;
        csum = hi;
        if (i === 1) h = Math.sqrt(csum - 1.0 + (f1 + f2));
    }}
    return (h + (csum - 1.0 + (f1 + f2)) / (2.0 * h)) / s;
}}
"""

# fdlibm's erf/erfc pieces, shared by both (one block each)
_ERF_SMALL = """// gc_erf_*, gc_erf, gc_erfc: fdlibm's s_erf.c (its algorithm, coefficients and evaluation order).
// Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
// Developed at SunSoft, a Sun Microsystems, Inc. business.
// Permission to use, copy, modify, and distribute this software is freely granted,
// provided that this notice is preserved.
function gc_erf_small(z) {
    // erf(x) = x + x*R(x*x) on |x| < 0.84375; this returns R(z) = r/s, z = x*x
    const z2 = z * z, z4 = z2 * z2;
    const r1 = 1.28379167095512558561e-01 + z * -3.25042107247001499370e-01;
    const r2 = -2.84817495755985104766e-02 + z * -5.77027029648944159157e-03;
    const s1 = 1.0 + z * 3.97917223959155352819e-01;
    const s2 = 6.50222499887672944485e-02 + z * 5.08130628187576562776e-03;
    const s3 = 1.32494738004321644526e-04 + z * -3.96022827877536812320e-06;
    return (r1 + z2 * r2 + z4 * -2.37630166566501626084e-05) / (s1 + z2 * s2 + z4 * s3);
}
"""
_ERF_MID = """function gc_erf_mid(s) {
    // erf(1 + s) - erx on 0.84375 <= |x| < 1.25, s = |x| - 1: P/Q
    const s2 = s * s, s4 = s2 * s2, s6 = s4 * s2;
    const p1 = -2.36211856075265944077e-03 + s * 4.14856118683748331666e-01;
    const q1 = 1.0 + s * 1.06420880400844228286e-01;
    const p2 = -3.72207876035701323847e-01 + s * 3.18346619901161753674e-01;
    const q2 = 5.40397917702171048937e-01 + s * 7.18286544141962662868e-02;
    const p3 = -1.10894694282396677476e-01 + s * 3.54783043256182359371e-02;
    const q3 = 1.26171219808761642112e-01 + s * 1.36370839120290507362e-02;
    const p = p1 + s2 * p2 + s4 * p3 + s6 * -2.16637559486879084300e-03;
    return p / (q1 + s2 * q2 + s4 * q3 + s6 * 1.19844998467991074170e-02);
}
"""
_ERF_TAIL = """function gc_erf_tail(x, cut) {
    // erfc(x) = exp(-x*x - 0.5625 + R/S)/x on 1.25 <= x < 28; R/S in 1/x^2, one fit below cut (~1/0.35)
    const s = 1.0 / (x * x), s2 = s * s, s4 = s2 * s2, s6 = s4 * s2;
    let r, q;
    if (x < cut) {
        const r1 = -9.86494403484714822705e-03 + s * -6.93858572707181764372e-01;
        const q1 = 1.0 + s * 1.96512716674392571292e+01;
        const r2 = -1.05586262253232909814e+01 + s * -6.23753324503260060396e+01;
        const q2 = 1.37657754143519042600e+02 + s * 4.34565877475229228821e+02;
        const r3 = -1.62396669462573470355e+02 + s * -1.84605092906711035994e+02;
        const q3 = 6.45387271733267880336e+02 + s * 4.29008140027567833386e+02;
        const r4 = -8.12874355063065934246e+01 + s * -9.81432934416914548592e+00;
        const q4 = 1.08635005541779435134e+02 + s * 6.57024977031928170135e+00;
        r = r1 + s2 * r2 + s4 * r3 + s6 * r4;
        q = q1 + s2 * q2 + s4 * q3 + s6 * q4 + s4 * s4 * -6.04244152148580987438e-02;
    } else {
        const r1 = -9.86494292470009928597e-03 + s * -7.99283237680523006574e-01;
        const q1 = 1.0 + s * 3.03380607434824582924e+01;
        const r2 = -1.77579549177547519889e+01 + s * -1.60636384855821916062e+02;
        const q2 = 3.25792512996573918826e+02 + s * 1.53672958608443695994e+03;
        const r3 = -6.37566443368389627722e+02 + s * -1.02509513161107724954e+03;
        const q3 = 3.19985821950859553908e+03 + s * 2.55305040643316442583e+03;
        const q4 = 4.74528541206955367215e+02 + s * -2.24409524465858183362e+01;
        r = r1 + s2 * r2 + s4 * r3 + s6 * -4.83519191608651397019e+02;
        q = q1 + s2 * q2 + s4 * q3 + s6 * q4;
    }
    // z: x with its low 32 bits cleared (21 significant bits), so that -z*z is exact
    const k = x < 2 ? 1048576 : x < 4 ? 524288 : x < 8 ? 262144 : x < 16 ? 131072 : 65536;
    const z = Math.trunc(x * k) / k;
    return Math.exp(-z * z - 0.5625) * Math.exp((z - x) * (z + x) + r / q) / x;
}
"""
_ERX = "8.45062911510467529297e-01"  # erf(1) rounded to single precision
JS_ERF = f"""{_ERF_SMALL}
{_ERF_MID}
{_ERF_TAIL}
function gc_erf(x) {{
    // fdlibm's erf (glibc's s_erf.c)
    const a = Math.abs(x);
    if (a !== a) return x;
    if (a < 0.84375) {{
        if (a < 2.848094538889218e-306) return 0.0625 * (16.0 * x + 2.0540666735282014 * x);
        if (a < 3.725290298461914e-09) return x + 1.28379167095512586316e-01 * x;
        return x + x * gc_erf_small(x * x);
    }}
    if (a < 1.25) return x >= 0 ? {_ERX} + gc_erf_mid(a - 1.0) : -{_ERX} - gc_erf_mid(a - 1.0);
    if (a >= 6.0) return x >= 0 ? 1.0 : -1.0;
    return x >= 0 ? 1.0 - gc_erf_tail(a, 2.8571434020996094) : gc_erf_tail(a, 2.8571434020996094) - 1.0;
}}
"""
JS_ERFC = f"""{_ERF_SMALL}
{_ERF_MID}
{_ERF_TAIL}
function gc_erfc(x) {{
    // fdlibm's erfc (glibc's s_erf.c)
    const a = Math.abs(x);
    if (a !== a) return x;
    if (a < 0.84375) {{
        if (a < 1.3877787807814457e-17) return 1.0 - x;
        const y = gc_erf_small(x * x);
        if (x < 0.25) return 1.0 - (x + x * y);
        return 0.5 - (x * y + (x - 0.5));
    }}
    if (a < 1.25) return x >= 0 ? 1.0 - {_ERX} - gc_erf_mid(a - 1.0) : 1.0 + ({_ERX} + gc_erf_mid(a - 1.0));
    if (a >= 28.0) return x > 0 ? 0.0 : 2.0;
    if (x <= -6.0) return 2.0;
    return x > 0 ? gc_erf_tail(a, 2.8571414947509766) : 2.0 - gc_erf_tail(a, 2.8571414947509766);
}}
"""
