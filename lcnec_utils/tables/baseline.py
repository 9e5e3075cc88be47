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
from lcnec_utils.tables.common import (
    ARMS,
    NOT_IN_DATA,
    PRINT_ORDER,
    SummaryTable,
    _Arms,
    _clean,
    _empty_stats_row,
    _frame,
    _missing_note,
    _numeric,
    _split_arms,
    _stats_frame,
    arm_labels,
)

#: (row key, label, section, column, indicator on the non-missing values, p key)
_BINARY_ROWS: list[tuple[str, str, str, str, Callable[[pd.Series], pd.Series], str]] = [
    ("age_ge65", "Age ≥65, n (%)", "", "age", lambda s: _numeric(s) >= 65, "age_ge65"),
    (
        "sex_male",
        "Sex, male, n (%)",
        "",
        "sex",
        lambda s: _clean(s).astype("string").str.lower() == "male",
        "sex",
    ),
    ("ecog_0_1", "ECOG PS 0–1 (vs ≥2), n (%)", "", "ecog", lambda s: _numeric(s) <= 1, "ecog"),
    ("smoking", "Smoking history, n (%)", "", "smoking", lambda s: _numeric(s) == 1, "smoking"),
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


def _binary_row(
    arms: _Arms,
    key: str,
    label: str,
    section: str,
    column: str | None,
    indicator: pd.Series | None,
    p_key: str | None,
    data_rows: list,
    stat_rows: list,
    results: dict,
) -> None:
    """Counts per arm of a yes/no indicator (NaN = missing) and Fisher's p."""
    if indicator is None:
        for arm in ARMS:
            stat_rows.append(_empty_stats_row(key, arm))
            results[f"baseline.{key}.n.{arm}"] = None
            results[f"baseline.{key}.pct.{arm}"] = None
        if p_key:
            results[f"baseline.{p_key}.p"] = None
        data_rows.append(
            {
                "key": key,
                "label": label,
                "section": section,
                "kind": "n_pct",
                "total": None,
                "reference": None,
                "treatment": None,
                "p": None,
                "test": "Fisher exact",
                "n_missing": None,
                "note": NOT_IN_DATA,
            }
        )
        return
    known = indicator.notna().to_numpy()
    yes = indicator.fillna(False).to_numpy(bool) & known
    counts, denoms = {}, {}
    for arm in ARMS:
        m = arms.masks[arm]
        counts[arm] = int((yes & m).sum())
        denoms[arm] = int((known & m).sum())
        pct = counts[arm] / denoms[arm] if denoms[arm] else None
        row = _empty_stats_row(key, arm)
        row.update(n=counts[arm], denominator=denoms[arm], pct=pct)
        stat_rows.append(row)
        results[f"baseline.{key}.n.{arm}"] = counts[arm]
        results[f"baseline.{key}.pct.{arm}"] = pct
    p = fisher_p(counts["treatment"], denoms["treatment"], counts["reference"], denoms["reference"])
    if p_key:
        results[f"baseline.{p_key}.p"] = p
    n_missing = int((~known).sum())
    data_rows.append(
        {
            "key": key,
            "label": label,
            "section": section,
            "kind": "n_pct",
            "total": counts["total"],
            "reference": counts["reference"],
            "treatment": counts["treatment"],
            "p": p,
            "test": "Fisher exact",
            "n_missing": n_missing,
            "note": _missing_note(n_missing),
        }
    )


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
    arms = _split_arms(cohort, params)
    df = arms.frame
    data_rows: list[dict] = []
    stat_rows: list[dict] = []
    results: dict[str, Any] = {}

    # Age, mean ± SD
    if "age" in df.columns:
        age = _numeric(df["age"]).to_numpy(float)
        known = ~np.isnan(age)
        vals = {}
        for arm in ARMS:
            x = age[arms.masks[arm] & known]
            mean = float(x.mean()) if x.size else None
            sd = float(x.std(ddof=1)) if x.size > 1 else None
            vals[arm] = mean
            row = _empty_stats_row("age", arm)
            row.update(n=int(x.size), mean=mean, sd=sd)
            stat_rows.append(row)
            results[f"baseline.age.mean.{arm}"] = mean
            results[f"baseline.age.sd.{arm}"] = sd
        p = student_t_p(age[arms.masks["treatment"]], age[arms.masks["reference"]])
        n_missing = int((~known).sum())
        data_rows.append(
            {
                "key": "age",
                "label": "Age (years), mean ± SD",
                "section": "",
                "kind": "mean_sd",
                **vals,
                "p": p,
                "test": "Student t",
                "n_missing": n_missing,
                "note": _missing_note(n_missing),
            }
        )
    else:
        p = None
        for arm in ARMS:
            stat_rows.append(_empty_stats_row("age", arm))
            results[f"baseline.age.mean.{arm}"] = None
            results[f"baseline.age.sd.{arm}"] = None
        data_rows.append(
            {
                "key": "age",
                "label": "Age (years), mean ± SD",
                "section": "",
                "kind": "mean_sd",
                "total": None,
                "reference": None,
                "treatment": None,
                "p": None,
                "test": "Student t",
                "n_missing": None,
                "note": NOT_IN_DATA,
            }
        )
    results["baseline.age.p"] = p

    def indicator_of(column: str, fn: Callable[[pd.Series], pd.Series]) -> pd.Series | None:
        if column not in df.columns:
            return None
        raw = _clean(df[column])
        ind = fn(raw).astype("boolean")
        return ind.mask(raw.isna())

    for key, label, section, column, fn, p_key in _BINARY_ROWS:
        _binary_row(
            arms, key, label, section, column, indicator_of(column, fn), p_key, data_rows, stat_rows, results
        )
    for column, label in _MET_ROWS:
        _binary_row(
            arms,
            column,
            label,
            SECTION_METS,
            column,
            indicator_of(column, lambda s: _numeric(s) == 1),
            column,
            data_rows,
            stat_rows,
            results,
        )

    # Chemotherapy regimen: each level against the rest
    if "chemo_regimen" in df.columns:
        reg = _clean(df["chemo_regimen"]).astype("string")
        counts = reg.value_counts()
        extra = [lvl for lvl in counts.index if lvl not in STANDARD_REGIMENS]
        levels = [*STANDARD_REGIMENS, *extra]
        known = reg.notna().to_numpy()
        by_level = {lvl: (reg == lvl).fillna(False).to_numpy(bool) for lvl in levels}
        p_all, test_all = fisher_freeman_halton_p(
            [int((by_level[lvl] & arms.masks["treatment"]).sum()) for lvl in levels],
            [int((by_level[lvl] & arms.masks["reference"]).sum()) for lvl in levels],
        )
        n_missing = int((~known).sum())
        results["baseline.chemo_regimen.p"] = p_all
        data_rows.append(
            {
                "key": "chemo_regimen",
                "label": SECTION_REGIMEN,
                "section": "",
                "kind": "section",
                "total": None,
                "reference": None,
                "treatment": None,
                "p": p_all,
                "test": test_all,
                "n_missing": n_missing,
                "note": _missing_note(n_missing),
            }
        )
        for level in levels:
            key = f"chemo_regimen_{slug(level)}"
            ind = (reg == level).mask(reg.isna())
            _binary_row(
                arms, key, level, SECTION_REGIMEN, "chemo_regimen", ind, key, data_rows, stat_rows, results
            )
    else:
        results["baseline.chemo_regimen.p"] = None
        data_rows.append(
            {
                "key": "chemo_regimen",
                "label": SECTION_REGIMEN,
                "section": "",
                "kind": "section",
                "total": None,
                "reference": None,
                "treatment": None,
                "p": None,
                "test": "Fisher-Freeman-Halton",
                "n_missing": None,
                "note": NOT_IN_DATA,
            }
        )
        for level in STANDARD_REGIMENS:
            key = f"chemo_regimen_{slug(level)}"
            _binary_row(
                arms, key, level, SECTION_REGIMEN, "chemo_regimen", None, key, data_rows, stat_rows, results
            )

    _binary_row(
        arms,
        "thoracic_rt",
        "Thoracic radiotherapy, n (%)",
        "",
        "thoracic_rt",
        indicator_of("thoracic_rt", lambda s: _numeric(s) == 1),
        "thoracic_rt",
        data_rows,
        stat_rows,
        results,
    )

    # Laboratory values: median (Q1–Q3), Mann-Whitney U
    for column, label, unit in LAB_ROWS:
        text = f"{label} ({unit})"
        if column not in df.columns:
            for arm in ARMS:
                stat_rows.append(_empty_stats_row(column, arm))
                for s in ("median", "q1", "q3"):
                    results[f"baseline.{column}.{s}.{arm}"] = None
            results[f"baseline.{column}.p"] = None
            data_rows.append(
                {
                    "key": column,
                    "label": text,
                    "section": SECTION_LABS,
                    "kind": "median_iqr",
                    "total": None,
                    "reference": None,
                    "treatment": None,
                    "p": None,
                    "test": "Mann-Whitney U",
                    "n_missing": None,
                    "note": NOT_IN_DATA,
                }
            )
            continue
        x = _numeric(df[column]).to_numpy(float)
        known = ~np.isnan(x)
        meds = {}
        for arm in ARMS:
            v = x[arms.masks[arm] & known]
            q1, med, q3 = spss_quartiles(v)
            meds[arm] = med
            row = _empty_stats_row(column, arm)
            row.update(n=int(v.size), median=med, q1=q1, q3=q3)
            stat_rows.append(row)
            results[f"baseline.{column}.median.{arm}"] = med
            results[f"baseline.{column}.q1.{arm}"] = q1
            results[f"baseline.{column}.q3.{arm}"] = q3
        p = mann_whitney_p(x[arms.masks["treatment"]], x[arms.masks["reference"]])
        results[f"baseline.{column}.p"] = p
        n_missing = int((~known).sum())
        data_rows.append(
            {
                "key": column,
                "label": text,
                "section": SECTION_LABS,
                "kind": "median_iqr",
                **meds,
                "p": p,
                "test": "Mann-Whitney U",
                "n_missing": n_missing,
                "note": _missing_note(n_missing),
            }
        )

    data = _frame(data_rows, ["key", "label", "section", "kind", *ARMS, "p", "test", "n_missing", "note"])
    return SummaryTable(
        data=data,
        stats=_stats_frame(stat_rows),
        labels=arm_labels(params),
        n=arms.n,
        notes=arms.notes,
        title="Baseline characteristics",
        _results=results,
        _formatter=_format_baseline,
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
