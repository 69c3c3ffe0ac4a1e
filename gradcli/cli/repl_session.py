"""The REPL's session: one program that grows: each accepted input (statements, definitions) is kept
as a parsed chunk, and every new input is checked and evaluated with all the chunks before it
(lang.definitions.join), through the same pipeline as `eval` (gradcli.session: the core keeps
no global state, so a session is just data).
So `:grad`, `:explain`, `:check` and `:hessian` see the whole session's graph.

- A statement prints its value (`y = 9`); a bare expression prints it (`9`) and is not kept.
- Assigning a number to an existing input again (`x = 4`) changes its value: the session is a
  program, so the values that depend on x follow (like a spreadsheet).
- `ans` is the last value printed, as a number (a calculator's ans); a kept statement that
  reads it keeps the number it had.

Reading the input (a terminal or lines) is gradcli.cli.repl's.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from gradcli import session
from gradcli.cli.errors import OutputError
from gradcli.core.errors import GradcliError, UsageError
from gradcli.core.formula import fmt
from gradcli.lang.excerpt import caret
from gradcli.lang.program import NAME, VAR, Program
from gradcli.session import Request, Source

MAX_ROWS = 200  # the most lines one input prints (eval's --max-rows): a :load of a large file is summarised
COMMANDS = {
    ":grad": ":grad [NAME]   gradients of the last value (or of NAME: y, y[0]) with respect to the inputs",
    ":explain": ":explain [NAME] the forward and backward pass of the last value (or of NAME), step by step",
    ":check": ":check [NAME]  verify the gradients by finite differences (of NAME: y, y[0])",
    ":hessian": ":hessian [NAME] the matrix of second derivatives of the last value (or of NAME)",
    ":vars": ":vars          the session's functions, inputs and values",
    ":reset": ":reset         forget everything",
    ":load": ":load FILE     read a file of definitions and statements",
    ":help": ":help          this list",
    ":quit": ":quit          leave (also Ctrl-D)",
}


@dataclass
class Chunk:
    """One accepted input: its text, where it came from (None: typed) and its parsed program."""

    text: str
    path: str | None
    first_line: int
    program: Program


class Session:
    """The REPL's state and its commands; writes values to `out`, errors to `err`."""

    def __init__(self, out=None, err=None) -> None:
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self.reset()

    def reset(self) -> None:
        self.chunks: list[Chunk] = []
        self.bindings: dict[str, float] = {}  # inputs given a new value (`x = 4` after `x = 3`)
        self.graph = None  # the last value's graph
        self.ans: float | None = None

    # -- input ----------------------------------------------------------------------------

    def handle(self, text: str, path: str | None = None, first_line: int = 1) -> bool:
        """Run one input (statements, definitions or a :command); False to end the session."""
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            return True
        self._pending = None  # the chunks an error's line counts in (set as they are known)
        try:
            if stripped.startswith(":"):
                return self.command(stripped)
            self.run(text, path, first_line)
        except OutputError:  # the output cannot be written: the session ends (exit 2)
            raise
        except GradcliError as exc:
            self.report(exc, Chunk(text, path, first_line, Program(text, [])))
        except RecursionError:
            self.report(UsageError("the input nests too deeply"), Chunk(text, path, first_line, Program(text, [])))
        except BrokenPipeError:  # the reader of the output went away (`| head`): the session ends
            raise
        except Exception as exc:  # noqa: BLE001 - a bug must not end the session (nor show a traceback)
            self.err.write(f"internal error: {exc.__class__.__name__}: {exc}; please report this\n")
        return True

    def interruptible(self, text: str) -> bool:
        """`handle` at a terminal: Ctrl-C abandons the input being run (a long :load or
        statement), leaves the session as it was before it and says so; the session goes on."""
        before = (list(self.chunks), dict(self.bindings), self.graph, self.ans)
        try:
            return self.handle(text)
        except KeyboardInterrupt:
            self.chunks, self.bindings, self.graph, self.ans = before
            self.err.write("interrupted: the input was abandoned, the session is as before it\n")
            self.err.flush()
            return True

    def run(self, text: str, path: str | None = None, first_line: int = 1) -> None:
        from gradcli.build.names import is_constant

        self._pending = [Chunk(text, path, first_line, Program(text, []))]
        chunk = Chunk(text, path, first_line, session.load(Source(text)))
        p = chunk.program
        if not p.stmts:
            return self._define(chunk)
        if len(p.stmts) == 1 and not p.functions and is_constant(p, p.stmts[0]) and self._is_input(p.stmts[0].target):
            return self._rebind(chunk)
        chunk = self._with_ans(chunk)
        graph = self.evaluate(chunk)
        self.graph, self.ans = graph, graph.output.data
        kept = chunk.program
        if kept.stmts[-1].target is None:  # a bare expression is shown, not kept
            kept = replace(kept, stmts=kept.stmts[:-1])
        if kept.stmts or kept.functions:
            self.chunks.append(replace(chunk, program=kept))
        self._show(chunk.program, graph)

    def evaluate(self, extra: Chunk | None = None, of: str | None = None):
        """The session's graph (with `extra` after the chunks), differentiated (an array output
        with its Jacobian, as eval)."""
        chunks = self.chunks + ([extra] if extra else [])
        if not chunks:
            raise UsageError("nothing to evaluate yet: type a statement such as y = x*x")
        self._pending = chunks
        return session.graph(_joined(chunks), self.bindings, Request(of, jacobian=True))

    def _define(self, chunk: Chunk) -> None:
        """Definitions only: a function defined again replaces its old definition where it stood."""
        from gradcli.build.functions import check

        chunks = list(self.chunks)
        for name in chunk.program.functions:
            old = next((i for i, c in enumerate(chunks) if name in c.program.functions), None)
            if old is not None and not chunks[old].program.stmts and len(chunks[old].program.functions) == 1:
                chunks[old] = chunk  # replaced in place: what follows it uses the new definition
                break
        else:
            chunks.append(chunk)
        self._pending = chunks
        check(_joined(chunks), {}, statements=False)
        if any(c.program.stmts for c in chunks):
            saved, self.chunks = self.chunks, chunks
            try:
                self.graph = self.evaluate()
            except GradcliError:
                self.chunks = saved
                raise
        self.chunks = chunks
        for d in chunk.program.functions.values():
            self.say(f"defined {d.signature()}")

    def _is_input(self, name: str) -> bool:
        graph = self.graph
        return graph is not None and name in graph.inputs and graph.inputs[name] is graph.names.get(name)

    def _rebind(self, chunk: Chunk) -> None:
        """`x = 4` for an existing input: its value changes, the session is evaluated again."""
        name = chunk.program.stmts[0].target
        value = session.graph(chunk.program, {}, Request(jacobian=True)).inputs[name].data
        before = self.bindings.get(name)
        self.bindings[name] = value
        try:
            self.graph = self.evaluate()
        except GradcliError:
            if before is None:
                del self.bindings[name]
            else:
                self.bindings[name] = before
            raise
        self.ans = value
        self.say(f"{name} = {fmt(value)}")

    def _with_ans(self, chunk: Chunk) -> Chunk:
        """`ans` is the last value: written into the input as a number, unless a variable is named so."""
        p = chunk.program
        uses = [e for e in p.code if e[0] == VAR and e[NAME] == "ans"]
        if not uses or any(s.target == "ans" for c in [*self.chunks, chunk] for s in c.program.stmts):
            return chunk
        if self.ans is None:
            return chunk  # the core says: 'ans' has no value
        text = chunk.text
        for e in reversed(uses):
            text = f"{text[: e[3]]}({fmt(self.ans)}){text[e[4] :]}"
        return replace(chunk, text=text, program=session.load(Source(text)))

    def _show(self, p: Program, graph) -> None:
        """Each statement's value (a long array cut to the width), a bare expression's in full,
        at most MAX_ROWS lines (a :load of a large file): the first ones and the last ones."""
        from gradcli.render.text import capped, terminal_width

        width, lines = terminal_width(), []
        for s in p.stmts:
            if s.target is None:  # asked for by typing it: all of it
                out = graph.arrays.output if graph.arrays is not None else None
                lines.append(_text(out.data) if out is not None else fmt(graph.output.data))
            else:
                lines.append(_summary(s.target, _named(graph, s.target).data, width))
        lines += [f"defined {d.signature()}" for d in p.functions.values()]
        for i in capped(len(lines), MAX_ROWS):
            self.say(lines[i] if i >= 0 else f"… {-i:,} more not shown (:vars lists every value)")

    # -- commands -------------------------------------------------------------------------

    def command(self, text: str) -> bool:
        name, _, arg = text.partition(" ")
        arg = arg.strip()
        full = [c for c in COMMANDS if c.startswith(name)] if name not in COMMANDS else [name]
        if len(full) > 1:  # `:h` could be :help or :hessian: say which, never guess
            raise UsageError(f"ambiguous command {name} ({', '.join(full)})", hint="type more of its name")
        if not full:
            raise UsageError(f"unknown command {name}", hint="the commands are " + " ".join(COMMANDS))
        name = full[0]
        if name == ":quit":
            return False
        if name == ":help":
            self.say(
                "\n".join(["Statements (y = x*x), definitions (f(x) = x*x), expressions (f(2)).", *COMMANDS.values()])
            )
        elif name == ":reset":
            self.reset()
            self.say("session cleared")
        elif name == ":load":
            self.load(arg)
        elif name == ":vars":
            self.show_vars()
        else:
            self.analyse(name, arg)
        return True

    def load(self, path: str) -> None:
        if not path:
            raise UsageError(":load needs a file name", hint=":load lib.grad")
        try:
            text = Path(path).expanduser().read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {path!r}: {getattr(exc, 'strerror', None) or exc}") from None
        self.run(text, path)

    def show_vars(self) -> None:
        from gradcli.render.text import terminal_width

        functions = [d.signature() for c in self.chunks for d in c.program.functions.values()]
        if functions:
            self.say("functions: " + ", ".join(functions))
        graph = self.graph if self.chunks else None
        if graph is None:
            self.say("no variables yet")
            return
        arrays = graph.arrays.names if graph.arrays is not None else {}
        width = terminal_width()
        for name, node in {**graph.names, **arrays}.items():
            kind = "input" if name in graph.inputs or f"{name}[0]" in graph.inputs else "value"
            self.say(_summary(name, node.data, width, f"  ({kind})"))

    def analyse(self, name: str, arg: str) -> None:
        """:grad, :explain, :check, :hessian of the last value, or of NAME as --of takes it (y,
        y[0], W[1,-1]): the same numbers as the CLI's command with --of NAME."""
        from gradcli.render import text, writers

        graph = self._of(name, arg) if arg and self.graph is not None else self.graph
        if graph is None:
            raise UsageError("nothing yet: type a statement such as y = x*x")
        if graph.arrays is not None and graph.arrays.output is not None:  # one number is needed: say which
            from gradcli.build.array_values import shape_text

            out, shape = graph.output_name, graph.arrays.output.shape
            raise UsageError(
                f"{name} needs one number, but {out} is an array of {shape_text(shape)}",
                hint=f"name one element: {name} {out}[{','.join('0' * len(shape))}] (or reduce it: s = sum({out}))",
            )
        if name == ":grad":
            for x, g in graph.gradients().items():
                self.say(f"d{graph.output_name}/d{x} = {fmt(g)}")
            return
        session.scalar(graph)
        options = text.OutputOptions(6, 200, True, text.terminal_width())
        if name == ":explain":
            writers.writer("explain", "pretty")(graph, options, self.out)
        elif name == ":check":
            writers.writer("check", "table")(session.check(graph, session.Check()), options, self.out)
        else:
            writers.writer("hessian", "table")(session.hessian(graph), options, self.out)

    def _of(self, command: str, arg: str):
        """The session's graph with NAME as the output (the session itself evaluated already);
        an element that is not one says why, in the command's words (`:check y[7]: index 7 is ...`)."""
        try:
            return self.evaluate(of=arg)
        except UsageError as exc:
            if "no such name" in exc.message:
                raise UsageError(f"no value named {arg!r} in the session", hint=":vars lists them") from None
            if exc.message.startswith("--of "):
                exc.message = command + exc.message.removeprefix("--of")
            raise

    # -- output ---------------------------------------------------------------------------

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def report(self, exc: GradcliError, current: Chunk) -> None:
        """The message, the line with a caret under the span (in the input it is in), the hint."""
        chunks = getattr(self, "_pending", None) or [current]
        lines = [f"error: {_placed(exc.message, chunks)}"]
        if exc.line:
            lines += self._excerpt(exc, chunks)
        hint = exc.hint and _placed(exc.hint, chunks)
        if hint and hint.startswith("give it a value on the command line ("):  # a session has no command line
            hint = "assign it first: " + hint.rsplit("(", 1)[1].rstrip(")")
        if hint and hint.startswith("give them values on the command line, e.g. "):  # a=1.0 b=1.0, as statements
            bindings = hint.removeprefix("give them values on the command line, e.g. ").split()
            hint = "assign them first: " + "; ".join(b.replace("=", " = ", 1) for b in bindings)
        if hint:
            lines.append(f"hint: {hint}")
        self._pending = None
        self.err.write("\n".join(lines) + "\n")
        self.err.flush()

    def _excerpt(self, exc: GradcliError, chunks: list[Chunk]) -> list[str]:
        from gradcli.lang.definitions import locate

        index, line = locate([(c.path or "", c.text) for c in chunks], exc.line)
        chunk = chunks[index]
        text = chunk.text.split("\n")[line - 1] if line <= chunk.text.count("\n") + 1 else ""
        column = max(exc.column or 1, 1)
        if chunk.path:
            where = f"{chunk.path}:{chunk.first_line + line - 1}:{column}"
        else:
            where = f"line {line}, column {column}" if "\n" in chunk.text.strip() else f"column {column}"
        return caret(where, text, exc)


