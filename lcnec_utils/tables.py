"""Descriptive and comparative tables: Table 2 (baseline), Table 3 (response,
ICI class, irAEs, ongoing treatment), missingness and the data dictionary.

Every table is data first: a ``pandas.DataFrame`` of numbers (``.data``, one
row per table row; ``.stats``, every statistic per row and arm in long form),
the dotted results keys of ``docs/CONVENTIONS.md`` (``.results()``), and only
last the printed form (``.formatted()``, ``.style()``).

Arms are named by role (``reference``, ``treatment``; ``total`` is both arms
together); their labels come from :class:`lcnec_utils.params.Parameters`.
An optional column that is absent, or partly missing, never stops a table: the
row says so in its ``note`` and any number that cannot be computed is ``None``.

Tests, as in the paper's SPSS 27 analysis (Section 2.4 and the notes of
Table 2):

* categorical rows: Fisher's exact test, two-sided, p = sum of the
  hypergeometric probabilities of all tables with the observed margins that
  are no more likely than the observed one (``scipy.stats.fisher_exact``;
  Agresti, *Categorical Data Analysis*, 3rd ed., 2013, sec. 3.5);
* age: Student's two-sample t-test with pooled (equal) variances
  (``scipy.stats.ttest_ind(equal_var=True)``). Of the two variants only this
  one is consistent with the paper: with integer ages the printed summaries
  (70.4 ± 7.01, n=14; 64.1 ± 8.63, n=17; total 66.9 ± 8.45) pin the means to
  986/14 and 1089/17, for which Student's p is 0.034 and Welch's 0.031;
* laboratory values: Mann-Whitney U, normal approximation with the tie
  correction of the variance and no continuity correction, which is SPSS's
  "Asymp. Sig. (2-tailed)" (``scipy.stats.mannwhitneyu(method="asymptotic",
  use_continuity=False)``; IBM SPSS Statistics 27 Algorithms, NPAR TESTS);
  quartiles as SPSS's default "weighted average at x(n+1)p" (Hyndman & Fan
  1996, definition 6; ``numpy.percentile(method="weibull")``);
* rates: Clopper-Pearson ("exact") confidence intervals
  (``statsmodels.stats.proportion.proportion_confint(method="beta")``;
  Clopper & Pearson, Biometrika 1934).
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from lcnec_utils.params import Parameters

ARMS = ("total", "reference", "treatment")
ROLES = ("reference", "treatment")
#: Column order of the printed tables: the paper's (total, treatment, reference).
PRINT_ORDER = ("total", "treatment", "reference")

NOT_IN_DATA = "column not in data"
NA_TEXT = "—"

#: The cohort columns of the data contract (``shared/spec/data-contract.md``),
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


# --------------------------------------------------------------------------
# formatting helpers
# --------------------------------------------------------------------------


def _is_missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def format_n_pct(n: Any, d: Any, digits: int = 1) -> str:
    """``"n (pct)"`` with the percentage of ``d`` to ``digits`` decimals, e.g.
    ``format_n_pct(7, 14) == "7 (50.0)"``; ``"—"`` when ``n`` or ``d`` is
    unknown or ``d`` is 0 (a percentage of nobody is not a number)."""
    if _is_missing(n) or _is_missing(d) or d == 0:
        return NA_TEXT if _is_missing(n) else f"{int(n)} ({NA_TEXT})"
    return f"{int(n)} ({100.0 * n / d:.{digits}f})"


def format_pct(p: Any, digits: int = 1) -> str:
    """A proportion in [0, 1] printed as a percentage without the sign."""
    return NA_TEXT if _is_missing(p) else f"{100.0 * p:.{digits}f}"


def format_mean_sd(mean: Any, sd: Any, digits: int = 1, sd_digits: int = 2) -> str:
    """``"mean ± SD"``, by default as in the paper's Table 2 (``"70.4 ± 7.01"``)."""
    if _is_missing(mean):
        return NA_TEXT
    sd_text = NA_TEXT if _is_missing(sd) else f"{sd:.{sd_digits}f}"
    return f"{mean:.{digits}f} ± {sd_text}"


def format_median_iqr(median: Any, q1: Any, q3: Any, digits: int = 2) -> str:
    """``"median (Q1–Q3)"`` as in Table 2, e.g. ``"278.00 (234.00–458.00)"``."""
    if _is_missing(median):
        return NA_TEXT
    lo = NA_TEXT if _is_missing(q1) else f"{q1:.{digits}f}"
    hi = NA_TEXT if _is_missing(q3) else f"{q3:.{digits}f}"
    return f"{median:.{digits}f} ({lo}–{hi})"


def format_ci(low: Any, high: Any, digits: int = 1, scale: float = 100.0) -> str:
    """``"low–high"`` of a proportion's CI in percent (``scale=1`` for raw)."""
    if _is_missing(low) or _is_missing(high):
        return NA_TEXT
    return f"{scale * low:.{digits}f}–{scale * high:.{digits}f}"


def format_p(p: Any, digits: int = 3) -> str:
    """A p-value as journals print it: ``"0.034"``, ``"<0.001"``, ``"1.000"``;
    ``"—"`` when it could not be computed."""
    if _is_missing(p):
        return NA_TEXT
    p = float(p)
    floor = 10.0 ** (-digits)
    if p < floor:
        return f"<{floor:.{digits}f}"
    return f"{min(p, 1.0):.{digits}f}"


def slug(text: str) -> str:
    """Results-key form of a level or term: lower case, words joined by ``_``
    (``"EP/EC/EL"`` -> ``"ep_ec_el"``, ``"Interstitial lung disease"`` ->
    ``"interstitial_lung_disease"``)."""
    return re.sub(r"[^a-z0-9]+", "_", str(text).strip().lower()).strip("_")


def ici_class_key(cls: str) -> str:
    """Results-key form of an ICI class: hyphens dropped, as the keys spell
    the classes (``"PD-L1"`` -> ``"pdl1"``, ``"PD-1/CTLA-4"`` -> ``"pd1_ctla4"``)."""
    return slug(str(cls).replace("-", ""))


# --------------------------------------------------------------------------
# HTML output
# --------------------------------------------------------------------------


