"""Options declared once (as sqlite-utils' shared output options are) and the `command` that
puts them on a typer command.

Each shared option (-f, --of, --format, --bindings, --precision, ...) has one spelling and one
help text, here, and reaches a command inside one `Options`; a command's own options are the
fields of its own NamedTuple (not a dataclass: a frozen one costs ~1 ms of start-up each).
A single-value option given twice is refused (exit 2), never last-wins: it is declared as a
list (`one`) and unwrapped here; options whose meaning is to accumulate (-f, --corr, --expect) are lists (`many`).
"""

from __future__ import annotations

import functools
import inspect
import math
import re
import typing
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer._click import types as click_types  # typer's own copy of click: its number types

from gradcli.cli.errors import Reporter, guard
from gradcli.core.errors import UsageError
from gradcli.lang.numbers import NotANumber, read_count, read_number
from gradcli.render.text import OutputOptions
from gradcli.session import Request


class One(typing.NamedTuple):
    """Marks a single-value option declared as a list: its default, and what a repeat means."""

    default: object
    flag: str
    repeated: str = "give it once"


def one(type_, default, flag: str, *names: str, repeated: str = "give it once", **settings):
    """A single-value option: a second occurrence is an error (it is collected as a list, then unwrapped).
    A number (int or float) is read as a binding's is (`number_type`), never by int()/float()."""
    if default is None:
        settings.setdefault("show_default", False)
    if type_ in (int, float):
        settings["click_type"] = number_type(type_, settings.pop("min", None), settings.pop("max", None))
    return Annotated[Optional[list[type_]], typer.Option(flag, *names, **settings), One(default, flag, repeated)]  # noqa: UP045


def many(type_, flag: str, *names: str, **settings):
    """An option that accumulates: each occurrence adds a value, in order."""
    settings.setdefault("show_default", False)
    return Annotated[Optional[list[type_]], typer.Option(flag, *names, **settings)]  # noqa: UP045


class _Read:
    """Reads an option's text as gradcli reads every number from outside a program
    (lang.numbers.read_number, as a binding `x=...` is): `1_0`, full-width or Arabic-Indic
    digits, `inf`, `0x10` are refused with the binding's reason and hint, where int() and
    float() accept the first three.  A whole-number option (a count, a seed, --order) reads
    as --mc and a sweep's N do (lang.numbers.read_count): `1e3` is 1000, `2.5` is refused.
    Then click's own type checks the range, with its wording."""

    whole = False

    def convert(self, value, param, ctx):
        if isinstance(value, str):  # a default is already a number
            value = self._number(value, param, ctx)
        return super().convert(value, param, ctx)

    def _number(self, text: str, param, ctx) -> float | int:
        try:
            value = read_number(text, allow_nonfinite=True)  # not finite: refused below, without a --allow hint
        except NotANumber as exc:  # `inf`: its hint (Infinity with --allow-nonfinite) is no option's value
            hint = None if exc.hint and "--allow-nonfinite" in exc.hint else exc.hint
            raise _bad(exc.reason, hint, param, ctx) from None
        plain = text.strip()
        if not math.isfinite(value):
            raise _bad(f"{plain} is not finite", None, param, ctx)
        if self.whole:
            count = read_count(plain)
            if count is None:
                raise _bad(f"{plain} is not a whole number", None, param, ctx)
            return count
        return value


def _bad(message: str, hint: str | None, param, ctx) -> typer.BadParameter:
    """click's "Invalid value for '-k': ..." carrying a hint (cli.errors.click_error prints it)."""
    error = typer.BadParameter(message, ctx=ctx, param=param)
    error.hint = hint
    return error


class _Real(_Read, click_types.FloatParamType):
    pass


class _RealRange(_Read, click_types.FloatRange):
    pass


class _Whole(_Read, click_types.IntParamType):
    whole = True


class _WholeRange(_Read, click_types.IntRange):
    whole = True


