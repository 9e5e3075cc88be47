"""Table 2: baseline characteristics by arm, with the paper's tests.

Categorical rows by Fisher's exact test (Fisher-Freeman-Halton for more than
two levels), age by Student's t-test, laboratory values by SPSS's Mann-Whitney
p with SPSS's quartiles (:mod:`lcnec_utils.stats.classical`). Of the two
t-test variants only Student's is consistent with the paper: with integer
ages the printed summaries (70.4 ± 7.01, n=14; 64.1 ± 8.63, n=17; total
66.9 ± 8.45) pin the means to 986/14 and 1089/17, for which Student's p is
0.034 and Welch's 0.031.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.contract.params import Parameters
from lcnec_utils.contract.results_keys import slug
from lcnec_utils.stats.classical import (
    fisher_freeman_halton_p,
    fisher_p,
    mann_whitney_p,
    spss_quartiles,
    student_t_p,
)
from lcnec_utils.stats.format import format_mean_sd, format_median_iqr, format_n_pct, format_p
from lcnec_utils.tables.arms import ARMS, PRINT_ORDER, Arms, split_arms
from lcnec_utils.tables.cells import NOT_IN_DATA, as_float, blank_as_missing, missing_note
from lcnec_utils.tables.summary import SummaryTable, TableRows


def _is_one(s: pd.Series) -> pd.Series:
    return as_float(s) == 1


#: (row key, label, section, column, indicator on the non-missing values, p key)
_BINARY_ROWS: list[tuple[str, str, str, str, Callable[[pd.Series], pd.Series], str]] = [
    ("age_ge65", "Age ≥65, n (%)", "", "age", lambda s: as_float(s) >= 65, "age_ge65"),
    (
        "sex_male",
        "Sex, male, n (%)",
        "",
        "sex",
        lambda s: blank_as_missing(s).astype("string").str.lower() == "male",
        "sex",
    ),
    ("ecog_0_1", "ECOG PS 0–1 (vs ≥2), n (%)", "", "ecog", lambda s: as_float(s) <= 1, "ecog"),
    ("smoking", "Smoking history, n (%)", "", "smoking", _is_one, "smoking"),
]


_MET_ROWS = [
    ("met_bone", "Bone"),
    ("met_liver", "Liver"),
    ("met_brain", "Brain"),
    ("met_adrenal", "Adrenal"),
    ("met_pleura", "Pleura"),
    ("met_intrapulmonary", "Intrapulmonary"),
    ("met_other", "Other"),
]


#: Regimen levels printed even when absent from the data (Table 2).
STANDARD_REGIMENS = ("EP/EC/EL", "IP", "TP")


#: (column, label, unit)
LAB_ROWS = [
    ("ldh", "LDH", "IU/L"),
    ("sodium", "Serum sodium", "mmol/L"),
    ("cea", "CEA", "ng/mL"),
    ("progrp", "ProGRP", "pg/mL"),
    ("nse", "NSE", "ng/mL"),
]


SECTION_METS = "Metastatic sites, n (%)"


SECTION_REGIMEN = "Chemotherapy regimen, n (%)"


SECTION_LABS = "Laboratory values, median (Q1–Q3)"


_COLUMNS = ["key", "label", "section", "kind", *ARMS, "p", "test", "n_missing", "note"]


def baseline_table(cohort: pd.DataFrame, params: Parameters) -> SummaryTable:
    """Table 2: baseline characteristics by arm, with the paper's tests.

    Rows: age (mean ± SD; Student's pooled-variance t-test), age ≥65, male
    sex, ECOG 0–1 vs ≥2, smoking, each metastatic site, each chemotherapy
    regimen level against the rest (the paper's three levels always, others
    as they appear; the regimen as a whole by the Fisher-Freeman-Halton test,
    ``baseline.chemo_regimen.p``), thoracic radiotherapy (n (%) of the patients with a known
    value; Fisher's exact two-sided test), and LDH, sodium, CEA, ProGRP, NSE
    (median (Q1–Q3), SPSS/Hyndman-Fan type 6 quartiles; Mann-Whitney U,
    asymptotic with tie correction, no continuity correction = SPSS "Asymp.
    Sig."). Percentages use the patients with a known value as denominator;
    ``n_missing`` counts the others. See the module docstring for references.
    """
    arms = split_arms(cohort, params)
    rows = TableRows()
    _age_row(arms, rows)
    for key, label, section, column, fn, p_key in _BINARY_ROWS:
        _binary_row(arms, rows, key, label, section, _indicator(arms.frame, column, fn), p_key)
    for column, label in _MET_ROWS:
        _binary_row(arms, rows, column, label, SECTION_METS, _indicator(arms.frame, column, _is_one), column)
    _regimen_rows(arms, rows)
    _binary_row(
        arms,
        rows,
        "thoracic_rt",
        "Thoracic radiotherapy, n (%)",
        "",
        _indicator(arms.frame, "thoracic_rt", _is_one),
        "thoracic_rt",
    )
    for column, label, unit in LAB_ROWS:
        _lab_row(arms, rows, column, f"{label} ({unit})")
    return rows.summary_table(
        _COLUMNS, arms, params, arms.notes, "Baseline characteristics", _format_baseline
    )


def _data_row(
    key: str,
    label: str,
    section: str,
    kind: str,
    values: dict[str, Any] | None,
    p: float | None,
    test: str,
    n_missing: int | None,
) -> dict[str, Any]:
    """A ``data`` row: ``values`` per arm (None: no number on this row); ``n_missing`` None for a
    column absent from the data, which the note says."""
    return {
        "key": key,
        "label": label,
        "section": section,
        "kind": kind,
        **(values or dict.fromkeys(ARMS)),
        "p": p,
        "test": test,
        "n_missing": n_missing,
        "note": NOT_IN_DATA if n_missing is None else missing_note(n_missing),
    }


def _indicator(df: pd.DataFrame, column: str, fn: Callable[[pd.Series], pd.Series]) -> pd.Series | None:
    """A yes/no indicator of ``column`` (missing where the cell is), or None if the column is absent."""
    if column not in df.columns:
        return None
    raw = blank_as_missing(df[column])
    return fn(raw).astype("boolean").mask(raw.isna())


def _age_row(arms: Arms, rows: TableRows) -> None:
    """Age, mean ± SD per arm, and Student's pooled-variance t-test."""
    label = "Age (years), mean ± SD"
    if "age" not in arms.frame.columns:
        for arm in ARMS:
            rows.add_stats("age", arm)
            rows.results[f"baseline.age.mean.{arm}"] = None
            rows.results[f"baseline.age.sd.{arm}"] = None
        rows.data.append(_data_row("age", label, "", "mean_sd", None, None, "Student t", None))
        rows.results["baseline.age.p"] = None
        return
    age = as_float(arms.frame["age"]).to_numpy(float)
    known = ~np.isnan(age)
    means = {}
    for arm in ARMS:
        x = age[arms.masks[arm] & known]
        mean = float(x.mean()) if x.size else None
        sd = float(x.std(ddof=1)) if x.size > 1 else None
        means[arm] = mean
        rows.add_stats("age", arm, n=int(x.size), mean=mean, sd=sd)
        rows.results[f"baseline.age.mean.{arm}"] = mean
        rows.results[f"baseline.age.sd.{arm}"] = sd
    p = student_t_p(age[arms.masks["treatment"]], age[arms.masks["reference"]])
    rows.data.append(_data_row("age", label, "", "mean_sd", means, p, "Student t", int((~known).sum())))
    rows.results["baseline.age.p"] = p


def _binary_row(
    arms: Arms,
    rows: TableRows,
    key: str,
    label: str,
    section: str,
    indicator: pd.Series | None,
    p_key: str | None,
) -> None:
    """Counts per arm of a yes/no indicator (NaN = missing) and Fisher's p."""
    if indicator is None:
        for arm in ARMS:
            rows.add_stats(key, arm)
            rows.results[f"baseline.{key}.n.{arm}"] = None
            rows.results[f"baseline.{key}.pct.{arm}"] = None
        if p_key:
            rows.results[f"baseline.{p_key}.p"] = None
        rows.data.append(_data_row(key, label, section, "n_pct", None, None, "Fisher exact", None))
        return
    known = indicator.notna().to_numpy()
    yes = indicator.fillna(False).to_numpy(bool) & known
    counts, denoms = {}, {}
    for arm in ARMS:
        m = arms.masks[arm]
        counts[arm] = int((yes & m).sum())
        denoms[arm] = int((known & m).sum())
        pct = counts[arm] / denoms[arm] if denoms[arm] else None
        rows.add_stats(key, arm, n=counts[arm], denominator=denoms[arm], pct=pct)
        rows.results[f"baseline.{key}.n.{arm}"] = counts[arm]
        rows.results[f"baseline.{key}.pct.{arm}"] = pct
    p = fisher_p(counts["treatment"], denoms["treatment"], counts["reference"], denoms["reference"])
    if p_key:
        rows.results[f"baseline.{p_key}.p"] = p
    rows.data.append(_data_row(key, label, section, "n_pct", counts, p, "Fisher exact", int((~known).sum())))


def _regimen_rows(arms: Arms, rows: TableRows) -> None:
    """The regimen's header row with the Fisher-Freeman-Halton test, then each level against the rest."""
    if "chemo_regimen" not in arms.frame.columns:
        rows.results["baseline.chemo_regimen.p"] = None
        rows.data.append(
            _data_row(
                "chemo_regimen", SECTION_REGIMEN, "", "section", None, None, "Fisher-Freeman-Halton", None
            )
        )
        for level in STANDARD_REGIMENS:
            key = f"chemo_regimen_{slug(level)}"
            _binary_row(arms, rows, key, level, SECTION_REGIMEN, None, key)
        return
    reg = blank_as_missing(arms.frame["chemo_regimen"]).astype("string")
    counts = reg.value_counts()
    extra = [lvl for lvl in counts.index if lvl not in STANDARD_REGIMENS]
    levels = [*STANDARD_REGIMENS, *extra]
    by_level = {lvl: (reg == lvl).fillna(False).to_numpy(bool) for lvl in levels}
    p_all, test_all = fisher_freeman_halton_p(
        [int((by_level[lvl] & arms.masks["treatment"]).sum()) for lvl in levels],
        [int((by_level[lvl] & arms.masks["reference"]).sum()) for lvl in levels],
    )
    rows.results["baseline.chemo_regimen.p"] = p_all
    n_missing = int((~reg.notna().to_numpy()).sum())
    rows.data.append(
        _data_row("chemo_regimen", SECTION_REGIMEN, "", "section", None, p_all, test_all, n_missing)
    )
    for level in levels:
        key = f"chemo_regimen_{slug(level)}"
        _binary_row(arms, rows, key, level, SECTION_REGIMEN, (reg == level).mask(reg.isna()), key)


def _lab_row(arms: Arms, rows: TableRows, column: str, label: str) -> None:
    """A laboratory value: median (Q1–Q3) per arm by SPSS's quartiles, and the Mann-Whitney p."""
    if column not in arms.frame.columns:
        for arm in ARMS:
            rows.add_stats(column, arm)
            for s in ("median", "q1", "q3"):
                rows.results[f"baseline.{column}.{s}.{arm}"] = None
        rows.results[f"baseline.{column}.p"] = None
        rows.data.append(
            _data_row(column, label, SECTION_LABS, "median_iqr", None, None, "Mann-Whitney U", None)
        )
        return
    x = as_float(arms.frame[column]).to_numpy(float)
    known = ~np.isnan(x)
    medians = {}
    for arm in ARMS:
        v = x[arms.masks[arm] & known]
        q1, med, q3 = spss_quartiles(v)
        medians[arm] = med
        rows.add_stats(column, arm, n=int(v.size), median=med, q1=q1, q3=q3)
        rows.results[f"baseline.{column}.median.{arm}"] = med
        rows.results[f"baseline.{column}.q1.{arm}"] = q1
        rows.results[f"baseline.{column}.q3.{arm}"] = q3
    p = mann_whitney_p(x[arms.masks["treatment"]], x[arms.masks["reference"]])
    rows.results[f"baseline.{column}.p"] = p
    rows.data.append(
        _data_row(
            column, label, SECTION_LABS, "median_iqr", medians, p, "Mann-Whitney U", int((~known).sum())
        )
    )


def _format_cell(table: SummaryTable, key: str, kind: str, arm: str, note: str) -> str:
    if note == NOT_IN_DATA:
        return ""
    s = table.stats[(table.stats["key"] == key) & (table.stats["arm"] == arm)].iloc[0]
    if kind == "mean_sd":
        return format_mean_sd(s["mean"], s["sd"])
    if kind == "median_iqr":
        return format_median_iqr(s["median"], s["q1"], s["q3"])
    return format_n_pct(s["n"], s["denominator"])


def _format_baseline(table: SummaryTable) -> pd.DataFrame:
    headers = {arm: table.column_header(arm) for arm in PRINT_ORDER}
    out = []
    seen_sections = set()
    for row in table.data.itertuples(index=False):
        if row.kind == "section":  # a whole-variable test printed on its header row
            seen_sections.add(row.label)
            out.append(
                {
                    "Characteristic": row.label,
                    **{headers[a]: "" for a in PRINT_ORDER},
                    "p": "" if row.note == NOT_IN_DATA else format_p(row.p),
                    "Test": row.test,
                    "Note": row.note or "",
                }
            )
            continue
        if row.section and row.section not in seen_sections:
            seen_sections.add(row.section)
            out.append(
                {
                    "Characteristic": row.section,
                    **{headers[a]: "" for a in PRINT_ORDER},
                    "p": "",
                    "Test": "",
                    "Note": "",
                }
            )
        label = f"– {row.label}" if row.section else row.label
        cells = {headers[a]: _format_cell(table, row.key, row.kind, a, row.note or "") for a in PRINT_ORDER}
        p_text = "" if row.note == NOT_IN_DATA else format_p(row.p)
        out.append({"Characteristic": label, **cells, "p": p_text, "Test": row.test, "Note": row.note or ""})
    return pd.DataFrame(out)
