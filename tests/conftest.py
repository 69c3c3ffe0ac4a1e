import json

import pytest
from typer.testing import CliRunner

from gradcli.cli.app import make_app


@pytest.fixture
def gradcli():
    """Run `gradcli ARGS...` in-process; returns the click Result (exit_code, stdout, stderr)."""
    runner, app = CliRunner(), make_app()

    def run(*args, input=None, env=None):
        return runner.invoke(app, [str(a) for a in args], input=input, env=env)

    return run


@pytest.fixture
def eval_json(gradcli):
    """`gradcli eval ... --format json`, parsed; asserts exit code 0."""

    def run(*args, input=None):
        result = gradcli("eval", *args, "--format", "json", input=input)
        assert result.exit_code == 0, result.stderr + result.stdout
        return json.loads(result.stdout)

    return run
