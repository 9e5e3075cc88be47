"""The print edition's HTML: the rendered pages of a finished book, in reading order, as one document.

The print edition is made from the HTML book itself (``DIR/html``), not from a
second rendering: the articles of the pages are taken in the order of the
book's navigation, so every glued number, table and figure is the one the
HTML shows. Ids are made unique per page (``<page>--<id>``) and links between
pages become links inside the document. What a screen hides behind a click
is shown (the parameter box, collapsed tables) or, for the exercises'
solutions, moved to an appendix; hidden code cells stay hidden. Page numbers
(contents, solution references) are placeholders filled in by
:func:`fill_page_numbers` once the first printing has placed every target
(:mod:`lcnec_utils.build.pdf`). Why this route and not LaTeX: docs/print-edition.md.
"""

from __future__ import annotations

import html as _html
import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlparse

from bs4 import BeautifulSoup, Tag

from lcnec_utils.build.portable import strip_machine_paths
from lcnec_utils.chapter.page import is_synthetic

#: What a page number reads before the pages are known: three digits, so that
#: filling in the real number moves nothing.
PAGE_PLACEHOLDER = "000"

#: Where relative links are resolved from (never fetched): urljoin needs an absolute URL.
_BASE = "http://book.invalid/"


@dataclass
class BookPage:
    """One page of the HTML book: its path under ``html/``, its anchor, its part of the book."""

    path: str
    part: str | None
    anchor: str = ""

    def __post_init__(self) -> None:
        self.anchor = self.anchor or "p-" + re.sub(r"[^A-Za-z0-9_-]", "-", posixpath.splitext(self.path)[0])


@dataclass
class Solution:
    """An exercise's solution taken out of its page for the appendix."""

    anchor: str
    chapter: str
    exercise: int
    back: str
    body: Tag


@dataclass
class PrintFacts:
    """What the title page and the footer say about the build."""

    title: str
    author: str
    data_file: str
    ae_file: str | None
    synthetic: bool
    data_sha256: str
    git_commit: str
    build_date: str


@dataclass
class PageContent:
    """A page's cleaned article with what the print edition needs from it."""

    page: BookPage
    article: Tag
    title: str
    sections: list[tuple[str, str]] = field(default_factory=list)
    solutions: list[Solution] = field(default_factory=list)
    parameters: Tag | None = None


def _base(html_dir: Path) -> str:
    return html_dir.resolve().as_uri() + "/"


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def root_page(html_dir: Path) -> str:
    """The path of the book's first page (``index.html`` redirects to it)."""
    index = (html_dir / "index.html").read_text(encoding="utf-8")
    found = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', index)
    return found.group(1) if found else "index.html"


def reading_order(html_dir: Path) -> list[BookPage]:
    """The book's pages as its navigation lists them: the root page, then each part's chapters."""
    root = root_page(html_dir)
    nav = _soup(html_dir / root).select_one("nav.bd-docs-nav")
    if nav is None:
        raise ValueError(f"{root} has no navigation to read the book's order from")
    pages = [BookPage(root, None)]
    part = None
    for element in nav.find_all(["p", "ul"]):
        if element.name == "p" and "caption" in element.get("class", []):
            part = element.get_text(strip=True)
        elif element.name == "ul" and "bd-sidenav__home-link" not in element.get("class", []):
            for link in element.select(":scope > li.toctree-l1 > a[href]"):
                target = _resolve(root, link["href"])[0]
                if target and target != root:
                    pages.append(BookPage(target, part))
    return pages


def _resolve(page_path: str, href: str) -> tuple[str | None, str]:
    """``href`` on ``page_path`` as (path under html/, fragment); path None for another host."""
    url = urlparse(urljoin(_BASE + page_path, href))
    if f"{url.scheme}://{url.netloc}/" != _BASE:
        return None, url.fragment
    return url.path.lstrip("/"), url.fragment


def print_facts(out_dir: Path, pages: list[BookPage]) -> PrintFacts:
    """Title and author from the HTML, the data and provenance from the build's records."""
    html_dir = out_dir / "html"
    soup = _soup(html_dir / pages[0].path)
    home = soup.select_one("ul.bd-sidenav__home-link a")
    title = home.get_text(" ", strip=True) if home else soup.title.get_text(strip=True)
    author_text = soup.find(string=re.compile(r"^\s*By "))
    author = author_text.strip()[3:].strip() if author_text else ""
    record = json.loads((out_dir / "build-record.json").read_text()).get("provenance", {})
    cohort = json.loads((out_dir / "audit.json").read_text()).get("cohort", {})
    data_file = record.get("data_file") or posixpath.basename(str(cohort.get("data_path", "")))
    return PrintFacts(
        title=title,
        author=author,
        data_file=data_file,
        ae_file=record.get("ae_file"),
        synthetic=bool(cohort.get("shipped_synthetic")) or is_synthetic(data_file),
        data_sha256=record.get("data_sha256", "unknown"),
        git_commit=record.get("git_commit", "unknown"),
        build_date=record.get("build_date", ""),
    )


