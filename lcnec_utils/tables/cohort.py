"""The cohort chapter's tables: missing values per column and the data dictionary."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.contract.schema import COHORT_COLUMNS
from lcnec_utils.stats.classical import spss_quartiles
from lcnec_utils.stats.format import format_pct
from lcnec_utils.tables.cells import NOT_IN_DATA, blank_as_missing
from lcnec_utils.tables.summary import object_frame

#: Columns whose values are never printed: the contract's identifiers.
PRIVATE_COLUMNS = frozenset(spec.name for spec in COHORT_COLUMNS if spec.kind == "id")


def _missing_counts(cohort: pd.DataFrame) -> pd.Series:
    """Per column, cells that are empty (NaN/None or blank text), vectorised."""
    out = {}
    for c in cohort.columns:
        out[c] = int(blank_as_missing(cohort[c]).isna().sum())
    return pd.Series(out, dtype="int64")


def missingness_table(
    cohort: pd.DataFrame, expected: Mapping[str, bool] | Iterable[str] | None = None
) -> pd.DataFrame:
    """Per column: ``status`` (``present`` or ``absent``), ``required``,
    ``n_missing``, ``pct_missing`` (proportion in [0, 1]) over all rows.

    ``expected`` are the columns that should be there (a mapping column ->
    required, or a list); by default the data contract's cohort columns
    (:data:`lcnec_utils.contract.schema.COHORT_COLUMNS`). Absent
    columns are listed with ``n_missing`` ``None``; extra columns are listed
    as present and not required. Blank text counts as missing.
    """
    if expected is None:
        expected = {spec.name: spec.required for spec in COHORT_COLUMNS}
    if not isinstance(expected, Mapping):
        expected = {c: False for c in expected}
    n = len(cohort)
    counts = _missing_counts(cohort)
    rows = []
    for c in list(expected) + [c for c in cohort.columns if c not in expected]:
        present = c in cohort.columns
        k = int(counts[c]) if present else None
        rows.append(
            {
                "column": c,
                "status": "present" if present else "absent",
                "required": bool(expected.get(c, False)),
                "n_missing": k,
                "pct_missing": (k / n if n else None) if present else None,
            }
        )
    return object_frame(rows, ["column", "status", "required", "n_missing", "pct_missing"])


def format_missingness(table: pd.DataFrame) -> pd.DataFrame:
    """Printed form of :func:`missingness_table`."""
    return pd.DataFrame(
        {
            "Column": table["column"],
            "Status": table["status"],
            "Required": np.where(table["required"].astype(bool), "yes", "no"),
            "Missing, n (%)": [
                NOT_IN_DATA if s == "absent" else f"{int(k)} ({format_pct(p)})" if p is not None else str(k)
                for s, k, p in zip(table["status"], table["n_missing"], table["pct_missing"])
            ],
        }
    )


def load_data_dictionary(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read ``data/data_dictionary.yaml`` (top-level ``columns:`` mapping)."""
    import yaml

    with open(path, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh) or {}
    return dict(doc.get("columns", doc))


def _column_summary(name: str, s: pd.Series) -> str:
    s = blank_as_missing(s)
    known = s.dropna()
    if name in PRIVATE_COLUMNS:
        return f"{known.nunique()} distinct values (not shown)"
    if known.empty:
        return "no values"
    num = pd.to_numeric(known, errors="coerce")
    if num.notna().all():
        uniq = np.unique(num.to_numpy(float))
        if uniq.size <= 5:
            return "values: " + ", ".join(f"{v:g}" for v in uniq)
        _q1, med, _q3 = spss_quartiles(num.to_numpy(float))
        return f"range {num.min():g}–{num.max():g}; median {med:g}"
    counts = known.astype("string").value_counts()
    if len(counts) <= 10:
        return "levels: " + ", ".join(f"{k} ({v})" for k, v in counts.items())
    return f"{len(counts)} distinct values"


def data_dictionary_summary(cohort: pd.DataFrame, dictionary: Mapping[str, Any] | str | Path) -> pd.DataFrame:
    """The data dictionary joined with the data: per column ``type``,
    ``unit``, ``meaning``, ``required`` (from the dictionary), ``in_data``,
    ``n_missing`` and a short ``summary`` of the values (range and median for
    numbers, levels with counts for categories; identifiers are never shown).

    ``dictionary`` is a mapping column -> {type, meaning, unit, required}, the
    whole YAML document with a top-level ``columns`` mapping, or its path.
    Columns in the data but not in the dictionary are listed with
    ``meaning`` "not in dictionary".
    """
    if isinstance(dictionary, (str, Path)):
        dictionary = load_data_dictionary(dictionary)
    if "columns" in dictionary and isinstance(dictionary["columns"], Mapping):
        dictionary = dictionary["columns"]
    counts = _missing_counts(cohort)
    rows = []
    names = list(dictionary) + [c for c in cohort.columns if c not in dictionary]
    for name in names:
        entry = dictionary.get(name) or {}
        in_data = name in cohort.columns
        rows.append(
            {
                "column": name,
                "type": entry.get("type"),
                "unit": entry.get("unit"),
                "meaning": entry.get("meaning", "not in dictionary" if name not in dictionary else None),
                "required": entry.get("required"),
                "in_data": in_data,
                "n_missing": int(counts[name]) if in_data else None,
                "summary": _column_summary(name, cohort[name]) if in_data else NOT_IN_DATA,
            }
        )
    return object_frame(
        rows, ["column", "type", "unit", "meaning", "required", "in_data", "n_missing", "summary"]
    )