PROSE_COLUMNS = {"Note", "Notes"}  # text columns that hold sentences


class HTMLTable(str):
    """A formatted table for Jupyter Book: the HTML of a pandas ``Styler``
    wrapped in ``<div class="lcnec-table-wrap" style="overflow-x:auto">`` so
    that wide tables scroll on phones instead of overflowing the page,
    followed by the table's notes. It is a ``str`` (so ``IPython.display.HTML``
    takes it) that Jupyter also renders directly (``_repr_html_``); the
    ``Styler`` is kept in ``.styler``."""

    styler: Any
    notes: list[str]

    def __new__(cls, styler: Any, notes: Sequence[str] = ()) -> "HTMLTable":
        notes = list(notes)
        body = styler.to_html()
        notes_html = "".join(
            f'<p class="lcnec-table-note" style="font-size:0.85em;margin:0.2em 0">'
            f"{html.escape(n)}</p>"
            for n in notes
        )
        text = (
            '<div class="lcnec-table lcnec-table-wrap" style="overflow-x:auto;max-width:100%;'
            '-webkit-overflow-scrolling:touch">' + body + notes_html + "</div>"
        )
        obj = super().__new__(cls, text)
        obj.styler = styler
        obj.notes = notes
        return obj

    def to_html(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return str(self)


def style_table(
    df: pd.DataFrame,
    caption: str | None = None,
    notes: Sequence[str] = (),
    text_columns: Iterable[str] | None = None,
) -> HTMLTable:
    """Render a formatted (string) table: numbers right-aligned in tabular
    figures, text columns (the first column and ``Test``/``Note`` by default)
    left-aligned, cell text HTML-escaped (``"<0.001"``), no index, and a
    deterministic element id (a hash of the content) so rebuilt pages are
    byte-identical."""
    df = df.reset_index(drop=True)
    if text_columns is None:
        text_columns = [df.columns[0]] if len(df.columns) else []
        text_columns += [c for c in df.columns if str(c) in {"Test", "Term"} | PROSE_COLUMNS]
    text_columns = [c for c in text_columns if c in df.columns]
    number_columns = [c for c in df.columns if c not in text_columns]
    uid = hashlib.sha1(
        (df.to_csv(index=False) + str(caption)).encode("utf-8")
    ).hexdigest()[:10]
    from pandas.io.formats.style import Styler

    styler = Styler(df, uuid=uid, cell_ids=False)
    styler = styler.format(escape="html", na_rep="").hide(axis="index")
    cell = {"padding": "0.25em 0.6em", "vertical-align": "top"}
    styler = styler.set_table_styles(
        [
            {"selector": "", "props": [("border-collapse", "collapse"), ("font-size", "0.9em")]},
            {"selector": "th", "props": [("text-align", "right"), ("border-bottom", "1px solid #444"),
                                          *cell.items()]},
            {"selector": "td", "props": list(cell.items())},
            {"selector": "caption", "props": [("caption-side", "top"), ("text-align", "left"),
                                               ("font-weight", "bold")]},
        ]
    )
    # per-column class selectors (td.colN) keep the CSS small on 100-row tables
    col_styles: dict[Any, list[dict[str, Any]]] = {}
    for c in number_columns:
        col_styles[c] = [{"selector": "td", "props": [("text-align", "right"), ("white-space", "nowrap"),
                                                      ("font-variant-numeric", "tabular-nums")]}]
    for c in text_columns:
        td = [("text-align", "left")]
        if str(c) in PROSE_COLUMNS:  # sentences wrap at a readable width, not squeezed by identifiers
            td.append(("min-width", "24em"))
        col_styles[c] = [{"selector": "td", "props": td},
                         {"selector": "th", "props": [("text-align", "left")]}]
    if col_styles:
        styler = styler.set_table_styles(col_styles, overwrite=False)
    if caption:
        styler = styler.set_caption(html.escape(caption))
    return HTMLTable(styler, notes)


# --------------------------------------------------------------------------
# cohort helpers
# --------------------------------------------------------------------------


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


def fisher_p(n_treatment: int, d_treatment: int, n_reference: int, d_reference: int) -> float | None:
    """Two-sided Fisher's exact p of the 2x2 table
    ``[[n_t, d_t - n_t], [n_r, d_r - n_r]]`` (``scipy.stats.fisher_exact``);
    ``None`` when an arm has nobody with a known value."""
    if not d_treatment or not d_reference:
        return None
    table = [[n_treatment, d_treatment - n_treatment], [n_reference, d_reference - n_reference]]
    return float(stats.fisher_exact(table, alternative="two-sided").pvalue)


#: Largest number of candidate tables enumerated for the exact
#: Fisher-Freeman-Halton test; above it the Pearson chi-square test is used.
FFH_MAX_TABLES = 2_000_000


def fisher_freeman_halton_p(counts_treatment: Sequence[int], counts_reference: Sequence[int]) -> tuple[float | None, str]:
    """Fisher-Freeman-Halton exact test of a 2 x k table (arms x levels):
    p = sum of the probabilities of all tables with the observed margins that
    are no more likely than the observed one, P(table) = prod_j C(c_j, x_j) /
    C(N, n_t) (Freeman & Halton, Biometrika 1951; SPSS's "Fisher's Exact Test"
    for tables larger than 2 x 2). Returns ``(p, test name)``.

    Written by hand because scipy's r x c ``fisher_exact`` is Monte Carlo only
    (and unseeded by default). Tables are enumerated level by level with
    numpy; when there would be more than ``FFH_MAX_TABLES`` of them (large
    cohorts, where the asymptotics hold) the Pearson chi-square test is used
    instead and named so. ``None`` when fewer than two levels or an empty arm.
    """
    t = np.asarray(counts_treatment, dtype=np.int64)
    r = np.asarray(counts_reference, dtype=np.int64)
    cols = t + r
    keep = cols > 0
    t, r, cols = t[keep], r[keep], cols[keep]
    n_t, n_r = int(t.sum()), int(r.sum())
    if cols.size < 2 or n_t == 0 or n_r == 0:
        return None, "Fisher-Freeman-Halton"
    if cols.size == 2:
        return fisher_p(int(t[0]), n_t, int(r[0]), n_r), "Fisher exact"
    if float(np.prod((cols + 1).astype(float))) > FFH_MAX_TABLES:
        chi2 = stats.chi2_contingency(np.vstack([t, r]), correction=False)
        return float(chi2.pvalue), "Pearson chi-square"
    from scipy.special import gammaln

    def log_comb(n: np.ndarray | int, k: np.ndarray) -> np.ndarray:
        return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)

    sums = np.zeros(1, dtype=np.int64)
    logp = np.zeros(1)
    for c in cols:
        x = np.arange(c + 1)
        sums = (sums[:, None] + x[None, :]).ravel()
        logp = (logp[:, None] + log_comb(int(c), x)[None, :]).ravel()
        ok = sums <= n_t
        sums, logp = sums[ok], logp[ok]
    logp = logp[sums == n_t] - log_comb(int(cols.sum()), np.array(n_t))
    observed = float(np.sum(log_comb(cols, t))) - float(log_comb(int(cols.sum()), np.array(n_t)))
    # relative tolerance as in scipy's 2 x 2 test, so ties in probability count as extreme
    p = float(np.exp(logp[logp <= observed + 1e-7]).sum())
    return min(p, 1.0), "Fisher-Freeman-Halton"


