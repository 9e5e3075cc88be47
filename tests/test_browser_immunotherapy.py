"""Chapters 15 to 19 in a real browser: the general checks of ``test_browser.py`` (console
errors, other hosts, figures, links) already run on every page of the table of contents; here
each new page's exercise solutions open and show their glued numbers, and its figures load."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import test_browser as browser_suite

# the suite's module-scoped fixtures, registered in this module under their names
browser = browser_suite.browser
server = browser_suite.server

pytestmark = [pytest.mark.browser, pytest.mark.book]

PAGES = (
    "15_immortal_time_landmark",
    "16_weighted_logrank",
    "17_cure_models",
    "18_competing_risks",
    "19_bayesian_reading",
)


@pytest.mark.parametrize("stem", PAGES)
def test_solutions_open_and_show_numbers_and_figures_load(browser, server, stem):
    visit = browser_suite.Visit(browser, server, browser_suite.DESKTOP)
    try:
        page = visit.open(server + f"notebooks/{stem}.html")
        dropdowns = page.query_selector_all("main div.dropdown.admonition")
        assert len(dropdowns) >= 2
        for box in dropdowns:
            body = box.query_selector("p:not(.admonition-title)")
            assert not body.is_visible()  # closed until asked
            box.query_selector(".admonition-title").click()
            page.wait_for_timeout(200)
            assert body.is_visible()
            assert re.search(r"\d", box.inner_text()), "a solution without a number"
        images = page.query_selector_all("main img")
        assert images
        for img in images:
            assert img.evaluate("i => i.complete && i.naturalWidth > 0"), img.get_attribute("src")
        assert visit.console_errors == [] and visit.outside == []
    finally:
        visit.close()
