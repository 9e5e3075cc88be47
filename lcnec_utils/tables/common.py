"""What every table of the paper shares: arms by role, the table-as-data object, cleaning of cells.

Every table is data first: a ``pandas.DataFrame`` of numbers (``.data``, one
row per table row; ``.stats``, every statistic per row and arm in long form),
the dotted results keys (``.results()``), and only last the printed form
(``.formatted()``, ``.style()``). Arms are named by role (``reference``,
``treatment``; ``total`` is both arms together); their labels come from
:class:`lcnec_utils.contract.Parameters`. An optional column that is absent,
or partly missing, never stops a table: the row says so in its ``note`` and
any number that cannot be computed is ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.contract.params import Parameters
from lcnec_utils.tables.style import HTMLTable, style_table

ARMS = ("total", "reference", "treatment")


ROLES = ("reference", "treatment")


#: Column order of the printed tables: the paper's (total, treatment, reference).
PRINT_ORDER = ("total", "treatment", "reference")


NOT_IN_DATA = "column not in data"


#: The cohort columns of the data contract (``docs/spec/data-contract.md``),
#: required flag; used to list absent columns in :func:`missingness_table`.
CONTRACT_COLUMNS: dict[str, bool] = {
    "patient_id": True,
    "group": True,
    "os_months": True,
    "os_event": True,
    "pfs_months": False,
    "pfs_event": False,
    "age": False,
    "sex": False,
    "ecog": False,
    "smoking": False,
    "met_bone": False,
    "met_liver": False,
    "met_brain": False,
    "met_adrenal": False,
    "met_pleura": False,
    "met_intrapulmonary": False,
    "met_other": False,
    "chemo_regimen": False,
    "thoracic_rt": False,
    "ldh": False,
    "sodium": False,
    "cea": False,
    "progrp": False,
    "nse": False,
    "best_response": False,
    "ici_class": False,
    "ongoing_treatment": False,
}


#: Columns whose values are never printed (pseudonymous identifiers).
PRIVATE_COLUMNS = frozenset({"patient_id"})


def _clean(series: pd.Series) -> pd.Series:
    """Blank or whitespace-only text counts as missing (an empty CSV cell)."""
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        s = series.astype("string").str.strip()
        return s.mask(s == "")
    return series


def _numeric(series: pd.Series) -> pd.Series:
    """Float64 with NaN for missing (nullable Int64/string columns included)."""
    return pd.to_numeric(_clean(series), errors="coerce").astype(float)


def arm_labels(params: Parameters) -> dict[str, str]:
    return {"total": "Total", "reference": params.reference_group, "treatment": params.treatment_group}


@dataclass
class _Arms:
    """Boolean masks of the two arms over the analysed rows."""

    frame: pd.DataFrame
    masks: dict[str, np.ndarray]
    n: dict[str, int]
    notes: list[str]


def _split_arms(cohort: pd.DataFrame, params: Parameters) -> _Arms:
    if "group" not in cohort.columns:
        raise KeyError("cohort has no 'group' column (required by the data contract)")
    group = _clean(cohort["group"]).astype("string")
    ref = (group == str(params.reference_group)).fillna(False).to_numpy(bool)
    trt = (group == str(params.treatment_group)).fillna(False).to_numpy(bool)
    notes = []
    other = int((~(ref | trt)).sum())
    if other:
        notes.append(
            f"{other} row(s) with a group other than '{params.reference_group}' or "
            f"'{params.treatment_group}' left out."
        )
    keep = ref | trt
    frame = cohort.loc[keep]
    masks = {"reference": ref[keep], "treatment": trt[keep]}
    masks["total"] = np.ones(int(keep.sum()), dtype=bool)
    n = {arm: int(m.sum()) for arm, m in masks.items()}
    return _Arms(frame, masks, n, notes)


def _missing_note(k: int) -> str:
    return f"{k} missing" if k else ""


def _frame(rows: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """Object DataFrame that keeps integers as integers and gaps as ``None``."""
    out = pd.DataFrame(rows, columns=list(columns), dtype=object)
    return out.where(out.notna(), None) if len(out) else out


def _none(x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, (float, np.floating)) and not np.isfinite(x):
        return None
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    return x


@dataclass
class SummaryTable:
    """A table as data: ``data`` (one row per table row: ``key``, ``label``,
    ``section``, ``kind``, the headline number per arm in ``total``,
    ``reference``, ``treatment`` -- a count for ``n_pct``/``rate`` rows, the
    mean for ``mean_sd``, the median for ``median_iqr`` --, ``p``, ``test``,
    ``n_missing``, ``note``); ``stats`` (long form: ``key``, ``arm`` and every
    statistic); ``labels`` and ``n`` per arm; table-level ``notes``."""

    data: pd.DataFrame
    stats: pd.DataFrame
    labels: dict[str, str]
    n: dict[str, int]
    notes: list[str] = field(default_factory=list)
    title: str = ""
    _results: dict[str, Any] = field(default_factory=dict, repr=False)
    _formatter: Callable[[SummaryTable], pd.DataFrame] | None = field(default=None, repr=False)

    def results(self) -> dict[str, Any]:
        """The table's results keys (``docs/CONVENTIONS.md``); ``None`` where
        the number cannot be computed."""
        return {k: _none(v) for k, v in self._results.items()}

    def stat(self, key: str, arm: str, name: str) -> Any:
        row = self.stats[(self.stats["key"] == key) & (self.stats["arm"] == arm)]
        return None if row.empty else _none(row.iloc[0][name])

    def column_header(self, arm: str) -> str:
        return f"{self.labels[arm]} (n={self.n[arm]})"

    def formatted(self) -> pd.DataFrame:
        """The printed table: strings only, arms in the paper's order."""
        if self._formatter is None:
            raise NotImplementedError
        return self._formatter(self)

    def style(self) -> HTMLTable:
        return style_table(self.formatted(), caption=self.title or None, notes=self.notes)

    def _repr_html_(self) -> str:
        return self.style().to_html()


def _empty_stats_row(key: str, arm: str) -> dict[str, Any]:
    return {
        "key": key,
        "arm": arm,
        "n": None,
        "denominator": None,
        "pct": None,
        "mean": None,
        "sd": None,
        "median": None,
        "q1": None,
        "q3": None,
        "ci_low": None,
        "ci_high": None,
    }


def _stats_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    cols = ["key", "arm", "n", "denominator", "pct", "mean", "sd", "median", "q1", "q3", "ci_low", "ci_high"]
    return _frame(rows, cols)
