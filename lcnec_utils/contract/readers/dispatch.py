"""Open any supported file as a :class:`~lcnec_utils.contract.readers.table.RawTable`, read-only."""

from __future__ import annotations

from pathlib import Path

from lcnec_utils.contract.problems import refuse
from lcnec_utils.contract.readers.detect import DTA, PARQUET, SAV, TEXT, XLSX, sniff_format
from lcnec_utils.contract.readers.parquet import read_parquet_table
from lcnec_utils.contract.readers.spreadsheet import read_xlsx
from lcnec_utils.contract.readers.statistical import read_statistical
from lcnec_utils.contract.readers.table import RawTable
from lcnec_utils.contract.readers.text import read_text_table


def read_table(
    path: str | Path, sheet: str | None = None, id_headers: tuple[str, ...] = ("patient_id",)
) -> RawTable:
    """The file at ``path`` as a table, its format chosen by its content.

    ``sheet`` names the sheet of a workbook (default: the first);
    ``id_headers`` are the names the patient-id column may have, to locate a
    title line above the header. The file is opened read-only and never
    written. Raises :class:`~lcnec_utils.contract.problems.DataValidationError`
    for a file that is missing, empty, or of a format the book does not read.
    """
    path = Path(path)
    file = str(path)
    if not path.exists():
        refuse(file, "file not found")
    if path.is_dir():
        refuse(file, "this is a folder, not a data file")
    with open(path, "rb") as handle:  # read-only: inputs are never modified
        data = handle.read()
    if not data.strip():
        refuse(file, "the file is empty")
    kind = sniff_format(data, path)
    if sheet is not None and kind != XLSX:
        refuse(file, f"a sheet ('{sheet}') was asked for, but this is not an Excel workbook")
    if kind == TEXT:
        return read_text_table(data, path, id_headers)
    if kind == XLSX:
        return read_xlsx(path, sheet, id_headers)
    if kind in (SAV, DTA):
        return read_statistical(path, kind)
    assert kind == PARQUET
    return read_parquet_table(path)
