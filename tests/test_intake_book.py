"""The shipped cohort's date-based export (SPSS .sav and Excel .xlsx, with its mapping file) builds the
same book as the CSV: the same results.json, and a cohort chapter that says how the file was read."""

import html
import json
import re

import pytest

from lcnec_utils.cli import main
from lcnec_utils.contract.params import DATA_DIR, DEFAULT_AE, DEFAULT_COHORT

MAP = DATA_DIR / "lcnec_synthetic_cohort_dates.map.yaml"


def page_text(path) -> str:
    """A rendered page's text: tags removed (a glued value is a span of its own), spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", path.read_text())).split()).replace(" .", ".")


@pytest.mark.book
@pytest.mark.parametrize("kind", ["sav", "xlsx"])
def test_the_date_based_export_builds_the_same_results(kind, default_build, tmp_path):
    data = DATA_DIR / f"lcnec_synthetic_cohort_dates.{kind}"
    out = tmp_path / "build"
    args = ["build", "--data", str(data), "--map", str(MAP), "--ae", str(DEFAULT_AE), "--out", str(out)]
    assert main(args) == 0
    got = json.loads((out / "results.json").read_text())
    assert got == json.loads((default_build / "results.json").read_text())
    page = (out / "html" / "notebooks" / "01_cohort.html").read_text()
    assert "How the data were read" in page and MAP.name in page and "derived from dates" in page
    assert not any(pid in page for pid in DEFAULT_COHORT.read_text().split() if pid.startswith("SYN-"))


def test_the_landing_page_describes_the_cohort_in_force(default_build, minimal_build):
    shipped = page_text(default_build / "html" / "notebooks" / "00_overview.html")
    assert "the shipped synthetic cohort (lcnec_synthetic_cohort.csv)" in shipped
    assert "31 patients, 14 in the ICIs + Chemo arm and 17 in the Chemo arm" in shipped
    users = page_text(minimal_build / "html" / "notebooks" / "00_overview.html")
    assert "This build analyses the cohort of required_only.csv: 31 patients" in users
    assert "In the published study" in users  # the paper's numbers stay, labelled as the paper's
