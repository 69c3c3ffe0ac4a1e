"""Generated programs: a seeded, random-ish mix of + - * / ** and relu over earlier names.

One list of statements, rendered twice: as a gradcli program (`tK = ...` lines, inputs given as
literals `x0 = 0.7`) and as straight-line Python over any Value class (`relu(a)` becomes
`(a).relu()`), so micrograd, PyTorch and gradcli's Python API build exactly the graph the
gradcli program describes.

Each statement reads the previous one (so the program is one long dependency chain and every
node reaches the output) and one or two other operands: an earlier statement, an input (so
inputs have gradients from the whole program) or a number.  Values are evaluated while
generating, and a form is rejected if its value would leave [0.25, 4], if its relu would be at
or near 0 (a kink, or a zero gradient cutting the chain), or if it would pass more than 0.95 of
its gradient back to earlier statements (the sum of the absolute partial derivatives with
respect to statement operands).  So no program overflows, divides by ~0 or hits a kink, and
gradients neither grow nor vanish with the program's length.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

# (gradcli text, Python text, value): operands a, b, c are names or numbers
FORMS: list[tuple[str, str, object]] = [
    ("({a} + {b}) * 0.5", "({a} + {b}) * 0.5", lambda a, b, c: (a + b) * 0.5),
    ("{a} * {b}", "{a} * {b}", lambda a, b, c: a * b),
    ("{a} / {b}", "{a} / {b}", lambda a, b, c: a / b),
    ("({a} - {b}) * 0.5 + {c}", "({a} - {b}) * 0.5 + {c}", lambda a, b, c: (a - b) * 0.5 + c),
    ("relu({a} - {b}) * 0.5 + {c}", "({a} - {b}).relu() * 0.5 + {c}", lambda a, b, c: max(a - b, 0.0) * 0.5 + c),
    ("({a} * {b}) ** 0.5", "({a} * {b}) ** 0.5", lambda a, b, c: math.sqrt(a * b)),
    ("{a} * 0.75 + {b} / {c} * 0.25", "{a} * 0.75 + {b} / {c} * 0.25", lambda a, b, c: a * 0.75 + b / c * 0.25),
    ("{a} ** 2 / ({b} + {c})", "{a} ** 2 / ({b} + {c})", lambda a, b, c: a * a / (b + c)),
    ("({a} + 1.5) / ({b} + 0.5) - {c} * 0.25", "({a} + 1.5) / ({b} + 0.5) - {c} * 0.25",
     lambda a, b, c: (a + 1.5) / (b + 0.5) - c * 0.25),
]  # fmt: skip

LO, HI = 0.25, 4.0


@dataclass
class Generated:
    text: str  # the gradcli program
    python: str  # `def build(leaf):` ... `return output, [inputs]`
    inputs: list[str]
    statements: int
    output: str


def _mass(fn, xs: tuple, operands: tuple, inputs: list[str]) -> float:
    """Sum of |d value / d operand| over the operands that are statements (not inputs, not numbers),
    by central differences.  Keeping it below 1 keeps gradients bounded however long the program."""
    total = 0.0
    for i, name in enumerate(operands):
        if not name[0].isalpha() or name in inputs:
            continue
        h = 1e-6 * max(abs(xs[i]), 1.0)
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        total += abs(fn(*up) - fn(*down)) / (2 * h)
    return total


def generate(statements: int, inputs: int = 8, seed: int = 5) -> Generated:
    rng = random.Random(seed)
    lines: list[str] = []
    py: list[str] = ["def build(leaf):"]
    names: list[str] = []
    values: list[float] = []
    for i in range(inputs):
        v = round(rng.uniform(0.5, 2.0), 3)
        name = f"x{i}"
        lines.append(f"{name} = {v!r}")
        py.append(f"    {name} = leaf({v!r})")
        names.append(name)
        values.append(v)

    def operand() -> tuple[str, float]:
        r = rng.random()
        if r < 0.15:  # an input
            j = rng.randrange(inputs)
        elif r < 0.25:  # a number
            v = round(rng.uniform(0.5, 2.0), 2)
            return repr(v), v
        elif r < 0.7:  # a recent statement
            j = max(len(names) - 1 - int(rng.expovariate(1 / 20)), 0)
        else:  # any earlier statement
            j = rng.randrange(len(names))
        return names[j], values[j]

    for k in range(statements):
        a, av = names[-1], values[-1]
        for _attempt in range(30):
            gtext, ptext, fn = FORMS[rng.randrange(len(FORMS))]
            (b, bv), (c, cv) = operand(), operand()
            if "relu" in gtext and av - bv < 1e-6:  # only where relu passes the gradient on
                continue
            try:
                v = fn(av, bv, cv)
                mass = _mass(fn, (av, bv, cv), (a, b, c), inputs=names[:inputs])
            except (ZeroDivisionError, ValueError):
                continue
            if LO <= v <= HI and 0.2 <= mass <= 5.0:
                break
        else:  # in range, mass 1
            gtext, ptext, fn = FORMS[0]
            b, c = names[-2], "0"
            v, mass = fn(av, values[-2], 0.0), 1.0
        gtext, ptext = gtext.format(a=a, b=b, c=c), ptext.format(a=a, b=b, c=c)
        if not 0.98 <= mass <= 1.02:
            # rescale around the value: (e) * s + (v - v*s) has the same value and mass 1
            scale = round(1.0 / mass, 4)
            shift = round(v - v * scale, 4)
            tail = f" * {scale!r} {'-' if shift < 0 else '+'} {abs(shift)!r}"
            gtext, ptext = f"({gtext}){tail}", f"({ptext}){tail}"
            v = v * scale + shift
        name = f"t{k}"
        lines.append(f"{name} = {gtext}")
        py.append(f"    {name} = {ptext}")
        names.append(name)
        values.append(v)
    input_names = names[:inputs]
    py.append(f"    return {names[-1]}, [{', '.join(input_names)}]")
    return Generated("\n".join(lines) + "\n", "\n".join(py) + "\n", input_names, statements, names[-1])


def compile_builder(gen: Generated):
    """The Python rendering as a function build(leaf) -> (output, input leaves)."""
    namespace: dict = {}
    exec(compile(gen.python, f"<generated {gen.statements} statements>", "exec"), namespace)
    return namespace["build"]
