"""`gradcli repl`: the command, and reading its input: a terminal through prompt_toolkit
(imported only here, when the command runs), anything else line by line without prompts (for
scripts and tests); an input continues over lines while a bracket is open.  The session
itself is gradcli.cli.repl_session's."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gradcli.cli.errors import Reporter, guard
from gradcli.cli.options import SHARED
from gradcli.core.brackets import still_open as open_brackets  # how many ( and [ an input leaves open

if TYPE_CHECKING:
    from gradcli.cli.repl_session import Session

Files = SHARED["files"][0]  # -f FILE, repeatable: as every command declares it

__all__ = ["history_path", "interactive", "main", "open_brackets", "run_lines"]


def repl_command(files: Files = None) -> None:
    """An interactive session: statements and definitions accumulate, each prints its value.

    Commands: :grad [NAME], :explain, :check, :hessian, :vars, :reset, :load FILE, :help, :quit.
    When stdin is not a terminal, lines are read without prompts (scripts).

    \b
    Examples:
      gradcli repl -f examples/seed.grad
      printf 'x = 3\\ny = x*x\\n:grad\\n' | gradcli repl
    """
    guard(Reporter(), lambda: _exit(main([str(f) for f in files or []])), pause_gc=False)


def _exit(code: int) -> None:
    if code:
        raise typer.Exit(code)


def add(app: typer.Typer) -> None:
    """Put repl on the app (not run inside the commands' guard: the gc is not paused for a session)."""
    app.command("repl")(repl_command)


def history_path(environ=os.environ) -> Path:
    """$XDG_DATA_HOME/gradcli/history, else ~/.local/share/gradcli/history."""
    base = environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "gradcli" / "history"


def run_lines(session: Session, stream) -> int:
    """Not a terminal: read inputs line by line, no prompts (an open bracket joins lines)."""
    pending, first = "", 1
    for number, line in enumerate(stream, 1):
        if not pending:
            first = number
        pending += line
        if open_brackets(pending) > 0:
            continue
        if not session.handle(pending.rstrip("\n"), "<stdin>", first):
            return 0
        pending = ""
    if pending.strip():
        session.handle(pending.rstrip("\n"), "<stdin>", first)
    return 0


def main(files: list[str] | None = None, stdin=None) -> int:
    """The repl: `files` are loaded first; a terminal gets prompt_toolkit, anything else lines."""
    from gradcli.cli.repl_session import Session  # the session's modules: imported when it runs

    session = Session()
    for path in files or []:
        session.handle(f":load {path}")
    stdin = stdin or sys.stdin
    if stdin.isatty() and sys.stdout.isatty():
        return interactive(session)
    return run_lines(session, stdin)


def interactive(session: Session, stdin=None, output=None) -> int:
    """prompt_toolkit: history across sessions, completion, multi-line input inside brackets."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    history = _history(FileHistory, InMemoryHistory, session)
    prompt = PromptSession(
        history=history,
        completer=_completer(session),
        key_bindings=_keys(),
        multiline=True,
        prompt_continuation=lambda width, line, soft: "." * (width - 1) + " ",
        input=stdin,
        output=output,
    )
    session.say("gradcli repl: statements, f(x) = ... definitions, :help for commands, :quit or Ctrl-D to leave")
    while True:
        try:
            text = prompt.prompt(">>> ")
        except KeyboardInterrupt:
            continue  # Ctrl-C drops the line being typed
        except EOFError:
            return 0
        if not session.interruptible(text):  # Ctrl-C while it runs: back to the prompt
            return 0


def _history(file_history, memory_history, session: Session):
    path = history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
        return file_history(str(path))
    except OSError as exc:
        session.err.write(f"warning: no history ({path}: {exc.strerror or exc})\n")
        return memory_history()


def _keys():
    from prompt_toolkit.key_binding import KeyBindings

    keys = KeyBindings()

    @keys.add("enter")
    def _(event):  # Enter runs the input, unless a bracket is open: then it starts a new line
        buffer = event.current_buffer
        if open_brackets(buffer.text) > 0:
            buffer.insert_text("\n")
        else:
            buffer.validate_and_handle()

    return keys


def _completer(session: Session):
    import re

    from prompt_toolkit.completion import Completer, Completion

    from gradcli.cli.repl_session import COMMANDS
    from gradcli.core.ops import ARRAY_FUNCTIONS, CONSTANTS, FUNCTIONS

    word = re.compile(r"[:A-Za-z_][A-Za-z0-9_]*$")

    class Names(Completer):
        def get_completions(self, document, complete_event):
            m = word.search(document.text_before_cursor)
            if m is None:
                return
            stem = m.group()
            user = [d for c in session.chunks for d in c.program.functions]
            graph = session.graph
            names = [*graph.names, *(graph.arrays.names if graph.arrays is not None else ())] if graph else []
            functions = [*FUNCTIONS, *ARRAY_FUNCTIONS, *CONSTANTS]  # the op table's: every function the language has
            pool = list(COMMANDS) if stem.startswith(":") else [*names, *user, *functions, "ans"]
            for candidate in sorted(dict.fromkeys(pool)):
                if candidate.startswith(stem) and candidate != stem:
                    yield Completion(candidate, start_position=-len(stem))

    return Names()
