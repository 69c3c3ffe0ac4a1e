"""Bindings: `NAME=VALUE` from the command line and `--bindings FILE` (a JSON object), read into
the values a build takes (floats, nested lists for arrays, Uncertain for `1.0±0.1`)."""

from __future__ import annotations

import math
import re

from gradcli.build.array_values import MAX_DIMS, ShapeError, nesting, value_shape
from gradcli.build.standard import EXTENSIONS, build
from gradcli.core.errors import BindingError, GradcliError, MathError, SyntaxError_, UsageError
from gradcli.core.ops import CONSTANTS, FUNCTIONS
from gradcli.lang.numbers import NONFINITE, NotANumber, number_hint, parse_number, read_number
from gradcli.lang.program import Program

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def parse_binding(text: str, allow_nonfinite: bool = False) -> tuple[str, float]:
    """'a=2', 'x=-1e-3', 'theta=pi/4' -> (name, value).  VALUE is a number or a constant
    expression of the language (numbers, pi, tau, operators, functions)."""
    name, sep, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or not name or not raw:
        raise BindingError(
            f"bad binding {text!r}: expected NAME=VALUE, e.g. a=2.0",
            hint="the program itself is the first argument; with -f/--file every argument is a binding",
        )
    if not _NAME.match(name):
        raise BindingError(f"bad binding {text!r}: {name!r} is not a name")
    if name in CONSTANTS or name in FUNCTIONS:
        raise BindingError(f"bad binding {text!r}: '{name}' is a built-in name and cannot be bound")
    if "+-" in raw:  # `a=1+-0.1` would be 0.9: never guess which was meant (`1 + -0.1` is plain arithmetic)
        raise BindingError(
            f"bad binding {text!r}: '+-' is ambiguous: an uncertainty or a subtraction?",
            hint=f"for an uncertainty write {name}={raw.replace('+-', '±', 1)} (or +/-); for a subtraction, "
            f"{name}={raw.replace('+-', '-', 1)}",
        )
    for extension in EXTENSIONS:  # x=1.0±0.1: a value with an uncertainty (a float subclass)
        value = extension.binding(text, raw, allow_nonfinite, parse_binding)
        if value is not None:
            return name, value
    if parse_number(raw) is not None or raw in NONFINITE:  # a number, read as every path reads one
        try:
            return name, read_number(raw, allow_nonfinite)
        except NotANumber as exc:  # 1e999, 1e-400, Infinity without --allow-nonfinite
            raise BindingError(f"bad binding {text!r}: {exc.reason}", hint=exc.hint) from None
    value = _constant_expression(text, raw)
    if value.__class__ is not list and not math.isfinite(value) and not allow_nonfinite:  # a list: x=[1, 2]
        raise BindingError(f"bad binding {text!r}: the value is not finite (use --allow-nonfinite)")
    return name, value


def parse_expression(text: str) -> Program:
    """A program that is exactly one bare expression (a binding's value, a claim)."""
    from gradcli.lang.parser import parse  # lazily: plain numbers never need the parser

    program = parse(text)
    if len(program.stmts) != 1 or program.stmts[0].target is not None:
        raise UsageError("expected one expression, such as f*b or pi/4")
    return program


def _constant_expression(text: str, raw: str) -> float:
    try:
        graph = build(parse_expression(raw))
        array = graph.arrays.output if graph.arrays is not None else None
        return graph.output.data if array is None else array.data  # x=[1, 2, 3]: nested lists
    except (MathError, ShapeError) as exc:
        raise BindingError(f"bad binding {text!r}: {exc.message}") from None
    except SyntaxError_ as exc:
        if not raw.lstrip().startswith("["):
            raise _not_constant(text, raw) from None
        # an array written wrong: say what (x=[1,2 -> missing ']' to close the '[' at column 1)
        what = exc.message.split("; expected ';'")[0]  # a value has no statements to end
        raise BindingError(f"bad binding {text!r}: {what} in {raw!r}", hint=exc.hint) from None
    except GradcliError:
        raise _not_constant(text, raw) from None


def _not_constant(text: str, raw: str) -> BindingError:
    return BindingError(
        f"bad binding {text!r}: the value must be a number or a constant expression such as pi/4",
        hint=number_hint(raw),  # 1_000 -> "write 1000"; Arabic-Indic digits -> ASCII
    )


def bound_twice(name: str) -> BindingError:
    return BindingError(f"'{name}' is bound twice on the command line")


def parse_bindings(texts, allow_nonfinite: bool = False) -> dict[str, float]:
    out: dict[str, float] = {}
    for text in texts:
        name, value = parse_binding(text, allow_nonfinite)
        if name in out:
            raise bound_twice(name)
        out[name] = value
    return out


def read_bindings_file(path, allow_nonfinite: bool = False) -> dict:
    """A JSON object of bindings: numbers, nested lists of numbers, or strings read as a
    command-line binding's value (`"1.0±0.1"`, `"pi/4"`, `"[1, 2]"`)."""
    import json  # lazily, as pathlib: only --bindings needs them
    from pathlib import Path

    where = f"--bindings {path}"
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise BindingError(f"{where}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise BindingError(f"{where}: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise BindingError(f"{where}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:  # json nests lists recursively: ~1,000 levels are Python's limit
        raise BindingError(f"{where}: nested too deeply (arrays have at most {MAX_DIMS} dimensions)") from None
    if not isinstance(doc, dict):
        raise BindingError(f'{where}: expected a JSON object of bindings, such as {{"x": [1, 2], "a": 0.5}}')
    out = {}
    for name, value in doc.items():
        if isinstance(value, str):
            key, parsed = parse_binding(f"{name}={value}", allow_nonfinite)
        else:
            key, _ = parse_binding(f"{name}=0")  # the name's checks
            if nesting(value) > MAX_DIMS:  # before reading it element by element (recursively)
                raise BindingError(f"{where}: '{name}': arrays have at most {MAX_DIMS} dimensions")
            parsed = _json_value(value, f"{where}: '{name}'", allow_nonfinite)
            value_shape(parsed, f"{where}: '{name}': ")
        out[key] = parsed
    return out


def _json_value(value, where: str, allow_nonfinite: bool):
    import json

    if isinstance(value, list):
        return [_json_value(v, where, allow_nonfinite) for v in value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BindingError(f"{where}: expected a number or a list of numbers, got {json.dumps(value)[:40]}")
    try:
        x = float(value)
    except OverflowError:
        raise BindingError(f"{where}: {value} is too large for a double") from None
    if not math.isfinite(x) and not allow_nonfinite:
        raise BindingError(f"{where}: the value is not finite (use --allow-nonfinite)")
    return x