def clopper_pearson(count: int, nobs: int, alpha: float = 0.05) -> tuple[float | None, float | None]:
    """Clopper-Pearson interval of a binomial proportion
    (``statsmodels`` ``proportion_confint(method="beta")``); ``(None, None)``
    for ``nobs == 0``."""
    if not nobs:
        return None, None
    lo, hi = proportion_confint(count, nobs, alpha=alpha, method="beta")
    return float(lo), float(hi)


def spss_quartiles(values: np.ndarray) -> tuple[float, float, float] | tuple[None, None, None]:
    """Q1, median and Q3 by SPSS's default definition (Hyndman & Fan type 6,
    ``numpy.percentile(method="weibull")``)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None, None, None
    q1, med, q3 = np.percentile(values, [25, 50, 75], method="weibull")
    return float(q1), float(med), float(q3)


def mann_whitney_p(x: np.ndarray, y: np.ndarray) -> float | None:
    """SPSS's "Asymp. Sig. (2-tailed)" of the Mann-Whitney U test: normal
    approximation, tie-corrected variance, no continuity correction."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    if x.size == 0 or y.size == 0:
        return None
    with np.errstate(all="ignore"):
        p = stats.mannwhitneyu(
            x, y, alternative="two-sided", method="asymptotic", use_continuity=False
        ).pvalue
    return None if not np.isfinite(p) else float(p)


