"""The programs of the codegen benchmark and their references: each program written once, as a
Python expression that is also gradcli program text, evaluated in a SymPy, a JAX or no namespace.

SymPy has no softplus, sigmoid or logsumexp: they are written as a SymPy user writes them,
log(1 + exp(u)), 1/(1 + exp(-u)), log(exp(a) + exp(b)) (that is the point of figure 5).  JAX
uses jax.nn's.  Operations are counted the same way for gradcli and SymPy: both printed as
Python, then ast's BinOp, UnaryOp, Call, Compare, IfExp and BoolOp nodes of the assignments
(a call of a helper such as `_exp(t1)` or `math.exp(t1)` is one operation, like `a*b`).

Run as a script (`--sympy-worker NAME`) it times SymPy's diff + cse + printer for one program
and prints JSON: the benchmark runs it in a subprocess so a time-out can stop it.
"""

from __future__ import annotations

import ast
import json
import sys
import time
from typing import Any, NamedTuple


class Prog(NamedTuple):
    name: str
    inputs: tuple[str, ...]
    expr: str  # gradcli text of `f = expr`, and a Python expression in the namespaces below
    about: str
    lets: tuple[tuple[str, str], ...] = ()  # statements `name = expr` before f's, in the same two languages

    def text(self) -> str:
        """The gradcli program."""
        return "".join(f"{n} = {e}\n" for n, e in self.lets) + f"f = {self.expr}\n"


def _chain(depth: int, inner: str) -> str:
    """sin(exp(sin(exp(... inner ...)))), `depth` functions deep."""
    text = inner
    for k in range(depth):
        text = f"{'sin' if k % 2 == 0 else 'exp'}({text})"
    return text


def _reuse(depth: int) -> tuple[tuple[str, str], ...]:
    """h1 = h0*sin(h0) + x, h2 = h1*sin(h1) + x, ...: each temporary used three times."""
    return (("h0", "x*y"),) + tuple((f"h{k}", f"h{k - 1}*sin(h{k - 1}) + x") for k in range(1, depth))


def programs() -> dict[str, Prog]:
    xs7 = ("w1", "x1", "w2", "x2", "w3", "x3", "b")  # every program's inputs in order of appearance (eval's)
    xs20 = tuple(f"x{i}" for i in range(1, 21))
    ps = [
        Prog("exp_sin", ("x", "y"), "exp(x*y)*sin(x*y) + (x*y)**2", "exp(xy) sin(xy) + (xy)^2 (the issue's)"),
        Prog("neuron7", xs7, "tanh(w1*x1 + w2*x2 + w3*x3 + b)", "a 7-input tanh neuron (the issue's)"),
        Prog(
            "smooth",
            ("a", "x", "b", "c"),
            "softplus(a*x + b)*sigmoid(c*x) + logsumexp([a*x, b*c])",
            "softplus, sigmoid and logsumexp",
        ),
        Prog("chain10", ("x", "y"), _chain(10, "x*y"), "sin(exp(sin(...(xy)))), 10 deep"),
        Prog("chain30", ("x",), _chain(30, "x"), "sin(exp(sin(...x...))), 30 deep"),
        Prog("prod20", xs20, "*".join(xs20), "a product of 20 inputs"),
        Prog("reuse10", ("x", "y"), "h9*sin(h9) + x", "h = h*sin(h) + x, 10 deep (temporaries reused)", _reuse(10)),
        Prog("reuse20", ("x", "y"), "h19*sin(h19) + x", "h = h*sin(h) + x, 20 deep", _reuse(20)),
    ]
    return {p.name: p for p in ps}


# -- namespaces ----------------------------------------------------------------------------


def sympy_namespace() -> dict[str, Any]:
    import sympy as sp

    return {
        "exp": sp.exp,
        "sin": sp.sin,
        "cos": sp.cos,
        "tanh": sp.tanh,
        "log": sp.log,
        "sqrt": sp.sqrt,
        "softplus": lambda u: sp.log(1 + sp.exp(u)),
        "sigmoid": lambda u: 1 / (1 + sp.exp(-u)),
        "logsumexp": lambda v: sp.log(sum(sp.exp(t) for t in v)),
    }


def sympy_expr(p: Prog):
    """(symbols, f) in SymPy."""
    import sympy as sp

    syms = sp.symbols(p.inputs)
    ns = {**sympy_namespace(), **dict(zip(p.inputs, syms))}
    for name, e in p.lets:
        ns[name] = eval(e, ns)  # noqa: S307 - the benchmark's own expressions
    return list(syms), eval(p.expr, ns)  # noqa: S307 - the benchmark's own expressions


def jax_function(p: Prog):
    """f(*scalars) in jax.numpy, or None when jax is not installed."""
    try:
        import jax
        import jax.numpy as jnp
        from jax.scipy.special import logsumexp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    ns = {
        "exp": jnp.exp,
        "sin": jnp.sin,
        "cos": jnp.cos,
        "tanh": jnp.tanh,
        "log": jnp.log,
        "sqrt": jnp.sqrt,
        "softplus": jax.nn.softplus,
        "sigmoid": jax.nn.sigmoid,
        "logsumexp": lambda v: logsumexp(jnp.stack(v)),
    }
    body = "".join(f"    {n} = {e}\n" for n, e in p.lets)
    exec(f"def f({', '.join(p.inputs)}):\n{body}    return {p.expr}\n", ns)  # noqa: S102 - the benchmark's own code
    return ns["f"]


