"""Golden tests of the diagnostics: each tests/golden/NAME.grad is run as
`gradcli eval -f NAME.grad ARGS` (ARGS from its `#! args:` line) and must exit with its
`#! code:` and print exactly NAME.stderr.  After a deliberate change of wording, refresh
the expectations with `GRADCLI_UPDATE_GOLDEN=1 pytest tests/test_golden.py` and review
the diff."""

import os
import shlex
from pathlib import Path

import pytest

GOLDEN = Path(__file__).with_name("golden")
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
    if os.environ.get("GRADCLI_UPDATE_GOLDEN") == "1":
        expected.write_text(result.stderr)
    assert result.exit_code == int(_directive(source, "code")), result.stderr
    assert result.stderr == expected.read_text()
    assert "Traceback" not in result.stderr


def test_every_case_has_an_expected_stderr():
    assert CASES and all((GOLDEN / f"{name}.stderr").exists() for name in CASES)
