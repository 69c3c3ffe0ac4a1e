"""examples/notebook.ipynb (issue 22): run by nbclient on an ipykernel of this very Python, it
runs without error, and its outputs hold the node table (text/html with the seed's values and
gradients, equal to `gradcli eval --format json`'s), the graph (image/svg+xml), the derivative
as LaTeX and the sweep's plot.  The notebook is kept clean: saved without outputs.

The kernel is this interpreter (sys.executable), named by a kernelspec written to a temporary
JUPYTER_PATH, so a clean venv needs no `ipykernel install` and no other python3 kernel installed
on the machine is picked instead."""

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from test_notebook_display import node_rows

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install nbclient ipykernel nbformat)")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install nbclient ipykernel nbformat)")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (pip install nbclient ipykernel nbformat)")

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "notebook.ipynb"
KERNEL = "gradcli-test-python"


def test_the_notebook_is_saved_clean():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)


@pytest.fixture
def executed(tmp_path, monkeypatch):
    """The notebook run top to bottom (in the examples folder, as a reader runs it)."""
    spec = tmp_path / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))  # no profile of the user's is read or written
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name=KERNEL, resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    return nb


def outputs(nb, mime: str) -> list[str]:
    return [o["data"][mime] for cell in nb.cells for o in cell.get("outputs", []) if mime in o.get("data", {})]


def test_the_notebook_runs_and_shows_the_table_the_graph_latex_and_the_plot(executed, eval_json):
    nb = executed
    errors = [o for cell in nb.cells for o in cell.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []
    doc = eval_json("e = a*b; d = e + c; L = f*d", "a=2", "b=-3", "c=5", "f=-2")
    tables = [node_rows(html) for html in outputs(nb, "text/html") if "<th>node</th>" in html]
    assert tables, "no node table in the outputs"
    rows = tables[0]
    expected = [(n["label"], n["value"], n["grad"]) for n in doc["nodes"]]
    assert [(r[1], float(r[3]), float(r[4])) for r in rows] == expected
    assert [r[4] for r in rows[:4]] == ["6.0", "-4.0", "-2.0", "-1.0"]  # the seed's gradients
    svgs = outputs(nb, "image/svg+xml")
    assert len(svgs) >= 4  # r.draw(), draw(L), draw(b), the sweep's plot
    for svg in svgs:
        ET.fromstring(svg)
    drawn = "".join(ET.fromstring(svgs[1]).itertext())  # gradcli.draw(L): the seed's Values
    assert all(label in drawn for label in "abcdefL")
    latex = outputs(nb, "text/latex")
    assert any("\\frac{\\partial L}{\\partial a} &= f \\cdot b" in t for t in latex)
    printed = [o["text"] for cell in nb.cells for o in cell.get("outputs", []) if o["output_type"] == "stream"]
    assert "2.0\n" in printed  # b = a + a: a.grad accumulates to 2