def _drop_screen_only(article: Tag) -> None:
    """Remove what only works on a screen: heading links, hidden code, the tables' download links."""
    for element in article.select("a.headerlink, details.hide.above-input, button"):
        element.decompose()
    for link in article.select("a.reference.download"):
        if link.get_text(" ", strip=True).startswith("Download this"):
            (link.find_parent("p") or link).decompose()  # a chapter's "Download this table (CSV)"
        else:
            link.unwrap()  # a file named in the text (the Reproducibility page's list)
    for details in article.find_all("details"):
        details["open"] = ""


def _namespace_ids(article: Tag, page: BookPage) -> None:
    # pandas Styler ids (T_...) are random and unique already, and its <style> selects by them
    for element in article.find_all(id=True):
        if not element["id"].startswith("T_"):
            element["id"] = f"{page.anchor}--{element['id']}"


def _rewrite_links(
    article: Tag, page: BookPage, in_document: dict[str, BookPage], outside_prefix: str | None, base: str
) -> None:
    """Links to pages in the document become anchors; other links into the book go to the
    site relative to the PDF's folder (``outside_prefix``) or, with None, become plain text.
    Images are read from ``base`` (the ``html/`` folder's URL)."""
    for link in article.find_all("a", href=True):
        target, fragment = _resolve(page.path, link["href"])
        if target is None:
            continue  # another host: the link stays as it is
        if target in in_document:
            anchor = in_document[target].anchor
            link["href"] = f"#{anchor}--{fragment}" if fragment else f"#{anchor}"
        elif outside_prefix is not None:
            link["href"] = outside_prefix + target + (f"#{fragment}" if fragment else "")
        else:
            link.unwrap()
    for image in article.find_all("img", src=True):
        target, _ = _resolve(page.path, image["src"])
        if target is not None:
            image["src"] = base + target


def _take_solutions(article: Tag, page: BookPage, chapter: str) -> list[Solution]:
    """Move the exercises' solutions (dropdown admonitions) out, leaving a reference to the appendix."""
    solutions = []
    for box in article.select("div.admonition.dropdown"):
        exercise = _exercise_number(box)
        anchor = f"{page.anchor}--solution-{len(solutions) + 1}"
        back = f"{anchor}-exercise"
        title = box.select_one(".admonition-title")
        if title is not None:
            title.decompose()
        reference = BeautifulSoup(
            f'<p class="lcnec-solution-ref" id="{back}">Solution: '
            f'<a class="lcnec-pageref" href="#{anchor}">Appendix A, page '
            f'<span class="lcnec-pageno" data-target="{anchor}">{PAGE_PLACEHOLDER}</span></a></p>',
            "html.parser",
        ).p
        body = box.replace_with(reference)
        solutions.append(Solution(anchor, chapter, exercise, back, body))
    return solutions


def _exercise_number(box: Tag) -> int:
    """The number of the exercise a solution follows: the last item of the list before it."""
    listing = box.find_previous_sibling("ol")
    if listing is None:
        return 0
    return int(listing.get("start", 1)) + len(listing.find_all("li", recursive=False)) - 1


def load_page(
    html_dir: Path,
    page: BookPage,
    in_document: dict[str, BookPage],
    outside_prefix: str | None,
    machine: list[Callable[[str], str]] = (),
) -> PageContent:
    """A page's article, cleaned for print, with its title, sections and solutions taken out;
    its images are read from ``html_dir`` by file URL; its text names no folder of the build
    machine (``machine``: :func:`lcnec_utils.build.portable.machine_paths`)."""
    text = strip_machine_paths((html_dir / page.path).read_text(encoding="utf-8"), list(machine))
    article = BeautifulSoup(text, "html.parser").select_one("article.bd-article")
    if article is None:
        raise ValueError(f"{page.path} has no article")
    _drop_screen_only(article)
    heading = article.find("h1")
    title = heading.get_text(" ", strip=True) if heading else page.path
    number = heading.select_one(".section-number") if heading else None
    chapter = number.get_text(strip=True).rstrip(".") if number else title
    sections = [
        (h2.get_text(" ", strip=True), f"{page.anchor}--{h2.parent['id']}")
        for h2 in article.select("section > h2")
        if h2.parent.get("id")
    ]
    parameters = article.select_one("details.lcnec-params")
    _namespace_ids(article, page)
    _rewrite_links(article, page, in_document, outside_prefix, _base(html_dir))
    solutions = _take_solutions(article, page, chapter)
    article.name = "div"
    article["class"] = ["bd-article", "lcnec-print-page"]
    return PageContent(page, article, title, sections, solutions, parameters)


