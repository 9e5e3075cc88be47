"""The publish folder serves as it is, from any address.

``lcnec publish`` on the shipped book with its print edition; the folder is
copied to a fresh temporary folder (nothing may depend on where it was made),
served there by ``python -m http.server`` and crawled in Chromium: every page
reachable from ``index.html`` and every file it links answers, nothing is
asked of another host, no page logs an error, and no file names a folder of
the build machine.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from lcnec_utils.build.pdf import BOOK_PDF, CHROMIUM_ARGS, PDF_FOLDER
from lcnec_utils.build.printbook import reading_order
from lcnec_utils.build.publish import site_problems
from lcnec_utils.cli import main
from lcnec_utils.contract.params import PROJECT_ROOT

pytestmark = pytest.mark.book


@pytest.fixture(scope="module")
def site(default_pdf_build, tmp_path_factory) -> Path:
    made = tmp_path_factory.mktemp("publish") / "public"
    assert main(["publish", "--out", str(default_pdf_build), "--to", str(made)]) == 0
    served = tmp_path_factory.mktemp("host") / "site"
    shutil.copytree(made, served)
    return served


def test_the_folder_is_whole_and_relative(site):
    assert site_problems(site) == []
    assert (site / "index.html").is_file() and (site / ".nojekyll").is_file()
    assert (site / PDF_FOLDER / BOOK_PDF).read_bytes().startswith(b"%PDF")
    assert not (site / ".buildinfo").exists()


def test_no_file_names_a_folder_of_the_build_machine(site, default_pdf_build):
    folders = [str(PROJECT_ROOT), str(default_pdf_build), str(default_pdf_build.parent)]
    checked = 0
    for path in sorted(site.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".pdf":
            text = subprocess.run(
                ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
            ).stdout
        else:
            text = path.read_bytes().decode("utf-8", errors="ignore")
        named = [f for f in folders if f in text]
        assert not named, (path.relative_to(site), named)
        checked += 1
    assert checked > 100


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served(site):
    """``site`` served by ``python -m http.server`` on 127.0.0.1."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(site)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.browser
def test_a_crawl_from_the_index_reaches_every_page_and_file(served, site):
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or pytest.fail(
        "Debian's chromium is not installed: run `make system-deps`"
    )
    host = urlparse(served).netloc
    outside, failed, errors = [], [], []
    pages, files, queue = set(), set(), [served + "index.html"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context()
        context.route(
            "**/*",
            lambda r: (
                (outside.append(r.request.url), r.abort())
                if urlparse(r.request.url).netloc not in (host, "")
                else r.continue_()
            ),
        )
        page = context.new_page()
        page.on("response", lambda r: r.status >= 400 and failed.append((r.status, r.url)))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        while queue:
            url = queue.pop()
            if url in pages:
                continue
            pages.add(url)
            page.goto(url, wait_until="load")
            page.wait_for_load_state("networkidle")  # index.html forwards to the first page
            pages.add(urldefrag(page.url).url)
            for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
                target = urldefrag(urljoin(page.url, href)).url
                if urlparse(target).netloc != host:
                    continue
                if urlparse(target).path.endswith((".html", "/")):
                    queue.append(target)
                else:
                    files.add(target)
        for url in sorted(files):
            response = context.request.get(url)
            if response.status != 200:
                failed.append((response.status, url))
        browser.close()
    book = {served + page.path for page in reading_order(site)}
    assert book <= pages, sorted(book - pages)
    assert any(url.endswith(f"{PDF_FOLDER}/{BOOK_PDF}") for url in files)
    assert sum(url.endswith(".pdf") for url in files) >= 20
    assert failed == [] and outside == [] and errors == []
