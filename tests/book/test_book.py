"""Build the HTML book with zero warnings, then open every page in headless Chromium.

A page fails if an image did not load, if it shows a Python traceback, if any math was left
unrendered by MathJax, or if it embeds a widget that did not render.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]

pytestmark = pytest.mark.book


@pytest.fixture(scope="module")
def built_book() -> Path:
    subprocess.run(["bash", "scripts/vendor_widgets.sh"], cwd=ROOT, check=True)
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    proc = subprocess.run(["jupyter-book", "build", ".", "-W", "-n", "--keep-going"],
                          cwd=ROOT, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    assert "WARNING" not in log, log[-6000:]
    return HTML


@pytest.fixture(scope="module")
def server(built_book: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def book_pages() -> list[str]:
    """Every page the table of contents lists, as paths relative to the HTML root."""
    toc = (ROOT / "_toc.yml").read_text().splitlines()
    files = [line.split("file:", 1)[1].strip() for line in toc if "file:" in line]
    root = next(line.split(":", 1)[1].strip() for line in toc if line.startswith("root:"))
    return [f"{name}.html" for name in [root, *files]]


def test_toc_lists_the_sections_in_chapter_order():
    pages = book_pages()
    assert pages[0] == "book/intro.html" and pages[-1] == "book/references.html"
    assert "book/exercises.html" in pages
    notebooks = [p for p in pages if p.startswith("notebooks/")]
    assert notebooks == sorted(notebooks)


CHECK_PAGE = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const images = [...document.querySelectorAll('img')];
  const broken = images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src);
  const math = [...document.querySelectorAll('.math')];
  const raw = math.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent);
  const widgets = document.querySelectorAll(
    'script[type="application/vnd.jupyter.widget-view+json"]').length;
  const rendered = document.querySelectorAll('.jupyter-widgets, .widget-container').length;
  const text = document.body.innerText;
  return {broken, raw, mathCount: math.length, widgets, rendered,
          traceback: text.includes('Traceback (most recent call last)'),
          title: document.title};
}
"""


def test_every_page_renders_in_a_real_browser(server: str):
    playwright = pytest.importorskip("playwright.sync_api")
    failures = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        for path in book_pages():
            response = page.goto(f"{server}/{path}", wait_until="load")
            assert response is not None and response.ok, f"{path}: HTTP error"
            page.wait_for_timeout(300)
            report = page.evaluate(CHECK_PAGE)
            if report["broken"]:
                failures.append(f"{path}: images failed to load: {report['broken']}")
            if report["raw"]:
                failures.append(f"{path}: unrendered math: {report['raw'][:3]}")
            if report["traceback"]:
                failures.append(f"{path}: shows a Python traceback")
            if report["widgets"] and not report["rendered"]:
                failures.append(f"{path}: {report['widgets']} widget(s) did not render")
        browser.close()
    assert not failures, "\n".join(failures)


def test_the_check_sees_math_and_figures(server: str):
    """Guard against a check that passes vacuously: the why-hierarchy pages have both."""
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{server}/notebooks/00_why_hierarchy.html", wait_until="load")
        report = page.evaluate(CHECK_PAGE)
        assert report["mathCount"] > 0 and not report["raw"]
        assert page.locator("img").count() >= 1
        browser.close()
