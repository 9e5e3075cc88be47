"""How the tables read a cohort cell, and the note a row carries about cells it could not use.

Blank or whitespace-only text counts as missing, as an empty CSV cell does; a
row whose column is absent from the data says :data:`NOT_IN_DATA`, one with
missing cells how many.
"""

from __future__ import annotations

import pandas as pd

#: The note of a row whose column is absent from the data.
NOT_IN_DATA = "column not in data"


def blank_as_missing(series: pd.Series) -> pd.Series:
    """The column with blank or whitespace-only text as missing (an empty CSV cell)."""
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        s = series.astype("string").str.strip()
        return s.mask(s == "")
    return series


def as_float(series: pd.Series) -> pd.Series:
    """Float64 with NaN for missing (nullable Int64/string columns included)."""
    return pd.to_numeric(blank_as_missing(series), errors="coerce").astype(float)


def missing_note(k: int) -> str:
    """A row's note on its ``k`` missing cells (empty when none)."""
    return f"{k} missing" if k else ""
