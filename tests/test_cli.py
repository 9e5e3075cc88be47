"""The command line: parameters read as YAML, plain messages, distinct exit codes."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from lcnec_utils.cli import EXIT_BAD_DATA, EXIT_BAD_PARAMETER, main, parse_parameter_pairs
from lcnec_utils.params import DEFAULT_AE, DEFAULT_COHORT, PAPER_COVARIATES, ParameterError, make_parameters


def test_parameter_values_are_read_as_yaml():
    values = parse_parameter_pairs([["landmark_months", "24"], ["alpha", "0.1"],
                                    ["covariates", "[age, ecog]"], ["reference_group", "Chemo"]])
    assert values == {"landmark_months": 24, "alpha": 0.1, "covariates": ["age", "ecog"],
                      "reference_group": "Chemo"}


def test_defaults_are_the_papers_analysis():
    p = make_parameters()
    assert (p.reference_group, p.treatment_group, p.landmark_months, p.alpha) == ("Chemo", "ICIs + Chemo", 12.0, 0.05)
    assert p.covariates == PAPER_COVARIATES and len(p.covariates) == 11
    assert p.landmark_key == "rate_12m"


def test_unknown_parameter_is_refused_with_a_suggestion():
    with pytest.raises(ParameterError, match="did you mean 'landmark_months'"):
        make_parameters({"landmark_month": 12})


def test_parameter_of_the_wrong_type_is_refused():
    with pytest.raises(ParameterError, match="'covariates' must be list"):
        make_parameters({"covariates": "age"})


def test_validate_accepts_the_shipped_cohort(capsys):
    assert main(["validate", str(DEFAULT_COHORT), "--ae", str(DEFAULT_AE)]) == 0
    out = capsys.readouterr().out
    assert "31 patients" in out and "Chemo: 17" in out and "ICIs + Chemo: 14" in out


def test_missing_required_column_names_the_nearest_one(tmp_path, capsys):
    frame = pd.read_csv(DEFAULT_COHORT).rename(columns={"os_months": "os_month"})
    path = tmp_path / "cohort.csv"
    frame.to_csv(path, index=False)
    assert main(["validate", str(path)]) == EXIT_BAD_DATA
    err = capsys.readouterr().err
    assert "column 'os_months': required column is missing; did you mean 'os_month'?" in err


def test_bad_rows_are_named_by_row_number_never_by_patient_id(tmp_path, capsys):
    frame = pd.read_csv(DEFAULT_COHORT, dtype=str)
    frame.loc[[2, 5], "os_event"] = "yes"
    path = tmp_path / "cohort.csv"
    frame.to_csv(path, index=False)
    assert main(["validate", str(path)]) == EXIT_BAD_DATA
    err = capsys.readouterr().err
    assert "column 'os_event', rows 3, 6: expected 0 or 1; found 'yes'" in err
    for pid in frame["patient_id"]:
        assert pid not in err


def test_build_with_an_unknown_parameter_exits_4_without_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "lcnec_utils.cli", "build", "-p", "landmark", "12", "--out", str(tmp_path / "b")],
        capture_output=True, text=True,
    )
    assert proc.returncode == EXIT_BAD_PARAMETER
    assert "unknown parameter 'landmark'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "b").exists()
