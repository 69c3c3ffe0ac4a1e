"""Issue 20 (hardening 2), the uncertainty items: each test failed before its fix.

- item 1: an array output with uncertain inputs reported the last element's value with the
  uncertainty of sum(y); now every element's value ± u and the outputs' correlation matrix
  (JCGM 102: U_y = J U_x Jᵀ), Monte Carlo per element;
- item 10: a Monte Carlo run with invalid samples printed a NaN interval (with --allow-nonfinite);
- item 28: the uncertainty JSON's `standard` and the output node's `u` differed by an ulp;
- item 32: --order 2 used the normal distribution's fourth moment for rect and tri inputs.
"""

from __future__ import annotations

import json
import math

import mpmath
import numpy as np
import pytest
import sympy as sp


def unc(gradcli, *args):
    """eval's JSON `uncertainty` (exit 0 asserted)."""
    result = gradcli("eval", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr + result.stdout
    return json.loads(result.stdout)["uncertainty"]


def failure(gradcli, *args):
    """(exit code, the JSON error's message, its hint) of an eval that must fail."""
    result = gradcli("eval", *args, "--format", "json")
    err = json.loads(result.stderr.strip().splitlines()[-1])["error"]
    return result.exit_code, err["message"], err.get("hint") or ""


# -- item 1: an array output reports every element ± u and their correlation (JCGM 102) -----------

NET = "W = [[1, 2], [3, 4]]; v = [a*b, a + b]; y = tanh(W @ v) * c"
NET_INPUTS = ("a=0.3±0.02", "b=-0.5±0.03", "c=2±rect(0.1)")


def _net_oracle(r_ab: float):
    """values, U_y of NET by sympy's Jacobian and numpy's J U_x Jᵀ (JCGM 102 6.2.1.3)."""
    a, b, c = sp.symbols("a b c")
    w = sp.Matrix([[1, 2], [3, 4]])
    y = (w * sp.Matrix([a * b, a + b])).applyfunc(sp.tanh) * c
    point = {a: 0.3, b: -0.5, c: 2.0}
    jac = np.array(y.jacobian([a, b, c]).subs(point).evalf(30), dtype=float)
    u = np.array([0.02, 0.03, 0.1 / math.sqrt(3)])
    corr = np.array([[1, r_ab, 0], [r_ab, 1, 0], [0, 0, 1]])
    u_y = jac @ (np.outer(u, u) * corr) @ jac.T
    return np.array(y.subs(point).evalf(30), dtype=float).ravel(), u_y


@pytest.mark.parametrize("r_ab", [0.0, 0.4, -0.9])
def test_array_output_every_element_and_correlation_vs_numpy(gradcli, r_ab):
    corr = ["--corr", f"a,b={r_ab}"] if r_ab else []
    u = unc(gradcli, NET, *NET_INPUTS, *corr, "-k", "2")
    values, u_y = _net_oracle(r_ab)
    std = np.sqrt(np.diag(u_y))
    assert u["outputs"] == ["y[0]", "y[1]"] and u["order"] == 1 and u["k"] == 2.0
    np.testing.assert_allclose(u["values"], values, rtol=1e-14)
    np.testing.assert_allclose(u["standard"], std, rtol=1e-13)
    np.testing.assert_allclose(u["expanded"], 2 * std, rtol=1e-13)
    np.testing.assert_allclose(u["covariance"], u_y, rtol=1e-13)
    np.testing.assert_allclose(u["correlation"], u_y / np.outer(std, std), rtol=1e-12, atol=1e-15)
    assert u["correlation"][0][0] == 1.0 and u["correlation"][0][1] == u["correlation"][1][0]
    assert [row["name"] for row in u["budget"]] == ["a", "b", "c"]
    assert u["budget"][2]["distribution"] == "rect" and len(u["budget"][0]["sensitivity"]) == 2


def test_array_output_elements_equal_of_each_element_bit_for_bit(gradcli):
    u = unc(gradcli, NET, *NET_INPUTS, "--corr", "a,b=0.4")
    for i in range(2):
        scalar = unc(gradcli, NET, *NET_INPUTS, "--corr", "a,b=0.4", "--of", f"y[{i}]")
        assert scalar["standard"] == u["standard"][i]  # --of y[i] keeps the scalar report
        assert [r["sensitivity"] for r in scalar["budget"]] == [r["sensitivity"][i] for r in u["budget"]]


def test_array_output_simple_case_and_pretty(gradcli):
    u = unc(gradcli, "x = [1,2]; y = x*s", "s=1±0.1")
    assert u["values"] == [1.0, 2.0] and u["standard"] == [0.1, 0.2]
    assert u["correlation"] == [[1.0, 1.0], [1.0, 1.0]]  # both move with s alone
    out = gradcli("eval", "x = [1,2]; y = x*s", "s=1±0.1", "--no-color").stdout
    assert "y[0] = 1.00 ± 0.10" in out and "y[1] = 2.00 ± 0.20" in out
    assert "2.00 ± 0.30" not in out  # was: the last value with u(sum(y))
    assert "correlation" in out


def test_array_output_an_element_without_uncertainty(gradcli):
    u = unc(gradcli, "y = [s, 3, 2*s]", "s=1±0.1")
    assert u["standard"] == [0.1, 0.0, 0.2]
    assert u["correlation"] == [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]  # r with a constant: 0


def test_array_output_order_2_is_refused_naming_of(gradcli):
    code, message, hint = failure(gradcli, "x = [1,2]; y = x*s", "s=1±0.1", "--order", "2")
    assert code == 2 and "--order 2" in message and "--of y[0]" in hint


def test_array_output_monte_carlo_per_element_agrees(gradcli):
    # linear in correlated normals: y is exactly normal with the covariance of the law of
    # propagation, so Monte Carlo's mean, u and correlation are within their sampling error
    n = 200_000
    # (u of each element in [0.1, 0.3): JCGM 101 7.9.2's δ = 0.005 is well above the sampling noise)
    program = "W = [[1, 0], [0, 0.5], [1, 0.25]]; y = W @ [a, b] + 1"
    u = unc(gradcli, program, "a=1±0.1", "b=2±0.2", "--corr", "a,b=0.6", "--mc", str(n), "--seed", "3")
    jac = np.array([[1, 0], [0, 0.5], [1, 0.25]])
    cov_x = np.array([[0.01, 0.6 * 0.02], [0.6 * 0.02, 0.04]])
    u_y = jac @ cov_x @ jac.T
    std = np.sqrt(np.diag(u_y))
    np.testing.assert_allclose(u["standard"], std, rtol=1e-14)
    mc = u["monte_carlo"]
    assert mc["samples"] == n and mc["seed"] == 3 and mc["valid"] == n and mc["invalid"] == 0
    assert np.all(np.abs(np.array(mc["mean"]) - jac @ [1, 2] - 1) < 5 * std / math.sqrt(n))
    assert np.all(np.abs(np.array(mc["standard"]) - std) < 5 * std / math.sqrt(2 * n))
    corr = u_y / np.outer(std, std)
    assert np.all(np.abs(np.array(mc["correlation"]) - corr) < 5 * (1 - corr**2) / math.sqrt(n) + 1e-12)
    for (lo, hi), s, y0 in zip(mc["interval"], std, jac @ [1, 2] + 1):
        assert abs(lo - (y0 - 1.959964 * s)) < 0.02 * s and abs(hi - (y0 + 1.959964 * s)) < 0.02 * s
    assert mc["agrees"] is True and mc["agreement"] == [True, True, True]
    out = gradcli("eval", program, "a=1±0.1", "b=2±0.2", "--corr", "a,b=0.6", "--mc", str(n), "--no-color")
    assert out.exit_code == 0 and "NOT validated" not in out.stdout + out.stderr
    assert "validated" in out.stdout


# -- item 10: invalid Monte Carlo samples are counted and explained, never a NaN interval ---------


def _binomial_ok(count: int, n: int, p: float) -> bool:
    return abs(count - n * p) < 5 * math.sqrt(n * p * (1 - p))


@pytest.mark.parametrize("extra", [(), ("--allow-nonfinite",)])
def test_invalid_samples_are_exit_3_with_how_many_and_why(gradcli, extra):
    n = 10_000
    code, message, hint = failure(gradcli, "y = sqrt(x)", "x=0.01±0.1", "--mc", str(n), *extra)
    assert code == 3, message
    count = int(message.split(" of 10,000 samples")[0].rsplit(" ", 1)[-1].replace(",", ""))
    p_invalid = float(mpmath.ncdf(-0.1))  # P(x < 0) for x ~ N(0.01, 0.1²)
    assert _binomial_ok(count, n, p_invalid)
    assert f"{count:,} undefined (outside a function's domain)" in message
    assert "sqrt(x) is undefined at x = -" in message and "nan" not in message.lower()
    assert "--mc-valid-only" in hint and f"{n - count:,} valid samples" in hint


def test_overflowing_samples_are_called_infinite(gradcli):
    n = 20_000
    code, message, _ = failure(gradcli, "y = x + 1e-300*exp(x)", "x=100±300", "--mc", str(n))
    count = int(message.split(f" of {n:,} samples")[0].rsplit(" ", 1)[-1].replace(",", ""))
    p_overflow = float(mpmath.ncdf((100 - math.log(1.7976931348623157e308)) / 300))  # P(x > log(DBL_MAX))
    assert code == 3 and _binomial_ok(count, n, p_overflow)
    assert f"{count:,} infinite (an overflow or a pole)" in message and "undefined" not in message


def test_an_uncertainty_beyond_the_largest_double_is_exit_3(gradcli):
    code, message, _ = failure(gradcli, "y = exp(x)", "x=700±10")  # c·u = 1e305: u² overflows (was exit 70)
    assert code == 3 and "the uncertainty of y overflows" in message


def test_mc_valid_only_gives_the_statistics_of_the_valid_samples(gradcli):
    n = 200_000
    args = ("y = sqrt(x)", "x=0.01±0.1", "--mc", str(n), "--mc-valid-only", "--seed", "5")
    result = gradcli("eval", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "NaN" not in result.stdout and "Infinity" not in result.stdout
    mc = json.loads(result.stdout)["uncertainty"]["monte_carlo"]
    assert mc["samples"] == n and mc["valid"] + mc["invalid"] == n
    assert _binomial_ok(mc["invalid"], n, float(mpmath.ncdf(-0.1)))
    assert "sqrt(x) is undefined" in mc["invalid_reason"]
    # oracle: sqrt(x) for x ~ N(0.01, 0.1²) conditioned on x >= 0, by mpmath quadrature
    mu, s = mpmath.mpf("0.01"), mpmath.mpf("0.1")
    density = lambda x: mpmath.npdf(x, mu, s)  # noqa: E731
    p_valid = 1 - mpmath.ncdf(0, mu, s)
    m1 = mpmath.quad(lambda x: mpmath.sqrt(x) * density(x), [0, mu, mpmath.inf]) / p_valid
    m2 = mpmath.quad(lambda x: x * density(x), [0, mu, mpmath.inf]) / p_valid
    sd = float(mpmath.sqrt(m2 - m1**2))
    assert abs(mc["mean"] - float(m1)) < 5 * sd / math.sqrt(mc["valid"])
    assert abs(mc["standard"] - sd) < 5 * sd / math.sqrt(mc["valid"])  # (a generous bound for a skewed law)
    assert all(isinstance(v, float) and math.isfinite(v) for v in mc["interval"])
    pretty = gradcli("eval", *args, "--no-color")
    assert pretty.exit_code == 0 and "nan" not in pretty.stdout.lower()
    assert f"{mc['invalid']:,} of {n:,} samples" in pretty.stdout and "--mc-valid-only" in pretty.stdout


def test_mc_valid_only_on_an_array_output_drops_a_sample_where_any_element_fails(gradcli):
    u = unc(gradcli, "y = [sqrt(x), 2*x]", "x=0.01±0.1", "--mc", "20000", "--mc-valid-only")
    mc = u["monte_carlo"]
    assert mc["valid"] + mc["invalid"] == 20_000 and mc["invalid"] > 0
    assert mc["interval"][1][0] >= 0  # 2x over the samples with x >= 0 only


def test_mc_valid_only_needs_mc(gradcli):
    code, message, _ = failure(gradcli, "y = sqrt(x)", "x=1±0.1", "--mc-valid-only")
    assert code == 2 and "--mc N" in message


# -- item 28: the output's u is one number: the JSON's `standard` and the output node's `u` --------


@pytest.mark.parametrize(
    "args",
    [
        ("y = sqrt(a**2 + b**2)", "a=3±0.3", "b=4±0.4"),  # differed by an ulp
        ("y = sqrt(a**2 + b**2)", "a=3±0.3", "b=4±0.4", "--corr", "a,b=0.3"),
        ("y = a*exp(b)/c + sin(a*b)", "a=1.3±0.01", "b=0.7±0.02", "c=2.1±rect(0.05)"),
        ("y = log(a) * tanh(b) + a/b", "a=2.5±0.1", "b=-0.4±tri(0.03)", "--corr", "a,b=-0.2"),
    ],
)
def test_output_nodes_u_is_the_reported_standard_bit_for_bit(gradcli, args):
    result = gradcli("eval", *args, "--format", "json")
    doc = json.loads(result.stdout)
    (at,) = [i for i, node in enumerate(doc["nodes"]) if node["label"] == doc["output"]]
    assert doc["uncertainty"]["nodes"][at] == doc["uncertainty"]["standard"]


def test_array_output_elements_u_are_the_reported_standards(gradcli):
    result = gradcli("eval", NET, *NET_INPUTS, "--corr", "a,b=0.4", "--format", "json")
    doc = json.loads(result.stdout)
    labels = [node["label"] for node in doc["nodes"]]
    u = doc["uncertainty"]
    assert [u["nodes"][labels.index(label)] for label in u["outputs"]] == u["standard"]


# -- item 32: --order 2 and Monte Carlo use rect and tri inputs' own moments -----------------------


def _density(kind: str, t, h):
    """The density of the deviation t = x - x0 on [-h, h]: rectangular or symmetric triangular."""
    return sp.Rational(1, 2) / h if kind == "rect" else (h - sp.Abs(t)) / h**2


def _exact_variance(expr, inputs: dict):
    """Var(expr) for independent inputs {symbol: (x0, kind, h)} by sympy's exact integrals."""
    moments = [expr, expr**2]
    for symbol, (x0, kind, h) in inputs.items():
        t = sp.Symbol("t", real=True)
        dens = _density(kind, t, h)
        moments = [
            sp.integrate(sp.expand(m.subs(symbol, x0 + t)) * dens.subs(sp.Abs(t), -t), (t, -h, 0))
            + sp.integrate(sp.expand(m.subs(symbol, x0 + t)) * dens.subs(sp.Abs(t), t), (t, 0, h))
            for m in moments
        ]
    return sp.nsimplify(moments[1] - moments[0] ** 2)


@pytest.mark.parametrize(
    "program, expr, inputs",
    [
        ("y = a**2", "a**2", {"a": ("3/2", "rect", "2/5")}),
        ("y = a**2", "a**2", {"a": ("3/2", "tri", "2/5")}),
        (
            "y = a**2 + 3*a*b - b**2 + 2*b",
            "a**2 + 3*a*b - b**2 + 2*b",
            {"a": ("3/2", "rect", "2/5"), "b": ("-7/10", "tri", "3/10")},
        ),
        ("y = a*b", "a*b", {"a": ("1/4", "tri", "1"), "b": ("-2", "rect", "1/2")}),
    ],
)
def test_order_2_of_a_quadratic_is_the_exact_variance_for_rect_and_tri(gradcli, program, expr, inputs):
    """For a quadratic f the second-order expansion is f itself: u_c² must be Var(f) exactly."""
    symbols = {name: sp.Symbol(name) for name in inputs}
    exact = _exact_variance(sp.sympify(expr, locals=symbols),
                            {symbols[n]: tuple(map(sp.Rational, (x0, h)))[:1] + (kind,) + (sp.Rational(h),)
                             for n, (x0, kind, h) in inputs.items()})  # fmt: skip
    bindings = [
        f"{n}={float(sp.Rational(x0))!r}±{kind}({float(sp.Rational(h))!r})" for n, (x0, kind, h) in inputs.items()
    ]
    u = unc(gradcli, program, *bindings, "--order", "2")
    assert u["standard"] ** 2 == pytest.approx(float(exact), rel=1e-13)


@pytest.mark.parametrize("kind", ["rect", "tri", "normal"])
def test_order_2_of_a_cubic_is_the_variance_to_fourth_order_in_u(gradcli, kind):
    """x³: GUM's second order is Var(f) to order u⁴ (the f_i f_iii term with the input's own
    fourth moment E[(x-μ)⁴] = 9/5 u⁴ rect, 12/5 u⁴ tri, 3 u⁴ normal)."""
    x0, h, t = sp.Rational(2), sp.Symbol("h", positive=True), sp.Symbol("t", real=True)
    y = (x0 + t) ** 3
    if kind == "normal":
        moments = [sp.integrate(m * sp.exp(-(t**2) / (2 * h**2)) / sp.sqrt(2 * sp.pi) / h, (t, -sp.oo, sp.oo))
                   for m in (y, y**2)]  # fmt: skip
    else:
        dens = _density(kind, t, h)
        moments = [sp.integrate(sp.expand(m) * dens.subs(sp.Abs(t), -t), (t, -h, 0))
                   + sp.integrate(sp.expand(m) * dens.subs(sp.Abs(t), t), (t, 0, h)) for m in (y, y**2)]  # fmt: skip
    variance = sp.expand(moments[1] - moments[0] ** 2)
    to_u4 = sum(variance.coeff(h, k) * h**k for k in range(5))  # the terms up to h⁴ (u = h/√3, h/√6, h)
    half_width = 0.3
    binding = f"x=2±{half_width}" if kind == "normal" else f"x=2±{kind}({half_width})"
    u = unc(gradcli, "y = x**3", binding, "--order", "2")
    assert u["standard"] ** 2 == pytest.approx(float(to_u4.subs(h, sp.Rational(3, 10))), rel=1e-13)


@pytest.mark.parametrize(
    "kind, u, quantile", [("rect", 1 / math.sqrt(3), 0.95), ("tri", 1 / math.sqrt(6), 1 - math.sqrt(0.05))]
)
def test_monte_carlo_draws_rect_and_tri_from_their_own_distributions(gradcli, kind, u, quantile):
    """JCGM 101 6.4.2 and 6.4.5: y = x with x = 0 ± kind(1): u = 1/√3 or 1/√6, and the 95 %
    interval ±0.95 (rectangular) or ±(1 - √0.05) (triangular), not the normal's ±1.96 u."""
    n = 400_000
    mc = unc(gradcli, "y = x", f"x=0±{kind}(1)", "--mc", str(n), "--seed", "11")["monte_carlo"]
    assert abs(mc["standard"] - u) < 5 * u / math.sqrt(n)
    assert mc["interval"][0] == pytest.approx(-quantile, abs=0.005) and mc["interval"][1] == pytest.approx(
        quantile, abs=0.005
    )
