"""`--format html`: the interactive page (gradcli.render.html_page), in a real headless Chromium.

Debian's chromium driven by playwright's Python API (executable_path; no downloaded browser),
one browser for the module.  The page is opened from file:// with every request routed to a
recorder that aborts it: none may be attempted.  Oracles: `gradcli eval --format json` and
`gradcli explain --format json`, run at the page's starting point and at the point a slider or a
number field moved to.  The file-level checks (no network reference, escaping) need no browser.
"""

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from gradcli.render.html_page import script_json
from gradcli.render.writers import FORMATS

CHROMIUM = os.environ.get("GRADCLI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
TRICKY = """a = 0.3 ± 0.01
b = 2.0
c = 5.0
z = log(where(a < b/c, a, -a) + 2) * (b > a) / c
"""


def html(gradcli, *args, command="eval") -> str:
    result = gradcli(command, *args, "--format", "html")
    assert result.exit_code == 0, result.stderr + result.stdout
    return result.stdout


def doc(gradcli, *args, command="eval") -> dict:
    result = gradcli(command, *args, "--format", "json")
    assert result.exit_code == 0, result.stderr + result.stdout
    return json.loads(result.stdout)


def no_network_reference(text: str) -> None:
    lowered = text.lower()
    for bad in ("http:", "https:", "//cdn", "@import", "ftp:", "ws:", "wss:", "file:"):
        assert bad not in lowered, bad
    assert not re.search(r"url\(\s*['\"]?(?!#)", lowered)  # only url(#gc-arrow), the page's own marker
    assert not re.search(r"\b(src|href|action|srcset)\s*=", lowered)


# -- the file itself ---------------------------------------------------------------------------


def test_html_is_a_format_of_eval_and_explain():
    assert "html" in FORMATS["eval"] and "html" in FORMATS["explain"]


@pytest.mark.parametrize(
    "args",
    [("-f", "examples/seed.grad"), (TRICKY,), ("W = [1, 2, 3]\nx = 0.5\ny = sum(W*W) * x",), ("x = [1, 2]\ny = x*x",)],
)
def test_page_is_self_contained_and_escaped(gradcli, args):
    text = html(gradcli, *args)
    no_network_reference(text)
    assert text.count("<script") == text.count("</script>") == 3  # data, the page's script, the live function
    data = text.split('<script type="application/json" id="gc-data">')[1].split("</script>")[0]
    assert "<!--" not in data and "\u2028" not in data
    parsed = json.loads(data)
    assert parsed["names"] == [n["label"] for n in doc(gradcli, *args)["nodes"]] or "x = [1, 2]" in args[0]
    if args == (TRICKY,):
        assert "where(a &lt; b/c, a, -a)" in text and "(b &gt; a)" in text  # labels as escaped text
        assert text.count('class="gc-u"') >= 2  # ± u on the uncertain input's card and those it reaches


def test_script_json_escapes_what_would_end_or_confuse_a_script_block():
    value = {"label": "</script><script>alert(1)</script><!-- \u2028\u2029 & ü"}
    text = script_json(value)
    assert "</" not in text and "<!--" not in text and "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == value


# -- in the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Opened:
    """A page opened from file:// with the network off; what it logged and tried to fetch."""

    def __init__(self, browser, path: Path, color_scheme: str = "light"):
        self.context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme=color_scheme)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def route(r):
            if r.request.url != path.as_uri():
                self.requests.append(r.request.url)
                return r.abort()
            return r.continue_()

        self.context.route("**/*", route)
        self.page.goto(path.as_uri())
        self.page.wait_for_function("window.gcPage && (!document.getElementById('gc-range0') || "
                                    "!document.getElementById('gc-range0').disabled)")  # fmt: skip

    def numbers(self, n: int, field: str) -> list[str]:
        return [self.page.text_content(f"#gc-n{i} .gc-{field} tspan") for i in range(n)]

    def close(self):
        assert self.errors == [] and self.requests == []
        self.context.close()


