"""SPSS (.sav, .zsav) and Stata (.dta) files through pyreadstat, with their value labels.

The cells keep the stored codes (SPSS numbers are doubles: 1.0 is the code 1)
and the labels travel beside them (:attr:`RawTable.value_labels`): a mapping
file may recode either the codes or the labels, and a labelled column that the
mapping does not recode is read as its labels (SPSS's "show value labels").
User-missing values (SPSS's MISSING VALUES, Stata's .a-.z) are read as
missing. Date variables arrive as dates (pyreadstat converts SPSS's DATE and
Stata's %td formats).
"""

from __future__ import annotations

from pathlib import Path

from lcnec_utils.contract.problems import refuse
from lcnec_utils.contract.readers.table import RawTable, cell_text, is_missing


def _labels(meta) -> dict[str, dict[str, str]]:
    """Per variable, its value labels with each code as the contract writes it (1.0 -> '1')."""
    labels: dict[str, dict[str, str]] = {}
    for variable, pairs in (meta.variable_value_labels or {}).items():
        labels[str(variable)] = {cell_text(code): str(label) for code, label in pairs.items()}
    return labels


def read_statistical(path: Path, kind: str) -> RawTable:
    """The variables of an SPSS (``kind`` ``"sav"``) or Stata (``"dta"``) file as a table."""
    import pyreadstat

    reader = pyreadstat.read_sav if kind == "sav" else pyreadstat.read_dta
    try:
        frame, meta = reader(str(path), apply_value_formats=False, user_missing=False)
    except pyreadstat.ReadstatError as err:
        name = "an SPSS" if kind == "sav" else "a Stata"
        refuse(str(path), f"the file starts like {name} data file but cannot be read ({err})")
    frame = frame.astype(object).map(lambda v: None if is_missing(v) else v)
    frame.columns = [str(c).strip() for c in frame.columns]
    fmt = "SPSS data file (.sav)" if kind == "sav" else "Stata data file (.dta)"
    details = [f"{len(meta.variable_value_labels or {})} variables with value labels"]
    return RawTable(str(path), frame, fmt, details, value_labels=_labels(meta), typed=True)
