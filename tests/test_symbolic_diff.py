"""`gradcli diff` without a point (inputs stay parameters) and without --wrt (every input:
the gradient, or the Hessian's upper triangle) — issue 21, DESIGN §7.1's first bullet.

The oracle is gradcli's own float sweep (eval's gradients, `gradcli hessian`), bit for bit, and
SymPy for a few exact derivatives: the symbolic program must be the program diff prints at a
point, minus the defaults, over programs that use every op of the op table."""

import json
import random

import pytest
import sympy as sp
from every_op_programs import PROGRAMS

from gradcli import session
from gradcli.analysis.diff import parameters
from gradcli.build.standard import build
from gradcli.lang.parser import parse
from gradcli.session import Request, Source


def bits(x: float) -> str:
    return "nan" if x != x else x.hex()


def symbolic(text: str, texts=(), wrt=None, order=1) -> tuple[str, tuple[str, ...]]:
    g, free = session.diff_graph(Source(text), list(texts), Request())
    return session.diff(g, wrt, order, False, free), free


def at_point(text: str, point: dict, wrt=None, order=1) -> str:
    g = session.evaluate(Source(text), [f"{k}={v!r}" for k, v in point.items()], Request())
    return session.diff(g, wrt, order)


def value_of(program: str, name: str, point: dict | None = None) -> float:
    return build(parse(program), point or {}, of=name).output.data


def inputs_of(text: str) -> tuple[str, ...]:
    return parameters(parse(text), {})


@pytest.mark.parametrize("text", PROGRAMS)
def test_symbolic_gradient_is_the_point_programs_and_evals_bit_for_bit(text):
    program, free = symbolic(text)
    assert free == inputs_of(text) and free  # the inputs without a value, in order of appearance
    rng = random.Random(text)
    for _ in range(25):
        point = {name: rng.uniform(0.2, 1.8) for name in free}
        fixed = at_point(text, point)
        defaults = tuple(f"{name} = " for name in free)
        # the same statements: the point's program is the symbolic one with defaults added
        assert [line for line in fixed.splitlines() if not line.startswith(defaults)] == program.splitlines()
        g = session.evaluate(Source(text), [f"{k}={v!r}" for k, v in point.items()], Request())
        gradient = g.gradients()
        names = [line.split(" = ")[0] for line in program.splitlines() if line.startswith("d")][-len(gradient) :]
        assert len(names) == len(gradient)
        for name, (x, grad) in zip(names, gradient.items()):
            assert name == f"d{g.output_name}_d{x}"
            got = value_of(program, name, point)
            assert bits(got) == bits(value_of(fixed, name)) == bits(grad), (text, point, name)


@pytest.mark.parametrize("text", PROGRAMS[1:])  # two inputs or more
def test_symbolic_hessian_triangle_is_gradcli_hessians_bit_for_bit(text):
    program, free = symbolic(text, order=2)
    rng = random.Random(text + "h")
    for _ in range(8):
        point = {name: rng.uniform(0.2, 1.8) for name in free}
        g = session.evaluate(Source(text), [f"{k}={v!r}" for k, v in point.items()], Request())
        h = session.hessian(g)
        n, out = len(h.inputs), g.output_name
        expected = {}
        for i in range(n):
            for j in range(i, n):
                name = f"d2{out}_d{h.inputs[i]}2" if i == j else f"d2{out}_d{h.inputs[i]}d{h.inputs[j]}"
                expected[name] = h.matrix[i][j]
        lines = program.splitlines()
        assert [line.split(" = ")[0] for line in lines[-len(expected) :]] == list(expected)
        for name, entry in expected.items():
            assert bits(value_of(program, name, point)) == bits(entry), (text, point, name)
        fixed = at_point(text, point, order=2)
        assert [line for line in fixed.splitlines() if not line.startswith(tuple(f"{n} = " for n in free))] == lines


def test_a_mix_of_bound_and_unbound_inputs():
    text = "L = tanh(w1*x1 + w2*x2 + b) * c"
    program, free = symbolic(text, ["x1=0.5", "x2=-1.25"])
    assert free == ("w1", "w2", "b", "c")
    assert program.splitlines()[:2] == ["x1 = 0.5", "x2 = -1.25"]  # the bound ones are defaults
    point = {"w1": 0.3, "w2": -0.7, "b": 0.1, "c": 2.0}
    g = session.evaluate(Source(text), ["x1=0.5", "x2=-1.25", *[f"{k}={v}" for k, v in point.items()]], Request())
    for name, grad in g.gradients().items():
        assert bits(value_of(program, f"dL_d{name}", point)) == bits(grad)


def test_against_sympy_in_the_parameters():
    program, _ = symbolic("y = x*sin(x)*exp(w*x)", wrt="x", order=3)
    sx, sw = sp.symbols("x w")
    exact = sp.diff(sx * sp.sin(sx) * sp.exp(sw * sx), sx, 3)
    for x, w in [(0.3, -1.0), (1.7, 0.25), (-2.0, 0.5)]:
        want = float(exact.evalf(30, subs={sx: x, sw: w}))
        assert value_of(program, "d3y_dx3", {"x": x, "w": w}) == pytest.approx(want, rel=1e-12)


