"""Reading a cohort export the way hospitals save them, and refusing what it is not.

Files are opened read-only and read as text first: encoding (UTF-8 with or
without byte-order mark, else Latin-1/cp1252) and delimiter (comma, semicolon
or tab) are detected and reported, then :mod:`lcnec_utils.schema` validates
the text before any number is computed. Columns outside the contract are
dropped on load (their names are reported) so that identifying extras such as
names or dates of birth can never reach a page.
"""

from __future__ import annotations

import csv
import io as _io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import schema
from .schema import DataProblem, DataValidationError

_EXCEL_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


@dataclass
class LoadedTable:
    """A validated table with the notes made while reading it."""

    frame: pd.DataFrame
    notes: list[DataProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def _decode(data: bytes, file: str, notes: list[DataProblem]) -> str:
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
        notes.append(
            DataProblem(file, None, [], f"read as {name}-separated values", severity="warning")
        )
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
    if data.startswith(_EXCEL_MAGIC):
        raise DataValidationError(
            [
                DataProblem(
                    file,
                    None,
                    [],
                    "this is an Excel workbook, not a CSV file; in Excel use "
                    "File > Save As > 'CSV UTF-8 (comma delimited)'",
                )
            ]
        )
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
    delimiter = _sniff_delimiter(text, file, notes)
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
    return frame, notes


def load_cohort(
    path: str | Path,
    reference_group: str | None = None,
    treatment_group: str | None = None,
) -> LoadedTable:
    """Read and validate a cohort table; raise :class:`DataValidationError` on any error."""
    raw, notes = read_table_text(path)
    problems = notes + schema.validate_cohort_frame(
        raw, str(path), reference_group, treatment_group
    )
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
    problems = notes + schema.validate_ae_frame(raw, str(path), ids)
    errors = schema.errors_only(problems)
    if errors:
        raise DataValidationError(errors)
    known = [c.name for c in schema.AE_COLUMNS]
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
