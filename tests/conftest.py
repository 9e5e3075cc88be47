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
