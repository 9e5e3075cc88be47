"""The print edition: ``DIR/lcnec-book.pdf`` and one PDF per page, printed by Chromium.

:mod:`lcnec_utils.build.printbook` assembles the finished HTML book into one
print-styled document; Debian's ``chromium``, driven by Playwright, prints it
to A4 with a footer on every page (page number, data SHA-256, git commit).
Chromium cannot number pages inside the text, so the book is printed twice:
the first printing places every contents entry (the PDF's named
destinations, read with pypdf), the second prints their page numbers. Each
page of the HTML book is also printed alone to ``DIR/html/pdf/<page>.pdf``,
linked from the page's download menu. Works offline: nothing is fetched, the
formulas come from the book's own MathJax, and any request for another
address is refused. Why Chromium and how: docs/print-edition.md.
"""

from __future__ import annotations

import hashlib
import html as _html
import json
import posixpath
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lcnec_utils.build.pipeline import BuildError
from lcnec_utils.build.portable import machine_paths
from lcnec_utils.build.printbook import (
    BookPage,
    PrintFacts,
    book_document,
    chapter_document,
    fill_page_numbers,
    page_targets,
    print_facts,
    reading_order,
)

BOOK_PDF = "lcnec-book.pdf"
#: Under ``DIR/html``: the per-page PDFs and a copy of the book's, served with the site.
PDF_FOLDER = "pdf"
PRINT_RECORD = "print-record.json"

#: Offline, headless, as the browser tests run it; in a container too (a small /dev/shm).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: A4 with 18 mm side margins: the text block is 174 mm (658 CSS pixels) wide.
MARGINS = {"top": "16mm", "bottom": "18mm", "left": "18mm", "right": "18mm"}
TEXT_BLOCK_PX = 658


class PrintError(BuildError):
    """The print edition could not be made; the message is meant for the user."""


@dataclass
class PrintEdition:
    """What :func:`write_print_edition` made: the book's PDF, its page count, the per-page PDFs."""

    book: Path
    pages: int
    chapter_pdfs: list[Path]
    seconds: float


def chromium_executable() -> str:
    """Debian's chromium (``make system-deps`` installs it)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise PrintError(
            "the PDF needs Debian's chromium: run `make system-deps` (or apt-get install chromium)"
        )
    return path


def footer_template(facts: PrintFacts) -> str:
    """Chromium's footer: the data's nature and checksum, the commit, the page number."""
    notice = "Synthetic data" if facts.synthetic else _html.escape(facts.data_file)
    return (
        '<div style="box-sizing:border-box;width:100%;padding:0 18mm;font-family:sans-serif;font-size:6.5pt;'
        'line-height:1.35;color:#444">'
        '<span style="float:right">page <span class="pageNumber"></span> of <span class="totalPages"></span></span>'
        f"<div>{notice} · data SHA-256 {facts.data_sha256}</div>"
        f"<div>commit {_html.escape(facts.git_commit)} · built {_html.escape(facts.build_date)}</div></div>"
    )


#: Waits for the fonts, every image and MathJax's typesetting.
_READY = """async () => {
  await document.fonts.ready;
  await Promise.all([...document.images].map(i => i.complete ? null :
    new Promise(done => { i.addEventListener('load', done); i.addEventListener('error', done); })));
  if (window.MathJax) {
    for (let waited = 0; !(MathJax.startup && MathJax.startup.promise) && waited < 30000; waited += 50)
      await new Promise(r => setTimeout(r, 50));
    if (MathJax.startup) await MathJax.startup.promise;
  }
  return [...document.images].filter(i => !(i.naturalWidth > 0)).map(i => i.src);
}"""

#: A table wider than its column is first shrunk (to 80 % at most); failing that its cells may
#: wrap, long identifiers (results keys) break after their dots and underscores, and it is shrunk
#: further (to 50 % at most): no table runs past the right margin.
_FIT_TABLES = """() => {
  const breakable = (cell) => {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    const long = [];
    while (walker.nextNode()) if (/[^\\s]{16,}/.test(walker.currentNode.data)) long.push(walker.currentNode);
    for (const node of long) {
      const pieces = node.data.split(/(?<=[._\\/])/);
      const fragment = document.createDocumentFragment();
      pieces.forEach((piece, k) => {
        fragment.append(piece);
        if (k < pieces.length - 1) fragment.append(document.createElement('wbr'));
      });
      node.replaceWith(fragment);
    }
  };
  let fitted = 0;
  for (const table of document.querySelectorAll('table')) {
    const room = () => table.parentElement.getBoundingClientRect().width;
    const width = () => table.getBoundingClientRect().width;
    if (width() <= room() + 0.5) continue;
    fitted += 1;
    table.style.zoom = Math.max(0.8, room() / width());
    if (width() <= room() + 0.5) continue;
    table.style.zoom = 1;
    for (const cell of table.querySelectorAll('td, th')) { cell.style.whiteSpace = 'normal'; breakable(cell); }
    if (width() > room() + 0.5) table.style.zoom = Math.max(0.5, room() / width());
  }
  return fitted;
}"""


def _print(browser: Any, document: str, target: Path, facts: PrintFacts, work: Path) -> None:
    """Print one HTML document to ``target`` (A4, footer, outline of the headings)."""
    source = work / f"{target.stem}.html"
    source.write_text(document, encoding="utf-8")
    page = browser.new_page(viewport={"width": TEXT_BLOCK_PX, "height": 1000})
    try:
        page.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort()
        )
        page.emulate_media(media="print")
        page.goto(source.as_uri(), wait_until="load")
        broken = page.evaluate(_READY)
        if broken:
            raise PrintError(f"images that did not load in {target.name}: {broken[:3]}")
        page.evaluate(_FIT_TABLES)
        page.pdf(
            path=str(target),
            format="A4",
            margin=MARGINS,
            print_background=True,
            display_header_footer=True,
            header_template="<span></span>",
            footer_template=footer_template(facts),
            outline=True,
            tagged=True,
        )
    finally:
        page.close()


def destination_pages(pdf: Path) -> dict[str, int]:
    """Page (1-based) of every named destination of ``pdf``: Chromium names each link target."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    return {
        str(name).lstrip("/"): reader.get_destination_page_number(dest) + 1
        for name, dest in reader.named_destinations.items()
    }


