"""CSV and TSV text: encoding and delimiter detected, the shape of the table checked, cells kept as text.

Encoding: UTF-8 with or without a byte-order mark, UTF-16 with one (Excel's
"Unicode Text"), else Windows-1252/Latin-1 (with a note). Delimiter: comma,
semicolon or tab, whichever the header line holds most of (semicolon and tab
with a note). Refused with the fix: JSON, HTML or XML, a title line above the
header, a column named twice, rows with more or fewer cells than the header.
The numbers' decimal mark is decided later, per file, from the number columns
(:mod:`lcnec_utils.contract.numbers`).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from lcnec_utils.contract.problems import DataProblem, DataValidationError, refuse
from lcnec_utils.contract.readers.table import RawTable

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


def _note(file: str, message: str) -> DataProblem:
    return DataProblem(file, None, [], message, severity="warning")


def decode_text(data: bytes, file: str, notes: list[DataProblem]) -> tuple[str, str]:
    """The text of a file and the name of its encoding (a note when it is not UTF-8)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            refuse(
                file,
                "the file starts like UTF-16 text but cannot be decoded; save it as 'CSV UTF-8 (comma delimited)'",
            )
        notes.append(_note(file, "read as UTF-16 text (save as 'CSV UTF-8' to silence this note)"))
        return text, "UTF-16"
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        notes.append(
            _note(
                file,
                "the file is not UTF-8; read it as Windows-1252/Latin-1 text "
                "(save as 'CSV UTF-8' to silence this note)",
            )
        )
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: the one the header line holds most of (comma when none)."""
    header = text.splitlines()[0] if text else ""
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=counts.get)
    return delimiter if counts[delimiter] else ","


def _refuse_markup(text: str, file: str) -> None:
    start = text.lstrip()[:1]
    if start in ("{", "["):
        refuse(file, "this looks like JSON, not CSV; export one row per patient with a header row")
    if start == "<":
        refuse(file, "this looks like an HTML or XML page, not CSV; export the table as CSV (UTF-8)")


def _normal(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.casefold())


def refuse_title_lines(lines: list[str], file: str, id_headers: tuple[str, ...]) -> None:
    """Refuse a title or comment line above the header: the header, the line naming the patient id
    column (``patient_id`` or its name in the mapping), must be the first line."""
    wanted = {_normal(h) for h in id_headers}

    def names_id(line: str) -> bool:
        return any(_normal(cell) in wanted for cell in re.split(r"[,;\t]", line))

    if not lines or names_id(lines[0]):
        return
    for number, line in enumerate(lines[1:20], start=2):
        if names_id(line):
            refuse(
                file,
                f"the header row (with '{id_headers[0]}') is line {number} of the file; delete the "
                f"{number - 1} line{'s' if number > 2 else ''} above it so that the header is the first line",
            )


def check_shape(text: str, delimiter: str, file: str) -> None:
    """Refuse repeated column names and rows whose cell count differs from the header's.

    pandas would silently rename a repeated ``os_months`` to ``os_months.1``
    and pad a short row with empty cells; both hide a broken export.
    """
    records = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if r]
    if not records:
        return
    header = [c.strip() for c in records[0]]
    problems = repeated_headers(header, file)
    width = len(header)
    bad = [i for i, r in enumerate(records[1:], start=1) if len(r) != width]
    if bad:
        counts = sorted({len(records[i]) for i in bad})
        shown = "tab" if delimiter == "\t" else delimiter
        problems.append(
            DataProblem(
                file,
                None,
                bad,
                f"these rows have {' or '.join(map(str, counts))} cells but the header has {width}; "
                f"a cell probably contains the separator '{shown}' without quotes, or the row was cut off: "
                "quote such cells or re-export the table",
            )
        )
    if problems:
        raise DataValidationError(problems)


def repeated_headers(header: list[str], file: str) -> list[DataProblem]:
    """A problem per column name the header holds more than once, with its positions (from 1)."""
    problems = []
    for name in sorted({c for c in header if c and header.count(c) > 1}):
        positions = [str(i + 1) for i, c in enumerate(header) if c == name]
        problems.append(
            DataProblem(
                file,
                name,
                [],
                f"the header names this column more than once (positions {', '.join(positions)}); "
                "keep one and delete or rename the others",
            )
        )
    return problems


def read_text_table(data: bytes, path: Path, id_headers: tuple[str, ...] = ("patient_id",)) -> RawTable:
    """A CSV or TSV file's cells as text under its header (spaces around cells stripped, empty
    cells as None); raises :class:`DataValidationError` when the text cannot be one table."""
    file = str(path)
    notes: list[DataProblem] = []
    text, encoding = decode_text(data, file, notes)
    _refuse_markup(text, file)
    refuse_title_lines(text.splitlines()[:20], file, id_headers)
    delimiter = sniff_delimiter(text)
    if delimiter != ",":
        notes.append(_note(file, f"read as {_DELIMITER_NAMES[delimiter]}-separated values"))
    check_shape(text, delimiter, file)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        refuse(file, f"not a readable CSV table ({str(err).strip()})")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.apply(lambda s: s.str.strip()).astype(object)
    frame = frame.where(frame != "", None)
    details = [f"{_DELIMITER_NAMES[delimiter]}-separated", encoding]
    return RawTable(file, frame, "CSV text", details, notes)