@pytest.fixture
def open_page(browser, tmp_path):
    opened = []

    def open_(text: str, name: str = "page.html", **kw) -> Opened:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        o = Opened(browser, path, **kw)
        opened.append(o)
        return o

    yield open_
    for o in opened:
        o.close()


def spelled(x) -> str:
    return x if isinstance(x, str) else repr(x)


def assert_close(a: float, b: float) -> None:
    assert a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b)), (a, b)


def test_seed_page_shows_evals_numbers(gradcli, open_page):
    o = open_page(html(gradcli, "-f", "examples/seed.grad"))
    expected = doc(gradcli, "-f", "examples/seed.grad")["nodes"]
    assert o.numbers(len(expected), "value") == [spelled(n["value"]) for n in expected]
    assert o.numbers(len(expected), "grad") == [spelled(n["grad"]) for n in expected]
    assert o.page.text_content("#gc-value") == "2.0"


def test_slider_and_number_field_rerun_forward_and_backward(gradcli, open_page):
    o = open_page(html(gradcli, "-f", "examples/seed.grad"))
    p = o.page
    p.focus("#gc-range0")  # a: a real key press on the slider
    for _ in range(3):
        p.keyboard.press("ArrowRight")
    a = p.input_value("#gc-num0")
    assert float(a) != 2.0
    p.fill("#gc-num2", "-7.25")  # c: any value in the number field
    p.fill("#gc-num3", "1e-3")
    expected = doc(gradcli, "-f", "examples/seed.grad", f"a={a}", "c=-7.25", "f=1e-3")["nodes"]
    values, grads = o.numbers(len(expected), "value"), o.numbers(len(expected), "grad")
    for node, v, g in zip(expected, values, grads):
        assert_close(float(v), node["value"])
        assert_close(float(g), node["grad"])
    assert p.text_content("#gc-value") == values[-1]


def chain(o: Opened) -> list[str]:
    return o.page.locator("#gc-detail .gc-chain li").all_text_contents()


def test_selecting_a_node_shows_explains_chain_rule(gradcli, open_page):
    o = open_page(html(gradcli, "-f", "examples/seed.grad"))
    steps = doc(gradcli, "-f", "examples/seed.grad", command="explain")["backward"]
    o.page.focus("#gc-n4")  # e, by keyboard
    o.page.keyboard.press("Enter")
    assert chain(o) == [s["text"] for s in steps if s["node_id"] == 4]
    assert "gc-selected" in o.page.get_attribute("#gc-n4", "class")
    assert "gc-path" in o.page.get_attribute("#gc-n6", "class")  # L: on e's path to the output
    assert "gc-path" not in o.page.get_attribute("#gc-n1", "class")
    # At a new point the page writes the steps itself, from its recomputed numbers: as explain would
    o.page.fill("#gc-num1", "0.75")
    o.page.click("#gc-n0")
    moved = doc(gradcli, "-f", "examples/seed.grad", "b=0.75", command="explain")["backward"]
    assert chain(o) == [s["text"] for s in moved if s["node_id"] == 0]
    locals_ = o.page.locator("#gc-detail li").all_text_contents()
    assert locals_[-1] == "dL/da += dL/de · ∂e/∂a = -2 · 0.75 = -1.5"


