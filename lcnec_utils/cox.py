"""Cox proportional hazards models: the arm alone, the arm with covariates, and small-sample variants.

Engine: lifelines ``CoxPHFitter`` (Efron ties, as R ``coxph``; SPSS COXREG
uses Breslow's, see :func:`fit_cox`), Wald CIs and p-values as R
``summary.coxph``. Firth's penalised Cox model comes from ``firthmodels``,
the ridge model from lifelines' ``penalizer``. Hazard ratios are treatment
versus reference (``docs/CONVENTIONS.md``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .survival import EndpointUnavailable, endpoint_columns

#: Human-readable labels of the terms the design matrix can produce.
TERM_LABELS = {
    "treatment": "Treatment arm (treatment vs reference)",
    "age": "Age (per year)",
    "sex_male": "Sex (male vs female)",
    "smoking": "Smoking history (yes vs no)",
    "ecog": "ECOG PS (per point)",
    "met_bone": "Bone metastasis (yes vs no)",
    "met_liver": "Liver metastasis (yes vs no)",
    "met_brain": "Brain metastasis (yes vs no)",
    "met_pleura": "Pleural metastasis (yes vs no)",
    "met_intrapulmonary": "Intrapulmonary metastasis (yes vs no)",
    "met_adrenal": "Adrenal metastasis (yes vs no)",
    "met_other": "Other metastasis (yes vs no)",
    "thoracic_rt": "Thoracic radiotherapy (yes vs no)",
    "ldh": "LDH (per IU/L)",
    "sodium": "Sodium (per mmol/L)",
    "cea": "CEA (per ng/mL)",
    "progrp": "ProGRP (per pg/mL)",
    "nse": "NSE (per ng/mL)",
}

TABLE_COLUMNS = ["term", "label", "hr", "ci_low", "ci_high", "p", "coef", "se"]


def _params_labels(params) -> tuple[str, str]:
    return params.reference_group, params.treatment_group


# --------------------------------------------------------------------------
# Design matrix
# --------------------------------------------------------------------------


@dataclass
class DesignMatrix:
    """Model frame: ``duration``, ``event``, then the terms (``treatment`` first)."""

    frame: pd.DataFrame
    terms: list[str]
    term_of_covariate: dict[str, list[str]]  # covariate column -> its term(s)
    n_dropped: int
    dropped_reasons: dict[str, int]  # column -> rows missing it
    notes: list[str] = field(default_factory=list)

    @property
    def labels(self) -> dict[str, str]:
        return {t: term_label(t) for t in self.terms}


def term_label(term: str) -> str:
    """Readable label of a design-matrix term (falls back to the term name)."""
    if term in TERM_LABELS:
        return TERM_LABELS[term]
    if term.startswith("chemo_regimen_"):
        return f"Chemotherapy regimen: {term[len('chemo_regimen_'):]}"
    return term


def _is_binary(col: pd.Series) -> bool:
    values = set(pd.unique(col.dropna()))
    return values <= {0, 1} or values <= {True, False}


def design_matrix(
    cohort: pd.DataFrame,
    covariates: list[str],
    reference_group: str,
    treatment_group: str,
    endpoint: str | None = None,
) -> DesignMatrix:
    """Cox model frame with the field's codings, complete cases.

    ``treatment`` (1 = ``treatment_group``) first; then each covariate:
    numeric columns as numbers (age per year, ECOG per point, as Table 4's
    HRs of 1.02 and 1.48 imply); ``sex`` -> ``sex_male`` (Male = 1, Female =
    0); 0/1 columns as they are; text columns -> 0/1 dummies against the most
    frequent level (ties: first in sort order). With ``endpoint`` the frame
    also holds ``duration`` and ``event``. Rows with any value missing are
    dropped and counted per column. A term constant in the complete cases is
    left out with a note (it has no estimable coefficient).
    Raises ``ValueError`` naming any covariate column absent from the cohort.
    """
    absent = [c for c in covariates if c not in cohort.columns]
    if absent:
        raise ValueError(
            "covariate column(s) absent from the cohort: " + ", ".join(absent)
        )
    if "group" not in cohort.columns:
        raise ValueError("the cohort has no 'group' column")
    needed = ["group"] + list(covariates)
    if endpoint is not None:
        time_col, event_col = endpoint_columns(endpoint)
        missing = [c for c in (time_col, event_col) if c not in cohort.columns]
        if missing:
            raise EndpointUnavailable(
                f"endpoint '{endpoint}' needs column(s) {', '.join(missing)}, absent from the cohort"
            )
        needed = [time_col, event_col] + needed
    sub = cohort.loc[
        cohort["group"].isin([reference_group, treatment_group]) | cohort["group"].isna(), needed
    ]
    reasons = {c: int(sub[c].isna().sum()) for c in needed if sub[c].isna().any()}
    n_before = len(sub)
    sub = sub.dropna()
    for label in (reference_group, treatment_group):
        if not (sub["group"] == label).any():
            raise ValueError(f"no complete case in arm '{label}' (column 'group')")

    out = pd.DataFrame(index=sub.index)
    if endpoint is not None:
        out["duration"] = sub[time_col].astype(float)
        out["event"] = sub[event_col].astype(int)
    out["treatment"] = (sub["group"] == treatment_group).astype(int)
    term_of: dict[str, list[str]] = {}
    notes: list[str] = []
    for cov in covariates:
        col = sub[cov]
        if cov == "sex":
            values = set(col.unique())
            if not values <= {"Male", "Female"}:
                raise ValueError(f"column 'sex' must be 'Male' or 'Female', found {sorted(values)}")
            out["sex_male"] = (col == "Male").astype(int)
            term_of[cov] = ["sex_male"]
        elif _is_binary(col):
            out[cov] = col.astype(int)
            term_of[cov] = [cov]
        elif pd.api.types.is_numeric_dtype(col):
            out[cov] = col.astype(float)
            term_of[cov] = [cov]
        else:
            counts = col.astype(str).value_counts()
            reference_level = sorted(counts[counts == counts.max()].index)[0]
            names = []
            for level in sorted(counts.index):
                if level == reference_level:
                    continue
                name = f"{cov}_{_slug(level)}"
                out[name] = (col.astype(str) == level).astype(int)
                names.append(name)
            notes.append(f"{cov}: reference level '{reference_level}' (most frequent)")
            term_of[cov] = names
    terms = [c for c in out.columns if c not in ("duration", "event")]
    for term in list(terms):
        if out[term].nunique() < 2:
            notes.append(f"term '{term}' left out: constant in the complete cases")
            out = out.drop(columns=term)
            terms.remove(term)
            for cov, names in term_of.items():
                if term in names:
                    names.remove(term)
    return DesignMatrix(out, terms, term_of, n_before - len(out), reasons, notes)


def _slug(level: str) -> str:
    s = "".join(ch.lower() if ch.isalnum() else "_" for ch in str(level))
    while "__" in s:
        s = s.replace("__", "_")
    return s.strip("_")


# --------------------------------------------------------------------------
# Fitting
# --------------------------------------------------------------------------


@dataclass
class CoxResult:
    """A fitted Cox model: per-term table and what the page must say about the fit."""

    table: pd.DataFrame  # TABLE_COLUMNS, one row per term
    n: int
    events: int
    n_dropped: int
    dropped_reasons: dict[str, int]
    converged: bool
    warnings: list[str]
    notes: list[str]
    model: Any = None  # the fitted lifelines CoxPHFitter (None if the fit failed)
    data: pd.DataFrame | None = None  # the model frame it was fitted on
    method: str = "Cox PH, Efron ties, Wald CI"
    term_of_covariate: dict[str, list[str]] = field(default_factory=dict)

    @property
    def events_per_variable(self) -> float | None:
        k = len(self.table)
        return self.events / k if k else None

    def term(self, name: str) -> dict[str, Any]:
        row = self.table.loc[self.table["term"] == name]
        if row.empty:
            raise KeyError(f"no term '{name}' in the model (terms: {list(self.table['term'])})")
        return row.iloc[0].to_dict()


def _empty_table(terms: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"term": terms, "label": [term_label(t) for t in terms],
         **{c: [math.nan] * len(terms) for c in TABLE_COLUMNS[2:]}}
    )[TABLE_COLUMNS]


def not_fitted(dm: DesignMatrix, reason: str, method: str) -> CoxResult:
    """The result of a model that could not be fitted: every estimate NaN, ``converged`` False,
    ``reason`` among the warnings that the page shows."""
    frame = dm.frame
    return CoxResult(_empty_table(dm.terms), len(frame), int(frame["event"].sum()), dm.n_dropped,
                     dm.dropped_reasons, False, [reason], list(dm.notes), None, frame, method,
                     dict(dm.term_of_covariate))


def _fit_frame(dm: DesignMatrix, alpha: float, method: str = "Cox PH, Efron ties, Wald CI",
               **fitter_kwargs) -> CoxResult:
    from lifelines import CoxPHFitter

    frame = dm.frame
    n, events = len(frame), int(frame["event"].sum())
    if events == 0:
        return not_fitted(dm, "no events: the Cox model cannot be fitted", method)
    caught: list[str] = []
    model = None
    converged = True
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            # precision 1e-9: lifelines' default 1e-7 stops on a Newton decrement
            # < 1e-7, leaving the coefficient off by up to ~sqrt(2e-7)·SE (3e-3
            # relative on a 10-patient example); 1e-9 agrees with R coxph to 1e-6.
            model = CoxPHFitter(alpha=alpha, **fitter_kwargs).fit(
                frame, duration_col="duration", event_col="event",
                fit_options={"precision": 1e-9},
            )
        except Exception as exc:  # lifelines ConvergenceError, singular matrices
            converged = False
            caught.append(f"{type(exc).__name__}: {exc}")
    for w in record:
        name = type(w.message).__name__
        if "Convergence" in name or issubclass(w.category, RuntimeWarning):
            caught.append(f"{name}: {str(w.message).strip()}")
    # lifelines also warns on low variance / correlation with duration (possible
    # separation) without failing: kept in ``warnings``; only a Newton-Raphson
    # step that did not settle makes the fit "not converged".
    if any("norm(delta)" in c or "did not converge" in c for c in caught):
        converged = False
    if model is None:
        table = _empty_table(dm.terms)
    else:
        s = model.summary
        z = stats.norm.ppf(1 - alpha / 2)
        coef, se = s["coef"].to_numpy(), s["se(coef)"].to_numpy()
        with np.errstate(over="ignore"):
            table = pd.DataFrame({
                "term": list(s.index), "label": [term_label(t) for t in s.index],
                "hr": np.exp(coef), "ci_low": np.exp(coef - z * se),
                "ci_high": np.exp(coef + z * se), "p": s["p"].to_numpy(), "coef": coef, "se": se,
            })[TABLE_COLUMNS].reset_index(drop=True)
    return CoxResult(table, n, events, dm.n_dropped, dm.dropped_reasons, converged, caught,
                     list(dm.notes), model, frame, method, dict(dm.term_of_covariate))


def fit_cox(cohort: pd.DataFrame, endpoint: str, covariates: list[str], params) -> CoxResult:
    """Cox proportional hazards model of the arm plus ``covariates``, complete cases.

    lifelines ``CoxPHFitter``: Efron's tie handling (R ``coxph`` default;
    SPSS COXREG uses Breslow's, so HRs can differ slightly with tied times),
    Wald CI exp(b ± z·SE) and Wald p, as R ``summary.coxph``. A failed or
    non-converged fit (e.g. separation with many terms and few events) is
    reported in ``converged``/``warnings``, never raised; HRs of a
    non-converged fit must not be shown as estimates. Reference: Cox (1972);
    Efron (1977); Therneau & Grambsch (2000). Raises ``ValueError`` naming a
    covariate column absent from the cohort, :class:`EndpointUnavailable` if
    the endpoint's columns are absent.
    """
    ref, trt = _params_labels(params)
    dm = design_matrix(cohort, covariates, ref, trt, endpoint=endpoint)
    return _fit_frame(dm, params.alpha)


def univariable_cox(cohort: pd.DataFrame, endpoint: str, params) -> CoxResult:
    """Cox model with the arm alone (treatment vs reference); see :func:`fit_cox`."""
    return fit_cox(cohort, endpoint, [], params)


def available_covariates(cohort: pd.DataFrame, covariates: list[str]) -> tuple[list[str], list[str]]:
    """Split ``covariates`` into (present in the cohort, absent): optional columns may be missing."""
    present = [c for c in covariates if c in cohort.columns]
    return present, [c for c in covariates if c not in cohort.columns]


def _none_if_nan(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _term_keys(prefix: str, row: dict | None) -> dict[str, Any]:
    return {f"{prefix}.{k}": (None if row is None else _none_if_nan(row[k]))
            for k in ("hr", "ci_low", "ci_high", "p")}


def cox_results(cohort: pd.DataFrame, endpoint: str, params) -> dict[str, Any]:
    """Results keys of the Cox models of one endpoint.

    ``{endpoint}.cox_univariable.{hr,ci_low,ci_high,p}`` (arm alone),
    ``{endpoint}.cox_multivariable.{...}`` (arm's term with
    the covariates of ``params.covariates`` present in the cohort) and
    ``{endpoint}.cox_multivariable.<term>.{...}`` for each covariate: the key
    is the covariate's name (``sex`` for ``sex_male``); a text covariate gives
    one key per dummy term. An absent covariate column leaves its keys None
    and the model adjusts for the others (the page must say so: see
    :func:`available_covariates`). All None when the endpoint's columns are
    absent or a fit did not converge.
    """
    out: dict[str, Any] = {}
    uni_prefix = f"{endpoint}.cox_univariable"
    multi_prefix = f"{endpoint}.cox_multivariable"
    present, _absent = available_covariates(cohort, params.covariates)
    try:
        uni = univariable_cox(cohort, endpoint, params)
    except EndpointUnavailable:
        uni = None
    out.update(_term_keys(uni_prefix, uni.term("treatment") if uni and uni.converged else None))
    multi = None
    if uni is not None:
        try:
            multi = fit_cox(cohort, endpoint, present, params)
        except ValueError:  # e.g. no complete case left in an arm
            multi = None
    ok = multi is not None and multi.converged
    out.update(_term_keys(multi_prefix, multi.term("treatment") if ok else None))
    for cov in params.covariates:
        if multi is not None and cov in multi.term_of_covariate:
            names = multi.term_of_covariate[cov]
        else:
            names = ["sex_male"] if cov == "sex" else [cov]
        for name in names:
            key = cov if name == "sex_male" else name
            row = multi.term(name) if ok and name in set(multi.table["term"]) else None
            out.update(_term_keys(f"{multi_prefix}.{key}", row))
    return out


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------


def cox_table(cohort: pd.DataFrame, endpoint: str, params) -> pd.DataFrame:
    """Univariable and multivariable hazard ratios side by side, one row per term.

    Univariable: each covariate alone (all dummies of a text covariate
    together; the arm alone for ``treatment``), each on its own complete
    cases. Multivariable: the arm with the covariates of ``params.covariates``
    present in the cohort (absent ones listed in ``.attrs["absent_covariates"]``). Columns
    ``uni_*``/``multi_*`` hold hr, ci_low, ci_high, p and n; numbers only:
    format with :func:`format_hr_ci` and :func:`format_p`.
    """
    ref, trt = _params_labels(params)
    present, absent = available_covariates(cohort, params.covariates)
    multi = fit_cox(cohort, endpoint, present, params)
    rows = []
    uni_arm = univariable_cox(cohort, endpoint, params)
    per_cov = {None: uni_arm}
    for cov in present:
        try:
            dm = design_matrix(cohort, [cov], ref, trt, endpoint=endpoint)
        except ValueError:  # e.g. no complete case in an arm: no univariable row
            continue
        dm.frame = dm.frame.drop(columns="treatment")
        dm.terms = [t for t in dm.terms if t != "treatment"]
        per_cov[cov] = _fit_frame(dm, params.alpha) if dm.terms else None
    for cov, res in per_cov.items():
        if res is None:
            continue
        for _, r in res.table.iterrows():
            term = r["term"]
            if cov is None and term != "treatment":
                continue
            m = multi.table.loc[multi.table["term"] == term]
            m = m.iloc[0] if len(m) and multi.converged else None
            rows.append({
                "term": term, "label": term_label(term),
                "uni_hr": r["hr"], "uni_ci_low": r["ci_low"], "uni_ci_high": r["ci_high"],
                "uni_p": r["p"], "uni_n": res.n, "uni_converged": res.converged,
                "multi_hr": math.nan if m is None else m["hr"],
                "multi_ci_low": math.nan if m is None else m["ci_low"],
                "multi_ci_high": math.nan if m is None else m["ci_high"],
                "multi_p": math.nan if m is None else m["p"],
                "multi_n": multi.n,
            })
    table = pd.DataFrame(rows)
    table.attrs["multivariable_converged"] = multi.converged
    table.attrs["multivariable_warnings"] = multi.warnings
    table.attrs["events_per_variable"] = multi.events_per_variable
    table.attrs["absent_covariates"] = absent
    table.attrs["notes"] = multi.notes
    table.attrs["n_dropped"] = multi.n_dropped
    return table


def format_hr_ci(hr, lo, hi, digits: int = 2, sep: str = "-") -> str:
    """``"0.51 (0.28-0.92)"``; an em dash if any value is missing or not finite."""
    values = [hr, lo, hi]
    if any(v is None or not math.isfinite(float(v)) for v in values):
        return "—"
    return f"{hr:.{digits}f} ({lo:.{digits}f}{sep}{hi:.{digits}f})"


def format_p(p, digits: int = 3) -> str:
    """p-value as journals print it (``"0.026"``, ``"<0.001"``): :func:`lcnec_utils.tables.format_p`."""
    from .tables import format_p as _format_p

    return _format_p(p, digits)


def format_cox_table(table: pd.DataFrame, params=None) -> pd.DataFrame:
    """Text version of :func:`cox_table`: term, univariable and multivariable HR (95% CI) and p.

    En dash in the intervals, as the rest of the book; "—" where a model did
    not converge or a term was not estimable.
    """
    rows = []
    for _, r in table.iterrows():
        rows.append({
            "Term": r["label"],
            "Univariable HR (95% CI)": format_hr_ci(r["uni_hr"], r["uni_ci_low"], r["uni_ci_high"], sep="–")
            if r.get("uni_converged", True) else "—",
            "p (univariable)": format_p(r["uni_p"]) if r.get("uni_converged", True) else "—",
            "Multivariable HR (95% CI)": format_hr_ci(r["multi_hr"], r["multi_ci_low"], r["multi_ci_high"], sep="–"),
            "p (multivariable)": format_p(r["multi_p"]),
        })
    return pd.DataFrame(rows, columns=["Term", "Univariable HR (95% CI)", "p (univariable)",
                                       "Multivariable HR (95% CI)", "p (multivariable)"])


def forest_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Multivariable rows of :func:`cox_table` as ``plots.forest_plot`` wants them.

    Columns term, label, hr, ci_low, ci_high, p (NaN when the multivariable
    model did not converge: the plot lists them as not estimable).
    """
    out = table[["term", "label", "multi_hr", "multi_ci_low", "multi_ci_high", "multi_p"]].copy()
    out.columns = ["term", "label", "hr", "ci_low", "ci_high", "p"]
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------
# Small-sample variants and diagnostics
# --------------------------------------------------------------------------


