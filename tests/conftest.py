"""Shared fixtures: each whole-book build, and the default seed's reconstruction, is made once
per test session.

A test that asks for one of these builds (directly or through another fixture)
is a ``book`` test whether or not it is marked, so ``make test-fast`` never
builds a book by accident.

The tests run with one BLAS thread (as the build's workers do): their matrices
are small, and on a busy 2-core machine OpenBLAS's waiting threads turned 5 s
of work into 70 s of CPU. Set before numpy is first imported.
"""

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from lcnec_utils.cli import main  # noqa: E402
from lcnec_utils.contract.params import DEFAULT_COHORT  # noqa: E402

BOOK_FIXTURES = {"default_build", "minimal_build"}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(items):
    for item in items:
        if BOOK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.book)


@pytest.fixture(scope="session")
def default_reconstruction():
    """``reconstruct(DEFAULT_SEED)`` (about a minute on 2 cores): the committed files are what it
    writes, and the witnesses' schedules start from its state before the search's last step."""
    from lcnec_utils import reconstruct

    return reconstruct.reconstruct(reconstruct.DEFAULT_SEED)


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