# A chunk's stand-in for a file name in the joined program (Program.where writes `PATH:LINE:COLUMN`
# into a message: "'f' is already defined (lib.grad:2:1)"); `_placed` puts the chunk's real place
# there: its file and its own line (a :load or -f file; `<stdin>` counts from the chunk's first
# line), or, typed at a terminal, the line itself.
_STAND_IN = re.compile("\x00([0-9]+)\x00:([0-9]+):([0-9]+)")


def _joined(chunks: list[Chunk]) -> Program:
    from gradcli.lang.definitions import join

    return join([c.program for c in chunks], tuple(f"\x00{i}\x00" for i in range(len(chunks))))


def _placed(message: str, chunks: list[Chunk]) -> str:
    def place(m: re.Match) -> str:
        index, line, column = (int(g) for g in m.groups())
        if index >= len(chunks):
            return m.group(0).replace("\x00", "")
        chunk = chunks[index]
        if chunk.path:
            return f"{chunk.path}:{chunk.first_line + line - 1}:{column}"
        typed = chunk.text.split("\n")[line - 1].strip() if line <= chunk.text.count("\n") + 1 else ""
        return f"typed line {typed if len(typed) <= 40 else typed[:39] + '…'!r}"

    return _STAND_IN.sub(place, message)


def _named(graph, name: str):
    """A name's newest value: a node, or an array (gradcli.build.arrays keeps those apart)."""
    if name in graph.names:
        return graph.names[name]
    return graph.arrays.names[name]


def _summary(name: str, data, width: int, after: str = "") -> str:
    """`name = value` in `width` characters: an array too long is cut, with its shape and how
    to see all of it (as eval's pretty output cuts an array's row)."""
    line = f"{name} = {_text(data)}"
    if not isinstance(data, list) or len(line) + len(after) <= width:
        return line + after
    shape = (len(data), len(data[0])) if data and isinstance(data[0], list) else (len(data),)
    tail = f"… (shape {shape}; type {name} for every element)"
    cut = line[: max(width - len(tail) - len(after), len(name) + 6)]
    cut = cut[: cut.rindex(", ") + 2] if ", " in cut else cut  # whole numbers only
    return cut + tail + after


def _text(data) -> str:
    """A number as eval prints it; an array as nested lists of such numbers."""
    if isinstance(data, list):
        return "[" + ", ".join(_text(x) for x in data) + "]"
    return fmt(data)
