"""The intake's parts one by one: the decimal mark decided from evidence, months from dates, the mapping
file's schema, the date-based export of the shipped cohort, the starting mapping, and the record of
the reading (no patient id in it). The whole path, file to message, is the bad-input catalogue's
(``tests/intake_catalogue.py``)."""

import datetime as dt
import re

import pandas as pd
import pytest
import yaml

from lcnec_utils.chapter.intake import cohort_in_force, intake_columns, intake_files, intake_steps
from lcnec_utils.contract.dates import DAYS_PER_MONTH, derive_times, months_text
from lcnec_utils.contract.export import (
    ACCRUAL_START,
    CUTOFF,
    assign_start_dates,
    hospital_table,
    write_dates_export,
)
from lcnec_utils.contract.io import load_cohort, load_study
from lcnec_utils.contract.mapping import load_mapping, parse_mapping
from lcnec_utils.contract.numbers import decide_locale, decimal_evidence
from lcnec_utils.contract.params import DATA_DIR, DEFAULT_AE, DEFAULT_COHORT, PROJECT_ROOT, make_parameters
from lcnec_utils.contract.problems import DataValidationError
from lcnec_utils.contract.starter import starting_mapping

STEM = "lcnec_synthetic_cohort_dates"
MAP = DATA_DIR / f"{STEM}.map.yaml"


@pytest.mark.parametrize(
    "text, mark",
    [
        ("36.5", "."),
        ("12,25", ","),
        ("0.125", "."),  # a lone zero before the mark: not a thousands group
        ("2.830,71", ","),  # both marks: the last is the decimal mark
        ("1.234.567", ","),  # a repeated mark is the thousands separator
        ("3.010", None),  # three digits after one mark: either
        ("3,010", None),
        ("437", None),
        ("-1.5", "."),
        ("twelve", None),
    ],
)
def test_a_number_proves_its_decimal_mark_only_when_it_cannot_be_a_thousands_separator(text, mark):
    assert decimal_evidence(text) == mark


def test_a_column_without_evidence_takes_the_mark_the_files_other_columns_prove():
    decision = decide_locale({"os_months": pd.Series(["36,5", "11,9"]), "ldh": pd.Series(["437", "3.010"])})
    assert decision.marks() == {"os_months": ",", "ldh": ","}
    assert decision.locales["ldh"].parse("3.010") == "3010"
    assert not decision.ambiguous


def test_an_undecided_mark_is_ambiguous_not_guessed():
    decision = decide_locale({"ldh": pd.Series(["437", "3.010", None])})
    assert list(decision.ambiguous["ldh"]) == [1]


def test_a_month_is_the_mean_gregorian_month():
    assert DAYS_PER_MONTH == 365.25 / 12
    assert list(months_text(pd.Series([365.25, 30.0, 0.0]), 1)) == ["12.0", "1.0", "0.0"]


def _dates(**columns) -> pd.DataFrame:
    return pd.DataFrame(
        {k: [dt.date.fromisoformat(v) if v else None for v in vs] for k, vs in columns.items()}
    )


def test_os_and_pfs_are_derived_from_dates():
    rules = load_mapping(MAP).cohort.dates
    frame = _dates(
        TreatmentStart=["2020-01-01", "2020-01-01"],
        ProgressionDate=["2020-07-01", None],
        LastTumourAssessment=[None, "2020-12-01"],
        DeathDate=["2021-01-01", None],
        LastContact=["2021-01-01", "2024-12-31"],
    )
    derived = derive_times(frame, rules, "f.xlsx")
    assert derived.problems == []
    assert list(derived.columns["os_months"]) == [
        "12.0",
        f"{(dt.date(2024, 12, 31) - dt.date(2020, 1, 1)).days / 30.4375:.1f}",
    ]
    assert list(derived.columns["os_event"]) == ["1", "0"]
    assert list(derived.columns["pfs_months"]) == [f"{182 / 30.4375:.1f}", f"{335 / 30.4375:.1f}"]
    assert list(derived.columns["pfs_event"]) == ["1", "0"]
    assert derived.period == "January 2020"


def test_a_death_is_a_progression_event_when_no_progression_came_first():
    rules = load_mapping(MAP).cohort.dates
    frame = _dates(
        TreatmentStart=["2020-01-01"],
        ProgressionDate=[None],
        LastTumourAssessment=[None],
        DeathDate=["2020-03-01"],
        LastContact=["2020-03-01"],
    )
    derived = derive_times(frame, rules, "f.xlsx")
    assert list(derived.columns["pfs_event"]) == ["1"]
    assert list(derived.columns["pfs_months"]) == list(derived.columns["os_months"])


