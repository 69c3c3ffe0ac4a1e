"""Pass 1 of a build: every name a program reads and writes, checked before anything is computed.

Unknown functions, arity, assignments to built-ins, every unbound name at once: a typo is
reported before a math error that happens to come first.  Pass 1 also finds the inputs (in
order of appearance), the constant statements (inputs with defaults) and the numbers that
underflow to 0, so that pass 2 (gradcli.build.builder) only builds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gradcli.core.errors import BindingError, NameError_, UsageError
from gradcli.core.ops import CONSTANTS, FUNCTIONS
from gradcli.lang.located import located
from gradcli.lang.numbers import underflows
from gradcli.lang.program import CALL, KIND, NAME, NUM, VAR, Eq, Program, Stmt
from gradcli.lang.suggest import ALIAS_HINTS, suggest


def is_constant(program: Program, stmt: Stmt) -> bool:
    """A statement whose expression has no names in it but pi and tau (`2.0`, `pi/4`, `-(2)`):
    its target is an input with that default, exactly like a binding."""
    if stmt.aug or stmt.target is None:
        return False
    for e in program.code[stmt.lo : stmt.hi]:
        if e[KIND] == VAR and e[NAME] not in CONSTANTS:
            return False
    return True


@dataclass
class Names:
    """What pass 1 knows while it walks the statements."""

    bindings: dict
    allow_nonfinite: bool
    extensions: tuple  # gradcli.build.extension.Extension: pass 1 asks each (calls, definitions)
    defined: dict = field(default_factory=dict)  # name -> "input" | "node"
    inputs: dict = field(default_factory=dict)  # in order of appearance
    used: set = field(default_factory=set)
    unbound: dict = field(default_factory=dict)  # name -> offset of its first use
    constant: dict = field(default_factory=dict)  # target -> its first constant statement
    underflows: list = field(default_factory=list)  # (text, offset) of numbers read as 0

    def found(self) -> tuple[list[str], list[str]]:
        """(inputs in order of appearance, bindings the program never uses)."""
        return list(self.inputs), [n for n in self.bindings if n not in self.used]


def check_names(
    program: Program, bindings: dict[str, float], allow_nonfinite: bool = False, extensions: tuple = ()
) -> tuple[list[str], list[str]]:
    """Pass 1: raise on any name error; return (inputs in order of appearance, unused bindings)."""
    return pass1(program, bindings, allow_nonfinite, extensions).found()


def pass1(program: Program, bindings: dict[str, float], allow_nonfinite: bool, extensions: tuple) -> Names:
    """Pass 1's one walk over the equations: name errors raised, inputs, constants, underflows."""
    for extension in extensions:  # e.g. user functions: definitions, scopes, name clashes
        extension.check(program, bindings)
    if not program.stmts:
        raise UsageError("the program is empty: write at least one statement, e.g. 'y = x*x'")
    for name in bindings:
        if name in CONSTANTS or name in FUNCTIONS:
            raise BindingError(f"'{name}' is a built-in name and cannot be bound")
    st = Names(bindings, allow_nonfinite, extensions, {n: "input" for n in bindings})
    last = len(program.stmts) - 1
    for i, stmt in enumerate(program.stmts):
        if stmt.target is None and i != last:
            msg = "a bare expression must be the last statement (assign it to a name)"
            raise located(UsageError, program, msg, stmt.start, stmt.end)
        reads_names = _check_reads(program, stmt, st)
        if stmt.target is not None:
            _check_target(program, stmt, st, not reads_names and not stmt.aug)
    if st.unbound:
        raise _unboundlocated(program, st)
    return st


