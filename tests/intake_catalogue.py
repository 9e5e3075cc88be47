"""The bad-input catalogue's cases of real hospital exports: number locales, near-miss headers, lenient
coercions, the binary formats, mapping files, dates and the parameters' types.

Each case of the issue "Real cohorts as they come" is here: the shipped cohort re-saved the way a
hospital or a statistician saves it, either accepted with the right values (``values``) or refused
with a message naming file, column, rows and the fix. ``tests/test_bad_inputs.py`` runs them with
the rest of the catalogue.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from bad_input_helpers import (
    AE,
    COHORT,
    REFERENCE,
    SHIPPED,
    TREATMENT,
    Case,
    N,
    cohort,
    expected_cells,
    ignored,
    mut,
    put,
)

from lcnec_utils.cli import EXIT_BAD_DATA, EXIT_BAD_PARAMETER, EXIT_OK
from lcnec_utils.contract.export import hospital_table
from lcnec_utils.contract.params import DATA_DIR, DEFAULT_AE, DEFAULT_COHORT

DATES_MAP = DATA_DIR / "lcnec_synthetic_cohort_dates.map.yaml"
NUMBER_COLUMNS = ("os_months", "pfs_months", "age", "ldh", "sodium", "cea", "progrp", "nse")


def _first_row(mask: pd.Series, what: str) -> int:
    """The first row (from 1) of the shipped cohort where ``mask`` holds; the case needs one."""
    assert mask.any(), f"the shipped cohort has no {what}; the catalogue's cases need one"
    return int(mask.to_numpy().argmax()) + 1


#: The first row of the shipped cohort whose LDH has four digits: a German export writes it with a dot
#: between thousands. The cases that write their own 3.010 or 3,010 into an LDH cell write it there.
LDH_ROW = _first_row(SHIPPED["cohort"]["ldh"] >= 1000, "LDH of 1000 or more")
#: A patient who died, and one who progressed before dying (the date-based export has both dates).
DIED_ROW = _first_row(SHIPPED["cohort"]["os_event"] == 1, "death")
PROGRESSED_THEN_DIED_ROW = _first_row(
    (SHIPPED["cohort"]["os_event"] == 1)
    & (SHIPPED["cohort"]["pfs_event"] == 1)
    & (SHIPPED["cohort"]["pfs_months"] < SHIPPED["cohort"]["os_months"]),
    "progression before a death",
)


def german(text: str) -> str:
    """A number as a German export writes it: decimal comma, a dot between thousands (3.010; 2.830,71)."""
    if not text:
        return text
    whole, _, fraction = text.partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return grouped + ("," + fraction if fraction else "")


def _german_cohort() -> pd.DataFrame:
    frame = cohort()
    for name in NUMBER_COLUMNS:
        frame[name] = frame[name].map(german)
    return frame


def _minimal_cohort(ldh: str) -> pd.DataFrame:
    """The required columns (times in whole months) and LDH: no number of the file has a decimal mark."""
    frame = cohort()[["patient_id", "group", "os_months", "os_event", "ldh"]].copy()
    frame["os_months"] = frame["os_months"].astype(float).round().astype(int).astype(str)
    frame.loc[LDH_ROW - 1, "ldh"] = ldh
    return frame


def run_with(
    content, name: str = "cohort.csv", mapping: str | Path | None = None, ae=None, extra=(), **kw
) -> Callable[[Path], list[str]]:
    """``lcnec validate <file>`` with the arms named; ``mapping`` a mapping file's text or path, ``ae``
    an adverse-event table (a frame, written as ``ae.csv``) or None for none."""

    def make(tmp: Path) -> list[str]:
        path = put(tmp / name, content, **kw)
        args = ["validate", str(path)]
        if ae is not None:
            args += ["--ae", str(put(tmp / "ae.csv", ae))]
        if isinstance(mapping, Path):
            args += ["--map", str(mapping)]
        elif mapping is not None:
            args += ["--map", str(put(tmp / "map.yaml", mapping))]
        return [*args, "--reference-group", REFERENCE, "--treatment-group", TREATMENT, *extra]

    return make


def typed_cohort() -> pd.DataFrame:
    """The shipped cohort with numbers as numbers (what a statistics program holds)."""
    return pd.read_csv(DEFAULT_COHORT)


def _xlsx(frame: pd.DataFrame, empty_rows: int = 0) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append([None if pd.isna(v) else v for v in row])
        for i in range(empty_rows):  # formatted but empty rows, as Excel leaves them under a table
            sheet.cell(row=len(frame) + 2 + i, column=1).number_format = "0.0"
            sheet.cell(row=len(frame) + 2 + i, column=2).value = " "
        book.save(path)

    return write


def _sav(frame: pd.DataFrame, labels: dict | None = None) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        import pyreadstat

        pyreadstat.write_sav(frame, str(path), variable_value_labels=labels or {})

    return write


def _spss_coded() -> pd.DataFrame:
    frame = typed_cohort()
    frame["sex"] = frame["sex"].map({"Male": 1.0, "Female": 2.0})
    return frame


def _hospital(change: Callable[[pd.DataFrame], None] | None = None) -> pd.DataFrame:
    """The date-based export of the shipped cohort as a table (dates as dates), changed by ``change``."""
    table = hospital_table(typed_cohort())
    if change is not None:
        change(table)
    return table


def _days(n: int) -> _dt.timedelta:
    return _dt.timedelta(days=n)


def _death_before_start(t: pd.DataFrame) -> None:
    i = DIED_ROW - 1
    t.loc[i, "DeathDate"] = t.loc[i, "TreatmentStart"] - _days(10)
    t.loc[i, "LastContact"] = t.loc[i, "DeathDate"]


def _progression_after_death(t: pd.DataFrame) -> None:
    i = PROGRESSED_THEN_DIED_ROW - 1
    t.loc[i, "ProgressionDate"] = t.loc[i, "DeathDate"] + _days(30)


def _death_after_cutoff(t: pd.DataFrame) -> None:
    t.loc[DIED_ROW - 1, "DeathDate"] = t.loc[DIED_ROW - 1, "LastContact"] = _dt.date(2025, 2, 1)


def _dotted_dates(t: pd.DataFrame) -> None:
    for name in ("TreatmentStart", "ProgressionDate", "LastTumourAssessment", "DeathDate", "LastContact"):
        t[name] = t[name].map(lambda d: d.strftime("%d.%m.%Y") if d is not None else None)


def _dates_of_early_days(t: pd.DataFrame) -> None:
    """Every date written DD/MM/YYYY with its day moved to the 1st-12th: day and month could swap."""
    for name in ("TreatmentStart", "ProgressionDate", "LastTumourAssessment", "DeathDate", "LastContact"):
        t[name] = t[name].map(
            lambda d: f"{min(d.day, 12):02d}/{d.month:02d}/{d.year}" if d is not None else None
        )


_CASE_HEADERS = cohort().rename(columns={"age": "Age", "ecog": "ECOG", "sex": "Sex"})
_REQUIRED_HEADERS = cohort().rename(
    columns={"patient_id": "Patient_ID", "group": "Group", "os_months": "OS Months"}
)
_WHOLE_AS_DECIMALS = mut(os_event=([0, 1], "1.0"), ecog=([0, 1], "1.0")).assign(
    pfs_event=lambda f: f["pfs_event"] + ".0"
)
_WORDS = mut(smoking=([0, 1, 2], "TRUE")).assign(
    met_bone=lambda f: f["met_bone"].map({"0": "no", "1": "Yes"}),
    thoracic_rt=lambda f: f["thoracic_rt"].map({"0": "FALSE", "1": "true"}),
)
_TRAILING_EMPTY = DEFAULT_COHORT.read_text() + ("," * (len(COHORT.columns) - 1) + "\n") * 3
_arm_sizes = COHORT["group"].value_counts()
_n_grouped = int((SHIPPED["cohort"]["ldh"] >= 1000).sum())
_LDH_GROUPED = f"{_n_grouped} row{'s' if _n_grouped != 1 else ''}"  # "1 row", "6 rows"
_TIMES = ("os_months", "os_event", "pfs_months", "pfs_event")
_ARMS_01 = {REFERENCE: "0", TREATMENT: "1"}
_GROUPS_01 = cohort().assign(group=lambda f: f["group"].map(_ARMS_01))
_SEX_CODES = cohort().assign(sex=lambda f: f["sex"].map({"Male": "1", "Female": "2"}))
_EVENTS_12 = cohort().assign(os_event=lambda f: f["os_event"].map({"0": "1", "1": "2"}))

INTAKE_CASES = [
    # ---- number locales: never a silent misreading
    Case(
        "decimal commas with a dot between thousands (German numbers)",
        run_with(_german_cohort(), sep=";"),
        EXIT_OK,
        [
            f"column 'ldh', {_LDH_GROUPED}: decimal comma read as a decimal point; "
            "thousands separator '.' removed",
            f"{N} patients",
        ],
        values={name: expected_cells(name) for name in NUMBER_COLUMNS},
    ),
    Case(
        "a US file with 3,010",
        run_with(mut(ldh=([LDH_ROW - 1], "3,010"))),
        EXIT_OK,
        ["column 'ldh', 1 row: thousands separator ',' removed", f"{N} patients"],
        values={"ldh": expected_cells("ldh", {LDH_ROW: 3010})},
    ),
    Case(
        "3.010 with no number that tells the decimal mark",
        run_with(_minimal_cohort("3.010")),
        EXIT_BAD_DATA,
        [
            f"cohort.csv, column 'ldh', row {LDH_ROW}: '3.010': the mark may be a decimal mark or a "
            "thousands separator",
            'state the decimal mark in a mapping file (--map) with `decimal: "."` or `decimal: ","`',
        ],
    ),
    Case(
        "3,010 with no number that tells the decimal mark",
        run_with(_minimal_cohort("3,010")),
        EXIT_BAD_DATA,
        [f"cohort.csv, column 'ldh', row {LDH_ROW}: '3,010': the mark may be a decimal mark"],
    ),
    Case(
        "3.010 with the decimal mark stated in the mapping",
        run_with(_minimal_cohort("3.010"), mapping='decimal: ","\n'),
        EXIT_OK,
        [f"{N} patients"],
        values={"ldh": expected_cells("ldh", {LDH_ROW: 3010})},
    ),
    # ---- near-miss headers: used when unambiguous, an error otherwise, never dropped with exit 0
    Case(
        "optional headers in another case (Age, ECOG, Sex)",
        run_with(_CASE_HEADERS),
        EXIT_OK,
        [
            "header 'Age' read as 'age'",
            "header 'ECOG' read as 'ecog'",
            "header 'Sex' read as 'sex'",
            f"  columns ignored: {ignored()}\n",  # the documented extra columns only
            f"columns outside the contract ignored: {ignored()}\n",
        ],
        values={name: expected_cells(name) for name in ("age", "ecog", "sex")},
    ),
    Case(
        "required headers in another case",
        run_with(_REQUIRED_HEADERS),
        EXIT_OK,
        [
            "header 'Patient_ID' read as 'patient_id'",
            "header 'OS Months' read as 'os_months'",
            f"{N} patients",
        ],
        values={name: expected_cells(name) for name in ("patient_id", "group", "os_months")},
    ),
    Case(
        "an optional header that only resembles the contract's (ECOG PS)",
        run_with(cohort().rename(columns={"ecog": "ECOG PS"})),
        EXIT_BAD_DATA,
        [
            "cohort.csv, column 'ECOG PS': this column resembles the contract's 'ecog', which the file lacks",
            "map it in a mapping file (--map, columns: {ECOG PS: ecog})",
        ],
    ),
    Case(
        "two headers that could each be the same column",
        run_with(cohort().assign(AGE=lambda f: f["age"])),
        EXIT_BAD_DATA,
        ["column 'age': the columns 'age', 'AGE' could each be 'age'"],
    ),
    Case(
        "a near-miss header mapped in the mapping file",
        run_with(cohort().rename(columns={"ecog": "ECOG PS"}), mapping="columns:\n  ECOG PS: ecog\n"),
        EXIT_OK,
        [f"{N} patients", "ECOG PS -> ecog"],
        values={"ecog": expected_cells("ecog")},
    ),
    # ---- lenient and safe coercion
    Case(
        "whole numbers written 1.0 in event and ECOG columns",
        run_with(_WHOLE_AS_DECIMALS),
        EXIT_OK,
        ["column 'os_event', 2 rows: '1.0' read as whole numbers", "column 'ecog', 2 rows"],
        values={
            "os_event": expected_cells("os_event", {1: 1, 2: 1}),
            "ecog": expected_cells("ecog", {1: 1, 2: 1}),
            "pfs_event": expected_cells("pfs_event"),
        },
    ),
    Case(
        "AE grades written 2.0",
        run_with(cohort(), ae=AE.assign(grade=AE["grade"] + ".0")),
        EXIT_OK,
        ["column 'grade', 4 rows: '1.0'/'2.0' read as whole numbers"],
        values={"adverse_events.grade": expected_cells("adverse_events.grade")},
    ),
    Case(
        "ECOG 1.5 stays an error",
        run_with(mut(ecog=([1], "1.5"))),
        EXIT_BAD_DATA,
        ["column 'ecog', row 2: expected a whole number from 0 to 4; found '1.5'"],
    ),
    Case(
        "R's NA for missing values",
        run_with(mut(ldh=([1, 4], "NA"), ici_class=([0], "NA"))),
        EXIT_OK,
        ["column 'ldh', 2 rows: 'NA' read as missing"],
        values={
            "ldh": expected_cells("ldh", {2: None, 5: None}),
            "ici_class": expected_cells("ici_class", {1: None}),
        },
    ),
    Case(
        "N/A and . for missing values",
        run_with(mut(cea=([1], "N/A"), nse=([2], "."))),
        EXIT_OK,
        ["column 'cea', 1 row: 'N/A' read as missing", "column 'nse', 1 row: '.' read as missing"],
        values={"cea": expected_cells("cea", {2: None}), "nse": expected_cells("nse", {3: None})},
    ),
    Case(
        "TRUE/FALSE and yes/no in 0/1 columns",
        run_with(_WORDS),
        EXIT_OK,
        ["column 'smoking', 3 rows: 'TRUE' read as 1/0", "column 'met_bone'", "column 'thoracic_rt'"],
        values={
            "smoking": expected_cells("smoking", {1: 1, 2: 1, 3: 1}),
            "met_bone": expected_cells("met_bone"),
            "thoracic_rt": expected_cells("thoracic_rt"),
        },
    ),
    Case(
        "female/male in another case",
        run_with(mut(sex=([0], "male"), age=([1], "76")).assign(sex=lambda f: f["sex"].str.upper())),
        EXIT_OK,
        [f"column 'sex', {N} rows: read 'FEMALE' as 'Female', 'MALE' as 'Male'"],
        values={"sex": expected_cells("sex", {1: "Male"}), "age": expected_cells("age", {2: 76})},
    ),
    Case(
        "trailing empty rows of a CSV saved from Excel",
        run_with(_TRAILING_EMPTY),
        EXIT_OK,
        ["whole rows, 3 rows: entirely empty rows ignored", f"{N} patients"],
        absent=["empty cells where a value is required"],
    ),
    # ---- formats: chosen by content
    Case(
        "Excel workbook (.xlsx)",
        run_with(_xlsx(typed_cohort()), name="cohort.xlsx"),
        EXIT_OK,
        ["Excel workbook (.xlsx)", f"{N} patients"],
        values={name: expected_cells(name) for name in ("ldh", "os_months", "ici_class")},
    ),
    Case(
        "Excel workbook with formatted empty rows under the table",
        run_with(_xlsx(typed_cohort(), empty_rows=4), name="cohort.xlsx"),
        EXIT_OK,
        ["entirely empty rows ignored", f"{N} patients"],
    ),
    Case(
        "Excel workbook saved as .csv",
        run_with(_xlsx(typed_cohort()), name="cohort.csv"),
        EXIT_OK,
        ["Excel workbook (.xlsx)", f"{N} patients"],
        values={"ldh": expected_cells("ldh")},
    ),
    Case(
        "Excel workbook, sheet chosen with --sheet",
        run_with(_xlsx(typed_cohort()), name="cohort.xlsx", extra=["--sheet", "Nothing"]),
        EXIT_BAD_DATA,
        ["the workbook has no sheet 'Nothing'; its sheets are 'Sheet'"],
    ),
    Case(
        "SPSS .sav with value labels",
        run_with(_sav(_spss_coded(), {"sex": {1.0: "Male", 2.0: "Female"}}), name="cohort.sav"),
        EXIT_OK,
        [
            "SPSS data file (.sav)",
            f"column 'sex', {N} rows: codes read as their value labels",
            f"{N} patients",
        ],
        values={name: expected_cells(name) for name in ("sex", "ldh", "os_event")},
    ),
    Case(
        "Stata .dta",
        run_with(lambda p: typed_cohort().to_stata(p, write_index=False), name="cohort.dta"),
        EXIT_OK,
        ["Stata data file (.dta)", f"{N} patients"],
        values={name: expected_cells(name) for name in ("ldh", "sex")},
    ),
    Case(
        "Stata .dta with value labels",
        run_with(
            lambda p: _spss_coded().to_stata(
                p, write_index=False, value_labels={"sex": {1: "Male", 2: "Female"}}
            ),
            name="cohort.dta",
        ),
        EXIT_OK,
        ["Stata data file (.dta)", f"column 'sex', {N} rows: codes read as their value labels"],
        values={"sex": expected_cells("sex")},
    ),
    Case(
        "Parquet",
        run_with(lambda p: typed_cohort().to_parquet(p, index=False), name="cohort.parquet"),
        EXIT_OK,
        ["Parquet file", f"{N} patients"],
        values={name: expected_cells(name) for name in ("os_months", "ldh")},
    ),
    # ---- mapping files: codes and names
    Case(
        "sex coded 1/2 recoded by the mapping",
        run_with(_SEX_CODES, mapping="values:\n  sex: {1: Male, 2: Female}\n"),
        EXIT_OK,
        [f"column 'sex', {N} rows: codes recoded by the mapping file"],
        values={"sex": expected_cells("sex")},
    ),
    Case(
        "events coded 1 = alive, 2 = dead recoded by the mapping",
        run_with(_EVENTS_12, mapping="values:\n  os_event: {1: 0, 2: 1}\n"),
        EXIT_OK,
        [f"{N} patients"],
        values={"os_event": expected_cells("os_event")},
    ),
    Case(
        "a missing-value code listed in the mapping",
        run_with(mut(ldh=([1], "99999"), sodium=([1], "unknown")), mapping="missing: [99999, unknown]\n"),
        EXIT_OK,
        ["column 'ldh', 1 row: '99999' read as missing", "column 'sodium', 1 row: 'unknown' read as missing"],
        values={"ldh": expected_cells("ldh", {2: None}), "sodium": expected_cells("sodium", {2: None})},
    ),
    Case(
        "a near-miss header listed under ignore",
        run_with(cohort().rename(columns={"ecog": "ECOG PS"}), mapping="ignore: [ECOG PS]\n"),
        EXIT_OK,
        [f"columns ignored: {ignored('ECOG PS')}\n", f"{N} patients"],
        absent=["resembles"],
    ),
    Case(
        "a mapping file with an unknown key",
        run_with(cohort(), mapping="colums:\n  Age: age\n"),
        EXIT_BAD_DATA,
        ["map.yaml: key 'colums': not a key of the mapping file (did you mean 'columns'?)"],
    ),
    Case(
        "a mapping file recoding to a value the contract does not know",
        run_with(_SEX_CODES, mapping="values:\n  sex: {1: Male, 2: Femme}\n"),
        EXIT_BAD_DATA,
        ["map.yaml: key 'values.sex.2': 'Femme' is not a value of 'sex'"],
    ),
    Case(
        "a mapping file naming a column the file lacks",
        run_with(cohort(), mapping="columns:\n  ECOG_PS: ecog\n"),
        EXIT_BAD_DATA,
        ["the mapping file maps a column 'ECOG_PS' that is not in the file"],
    ),
    # ---- dates instead of months
    Case(
        "the shipped date-based export (.sav)",
        lambda tmp: _shipped("sav"),
        EXIT_OK,
        ["os_months and os_event: from 'TreatmentStart'", "months = days / 30.4375", f"{N} patients"],
        values={name: expected_cells(name) for name in (*_TIMES, "sex")},
    ),
    Case(
        "the shipped date-based export (.xlsx)",
        lambda tmp: _shipped("xlsx"),
        EXIT_OK,
        ["Excel workbook (.xlsx)", f"{N} patients"],
        values={name: expected_cells(name) for name in _TIMES},
    ),
    Case(
        "dates as DD.MM.YYYY text in a CSV",
        run_with(_hospital(_dotted_dates), mapping=DATES_MAP),
        EXIT_OK,
        [f"{N} patients"],
        values={name: expected_cells(name) for name in _TIMES},
    ),
    Case(
        "dates whose day and month could swap",
        run_with(_hospital(_dates_of_early_days), mapping=DATES_MAP),
        EXIT_BAD_DATA,
        ["these dates read as DD/MM/YYYY or MM/DD/YYYY", 'format: "%d/%m/%Y"'],
    ),
    Case(
        "death before the treatment start",
        run_with(_hospital(_death_before_start), mapping=DATES_MAP),
        EXIT_BAD_DATA,
        [f"column 'DeathDate', row {DIED_ROW}: the date is before the treatment start ('TreatmentStart')"],
    ),
    Case(
        "progression after death",
        run_with(_hospital(_progression_after_death), mapping=DATES_MAP),
        EXIT_BAD_DATA,
        [
            f"column 'ProgressionDate', row {PROGRESSED_THEN_DIED_ROW}: progression after the date of death "
            "('DeathDate')"
        ],
    ),
    Case(
        "a death after the data cut-off",
        run_with(_hospital(_death_after_cutoff), mapping=DATES_MAP),
        EXIT_BAD_DATA,
        [
            f"column 'DeathDate', row {DIED_ROW}: the date is after the data cut-off (2024-12-31)",
            "after_cutoff: censor",
        ],
    ),
    Case(
        "a death after the data cut-off, censored there as the mapping says",
        run_with(
            _hospital(_death_after_cutoff),
            mapping=DATES_MAP.read_text().replace("after_cutoff: error", "after_cutoff: censor"),
        ),
        EXIT_OK,
        ["column 'DeathDate', 1 row: a date after the data cut-off: censored at the data cut-off"],
        values={"os_event": expected_cells("os_event", {DIED_ROW: 0})},
    ),
    # ---- parameters typed by their meaning
    Case(
        "-p reference_group 0 on groups coded 0 and 1",
        lambda tmp: [
            "validate",
            str(put(tmp / "cohort.csv", _GROUPS_01)),
            "-p",
            "reference_group",
            "0",
            "-p",
            "treatment_group",
            "1",
        ],
        EXIT_OK,
        [f"{N} patients (0: {_arm_sizes[REFERENCE]}, 1: {_arm_sizes[TREATMENT]})"],
        values={"group": {row: _ARMS_01[arm] for row, arm in expected_cells("group").items()}},
    ),
    Case(
        "build takes --reference-group as validate does",
        lambda tmp: ["build", "--reference-group", "Chemotherapy", "--out", str(tmp / "out")],
        EXIT_BAD_DATA,
        ["reference_group 'Chemotherapy' is not a group in the data", "did you mean 'Chemo'?"],
    ),
    Case(
        "validate refuses -p of the wrong type as build does",
        lambda tmp: ["validate", str(DEFAULT_COHORT), "-p", "covariates", "age"],
        EXIT_BAD_PARAMETER,
        ["parameter 'covariates' must be list"],
    ),
]


def _shipped(kind: str) -> list[str]:
    data = DATA_DIR / f"lcnec_synthetic_cohort_dates.{kind}"
    return ["validate", str(data), "--map", str(DATES_MAP), "--ae", str(DEFAULT_AE)]
