"""gradcli fit (DESIGN §7.2): nonlinear least squares with the exact Jacobian against a CSV.
Oracles: scipy.optimize.curve_fit (parameters and covariance, with and without sigma) and GUM's
u² = J C Jᵀ computed here by hand for the `--format bindings` -> `gradcli eval` round trip."""

import json
import math
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("scipy")
from scipy.optimize import curve_fit  # noqa: E402

import gradcli.api as api  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
KEYS = ["output", "converged", "parameters", "correlation", "rss", "dof", "chi2_dof", "iterations", "evaluations"]
TIGHT = {"ftol": 1e-15, "xtol": 1e-15, "gtol": 1e-15}

DECAY = "y = A*exp(-k*t) + c"
GAUSS = "y = a*exp(-(x - mu)**2/(2*s**2)) + b"


def decay(t, A, k, c):
    return A * np.exp(-k * t) + c


def decay_jac(t, A, k, c):
    e = np.exp(-k * t)
    return np.column_stack([e, -A * t * e, np.ones_like(t)])


def gauss(x, a, mu, s, b):
    return a * np.exp(-((x - mu) ** 2) / (2 * s**2)) + b


def gauss_jac(x, a, mu, s, b):
    e = np.exp(-((x - mu) ** 2) / (2 * s**2))
    return np.column_stack([e, a * e * (x - mu) / s**2, a * e * (x - mu) ** 2 / s**3, np.ones_like(x)])


def write_csv(path: Path, columns: dict) -> Path:
    names = list(columns)
    rows = zip(*(columns[n] for n in names))
    path.write_text(",".join(names) + "\n" + "".join(",".join(repr(float(v)) for v in row) + "\n" for row in rows))
    return path


def data_files(tmp_path: Path, name: str, x: str, columns: dict, sigma: str) -> Path:
    """The CSV with the sigma column (returned) and, beside it, `plain_NAME` without it (a column
    the fit does not use is an error)."""
    write_csv(tmp_path / f"plain_{name}", {k: v for k, v in columns.items() if k != sigma})
    return write_csv(tmp_path / name, columns)


def plain(path: Path) -> Path:
    return path.with_name(f"plain_{path.name}")


@pytest.fixture
def decay_data(tmp_path):
    rng = np.random.default_rng(20231)
    t = np.linspace(0.0, 6.0, 41)
    sigma = 0.02 + 0.03 * rng.random(t.size)
    y = decay(t, 2.5, 0.8, 0.3) + rng.normal(0.0, sigma)
    return data_files(tmp_path, "decay.csv", "t", {"t": t, "y": y, "dy": sigma}, "dy"), t, y, sigma


@pytest.fixture
def gauss_data(tmp_path):
    rng = np.random.default_rng(77)
    x = np.linspace(-4.0, 5.0, 60)
    sigma = np.full(x.size, 0.05)
    y = gauss(x, 3.0, 0.7, 1.1, 0.25) + rng.normal(0.0, sigma)
    return data_files(tmp_path, "gauss.csv", "x", {"x": x, "y": y, "u": sigma}, "u"), x, y, sigma


def fit_json(gradcli, *args, code=0):
    result = gradcli("fit", *args, "--format", "json")
    assert result.exit_code == code, result.stdout + result.stderr
    return json.loads(result.stdout)


def covariance(doc) -> np.ndarray:
    u = np.array([p["u"] for p in doc["parameters"].values()])
    return np.array(doc["correlation"]) * np.outer(u, u)


