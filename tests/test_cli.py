"""The command line: parameters read as YAML, plain messages, distinct exit codes."""

import subprocess
import sys

import pandas as pd
import pytest

from lcnec_utils.cli import (
    EXIT_BAD_DATA,
    EXIT_BAD_PARAMETER,
    EXIT_USAGE,
    build_parser,
    data_overrides,
    main,
    parse_parameter_pairs,
)
from lcnec_utils.contract.params import (
    DATA_DIR,
    DEFAULT_AE,
    DEFAULT_COHORT,
    PAPER_COVARIATES,
    ParameterError,
    make_parameters,
)


def test_parameter_values_are_read_as_yaml():
    values = parse_parameter_pairs(
        [
            ["landmark_months", "24"],
            ["alpha", "0.1"],
            ["covariates", "[age, ecog]"],
            ["reference_group", "Chemo"],
        ]
    )
    assert values == {
        "landmark_months": 24,
        "alpha": 0.1,
        "covariates": ["age", "ecog"],
        "reference_group": "Chemo",
    }


def test_defaults_are_the_papers_analysis():
    p = make_parameters()
    assert (p.reference_group, p.treatment_group, p.landmark_months, p.alpha) == (
        "Chemo",
        "ICIs + Chemo",
        12.0,
        0.05,
    )
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
    frame.loc[[2, 5], "os_event"] = "2"
    path = tmp_path / "cohort.csv"
    frame.to_csv(path, index=False)
    assert main(["validate", str(path)]) == EXIT_BAD_DATA
    err = capsys.readouterr().err
    assert "column 'os_event', rows 3, 6: expected 0 or 1; found '2'" in err
    for pid in frame["patient_id"]:
        assert pid not in err


def test_build_with_an_unknown_parameter_exits_4_without_traceback(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lcnec_utils.cli",
            "build",
            "-p",
            "landmark",
            "12",
            "--out",
            str(tmp_path / "b"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == EXIT_BAD_PARAMETER
    assert "unknown parameter 'landmark'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "b").exists()


def test_synth_scan_writes_one_row_per_seed(tmp_path, monkeypatch, capsys):
    """``lcnec synth --scan N``: N seeds from --seed, one row each (the reconstruction itself is
    replaced by a stand-in here: the shipped scan file's rows are checked against the committed
    cohort in test_reconstruction_report)."""
    from lcnec_utils import reconstruct
    from lcnec_utils.reconstruct import ensembles
    from lcnec_utils.reconstruct.report import SCAN_FILE

    def fake_row(seed, published=None):
        return {
            "seed": seed,
            "met": 161 - seed % 2,
            "impossible": 6,
            "missed": seed % 2,
            "missed_targets": "os.cox_multivariable.ci_high" if seed % 2 else "",
            "os.cox_multivariable.ci_high": 1.1,
            "pfs.cox_multivariable.p": 0.045,
            "chosen_chain": 0,
            "chain_violations": "0.0000 0.0010",
        }

    monkeypatch.setattr(ensembles, "scan_row", fake_row)
    assert main(["synth", "--scan", "3", "--seed", "41", "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / SCAN_FILE)
    assert table["seed"].tolist() == [41, 42, 43] and list(table.columns) == reconstruct.SCAN_COLUMNS
    out = capsys.readouterr().out
    assert "3 seeds from 41" in out and "1 meet every reachable target, the first is 42" in out


def test_text_parameters_are_read_as_written():
    values = parse_parameter_pairs(
        [["reference_group", "0"], ["treatment_group", "'1'"], ["ae_path", "null"], ["alpha", "0.1"]]
    )
    assert values == {"reference_group": "0", "treatment_group": "1", "ae_path": None, "alpha": 0.1}
    assert make_parameters({"reference_group": 0, "treatment_group": 1}).reference_group == "0"


def test_validate_and_build_take_the_same_data_options():
    options = [
        "--map",
        "m.yaml",
        "--sheet",
        "Patients",
        "--reference-group",
        "0",
        "-p",
        "treatment_group",
        "1",
    ]
    parser = build_parser()
    validate = parser.parse_args(["validate", "x.sav", *options])
    build = parser.parse_args(["build", "--data", "x.sav", *options])
    assert data_overrides(validate) == data_overrides(build)
    assert data_overrides(build)["reference_group"] == "0" and data_overrides(build)["sheet"] == "Patients"


def test_map_init_writes_a_starting_mapping_and_keeps_an_existing_one(tmp_path, capsys):
    out = tmp_path / "start.yaml"
    data = str(DATA_DIR / "lcnec_synthetic_cohort_dates.sav")
    assert main(["map", "--init", data, "--out", str(out)]) == 0
    assert "PatientID: patient_id" in out.read_text()
    out.write_text("mine")
    assert main(["map", "--init", data, "--out", str(out)]) == EXIT_USAGE
    assert "exists" in capsys.readouterr().err and out.read_text() == "mine"
    assert main(["map", "--init", data, "--out", str(out), "--force"]) == 0


def test_synth_export_dates_writes_the_export_and_its_mapping(tmp_path, capsys):
    assert main(["synth", "--export-dates", "--out", str(tmp_path)]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    stem = "lcnec_synthetic_cohort_dates"
    assert names == {f"{stem}.sav", f"{stem}.xlsx", f"{stem}.map.yaml"}
