"""User function definitions as the language sees them (`f(x, y) = x*y + tanh(x)`), and several
parsed files joined into one program (`-f lib.grad -f main.grad`, the REPL's inputs).

A definition is kept beside the program's statements (`Program.functions`, name -> Definition,
in definition order); its body is the equations `code[lo:hi]`, like a statement's.  What a call
builds is gradcli.build.functions' job.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from gradcli.core.errors import NameError_, SyntaxError_
from gradcli.lang.located import located
from gradcli.lang.program import END, KIND, NAME, START, VAR, Program, line_column, line_starts


@dataclass(slots=True)
class Definition:
    """`name(params) = body`: the body's equations are code[lo:hi]."""

    name: str
    params: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]  # each parameter's (start, end) in the source
    lo: int
    hi: int
    start: int  # of the definition (its name)
    end: int
    templates: dict = field(default_factory=dict, repr=False, compare=False)  # order -> Template, built once

    def signature(self) -> str:
        return f"{self.name}({', '.join(self.params)})"


# -- parsing: the grammar's `define` rule -------------------------------------------------------


def define(source: str, code: list, functions: dict, lo: int, children: list) -> None:
    """The parser's callback for `NAME ( args ) = expr` (its children: the NAME token, '(', the
    arguments' spans, ')', '=', the body's span): the arguments were parsed as a call's
    (code[lo:...]); each must be a plain name.  Records the Definition in `functions`."""
    name, args, body = children[0], children[2:-2], children[-1]
    params, spans, k = [], [], lo
    for start, end in args:
        entry = code[k] if k < len(code) else None
        if entry is None or entry[KIND] != VAR or (entry[START], entry[END]) != (start, end):
            raise _syntax(source, "a function's parameters must be names", start, end,
                          f"write {name[1]}(x) = ... and use x in the body")  # fmt: skip
        params.append(entry[NAME])
        spans.append((start, end))
        k += 1
    if name[1] in functions:
        line, _ = line_column(line_starts(source), functions[name[1]].start)
        raise _syntax(source, f"'{name[1]}' is already defined (line {line})", name[2], name[3],
                      "give the new function another name")  # fmt: skip
    functions[name[1]] = Definition(name[1], tuple(params), tuple(spans), k, len(code), name[2], body[1])


def _syntax(source: str, message: str, start: int, end: int, hint: str | None = None) -> SyntaxError_:
    return located(SyntaxError_, source, message, start, end, hint)


# -- libraries: several files, one program -------------------------------------------------


def join(programs: list[Program], paths: tuple[str, ...] = ()) -> Program:
    """One program from programs parsed separately (`-f lib.grad -f main.grad`, the repl's
    inputs): their sources end to end (a newline between), offsets and equations shifted.
    `paths`, the files they were read from, let messages name a file (Program.where).
    A function defined twice is an error at its second definition."""
    sources, code, stmts, functions, offset, starts, correlations = [], [], [], {}, 0, [], []
    for i, p in enumerate(programs):
        starts.append(offset)
        text = p.source if p.source.endswith("\n") or i == len(programs) - 1 else p.source + "\n"
        base = len(code)
        code.extend(e._replace(start=e.start + offset, end=e.end + offset) for e in p.code)
        stmts.extend(_moved_stmt(st, base, offset) for st in p.stmts)
        if p.correlations:  # corr(a, b) = r (gradcli.lang.correlations)
            from gradcli.lang.correlations import moved

            correlations.extend(moved(c, base, offset) for c in p.correlations)
        for d in p.functions.values():
            if d.name in functions:
                joined = Program("".join(sources) + text, [], [], origins=tuple(zip(paths, starts)))
                first, at = joined.where(functions[d.name].start), d.start + offset
                raise located(NameError_, joined, f"'{d.name}' is already defined ({first})", at, at + len(d.name),
                            "give the new function another name")  # fmt: skip
            functions[d.name] = _moved_definition(d, base, offset)
        sources.append(text)
        offset += len(text)
    origins = tuple(zip(paths, starts))
    return Program("".join(sources), stmts, code, functions=functions, correlations=correlations, origins=origins)


def _moved_stmt(st, base: int, offset: int):
    moved = replace(st, lo=st.lo + base, hi=st.hi + base, start=st.start + offset, end=st.end + offset)
    u = getattr(st, "uncertainty", None)
    if u is not None:  # `L = 1 ± 0.1`: (lo, hi, start, end) of the uncertainty's equations
        moved.uncertainty = (u[0] + base, u[1] + base, u[2] + offset, u[3] + offset)
    return moved


def _moved_definition(d: Definition, base: int, offset: int) -> Definition:
    spans = tuple((s + offset, e + offset) for s, e in d.spans)
    lo, hi, start, end = d.lo + base, d.hi + base, d.start + offset, d.end + offset
    return replace(d, spans=spans, lo=lo, hi=hi, start=start, end=end, templates={})


def first_lines(texts: list[str]) -> list[int]:
    """The line of the joined source on which each text starts (1-based), as join() lays them out."""
    out, line = [], 1
    for text in texts:
        out.append(line)
        line += text.count("\n") + (0 if text.endswith("\n") else 1)
    return out


def locate(files: list[tuple[str, str]], line: int) -> tuple[int, int]:
    """(index of the file, line within it) of a line of the joined source; files: (path, text)."""
    starts = first_lines([text for _, text in files])
    index = max(i for i, s in enumerate(starts) if s <= line) if line >= 1 else 0
    return index, line - starts[index] + 1
