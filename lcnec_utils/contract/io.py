"""Reading a cohort export the way hospitals save them, and refusing what it is not.

Files are opened read-only and read as text first: encoding (UTF-8 with or
without byte-order mark, UTF-16 with one, else Latin-1/cp1252) and delimiter
(comma, semicolon or tab; decimal commas in number columns of semicolon- and
tab-separated files) are detected and reported as notes, then
:mod:`lcnec_utils.contract.schema` validates the text before any number is computed.
Refused with the fix: Excel/OpenDocument workbooks, zip, gzip, PDF, HTML and
JSON files, a title line above the header, a column named twice, rows with
more or fewer cells than the header. Columns outside the contract are dropped
on load (their names are reported) so that identifying extras such as names
or dates of birth can never reach a page.
"""

from __future__ import annotations

import csv
import io as _io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lcnec_utils.contract import schema
from lcnec_utils.contract.schema import DataProblem, DataValidationError

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 .xls
_SAVE_AS_CSV = "in Excel use File > Save As > 'CSV UTF-8 (comma delimited)'"


def _refuse_binary(data: bytes, file: str) -> None:
    """Raise for the binary formats hospital exports arrive in instead of CSV."""

    def refuse(message: str) -> None:
        raise DataValidationError([DataProblem(file, None, [], message)])

    if data.startswith(_ZIP_MAGIC):
        import zipfile

        try:
            names = zipfile.ZipFile(_io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            names = []
        if any(n.startswith("xl/") for n in names):
            refuse(f"this is an Excel workbook (.xlsx), not a CSV file; {_SAVE_AS_CSV}")
        if "content.xml" in names:
            refuse(
                "this is an OpenDocument spreadsheet (.ods), not a CSV file; "
                "in LibreOffice use File > Save As > 'Text CSV'"
            )
        refuse("this is a zip archive, not a CSV file; unpack it and give the CSV inside")
    if data.startswith(_OLE_MAGIC):
        refuse(f"this is an Excel 97-2003 workbook (.xls), not a CSV file; {_SAVE_AS_CSV}")
    if data.startswith(b"\x1f\x8b"):
        refuse("this file is gzip-compressed; decompress it (gunzip) and give the CSV")
    if data.startswith(b"%PDF"):
        refuse("this is a PDF document, not a CSV file; export the table as CSV from its source")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        refuse("this is a binary file, not CSV text; export the table as CSV (UTF-8)")


@dataclass
class LoadedTable:
    """A validated table with the notes made while reading it."""

    frame: pd.DataFrame
    notes: list[DataProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def _decode(data: bytes, file: str, notes: list[DataProblem]) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode Text" export
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise DataValidationError(
                [
                    DataProblem(
                        file,
                        None,
                        [],
                        "the file starts like UTF-16 text but cannot be "
                        "decoded; save it as 'CSV UTF-8 (comma delimited)'",
                    )
                ]
            ) from None
        notes.append(
            DataProblem(
                file,
                None,
                [],
                "read as UTF-16 text (save as 'CSV UTF-8' to silence this note)",
                severity="warning",
            )
        )
        return text
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        notes.append(
            DataProblem(
                file,
                None,
                [],
                "the file is not UTF-8; read it as Windows-1252/Latin-1 text "
                "(save as 'CSV UTF-8' to silence this note)",
                severity="warning",
            )
        )
        return data.decode("cp1252", errors="replace") if _is_cp1252(data) else data.decode("latin-1")


def _is_cp1252(data: bytes) -> bool:
    try:
        data.decode("cp1252")
        return True
    except UnicodeDecodeError:
        return False


def _sniff_delimiter(text: str, file: str, notes: list[DataProblem]) -> str:
    header = text.splitlines()[0] if text else ""
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=counts.get)
    if counts[delimiter] == 0:
        return ","
    if delimiter != ",":
        name = {";": "semicolon", "\t": "tab"}[delimiter]
        notes.append(DataProblem(file, None, [], f"read as {name}-separated values", severity="warning"))
    return delimiter


def read_table_text(path: str | Path) -> tuple[pd.DataFrame, list[DataProblem]]:
    """Read a CSV as text: every cell a string, empty cells as missing.

    Raises :class:`DataValidationError` when the file cannot be a CSV table.
    """
    path = Path(path)
    file = str(path)
    if not path.exists():
        raise DataValidationError([DataProblem(file, None, [], "file not found")])
    if path.is_dir():
        raise DataValidationError([DataProblem(file, None, [], "this is a folder, not a CSV file")])
    with open(path, "rb") as handle:  # read-only: inputs are never modified
        data = handle.read()
    if not data.strip():
        raise DataValidationError([DataProblem(file, None, [], "the file is empty")])
    _refuse_binary(data, file)
    notes: list[DataProblem] = []
    text = _decode(data, file, notes)
    if text.lstrip()[:1] in ("{", "["):
        raise DataValidationError(
            [
                DataProblem(
                    file,
                    None,
                    [],
                    "this looks like JSON, not CSV; export one row per patient with a header row",
                )
            ]
        )
    if text.lstrip()[:1] == "<":
        raise DataValidationError(
            [
                DataProblem(
                    file,
                    None,
                    [],
                    "this looks like an HTML or XML page, not CSV; export the table as CSV (UTF-8)",
                )
            ]
        )
    _refuse_title_lines(text, file)
    delimiter = _sniff_delimiter(text, file, notes)
    _check_shape(text, delimiter, file)
    try:
        frame = pd.read_csv(
            _io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise DataValidationError(
            [DataProblem(file, None, [], f"not a readable CSV table ({str(err).strip()})")]
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.apply(lambda s: s.str.strip()).replace("", pd.NA)
    if delimiter != ",":  # European exports: semicolons or tabs with decimal commas
        frame = _decimal_commas(frame, file, notes)
    return frame, notes


def _refuse_title_lines(text: str, file: str) -> None:
    """Refuse a title or comment line above the header (the header must be line 1)."""
    lines = text.splitlines()[:20]
    if not lines or "patient_id" in lines[0]:
        return
    for number, line in enumerate(lines[1:], start=2):
        if "patient_id" in line:
            raise DataValidationError(
                [
                    DataProblem(
                        file,
                        None,
                        [],
                        f"the header row (with 'patient_id') is line {number} "
                        f"of the file; delete the {number - 1} line{'s' if number > 2 else ''} "
                        "above it so that the header is the first line",
                    )
                ]
            )


def _check_shape(text: str, delimiter: str, file: str) -> None:
    """Refuse repeated column names and rows whose cell count differs from the header's.

    pandas would silently rename a repeated ``os_months`` to ``os_months.1``
    and pad a short row with empty cells; both hide a broken export.
    """
    records = [r for r in csv.reader(_io.StringIO(text), delimiter=delimiter) if r]
    if not records:
        return
    header = [c.strip() for c in records[0]]
    problems: list[DataProblem] = []
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    for name in repeated:
        positions = [str(i + 1) for i, c in enumerate(header) if c == name]
        problems.append(
            DataProblem(
                file,
                name,
                [],
                f"the header names this column more than once "
                f"(positions {', '.join(positions)}); keep one and delete or rename the others",
            )
        )
    width = len(header)
    bad = [i for i, r in enumerate(records[1:], start=1) if len(r) != width]
    if bad:
        counts = sorted({len(records[i]) for i in bad})
        problems.append(
            DataProblem(
                file,
                None,
                bad,
                f"these rows have {' or '.join(map(str, counts))} cells but the header has {width}; "
                f"a cell probably contains the separator '{_DELIMITER_NAMES.get(delimiter, delimiter)}' "
                "without quotes, or the row was cut off: quote such cells or re-export the table",
            )
        )
    if problems:
        raise DataValidationError(problems)


_DELIMITER_NAMES = {",": ",", ";": ";", "\t": "tab"}


def _decimal_commas(frame: pd.DataFrame, file: str, notes: list[DataProblem]) -> pd.DataFrame:
    """In a semicolon- or tab-separated file, read ``12,5`` as 12.5 in number columns (with a note)."""
    pattern = r"[+-]?\d+,\d+"
    changed = []
    for spec in schema.COHORT_COLUMNS:
        if spec.kind == "number" and spec.name in frame:
            col = frame[spec.name]
            hit = col.str.fullmatch(pattern, na=False)
            if hit.any():
                frame[spec.name] = col.where(~hit, col.str.replace(",", ".", regex=False))
                changed.append(spec.name)
    if changed:
        notes.append(
            DataProblem(
                file,
                None,
                [],
                "decimal commas read as decimal points in " + ", ".join(f"'{c}'" for c in changed),
                severity="warning",
            )
        )
    return frame


def load_cohort(
    path: str | Path,
    reference_group: str | None = None,
    treatment_group: str | None = None,
) -> LoadedTable:
    """Read and validate a cohort table; raise :class:`DataValidationError` on any error."""
    raw, notes = read_table_text(path)
    problems = notes + schema.validate_cohort_frame(raw, str(path), reference_group, treatment_group)
    errors = schema.errors_only(problems)
    if errors:
        raise DataValidationError(errors)
    known = [c.name for c in schema.COHORT_COLUMNS if c.name in raw.columns]
    ignored = [c for c in raw.columns if c not in known]
    return LoadedTable(schema.typed_cohort(raw[known]), problems, ignored)


def load_adverse_events(path: str | Path, cohort: pd.DataFrame | None = None) -> LoadedTable:
    """Read and validate an adverse-event table against the cohort's patient ids."""
    raw, notes = read_table_text(path)
    ids = cohort["patient_id"] if cohort is not None else None
    os_months = cohort["os_months"] if cohort is not None else None
    problems = notes + schema.validate_ae_frame(raw, str(path), ids, os_months)
    errors = schema.errors_only(problems)
    if errors:
        raise DataValidationError(errors)
    known = [c.name for c in schema.AE_COLUMNS if c.name in raw.columns]
    ignored = [c for c in raw.columns if c not in known]
    return LoadedTable(schema.typed_ae(raw[known]), problems, ignored)


@dataclass
class StudyData:
    """The cohort and, when given, its adverse events, both validated."""

    cohort: pd.DataFrame
    adverse_events: pd.DataFrame | None
    notes: list[DataProblem]
    ignored_columns: list[str]


def load_study(
    data_path: str | Path,
    ae_path: str | Path | None = None,
    reference_group: str | None = None,
    treatment_group: str | None = None,
) -> StudyData:
    """Load both tables, collecting every error of both before raising."""
    errors: list[DataProblem] = []
    cohort = ae = None
    notes: list[DataProblem] = []
    ignored: list[str] = []
    try:
        loaded = load_cohort(data_path, reference_group, treatment_group)
        cohort, notes, ignored = loaded.frame, loaded.notes, loaded.ignored_columns
    except DataValidationError as err:
        errors.extend(err.problems)
    if ae_path:
        try:
            loaded_ae = load_adverse_events(ae_path, cohort)
            ae = loaded_ae.frame
            notes += loaded_ae.notes
        except DataValidationError as err:
            errors.extend(err.problems)
    if errors:
        raise DataValidationError(errors)
    return StudyData(cohort, ae, notes, ignored)


def arm_role(cohort: pd.DataFrame, reference_group: str, treatment_group: str) -> pd.Series:
    """'reference' / 'treatment' per patient from the group labels."""
    role = cohort["group"].map({reference_group: "reference", treatment_group: "treatment"})
    return role.astype("string")