def number_type(type_, minimum=None, maximum=None):
    """The click type of a numeric option: int (a whole number) or float, within [minimum, maximum]."""
    if minimum is None and maximum is None:
        return _Whole() if type_ is int else _Real()
    return (_WholeRange if type_ is int else _RealRange)(min=minimum, max=maximum)


def flag(name: str, help: str):
    return Annotated[bool, typer.Option(name, help=help)]


# -- the shared options: name -> (annotation, default) -------------------------------------------

SHARED = {
    "files": (many(Path, "--file", "-f", dir_okay=False,
                   help="Read the program from this file; repeat to read a library first (files are read in order)."),
              None),
    "of": (one(str, None, "--of", repeated="give one node to differentiate",
               help="Differentiate this name (default: the last statement)."), None),
    "precision": (one(int, 6, "--precision", min=1, max=17, help="Significant digits in pretty output."), None),
    "max_rows": (one(int, 200, "--max-rows", min=0, help="Most rows and tree nodes pretty output draws (0: no limit)."),
                 None),
    "no_color": (flag("--no-color", "No colour (also: NO_COLOR)."), False),
    "allow_nonfinite": (flag("--allow-nonfinite", "Carry NaN and infinity on instead of exit 3."), False),
    "expand": (flag("--expand", "Break composite ops (tanh, -, /, ...) into primitives first."), False),
    "bindings_file": (one(Path, None, "--bindings", metavar="FILE", dir_okay=False,
                          help='Bindings from a JSON object ({"x": [1, 2], "L": "1.0±0.1"}); NAME=VALUE arguments '
                          "override."), None),
}  # fmt: skip
# What eval, explain, check, hessian and diff take.
EVAL = ("files", "of", "precision", "max_rows", "no_color", "allow_nonfinite", "expand", "bindings_file")
SEED = one(int, 0, "--seed", min=0, max=2**64 - 1,
           help="Seed of the random numbers, 0 to 2^64-1: the same seed, the same samples (reproducible).")  # fmt: skip
MC_VALID_ONLY = flag("--mc-valid-only", "Monte Carlo's statistics over the samples where the output is finite "
                     "(else invalid samples are exit 3).")  # fmt: skip
ORDER = one(int, 1, "--order", min=1, max=2, help="The order of the derivatives: 2 adds every second derivative.")
# Where the array work runs (DESIGN §7.3): sweep's and eval --mc's.
ENGINE = one(str, "local", "--engine", metavar="local|dask",
             help="Where to compute: local, or dask (a local cluster, or --scheduler's).")  # fmt: skip
SCHEDULER = one(str, None, "--scheduler", metavar="tcp://HOST:PORT",
                help="With --engine dask: an existing dask.distributed cluster's scheduler.")  # fmt: skip
PARTITION_ROWS = one(int, None, "--partition-rows", metavar="N", min=1,
                     help="With --engine dask: rows (Monte Carlo: samples) per task [default: 1000000].")  # fmt: skip
TIMEOUT = one(float, 10.0, "--timeout", metavar="SECONDS", min=0.0,
              help="With --scheduler: seconds to wait for the scheduler before exit 2.")  # fmt: skip


class Options(typing.NamedTuple):
    """The shared options of one call, as one value."""

    files: tuple[Path, ...] = ()  # every -f FILE, in order (a library, then the program)
    of: str | None = None
    fmt: str = "pretty"
    precision: int = 6
    max_rows: int = 200
    no_color: bool = False
    allow_nonfinite: bool = False
    expand: bool = False
    bindings_file: Path | None = None

    def output(self, width: int) -> OutputOptions:
        return OutputOptions(self.precision, self.max_rows, self.no_color, width, open_calls=self.expand)

    def request(self, jacobian: bool = False) -> Request:
        bindings = str(self.bindings_file) if self.bindings_file is not None else None
        return Request(self.of, self.allow_nonfinite, self.expand, jacobian, bindings)


class Spec(typing.NamedTuple):
    """How a command is put together: its shared options, formats (the first is the default),
    its own options' NamedTuple, and which formats report errors as JSON lines."""

    shared: tuple[str, ...] = EVAL
    formats: tuple[str, ...] = ()
    own: type | None = None
    json_formats: tuple[str, ...] = ("json",)