CASES = [
    ("decay_data", DECAY, {"A": 1.0, "k": 0.3, "c": 0.0}, decay, decay_jac, "dy"),
    ("gauss_data", GAUSS, {"a": 1.0, "mu": 0.0, "s": 1.5, "b": 0.0}, gauss, gauss_jac, "u"),
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sigma"])
@pytest.mark.parametrize("case", CASES, ids=["decay", "gauss"])
def test_parameters_and_covariance_equal_curve_fit(gradcli, request, case, weighted):
    fixture, program, start, model, jac, sigma_column = case
    path, x, y, sigma = request.getfixturevalue(fixture)
    args = [program, "--data", path if weighted else plain(path), *(f"{k}={v}" for k, v in start.items())]
    doc = fit_json(gradcli, *args, *(["--sigma", sigma_column] if weighted else []))
    assert list(doc) == KEYS
    assert doc["converged"] is True and doc["output"] == "y"
    popt, pcov = curve_fit(model, x, y, p0=list(start.values()), jac=jac, sigma=sigma if weighted else None,
                           absolute_sigma=weighted, **TIGHT)  # fmt: skip
    values = [p["value"] for p in doc["parameters"].values()]
    assert list(doc["parameters"]) == list(start)
    np.testing.assert_allclose(values, popt, rtol=1e-6)
    np.testing.assert_allclose(covariance(doc), pcov, rtol=1e-6)
    n, p = len(x), len(start)
    residuals = y - model(x, *popt)
    assert doc["dof"] == n - p
    assert doc["rss"] == pytest.approx(float(residuals @ residuals), rel=1e-6)
    chi2 = float(((residuals / sigma) ** 2).sum()) if weighted else float(residuals @ residuals)
    assert doc["chi2_dof"] == pytest.approx(chi2 / (n - p), rel=1e-6)
    assert doc["iterations"] >= 1 and doc["evaluations"]["f"] >= doc["iterations"]


def test_curve_fit_with_its_own_finite_differences_agrees_too(gradcli, decay_data):
    path, t, y, _ = decay_data
    doc = fit_json(gradcli, DECAY, "--data", plain(path), "A=1", "k=0.3", "c=0")
    popt, pcov = curve_fit(decay, t, y, p0=[1, 0.3, 0])  # scipy's defaults: a finite-difference Jacobian
    np.testing.assert_allclose([p["value"] for p in doc["parameters"].values()], popt, rtol=1e-6)
    np.testing.assert_allclose(covariance(doc), pcov, rtol=1e-4)  # its difference quotients' own error


def test_the_sigma_weights_change_the_answer(gradcli, decay_data):
    path, *_ = decay_data
    unweighted = fit_json(gradcli, DECAY, "--data", plain(path), "A=1", "k=0.3", "c=0")
    weighted = fit_json(gradcli, DECAY, "--data", path, "A=1", "k=0.3", "c=0", "--sigma", "dy")
    assert unweighted["parameters"]["k"]["value"] != pytest.approx(weighted["parameters"]["k"]["value"], rel=1e-6)
    assert weighted["chi2_dof"] == pytest.approx(1.0, abs=0.5)  # the noise was drawn with these sigmas


@pytest.mark.parametrize("point", [0.5, 3.0])
def test_bindings_into_eval_give_the_uncertainty_gum_predicts(gradcli, decay_data, point):
    path, t, y, sigma = decay_data
    out = gradcli("fit", DECAY, "--data", path, "A=1", "k=0.3", "c=0", "--sigma", "dy", "--format", "bindings")
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert [line.split("=")[0] for line in lines[:3]] == ["A", "k", "c"] and all("±" in ln for ln in lines[:3])
    assert [line.split("=")[0] for line in lines[3:]] == ["--corr A,k", "--corr A,c", "--corr k,c"]
    words = out.stdout.split()  # as the shell's $(...) splits it
    doc = json.loads(gradcli("eval", DECAY, f"t={point}", *words, "--format", "json").stdout)
    popt, pcov = curve_fit(decay, t, y, p0=[1, 0.3, 0], jac=decay_jac, sigma=sigma, absolute_sigma=True, **TIGHT)
    J = decay_jac(np.array([point]), *popt)[0]  # d y / d (A, k, c) at t = point, by hand
    assert doc["value"] == pytest.approx(decay(point, *popt), rel=1e-9)
    assert doc["uncertainty"]["standard"] == pytest.approx(math.sqrt(J @ pcov @ J), rel=1e-6)
    # the correlations matter here: without them the answer is another number
    assert math.sqrt(J @ np.diag(np.diag(pcov)) @ J) != pytest.approx(doc["uncertainty"]["standard"], rel=1e-3)


def test_bindings_round_trip_through_the_shell(tmp_path, decay_data):
    """One real subprocess: `gradcli eval ... $(gradcli fit ... --format bindings)` in bash."""
    path, t, y, sigma = decay_data
    exe = shlex.quote(str(Path(sys.executable).parent / "gradcli"))
    fit = f"{exe} fit {shlex.quote(DECAY)} --data {shlex.quote(str(path))} A=1 k=0.3 c=0 --sigma dy --format bindings"
    command = f"{exe} eval {shlex.quote(DECAY)} t=2 $({fit}) --format json"
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    popt, pcov = curve_fit(decay, t, y, p0=[1, 0.3, 0], jac=decay_jac, sigma=sigma, absolute_sigma=True, **TIGHT)
    J = decay_jac(np.array([2.0]), *popt)[0]
    assert json.loads(proc.stdout)["uncertainty"]["standard"] == pytest.approx(math.sqrt(J @ pcov @ J), rel=1e-6)


def test_table_shows_parameters_statistics_and_the_residual_plot(gradcli, gauss_data):
    path, *_ = gauss_data
    result = gradcli("fit", GAUSS, "--data", plain(path), "a=1", "mu=0", "s=1.5", "b=0")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "fit of y: converged" in text and "parameters" in text and "correlation" in text
    assert "chi2/dof" in text and "residuals: observed y - model" in text
    assert any(0x2800 <= ord(ch) <= 0x28FF for ch in text)  # plot's braille dots
    assert text.rstrip().endswith("x")  # the x axis names the data column


def test_program_file_defaults_and_the_committed_example(gradcli):
    doc = fit_json(gradcli, "-f", ROOT / "examples/decay.grad", "--data", ROOT / "examples/decay.csv", "A=1", "k=0.1")
    assert doc["converged"] is True
    assert doc["parameters"]["A"]["value"] == pytest.approx(10.0, rel=0.03)
    assert doc["parameters"]["k"]["value"] == pytest.approx(0.5, rel=0.05)


def test_an_input_neither_column_nor_parameter_keeps_its_program_value(gradcli, decay_data):
    path, t, y, _ = decay_data
    doc = fit_json(gradcli, "c = 0.3; y = A*exp(-k*t) + c", "--data", plain(path), "A=1", "k=0.3")
    popt, _ = curve_fit(lambda t, A, k: decay(t, A, k, 0.3), t, y, p0=[1, 0.3], **TIGHT)
    np.testing.assert_allclose([p["value"] for p in doc["parameters"].values()], popt, rtol=1e-6)


def test_api_fit_from_a_mapping_and_from_a_file_equal_the_json(gradcli, decay_data):
    path, t, y, sigma = decay_data
    doc = fit_json(gradcli, DECAY, "--data", path, "A=1", "k=0.3", "c=0", "--sigma", "dy")
    from_file = api.fit(DECAY, path, {"A": 1, "k": 0.3, "c": 0}, sigma="dy")
    from_mapping = api.fit(DECAY, {"t": t, "y": y, "dy": sigma}, {"A": 1, "k": 0.3, "c": 0}, sigma="dy")
    assert {k: getattr(from_file, k) for k in KEYS} == doc
    assert {k: getattr(from_mapping, k) for k in KEYS} == doc


def test_a_fit_that_does_not_converge_exits_1_with_the_best_point(gradcli, decay_data, monkeypatch):
    import gradcli.analysis.fit as fit_module

    original = fit_module.run
    few = fit_module.FitOptions(max_evaluations=2)
    monkeypatch.setattr(fit_module, "run", lambda problem, options=None: original(problem, few))
    path, *_ = decay_data
    result = gradcli("fit", DECAY, "--data", plain(path), "A=1", "k=0.3", "c=0", "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["converged"] is False and set(doc["parameters"]) == {"A", "k", "c"}
    assert "did not converge" in result.stderr and "maximum number of function evaluations" in result.stderr


def test_undetermined_parameters_get_infinite_uncertainty_and_a_warning(gradcli, decay_data):
    path, *_ = decay_data
    args = ["y = A*B*exp(-k*t) + c", "--data", plain(path), "A=1", "B=1", "k=0.3", "c=0", "--format", "json"]
    result = gradcli("fit", *args)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["parameters"]["A"]["u"] == "Infinity"
    assert "do not determine every parameter" in result.stderr


LINE = "y = a*t"


@pytest.mark.parametrize(
    "program, csv, args, message",
    [
        (LINE, "t,z\n1,2\n2,3\n3,4\n", ["a=1"], "has no column 'y'"),
        ("signal = a*t", "t,signl\n1,2\n2,3\n3,4\n", ["a=1"], "is 'signl' meant to be 'signal'?"),
        (LINE, "t,y,dy\n1,2,1\n2,3,1\n3,4,1\n", ["a=1"], "named with --sigma COLUMN"),
        (LINE, "t,w,y\n1,0,2\n2,0,3\n3,0,4\n", ["a=1"], "unknown column 'w'"),
        (LINE, "tt,y\n1,2\n2,3\n3,4\n", ["a=1"], "the column 'tt' is given, which the program never reads"),
        ("y = a*t + b", "t,y\n1,2\n", ["a=1", "b=0"], "1 data row for 2 parameters"),
        (LINE, "t,y\n1,2\n2,inf\n3,4\n", ["a=1"], "line 3, column 'y'"),
        (LINE, "t,y\n1,2\n2,nan\n3,4\n", ["a=1"], "line 3, column 'y'"),
        (LINE, "t,y\n1,2\n2,\n3,4\n", ["a=1"], "line 3, column 'y'"),
        (LINE, "t,y\n", ["a=1"], "no points"),
        (LINE, "t,y,a\n1,2,0\n2,3,0\n", ["a=1"], "both a parameter"),
        (LINE, "t,y\n1,2\n2,3\n", ["a=1", "q=1"], "the parameter 'q' is not an input"),
        ("y = amp*t", "t,y\n1,2\n2,3\n", ["amq=1"], "the parameter 'amq' is given, which the program never reads"),
        ("y = amp*t + b", "t,y\n1,2\n2,3\n", ["amp=1", "b=0", "bb=1"], "the parameter 'bb' is not an input"),
        (LINE, "t,y\n1,2\n2,3\n", [], "at least one parameter"),
        (LINE, "t,y\n1,2\n2,3\n", ["a=1", "--sigma", "dy"], "has no column 'dy'"),
        (LINE, "t,y,dy\n1,2,0.1\n2,3,0\n", ["a=1", "--sigma", "dy"], "data row 2: the --sigma value 0 is not positive"),
        (LINE, "t,y,t\n1,2,1\n2,3,2\n", ["a=1"], "names the column 't' twice"),
        (LINE, "t,y\n1,2\n2,3\n", ["a=[1, 2]"], "scalars"),
        ("y = a*log(k*t)", "t,y\n1,2\n2,3\n3,4\n", ["a=1", "k=-1"],
         "at the start (a = 1, k = -1) the model fails at 3 of 3 data rows"),
        ("y = a*t + u", "t,y\n1,2\n2,3\n", ["a=1"], "'u' has no value"),
        ("y = [a*t, t]", "t,y\n1,2\n2,3\n", ["a=1"], "fit needs a scalar output"),
        ("e = a*t; y = e + 1", "t,e,y\n1,2,3\n2,3,4\n", ["a=1"], "the column 'e' is computed by the program"),
    ],
)  # fmt: skip
def test_bad_input(gradcli, tmp_path, program, csv, args, message):
    path = tmp_path / "bad.csv"
    path.write_text(csv)
    result = gradcli("fit", program, "--data", path, *args)
    assert result.exit_code == (3 if "model fails" in message else 2), result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_unreadable_data_file(gradcli):
    result = gradcli("fit", "y = a*t", "--data", "/nonexistent/d.csv", "a=1")
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_missing_data_option(gradcli):
    result = gradcli("fit", "y = a*t", "a=1")
    assert result.exit_code == 2 and "--data" in result.stderr


def test_ten_thousand_rows_at_once(capsys):
    """Every row in one array pass (value and gradient): measured rows per second, reported."""
    rng = np.random.default_rng(5)
    x = np.linspace(-5.0, 5.0, 10_000)
    y = gauss(x, 3.0, 0.5, 0.8, 0.2) + rng.normal(0.0, 0.05, x.size)
    api.fit(GAUSS, {"x": x[:10], "y": y[:10]}, {"a": 1, "mu": 0, "s": 1, "b": 0})  # scipy's import, once
    start = time.perf_counter()
    r = api.fit(GAUSS, {"x": x, "y": y}, {"a": 1, "mu": 0, "s": 1, "b": 0})
    elapsed = time.perf_counter() - start
    popt, pcov = curve_fit(gauss, x, y, p0=[1, 0, 1, 0], jac=gauss_jac, **TIGHT)
    np.testing.assert_allclose([p["value"] for p in r.parameters.values()], popt, rtol=1e-6)
    np.testing.assert_allclose(r.covariance, pcov, rtol=1e-6)
    rows = 10_000 * r.evaluations["f"]
    with capsys.disabled():
        print(f"\nfit, 10,000 rows: {elapsed * 1e3:.0f} ms, {r.evaluations['f']} passes, {rows / elapsed:,.0f} rows/s")
    assert elapsed < 2.0


def test_data_from_standard_input(gradcli):
    result = gradcli("fit", "y = a*t", "a=1", "--data", "-", "--format", "json", input="t;y\n1;2.1\n2;3.9\n3;6.2\n")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["parameters"]["a"]["value"] == pytest.approx((2.1 + 2 * 3.9 + 3 * 6.2) / 14, rel=1e-12)
    result = gradcli("fit", "-", "a=1", "--data", "-", input="y = a*t")
    assert result.exit_code == 2 and "the program is read from it already" in result.stderr


def test_a_parameter_the_model_ignores_leaves_the_others_uncertainties_finite(gradcli, decay_data):
    # review: 0*b (or A*B) made every u infinite; the determined ones keep curve_fit's values
    # (a determined parameter's (JᵀJ)⁺ variance is its variance in the fit without the free ones)
    path, *_ = decay_data
    doc = json.loads(gradcli("fit", "y = A*exp(-k*t) + c", "--data", plain(path), "A=1", "k=0.3", "c=0",
                             "--format", "json").stdout)  # fmt: skip
    res = gradcli("fit", "y = A*exp(-k*t) + c + 0*b", "--data", plain(path), "A=1", "k=0.3", "c=0", "b=1",
                  "--format", "json")  # fmt: skip
    assert res.exit_code == 0 and "b can change without changing the model" in res.stderr
    got = json.loads(res.stdout)
    assert got["parameters"]["b"]["u"] == "Infinity"
    scale = math.sqrt(doc["dof"] / got["dof"])  # chi2/dof counts b: dof one less, as curve_fit's would
    for name in ("A", "k", "c"):
        assert got["parameters"][name]["u"] == pytest.approx(scale * doc["parameters"][name]["u"], rel=1e-6)
    # A*B: A and B free, k and c determined
    res = gradcli("fit", "y = A*B*exp(-k*t) + c", "--data", plain(path), "A=1", "B=1", "k=0.3", "c=0",
                  "--format", "json")  # fmt: skip
    got = json.loads(res.stdout)["parameters"]
    assert got["A"]["u"] == got["B"]["u"] == "Infinity"
    assert got["k"]["u"] == pytest.approx(scale * doc["parameters"]["k"]["u"], rel=1e-6)