def test_the_export_is_the_shipped_cohort_in_dates():
    cohort = pd.read_csv(DEFAULT_COHORT)
    starts = assign_start_dates(cohort)
    assert starts.min() >= ACCRUAL_START
    table = hospital_table(cohort)
    alive = cohort["os_event"] == 0
    assert (table.loc[alive, "LastContact"] == CUTOFF).all()  # censored at the cut-off
    assert (table.loc[~alive, "DeathDate"] <= CUTOFF).all()
    mapping = load_mapping(MAP)
    for kind in ("sav", "xlsx"):
        got = load_cohort(DATA_DIR / f"{STEM}.{kind}", mapping=mapping).frame
        pd.testing.assert_frame_equal(got, load_cohort(DEFAULT_COHORT).frame, obj=kind)


def test_the_export_takes_the_cohorts_own_start_dates():
    cohort = pd.read_csv(DEFAULT_COHORT).assign(start_date="2020-02-03")
    assert set(assign_start_dates(cohort)) == {dt.date(2020, 2, 3)}


def test_the_export_refuses_months_its_whole_days_cannot_give_back():
    cohort = pd.read_csv(DEFAULT_COHORT)
    cohort.loc[3, "os_months"] = 12.149  # 370 days, read back as 12.2
    with pytest.raises(ValueError, match="rows 4: whole days read back as months"):
        hospital_table(cohort)


def test_the_shipped_export_is_what_the_generator_writes(tmp_path):
    for path in write_dates_export(out_dir=tmp_path):
        assert path.read_bytes() == (DATA_DIR / path.name).read_bytes(), path.name


def test_the_readme_mapping_example_follows_the_schema():
    readme = (PROJECT_ROOT / "README.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", readme, re.S).group(1)
    mapping = parse_mapping(yaml.safe_load(block), "README.md")
    assert mapping.cohort.columns["VitalStatus"] == "os_event"
    assert mapping.cohort.values["os_event"] == {"1": "0", "2": "1"}
    assert mapping.cohort.dates.cutoff == dt.date(2024, 12, 31) and mapping.cohort.dates.decimals == 1


@pytest.mark.parametrize(
    "document, message",
    [
        ({"dates": {"start": "S", "death": "D", "last_contact": "L"}}, "key 'dates.cutoff': required"),
        ({"dates": {"start": "S", "death": "D", "last_contact": "L", "cutoff": "31.12.2024"}}, "YYYY-MM-DD"),
        ({"decimal": ";"}, "key 'decimal': expected one of '.', ','"),
        (
            {"columns": {"A": "agee"}},
            "key 'columns.A': 'agee' is not a column of the contract (did you mean 'age'?)",
        ),
        (
            {
                "columns": {"A": "os_months"},
                "dates": {"start": "S", "death": "D", "last_contact": "L", "cutoff": "2024-12-31"},
            },
            "'os_months' is derived from the dates",
        ),
        (
            {"adverse_events": {"dates": {}}},
            "key 'adverse_events.dates': dates are derived for the cohort table only",
        ),
    ],
)
def test_a_wrong_mapping_key_is_named(document, message):
    with pytest.raises(DataValidationError) as err:
        parse_mapping(document, "map.yaml")
    assert message in str(err.value)


def test_the_starting_mapping_names_the_closest_contract_column_and_parses(tmp_path):
    text = starting_mapping(DATA_DIR / f"{STEM}.sav")
    assert "PatientID: patient_id  # same but for case, spaces or punctuation" in text
    assert "AgeAtStart: age  # resembles" in text
    assert "VitalStatus: os_event  # a usual name for it" in text
    assert "# TreatmentStart: ~  # no contract column is close" in text
    assert '    "1": Male' in text and "# dates:" in text
    assert "SYN-" not in text  # headers and labels only, never a cell
    with pytest.raises(DataValidationError) as err:  # the labels alive/dead wait to be replaced by 0/1
        parse_mapping(yaml.safe_load(text), "started.yaml")
    assert {p.message.split(":")[0] for p in err.value.problems} == {
        "key 'values.os_event.1'",
        "key 'values.os_event.2'",
    }


def test_the_record_of_the_reading_names_no_patient_and_no_ignored_value(tmp_path):
    cohort = pd.read_csv(DEFAULT_COHORT, dtype=str, keep_default_na=False)
    cohort["Name"] = "Jane Roe"
    cohort.loc[0, "sex"] = "male"
    path = tmp_path / "mine.csv"
    cohort.rename(columns={"age": "Age"}).to_csv(path, index=False)
    study = load_study(path, DEFAULT_AE, "Chemo", "ICIs + Chemo")
    text = "\n".join(study.intake.lines()) + "".join(
        t.to_csv()
        for t in (intake_files(study.intake), intake_columns(study.intake), intake_steps(study.intake))
    )
    assert "Name" in text and "Age -> age" in text and "'male' as 'Male'" in text
    assert "Jane Roe" not in text and "SYN-" not in text and str(tmp_path) not in text
    params = make_parameters({"data_path": str(path), "ae_path": str(DEFAULT_AE)})
    assert cohort_in_force(params, study) == (
        "the cohort of mine.csv: 31 patients, 14 in the ICIs + Chemo arm and 17 in the Chemo arm"
    )
