"""Readers of the file formats a cohort arrives in: CSV/TSV text, Excel workbooks, SPSS and Stata files, Parquet.

Each turns a file into a :class:`~lcnec_utils.contract.readers.table.RawTable`
(headers as written, cells as text or as the file's own numbers and dates, notes
made while reading); the format is chosen by the file's content, not its name.
Nothing here applies a contract rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lcnec_utils._lazy import exports

if TYPE_CHECKING:  # the same names, loaded on first use (lcnec starts without pandas)
    from lcnec_utils.contract.readers.detect import (
        DTA,
        FORMAT_NAMES,
        PARQUET,
        SAV,
        TEXT,
        XLSX,
        sniff_format,
    )
    from lcnec_utils.contract.readers.dispatch import (
        read_table,
    )
    from lcnec_utils.contract.readers.parquet import (
        read_parquet_table,
    )
    from lcnec_utils.contract.readers.spreadsheet import (
        read_xlsx,
        sheet_names,
    )
    from lcnec_utils.contract.readers.statistical import (
        read_statistical,
    )
    from lcnec_utils.contract.readers.table import (
        RawTable,
        cell_text,
        date_text,
        is_missing,
        is_typed_number,
        number_text,
    )
    from lcnec_utils.contract.readers.text import (
        check_shape,
        decode_text,
        read_text_table,
        refuse_title_lines,
        repeated_headers,
        sniff_delimiter,
    )

__all__, __getattr__, __dir__ = exports(
    __name__,
    {
        "lcnec_utils.contract.readers.detect": (
            "DTA",
            "FORMAT_NAMES",
            "PARQUET",
            "SAV",
            "TEXT",
            "XLSX",
            "sniff_format",
        ),
        "lcnec_utils.contract.readers.dispatch": ("read_table",),
        "lcnec_utils.contract.readers.parquet": ("read_parquet_table",),
        "lcnec_utils.contract.readers.spreadsheet": ("read_xlsx", "sheet_names"),
        "lcnec_utils.contract.readers.statistical": ("read_statistical",),
        "lcnec_utils.contract.readers.table": (
            "RawTable",
            "cell_text",
            "date_text",
            "is_missing",
            "is_typed_number",
            "number_text",
        ),
        "lcnec_utils.contract.readers.text": (
            "check_shape",
            "decode_text",
            "read_text_table",
            "refuse_title_lines",
            "repeated_headers",
            "sniff_delimiter",
        ),
    },
)