def print_with_page_numbers(browser: Any, document: str, target: Path, facts: PrintFacts, work: Path) -> None:
    """Print ``document``; when it refers to pages, print again with the pages found
    (and once more should filling them in have moved a target)."""
    targets = set(page_targets(document))
    _print(browser, document, target, facts, work)
    if not targets:
        return
    for _ in range(3):
        pages = destination_pages(target)
        missing = targets - set(pages)
        if missing:
            raise PrintError(f"{target.name}: no page found for {sorted(missing)[:3]}")
        _print(browser, fill_page_numbers(document, pages), target, facts, work)
        placed = destination_pages(target)
        if all(placed.get(t) == pages[t] for t in targets):
            return
    raise PrintError(f"{target.name}: the page numbers did not settle")


def chapter_pdf_name(page: BookPage) -> str:
    return posixpath.splitext(posixpath.basename(page.path))[0] + ".pdf"


_PRINT_ITEM = re.compile(
    r'<li>\s*<button onclick="window\.print\(\)".*?</button>\s*</li>'
    r'|<li class="lcnec-pdf-download">.*?</li>\s*<li class="lcnec-pdf-download">.*?</li>',
    re.S,
)


def _download_items(page: BookPage) -> str:
    folder = posixpath.dirname(page.path) or "."

    def item(href: str, label: str, title: str) -> str:
        return (
            f'<li class="lcnec-pdf-download"><a href="{href}" download '
            f'class="btn btn-sm btn-download-pdf-button dropdown-item" title="{title}" '
            'data-bs-placement="left" data-bs-toggle="tooltip">'
            '<span class="btn__icon-container"><i class="fas fa-file-pdf"></i></span>'
            f'<span class="btn__text-container">{label}</span></a></li>'
        )

    chapter = posixpath.relpath(f"{PDF_FOLDER}/{chapter_pdf_name(page)}", folder)
    book = posixpath.relpath(f"{PDF_FOLDER}/{BOOK_PDF}", folder)
    return item(chapter, ".pdf", "Download this page as PDF") + item(
        book, "book .pdf", "Download the whole book as PDF"
    )


def link_downloads(html_dir: Path, pages: list[BookPage]) -> None:
    """Put the page's PDF and the book's in each page's download menu, in place of
    the theme's "print this page" button."""
    for page in pages:
        path = html_dir / page.path
        text = path.read_text(encoding="utf-8")
        linked, count = _PRINT_ITEM.subn(lambda _m, p=page: _download_items(p), text, count=1)
        if count != 1:
            raise PrintError(f"{page.path} has no download menu to link its PDF from")
        path.write_text(linked, encoding="utf-8")


