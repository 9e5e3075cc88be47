"""Shared fixtures: each whole-book build is made once per test session.

A test that asks for one of these builds (directly or through another fixture)
is a ``book`` test whether or not it is marked, so ``make test-fast`` never
builds a book by accident.
"""

import pandas as pd
import pytest

from lcnec_utils.cli import main
from lcnec_utils.contract.params import DEFAULT_COHORT

BOOK_FIXTURES = {"default_build", "minimal_build"}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(items):
    for item in items:
        if BOOK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.book)


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
