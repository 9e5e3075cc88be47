"""Which format a file is, from its first bytes (its name is only a fallback), and the formats refused.

Read: text (CSV, TSV), Excel workbooks (.xlsx, a zip holding ``xl/``), SPSS
system files (``$FL2``, ``$FL3``), Stata files (``<stata_dta>`` from Stata 13 on,
the byte signature of formats 113-115 before), Parquet (``PAR1``). Refused
with the way to export a readable file: Excel 97-2003 workbooks (.xls),
OpenDocument spreadsheets, other zip archives, gzip, PDF and other binary files.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lcnec_utils.contract.problems import refuse

TEXT, XLSX, SAV, DTA, PARQUET = "text", "xlsx", "sav", "dta", "parquet"

_SAVE_AS = "save it as .xlsx or as 'CSV UTF-8 (comma delimited)'"


def _zip_format(data: bytes, file: str) -> str:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        names = []
    if any(n.startswith("xl/") for n in names):
        return XLSX
    if "content.xml" in names:
        refuse(
            file,
            "this is an OpenDocument spreadsheet (.ods), which the book does not read; "
            "in LibreOffice use File > Save As > 'Excel 2007-365 (.xlsx)' or 'Text CSV'",
        )
    refuse(file, "this is a zip archive, not a table; unpack it and give the file inside")
    return ""  # not reached


def _is_old_stata(data: bytes) -> bool:
    """Stata formats 113-115 (Stata 8-12): release byte, byte order 1 or 2, file type 1."""
    return len(data) > 4 and data[0] in (113, 114, 115) and data[1] in (1, 2) and data[2] == 1


def sniff_format(data: bytes, path: Path) -> str:
    """The format of a file's bytes (``TEXT``, ``XLSX``, ``SAV``, ``DTA``, ``PARQUET``); raises
    :class:`~lcnec_utils.contract.problems.DataValidationError` for a format the book refuses."""
    file = str(path)
    if data.startswith(b"PK\x03\x04"):
        return _zip_format(data, file)
    if data.startswith((b"$FL2", b"$FL3")):
        return SAV
    if data.startswith(b"<stata_dta>") or _is_old_stata(data):
        return DTA
    if data.startswith(b"PAR1") and data.endswith(b"PAR1"):
        return PARQUET
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        refuse(file, f"this is an Excel 97-2003 workbook (.xls), which the book does not read; {_SAVE_AS}")
    if data.startswith(b"\x1f\x8b"):
        refuse(file, "this file is gzip-compressed; decompress it (gunzip) and give the file inside")
    if data.startswith(b"%PDF"):
        refuse(file, "this is a PDF document, not a table; export the table as CSV or .xlsx from its source")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        refuse(
            file,
            "this is a binary file of a format the book does not read; export the table as CSV (UTF-8), "
            ".xlsx, SPSS .sav, Stata .dta or Parquet",
        )
    return TEXT


#: What a user calls each format, for messages and the intake page.
FORMAT_NAMES = {
    TEXT: "CSV text",
    XLSX: "Excel workbook (.xlsx)",
    SAV: "SPSS data file (.sav)",
    DTA: "Stata data file (.dta)",
    PARQUET: "Parquet file",
}
