"""Uncertainty propagation (issue 12, DESIGN §6.3): syntax, GUM first and second order, Monte
Carlo, published examples (uncertainties' docs, GUM H.2, JCGM 101 9.2 and 9.3), bad input."""

import json
import math
import random
import statistics
import subprocess
import sys

import pytest

from gradcli.analysis.gum import plus_minus, round_gum, tolerance
from gradcli.analysis.uncertainty import UncertaintyOptions, propagate, second_order_variance
from gradcli.build.bindings import parse_bindings
from gradcli.build.standard import evaluate
from gradcli.build.uncertain import Spec


def run(source, *bindings, **options):
    graph = evaluate(source, parse_bindings(bindings))
    return graph, propagate(graph, UncertaintyOptions(**options))


def uncertainty(eval_json, *args):
    return eval_json(*args)["uncertainty"]


def error(gradcli, *args):
    """(exit code, the JSON error) of a command that must fail."""
    result = gradcli("eval", *args, "--format", "json")
    return result.exit_code, json.loads(result.stderr.strip().splitlines()[-1])["error"]


# -- syntax -----------------------------------------------------------------------------------


def test_bindings_and_literals_give_the_same_uncertainties():
    forms = [
        (["x=2±0.25"], "y = x**2"),
        (["x=2+/-0.25"], "y = x**2"),
        (["x=2 ± 0.25"], "y = x**2"),
        ([], "x = 2 ± 0.25\ny = x**2"),
        ([], "x = 4/2 ± 1/4\ny = x**2"),  # both sides constant expressions
    ]
    for bindings, source in forms:
        graph, result = run(source, *bindings)
        assert graph.uncertainties == {"x": Spec(0.25, "normal", None)}
        assert graph.inputs["x"].data == 2.0 and type(graph.inputs["x"].data) is float
        assert (result.value, result.standard) == (4.0, 1.0)


def test_rect_and_tri_have_u_a_over_root3_and_root6():
    graph, _ = run("a = 1 ± rect(0.3)\nb = 2 ± tri(0.6)\ny = a*b", "c=3±rect(sqrt(3))")
    assert graph.uncertainties["a"] == Spec(0.3 / math.sqrt(3), "rect", 0.3)
    assert graph.uncertainties["b"] == Spec(0.6 / math.sqrt(6), "tri", 0.6)
    assert graph.uncertainties["c"].u == pytest.approx(1.0, rel=1e-15)


def test_a_plain_binding_replaces_the_programs_input_and_its_uncertainty():
    graph, _ = run("x = 2 ± 0.25\ny = x**2 + z", "z=1±0.5")
    assert list(graph.uncertainties) == ["x", "z"]
    graph = evaluate("x = 2 ± 0.25\ny = x**2", parse_bindings(["x=3"]))
    assert graph.uncertainties == {} and graph.inputs["x"].data == 3.0


def test_an_uncertain_input_is_an_ordinary_input_for_check_and_hessian(gradcli):
    result = gradcli("check", "y = x**3", "x=2±0.25", "--format", "json")
    assert result.exit_code == 0
    (row,) = json.loads(result.stdout)["results"]
    assert (row["name"], row["value"], row["analytic"]) == ("x", 2.0, 12.0)
    result = gradcli("hessian", "x = 2 ± 0.1\ny = x**3", "--format", "json")
    assert json.loads(result.stdout)["hessian"] == [[12.0]]


# -- first order ------------------------------------------------------------------------------


def test_uncertainties_package_documented_results():
    # uncertainties' user guide: x = ufloat(2, 0.25); x**2 -> 4.0+/-1.0; x*x + 100 -> 104.0+/-1.0;
    # x - x and sin(x)**2 + cos(x)**2 are exact (a variable is fully correlated with itself).
    assert run("x**2", "x=2±0.25")[1].standard == 1.0
    _, r = run("x*x + 100", "x=2±0.25")
    assert (r.value, r.standard) == (104.0, 1.0)
    assert run("x - x", "x=2±0.25")[1].standard == 0.0
    _, r = run("sin(x)**2 + cos(x)**2", "x=2±0.25")
    assert r.value == pytest.approx(1.0, abs=1e-15) and r.standard < 1e-15
    # x = ufloat(1, 0.1): 2*x -> 2.00+/-0.20, sin(2*x) -> 0.91+/-0.08 (u = |2 cos 2| * 0.1)
    assert run("2*x", "x=1±0.1")[1].standard == pytest.approx(0.2, rel=1e-15)
    _, r = run("sin(2*x)", "x=1±0.1")
    assert r.standard == pytest.approx(abs(2 * math.cos(2.0)) * 0.1, rel=1e-15)
    assert round(r.value, 2) == 0.91 and round(r.standard, 2) == 0.08