def command(app: typer.Typer, name: str, spec: Spec, **settings):
    """Put `fn(args, opts, own, reporter)` on `app` as command `name`: its signature gets the
    shared options, --format and the own NamedTuple's fields; a call collects them into Options
    and the own NamedTuple, refuses a repeated single-value option, and runs in the guard."""

    def register(fn):
        params = [_parameter(n, *SHARED[n]) for n in spec.shared]
        if spec.formats:
            params.append(_parameter("fmt", _format_option(name, spec.formats), None))
        own = _own_fields(spec.own)
        params += [_parameter(name, hint, None if _one(hint) and default is not ... else default)
                   for name, hint, default in own]  # fmt: skip
        args = next(iter(inspect.signature(fn).parameters.values()))

        @functools.wraps(fn)
        def run(**kwargs):
            formats = [f.value for f in kwargs.get("fmt") or []]
            reporter = Reporter(json_errors=any(f in spec.json_formats for f in formats))
            guard(reporter, lambda: _call(fn, kwargs, params, spec, reporter))

        run.__signature__ = inspect.Signature([args.replace(default=None), *params])
        return app.command(name, **settings)(run)

    return register


def _call(fn, kwargs: dict, params: list[inspect.Parameter], spec: Spec, reporter: Reporter) -> None:
    values = {p.name: _single(p, kwargs[p.name]) for p in params}
    shared = {n: values.pop(n) for n in spec.shared}
    shared["files"] = tuple(shared["files"] or ())
    if "fmt" in values:
        fmt = values.pop("fmt")
        shared["fmt"] = fmt.value if isinstance(fmt, Enum) else fmt
    own = spec.own(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}) if spec.own else None
    fn(kwargs.get("args"), Options(**shared), own, reporter)


def _single(param: inspect.Parameter, value):
    """A single-value option's one value (its default when absent); a repeat is a UsageError."""
    marker = _one(param.annotation)
    if marker is None:
        return value
    if not value:
        return marker.default
    if len(value) > 1:
        raise UsageError(f"{marker.flag} is given {len(value)} times: {marker.repeated}")
    return value[0]


def _one(annotation) -> One | None:
    return next((m for m in getattr(annotation, "__metadata__", ()) if isinstance(m, One)), None)


def _parameter(name: str, annotation, default) -> inspect.Parameter:
    marker = _one(annotation)
    if marker is not None and default is None and marker.default is not None:
        default = [marker.default]  # what click passes when the option is absent (and shows in --help)
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def _format_option(command: str, formats: tuple[str, ...]):
    choices = Enum(f"{command.title()}Format", {c: c for c in formats}, type=str)
    return one(choices, choices(formats[0]), "--format", help="Output format.")


def _own_fields(cls: type | None) -> list[tuple[str, object, object]]:
    """A command's own options: (name, Annotated type, default or ...) of its NamedTuple's fields."""
    if cls is None:
        return []
    hints = typing.get_type_hints(cls, include_extras=True)
    return [(name, hints[name], cls._field_defaults.get(name, ...)) for name in cls._fields]


WRT = one(str, None, "--wrt", metavar="NAME", help="The input to differentiate with respect to.")
FIX = many(str, "--fix", metavar="NAME[,NAME...]",
           help="Keep these inputs at their values (every other input varies). Repeatable.")  # fmt: skip


def name_list(texts: str | tuple[str, ...], flag: str) -> list[str]:
    """`--fix a,b --fix c` (or one `--wrt a,b`) as ["a", "b", "c"]; an empty name is a UsageError."""
    names = []
    for text in (texts,) if isinstance(texts, str) else texts:
        parts = [n.strip() for n in re.split(r",(?![^\[\]]*\])", text)]  # W[0,1]'s comma is the element's
        if not all(parts):
            raise UsageError(f"{flag} {text}: expected names separated by commas, e.g. {flag} a,b")
        names += parts
    return names