def student_t_p(x: np.ndarray, y: np.ndarray) -> float | None:
    """Student's two-sample t-test with pooled variance (SPSS's "equal
    variances assumed" row)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    if x.size < 1 or y.size < 1 or x.size + y.size < 3:
        return None
    with np.errstate(all="ignore"):
        p = stats.ttest_ind(x, y, equal_var=True).pvalue
    return None if not np.isfinite(p) else float(p)


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


# --------------------------------------------------------------------------
# table object
# --------------------------------------------------------------------------


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
    _formatter: Callable[["SummaryTable"], pd.DataFrame] | None = field(default=None, repr=False)

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
    return {"key": key, "arm": arm, "n": None, "denominator": None, "pct": None,
            "mean": None, "sd": None, "median": None, "q1": None, "q3": None,
            "ci_low": None, "ci_high": None}


def _stats_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    cols = ["key", "arm", "n", "denominator", "pct", "mean", "sd", "median", "q1", "q3",
            "ci_low", "ci_high"]
    return _frame(rows, cols)


# --------------------------------------------------------------------------
# Table 2: baseline characteristics
# --------------------------------------------------------------------------

#: (row key, label, section, column, indicator on the non-missing values, p key)
_BINARY_ROWS: list[tuple[str, str, str, str, Callable[[pd.Series], pd.Series], str]] = [
    ("age_ge65", "Age ≥65, n (%)", "", "age", lambda s: _numeric(s) >= 65, "age_ge65"),
    ("sex_male", "Sex, male, n (%)", "", "sex",
     lambda s: _clean(s).astype("string").str.lower() == "male", "sex"),
    ("ecog_0_1", "ECOG PS 0–1 (vs ≥2), n (%)", "", "ecog", lambda s: _numeric(s) <= 1, "ecog"),
    ("smoking", "Smoking history, n (%)", "", "smoking", lambda s: _numeric(s) == 1, "smoking"),
]
_MET_ROWS = [
    ("met_bone", "Bone"), ("met_liver", "Liver"), ("met_brain", "Brain"),
    ("met_adrenal", "Adrenal"), ("met_pleura", "Pleura"),
    ("met_intrapulmonary", "Intrapulmonary"), ("met_other", "Other"),
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


def _binary_row(arms: _Arms, key: str, label: str, section: str, column: str | None,
                indicator: pd.Series | None, p_key: str | None, data_rows: list, stat_rows: list,
                results: dict) -> None:
    """Counts per arm of a yes/no indicator (NaN = missing) and Fisher's p."""
    if indicator is None:
        for arm in ARMS:
            stat_rows.append(_empty_stats_row(key, arm))
            results[f"baseline.{key}.n.{arm}"] = None
            results[f"baseline.{key}.pct.{arm}"] = None
        if p_key:
            results[f"baseline.{p_key}.p"] = None
        data_rows.append({"key": key, "label": label, "section": section, "kind": "n_pct",
                          "total": None, "reference": None, "treatment": None, "p": None,
                          "test": "Fisher exact", "n_missing": None, "note": NOT_IN_DATA})
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
    data_rows.append({"key": key, "label": label, "section": section, "kind": "n_pct",
                      "total": counts["total"], "reference": counts["reference"],
                      "treatment": counts["treatment"], "p": p, "test": "Fisher exact",
                      "n_missing": n_missing, "note": _missing_note(n_missing)})


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
        data_rows.append({"key": "age", "label": "Age (years), mean ± SD", "section": "",
                          "kind": "mean_sd", **vals, "p": p, "test": "Student t",
                          "n_missing": n_missing, "note": _missing_note(n_missing)})
    else:
        p = None
        for arm in ARMS:
            stat_rows.append(_empty_stats_row("age", arm))
            results[f"baseline.age.mean.{arm}"] = None
            results[f"baseline.age.sd.{arm}"] = None
        data_rows.append({"key": "age", "label": "Age (years), mean ± SD", "section": "",
                          "kind": "mean_sd", "total": None, "reference": None, "treatment": None,
                          "p": None, "test": "Student t", "n_missing": None, "note": NOT_IN_DATA})
    results["baseline.age.p"] = p

    def indicator_of(column: str, fn: Callable[[pd.Series], pd.Series]) -> pd.Series | None:
        if column not in df.columns:
            return None
        raw = _clean(df[column])
        ind = fn(raw).astype("boolean")
        return ind.mask(raw.isna())

    for key, label, section, column, fn, p_key in _BINARY_ROWS:
        _binary_row(arms, key, label, section, column, indicator_of(column, fn), p_key,
                    data_rows, stat_rows, results)
    for column, label in _MET_ROWS:
        _binary_row(arms, column, label, SECTION_METS, column,
                    indicator_of(column, lambda s: _numeric(s) == 1), column,
                    data_rows, stat_rows, results)

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
            [int((by_level[lvl] & arms.masks["reference"]).sum()) for lvl in levels])
        n_missing = int((~known).sum())
        results["baseline.chemo_regimen.p"] = p_all
        data_rows.append({"key": "chemo_regimen", "label": SECTION_REGIMEN, "section": "",
                          "kind": "section", "total": None, "reference": None, "treatment": None,
                          "p": p_all, "test": test_all, "n_missing": n_missing,
                          "note": _missing_note(n_missing)})
        for level in levels:
            key = f"chemo_regimen_{slug(level)}"
            ind = (reg == level).mask(reg.isna())
            _binary_row(arms, key, level, SECTION_REGIMEN, "chemo_regimen", ind, key,
                        data_rows, stat_rows, results)
    else:
        results["baseline.chemo_regimen.p"] = None
        data_rows.append({"key": "chemo_regimen", "label": SECTION_REGIMEN, "section": "",
                          "kind": "section", "total": None, "reference": None, "treatment": None,
                          "p": None, "test": "Fisher-Freeman-Halton", "n_missing": None,
                          "note": NOT_IN_DATA})
        for level in STANDARD_REGIMENS:
            key = f"chemo_regimen_{slug(level)}"
            _binary_row(arms, key, level, SECTION_REGIMEN, "chemo_regimen", None, key,
                        data_rows, stat_rows, results)

    _binary_row(arms, "thoracic_rt", "Thoracic radiotherapy, n (%)", "", "thoracic_rt",
                indicator_of("thoracic_rt", lambda s: _numeric(s) == 1), "thoracic_rt",
                data_rows, stat_rows, results)

    # Laboratory values: median (Q1–Q3), Mann-Whitney U
    for column, label, unit in LAB_ROWS:
        text = f"{label} ({unit})"
        if column not in df.columns:
            for arm in ARMS:
                stat_rows.append(_empty_stats_row(column, arm))
                for s in ("median", "q1", "q3"):
                    results[f"baseline.{column}.{s}.{arm}"] = None
            results[f"baseline.{column}.p"] = None
            data_rows.append({"key": column, "label": text, "section": SECTION_LABS,
                              "kind": "median_iqr", "total": None, "reference": None,
                              "treatment": None, "p": None, "test": "Mann-Whitney U",
                              "n_missing": None, "note": NOT_IN_DATA})
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
        data_rows.append({"key": column, "label": text, "section": SECTION_LABS,
                          "kind": "median_iqr", **meds, "p": p, "test": "Mann-Whitney U",
                          "n_missing": n_missing, "note": _missing_note(n_missing)})

    data = _frame(data_rows, ["key", "label", "section", "kind", *ARMS, "p", "test",
                              "n_missing", "note"])
    return SummaryTable(
        data=data, stats=_stats_frame(stat_rows), labels=arm_labels(params), n=arms.n,
        notes=arms.notes, title="Baseline characteristics",
        _results=results, _formatter=_format_baseline,
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
            out.append({"Characteristic": row.label, **{headers[a]: "" for a in PRINT_ORDER},
                        "p": "" if row.note == NOT_IN_DATA else format_p(row.p),
                        "Test": row.test, "Note": row.note or ""})
            continue
        if row.section and row.section not in seen_sections:
            seen_sections.add(row.section)
            out.append({"Characteristic": row.section, **{headers[a]: "" for a in PRINT_ORDER},
                        "p": "", "Test": "", "Note": ""})
        label = f"– {row.label}" if row.section else row.label
        cells = {headers[a]: _format_cell(table, row.key, row.kind, a, row.note or "")
                 for a in PRINT_ORDER}
        p_text = "" if row.note == NOT_IN_DATA else format_p(row.p)
        out.append({"Characteristic": label, **cells, "p": p_text, "Test": row.test,
                    "Note": row.note or ""})
    return pd.DataFrame(out)


# --------------------------------------------------------------------------
# Table 3: response
# --------------------------------------------------------------------------

RESPONSE_CATEGORIES = ("CR", "PR", "SD", "PD", "NE")
_RESPONSE_LABELS = {
    "CR": "Complete response (CR)",
    "PR": "Partial response (PR)",
    "SD": "Stable disease (SD)",
    "PD": "Progressive disease (PD)",
    "NE": "Not evaluable (NE)",
}


def response_table(cohort: pd.DataFrame, params: Parameters) -> SummaryTable:
    """Table 3: best response at the first evaluation (RECIST 1.1) by arm.

    Counts of CR, PR, SD, PD and NE; ORR = (CR + PR) / n and DCR =
    (CR + PR + SD) / n, where n is the arm's patients with a recorded
    response (NE counts in n as a non-responder, as RECIST's intention-to-treat
    reading does); Clopper-Pearson (exact) CIs at level ``1 - params.alpha``;
    ORR and DCR compared by Fisher's exact test, two-sided. Values other than
    the five RECIST categories count as missing and are reported in a note.
    Reference: Eisenhauer et al., Eur J Cancer 2009;45:228-47 (RECIST 1.1).
    """
    arms = _split_arms(cohort, params)
    df = arms.frame
    notes = list(arms.notes)
    data_rows, stat_rows, results = [], [], {}
    level = f"{100 * (1 - params.alpha):g}%"
    if "best_response" not in df.columns:
        notes.append("best_response: " + NOT_IN_DATA + "; response rates not computed.")
        for cat in RESPONSE_CATEGORIES:
            k = cat.lower()
            for arm in ARMS:
                stat_rows.append(_empty_stats_row(k, arm))
                results[f"response.{k}.n.{arm}"] = None
                results[f"response.{k}.pct.{arm}"] = None
            data_rows.append({"key": k, "label": _RESPONSE_LABELS[cat], "kind": "n_pct",
                              "total": None, "reference": None, "treatment": None, "p": None,
                              "test": None, "n_missing": None, "note": NOT_IN_DATA})
        for k, label in (("orr", "ORR"), ("dcr", "DCR")):
            for arm in ARMS:
                stat_rows.append(_empty_stats_row(k, arm))
                for s in ("ci_low.", "ci_high.") + (("",) if arm != "total" else ()):
                    results[f"response.{k}.{s}{arm}"] = None
            results[f"response.{k}.p"] = None
            data_rows.append({"key": k, "label": f"{label}, % ({level} CI)", "kind": "rate",
                              "total": None, "reference": None, "treatment": None, "p": None,
                              "test": "Fisher exact", "n_missing": None, "note": NOT_IN_DATA})
    else:
        resp = _clean(df["best_response"]).astype("string").str.upper()
        invalid = resp.notna() & ~resp.isin(RESPONSE_CATEGORIES)
        n_invalid = int(invalid.sum())
        if n_invalid:
            bad = sorted(resp[invalid].unique().tolist())
            notes.append(f"{n_invalid} response value(s) not in CR/PR/SD/PD/NE "
                         f"({', '.join(map(str, bad))}) counted as missing.")
        resp = resp.mask(invalid)
        known = resp.notna().to_numpy()
        n_missing = int((~known).sum())
        if n_missing:
            notes.append(f"best_response missing for {n_missing} patient(s); "
                         "rates use the patients with a recorded response.")
        denom = {arm: int((known & arms.masks[arm]).sum()) for arm in ARMS}
        is_cat = {c: (resp == c).fillna(False).to_numpy(bool) for c in RESPONSE_CATEGORIES}
        counts = {c: {arm: int((is_cat[c] & arms.masks[arm]).sum()) for arm in ARMS}
                  for c in RESPONSE_CATEGORIES}
        for cat in RESPONSE_CATEGORIES:
            k = cat.lower()
            for arm in ARMS:
                pct = counts[cat][arm] / denom[arm] if denom[arm] else None
                row = _empty_stats_row(k, arm)
                row.update(n=counts[cat][arm], denominator=denom[arm], pct=pct)
                stat_rows.append(row)
                results[f"response.{k}.n.{arm}"] = counts[cat][arm]
                results[f"response.{k}.pct.{arm}"] = pct
            data_rows.append({"key": k, "label": _RESPONSE_LABELS[cat], "kind": "n_pct",
                              **{a: counts[cat][a] for a in ARMS}, "p": None, "test": None,
                              "n_missing": n_missing, "note": _missing_note(n_missing)})
        for k, label, cats in (("orr", "ORR", ("CR", "PR")), ("dcr", "DCR", ("CR", "PR", "SD"))):
            n_yes = {arm: sum(counts[c][arm] for c in cats) for arm in ARMS}
            for arm in ARMS:
                rate = n_yes[arm] / denom[arm] if denom[arm] else None
                lo, hi = clopper_pearson(n_yes[arm], denom[arm], params.alpha)
                row = _empty_stats_row(k, arm)
                row.update(n=n_yes[arm], denominator=denom[arm], pct=rate, ci_low=lo, ci_high=hi)
                stat_rows.append(row)
                if arm != "total":  # response.<rate>.<group>: the spec names the arms only
                    results[f"response.{k}.{arm}"] = rate
                results[f"response.{k}.ci_low.{arm}"] = lo
                results[f"response.{k}.ci_high.{arm}"] = hi
            p = fisher_p(n_yes["treatment"], denom["treatment"], n_yes["reference"], denom["reference"])
            results[f"response.{k}.p"] = p
            data_rows.append({"key": k, "label": f"{label}, % ({level} CI)", "kind": "rate",
                              **n_yes, "p": p, "test": "Fisher exact", "n_missing": n_missing,
                              "note": _missing_note(n_missing)})
    data = _frame(data_rows, ["key", "label", "kind", *ARMS, "p", "test", "n_missing", "note"])
    return SummaryTable(
        data=data, stats=_stats_frame(stat_rows), labels=arm_labels(params), n=arms.n,
        notes=notes, title="Response at the first evaluation",
        _results=results, _formatter=_format_response,
    )


def _format_response(table: SummaryTable) -> pd.DataFrame:
    order = ("treatment", "reference")
    out = []
    for row in table.data.itertuples(index=False):
        cells = {}
        for arm in order:
            header = table.column_header(arm)
            if row.note == NOT_IN_DATA:
                cells[header] = ""
                continue
            s = table.stats[(table.stats["key"] == row.key) & (table.stats["arm"] == arm)].iloc[0]
            if row.kind == "rate":
                cells[header] = f"{format_pct(s['pct'])} ({format_ci(s['ci_low'], s['ci_high'])})"
            else:
                cells[header] = format_n_pct(s["n"], s["denominator"])
        p_text = "" if (row.test is None or row.note == NOT_IN_DATA) else format_p(row.p)
        out.append({"Response": row.label, **cells, "p": p_text, "Note": row.note or ""})
    return pd.DataFrame(out)


# --------------------------------------------------------------------------
# Table 3: ICI class, ongoing treatment, immune-related adverse events
# --------------------------------------------------------------------------

#: ICI classes of the data contract, in the paper's order.
ICI_CLASSES = ("PD-1", "PD-L1", "PD-1/CTLA-4")
#: irAE terms of the paper (keys always written when an AE table is given).
PAPER_IRAE_TERMS = ("interstitial_lung_disease", "hypothyroidism", "hepatitis")


@dataclass
class SafetyTables:
    """Table 3's treatment rows: ``irae`` (immune-related AEs by term and
    grade), ``ici_class`` and ``ongoing``, each a :class:`SummaryTable`; the
    AE table's notes in ``notes``."""

    irae: SummaryTable
    ici_class: SummaryTable
    ongoing: SummaryTable
    notes: list[str]

    def results(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for t in (self.irae, self.ici_class, self.ongoing):
            out.update(t.results())
        return out

    def formatted(self) -> dict[str, pd.DataFrame]:
        return {"irae": self.irae.formatted(), "ici_class": self.ici_class.formatted(),
                "ongoing": self.ongoing.formatted()}

    def _repr_html_(self) -> str:
        return "".join(t._repr_html_() for t in (self.ici_class, self.ongoing, self.irae))


def _ici_table(arms: _Arms, params: Parameters) -> SummaryTable:
    df = arms.frame
    data_rows, stat_rows, results, notes = [], [], {}, []
    trt = arms.masks["treatment"]
    if "ici_class" not in df.columns:
        notes.append("ici_class: " + NOT_IN_DATA + ".")
        for cls in ICI_CLASSES:
            k = ici_class_key(cls)
            results[f"ici_class.{k}.n.treatment"] = None
            results[f"ici_class.{k}.pct.treatment"] = None
            stat_rows.append(_empty_stats_row(k, "treatment"))
            data_rows.append({"key": k, "label": cls, "kind": "n_pct", "treatment": None,
                              "n_missing": None, "note": NOT_IN_DATA})
    else:
        cls_col = _clean(df["ici_class"]).astype("string")
        known = cls_col.notna().to_numpy()
        n_ref_with = int((known & arms.masks["reference"]).sum())
        if n_ref_with:
            notes.append(f"{n_ref_with} patient(s) of the {params.reference_group} arm have an "
                         "ICI class recorded; not counted.")
        n_missing = int((~known & trt).sum())
        if n_missing:
            notes.append(f"ICI class missing for {n_missing} patient(s) of the "
                         f"{params.treatment_group} arm; percentages use the others.")
        d = int((known & trt).sum())
        levels = list(ICI_CLASSES) + sorted(
            set(cls_col[trt & known].unique().tolist()) - set(ICI_CLASSES))
        for cls in levels:
            k = ici_class_key(cls)
            n = int(((cls_col == cls).fillna(False).to_numpy(bool) & trt).sum())
            pct = n / d if d else None
            results[f"ici_class.{k}.n.treatment"] = n
            results[f"ici_class.{k}.pct.treatment"] = pct
            row = _empty_stats_row(k, "treatment")
            row.update(n=n, denominator=d, pct=pct)
            stat_rows.append(row)
            data_rows.append({"key": k, "label": f"{cls} inhibitor", "kind": "n_pct",
                              "treatment": n, "n_missing": n_missing,
                              "note": _missing_note(n_missing)})
    data = _frame(data_rows, ["key", "label", "kind", "treatment", "n_missing", "note"])

    def fmt(t: SummaryTable) -> pd.DataFrame:
        header = t.column_header("treatment")
        rows = []
        for r in t.data.itertuples(index=False):
            if r.note == NOT_IN_DATA:
                cell = ""
            else:
                cell = format_n_pct(t.stat(r.key, "treatment", "n"),
                                    t.stat(r.key, "treatment", "denominator"))
            rows.append({"ICI class": r.label, header: cell, "Note": r.note or ""})
        return pd.DataFrame(rows)

    return SummaryTable(data=data, stats=_stats_frame(stat_rows), labels=arm_labels(params),
                        n=arms.n, notes=notes, title="Immune checkpoint inhibitor class",
                        _results=results, _formatter=fmt)


def _ongoing_table(arms: _Arms, params: Parameters) -> SummaryTable:
    df = arms.frame
    results, notes, stat_rows = {}, [], []
    if "ongoing_treatment" not in df.columns:
        notes.append("ongoing_treatment: " + NOT_IN_DATA + ".")
        vals = {arm: None for arm in ARMS}
        for arm in ARMS:
            stat_rows.append(_empty_stats_row("ongoing", arm))
        n_missing, note = None, NOT_IN_DATA
    else:
        x = _numeric(df["ongoing_treatment"]).to_numpy(float)
        known = ~np.isnan(x)
        vals = {}
        for arm in ARMS:
            m = arms.masks[arm]
            vals[arm] = int(((x == 1) & m).sum())
            d = int((known & m).sum())
            row = _empty_stats_row("ongoing", arm)
            row.update(n=vals[arm], denominator=d, pct=vals[arm] / d if d else None)
            stat_rows.append(row)
        n_missing = int((~known).sum())
        note = _missing_note(n_missing)
    for arm in ARMS:
        results[f"treatment.ongoing.n.{arm}"] = vals[arm]
    data = _frame([{"key": "ongoing", "label": "Ongoing treatment, n", "kind": "n_pct",
                    **vals, "n_missing": n_missing, "note": note}],
                  ["key", "label", "kind", *ARMS, "n_missing", "note"])

    def fmt(t: SummaryTable) -> pd.DataFrame:
        r = t.data.iloc[0]
        cells = {t.column_header(a): ("" if r["note"] == NOT_IN_DATA else str(r[a]))
                 for a in ("treatment", "reference")}
        return pd.DataFrame([{"": r["label"], **cells, "Note": r["note"] or ""}])

    return SummaryTable(data=data, stats=_stats_frame(stat_rows), labels=arm_labels(params),
                        n=arms.n, notes=notes, title="Ongoing first-line treatment",
                        _results=results, _formatter=fmt)


def _irae_table(arms: _Arms, ae: pd.DataFrame | None, params: Parameters) -> SummaryTable:
    """Patients with an immune-related AE by term: counted once per term at
    their worst grade; percentages of the arm's patients (all treated)."""
    df = arms.frame
    notes: list[str] = []
    results: dict[str, Any] = {}
    cols = ["key", "label", "arm", "n_arm", "grade_1", "grade_2", "grade_3", "grade_4",
            "grade_5", "grade_unknown", "any_grade", "grade3plus", "pct_any", "pct_grade3plus"]

    def fmt(t: SummaryTable) -> pd.DataFrame:
        if t.data.empty:
            return pd.DataFrame({"Term": ["No adverse-event table" if ae is None
                                          else "No immune-related adverse events"]})
        rows = []
        for key, g in t.data.groupby("key", sort=False):
            out = {"Term": g["label"].iloc[0]}
            for arm in ("treatment", "reference"):
                r = g[g["arm"] == arm].iloc[0]
                h = t.labels[arm]
                out[f"{h}: grade 1–2"] = format_n_pct(r["grade_1"] + r["grade_2"], r["n_arm"])
                out[f"{h}: grade ≥3"] = format_n_pct(r["grade3plus"], r["n_arm"])
                out[f"{h}: any grade"] = format_n_pct(r["any_grade"], r["n_arm"])
            rows.append(out)
        return pd.DataFrame(rows)

    def empty(reason: str) -> SummaryTable:
        notes.append(reason)
        for term in PAPER_IRAE_TERMS:
            results[f"safety.irae.{term}.n.treatment"] = None
            results[f"safety.irae.{term}.pct.treatment"] = None
        results["safety.irae_any.n.treatment"] = None
        results["safety.irae_any.treatment"] = None
        results["safety.grade3plus.n.treatment"] = None
        return SummaryTable(data=pd.DataFrame(columns=cols), stats=_stats_frame([]),
                            labels=arm_labels(params), n=arms.n, notes=notes,
                            title="Immune-related adverse events", _results=results,
                            _formatter=fmt)

    if ae is None:
        return empty("No adverse-event table given: safety not analysed.")
    missing_cols = [c for c in ("patient_id", "term", "grade") if c not in ae.columns]
    if missing_cols:
        return empty("Adverse-event table lacks " + ", ".join(missing_cols) + ": safety not analysed.")
    if "patient_id" not in df.columns:
        return empty("Cohort lacks patient_id: adverse events cannot be linked to arms.")

    pid = _clean(df["patient_id"]).astype("string").to_numpy(object)
    arm_of = pd.Series(np.where(arms.masks["treatment"], "treatment", "reference"), index=pid)
    arm_of = arm_of[~arm_of.index.duplicated()]
    events = pd.DataFrame({
        "patient_id": _clean(ae["patient_id"]).astype("string"),
        "term": _clean(ae["term"]).astype("string"),
        "grade": _numeric(ae["grade"]),
    })
    events["arm"] = events["patient_id"].map(arm_of)
    unlinked = int(events["arm"].isna().sum())
    if unlinked:
        notes.append(f"{unlinked} adverse event(s) of patients not in the analysed cohort left out.")
    events = events[events["arm"].notna()]
    no_term = int(events["term"].isna().sum())
    if no_term:
        notes.append(f"{no_term} adverse event(s) without a term left out.")
        events = events[events["term"].notna()]
    n_grade_missing = int(events["grade"].isna().sum())
    if n_grade_missing:
        notes.append(f"{n_grade_missing} adverse event(s) without a grade: counted in 'any grade' only.")

    # grade >= 3 of any AE (the paper's "no grade 3 or higher adverse events")
    g3 = events[events["grade"] >= 3].groupby("arm")["patient_id"].nunique()
    results["safety.grade3plus.n.treatment"] = int(g3.get("treatment", 0))
    notes.append(
        "Patients with an adverse event of any kind of grade ≥3: "
        f"{int(g3.get('treatment', 0))} of {arms.n['treatment']} ({params.treatment_group}), "
        f"{int(g3.get('reference', 0))} of {arms.n['reference']} ({params.reference_group})."
    )

    if "immune_related" not in ae.columns:
        for term in PAPER_IRAE_TERMS:
            results[f"safety.irae.{term}.n.treatment"] = None
            results[f"safety.irae.{term}.pct.treatment"] = None
        results["safety.irae_any.n.treatment"] = None
        results["safety.irae_any.treatment"] = None
        notes.append("Adverse-event table lacks immune_related: immune-related AEs not identified.")
        return SummaryTable(data=pd.DataFrame(columns=cols), stats=_stats_frame([]),
                            labels=arm_labels(params), n=arms.n, notes=notes,
                            title="Immune-related adverse events", _results=results, _formatter=fmt)
    imm = _numeric(ae["immune_related"]).reindex(events.index)
    n_imm_missing = int(imm.isna().sum())
    if n_imm_missing:
        notes.append(f"{n_imm_missing} adverse event(s) with immune_related missing left out of the irAE counts.")
    ir = events[(imm == 1).to_numpy()].copy()
    ir["key"] = ir["term"].map(slug)
    # worst grade per patient and term (NaN grade only when no graded event)
    worst = ir.groupby(["arm", "key", "patient_id"], sort=False).agg(
        label=("term", "first"), grade=("grade", "max")).reset_index()
    anyp = ir.groupby(["arm", "patient_id"])["grade"].max().reset_index()
    anyp["key"] = "irae_any"
    anyp["label"] = "Any immune-related AE"
    worst = pd.concat([worst, anyp], ignore_index=True)

    labels = (worst.drop_duplicates("key").set_index("key")["label"].to_dict())
    labels.setdefault("irae_any", "Any immune-related AE")
    keys = ["irae_any"] + sorted(k for k in labels if k != "irae_any")
    for k in PAPER_IRAE_TERMS:
        if k not in labels:
            labels[k] = k.replace("_", " ").capitalize()
    rows = []
    for key in keys:
        for arm in ("treatment", "reference"):
            w = worst[(worst["key"] == key) & (worst["arm"] == arm)]["grade"]
            n_arm = arms.n[arm]
            r = {"key": key, "label": labels[key], "arm": arm, "n_arm": n_arm}
            for g in range(1, 6):
                r[f"grade_{g}"] = int((w == g).sum())
            r["grade_unknown"] = int(w.isna().sum())
            r["any_grade"] = int(w.size)
            r["grade3plus"] = int((w >= 3).sum())
            r["pct_any"] = r["any_grade"] / n_arm if n_arm else None
            r["pct_grade3plus"] = r["grade3plus"] / n_arm if n_arm else None
            rows.append(r)
    data = pd.DataFrame(rows, columns=cols)

    def get(key: str, arm: str, col: str) -> Any:
        sel = data[(data["key"] == key) & (data["arm"] == arm)]
        return None if sel.empty else sel.iloc[0][col]

    for term in set(PAPER_IRAE_TERMS) | {k for k in keys if k != "irae_any"}:
        n = get(term, "treatment", "any_grade")
        results[f"safety.irae.{term}.n.treatment"] = 0 if n is None else n
        pct = get(term, "treatment", "pct_any")
        n_arm = arms.n["treatment"]
        results[f"safety.irae.{term}.pct.treatment"] = (
            pct if pct is not None else (0.0 if n_arm else None))
    results["safety.irae_any.n.treatment"] = get("irae_any", "treatment", "any_grade")
    results["safety.irae_any.treatment"] = get("irae_any", "treatment", "pct_any")

    st = []
    for r in rows:
        s = _empty_stats_row(r["key"], r["arm"])
        s.update(n=r["any_grade"], denominator=r["n_arm"], pct=r["pct_any"])
        st.append(s)
    return SummaryTable(data=data, stats=_stats_frame(st), labels=arm_labels(params), n=arms.n,
                        notes=notes, title="Immune-related adverse events", _results=results,
                        _formatter=fmt)


def safety_tables(cohort: pd.DataFrame, ae: pd.DataFrame | None, params: Parameters) -> SafetyTables:
    """Table 3's treatment and safety rows.

    * irAEs (``ae`` rows with ``immune_related == 1``) by CTCAE v5.0 term:
      patients counted once per term at their worst grade, grade 1–2, ≥3 and
      any grade, n (%) of all patients of the arm (all were treated); "any
      immune-related AE" counts each patient once. ``safety.grade3plus.n.*``
      counts patients with a grade ≥3 AE of any kind (the paper's "no grade 3
      or higher adverse events"; the reference arm's count and the
      immune-related grade >=3 counts are in ``.irae.data``).
    * ICI class of the treatment arm, n (%) of the patients with a class
      recorded (``ici_class.<pd1|pdl1|pd1_ctla4>.{n,pct}.treatment``).
    * patients still on first-line treatment (``treatment.ongoing.n.<arm>``).

    ``ae=None`` (no AE file) gives an empty irAE table with a note and
    ``None`` for every ``safety.*`` key. Reference: NCI CTCAE v5.0 (2017).
    """
    arms = _split_arms(cohort, params)
    irae = _irae_table(arms, ae, params)
    ici = _ici_table(arms, params)
    ongoing = _ongoing_table(arms, params)
    return SafetyTables(irae=irae, ici_class=ici, ongoing=ongoing,
                        notes=arms.notes + irae.notes)


# --------------------------------------------------------------------------
# missingness and data dictionary
# --------------------------------------------------------------------------


def _missing_counts(cohort: pd.DataFrame) -> pd.Series:
    """Per column, cells that are empty (NaN/None or blank text), vectorised."""
    out = {}
    for c in cohort.columns:
        out[c] = int(_clean(cohort[c]).isna().sum())
    return pd.Series(out, dtype="int64")


def missingness_table(cohort: pd.DataFrame, expected: Mapping[str, bool] | Iterable[str] | None = None) -> pd.DataFrame:
    """Per column: ``status`` (``present`` or ``absent``), ``required``,
    ``n_missing``, ``pct_missing`` (proportion in [0, 1]) over all rows.

    ``expected`` are the columns that should be there (a mapping column ->
    required, or a list); by default the data contract's cohort columns. Absent
    columns are listed with ``n_missing`` ``None``; extra columns are listed
    as present and not required. Blank text counts as missing.
    """
    if expected is None:
        expected = CONTRACT_COLUMNS
    if not isinstance(expected, Mapping):
        expected = {c: False for c in expected}
    n = len(cohort)
    counts = _missing_counts(cohort)
    rows = []
    for c in list(expected) + [c for c in cohort.columns if c not in expected]:
        present = c in cohort.columns
        k = int(counts[c]) if present else None
        rows.append({
            "column": c,
            "status": "present" if present else "absent",
            "required": bool(expected.get(c, False)),
            "n_missing": k,
            "pct_missing": (k / n if n else None) if present else None,
        })
    return _frame(rows, ["column", "status", "required", "n_missing", "pct_missing"])


def format_missingness(table: pd.DataFrame) -> pd.DataFrame:
    """Printed form of :func:`missingness_table`."""
    return pd.DataFrame({
        "Column": table["column"],
        "Status": table["status"],
        "Required": np.where(table["required"].astype(bool), "yes", "no"),
        "Missing, n (%)": [
            NOT_IN_DATA if s == "absent" else f"{int(k)} ({100 * p:.1f})" if p is not None else str(k)
            for s, k, p in zip(table["status"], table["n_missing"], table["pct_missing"])
        ],
    })


def load_data_dictionary(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read ``data/data_dictionary.yaml`` (top-level ``columns:`` mapping)."""
    import yaml

    with open(path, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh) or {}
    return dict(doc.get("columns", doc))


def _column_summary(name: str, s: pd.Series) -> str:
    s = _clean(s)
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
        q1, med, q3 = spss_quartiles(num.to_numpy(float))
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
        rows.append({
            "column": name,
            "type": entry.get("type"),
            "unit": entry.get("unit"),
            "meaning": entry.get("meaning", "not in dictionary" if name not in dictionary else None),
            "required": entry.get("required"),
            "in_data": in_data,
            "n_missing": int(counts[name]) if in_data else None,
            "summary": _column_summary(name, cohort[name]) if in_data else NOT_IN_DATA,
        })
    return _frame(rows, ["column", "type", "unit", "meaning", "required", "in_data",
                         "n_missing", "summary"])
