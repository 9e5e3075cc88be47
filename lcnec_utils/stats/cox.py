from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.stats.normal import z_two_sided
from lcnec_utils.stats.survival import EndpointUnavailable, endpoint_columns

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
        return f"Chemotherapy regimen: {term[len('chemo_regimen_') :]}"
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
        raise ValueError("covariate column(s) absent from the cohort: " + ", ".join(absent))
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
            for names in term_of.values():
                if term in names:
                    names.remove(term)
    return DesignMatrix(out, terms, term_of, n_before - len(out), reasons, notes)


def _slug(level: str) -> str:
    s = "".join(ch.lower() if ch.isalnum() else "_" for ch in str(level))
    while "__" in s:
        s = s.replace("__", "_")
    return s.strip("_")


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
        {
            "term": terms,
            "label": [term_label(t) for t in terms],
            **{c: [math.nan] * len(terms) for c in TABLE_COLUMNS[2:]},
        }
    )[TABLE_COLUMNS]


def not_fitted(dm: DesignMatrix, reason: str, method: str) -> CoxResult:
    """The result of a model that could not be fitted: every estimate NaN, ``converged`` False,
    ``reason`` among the warnings that the page shows."""
    frame = dm.frame
    return CoxResult(
        _empty_table(dm.terms),
        len(frame),
        int(frame["event"].sum()),
        dm.n_dropped,
        dm.dropped_reasons,
        False,
        [reason],
        list(dm.notes),
        None,
        frame,
        method,
        dict(dm.term_of_covariate),
    )


def _fit_frame(
    dm: DesignMatrix, alpha: float, method: str = "Cox PH, Efron ties, Wald CI", **fitter_kwargs
) -> CoxResult:
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
                frame,
                duration_col="duration",
                event_col="event",
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
        z = z_two_sided(alpha)
        coef, se = s["coef"].to_numpy(), s["se(coef)"].to_numpy()
        with np.errstate(over="ignore"):
            table = pd.DataFrame(
                {
                    "term": list(s.index),
                    "label": [term_label(t) for t in s.index],
                    "hr": np.exp(coef),
                    "ci_low": np.exp(coef - z * se),
                    "ci_high": np.exp(coef + z * se),
                    "p": s["p"].to_numpy(),
                    "coef": coef,
                    "se": se,
                }
            )[TABLE_COLUMNS].reset_index(drop=True)
    return CoxResult(
        table,
        n,
        events,
        dm.n_dropped,
        dm.dropped_reasons,
        converged,
        caught,
        list(dm.notes),
        model,
        frame,
        method,
        dict(dm.term_of_covariate),
    )


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


def firth_cox(
    cohort: pd.DataFrame,
    endpoint: str,
    covariates: list[str],
    params,
    ci_method: str = "pl",
    penalty_weight: float = 0.5,
) -> CoxResult:
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
    table = pd.DataFrame(
        {
            "term": dm.terms,
            "label": [term_label(t) for t in dm.terms],
            "hr": np.exp(coef),
            "ci_low": np.exp(ci[:, 0]),
            "ci_high": np.exp(ci[:, 1]),
            "p": p,
            "coef": coef,
            "se": np.asarray(model.bse_),
        }
    )[TABLE_COLUMNS]
    return CoxResult(
        table,
        len(dm.frame),
        int(dm.frame["event"].sum()),
        dm.n_dropped,
        dm.dropped_reasons,
        bool(model.converged_),
        caught,
        list(dm.notes),
        model,
        dm.frame,
        f"Firth Cox, Breslow ties, {ci_method} CI",
        dict(dm.term_of_covariate),
    )


def ridge_cox(
    cohort: pd.DataFrame, endpoint: str, covariates: list[str], params, penalizer: float = 0.1
) -> CoxResult:
    """Ridge (L2) penalised Cox model: lifelines ``CoxPHFitter(penalizer, l1_ratio=0)``.

    lifelines penalises ``penalizer/2 · ||b||²`` on its internally
    standardised covariates; the CIs and p are the naive Wald ones from the
    penalised information, biased towards 0 and not valid inference:
    shrunken HRs for a sensitivity analysis only (Verweij & van Houwelingen 1994).
    """
    ref, trt = _params_labels(params)
    dm = design_matrix(cohort, covariates, ref, trt, endpoint=endpoint)
    return _fit_frame(
        dm,
        params.alpha,
        method=f"ridge Cox (penalizer={penalizer}), Efron ties",
        penalizer=penalizer,
        l1_ratio=0.0,
    )


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
    return pd.DataFrame(
        {
            "term": [i if not isinstance(i, tuple) else i[0] for i in s.index],
            "test_statistic": s["test_statistic"].to_numpy(),
            "p": s["p"].to_numpy(),
            "transform": transform,
        }
    ).reset_index(drop=True)
