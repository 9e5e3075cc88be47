"""The catalogue of bad inputs: each gets a clear answer, a distinct exit status, no traceback.

Every case builds its input in ``tmp_path`` by a small mutation of the shipped
cohort (``data/lcnec_synthetic_cohort.csv``) or adverse-event table and runs
the real command line (``lcnec_utils.cli.main``; a sample also as a
subprocess). A case states the exit status and the text of the answer: file,
column, rows (data-row numbers, 1 = the first row under the header, never
patient ids) and what was expected. Refused data stop the run before anything
is written: the ``--out`` folder must not exist afterwards.

Exit status: 0 accepted (with a note where the file was read leniently),
3 the data break the contract, 4 a parameter is unknown, of the wrong type or
out of range (``lcnec_utils.cli``).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from bad_input_helpers import (
    AE,
    COHORT,
    DOCUMENTED_EXTRAS,
    IDS,
    REFERENCE,
    TREATMENT,
    Case,
    build_ae,
    build_cohort,
    build_params,
    cohort,
    ignored,
    rows_of,
    validate_cohort,
    write,
)
from bad_input_helpers import mut as _mut
from intake_catalogue import INTAKE_CASES

from lcnec_utils.build.pipeline import resolve_parameters
from lcnec_utils.cli import EXIT_BAD_DATA, EXIT_BAD_PARAMETER, EXIT_OK, build_parser, data_overrides, main
from lcnec_utils.contract.io import load_adverse_events, load_cohort, load_study_of
from lcnec_utils.contract.params import DEFAULT_COHORT

COVARIATES = [
    c
    for c in COHORT.columns
    if c not in ("patient_id", "group", "os_months", "os_event", "pfs_months", "pfs_event")
]


def _xlsx() -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    return buf.getvalue()


def _days() -> pd.DataFrame:
    frame = cohort()
    for col in ("os_months", "pfs_months"):
        frame[col] = (frame[col].astype(float) * 30.4375).round().astype(int).astype(str)
    return frame


def _one_arm_without_deaths() -> pd.DataFrame:
    frame = cohort()
    frame.loc[frame["group"] == TREATMENT, "os_event"] = "0"
    return frame


def _small_treatment_arm() -> pd.DataFrame:
    frame = cohort()
    keep = frame.index[frame["group"] == TREATMENT][:2]
    return frame[(frame["group"] == REFERENCE) | frame.index.isin(keep)].reset_index(drop=True)


def _covariates_empty(index: int) -> pd.DataFrame:
    frame = cohort()
    frame.loc[index, COVARIATES] = ""
    return frame


def _ods() -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    return buf.getvalue()


def _ragged() -> str:
    lines = DEFAULT_COHORT.read_text().splitlines()
    lines[5] = (
        lines[5]
        .replace(",TP,", ",TP,carboplatin,", 1)
        .replace(",IP,", ",IP,cisplatin,", 1)
        .replace(",EP/EC/EL,", ",EP/EC/EL,etoposide,", 1)
    )
    return "\n".join(lines) + "\n"


def _latin1() -> bytes:
    frame = cohort()
    frame["comment"] = "Patientin aus Köln, Überweisung"
    return frame.to_csv(index=False).encode("latin-1")


_days_frame = _days()
_big = _days_frame["os_months"].astype(float) > 240
_no_deaths = _one_arm_without_deaths()
_small = _small_treatment_arm()
N = len(COHORT)
_ae_2_0 = AE.assign(grade=AE["grade"] + ".0")
_first_group = COHORT.loc[0, "group"]
_ae_unknown = AE.copy()
_ae_unknown.loc[1, "patient_id"] = "SYN-999"
_width = len(COHORT.columns)
_positions = ", ".join(str(COHORT.columns.get_loc(c) + 1) for c in ("age", "smoking"))
_os = COHORT["os_months"].astype(float)
#: 0.1 month after the last follow-up: of row 3 for its pfs_months, of the first adverse event's patient
_after_os_of_row_3 = f"{_os[2] + 0.1:.1f}"
_after_os_of_ae_1 = f"{_os[COHORT['patient_id'] == AE.loc[0, 'patient_id']].item() + 0.1:.1f}"

CASES = [
    # ---- the file itself
    Case("missing file", build_cohort(None, name="nope.csv"), EXIT_BAD_DATA, ["nope.csv: file not found"]),
    Case(
        "a folder instead of a file",
        lambda tmp: ["build", "--data", str(tmp), "--out", str(tmp / "out")],
        EXIT_BAD_DATA,
        ["this is a folder, not a data file"],
    ),
    Case("empty file", build_cohort(b""), EXIT_BAD_DATA, ["cohort.csv: the file is empty"]),
    Case("blank lines only", build_cohort(b"\n \n\n"), EXIT_BAD_DATA, ["cohort.csv: the file is empty"]),
    Case(
        "header only",
        build_cohort(",".join(COHORT.columns) + "\n"),
        EXIT_BAD_DATA,
        ["cohort.csv: the file has a header but no patient rows"],
    ),
    Case(
        "broken excel xlsx",
        build_cohort(_xlsx(), name="cohort.xlsx"),
        EXIT_BAD_DATA,
        ["cohort.xlsx: the file is an Excel workbook (.xlsx) that cannot be read", "save it again"],
    ),
    Case(
        "excel xls renamed .csv",
        build_cohort(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),
        EXIT_BAD_DATA,
        [
            "cohort.csv: this is an Excel 97-2003 workbook (.xls), which the book does not read",
            "save it as .xlsx",
        ],
    ),
    Case(
        "OpenDocument spreadsheet",
        build_cohort(_ods(), name="cohort.ods"),
        EXIT_BAD_DATA,
        ["cohort.ods: this is an OpenDocument spreadsheet (.ods)", "'Excel 2007-365 (.xlsx)'"],
    ),
    Case(
        "json records",
        build_cohort(COHORT.to_json(orient="records"), name="cohort.json"),
        EXIT_BAD_DATA,
        ["cohort.json: this looks like JSON, not CSV"],
    ),
    Case(
        "html page",
        build_cohort("<!DOCTYPE html><html><body>login</body></html>"),
        EXIT_BAD_DATA,
        ["this looks like an HTML or XML page, not CSV"],
    ),
    Case(
        "gzip",
        build_cohort(b"\x1f\x8b\x08\x00" + b"\x00" * 40, name="cohort.csv.gz"),
        EXIT_BAD_DATA,
        ["cohort.csv.gz: this file is gzip-compressed; decompress it"],
    ),
    Case(
        "title line above the header",
        build_cohort("Export from the hospital information system\n" + DEFAULT_COHORT.read_text()),
        EXIT_BAD_DATA,
        ["the header row (with 'patient_id') is line 2 of the file; delete the 1 line above it"],
    ),
    Case(
        "row with an unquoted separator",
        build_cohort(_ragged()),
        EXIT_BAD_DATA,
        [
            f"cohort.csv, row 5: these rows have {_width + 1} cells but the header has {_width}",
            "quote such cells or re-export the table",
        ],
    ),
    Case(
        "column named twice",
        build_cohort(cohort().rename(columns={"smoking": "age"})),
        EXIT_BAD_DATA,
        [f"column 'age': the header names this column more than once (positions {_positions})"],
    ),
    # ---- separators and encodings that are read, with a note
    Case(
        "semicolon-separated",
        validate_cohort(cohort(), sep=";"),
        EXIT_OK,
        ["read as semicolon-separated values", f"{N} patients"],
    ),
    Case(
        "semicolon with decimal commas",
        validate_cohort(
            cohort().apply(
                lambda s: (
                    s.str.replace(".", ",", regex=False)
                    if s.name in ("os_months", "pfs_months", "sodium")
                    else s
                )
            ),
            sep=";",
        ),
        EXIT_OK,
        ["decimal commas read as decimal points in 'os_months', 'pfs_months', 'sodium'", f"{N} patients"],
    ),
    Case(
        "tab-separated with decimal commas",
        validate_cohort(
            cohort().apply(
                lambda s: s.str.replace(".", ",", regex=False) if s.name in ("os_months", "sodium") else s
            ),
            sep="\t",
        ),
        EXIT_OK,
        ["decimal commas read as decimal points in 'os_months', 'sodium'", f"{N} patients"],
    ),
    Case(
        "tab-separated",
        validate_cohort(cohort(), sep="\t"),
        EXIT_OK,
        ["read as tab-separated values", f"{N} patients"],
    ),
    Case(
        "UTF-8 with byte-order mark",
        validate_cohort(cohort(), encoding="utf-8-sig"),
        EXIT_OK,
        [f"{N} patients"],
        absent=["warning"],
    ),
    Case(
        "Latin-1 text",
        validate_cohort(_latin1()),
        EXIT_OK,
        [
            "the file is not UTF-8; read it as Windows-1252/Latin-1 text",
            f"{N} patients",
            f"columns outside the contract ignored: {ignored('comment')}\n",
        ],
    ),
    Case(
        "UTF-16 tab-separated (Excel 'Unicode Text')",
        validate_cohort(cohort().to_csv(index=False, sep="\t").encode("utf-16")),
        EXIT_OK,
        ["read as UTF-16 text", "read as tab-separated values", f"{N} patients"],
    ),
    Case("CRLF line ends", validate_cohort(cohort(), lineterminator="\r\n"), EXIT_OK, [f"{N} patients"]),
    # ---- columns
    Case(
        "required column missing",
        build_cohort(cohort().drop(columns="os_event")),
        EXIT_BAD_DATA,
        ["cohort.csv, column 'os_event': required column is missing; add it"],
    ),
    Case(
        "required column misspelled",
        build_cohort(cohort().rename(columns={"os_months": "os_month"})),
        EXIT_BAD_DATA,
        [
            "column 'os_months': required column is missing; did you mean 'os_month'? "
            "rename that column to 'os_months' or map it in a mapping file (--map)"
        ],
    ),
    Case(
        "patient id column named otherwise",
        build_cohort(cohort().rename(columns={"patient_id": "patient_no"})),
        EXIT_BAD_DATA,
        ["column 'patient_id': required column is missing; did you mean 'patient_no'?"],
    ),
    # ---- patient ids
    Case(
        "duplicated patient_id",
        build_cohort(_mut(patient_id=([3], IDS[1]))),
        EXIT_BAD_DATA,
        ["cohort.csv, column 'patient_id', rows 2, 4: each patient must have one row with a unique id"],
    ),
    Case(
        "empty patient_id",
        build_cohort(_mut(patient_id=([2, 7], "  "))),
        EXIT_BAD_DATA,
        ["cohort.csv, column 'patient_id', rows 3, 8: empty patient id"],
    ),
    # ---- groups and the arm parameters
    Case(
        "names in the group column",
        build_cohort(cohort().assign(group=[f"Patient Name {i}" for i in range(N)])),
        EXIT_BAD_DATA,
        [f"found {N}: {N} values that occur once (not shown)"],
        absent=["Patient Name"],
    ),
    Case(
        "one group only",
        build_cohort(_mut(group=(list(range(N)), REFERENCE))),
        EXIT_BAD_DATA,
        [f"column 'group': expected exactly two groups (the two treatment arms), found 1: 'Chemo' ({N})"],
    ),
    Case(
        "three groups",
        build_cohort(_mut(group=([4, 5], "Radiotherapy"))),
        EXIT_BAD_DATA,
        [
            "column 'group', rows 5, 6: expected exactly two groups",
            "found 3",
            "'Radiotherapy' (2)",
            "the rows listed are those of the smallest group",
        ],
    ),
    Case(
        "group spelled two ways",
        build_cohort(_mut(group=([0], _first_group.lower()))),
        EXIT_BAD_DATA,
        [f"'{_first_group}' and '{_first_group.lower()}' differ only in case or spacing"],
    ),
    Case(
        "empty group cell",
        build_cohort(_mut(group=([6], ""))),
        EXIT_BAD_DATA,
        ["column 'group', row 7: empty cells where a value is required"],
    ),
    Case(
        "-p reference_group not in the data",
        build_params("reference_group", "Chemotherapy"),
        EXIT_BAD_DATA,
        [
            "lcnec_synthetic_cohort.csv, column 'group': reference_group 'Chemotherapy' is not a group in the data",
            "did you mean 'Chemo'? Set it with -p reference_group VALUE.",
        ],
    ),
    # ---- times and events
    Case(
        "negative time",
        build_cohort(_mut(os_months=([1], "-1.5"))),
        EXIT_BAD_DATA,
        ["column 'os_months', row 2: expected a number >= 0; found '-1.5'; values below 0 are not allowed"],
    ),
    Case(
        "required time written as NA",
        build_cohort(_mut(os_months=([2, 9], "NA"))),
        EXIT_BAD_DATA,
        ["column 'os_months', rows 3, 10: empty cells where a value is required (missing codes such as NA"],
    ),
    Case(
        "non-numeric time",
        build_cohort(_mut(os_months=([2, 9], "twelve"))),
        EXIT_BAD_DATA,
        ["column 'os_months', rows 3, 10: expected a number >= 0; found 'twelve'"],
    ),
    Case(
        "a decimal comma among decimal dots",
        build_cohort(_mut(pfs_months=([0], "2,5"))),
        EXIT_BAD_DATA,
        [
            "column 'pfs_months', row 1: '2,5': a decimal mark that the column's other numbers contradict "
            "(they use a decimal dot)",
            'state it in a mapping file (--map) with `decimal: "."` or `decimal: ","`',
        ],
    ),
    Case(
        "times in days",
        build_cohort(_days_frame),
        EXIT_BAD_DATA,
        [
            f"column 'os_months', {rows_of(_big)}: times up to",
            "look like days, not months",
            "divide by 30.4375",
        ],
    ),
    Case(
        "events coded in words",
        build_cohort(_mut(os_event=([2, 5], "ja"))),
        EXIT_BAD_DATA,
        [
            "column 'os_event', rows 3, 6: expected 0 or 1; found 'ja'",
            "recode yes/true as 1 and no/false as 0, or map the words in a mapping file (--map)",
        ],
    ),
    Case(
        "event coded 2",
        build_cohort(_mut(pfs_event=([11], "2"))),
        EXIT_BAD_DATA,
        [
            "column 'pfs_event', row 12: expected 0 or 1; found '2'",
            "code the column as 1 = progressed or died, 0 = neither at last follow-up (censored)",
        ],
    ),
    Case(
        "pfs longer than os",
        build_cohort(_mut(pfs_months=([2], _after_os_of_row_3))),
        EXIT_BAD_DATA,
        ["column 'pfs_months', row 3: pfs_months is longer than os_months"],
    ),
    Case(
        "pfs_event without a pfs_months column",
        build_cohort(cohort().drop(columns="pfs_months")),
        EXIT_BAD_DATA,
        ["column 'pfs_months': 'pfs_event' is given but 'pfs_months' is missing"],
    ),
    Case(
        "pfs_event with an empty pfs_months",
        build_cohort(_mut(pfs_months=([3], ""))),
        EXIT_BAD_DATA,
        ["column 'pfs_months', row 4: 'pfs_months' and 'pfs_event' must be both given or both empty"],
    ),
    # ---- covariates
    Case(
        "ECOG 5",
        build_cohort(_mut(ecog=([0], "5"))),
        EXIT_BAD_DATA,
        [
            "column 'ecog', row 1: expected a whole number from 0 to 4; found '5'; values above 4 are not allowed"
        ],
    ),
    Case(
        "ECOG as a range",
        build_cohort(_mut(ecog=([1], "1-2"))),
        EXIT_BAD_DATA,
        ["column 'ecog', row 2: expected a whole number from 0 to 4; found '1-2'"],
    ),
    Case(
        "age under 18",
        build_cohort(_mut(age=([4], "16"))),
        EXIT_BAD_DATA,
        ["column 'age', row 5: expected a number from 18 to 110; found '16'; the study includes adults only"],
    ),
    Case(
        "age not a number",
        build_cohort(_mut(age=([6], "sixty"))),
        EXIT_BAD_DATA,
        ["column 'age', row 7: expected a number from 18 to 110; found 'sixty'"],
    ),
    Case(
        "date of birth in the age column",
        build_cohort(_mut(age=([7], "1957-03-02"))),
        EXIT_BAD_DATA,
        ["column 'age', row 8: expected a number from 18 to 110; found 1 date value (not shown)"],
        absent=["1957"],
    ),
    Case(
        "sex spelt otherwise",
        build_cohort(_mut(sex=([0], "M"))),
        EXIT_BAD_DATA,
        [
            "column 'sex', row 1: expected one of 'Male', 'Female'; found 'M'",
            "other spellings or codes are recoded by values: {sex: ...} in a mapping file (--map)",
        ],
    ),
    Case(
        "missing value written as a placeholder",
        build_cohort(_mut(ldh=([8], "unknown"))),
        EXIT_BAD_DATA,
        [
            "column 'ldh', row 9: expected a number >= 0; found 'unknown'; leave a missing value as an empty "
            "cell, or list the placeholder under missing: in a mapping file (--map)"
        ],
    ),
    # ---- warnings: the data are used, the answer says what will be weak
    Case(
        "an arm with no deaths",
        validate_cohort(_no_deaths),
        EXIT_OK,
        [
            "warning: ",
            f"cohort.csv, column 'os_event', {rows_of(_no_deaths['group'] == TREATMENT)}: "
            "group 'ICIs + Chemo' has no deaths",
            "will be reported as not available",
        ],
    ),
    Case(
        "an arm with fewer than 3 patients",
        validate_cohort(_small, ae=False),
        EXIT_OK,
        [
            "warning: ",
            f"cohort.csv, column 'group', {rows_of(_small['group'] == TREATMENT)}: "
            "group 'ICIs + Chemo' has only 2 patients (fewer than 3); the book is built",
        ],
    ),
    Case(
        "all covariates missing for a patient",
        validate_cohort(_covariates_empty(5)),
        EXIT_OK,
        ["warning: ", "cohort.csv, row 6: every covariate is empty for these patients"],
    ),
    Case(
        "extra identifying columns",
        validate_cohort(cohort().assign(name="Jane Roe", mrn="MRN12345")),
        EXIT_OK,
        [f"columns outside the contract ignored: {ignored('name', 'mrn')}\n"],
        absent=["Jane Roe", "MRN12345"],
    ),
    # ---- adverse-event table
    Case(
        "adverse event of an unknown patient",
        build_ae(_ae_unknown),
        EXIT_BAD_DATA,
        ["ae.csv, column 'patient_id', row 2: adverse events for patients who are not in the cohort table"],
        absent=["SYN-999"],
    ),
    Case(
        "grade 6",
        build_ae(AE.assign(grade=AE["grade"].where(AE.index != 0, "6"))),
        EXIT_BAD_DATA,
        ["ae.csv, column 'grade', row 1: expected a whole number from 1 to 5; found '6'"],
    ),
    Case(
        "grade 0 and 'G3'",
        build_ae(AE.assign(grade=["0", "G3"] + ["2"] * (len(AE) - 2))),
        EXIT_BAD_DATA,
        ["ae.csv, column 'grade', rows 1, 2: expected a whole number from 1 to 5"],
    ),
    Case(
        "immune_related coded 2",
        build_ae(AE.assign(immune_related="2")),
        EXIT_BAD_DATA,
        [
            f"ae.csv, column 'immune_related', {rows_of([True] * len(AE))}: expected 0 or 1; found '2'",
            "code the column as 1 = immune-related, 0 = not",
        ],
    ),
    Case(
        "onset_months negative",
        build_ae(AE.assign(onset_months=AE["onset_months"].where(AE.index != 1, "-2"))),
        EXIT_BAD_DATA,
        ["ae.csv, column 'onset_months', row 2: expected a number >= 0; found '-2'"],
    ),
    Case(
        "onset_months after the patient's os_months",
        build_ae(AE.assign(onset_months=AE["onset_months"].where(AE.index != 0, _after_os_of_ae_1))),
        EXIT_BAD_DATA,
        [
            "ae.csv, column 'onset_months', row 1: onset_months is later than the patient's os_months; "
            "an adverse event cannot start after death or the last follow-up"
        ],
    ),
    Case(
        "onset_months not a number",
        build_ae(AE.assign(onset_months=AE["onset_months"].where(AE.index != 2, "week 6"))),
        EXIT_BAD_DATA,
        ["ae.csv, column 'onset_months', row 3: expected a number >= 0; found 'week 6'"],
    ),
    Case(
        "adverse-event column missing",
        build_ae(AE.drop(columns="grade")),
        EXIT_BAD_DATA,
        ["ae.csv, column 'grade': required column is missing"],
    ),
    Case(
        "adverse-event file missing",
        lambda tmp: ["build", "--ae", str(tmp / "ae_missing.csv"), "--out", str(tmp / "out")],
        EXIT_BAD_DATA,
        ["ae_missing.csv: file not found"],
    ),
    # ---- parameters
    Case(
        "unknown -p name",
        build_params("landmark_month", "12"),
        EXIT_BAD_PARAMETER,
        ["unknown parameter 'landmark_month' (did you mean 'landmark_months'?)"],
    ),
    Case(
        "-p of the wrong type (text for a number)",
        build_params("landmark_months", "twelve"),
        EXIT_BAD_PARAMETER,
        ["parameter 'landmark_months' must be int or float, got 'twelve' (str)"],
    ),
    Case(
        "-p of the wrong type (text for a list)",
        build_params("covariates", "age"),
        EXIT_BAD_PARAMETER,
        ["parameter 'covariates' must be list, got 'age' (str)"],
    ),
    Case(
        "-p alpha out of range",
        build_params("alpha", "1.5"),
        EXIT_BAD_PARAMETER,
        ["parameter 'alpha' must lie between 0 and 1"],
    ),
    Case(
        "-p the same arm twice",
        build_params("reference_group", TREATMENT),
        EXIT_BAD_PARAMETER,
        ["'reference_group' and 'treatment_group' must differ"],
    ),
    *INTAKE_CASES,
]


def study_read(argv: list[str]):
    """The study as ``lcnec validate`` or ``build`` with ``argv`` reads it (same options, same loader)."""
    args = build_parser().parse_args(argv)
    data = getattr(args, "file", None) or args.data
    params = resolve_parameters(data, args.ae, data_overrides(args))
    return load_study_of(params)


def check_values(case: Case, argv: list[str]) -> None:
    """The cells ``case.values`` names hold the values stated (rows from 1; None for missing)."""
    study = study_read(argv)
    for where, cells in case.values.items():
        table, column = (
            (study.adverse_events, where.split(".", 1)[1]) if "." in where else (study.cohort, where)
        )
        for row, expected in cells.items():
            got = table[column].iloc[row - 1]
            if expected is None:
                assert pd.isna(got), f"{where} row {row}: {got!r}, expected missing"
            else:
                assert got == expected, f"{where} row {row}: {got!r}, expected {expected!r}"


def run(case: Case, tmp_path: Path, capsys) -> tuple[int, str]:
    argv = case.make(tmp_path)
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out + captured.err


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gets_a_clear_answer(case: Case, tmp_path, capsys):
    status, output = run(case, tmp_path, capsys)
    assert status == case.status, output
    for text in case.expect:
        assert text in output, f"{text!r} not in:\n{output}"
    for text in case.absent:
        assert text not in output, output
    assert "Traceback" not in output
    for pid in IDS:
        assert pid not in output, f"patient id {pid} printed"
    if case.status != EXIT_OK:
        assert "error:" in output
        assert not (tmp_path / "out").exists(), "a refused run wrote an output folder"
    if case.values:
        assert case.status == EXIT_OK, "values are those of an accepted input"
        check_values(case, case.make(tmp_path))


def test_the_catalogue_is_large_and_uses_distinct_statuses():
    assert len(CASES) >= 30
    assert {c.status for c in CASES} == {EXIT_OK, EXIT_BAD_DATA, EXIT_BAD_PARAMETER}
    assert len({EXIT_OK, EXIT_BAD_DATA, EXIT_BAD_PARAMETER, 1, 2}) == 5


def test_wrong_usage_exits_2_with_usage_text():
    proc = subprocess.run(
        [sys.executable, "-m", "lcnec_utils.cli", "build", "--data"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "usage: lcnec build" in proc.stderr and "expected one argument" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_every_problem_of_both_files_is_reported_at_once(tmp_path, capsys):
    data = write(_mut(os_event=([0], "2"), ecog=([1], "7")), tmp_path / "cohort.csv")
    ae = write(AE.assign(grade=AE["grade"].where(AE.index != 2, "9")), tmp_path / "ae.csv")
    status = main(["build", "--data", str(data), "--ae", str(ae), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == EXIT_BAD_DATA
    assert (
        "column 'os_event', row 1" in err and "column 'ecog', row 2" in err and "column 'grade', row 3" in err
    )
    assert err.count("error:") == 3
    assert "the data do not follow the contract; nothing was built" in err


def test_lenient_reads_give_the_same_table(tmp_path):
    """Semicolons with decimal commas, tabs, a byte-order mark, UTF-16: the same typed cohort."""
    reference = load_cohort(DEFAULT_COHORT).frame
    decimal = cohort().apply(
        lambda s: (
            s.str.replace(".", ",", regex=False)
            if s.name in ("os_months", "pfs_months", "age", "sodium", "cea", "progrp", "nse")
            else s
        )
    )
    variants = {
        "semicolon.csv": decimal.to_csv(index=False, sep=";").encode(),
        "tab.csv": cohort().to_csv(index=False, sep="\t").encode(),
        "bom.csv": cohort().to_csv(index=False).encode("utf-8-sig"),
        "utf16.txt": cohort().to_csv(index=False, sep="\t").encode("utf-16"),
        "crlf.csv": cohort().to_csv(index=False, lineterminator="\r\n").encode(),
    }
    for name, data in variants.items():
        path = tmp_path / name
        path.write_bytes(data)
        pd.testing.assert_frame_equal(load_cohort(path).frame, reference, obj=name)


def test_extra_columns_never_reach_the_analysis_table(tmp_path):
    """Identifying columns added to the shipped cohort are ignored after its own documented extra
    columns (data/data_dictionary.yaml, ``extra_columns``), and none of them is in the table analysed."""
    added = ["name", "date_of_birth", "notes"]
    path = write(
        cohort().assign(name="Jane Roe", date_of_birth="1950-01-01", notes="free text"), tmp_path / "c.csv"
    )
    assert load_cohort(DEFAULT_COHORT).ignored_columns == DOCUMENTED_EXTRAS
    loaded = load_cohort(path)
    assert loaded.ignored_columns == [*DOCUMENTED_EXTRAS, *added]
    assert not {*DOCUMENTED_EXTRAS, *added} & set(loaded.frame.columns)


def test_adverse_event_table_with_no_events_is_accepted(tmp_path):
    path = tmp_path / "ae.csv"
    path.write_text("patient_id,term,grade,immune_related\n")
    assert len(load_adverse_events(path, load_cohort(DEFAULT_COHORT).frame).frame) == 0


# A sample of the catalogue through a real process: exit status and no traceback
# as the user's shell sees them.
SUBPROCESS_SAMPLE = [
    "missing file",
    "broken excel xlsx",
    "events coded in words",
    "adverse event of an unknown patient",
    "-p of the wrong type (text for a number)",
    "unknown -p name",
]


@pytest.mark.slow
@pytest.mark.parametrize("name", SUBPROCESS_SAMPLE)
def test_the_shell_sees_the_same_answer(name, tmp_path):
    case = next(c for c in CASES if c.name == name)
    argv = case.make(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "lcnec_utils.cli", *argv], capture_output=True, text=True)
    assert proc.returncode == case.status
    output = proc.stdout + proc.stderr
    for text in case.expect:
        assert text in output
    assert "Traceback" not in output
    assert not any(pid in output for pid in IDS)
    assert not (tmp_path / "out").exists()


# That the two warned cohorts (small arm, arm without deaths) still build, with the
# warning on the terminal and on the page, is tested in test_robustness.py, where
# the slow builds run in parallel.
