"""Shared fixtures: each whole-book build is made once per test session."""

import pandas as pd
import pytest

from lcnec_utils.cli import main
from lcnec_utils.contract.params import DEFAULT_COHORT


@pytest.fixture(scope="session")
def default_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("book") / "build"
    status = main(["build", "--out", str(out)])
    assert status == 0
    return out


@pytest.fixture(scope="session")
def minimal_build(tmp_path_factory):
    folder = tmp_path_factory.mktemp("minimal")
    cohort = pd.read_csv(DEFAULT_COHORT)[["patient_id", "group", "os_months", "os_event"]]
    path = folder / "required_only.csv"
    cohort.to_csv(path, index=False)
    out = folder / "build"
    status = main(["build", "--data", str(path), "--out", str(out)])
    assert status == 0
    return out


@pytest.fixture(scope="session")
def default_pdf_build(default_build):
    """The shipped cohort's book with its print edition (``lcnec build --pdf`` on the
    up-to-date book adds the PDFs and the download links to the same folder)."""
    assert main(["build", "--pdf", "--out", str(default_build)]) == 0
    return default_build


@pytest.fixture(scope="session")
def minimal_pdf_build(minimal_build):
    """The required-columns-only cohort's book with its print edition."""
    cohort = minimal_build.parent / "required_only.csv"
    assert main(["build", "--pdf", "--data", str(cohort), "--out", str(minimal_build)]) == 0
    return minimal_build