def test_budget_rows_and_shares(eval_json):
    u = uncertainty(eval_json, "g = 4*pi**2*L/T**2", "L=1.000±0.002", "T=2.007+/-0.003", "-k", "2")
    assert set(u) >= {"standard", "k", "expanded", "order", "budget"} and "monte_carlo" not in u
    c_l, c_t = 4 * math.pi**2 / 2.007**2, -8 * math.pi**2 / 2.007**3
    var = (c_l * 0.002) ** 2 + (c_t * 0.003) ** 2
    assert u["standard"] == pytest.approx(math.sqrt(var), rel=1e-14)
    assert (u["k"], u["order"]) == (2.0, 1) and u["expanded"] == pytest.approx(2 * math.sqrt(var), rel=1e-14)
    budget = {row["name"]: row for row in u["budget"]}
    assert list(budget) == ["L", "T"]
    assert set(budget["L"]) >= {"name", "value", "u", "sensitivity", "contribution", "share"}
    assert budget["T"]["sensitivity"] == pytest.approx(c_t, rel=1e-14)
    assert budget["T"]["contribution"] == pytest.approx(abs(c_t) * 0.003, rel=1e-14)
    assert budget["L"]["share"] + budget["T"]["share"] == pytest.approx(1.0, rel=1e-14)


def test_correlations_gum_5_2_2():
    # u^2 = ux^2 + uy^2 + 2 r ux uy for x + y; r = 1 and r = -1 add and cancel exactly
    _, r = run("x + y", "x=1±0.3", "y=2±0.4", corr=["x,y=0.5"])
    assert r.standard == pytest.approx(math.sqrt(0.09 + 0.16 + 2 * 0.5 * 0.12), rel=1e-15)
    (term,) = r.correlations
    assert (term.a, term.b, term.r) == ("x", "y", 0.5)
    assert term.share + sum(row.share for row in r.rows) == pytest.approx(1.0)
    assert run("x - y", "x=1±0.3", "y=2±0.3", corr=["y,x=1"])[1].standard == 0.0


def test_gum_h2_resistance_and_reactance_with_correlated_inputs():
    # GUM H.2 (JCGM 100:2008): five simultaneous observations of V, I, phi (Table H.2); R = V/I cos(phi),
    # X = V/I sin(phi), Z = V/I.  Table H.3: R = 127.732 ohm, u = 0.071; X = 219.847, u = 0.295;
    # Z = 254.260, u = 0.236.  Inputs: the means, the standard deviations of the means and the
    # correlation coefficients of the observations (H.2.3, GUM 5.2.2).
    v = [5.007, 4.994, 5.005, 4.990, 4.999]
    i = [19.663e-3, 19.639e-3, 19.640e-3, 19.685e-3, 19.678e-3]
    phi = [1.0456, 1.0438, 1.0468, 1.0428, 1.0433]
    data = {"V": v, "I": i, "phi": phi}
    bindings = [f"{n}={statistics.mean(x)!r}±{statistics.stdev(x) / math.sqrt(5)!r}" for n, x in data.items()]
    pairs = (("V", "I"), ("V", "phi"), ("I", "phi"))
    corr = [f"{a},{b}={statistics.correlation(data[a], data[b])!r}" for a, b in pairs]
    program = "R = V/I*cos(phi); X = V/I*sin(phi); Z = V/I"
    published = {"R": (127.732, 0.071), "X": (219.847, 0.295), "Z": (254.260, 0.236)}
    for name, (value, u) in published.items():
        graph = evaluate(program, parse_bindings(bindings), of=name)
        r = propagate(graph, UncertaintyOptions(corr))
        assert round(r.value, 3) == value
        # R and Z to the published digits; X: the law of propagation gives 0.2956, the GUM's table
        # the 0.2955 of its approach 2 (H.2.4: the two agree to first order)
        assert abs(r.standard - u) <= (0.0005 if name != "X" else 0.0007)


