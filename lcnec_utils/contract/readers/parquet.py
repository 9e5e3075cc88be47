"""Parquet files through pyarrow: numbers, dates and text as the file types them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lcnec_utils.contract.problems import refuse
from lcnec_utils.contract.readers.table import RawTable, is_missing


def read_parquet_table(path: Path) -> RawTable:
    """The columns of a Parquet file as a table (categorical columns as their categories' text)."""
    import pyarrow

    try:
        frame = pd.read_parquet(path, engine="pyarrow")
    except (pyarrow.ArrowException, OSError) as err:
        refuse(str(path), f"the file starts like Parquet but cannot be read ({err})")
    frame = frame.reset_index(drop=True).astype(object).map(lambda v: None if is_missing(v) else v)
    frame.columns = [str(c).strip() for c in frame.columns]
    return RawTable(str(path), frame, "Parquet file", typed=True)
