"""A file read as a table, before any rule of the contract: :class:`RawTable`, and the text of a cell."""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from numbers import Integral, Real

import pandas as pd

from lcnec_utils.contract.problems import DataProblem


@dataclass
class RawTable:
    """The cells of a file under its header, as written.

    ``frame`` has the headers as written (spaces around them stripped) and
    object cells: text for a text file; the file's own numbers, dates and text
    for a typed format (``typed``: Excel, SPSS, Stata, Parquet). Its index is
    the data row counted from 0, so row ``i`` is row ``i + 1`` in a message.
    ``value_labels`` holds the SPSS/Stata labels per column (code as text ->
    label); the cells keep the codes. ``notes`` are the warnings made while
    reading (encoding, separator).
    """

    file: str
    frame: pd.DataFrame
    format: str
    details: list[str] = field(default_factory=list)
    notes: list[DataProblem] = field(default_factory=list)
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    typed: bool = False

    def describe(self) -> str:
        """The format and how it was read, e.g. ``CSV text (semicolon-separated, UTF-8)``."""
        return self.format + (f" ({', '.join(self.details)})" if self.details else "")


def is_missing(value) -> bool:
    """True for an empty cell: None, NaN, NaT, pd.NA or blank text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Real) and not isinstance(value, Integral):
        return math.isnan(float(value))
    return False


def number_text(value: Real) -> str:
    """A number as the contract writes it: whole numbers without decimals (3010, not 3010.0),
    others in the shortest form that reads back as the same double (``repr``)."""
    if isinstance(value, Integral):
        return str(int(value))
    number = float(value)
    if math.isfinite(number) and number.is_integer():
        return str(int(number))
    return repr(number)


def date_text(value: _dt.date) -> str:
    """A date or timestamp as ISO 8601 text; the time only when it is not midnight."""
    if isinstance(value, _dt.datetime):
        stamp = pd.Timestamp(value)
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
    return value.isoformat()


def cell_text(value) -> str | None:
    """The text of one cell: None when it is empty; numbers and dates of a typed format in the
    contract's notation (:func:`number_text`, :func:`date_text`); booleans as 1 and 0."""
    if is_missing(value):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "1" if value else "0"
    if isinstance(value, Real):
        return number_text(value)
    if isinstance(value, _dt.date):
        return date_text(value)
    return str(value).strip()


def is_typed_number(value) -> bool:
    """True for a number cell of a typed format (not text, not a boolean)."""
    return isinstance(value, Real) and not isinstance(value, bool) and type(value).__name__ != "bool_"
