"""Size and depth are limited by memory only (DESIGN §5), and failures are quiet and coded."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gradcli.build.standard import evaluate
from gradcli.render import export as render


def test_100k_nested_parentheses():
    depth = 100_000
    graph = evaluate("x = 2.0\ny = " + "(" * depth + "x * x" + ")" * depth)
    assert graph.output.data == 4.0 and graph.gradients() == {"x": 4.0}


def test_deep_chain_of_functions():
    depth = 50_000
    graph = evaluate("x = 0.5\ny = " + "sin(" * depth + "x" + ")" * depth)
    assert 0 < graph.output.data < 0.5 and 0 < graph.gradients()["x"] < 1


def test_sum_of_200k_terms():
    n = 200_000
    graph = evaluate("x = 1.5\ny = " + " + ".join(["x"] * n))
    assert graph.output.data == 1.5 * n and graph.gradients() == {"x": float(n)}
    labels = [node.label for node in graph.nodes]
    assert max(map(len, labels)) <= 60  # long intermediates are shortened, not quadratic


def test_100k_statements():
    n = 100_000
    program = "x = 1.0\ny = x\n" + "y = y + x\n" * n
    graph = evaluate(program)
    assert graph.output.data == n + 1 and graph.gradients() == {"x": n + 1.0}
    doc = json.loads(render.to_json(graph))
    assert len(doc["nodes"]) == n + 2


@pytest.mark.slow
def test_a_million_nodes(gradcli, tmp_path):
    n = 250_000  # 4 nodes a statement
    path = tmp_path / "big.grad"
    path.write_text("x = 0.5\ny = x\n" + "y = sin(y) * 0.5 + x\n" * n)
    result = gradcli("eval", "-f", path, "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout.count("\n") == 1 + 4 * n + 2  # header + every node: csv is never truncated


def test_pretty_output_stays_small_on_huge_graphs(gradcli):
    program = "x = 1.0\ny = " + " + ".join(["x"] * 50_000)
    result = gradcli("eval", program, "--format", "pretty")
    assert result.exit_code == 0
    assert len(result.stdout) < 100_000 and "nodes not shown" in result.stdout
    assert "branches not drawn" in result.stdout


def _gradcli():
    exe = Path(sys.executable).with_name("gradcli")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "gradcli"]


def test_closed_pipe_exits_quietly():
    program = "x = 1.0\ny = x\n" + "y = y * 1.0001\n" * 20_000
    proc = subprocess.run(
        f"{' '.join(_gradcli())} eval - --format csv | head -1",
        shell=True, input=program, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.stdout == "id,label,op,value,grad\n"
    assert proc.stderr == ""


def test_ctrl_c_exits_130_quietly():
    proc = subprocess.Popen(
        [*_gradcli(), "eval", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(1.0)  # it is waiting for the program on stdin
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Traceback" not in err


def test_internal_errors_exit_70_with_a_report_request(gradcli, monkeypatch):
    import gradcli.render.export as render_module

    def broken(graph):
        raise RuntimeError("boom")

    monkeypatch.setattr(render_module, "to_json", broken)
    result = gradcli("eval", "y = x", "x=1", "--format", "json")
    assert result.exit_code == 70
    assert "internal error" in result.stderr and "please report" in result.stderr
    assert "Traceback" not in result.stderr


def test_internal_error_traceback_only_with_debug(monkeypatch, tmp_path):
    env = {**os.environ, "GRADCLI_DEBUG": "1", "PYTHONPATH": str(tmp_path)}
    # a sitecustomize that breaks rendering, so the real command hits an unexpected exception
    (tmp_path / "sitecustomize.py").write_text(
        "import gradcli.render.export as r\ndef f(g): raise RuntimeError('boom')\nr.to_json = f\n"
    )
    proc = subprocess.run([*_gradcli(), "eval", "y = x", "x=1", "--format", "json"], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 70 and "Traceback" in proc.stderr
    del env["GRADCLI_DEBUG"]
    proc = subprocess.run([*_gradcli(), "eval", "y = x", "x=1", "--format", "json"], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 70 and "Traceback" not in proc.stderr
