"""The whole book builds, on the shipped cohort and on a cohort with only the
required columns; results.json holds the spec's keys; the pages hold their
tables and figures and no error output."""

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from spec_keys import spec_keys

from lcnec_utils.build.chapters import chapter_notebooks

pytestmark = pytest.mark.book

CHAPTER_STEMS = [p.stem for p in chapter_notebooks()]


def _results(out):
    return json.loads((out / "results.json").read_text())


def test_results_json_holds_every_spec_key(default_build):
    results = _results(default_build)
    missing = [k for k in spec_keys() if k not in results]
    assert not missing, missing
    baseline_p = [k for k in results if k.startswith("baseline.") and k.endswith(".p")]
    assert len(baseline_p) >= 15


def test_results_json_counts_match_the_paper(default_build):
    r = _results(default_build)
    assert (r["n.total"], r["n.reference"], r["n.treatment"]) == (31, 17, 14)
    assert r["response.orr.treatment"] == pytest.approx(7 / 14)
    assert r["response.orr.reference"] == pytest.approx(5 / 17)
    assert r["response.dcr.treatment"] == pytest.approx(12 / 14)
    assert r["response.dcr.reference"] == pytest.approx(13 / 17)
    assert r["safety.irae_any.treatment"] == pytest.approx(4 / 14)


def test_every_chapter_page_renders_with_tables_and_figures(default_build):
    html = default_build / "html"
    assert (html / "index.html").is_file()
    for stem in CHAPTER_STEMS:
        page = (html / "notebooks" / f"{stem}.html").read_text()
        assert "<table" in page, stem
        assert "Parameters in force" in page, stem
        assert "SHA-256" in page, stem
    for stem in ("01_cohort", "03_response", "04_survival", "05_multivariate"):
        page = (html / "notebooks" / f"{stem}.html").read_text()
        assert re.search(r"<img [^>]*src=\"[^\"]+\.png\"", page), f"{stem} has no figure"


def test_pages_show_no_error_output(default_build):
    for page in (default_build / "html").rglob("*.html"):
        text = page.read_text()
        assert "Traceback (most recent call last)" not in text, page.name
        assert "output stderr" not in text, page.name  # warnings printed by a cell
        assert "ipythontb" not in text, page.name  # myst-nb's error-output block


def test_the_workers_log_of_the_default_build_has_no_warning(default_build):
    """The chapters' worker processes write nothing to their log on the shipped cohort: no papermill
    "Passed unknown parameter" (every parameters cell declares every parameter) and no pandas
    FutureWarning from the warm engine's option snapshot (session 15 found 40 and 12 of them)."""
    log = default_build / "logs" / "workers.kernel.log"
    text = log.read_text(encoding="utf-8") if log.is_file() else ""
    assert "Passed unknown parameter" not in text
    assert "Warning" not in text, text[:2000]


def test_injected_parameters_cell_is_hidden(default_build):
    page = (default_build / "html" / "notebooks" / "04_survival.html").read_text()
    assert "results_dir" not in page
    assert "injected" not in page.lower()


def test_executed_notebooks_are_written(default_build):
    for stem in CHAPTER_STEMS:
        assert (default_build / "notebooks" / f"{stem}.ipynb").is_file()


def test_required_columns_only_cohort_builds_and_says_what_is_missing(minimal_build):
    r = _results(minimal_build)
    missing = [k for k in spec_keys() if k not in r]
    assert not missing, missing
    assert r["n.total"] == 31
    assert r["os.median.reference"] is not None
    assert r["pfs.median.treatment"] is None
    assert r["response.orr.treatment"] is None
    assert r["os.cox_univariable.hr"] is not None
    page = (minimal_build / "html" / "notebooks" / "04_survival.html").read_text()
    assert 'no <code class="docutils literal notranslate"><span class="pre">pfs_months</span></code>' in page
    response = (minimal_build / "html" / "notebooks" / "03_response.html").read_text()
    sentence = "The cohort file has no best_response column, so this chapter has no response rates"
    assert response.count(sentence) == 1
    assert "not available" not in response and "Response at the first evaluation" not in response
