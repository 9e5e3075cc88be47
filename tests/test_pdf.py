"""The print edition, read back: ``lcnec build --pdf`` on the shipped cohort and on a
required-columns-only cohort.

The PDF is read with Debian's poppler-utils (``pdftotext``, ``pdftoppm``) and pypdf:
page count, title page, contents with their pages, chapter order, glued numbers
against results.json, every figure, no text past the right margin, no empty
page, the solutions' appendix; then each page's own PDF and its download link,
clicked in Chromium. PNG previews of a few pages are written beside the book
(``pdf-preview/``) for a person to look at.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from lcnec_utils.audit.headline import HEADLINES
from lcnec_utils.build.pdf import BOOK_PDF, CHROMIUM_ARGS, MARGINS, PDF_FOLDER, chapter_pdf_name
from lcnec_utils.build.printbook import reading_order
from lcnec_utils.contract.params import PROJECT_ROOT
from lcnec_utils.stats.format import format_value

pytestmark = pytest.mark.book

MM = 72 / 25.4  # PDF points per millimetre


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} (Debian's poppler-utils) is not installed: run `make system-deps`")
    return path


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page (pdftotext keeps the layout; pages end with a form feed)."""
    text = subprocess.run(
        [_poppler("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]


def _flat(text: str) -> str:
    """Text on one line: a hyphenated word broken at its hyphen ("log-" / "rank") joined again."""
    return re.sub(r"\s+", " ", re.sub(r"-\s*\n\s*", "-", text))


@pytest.fixture(scope="module", params=["shipped", "required-only"])
def edition(request):
    """(build folder, text of each page of its book PDF) for each cohort."""
    out = request.getfixturevalue("default_pdf_build" if request.param == "shipped" else "minimal_pdf_build")
    return out, pdf_pages(out / BOOK_PDF)


def _html_pages(out: Path):
    return [(page, out / "html" / page.path) for page in reading_order(out / "html")]


def _chapter_titles(out: Path) -> list[str]:
    titles = []
    for _, path in _html_pages(out):
        h1 = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").select_one("article h1")
        titles.append(re.sub(r"\s*#$", "", h1.get_text(" ", strip=True)))
    return titles


def test_page_count_and_a_preview_to_look_at(edition):
    out, pages = edition
    assert 80 <= len(pages) <= 400, len(pages)
    preview = out / "pdf-preview"
    preview.mkdir(exist_ok=True)
    for number in (1, 2, len(pages) // 2, len(pages)):
        subprocess.run(
            [_poppler("pdftoppm"), "-r", "60", "-png", "-f", str(number), "-l", str(number)]
            + [str(out / BOOK_PDF), str(preview / f"page-{number}")],
            check=True,
        )
    assert len(list(preview.glob("*.png"))) >= 4


def test_title_page_says_what_the_data_are(edition):
    out, pages = edition
    title = _flat(pages[0])
    audit = json.loads((out / "audit.json").read_text())
    if audit["cohort"]["shipped_synthetic"]:
        assert "The data in this book are synthetic" in title
        assert "not patients" in title
    else:
        assert "The data in this book: required_only.csv" in title
        assert "synthetic" not in title.lower()
    assert "First-line immunotherapy in stage IV LCNEC" in title
    assert "Parameters in force" in title and "Reference arm Chemo" in title


def test_every_page_has_its_number_the_data_checksum_and_the_commit_in_the_footer(edition):
    out, pages = edition
    record = json.loads((out / "build-record.json").read_text())["provenance"]
    shipped = PROJECT_ROOT / "data" / record["data_file"]
    data = shipped if shipped.is_file() else out.parent / record["data_file"]
    assert record["data_sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    for number, text in enumerate(pages, 1):
        assert f"page {number} of {len(pages)}" in text, number
        assert f"data SHA-256 {record['data_sha256']}" in text, number
        assert f"commit {record['git_commit']}" in text, number


def _image_pages(pdf: Path) -> list[int]:
    """The page of every image drawn in ``pdf`` (pdfimages lists masks apart, as "smask")."""
    listing = subprocess.run(
        [_poppler("pdfimages"), "-list", str(pdf)], capture_output=True, text=True, check=True
    )
    rows = [line.split() for line in listing.stdout.splitlines()[2:]]
    return [int(row[0]) for row in rows if row[2] == "image"]


def test_no_page_is_empty(edition):
    out, pages = edition
    with_image = set(_image_pages(out / BOOK_PDF))
    for number, text in enumerate(pages, 1):
        footer = ("data SHA-256", "commit ")
        body = [line for line in text.splitlines() if line.strip() and not line.strip().startswith(footer)]
        body = [line for line in body if "data SHA-256" not in line]
        assert len(body) >= 3 or number in with_image, f"page {number} holds nothing but its footer"


def _contents(pages: list[str]) -> list[tuple[str, int]]:
    """(title, page) of every contents entry: the pages from "Contents" to the first chapter."""
    entries = []
    for text in pages[1:6]:
        for line in text.splitlines():
            found = re.match(r"\s*(\S.*?\S)\s*(?:\.\s*|_+\s*|\s{2,})(\d+)\s*$", line)
            if found and "SHA-256" not in line:
                entries.append((found.group(1), int(found.group(2))))
    return entries


def test_contents_list_every_chapter_in_order_on_its_page(edition):
    out, pages = edition
    assert "Contents" in pages[1]
    entries = dict(_contents(pages))
    titles = _chapter_titles(out)
    found = [entries[title] for title in titles if title in entries]
    assert len(found) == len(titles), set(titles) - set(entries)
    assert found == sorted(found), "the contents are not in reading order"
    for title, page in zip(titles, found):
        assert title in _flat(pages[page - 1]), (title, page)


def test_chapters_and_sections_are_numbered(edition):
    out, pages = edition
    numbered = len([t for t in _chapter_titles(out) if re.match(r"\d+\. ", t)])
    entries = [title for title, _ in _contents(pages)]
    chapters = [t for t in entries if re.match(r"\d+\. ", t)]
    assert [int(t.split(".")[0]) for t in chapters] == list(range(1, numbered + 1))
    sections = [t for t in entries if re.match(r"\d+\.\d+\. ", t)]
    assert {int(t.split(".")[0]) for t in sections} == set(range(1, numbered + 1))
    text = _flat(" ".join(pages))
    for title in chapters + sections:
        assert text.count(title) >= 2, title  # in the contents and over its text


def _headline_rows(pages: list[str]) -> dict[str, list[str]]:
    """The overview's headline table, label -> cells (the layout keeps its columns)."""
    rows = {}
    for line in "\n".join(pages).splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        rows.setdefault(cells[0], cells)
    return rows


def test_glued_numbers_equal_results_json(edition):
    out, pages = edition
    results = json.loads((out / "results.json").read_text())

    def hr_ci(endpoint: str) -> str:
        keys = [f"{endpoint}.cox_multivariable.{k}" for k in ("hr", "ci_low", "ci_high")]
        return format_value(tuple(results.get(k) for k in keys), "hr_ci")

    sentence = f"is {hr_ci('pfs')} for progression and {hr_ci('os')} for death"
    assert sentence in _flat(" ".join(pages))
    rows = _headline_rows(pages)
    for key, label, fmt, _ in HEADLINES:
        assert rows[label][-1] == format_value(results.get(key), fmt), (key, rows[label])


def test_glued_numbers_equal_the_html(edition):
    """Every numeric glued value of a page appears in that page's own PDF."""
    out, _ = edition
    checked = 0
    for page, path in _html_pages(out):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        glued = {span.get_text() for span in soup.select("article span.pasted-text")}
        numbers = {g for g in glued if re.fullmatch(r"[<>−-]?\d[\d.,]*%?", g)}
        text = _flat(" ".join(pdf_pages(out / "html" / PDF_FOLDER / chapter_pdf_name(page))))
        missing = [n for n in numbers if n not in text]
        assert not missing, (page.path, missing)
        checked += len(numbers)
    assert checked >= 100


def test_every_figure_is_in_the_pdf(edition):
    out, _ = edition
    figures = sum(
        len(BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").select("article img"))
        for _, path in _html_pages(out)
    )
    assert figures >= 6
    assert len(_image_pages(out / BOOK_PDF)) == figures


def test_styled_tables_are_tables_and_formulas_are_typeset(edition):
    _, pages = edition
    text = "\n".join(pages)
    # a pandas Styler table keeps its columns: header and rows side by side on their lines
    assert re.search(r"Quantity\s{2,}Published study\s{2,}This book", text)
    assert "IPython.core.display" not in text
    assert "\\(" not in text and "\\frac" not in text


def test_no_text_runs_past_the_right_margin(edition):
    out, _ = edition
    boxes = subprocess.run(
        [_poppler("pdftotext"), "-bbox", str(out / BOOK_PDF), "-"], capture_output=True, text=True, check=True
    ).stdout
    left = float(MARGINS["left"].removesuffix("mm")) * MM
    right = float(MARGINS["right"].removesuffix("mm")) * MM
    outside = []
    for number, page in enumerate(boxes.split("<page ")[1:], 1):
        width = float(re.search(r'width="([\d.]+)"', page).group(1))
        for x_min, x_max, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)<', page
        ):
            if float(x_min) < left - 1 or float(x_max) > width - right + 1:
                outside.append((number, word))
    assert outside == []


def test_hidden_solutions_are_in_the_appendix(edition):
    out, pages = edition
    solutions = sum(
        len(
            BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").select(
                "article div.admonition.dropdown"
            )
        )
        for _, path in _html_pages(out)
    )
    text = _flat(" ".join(pages))
    assert solutions >= 10
    assert text.count("The exercise is in chapter") == solutions
    assert text.count("Solution: Appendix A, page") == solutions
    appendix = next(
        n for n, t in enumerate(pages, 1) if "Appendix A. Solutions to the exercises" in t and n > 5
    )
    for page in map(int, re.findall(r"Solution: Appendix A, page (\d+)", text)):
        assert page >= appendix


def test_the_pdf_names_no_folder_of_the_build_machine(edition):
    out, pages = edition
    text = "\n".join(pages)
    for folder in (str(PROJECT_ROOT), str(out), str(out.parent)):
        assert folder not in text


def test_each_page_has_its_own_pdf_linked_from_its_download_menu(edition):
    out, _ = edition
    for (page, path), title in zip(_html_pages(out), _chapter_titles(out)):
        html = path.read_text(encoding="utf-8")
        pdf = out / "html" / PDF_FOLDER / chapter_pdf_name(page)
        assert pdf.read_bytes().startswith(b"%PDF"), page.path
        links = re.findall(r'<li class="lcnec-pdf-download"><a href="([^"]+)" download', html)
        assert len(links) == 2, page.path
        assert (path.parent / links[0]).resolve() == pdf.resolve()
        assert (path.parent / links[1]).resolve() == (out / "html" / PDF_FOLDER / BOOK_PDF).resolve()
        assert 'onclick="window.print()"' not in html
        assert title in _flat(pdf_pages(pdf)[0]), page.path


def test_an_up_to_date_print_edition_is_not_printed_again(default_pdf_build, capsys):
    from lcnec_utils.cli import main

    before = (default_pdf_build / BOOK_PDF).stat().st_mtime_ns
    assert main(["build", "--pdf", "--out", str(default_pdf_build)]) == 0
    assert "the PDF in" in capsys.readouterr().out
    assert (default_pdf_build / BOOK_PDF).stat().st_mtime_ns == before


@pytest.mark.browser
def test_the_download_menu_gives_the_page_and_the_book_as_pdf(default_pdf_build, tmp_path):
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or pytest.fail(
        "Debian's chromium is not installed: run `make system-deps`"
    )
    handler = functools.partial(_Quiet, directory=str(default_pdf_build / "html"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(base + "notebooks/04_survival.html", wait_until="load")
            for label, expected in ((".pdf", "04_survival.pdf"), ("book .pdf", BOOK_PDF)):
                page.locator(".dropdown-download-buttons button.dropdown-toggle").click()
                exactly = re.compile(rf"^\s*{re.escape(label)}\s*$")
                item = page.locator(".dropdown-download-buttons .dropdown-menu a", has_text=exactly)
                with page.expect_download() as download:
                    item.click()
                saved = tmp_path / download.value.suggested_filename
                download.value.save_as(saved)
                assert saved.name == expected
                assert saved.read_bytes().startswith(b"%PDF")
            assert "Progression-free and overall survival" in pdf_pages(tmp_path / "04_survival.pdf")[0]
            browser.close()
    finally:
        httpd.shutdown()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