def _code_digest() -> str:
    here = Path(__file__).parent
    parts = [(here / name).read_bytes() for name in ("pdf.py", "printbook.py", "print.css")]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


def _build_key(out_dir: Path) -> str | None:
    try:
        return json.loads((out_dir / "build-record.json").read_text()).get("build_key")
    except (OSError, ValueError):
        return None


def print_edition_current(out_dir: Path) -> bool:
    """True when ``out_dir``'s PDFs were printed from its present book by the present code."""
    try:
        record = json.loads((out_dir / PRINT_RECORD).read_text())
    except (OSError, ValueError):
        return False
    return (
        (out_dir / BOOK_PDF).is_file()
        and record.get("build_key") == _build_key(out_dir)
        and record.get("code") == _code_digest()
    )


def _print_all(out_dir: Path, pages: list[BookPage], facts: PrintFacts, work: Path, progress) -> Path:
    """The book's PDF, printed into ``work``, and every page's, into ``work/pdf``."""
    from playwright.sync_api import sync_playwright

    html_dir = out_dir / "html"
    machine = machine_paths(out_dir)
    book = work / BOOK_PDF
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_ARGS, headless=True)
        try:
            progress("printing the book to PDF with Chromium ...")
            print_with_page_numbers(
                browser, book_document(html_dir, pages, facts, machine), book, facts, work
            )
            progress(f"printing {len(pages)} page PDFs ...")
            for page in pages:
                target = work / PDF_FOLDER / chapter_pdf_name(page)
                target.parent.mkdir(exist_ok=True)
                print_with_page_numbers(
                    browser, chapter_document(html_dir, page, facts, machine), target, facts, work
                )
        finally:
            browser.close()
    return book


def write_print_edition(
    out_dir: str | Path, progress: Callable[[str], None] = print, *, force: bool = False
) -> PrintEdition:
    """Print the finished book in ``out_dir`` to ``out_dir/lcnec-book.pdf`` and
    ``out_dir/html/pdf/`` (one PDF per page, and the book's), and link each page's PDF
    from its download menu. Nothing is done when the PDFs are current (unless ``force``)."""
    from pypdf import PdfReader

    out_dir = Path(out_dir).resolve()
    html_dir = out_dir / "html"
    if not (html_dir / "index.html").is_file():
        raise PrintError(f"no finished book in {out_dir}: run `lcnec build --out {out_dir}` first")
    if not force and print_edition_current(out_dir):
        book = out_dir / BOOK_PDF
        progress(f"the PDF in {out_dir} is up to date")
        chapter_pdfs = sorted((html_dir / PDF_FOLDER).glob("*.pdf"))
        return PrintEdition(book, len(PdfReader(str(book)).pages), chapter_pdfs, 0.0)
    start = time.perf_counter()
    pages = reading_order(html_dir)
    names = [chapter_pdf_name(p) for p in pages]
    if len(set(names)) != len(names) or BOOK_PDF in names:
        raise PrintError(f"two pages would print to the same PDF name: {sorted(names)}")
    facts = print_facts(out_dir, pages)
    with tempfile.TemporaryDirectory(prefix="lcnec-print-") as tmp:
        book = _print_all(out_dir, pages, facts, Path(tmp), progress)
        folder = html_dir / PDF_FOLDER
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(book.parent / PDF_FOLDER, folder)
        shutil.copy2(book, folder / BOOK_PDF)
        shutil.copy2(book, out_dir / BOOK_PDF)
    link_downloads(html_dir, pages)
    seconds = time.perf_counter() - start
    count = len(PdfReader(str(out_dir / BOOK_PDF)).pages)
    record = {
        "build_key": _build_key(out_dir),
        "code": _code_digest(),
        "pages": count,
        "seconds": round(seconds, 1),
    }
    (out_dir / PRINT_RECORD).write_text(json.dumps(record, indent=2) + "\n")
    progress(f"PDF: {out_dir / BOOK_PDF} ({count} pages, {seconds:.1f} s)")
    return PrintEdition(out_dir / BOOK_PDF, count, sorted(folder.glob("*.pdf")), seconds)