def test_pretty_output_headline_and_budget(gradcli):
    result = gradcli("eval", "g = 4*pi**2*L/T**2", "L=1.000±0.002", "T=2.007±0.003", "-k", "2", "--no-color")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "g = 9.801 ± 0.035   (standard uncertainty u, first order, GUM 5.1.2)" in lines
    assert "g = 9.801 ± 0.071   (expanded uncertainty U = k·u, k = 2)" in lines
    assert lines[0].startswith("g = 9.80088")  # eval's node table is still there, first
    rows = [line.split("│")[1:-1] for line in lines if line.startswith("│ L ") or line.startswith("│ T ")]
    shares = [float(cells[-1].strip().rstrip("%")) for cells in rows if len(cells) == 7]
    assert shares == [30.9, 69.1]


def test_gum_rounding():
    assert round_gum(9.81073, 0.021934) == ("9.811", "0.022")
    assert round_gum(4.0, 1.0) == ("4.0", "1.0")
    assert round_gum(1.2340, 0.0996) == ("1.23", "0.10")  # 0.0996 rounds up to 0.10, two digits
    assert round_gum(12345.6, 123.4) == ("12350", "120")
    assert plus_minus(6.02214076e23, 1.2e18) == "(6.022141 ± 0.000012)e23"
    assert tolerance(2.0) == 0.05 and tolerance(0.0539) == 0.0005  # JCGM 101 7.9.2: 54 x 10^-3 -> 10^-3 / 2


# -- second order -----------------------------------------------------------------------------


def test_second_order_x_squared_at_zero_is_what_first_order_misses(gradcli):
    # uncertainties: ufloat(0, 10)**2 gives 0+/-0; Var(x^2) = 2 u^4 for a normal x
    _, r = run("x**2", "x=0±10", order=2)
    assert (r.first_order, r.standard) == (0.0, pytest.approx(math.sqrt(2) * 100, rel=1e-15))
    result = gradcli("eval", "x**2", "x=0±10", "--format", "json")
    warning = json.loads(result.stderr.splitlines()[0])["warning"]["message"]
    assert warning.startswith("second-order terms give u(x**2) = 141 where the first-order u is 0")


def _gum_second_order_sympy(expr, symbols, point, us):
    """The GUM 5.1.2 note's sum, from SymPy's derivatives."""
    import sympy as sp

    at = dict(zip(symbols, point))
    total = 0.0
    for i, xi in enumerate(symbols):
        for j, xj in enumerate(symbols):
            fij = float(sp.diff(expr, xi, xj).subs(at))
            fi = float(sp.diff(expr, xi).subs(at))
            fijj = float(sp.diff(expr, xi, xj, xj).subs(at))
            total += (0.5 * fij**2 + fi * fijj) * us[i] ** 2 * us[j] ** 2
    return total


def test_second_order_against_sympy_on_random_programs():
    import sympy as sp

    rng = random.Random(12)
    x, y, z = sp.symbols("x y z")
    leaves = ["x", "y", "z", "1.5", "0.5"]
    unary = ["exp({})", "sin({})", "tanh({})", "sqrt({}**2 + 1)", "log({}**2 + 2)"]
    binary = ["({} * {})", "({} + {})", "({} - {})", "({} / ({}**2 + 1))", "({} ** 2 * {})"]

    def random_expr(depth):
        if depth == 0:
            return rng.choice(leaves)
        if rng.random() < 0.4:
            return rng.choice(unary).format(random_expr(depth - 1))
        return rng.choice(binary).format(random_expr(depth - 1), random_expr(depth - 1))

    for _ in range(25):
        text = random_expr(3)
        point = [rng.uniform(-1.5, 1.5) for _ in range(3)]
        us = [rng.uniform(0.01, 0.3) for _ in range(3)]
        bindings = [f"{n}={v!r}±{u!r}" for n, v, u in zip("xyz", point, us)]
        graph = evaluate(f"y0 = {text} + 0*x + 0*y + 0*z", parse_bindings(bindings))
        ours = second_order_variance(graph, graph.uncertainties)
        expected = _gum_second_order_sympy(sp.sympify(text, locals={"x": x, "y": y, "z": z}), [x, y, z], point, us)
        assert ours == pytest.approx(expected, rel=1e-9, abs=1e-15), text


def test_second_order_leaves_eval_gradients_intact(eval_json):
    doc = eval_json("y = exp(a*b)", "a=1±0.1", "b=2±0.2", "--order", "2")
    assert doc["gradients"] == {"a": pytest.approx(2 * math.exp(2)), "b": pytest.approx(math.exp(2))}
    assert doc["uncertainty"]["order"] == 2