# -- counting operations -------------------------------------------------------------------

_OPS = (ast.BinOp, ast.UnaryOp, ast.Call, ast.Compare, ast.IfExp, ast.BoolOp)


def count_assignments(source: str, function: str | None = None) -> int:
    """Operations in the right-hand sides of the assignments (of `function`'s body if named, else
    of the module's top level).  A negative number literal is a constant, not an operation."""
    tree = ast.parse(source)
    body = tree.body
    if function is not None:
        body = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function).body
    count = 0
    for stmt in _flatten(body):
        if isinstance(stmt, ast.Assign):
            for node in ast.walk(stmt.value):
                if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
                    continue
                count += isinstance(node, _OPS)
    return count


def _flatten(body: list) -> list:
    out = []
    for stmt in body:
        out.append(stmt)
        if isinstance(stmt, ast.With):
            out.extend(_flatten(stmt.body))
    return out


def sympy_code(p: Prog) -> dict[str, Any]:
    """SymPy's value + gradient: diff, a joint cse over [f, df/dx, ...], printed as Python
    (pycode); timed by phase, with both operation counts."""
    import sympy as sp
    from sympy.printing.pycode import pycode

    t0 = time.perf_counter()
    syms, f = sympy_expr(p)
    t1 = time.perf_counter()
    grads = [sp.diff(f, s) for s in syms]
    t2 = time.perf_counter()
    replacements, reduced = sp.cse([f, *grads])
    t3 = time.perf_counter()
    lines = [f"{s} = {pycode(e)}" for s, e in replacements]
    lines += [f"out{i} = {pycode(e)}" for i, e in enumerate(reduced)]
    source = "\n".join(lines) + "\n"
    t4 = time.perf_counter()
    count_ops = sum(sp.count_ops(e) for _, e in replacements) + sum(sp.count_ops(e) for e in reduced)
    return {
        "build": t1 - t0,
        "diff": t2 - t1,
        "cse": t3 - t2,
        "print": t4 - t3,
        "total": t4 - t0,
        "ops_ast": count_assignments(source),
        "count_ops": int(count_ops),
        "statements": len(lines),
        "chars": len(source),
    }


def jaxpr_equations(p: Prog) -> int | None:
    """Top-level equations of the jaxpr of value_and_grad (calls such as pjit count once)."""
    f = jax_function(p)
    if f is None:
        return None
    import jax

    grad = jax.value_and_grad(f, argnums=tuple(range(len(p.inputs))))
    return len(jax.make_jaxpr(grad)(*[0.5] * len(p.inputs)).jaxpr.eqns)


def _warm_up() -> None:
    """SymPy's first diff, cse and printer in a process load modules: done on an unrelated
    expression (not the measured one, which SymPy's cache would then remember)."""
    import sympy as sp
    from sympy.printing.pycode import pycode

    u = sp.Symbol("u_warm")
    pycode(sp.cse([sp.diff(sp.exp(u) * sp.cos(u) / (1 + u**3), u)])[1][0])


def _has(module: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module) is not None


def warm_up_references() -> None:
    """The first lambdify and the first jit in a process load modules and start the backend: done
    once on an unrelated function, so that the first program's setup is not charged for them."""
    if _has("sympy"):
        import sympy

        u = sympy.Symbol("u_warm")
        sympy.lambdify([u], [sympy.diff(sympy.exp(u) * sympy.cos(u), u)], "numpy", cse=True)(1.0)
    if _has("jax"):
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)  # as jax_function sets it
        jax.block_until_ready(jax.jit(jax.vmap(jax.value_and_grad(lambda v: jnp.sin(v) * v)))(jnp.ones(3)))


if __name__ == "__main__" and sys.argv[1:2] == ["--sympy-worker"]:
    _warm_up()
    print(json.dumps(sympy_code(programs()[sys.argv[2]])))


# -- programs of ~10,000 nodes -------------------------------------------------------------

_STEPS = (
    "t{k} = t{j}*0.999 + sin(x)*y",
    "t{k} = tanh(t{j}) + x/2",
    "t{k} = exp(t{j}*0.01)*y - x",
    "t{k} = log(1 + t{j}*t{j})*0.5 + y",
    "t{k} = sqrt(1 + t{j}**2) - x*y",
)


def long_chain(steps: int) -> str:
    """A chain mixing + - * / ** sin tanh exp log sqrt, each step reading the previous one."""
    lines = ["t0 = x*y"] + [_STEPS[k % len(_STEPS)].format(k=k, j=k - 1) for k in range(1, steps + 1)]
    return "\n".join(lines + [f"f = t{steps}"]) + "\n"


def wide_sum(terms: int, inputs: int = 50) -> str:
    """f = sum of `terms` products x_i*x_j*c over 50 inputs: a gradient with 50 long sums."""
    return "f = " + " + ".join(f"x{i % inputs}*x{(i * 7 + 1) % inputs}*{1 + i % 5}" for i in range(terms)) + "\n"
