"""Golden tests.  The diagnostics: each tests/golden/NAME.grad is run as
`gradcli eval -f NAME.grad ARGS` (ARGS from its `#! args:` line) and must exit with its
`#! code:` and print exactly NAME.stderr.  The outputs: the seed program's table, tree,
dot, mermaid and explain output at 80 and 40 columns must equal tests/golden/output/*.
After a deliberate change, refresh the expectations with
`GRADCLI_REGEN=1 pytest tests/test_golden.py` (GRADCLI_UPDATE_GOLDEN=1 works too) and
review the diff."""

import os
import shlex
from pathlib import Path

import pytest
from seed import SEED

from gradcli.render import text

GOLDEN = Path(__file__).with_name("golden")
REGEN = os.environ.get("GRADCLI_REGEN") == "1" or os.environ.get("GRADCLI_UPDATE_GOLDEN") == "1"
CASES = sorted(p.stem for p in GOLDEN.glob("*.grad"))


def _directive(text: str, key: str) -> str:
    for line in text.splitlines():
        if line.startswith(f"#! {key}:"):
            return line.split(":", 1)[1].strip()
    return ""


@pytest.mark.parametrize("name", CASES)
def test_golden(name, gradcli, monkeypatch):
    monkeypatch.chdir(GOLDEN)
    source = (GOLDEN / f"{name}.grad").read_text(encoding="utf-8-sig")
    result = gradcli("eval", "-f", f"{name}.grad", *shlex.split(_directive(source, "args")))
    expected = GOLDEN / f"{name}.stderr"
    if REGEN:
        expected.write_text(result.stderr)
    assert result.exit_code == int(_directive(source, "code")), result.stderr
    assert result.stderr == expected.read_text()
    assert "Traceback" not in result.stderr


def test_every_case_has_an_expected_stderr():
    assert CASES and all((GOLDEN / f"{name}.stderr").exists() for name in CASES)


OUTPUTS = {
    "eval_table.txt": ("eval", "--format", "table"),
    "eval_tree.txt": ("eval", "--format", "tree"),
    "eval_dot.dot": ("eval", "--format", "dot"),
    "eval_mermaid.mmd": ("eval", "--format", "mermaid"),
    "eval_grads.txt": ("eval", "--format", "grads"),
    "explain.txt": ("explain",),
    "eval_pretty_40.txt": ("eval",),
    "explain_40.txt": ("explain",),
}


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_golden_output_of_the_seed(name, gradcli, monkeypatch):
    monkeypatch.setattr(text, "terminal_width", lambda: 40 if "_40" in name else 80)
    result = gradcli(*OUTPUTS[name][:1], SEED, *OUTPUTS[name][1:])
    assert result.exit_code == 0 and result.stderr == ""
    expected = GOLDEN / "output" / name
    if REGEN:
        expected.parent.mkdir(exist_ok=True)
        expected.write_text(result.stdout)
    assert result.stdout == expected.read_text()