def _facts_rows(facts: PrintFacts) -> str:
    rows = [("Cohort file", facts.data_file), ("Adverse-event file", facts.ae_file or "none")]
    rows += [
        ("Data SHA-256", f"<code>{facts.data_sha256}</code>"),
        ("Git commit", f"<code>{facts.git_commit}</code>"),
    ]
    rows.append(("Built", facts.build_date))
    return "".join(
        f"<tr><th>{_html.escape(k)}</th><td>{v if '<code>' in v else _html.escape(v)}</td></tr>"
        for k, v in rows
    )


def data_notice(facts: PrintFacts) -> str:
    """The title page's plain statement of what the data are."""
    if facts.synthetic:
        return (
            '<div class="lcnec-data-notice"><strong>The data in this book are synthetic.</strong>'
            f"The cohort ({_html.escape(facts.data_file)}) was reconstructed from the published "
            "aggregates of the study: its rows are not patients. Numbers that agree with the paper "
            "agree by construction.</div>"
        )
    return (
        '<div class="lcnec-data-notice"><strong>The data in this book: '
        f"{_html.escape(facts.data_file)}</strong>Every number was computed from this cohort file "
        "(its SHA-256 below and in the footer of every page).</div>"
    )


def title_page(facts: PrintFacts, parameters: Tag | None) -> str:
    """Title, author, the data notice, the build's facts and the parameters in force."""
    params = ""
    if parameters is not None:
        table = parameters.select_one("table")
        params = f"<h2>Parameters in force</h2>{table}" if table is not None else ""
    return (
        f'<section class="lcnec-title-page"><h1>{_html.escape(facts.title)}</h1>'
        f'<div class="lcnec-author">{_html.escape(facts.author)}</div>{data_notice(facts)}'
        f'<table class="lcnec-title-facts">{_facts_rows(facts)}</table>{params}</section>'
    )


def _toc_entry(kind: str, title: str, anchor: str) -> str:
    return (
        f'<a class="lcnec-toc-{kind}" href="#{anchor}"><span class="lcnec-toc-title">{_html.escape(title)}</span>'
        f'<span class="lcnec-toc-leader"></span>'
        f'<span class="lcnec-pageno" data-target="{anchor}">{PAGE_PLACEHOLDER}</span></a>'
    )


def contents(pages: list[PageContent], appendix_anchor: str | None) -> str:
    """The table of contents: parts, chapters and their sections, each with its page."""
    parts, seen = [], None
    for content in pages:
        if content.page.part != seen and content.page.part:
            parts.append(f'<div class="lcnec-toc-part">{_html.escape(content.page.part)}</div>')
        seen = content.page.part
        parts.append(_toc_entry("chapter", content.title, content.page.anchor))
        parts += [_toc_entry("section", title, anchor) for title, anchor in content.sections]
    if appendix_anchor:
        parts.append(_toc_entry("chapter", "Appendix A. Solutions to the exercises", appendix_anchor))
    return (
        '<nav class="lcnec-toc"><div class="lcnec-part"></div><h1>Contents</h1>' + "".join(parts) + "</nav>"
    )


def appendix(pages: list[PageContent], anchor: str) -> str:
    """Appendix A: every solution under its chapter, with the page of its exercise."""
    blocks = []
    for content in pages:
        if not content.solutions:
            continue
        blocks.append(f"<h2>{_html.escape(content.title)}</h2>")
        for solution in content.solutions:
            label = f"Exercise {solution.exercise}" if solution.exercise else "Solution"
            solution.body.name = "div"
            solution.body["class"] = ["lcnec-solution-body"]
            blocks.append(
                f'<div class="lcnec-solution" id="{solution.anchor}"><h3>{label}</h3>'
                f'<p class="lcnec-solution-back">The exercise is in chapter {_html.escape(solution.chapter)}, '
                f'<a class="lcnec-pageref" href="#{solution.back}">page '
                f'<span class="lcnec-pageno" data-target="{solution.back}">{PAGE_PLACEHOLDER}</span></a>.</p>'
                f"{solution.body}</div>"
            )
    if not blocks:
        return ""
    return f'<section class="lcnec-appendix" id="{anchor}"><div class="lcnec-part"></div><h1>Appendix A. Solutions to the exercises</h1>{"".join(blocks)}</section>'