def _check_reads(program: Program, stmt: Stmt, st: Names) -> bool:
    """Every name, call and number a statement reads; whether it reads a name (not pi, tau)."""
    reads = program.code[stmt.lo : stmt.hi]
    if stmt.aug:  # NAME += expr reads NAME first
        reads.insert(0, Eq(VAR, stmt.target, 0, stmt.start, stmt.start + len(stmt.target)))
    reads_names = False
    defined, used, inputs = st.defined, st.used, st.inputs
    for kind, name, arg, start, end in reads:  # Eq's fields by position: this loop is hot
        if kind == VAR:
            if name in CONSTANTS:
                continue
            reads_names = True
            state = defined.get(name)
            if state == "node":  # the common case (a name computed before; never a function's)
                continue
            if name in FUNCTIONS or name in program.functions:
                raise located(NameError_, program, f"'{name}' is a function: call it as {name}(...)", start, end)
            if state is None:
                st.unbound.setdefault(name, start)
            else:  # an input
                used.add(name)
                inputs.setdefault(name)
        elif kind == CALL:
            check_call(program, name, arg, start, end, st.extensions)  # arg: the call's argument count
        elif kind == NUM:  # arg: the number's value
            if arg == 0.0:
                if underflows(name):  # `1e-400`: written nonzero, read as 0
                    st.underflows.append((name, start))
            elif arg - arg != 0.0 and not st.allow_nonfinite:
                msg = f"the number {name} is too large for a double (the largest is about 1.8e308)"
                raise located(UsageError, program, msg, start, end, hint="--allow-nonfinite carries it on as infinity")
    return reads_names


def _check_target(program: Program, stmt: Stmt, st: Names, constant: bool) -> None:
    """The name a statement assigns: not a built-in; an input once; not a bound name it computes.
    `constant`: its expression reads no name (see is_constant)."""
    target = stmt.target
    name_end = stmt.start + len(target)
    if target in CONSTANTS or target in FUNCTIONS:
        raise located(
            NameError_, program, f"'{target}' is a built-in name and cannot be assigned", stmt.start, name_end
        )
    if constant:
        st.constant.setdefault(target, stmt)
        if target in st.inputs or st.defined.get(target) == "node":
            raise located(
                NameError_,
                program,
                f"'{target}' is assigned a constant but already has a value{_first_value(program, stmt, st)}: "
                "an input gets its value once",
                stmt.start,
                stmt.end,
                hint="use a new name for the second value",
            )
        st.inputs.setdefault(target)
        st.defined[target] = "input"
        st.used.add(target)
        return
    if target in st.bindings and target not in st.used:
        where = program.where(stmt.start)  # `line 3`, or `main.grad:3:1` when several files are joined
        raise located(
            BindingError,
            program,
            f"'{target}' is given a value on the command line, but the program computes it ({where}) "
            "before using it, so that value would be ignored",
            stmt.start,
            name_end,
            hint=f"remove {target}=... or rename the program's '{target}'",
        )
    st.defined[target] = "node"


def _first_value(program: Program, stmt: Stmt, st: Names) -> str:
    """Where a name assigned again got its first value: ` (first given a value in lib.grad:1:1)`
    (Program.where names the file of a joined program), or on the command line."""
    for earlier in program.stmts:
        if earlier is stmt:
            break
        if earlier.target == stmt.target:
            return f" (first given a value {'in' if program.origins else 'on'} {program.where(earlier.start)})"
    if stmt.target in st.bindings:
        return f" (first given a value on the command line: {stmt.target}=...)"
    return ""


def _unboundlocated(program: Program, st: Names) -> NameError_:
    names = list(st.unbound)
    first = st.unbound[names[0]]
    if len(names) == 1:
        (name,) = names
        hint = suggest(name, [*st.defined, *CONSTANTS]) or (
            f"give it a value on the command line ({name}=1.0) or in the program ({name} = 1.0)"
        )
        return located(NameError_, program, f"'{name}' has no value", first, first + len(name), hint=hint)
    listed = ", ".join(f"'{n}'" for n in names)
    example = " ".join(f"{n}=1.0" for n in names)
    return located(
        NameError_,
        program,
        f"{len(names)} names have no value: {listed}",
        first,
        first + len(names[0]),
        hint=f"give them values on the command line, e.g. {example}",
    )


def check_call(program: Program, fn: str, nargs: int, start: int, end: int, extensions: tuple = ()) -> None:
    """A call: the op table's with its arity, or an extension's (an array function, a user function)."""
    op = FUNCTIONS.get(fn)
    if op is not None and nargs == op.arity:
        return  # the common case, decided without asking: no extension claims a built-in at its arity
    for extension in extensions:
        if extension.claims_call(program, fn, nargs, start, end):
            return
    if op is None:
        hint = ALIAS_HINTS.get(fn) or suggest(fn, FUNCTIONS)
        raise located(NameError_, program, f"unknown function '{fn}'", start, start + len(fn), hint=hint)
    if nargs != op.arity:
        s = "" if op.arity == 1 else "s"
        raise located(NameError_, program, f"{fn} takes {op.arity} argument{s}, got {nargs}", start, end)