def firth_cox(cohort: pd.DataFrame, endpoint: str, covariates: list[str], params,
              ci_method: str = "pl", penalty_weight: float = 0.5) -> CoxResult:
    """Firth-penalised Cox model (Heinze & Schemper 2001) via ``firthmodels.FirthCoxPH``.

    Finite estimates under monotone likelihood (separation). CIs by profile
    penalised likelihood (``ci_method="pl"``, as R ``coxphf``) or Wald; p by
    the penalised likelihood-ratio test (as ``coxphf``) when ``pl``, else Wald.
    firthmodels handles tied times by Breslow's method (as ``coxphf``);
    ``penalty_weight=0`` gives the unpenalised Breslow fit.
    """
    from firthmodels import FirthCoxPH

    ref, trt = _params_labels(params)
    dm = design_matrix(cohort, covariates, ref, trt, endpoint=endpoint)
    X = dm.frame[dm.terms]
    y = (dm.frame["event"].to_numpy().astype(bool), dm.frame["duration"].to_numpy())
    caught = []
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            model = FirthCoxPH(penalty_weight=penalty_weight).fit(X, y)
            ci = model.conf_int(alpha=params.alpha, method=ci_method)
            if ci_method == "pl":
                model.lrt()
                p = np.asarray(model.lrt_pvalues_)
            else:
                p = np.asarray(model.pvalues_)
        except np.linalg.LinAlgError as exc:  # e.g. a covariate constant or collinear in this cohort
            return not_fitted(dm, f"the Firth model could not be fitted: {exc}", "Firth Cox, Breslow ties")
    caught += [f"{type(w.message).__name__}: {w.message}" for w in record]
    coef = np.asarray(model.coef_)
    table = pd.DataFrame({
        "term": dm.terms, "label": [term_label(t) for t in dm.terms], "hr": np.exp(coef),
        "ci_low": np.exp(ci[:, 0]), "ci_high": np.exp(ci[:, 1]), "p": p, "coef": coef,
        "se": np.asarray(model.bse_),
    })[TABLE_COLUMNS]
    return CoxResult(table, len(dm.frame), int(dm.frame["event"].sum()), dm.n_dropped,
                     dm.dropped_reasons, bool(model.converged_), caught, list(dm.notes), model,
                     dm.frame, f"Firth Cox, Breslow ties, {ci_method} CI",
                     dict(dm.term_of_covariate))