def test_jcgm101_9_3_mass_calibration_second_order_matters(eval_json):
    # JCGM 101:2008 9.3, Table 9 (delta m in mg): GUF first order u = 0.0539; GUF with the
    # second-order terms u = 0.0750; MCM (10^6 trials) u = 0.0754.
    first = uncertainty(eval_json, "-f", "examples/mass_calibration.grad")
    assert round(first["standard"], 4) == 0.0539 and round(first["budget"][0]["value"], 3) == 100000.0
    second = uncertainty(eval_json, "-f", "examples/mass_calibration.grad", "--order", "2", "--mc", "1e6")
    assert round(second["standard"], 4) == 0.0750
    mc = second["monte_carlo"]
    # the published 0.0754 is itself one run: two runs' noise (sqrt(2) * 4 * u/sqrt(2M)) plus rounding
    assert abs(mc["standard"] - 0.0754) < 3e-4
    assert mc["agrees"] is False  # JCGM 101 9.3.2.6: the first-order GUF is not validated


# -- Monte Carlo --------------------------------------------------------------------------------


def _published_interval(mc: dict, published: float, digits: int) -> bool:
    """Monte Carlo's 95 % endpoints equal +-published to within the published rounding plus 5
    standard errors of a sample quantile, sqrt(p (1 - p) / M) / f(y_p) (f approximated by the
    normal density of the same u, which is smaller here than the true one: conservative)."""
    density = math.exp(-0.5 * (published / mc["standard"]) ** 2) / (mc["standard"] * math.sqrt(2 * math.pi))
    se = math.sqrt(0.025 * 0.975 / mc["samples"]) / density
    lo, hi = mc["interval"]
    return abs(lo + published) <= 0.5 * 10**-digits + 5 * se and abs(hi - published) <= 0.5 * 10**-digits + 5 * se


def test_jcgm101_9_2_additive_model(eval_json):
    # JCGM 101:2008 9.2, Y = X1 + X2 + X3 + X4.  9.2.2 (normal, u = 1): u(y) = 2.00, interval
    # [-3.92, 3.92] by both methods.  9.2.3 (rectangular, u = 1): MCM [-3.88, 3.88].  9.2.4
    # (X4 rectangular with u = 10): u(y) = 10.1, GUF [-19.9, 19.9], MCM [-17.0, 17.0], not validated.
    # The linear results are exact; Monte Carlo's agree within their sampling error (one run
    # of 10^6 cannot promise the second decimal: its endpoints' standard error is ~0.005).
    y = "y = x1 + x2 + x3 + x4"
    normal = uncertainty(eval_json, y, "x1=0±1", "x2=0±1", "x3=0±1", "x4=0±1", "--mc", "1e6", "--seed", "1")
    assert normal["standard"] == 2.0 and round(1.96 * normal["standard"], 2) == 3.92
    assert _published_interval(normal["monte_carlo"], 3.92, 2) and normal["monte_carlo"]["agrees"] is True
    assert round(normal["monte_carlo"]["standard"], 2) == 2.0
    rect = [f"x{i}=0±rect(sqrt(3))" for i in range(1, 5)]
    flat = uncertainty(eval_json, y, *rect, "--mc", "1e6", "--seed", "1")
    assert flat["standard"] == pytest.approx(2.0, rel=1e-15) and _published_interval(flat["monte_carlo"], 3.88, 2)
    mixed = uncertainty(eval_json, y, "x1=0±1", "x2=0±1", "x3=0±1", "x4=0±rect(10*sqrt(3))", "--mc", "1e6")
    assert round(mixed["standard"], 1) == 10.1 and round(1.96 * mixed["standard"], 1) == 19.9
    assert _published_interval(mixed["monte_carlo"], 17.0, 1)
    assert mixed["monte_carlo"]["agrees"] is False