def _chapter_html(content: PageContent) -> str:
    # The part's name heads each of its chapters. The line is there, empty, for a page of no
    # part too: a heading that opens a page after a forced break gets its title twice in
    # Chromium's PDF outline.
    part = _html.escape(content.page.part or "")
    return f'<section class="lcnec-chapter" id="{content.page.anchor}"><div class="lcnec-part">{part}</div>{content.article}</section>'


def _head(html_dir: Path, first: BookPage, title: str, with_math: bool) -> str:
    """The HTML book's stylesheets, the print stylesheet and, when a page has formulas, MathJax."""
    soup = _soup(html_dir / first.path)
    links = [
        f'<link rel="stylesheet" href="{_base(html_dir)}{_resolve(first.path, link["href"])[0]}">'
        for link in soup.select('head link[rel="stylesheet"]')
    ]
    style = (Path(__file__).with_name("print.css")).read_text(encoding="utf-8")
    math = ""
    if with_math:
        config = {"options": {"processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"}}
        math = f'<script>window.MathJax = {json.dumps(config)}</script><script defer src="{_base(html_dir)}mathjax/tex-mml-chtml.js"></script>'
    return (
        f'<head><meta charset="utf-8"><title>{_html.escape(title)}</title>{"".join(links)}'
        f"<style>{style}</style>{math}</head>"
    )


def book_document(html_dir: Path, pages: list[BookPage], facts: PrintFacts, machine=()) -> str:
    """The whole book as one HTML document: title page, contents, the pages, Appendix A."""
    in_document = {p.path: p for p in pages}
    loaded = [load_page(html_dir, page, in_document, None, machine) for page in pages]
    parameters = next((c.parameters for c in loaded if c.parameters is not None), None)
    title = title_page(facts, parameters)
    for content in loaded:
        if content.parameters is not None:
            content.parameters.decompose()  # shown once, on the title page
    has_solutions = any(c.solutions for c in loaded)
    appendix_anchor = "lcnec-appendix-solutions" if has_solutions else None
    body = [title, contents(loaded, appendix_anchor)]
    body += [_chapter_html(content) for content in loaded]
    if appendix_anchor:
        body.append(appendix(loaded, appendix_anchor))
    with_math = any(c.article.select_one(".math") for c in loaded)
    return _document(_head(html_dir, pages[0], facts.title, with_math), "".join(body))


def chapter_document(html_dir: Path, page: BookPage, facts: PrintFacts, machine=()) -> str:
    """One page of the book as its own document (links to other pages go to the site),
    its solutions in an appendix at the end."""
    content = load_page(html_dir, page, {page.path: page}, "../", machine)
    source = (
        f'<div class="lcnec-print-source">{_html.escape(facts.title)} · '
        f"{'synthetic data' if facts.synthetic else _html.escape(facts.data_file)}</div>"
    )
    body = source + _chapter_html(content)
    if content.solutions:
        body += appendix([content], f"{page.anchor}--appendix")
    with_math = content.article.select_one(".math") is not None
    return _document(_head(html_dir, page, content.title, with_math), body)


def _document(head: str, body: str) -> str:
    return f'<!DOCTYPE html><html lang="en" data-theme="light" data-mode="light">{head}<body id="lcnec-print">{body}</body></html>'


def page_targets(document: str) -> list[str]:
    """The anchors whose pages the document prints (contents entries, solution references)."""
    return re.findall(r'class="lcnec-pageno" data-target="([^"]+)"', document)


def fill_page_numbers(document: str, pages: dict[str, int]) -> str:
    """The document with each page-number placeholder replaced by its target's page."""

    def number(match: re.Match) -> str:
        target = match.group(1)
        return f'class="lcnec-pageno" data-target="{target}">{pages.get(target, "?")}<'

    return re.sub(rf'class="lcnec-pageno" data-target="([^"]+)">{PAGE_PLACEHOLDER}<', number, document)
