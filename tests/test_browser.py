"""The built book as readers meet it, in a real browser (Debian's chromium via Playwright).

The book is served from a local HTTP server on 127.0.0.1; every request to
any other host is blocked and counted, and the count must be zero. The
browser is the system's ``chromium`` (installed by ``make test``); nothing is
downloaded at run time. Screenshots of every page at desktop and phone width
are written beside the built book (``screenshots/``) for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
import yaml

pytestmark = [pytest.mark.browser, pytest.mark.book]

BOOK_SOURCE = Path(__file__).resolve().parent.parent / "book"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Debian's chromium is not installed: run `make test`, which installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def toc_pages() -> list[str]:
    """HTML paths of every page in book/_toc.yml, root first."""
    toc = yaml.safe_load((BOOK_SOURCE / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [c["file"] for c in part.get("chapters", [])]
    return [f"{p}.html" for p in pages]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(default_build):
    html = default_build / "html"
    handler = functools.partial(_QuietHandler, directory=str(html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Visit:
    """One browser context that blocks and counts requests to other hosts."""

    def __init__(self, browser, base: str, viewport: dict):
        self.context = browser.new_context(viewport=viewport)
        self.outside: list[str] = []
        self.console_errors: list[str] = []
        allowed = urlparse(base).netloc

        def route(r):
            url = urlparse(r.request.url)
            if url.scheme in ("http", "https", "ws", "wss") and url.netloc != allowed:
                self.outside.append(r.request.url)
                return r.abort()
            return r.continue_()

        self.context.route("**/*", route)

    def open(self, url: str):
        page = self.context.new_page()
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(f"{url}: {m.text}"))
        page.on("pageerror", lambda e: self.console_errors.append(f"{url}: {e}"))
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        return page

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def desktop_visit(browser, server, default_build):
    """Every TOC page opened once at desktop width, with its screenshot."""
    visit = Visit(browser, server, DESKTOP)
    shots = default_build / "screenshots"
    shots.mkdir(exist_ok=True)
    pages = {}
    for path in toc_pages():
        page = visit.open(server + path)
        page.screenshot(path=str(shots / f"desktop-{path.replace('/', '_')}.png"), full_page=True)
        pages[path] = page
    yield visit, pages
    visit.close()


def test_every_toc_page_loads_without_console_errors(desktop_visit):
    visit, pages = desktop_visit
    assert len(pages) >= 8
    for path, page in pages.items():
        assert page.title(), path
    assert visit.console_errors == []


def test_the_book_requests_nothing_from_other_hosts(desktop_visit, browser, server):
    visit, _ = desktop_visit
    search = visit.open(server + "search.html?q=hazard+ratio")
    search.wait_for_timeout(500)
    assert visit.outside == [], visit.outside


def test_every_figure_is_displayed(desktop_visit):
    _, pages = desktop_visit
    figures = 0
    for path, page in pages.items():
        for img in page.query_selector_all("main img"):
            loaded = img.evaluate("i => i.complete && i.naturalWidth > 0")
            box = img.bounding_box()
            assert loaded and box and box["width"] > 50 and box["height"] > 50, (
                path,
                img.get_attribute("src"),
            )
            figures += 1
    assert figures >= 6  # flow, response, two Kaplan-Meier curves, two forest plots, ...


def test_no_page_shows_an_error_a_traceback_or_a_warning_cell(desktop_visit):
    _, pages = desktop_visit
    for path, page in pages.items():
        text = page.inner_text("main")
        assert "Traceback" not in text, path
        assert not re.search(r"\b\w+(Error|Warning): ", text), path
        assert page.query_selector_all(".output.stderr, .output.traceback, .ipythontb") == [], path


def _ids(html: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html))


def test_every_internal_link_and_anchor_resolves(desktop_visit, server, default_build):
    _, pages = desktop_visit
    html_root = default_build / "html"
    broken = []
    checked = 0
    for path, page in pages.items():
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            if href.startswith(("mailto:", "javascript:")):
                continue
            target = urlparse(urljoin(server + path, href))
            if target.netloc != urlparse(server).netloc:
                continue  # a reference out of the book (a DOI): a link, never a request
            file = html_root / unquote(target.path.lstrip("/"))
            if file.is_dir():
                file = file / "index.html"
            if not file.is_file():
                broken.append((path, href, "no such file"))
                continue
            if (
                target.fragment
                and file.suffix == ".html"
                and unquote(target.fragment) not in _ids(file.read_text(encoding="utf-8"))
            ):
                broken.append((path, href, "no such anchor"))
            checked += 1
    assert checked > 100
    assert broken == []


def test_search_finds_hazard_ratio(desktop_visit, server):
    visit, _ = desktop_visit
    page = visit.open(server + "search.html?q=hazard+ratio")
    page.wait_for_selector("#search-results ul.search li", timeout=15000)
    hits = page.query_selector_all("#search-results ul.search li")
    assert len(hits) >= 2
    assert any("Cox" in h.inner_text() for h in hits)


def test_phone_width_tables_scroll_and_navigation_works(browser, server, default_build):
    visit = Visit(browser, server, PHONE)
    shots = default_build / "screenshots"
    try:
        for path in toc_pages():
            page = visit.open(server + path)
            page.screenshot(path=str(shots / f"phone-{path.replace('/', '_')}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{path} is {overflow}px wider than the phone"
            for wrap in page.query_selector_all(".lcnec-table-wrap"):
                assert wrap.evaluate("w => getComputedStyle(w).overflowX") in ("auto", "scroll"), path
        page = visit.open(server + "notebooks/02_baseline.html")
        page.locator("button.primary-toggle:visible").first.click()
        link = page.locator("#pst-primary-sidebar-modal a", has_text="Cox regression").first
        link.wait_for(state="visible")
        link.click()
        page.wait_for_load_state("load")
        assert page.url.endswith("05_multivariate.html")
        assert visit.outside == [] and visit.console_errors == []
    finally:
        visit.close()


def test_the_book_reads_correctly_opened_from_disk(browser, default_build):
    context = browser.new_context(viewport=DESKTOP)
    outside = []
    context.route(
        "**/*",
        lambda r: (
            (outside.append(r.request.url), r.abort())
            if urlparse(r.request.url).scheme in ("http", "https")
            else r.continue_()
        ),
    )
    try:
        page = context.new_page()
        page.goto((default_build / "html" / "notebooks" / "04_survival.html").as_uri(), wait_until="load")
        images = page.query_selector_all("main img")
        assert len(images) >= 2
        assert all(i.evaluate("i => i.complete && i.naturalWidth > 0") for i in images)
        assert "Overall survival" in page.inner_text("main")
        assert outside == []
    finally:
        context.close()