def test_the_placeholder_is_outside_a_domain_yet_the_program_is_printed():
    program, free = symbolic("y = log(x - 1) * sqrt(x - 2)", wrt="x")  # x = 0.5 is in neither domain
    assert free == ("x",)
    x = 3.5
    sx = sp.Symbol("x")
    want = float(sp.diff(sp.log(sx - 1) * sp.sqrt(sx - 2), sx).evalf(30, subs={sx: x}))
    assert value_of(program, "dy_dx", {"x": x}) == pytest.approx(want, rel=1e-14)


# -- the command line --------------------------------------------------------------------------


def test_diff_without_a_point_pipes_into_eval(gradcli, eval_json):
    result = gradcli("diff", "y = x*sin(x)", "--wrt", "x")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "dy_dx = sin(x) + x*cos(x)\n"  # no default for x
    doc = eval_json("-", "x=2", input=result.stdout)
    assert doc["value"] == eval_json("y = x*sin(x)", "x=2")["gradients"]["x"]
    assert doc["value"] == pytest.approx(float(sp.sin(2) + 2 * sp.cos(2)), rel=1e-15)


def test_diff_without_wrt_names_each_derivative_for_of(gradcli, eval_json):
    text = "L = a*b + sin(a)*c"
    result = gradcli("diff", text, "a=1", "b=2", "c=3")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-3:] == ["dL_da = c*cos(a) + b", "dL_db = a", "dL_dc = sin(a)"]
    grads = eval_json(text, "a=1", "b=2", "c=3")["gradients"]
    assert eval_json("-", input=result.stdout)["value"] == grads["c"]  # the last statement: the last input's
    for name, grad in grads.items():
        assert eval_json("-", "--of", f"dL_d{name}", input=result.stdout)["value"] == grad


def test_wrt_a_comma_list_and_the_hessian_triangle(gradcli, eval_json):
    text = "f = (1 - x)**2 + 100*(y - x**2)**2 + z*x"
    result = gradcli("diff", text, "--wrt", "x,y", "--order", "2")
    assert result.exit_code == 0, result.stderr
    names = [line.split(" = ")[0] for line in result.stdout.splitlines()[-3:]]
    assert names == ["d2f_dx2", "d2f_dxdy", "d2f_dy2"]
    h = json.loads(gradcli("hessian", text, "x=1", "y=1", "z=0.5", "--format", "json").stdout)["hessian"]
    for name, want in zip(names, (h[0][0], h[0][1], h[1][1])):
        got = eval_json("-", "x=1", "y=1", "z=0.5", "--of", name, input=result.stdout)["value"]
        assert got == want
    assert h[0][0] == 802.0 and h[0][1] == -400.0 and h[1][1] == 200.0  # 2 + 1200x^2 - 400y, -400x, 200
    gradient = gradcli("diff", text, "--wrt", "y,x").stdout.splitlines()
    assert [line.split(" = ")[0] for line in gradient[-2:]] == ["df_dy", "df_dx"]  # the order asked


@pytest.mark.parametrize(
    "args, message",
    [
        (["y = x*w", "--order", "3"], "--order 3 needs one input"),
        (["y = x*w", "--wrt", "x,w", "--order", "3"], "name it with --wrt NAME"),
        (["y = x*w", "--wrt", "x,x"], "--wrt names x twice"),
        (["y = x*w", "--wrt", "x,"], "separated by commas"),
        (["y = x*w", "--wrt", "x,q"], "not an input"),
        (["y = x*w", "--order", "0"], "--order must be between"),
        (["y = x[0]*2"], "give an array its value"),
    ],
)
def test_bad_input_exits_2(gradcli, args, message):
    result = gradcli("diff", *args)
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_point_still_checks_finiteness_but_no_point_does_not(gradcli):
    assert gradcli("diff", "y = sqrt(x)", "x=0", "--wrt", "x").exit_code == 3
    result = gradcli("diff", "y = sqrt(x)", "--wrt", "x")
    assert result.exit_code == 0 and result.stdout == "y = sqrt(x)\ndy_dx = 1/(2*y)\n"


def test_wrt_names_array_elements_whose_commas_are_the_elements(gradcli):
    """--wrt 'W[0,1],W[1,0]': the comma inside brackets belongs to the element (it was split there)."""
    result = gradcli("diff", "y = sum(W*W) + W[0,1]", "W=[[1,2],[3,4]]", "--wrt", "W[0,1],W[1,0]", "--to", "python")
    assert result.exit_code == 0, result.stderr
    namespace: dict = {}
    exec(result.stdout, namespace)
    value, (d01, d10) = namespace["y_grad"]()
    assert (value, d01, d10) == (1 + 4 + 9 + 16 + 2, 2 * 2 + 1, 2 * 3)


@pytest.mark.parametrize("typed, meant", [("pyhton", "python"), ("Python", "python"), ("js", "javascript"), ("C", "c")])
def test_a_mistyped_target_gets_a_did_you_mean(gradcli, typed, meant):
    result = gradcli("diff", "y = x*x", "--to", typed)
    assert result.exit_code == 2
    assert f"--to {typed}: not a target" in result.stderr and f"did you mean '{meant}'?" in result.stderr


def test_a_name_read_before_its_value_is_not_suggested_as_itself(gradcli):
    result = gradcli("eval", "y = x*y", "x=1")
    assert result.exit_code == 2 and "'y' has no value" in result.stderr
    assert "did you mean 'y'" not in result.stderr
