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


@pytest.fixture
def sweep_round_trip(gradcli, tmp_path):
    """sweep -> CSV -> --points -> CSV: asserts both runs succeed and write the same CSV, byte
    for byte; returns that CSV text."""

    def run(program, *swept):
        first = gradcli("sweep", program, *swept, "--format", "csv")
        assert first.exit_code == 0, first.stderr
        path = tmp_path / "round_trip.csv"
        path.write_text(first.stdout)
        again = gradcli("sweep", program, "--points", path, "--format", "csv")
        assert again.exit_code == 0, again.stderr
        assert again.stdout == first.stdout
        return first.stdout

    return run
