"""gradcli plot: the text plot (labels, axis numbers, undefined regions) and -o."""

import re
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from gradcli.render import plot as pl


@pytest.fixture
def plot():
    from gradcli.cli.app import make_app

    runner, app = CliRunner(), make_app()

    def run(*args):
        return runner.invoke(app, ["plot", *[str(a) for a in args]])

    return run


def panels(text: str) -> dict[str, list[str]]:
    """The panels of a text plot by their title line."""
    out, title = {}, None
    for line in text.splitlines():
        if line and not line.startswith(" ") and "┤" not in line and "│" not in line:
            title = line
            out[title] = []
        elif title is not None:
            out[title].append(line)
    return out


def y_labels(lines: list[str]) -> list[float]:
    return [float(m.group(1)) for line in lines if (m := re.match(r"\s*(\S+) ┤", line))]


def x_labels(lines: list[str]) -> list[str]:
    axis = next(i for i, line in enumerate(lines) if "└" in line)
    return lines[axis + 1].split()


def test_text_plot_of_a_function_and_its_derivative(plot):
    result = plot("y = x*x", "x=-2:2:101", "--width", "60", "--height", "8")
    assert result.exit_code == 0, result.stderr
    shown = panels(result.stdout)
    assert list(shown) == ["y", "dy/dx"]
    assert y_labels(shown["y"]) == [4.0, 2.0, 0.0]  # top, middle, bottom
    assert y_labels(shown["dy/dx"]) == [4.0, 0.0, -4.0]  # the zero line is labelled
    assert x_labels(shown["y"]) == ["-2", "-1", "0", "1", "2", "x"]
    assert all(len(line) <= 60 for line in result.stdout.splitlines())
    assert re.search("[\u2801-\u28ff]", result.stdout)  # braille dots drawn


def test_undefined_region_is_shaded_and_listed(plot):
    result = plot("y = log(x)", "x=-1:1:21", "--width", "50")
    assert result.exit_code == 0
    shown = panels(result.stdout)
    for lines in shown.values():
        assert "░ undefined for x in [-1, 0]" in lines[-1]
        rows = [line.split("┤" if "┤" in line else "│", 1)[1] for line in lines if "┤" in line or "│" in line]
        left = [row[:20] for row in rows]
        assert all(set(part) == {"░"} for part in left)  # x < 0: every row of the left half shaded


def test_kinks_show_as_steps_in_the_derivative(plot):
    result = plot("y = relu(x)", "x=-1:1", "--width", "40", "--height", "4")
    shown = panels(result.stdout)
    assert y_labels(shown["dy/dx"]) == [1.0, 0.5, 0.0]
    rows = [line.split("┤" if "┤" in line else "│", 1)[1] for line in shown["dy/dx"] if "┤" in line or "│" in line]
    top, bottom = rows[0], rows[-1].rstrip()
    half = len(top) / 2
    assert abs((len(top) - len(top.lstrip(" "))) - half) <= 1  # dy/dx = 1 from x = 0 on
    assert bottom.startswith("⣀") and abs(len(bottom) - half) <= 1  # dy/dx = 0 up to x = 0


def test_plot_default_points():
    from gradcli.cli.batch import PLOT_POINTS
    from gradcli.lang.parser import parse
    from gradcli.session import Request, sweep

    plan = sweep(parse("y = x"), ["x=0:1"], None, Request(), default_count=PLOT_POINTS)
    assert plan.total == 200


def test_plot_needs_one_swept_name(plot):
    result = plot("y = x*z", "x=0:1", "z=0:1")
    assert result.exit_code == 2 and "exactly one swept name" in result.stderr
    result = plot("y = x", "x=1")
    assert result.exit_code == 2 and "got none" in result.stderr
    result = plot("y = x", "x=0:1:1")
    assert result.exit_code == 2 and "N must be at least 2" in result.stderr


def test_output_file_without_matplotlib(plot, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    result = plot("y = x*x", "x=0:1", "-o", tmp_path / "f.svg")
    assert result.exit_code == 2
    assert "pip install 'gradcli[plot]'" in result.stderr
    assert not (tmp_path / "f.svg").exists()


def test_output_file_type(plot, tmp_path):
    result = plot("y = x*x", "x=0:1", "-o", tmp_path / "f.jpg")
    assert result.exit_code == 2 and "must end in .svg or .png" in result.stderr


def test_output_svg(plot, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "f.svg"
    result = plot("y = log(x)", "x=-1:2", "-o", path)
    assert result.exit_code == 0, result.stderr
    assert path.read_text().lstrip().startswith("<?xml") and "<svg" in path.read_text()


def test_renderer_intervals_and_numbers():
    x = np.linspace(-3, 3, 7)
    defined = np.array([False, False, True, True, False, True, True])
    assert pl._intervals(x, defined) == "[-3, -2], 1"
    assert pl._num(1234567.0) == "1.235e+06" and pl._num(-0.5) == "-0.5" and pl._num(0.0) == "0"