def test_tricky_labels_uncertainty_and_domain_errors(gradcli, open_page):
    page_text = html(gradcli, TRICKY)
    o = open_page(page_text)
    expected = doc(gradcli, TRICKY)
    nodes = expected["nodes"]
    labels = [o.page.text_content(f"#gc-n{i} .gc-label") for i in range(len(nodes))]
    assert any("where(a < b/c, a, -a)" in s for s in labels) and any("(b > a)" in s for s in labels)
    assert o.numbers(len(nodes), "grad") == [spelled(n["grad"]) for n in nodes]
    us = expected["uncertainty"]["nodes"]
    assert o.numbers(len(nodes), "u")[0] == spelled(us[0])
    o.page.fill("#gc-num0", "-2.5")  # where picks -a = 2.5 ...
    o.page.fill("#gc-num1", "-9")  # ... and b > a is false: z = 0 * log(...)
    o.page.fill("#gc-num2", "0")  # b/c = -Infinity, z = NaN (0/0): the page carries it on
    assert o.page.text_content("#gc-value") == "NaN"
    assert "math error" in o.page.text_content("#gc-live")
    for field, x in (("#gc-num0", "0.5"), ("#gc-num1", "1"), ("#gc-num2", "4")):  # and recovers
        o.page.fill(field, x)
    assert o.page.text_content("#gc-live") == ""
    moved = doc(gradcli, TRICKY, "a=0.5", "b=1", "c=4")["nodes"]
    for node, v in zip(moved, o.numbers(len(moved), "value")):
        assert_close(float(v), node["value"])


def test_arrays_grouped_and_themes(gradcli, open_page):
    program = "W = [1, 2, 3]\nx = 0.5\ny = sum(W*W) * x"
    o = open_page(html(gradcli, program), color_scheme="dark")
    expected = doc(gradcli, program)["nodes"]
    assert o.numbers(len(expected), "grad") == [spelled(n["grad"]) for n in expected]
    assert o.page.locator("#gc-inputs fieldset legend").all_text_contents() == ["W"]
    assert o.page.locator("#gc-arrays button").all_text_contents()[:3] == ["W[0]", "W[1]", "W[2]"]
    bg = o.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(21, 23, 27)"  # prefers-color-scheme: dark
    o.page.click("#gc-theme")
    assert o.page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(253, 253, 254)"
    o.page.click("#gc-arrays button >> nth=1")
    assert o.page.text_content("#gc-detail h2") == "W[1]"


def big_program(n: int) -> str:
    lines = ["x0 = 0.5", "w = 1.5"]
    for i in range(1, n // 7 + 1):
        lines.append(f"x{i} = tanh(x{i - 1} * w + x{max(0, i - 5)} * 0.25) + sin(x{i // 2})")
    return "\n".join(lines)


@pytest.mark.slow
def test_a_thousand_nodes_fit_and_paint_fast(gradcli, open_page, browser):
    program = big_program(1000)
    start = time.perf_counter()
    text = html(gradcli, program)
    generated = time.perf_counter() - start
    n = len(doc(gradcli, program)["nodes"])
    assert 950 <= n <= 1100
    assert len(text.encode()) <= 2_000_000
    o = open_page(text)
    paint = o.page.evaluate(
        "performance.getEntriesByName('first-contentful-paint')[0].startTime"
    )  # ms from navigation start: parsing the file, laying out the SVG, the first paint
    took = o.page.evaluate("""() => { const t = performance.now();
        const el = document.getElementById('gc-num0'); el.value = '0.75';
        el.dispatchEvent(new Event('input')); return performance.now() - t; }""")
    print(f"\n1,000-node page: {len(text.encode()):,} bytes; generated in {generated:.2f} s; "
          f"first contentful paint {paint:.0f} ms; a recompute {took:.1f} ms")  # fmt: skip
    assert paint < 1000 and took < 500
    assert o.page.text_content(f"#gc-n{n - 1} .gc-value tspan") != spelled(doc(gradcli, program)["value"])


def test_a_program_too_large_for_the_page_says_what_it_left_out():
    from gradcli.render.html_page import Limits, page
    from gradcli.session import Request, Source, evaluate

    g = evaluate(Source(big_program(700)), [], Request())
    text = page(g, Limits(cards=200, live=300, explain=300))  # small limits: the same code paths, fast
    n = len(g.nodes)
    assert text.count('class="gc-card ') == 200
    assert f"This program has {n:,} nodes: the graph shows 200 nodes" in text
    assert f"leaves out {n - 200:,} nodes" in text and "The sliders are off" in text
    assert '<script type="module">' not in text and "explain&#x27;s steps are left out" not in text
    assert "explain's steps are left out: the program has more than 300 nodes" in text
    no_network_reference(text)