def test_monte_carlo_matches_the_analytic_result_within_its_sampling_error():
    # y = 3x - 2y + z with correlated normals: y is normal with the linear u exactly.  Standard
    # errors for M samples: mean u/sqrt(M), standard deviation u/sqrt(2M); 5 sigma.
    n = 200_000
    for seed in (0, 1, 2):
        _, r = run("3*x - 2*y + z", "x=1±0.1", "y=2±0.2", "z=0±rect(0.3)", corr=["x,y=0.6"], mc=n, seed=seed)
        mc, u = r.monte_carlo, r.standard
        assert u == pytest.approx(math.sqrt(0.09 + 0.16 + 0.03 - 2 * 0.6 * 3 * 2 * 0.1 * 0.2), rel=1e-14)
        assert abs(mc.mean - r.value) < 5 * u / math.sqrt(n)
        assert abs(mc.standard - u) < 5 * u / math.sqrt(2 * n)
        assert mc.samples == n and mc.seed == seed


def test_monte_carlo_is_reproducible_for_a_seed(eval_json):
    args = ("y = x*exp(z)", "x=1±0.1", "z=0±tri(0.5)", "--mc", "70000")
    a, b = uncertainty(eval_json, *args, "--seed", "7"), uncertainty(eval_json, *args, "--seed", "7")
    c = uncertainty(eval_json, *args, "--seed", "8")
    assert a["monte_carlo"] == b["monte_carlo"] and a["monte_carlo"]["mean"] != c["monte_carlo"]["mean"]
    assert set(a["monte_carlo"]) >= {"samples", "seed", "mean", "standard", "interval"}


def test_monte_carlo_nan_is_exit_3_naming_the_input(gradcli):
    code, err = error(gradcli, "y = sqrt(x)", "x=0.1±0.1", "--mc", "10000")
    assert code == 3 and err["kind"] == "math"
    assert "of 10,000 samples" in err["message"] and "the first at x = " in err["message"]
    assert "sqrt(x) is undefined at x = -" in err["message"]


def test_eval_without_uncertainty_imports_no_numpy(tmp_path):
    for args in (["y = x*x", "x=3"], ["y = x*x", "x=3±0.1", "--order", "2"]):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "gradcli", "eval", *args, "--format", "json"],
            capture_output=True, text=True, timeout=60, cwd=tmp_path,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        modules = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
        assert "numpy" not in modules


# -- bad input: exit 2 with a clear message ------------------------------------------------------


@pytest.mark.parametrize(
    ("binding", "message"),
    [
        ("x=1±", "bad binding 'x=1±': the uncertainty after ± is missing"),
        ("x=±0.1", "bad binding 'x=±0.1': the value before ± is missing"),
        ("x=1±-0.1", "bad binding 'x=1±-0.1': an uncertainty cannot be negative, got -0.1"),
        ("x=1+/-", "bad binding 'x=1+/-': the uncertainty after +/- is missing"),
        ("x=1±rect(0)", "bad binding 'x=1±rect(0)': rect(0) is no distribution: a half-width must be positive"),
        ("x=1±tri(-1)", "bad binding 'x=1±tri(-1)': an uncertainty cannot be negative, got -1"),
    ],
)
def test_bad_uncertain_bindings(gradcli, binding, message):
    code, err = error(gradcli, "y = x*2", binding)
    assert code == 2 and err["message"].startswith(message)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = a ± 1\ny = x", "both sides of ± must be constant expressions, but 'a' is a name"),
        ("x = 1 ± -0.1\ny = x", "'x': an uncertainty cannot be negative, got -0.1"),
        ("x = 1 ± rect(0)\ny = x", "'x': rect(0) is no distribution"),
        ("x = 1 ± 2*rect(1)\ny = x", "rect(...) must be the whole uncertainty"),
        ("y = (1 ± 2)*3", "'±' gives an input its uncertainty: it must be the whole right side of an assignment"),
    ],
)
def test_bad_uncertain_literals(gradcli, source, message):
    code, err = error(gradcli, source)
    assert code == 2 and err["message"].startswith(message) and err["line"] == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--corr", "x,y=1.5"], "bad --corr 'x,y=1.5': a correlation coefficient lies in [-1, 1], got 1.5"),
        (["--corr", "x,y=-1.01"], "bad --corr 'x,y=-1.01': a correlation coefficient lies in [-1, 1]"),
        (["--corr", "x,w=0.5"], "bad --corr 'x,w=0.5': 'w' is not an input with an uncertainty"),
        (["--corr", "x,c=0.5"], "bad --corr 'x,c=0.5': 'c' has no uncertainty, so it cannot be correlated"),
        (["--corr", "x,x=0.5"], "bad --corr 'x,x=0.5': an input is fully correlated with itself"),
        (["--corr", "x=0.5"], "bad --corr 'x=0.5': expected A,B=R"),
        (["--corr", "x,y=0.5", "--corr", "y,x=0.1"], "--corr x,y is given twice"),
        (["--mc", "0"], "--mc 0: the number of Monte Carlo samples must be a whole number >= 1"),
        (["--mc", "2.5"], "--mc 2.5: the number of Monte Carlo samples must be a whole number >= 1"),
        (["--mc", "1e12"], "--mc 1e12: 1,000,000,000,000 samples need about"),
        (["--order", "2", "--corr", "x,y=0.5"], "--order 2 needs uncorrelated inputs"),
        (["-k", "0"], "-k 0: the coverage factor must be a positive number"),
    ],
)
def test_bad_uncertainty_options(gradcli, options, message):
    code, err = error(gradcli, "q = x*y*c", "x=1±0.1", "y=2±0.2", "c=3", *options)
    assert code == 2 and err["message"].startswith(message)