def ridge_cox(cohort: pd.DataFrame, endpoint: str, covariates: list[str], params,
              penalizer: float = 0.1) -> CoxResult:
    """Ridge (L2) penalised Cox model: lifelines ``CoxPHFitter(penalizer, l1_ratio=0)``.

    lifelines penalises ``penalizer/2 · ||b||²`` on its internally
    standardised covariates; the CIs and p are the naive Wald ones from the
    penalised information, biased towards 0 and not valid inference:
    shrunken HRs for a sensitivity analysis only (Verweij & van Houwelingen 1994).
    """
    ref, trt = _params_labels(params)
    dm = design_matrix(cohort, covariates, ref, trt, endpoint=endpoint)
    return _fit_frame(dm, params.alpha, method=f"ridge Cox (penalizer={penalizer}), Efron ties",
                      penalizer=penalizer, l1_ratio=0.0)


def schoenfeld_test(result: CoxResult, transform: str = "km") -> pd.DataFrame:
    """Test of proportional hazards per term from scaled Schoenfeld residuals.

    lifelines ``proportional_hazard_test`` (Grambsch & Therneau 1994) with
    ``time_transform`` "km" (1 - KM of the pooled data, R survival < 3
    ``cox.zph`` default) or "identity". R survival >= 3 ``cox.zph`` uses a
    different (exact score) statistic and gives somewhat different numbers.
    Columns: term, test_statistic, p, transform. lifelines builds the
    residuals with ``np.append`` in a loop: about 5 s per term at 100,000 rows.
    """
    from lifelines.statistics import proportional_hazard_test

    if result.model is None:
        raise ValueError("the Cox model was not fitted; no residuals to test")
    res = proportional_hazard_test(result.model, result.data, time_transform=transform)
    s = res.summary
    return pd.DataFrame({
        "term": [i if not isinstance(i, tuple) else i[0] for i in s.index],
        "test_statistic": s["test_statistic"].to_numpy(), "p": s["p"].to_numpy(),
        "transform": transform,
    }).reset_index(drop=True)
