"""Every program in examples/ runs (eval, exit 0) and its gradients are confirmed (check),
as examples/README.md promises."""

import json
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.grad"))


def test_every_example_is_listed_in_the_examples_readme():
    readme = (Path(__file__).parent.parent / "examples" / "README.md").read_text()
    assert [p.name for p in EXAMPLES if f"`{p.name}`" not in readme] == []


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_evaluates_and_checks(gradcli, path):
    result = gradcli("eval", "-f", path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["gradients"]
    if "jacobian" in doc:
        return  # an array output: check wants one element (--of y[0])
    checked = gradcli("check", "-f", path, "--format", "json")
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["ok"] is True
