"""The builder's one extension interface: how an input kind or a language feature (arrays, user
functions, uncertain inputs) joins the build without the builder naming it.

The builder runs the scalar language alone.  At each point where a feature may take over, it
asks the extensions it was given, in order; each hook's default says "not mine", so an
extension overrides only what it adds.  Pass 1 (names, nothing built yet) asks every extension;
pass 2 asks only those whose `applies` is true for this program and bindings.  Hooks receive the
build's state `b` (gradcli.build.builder.Build) and use its public methods: `b.apply` makes a
node, `b.evaluate` runs a statement's equations, `b.scope` runs them in another environment,
`b.constant_value` evaluates a constant statement.

To add an input kind: subclass Extension in a module of gradcli/build and add an instance to
gradcli/build/standard.py's EXTENSIONS (ARCHITECTURE.md, "Add an input kind").
"""

from __future__ import annotations

from collections.abc import Callable


class Extension:
    """Every hook, with the default that leaves the work to the builder."""

    #: pass 2's per-equation hook, or None: step(b, values, eq) -> bool runs the equation `eq`
    #: (kind, name, arg, start, end) on the value stack when it is the extension's (True), else leaves it (False).
    #: A plain attribute, not a method: the builder's hot loop calls it without a bound-method lookup.
    step: Callable[..., bool] | None = None

    def applies(self, program, bindings: dict) -> bool:
        """Whether this program and these bindings use the extension (after pass 1)."""
        return False

    # -- bindings: NAME=VALUE text, before any build ------------------------------------------

    def binding(self, text: str, raw: str, allow_nonfinite: bool, value_of) -> object | None:
        """The value of a binding `text` whose value part `raw` is written in the extension's own
        syntax (`1.0±0.1`), or None.  `value_of(text, allow_nonfinite)` reads a plain NAME=VALUE,
        for the parts (gradcli.build.bindings.parse_binding)."""
        return None

    # -- pass 1: names (raise a located error; build nothing) --------------------------------

    def check(self, program, bindings: dict) -> None:
        """Whole-program checks before the statements' names are checked."""

    def claims_call(self, program, fn: str, nargs: int, start: int, end: int) -> bool:
        """A call `fn(...)` with `nargs` arguments is the extension's (checked; raise if wrong)."""
        return False

    # -- pass 2: the graph --------------------------------------------------------------------

    def constant(self, program, stmt) -> object | None:
        """A constant statement's value read without making nodes (`W = [[1, 2], [3, 4]]`), or None."""
        return None

    def add_input(self, b, name: str, value, default_stmt) -> bool:
        """Make the leaves of an input whose value is the extension's (True), else False."""
        return False

    def call(self, b, fn: str, args: tuple, start: int, end: int) -> object | None:
        """The value of a call the op table does not know (a user function), or None."""
        return None

    def assign(self, b, stmt, value, start: int) -> object | None:
        """Assign a statement's value when it is the extension's (an array), or None."""
        return None

    def pick(self, b, of: str) -> tuple | None:
        """`--of` naming something the builder cannot (`y[0]`): (node, name), or None."""
        return None

    def finish(self, graph, b, constants: dict) -> None:
        """Attach what the extension knows to the finished Graph.  `constants`: the program's
        constant statements by name (its inputs' defaults)."""
