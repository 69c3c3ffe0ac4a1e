"""The seed's example (shared/seed/backpropagation-notes.txt) as the tests use it: one copy,
the program a new user runs from examples/seed.grad, with its hand-derived gradients."""

from pathlib import Path

SEED = (Path(__file__).parent.parent / "examples" / "seed.grad").read_text()

# By hand: L = f*d, d = e + c, e = a*b, so dL/da = dL/de * b = f*b = 6, dL/db = f*a = -4,
# dL/dc = dL/dd = f = -2, dL/df = d = -1, dL/de = dL/dd = -2.
HAND = {"a": 6.0, "b": -4.0, "c": -2.0, "f": -1.0}
