"""Excel workbooks (.xlsx) through ``pandas.read_excel`` (openpyxl): the first sheet or the one named.

The first row of the sheet is the header. Number cells arrive as numbers and
date cells as dates (Excel stores both as numbers; openpyxl applies the
cell's format), text cells as text. Columns without a header and without any
value (formatting Excel carries to the right of a table) are dropped; a
header named twice or a title row above the header is refused.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lcnec_utils.contract.problems import DataValidationError, refuse
from lcnec_utils.contract.readers.table import RawTable, cell_text, is_missing
from lcnec_utils.contract.readers.text import refuse_title_lines, repeated_headers


def sheet_names(path: Path) -> list[str]:
    """The names of a workbook's sheets, in their order."""
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            return [str(name) for name in book.sheet_names]
    except Exception as err:  # openpyxl raises KeyError, ValueError, zipfile and XML errors alike
        refuse(
            str(path),
            f"the file is an Excel workbook (.xlsx) that cannot be read ({type(err).__name__}); open it in "
            "Excel and save it again, or save the sheet as 'CSV UTF-8 (comma delimited)'",
        )
        return []  # not reached


def _choose_sheet(path: Path, sheet: str | None) -> tuple[str, list[str]]:
    names = sheet_names(path)
    if not names:
        refuse(str(path), "the workbook has no sheet")
    if sheet is None:
        return names[0], names
    if sheet in names:
        return sheet, names
    folded = {n.casefold().strip(): n for n in names}
    if sheet.casefold().strip() in folded:
        return folded[sheet.casefold().strip()], names
    refuse(
        str(path),
        f"the workbook has no sheet '{sheet}'; its sheets are "
        + ", ".join(f"'{n}'" for n in names)
        + " (give one with --sheet NAME or `sheet:` in the mapping file)",
    )
    return "", names  # not reached


def read_xlsx(
    path: Path, sheet: str | None = None, id_headers: tuple[str, ...] = ("patient_id",)
) -> RawTable:
    """The cells of one sheet under its first row; numbers and dates as the workbook stores them."""
    file = str(path)
    chosen, names = _choose_sheet(path, sheet)
    grid = pd.read_excel(path, sheet_name=chosen, header=None, dtype=object, engine="openpyxl")
    grid = grid.dropna(how="all", axis=1)
    if grid.empty:
        refuse(file, f"the sheet '{chosen}' is empty")
    refuse_title_lines(
        [",".join(cell_text(v) or "" for v in row) for row in grid.head(20).itertuples(index=False)],
        file,
        id_headers,
    )
    header = [cell_text(v) or "" for v in grid.iloc[0]]
    problems = repeated_headers(header, file)
    if problems:
        raise DataValidationError(problems)
    body = grid.iloc[1:].reset_index(drop=True)
    body.columns = [h or f"(column {i + 1} without a header)" for i, h in enumerate(header)]
    body = body.astype(object).map(lambda v: None if is_missing(v) else v)
    details = [f"sheet '{chosen}'" + (f" of {len(names)}" if len(names) > 1 else "")]
    return RawTable(file, body, "Excel workbook (.xlsx)", details, typed=True)
