"""Take the README's screenshot of the --format html page: the seed example with a node selected.

    python tools/screenshot_page.py [OUT.png]        (default: docs/page.png)

Needs playwright (pip install playwright) and Debian's chromium (apt-get install chromium); the
page is opened from a temporary file with every network request aborted, as in the tests.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "page.png"
    seed = ROOT / "examples" / "seed.grad"
    page = subprocess.run(
        [sys.executable, "-m", "gradcli", "eval", "-f", str(seed), "--format", "html"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        path = Path(tmp) / "seed.html"
        path.write_text(page, encoding="utf-8")
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS)
        context = browser.new_context(viewport={"width": 1180, "height": 520}, device_scale_factor=1.5)
        context.route("**/*", lambda r: r.continue_() if r.request.url == path.as_uri() else r.abort())
        tab = context.new_page()
        tab.goto(path.as_uri())
        tab.wait_for_function("window.gcPage && !document.getElementById('gc-range0').disabled")
        tab.focus("#gc-n4")  # e = a*b: its path to L, its local derivatives and its chain-rule step
        tab.keyboard.press("Enter")
        tab.screenshot(path=str(out))
        browser.close()
    print(out)


if __name__ == "__main__":
    main()