def test_correlation_matrix_not_positive_semidefinite(gradcli):
    corr = ["--corr", "a,b=0.9", "--corr", "b,c=0.9", "--corr", "a,c=-0.9"]
    code, err = error(gradcli, "a + b + c", "a=1±1", "b=1±1", "c=1±1", *corr)
    assert code == 2
    assert err["message"] == (
        "the correlation matrix of a, b, c is not positive semidefinite: "
        "no quantities can have these correlations together"
    )
    # r = 1 is semidefinite (singular), so it is accepted
    assert gradcli("eval", "a + b", "a=1±1", "b=1±1", "--corr", "a,b=1", "--mc", "1000").exit_code == 0


def test_options_without_any_uncertainty(gradcli):
    code, err = error(gradcli, "y = x*2", "x=1", "--mc", "100")
    assert code == 2 and err["message"] == "--mc: no input has an uncertainty"


def test_mc_with_a_correlated_rectangular_input_is_refused(gradcli):
    code, err = error(gradcli, "a + b", "a=1±rect(1)", "b=1±1", "--corr", "a,b=0.5", "--mc", "100")
    assert code == 2 and err["message"].startswith("--mc with --corr: 'a' is rectangular and correlated")


def test_expand_keeps_the_uncertainties(eval_json):
    plain = uncertainty(eval_json, "y = tanh(x)", "x=0.5±0.1")
    expanded = uncertainty(eval_json, "y = tanh(x)", "x=0.5±0.1", "--expand")
    assert expanded["standard"] == pytest.approx(plain["standard"], rel=1e-14)


def test_every_nodes_first_order_uncertainty(eval_json):
    doc = eval_json("e = a*b; d = e + c; L = f*d", "a=2±0.1", "b=-3±0.2", "c=5", "f=-2±0.05")
    u = dict(zip([n["label"] for n in doc["nodes"]], doc["uncertainty"]["nodes"]))
    # e = a*b: (b ua)^2 + (a ub)^2 = 0.09 + 0.16; L = f*d: (d uf)^2 + (f ue)^2 = 0.0025 + 1
    assert (u["a"], u["c"]) == (0.1, 0.0)
    assert u["e"] == pytest.approx(0.5, rel=1e-15) and u["d"] == pytest.approx(0.5, rel=1e-15)
    assert u["L"] == pytest.approx(math.sqrt(1.0025), rel=1e-15) == doc["uncertainty"]["standard"]
    doc = eval_json("s = x + y; t = s*2", "x=1±0.3", "y=1±0.4", "--corr", "x,y=0.5")
    u = dict(zip([n["label"] for n in doc["nodes"]], doc["uncertainty"]["nodes"]))
    assert u["s"] == pytest.approx(math.sqrt(0.09 + 0.16 + 0.12), rel=1e-14) and u["t"] == pytest.approx(2 * u["s"])


def test_eval_table_has_each_nodes_u_column(gradcli):
    """Where uncertainty grows: a `u` column beside each node's value (first order)."""
    out = gradcli("eval", "y = 2*x; z = y + w", "x=1±0.1", "w=3±0.2", "--format", "table", env={"COLUMNS": "100"})
    assert out.exit_code == 0, out.stderr
    rows = {
        line.split("│")[2].strip(): line.split("│")[5].strip()
        for line in out.stdout.splitlines()
        if line.count("│") >= 6
    }
    assert rows["x"] == "0.1" and rows["y"] == "0.2" and rows["z"] == "0.282843"  # sqrt(0.2^2 + 0.2^2)
