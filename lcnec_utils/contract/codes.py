"""Value codes: a mapping file's recoding (SPSS 1 = Male, events 1 = alive, 2 = dead) and a file's value labels.

A key of the mapping's ``values:`` matches a cell's stored value, or, in an
SPSS or Stata file, the label of that value: ``{1: Male}`` and ``{Male: Male}``
both recode a cell stored as 1 and labelled ``Male``. Keys are compared
without case and surrounding spaces, numbers as the contract writes them
(``1.0`` is ``1``). A cell whose value the mapping does not list is left as it
is, for the contract to accept or refuse.

Without a recoding, the labels of a listed-value or text column are its
values (``sex`` stored 1/2, labelled Male/Female, reads Male/Female). A
number, integer or 0/1 column keeps its codes: labels there describe the
numbers (ECOG 0 = "fully active"), and 0/1 codes are already the contract's.
"""

from __future__ import annotations

import re

import pandas as pd

from lcnec_utils.contract.problems import Coercion
from lcnec_utils.contract.readers.table import cell_text
from lcnec_utils.contract.schema import ColumnSpec

#: Kinds of column whose value labels are their values.
LABELLED_KINDS = ("category", "text", "id")


_ZERO_DECIMALS = re.compile(r"([+-]?\d+)\.0+")


def code_key(value) -> str | None:
    """How a code or a cell is compared: its text without case and surrounding spaces, a whole number
    without its zero decimals (the number 1.0 and the text ``'1.0'`` are both ``'1'``)."""
    text = cell_text(value)
    if text is None:
        return None
    whole = _ZERO_DECIMALS.fullmatch(text)
    return whole.group(1) if whole else " ".join(text.casefold().split())


def _rows(index) -> tuple[int, ...]:
    return tuple(sorted(int(i) + 1 for i in index))


def _recode(
    column: pd.Series, codes: dict[str, str | None], labels: dict[str, str]
) -> tuple[pd.Series, pd.Series]:
    """The cells the mapping lists, recoded (code first, then its label); which cells were."""
    out, hit = [], []
    for value in column:
        stored = cell_text(value)
        key = code_key(stored)
        if key is None:
            out.append(None)
            hit.append(False)
            continue
        label_key = code_key(labels.get(stored)) if stored in labels else None
        if key in codes:
            out.append(codes[key])
            hit.append(True)
        elif label_key is not None and label_key in codes:
            out.append(codes[label_key])
            hit.append(True)
        else:
            out.append(value)
            hit.append(False)
    return pd.Series(out, index=column.index, dtype=object), pd.Series(hit, index=column.index)


def apply_codes(
    frame: pd.DataFrame,
    specs: dict[str, ColumnSpec],
    values: dict[str, dict[str, str | None]],
    labels: dict[str, dict[str, str]],
    file: str,
) -> tuple[pd.DataFrame, list[Coercion]]:
    """``frame`` (contract names) with the mapping's ``values`` recoded and the value ``labels`` of
    listed-value and text columns applied; a record per column changed."""
    out = frame.copy()
    records = []
    for name in frame.columns:
        column_labels = labels.get(name, {})
        if name in values:
            out[name], hit = _recode(frame[name], values[name], column_labels)
            if hit.any():
                records.append(
                    Coercion(file, name, "codes recoded by the mapping file", _rows(frame.index[hit]))
                )
            continue
        if column_labels and specs[name].kind in LABELLED_KINDS:
            stored = frame[name].map(cell_text)
            hit = stored.isin(list(column_labels))
            out[name] = frame[name].mask(hit, stored[hit].map(column_labels))
            if hit.any():
                records.append(
                    Coercion(file, name, "codes read as their value labels", _rows(frame.index[hit]))
                )
    return out, records
