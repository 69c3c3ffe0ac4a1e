"""Compile grammar/gradcli.lark with lark into gradcli/lang/_grammar_tables.py.

    python tools/gen_tables.py           # rewrite the tables
    python tools/gen_tables.py --check   # exit 1 if they are stale

A development tool, not part of the package: gradcli runs the generated tables with its
own lexer and LALR driver and never imports lark.  This reads only lark's public output,
the LALR(1) parser that `Lark.save()` serializes (plain dicts: rules, terminals, the
parse table), and renumbers it canonically, so the tables do not depend on lark's
internal order.  The generated module carries the sha256 of the grammar text, so a test
catches a stale table without lark.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import pprint
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "grammar" / "gradcli.lark"
TABLES = ROOT / "gradcli" / "lang" / "_grammar_tables.py"
SHIFT = 0  # lark's serialized action codes: (0, state) shifts, (1, rule) reduces


def grammar_text(path: Path = GRAMMAR) -> str:
    return path.read_text(encoding="utf-8")  # universal newlines: a CRLF checkout hashes alike


def grammar_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def serialized_parser(text: str) -> tuple[dict, dict]:
    """lark's own serialization of the LALR parser: (data, memo), as `Lark.save` writes it."""
    from lark import Lark

    buffer = io.BytesIO()
    Lark(text, parser="lalr", lexer="basic", maybe_placeholders=False).save(buffer)
    saved = pickle.loads(buffer.getvalue())
    return saved["data"], saved["memo"]


def _regexp(pattern: dict) -> str:
    """A serialized PatternStr/PatternRE as the regex lark's lexer matches (its to_regexp)."""
    value = re.escape(pattern["value"]) if pattern["__type__"] == "PatternStr" else pattern["value"]
    for flag in pattern["flags"]:
        value = f"(?{flag}:{value})"
    return value


def _max_width(pattern: dict) -> int:
    if pattern["__type__"] == "PatternStr":
        return len(pattern["value"])
    return pattern["_width"][1]


def terminals(lexer_conf: dict, memo: dict) -> list[tuple[str, str]]:
    """(name, regex) in the order lark's basic lexer tries them, so both lex alike."""
    terms = [memo[ref["@"]] for ref in lexer_conf["terminals"]]
    terms.sort(key=lambda t: (-t["priority"], -_max_width(t["pattern"]), -len(t["pattern"]["value"]), t["name"]))
    return [(t["name"], _regexp(t["pattern"])) for t in terms]


def _rule_key(rule: dict) -> tuple:
    return (rule["origin"]["name"], [s["name"] for s in rule["expansion"]], rule["alias"] or "")


def _rule_row(rule: dict) -> tuple:
    """(origin, alias, expand1, mask): mask says, per child, (kept?, spliced into the parent?)."""
    mask = tuple(
        (
            not (s["__type__"] == "Terminal" and s["filter_out"]),
            s["__type__"] == "NonTerminal" and s["name"].startswith("_"),
        )
        for s in rule["expansion"]
    )
    return (rule["origin"]["name"], rule["alias"], bool(rule["options"]["expand1"]), mask)


def _canonical_states(states: dict, symbol: dict, start: int) -> dict[int, int]:
    """State numbers breadth-first from the start state over shifts and gotos, symbols sorted."""
    number = {start: 0}
    queue = [start]
    for state in queue:
        for sym in sorted(states[state], key=symbol.__getitem__):
            action, arg = states[state][sym]
            if action == SHIFT and arg not in number:
                number[arg] = len(number)
                queue.append(arg)
    return number


def compile_tables(text: str) -> dict:
    """The tables the runtime driver runs, from lark's serialized LALR parser."""
    data, memo = serialized_parser(text)
    table = data["parser"]["parser"]
    symbol, states = table["tokens"], table["states"]
    number = _canonical_states(states, symbol, table["start_states"]["start"])
    reduced = {arg["@"] for row in states.values() for action, arg in row.values() if action != SHIFT}
    rules = sorted(reduced, key=lambda ref: _rule_key(memo[ref]))
    rule_index = {ref: i for i, ref in enumerate(rules)}
    actions: list = [None] * len(number)
    for state, i in number.items():
        row = sorted(states[state].items(), key=lambda item: symbol[item[0]])
        actions[i] = {
            symbol[sym]: (number[arg] if action == SHIFT else ~rule_index[arg["@"]]) for sym, (action, arg) in row
        }
    lexer_conf = data["parser"]["lexer_conf"]
    return {
        "GRAMMAR_SHA256": grammar_sha256(text),
        "TERMINALS": terminals(lexer_conf, memo),
        "IGNORE": sorted(lexer_conf["ignore"]),
        "START_STATE": 0,
        "END_STATE": number[table["end_states"]["start"]],
        "ACTIONS": actions,
        "RULES": [_rule_row(memo[ref]) for ref in rules],
    }


def render(tables: dict) -> str:
    lines = [
        '"""LALR(1) tables of grammar/gradcli.lark, compiled by lark.  Generated: do not edit.',
        "",
        "Regenerate with `python tools/gen_tables.py` after changing the grammar",
        '(tests/test_parser.py fails until you do)."""',
        "",
        "# fmt: off",
    ]
    lines += [f"{key} = {pprint.pformat(value, width=120, sort_dicts=False)}" for key, value in tables.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    rendered = render(compile_tables(grammar_text()))
    if "--check" in argv:
        stale = not TABLES.exists() or TABLES.read_text(encoding="utf-8") != rendered
        sys.stdout.write(f"{TABLES} is {'stale' if stale else 'up to date'}\n")
        return int(stale)
    TABLES.write_text(rendered, encoding="utf-8")
    sys.stdout.write(f"wrote {TABLES}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
